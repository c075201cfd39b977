"""One home for defaults: settings.py; config/roi.yml and dbt_project.yml's vars cannot drift from it."""

from __future__ import annotations

from pathlib import Path

import yaml

from orchestration.lib import config_defaults, settings


def test_the_shipped_config_file_documents_every_setting_at_its_default():
    assert config_defaults.config_drift(settings.DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")) == []
    # The same, the way the pipeline reads it: the shipped file is the default config.
    assert settings.load_config(settings.DEFAULT_CONFIG_PATH) == settings.RoiConfig()


def test_dbt_project_vars_are_exactly_what_the_pipeline_passes_on_default_settings():
    text = config_defaults.DBT_PROJECT_FILE.read_text(encoding="utf-8")
    assert config_defaults.dbt_vars_drift(text) == []
    assert config_defaults.dbt_project_vars(text) == config_defaults.default_dbt_vars()


def test_default_dbt_vars_ignore_the_environment(monkeypatch):
    monkeypatch.setenv("ROI_REPORTING_CURRENCY", "EUR")
    assert config_defaults.default_dbt_vars()["reporting_currency"] == "USD"
    assert settings.dbt_vars(settings.RoiConfig())["reporting_currency"] == "EUR"


def test_a_changed_default_is_caught_then_written_back_without_touching_the_rest(tmp_path: Path):
    config = tmp_path / "roi.yml"
    project = tmp_path / "dbt_project.yml"
    drifted_config = (
        settings.DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
        .replace("  lookback_days: 30\n", "  lookback_days: 45  # a stale copy\n")
        .replace('  first_period: "2025-01"\n', '  first_period: "2024-12"\n')
        .replace("  data_quality_severities: [ERROR]\n", "  data_quality_severities: [ERROR, WARN]\n")
    )
    config.write_text(drifted_config, encoding="utf-8")
    drifted_project = config_defaults.DBT_PROJECT_FILE.read_text(encoding="utf-8").replace(
        "  pacing_over_pct: 0.05\n", "  pacing_over_pct: 0.5\n"
    )
    project.write_text(drifted_project, encoding="utf-8")

    assert config_defaults.config_drift(drifted_config) == [
        "attribution.lookback_days: 45 in the file, 30 in settings.py",
        "alerts.data_quality_severities: ['ERROR', 'WARN'] in the file, ['ERROR'] in settings.py",
        "reports.first_period: '2024-12' in the file, '2025-01' in settings.py",
    ]
    assert config_defaults.dbt_vars_drift(drifted_project) == [
        "pacing_over_pct: 0.5 in dbt_project.yml, 0.05 from settings.py"
    ]

    notes = config_defaults.write(config, project)
    assert sorted(notes) == sorted(
        [
            "roi.yml: attribution.lookback_days set to its default",
            "roi.yml: alerts.data_quality_severities set to its default",
            "roi.yml: reports.first_period set to its default",
            "dbt_project.yml: vars.pacing_over_pct set to its default",
        ]
    )
    rewritten = config.read_text(encoding="utf-8")
    assert "  lookback_days: 30  # a stale copy\n" in rewritten, "the comment on the line is kept"
    assert '  first_period: "2025-01"\n' in rewritten
    assert "  data_quality_severities: [ERROR]\n" in rewritten
    # Nothing else moved: every other line is the shipped file's, byte for byte.
    shipped = settings.DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").splitlines()
    assert [line for line in rewritten.splitlines() if line not in shipped] == ["  lookback_days: 30  # a stale copy"]
    assert project.read_text(encoding="utf-8") == config_defaults.DBT_PROJECT_FILE.read_text(encoding="utf-8")


def test_a_new_setting_missing_from_the_files_is_reported_not_guessed(tmp_path: Path):
    config = tmp_path / "roi.yml"
    text = settings.DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").replace("  max_staleness_days: 7\n", "")
    config.write_text(text, encoding="utf-8")
    assert config_defaults.config_drift(text) == [
        "fx.max_staleness_days: not in the file (document it, with its default)"
    ]
    project = tmp_path / "dbt_project.yml"
    project.write_text(
        config_defaults.DBT_PROJECT_FILE.read_text(encoding="utf-8").replace("  pacing_profile_weeks: 4\n", ""),
        encoding="utf-8",
    )
    notes = config_defaults.write(config, project)
    assert notes == [
        "roi.yml: fx.max_staleness_days: not in the file (document it, with its default)",
        "dbt_project.yml: pacing_profile_weeks: missing from dbt_project.yml vars",
    ]
    assert yaml.safe_load(config.read_text(encoding="utf-8"))["fx"] is None
