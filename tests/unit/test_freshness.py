"""Nothing new, nothing rebuilt: which inputs the build fingerprint sees change, and which it ignores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration import cli
from orchestration.lib import freshness, settings, spend_only
from orchestration.lib.snapshot import snapshot_path
from orchestration.lib.sources import SOURCES_BY_NAME

META = SOURCES_BY_NAME["meta_ads"]


@pytest.fixture
def landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    landing = tmp_path / "landing"
    (landing / META.folder).mkdir(parents=True)
    path = landing / META.folder / "meta_2025-01.csv"
    path.write_text("date_start,spend\n2025-01-01,1.00\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    config = tmp_path / "roi.yml"
    config.write_text("pacing:\n  under_pct: 0.10\n")
    monkeypatch.setenv("ROI_LANDING_DIR", str(landing))
    monkeypatch.setenv("ROI_CONFIG", str(config))
    monkeypatch.delenv("ROI_REPORTING_CURRENCY", raising=False)
    monkeypatch.delenv("ROI_FAILPOINTS", raising=False)
    return landing


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "roi.duckdb"


def _recorded(warehouse: Path) -> dict[str, str]:
    inputs = freshness.build_inputs()
    freshness.record(warehouse, inputs, run_id="run-1")
    snapshot_path(warehouse).write_bytes(b"")  # a published snapshot (its content is not read)
    return inputs


def test_an_unchanged_landing_zone_config_and_code_is_nothing_to_do(landing: Path, warehouse: Path):
    _recorded(warehouse)
    last = cli.nothing_to_do(warehouse, freshness.build_inputs())
    assert last is not None and last.run_id == "run-1"
    assert freshness.changed_inputs(warehouse, freshness.build_inputs()) == []


def test_a_new_or_touched_landing_file_is_a_change(landing: Path, warehouse: Path):
    _recorded(warehouse)
    (landing / META.folder / "meta_2025-02.csv").write_text("date_start,spend\n2025-02-01,2.00\n")
    assert freshness.changed_inputs(warehouse, freshness.build_inputs()) == ["landing", "landing_sources"]
    assert cli.nothing_to_do(warehouse, freshness.build_inputs()) is None
    _recorded(warehouse)
    os.utime(landing / META.folder / "meta_2025-01.csv", (1_800_000_000, 1_800_000_000))
    assert freshness.changed_inputs(warehouse, freshness.build_inputs()) == ["landing", "landing_sources"]


def test_files_the_ingestion_ignores_are_not_a_change(landing: Path, warehouse: Path):
    _recorded(warehouse)
    (landing / META.folder / "_upload_in_progress.csv").write_text("partial")
    (landing / META.folder / ".hidden.csv").write_text("x")
    assert freshness.changed_inputs(warehouse, freshness.build_inputs()) == []


def test_a_changed_setting_or_currency_is_a_change_but_a_restated_default_is_not(
    landing: Path, warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _recorded(warehouse)
    config = tmp_path / "roi.yml"
    config.write_text("pacing:\n  under_pct: 0.10\n# a comment\nfx:\n  max_staleness_days: 7\n")
    assert freshness.changed_inputs(warehouse, freshness.build_inputs()) == []
    config.write_text("pacing:\n  under_pct: 0.12\n")
    assert freshness.changed_inputs(warehouse, freshness.build_inputs()) == ["config"]
    config.write_text("pacing:\n  under_pct: 0.10\n")
    monkeypatch.setenv("ROI_REPORTING_CURRENCY", "EUR")
    assert freshness.changed_inputs(warehouse, freshness.build_inputs()) == ["environment"]


def test_another_engine_is_a_change(landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch):
    _recorded(warehouse)
    monkeypatch.setattr(settings, "ENGINE", "spark")
    assert freshness.changed_inputs(warehouse, freshness.build_inputs()) == ["engine"]
    assert spend_only.decide(freshness.last_build(warehouse).inputs, freshness.build_inputs()).mode == spend_only.FULL


def test_a_registered_input_makes_a_due_rebuild_a_change(
    landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    slot = {"week": "2026-W49"}
    monkeypatch.setattr(freshness, "_registered", {})
    freshness.register_input("weekly_refit", lambda: slot["week"])
    _recorded(warehouse)
    assert cli.nothing_to_do(warehouse, freshness.build_inputs()) is not None
    slot["week"] = "2026-W50"
    assert freshness.changed_inputs(warehouse, freshness.build_inputs()) == ["weekly_refit"]
    assert cli.nothing_to_do(warehouse, freshness.build_inputs()) is None


def test_a_cleared_record_or_a_missing_snapshot_means_a_build(landing: Path, warehouse: Path):
    inputs = _recorded(warehouse)
    snapshot_path(warehouse).unlink()
    assert cli.nothing_to_do(warehouse, inputs) is None
    _recorded(warehouse)
    freshness.clear(warehouse)  # what a run does before it starts: a failed run is never taken for a built one
    assert freshness.last_build(warehouse) is None
    assert cli.nothing_to_do(warehouse, inputs) is None
    assert cli.nothing_to_do(warehouse.with_name("missing.duckdb"), inputs) is None


def test_code_digest_covers_the_dbt_project_and_the_orchestration_code():
    files = {
        path.relative_to(settings.REPO_ROOT).as_posix()
        for root in freshness.CODE_ROOTS
        for path in root.rglob("*")
        if path.suffix in freshness.CODE_SUFFIXES
    }
    assert "orchestration/cli.py" in files
    assert any(name.startswith("dbt_project/models/marts/") and name.endswith(".sql") for name in files)
    assert any(name.startswith("expectations/") for name in files)
