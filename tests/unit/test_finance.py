"""The finance targets' maths, their Great Expectations suites on tiny frames, and the finance settings.

Every expected number is worked out by hand in the test. The row-level rules (tolerance, budget version,
booked-else-platform, FX at the posting date, April fiscal years, the pacing projection) are dbt unit
tests in ``dbt_project/models/*/finance/_finance__models.yml``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from orchestration.lib import finance, gx, settings

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- target maths


def test_matched_share_weighs_account_months_by_their_closed_spend():
    # 95 of 100 spent is matched; missing_platform_spend has no spend and changes nothing.
    spend = {"matched": Decimal("95.00"), "mismatched": Decimal("3.00"), "missing_invoice": Decimal("2.00")}
    assert finance.matched_share({**spend, "missing_platform_spend": Decimal(0)}) == pytest.approx(0.95)


def test_matched_share_of_the_sample_by_hand():
    # The shipped sample: 6,593,477.95 matched of 6,593,477.95 + 16,155.31 (3 % overbilled) + 13,713.06
    # (missing invoice) = 6,623,346.32 -> 0.995490.
    share = finance.matched_share(
        {"matched": Decimal("6593477.95"), "mismatched": Decimal("16155.31"), "missing_invoice": Decimal("13713.06")}
    )
    assert share == pytest.approx(6593477.95 / 6623346.32)
    assert round(share, 4) == 0.9955


def test_matched_share_without_closed_spend_is_not_measured():
    assert finance.matched_share({}) is None
    assert finance.matched_share({"missing_platform_spend": Decimal(0)}) is None


def test_matched_share_rejects_an_unknown_status():
    with pytest.raises(ValueError, match="unknown reconciliation status"):
        finance.matched_share({"matched": 1, "pending": 1})


def test_tracked_share_counts_line_periods():
    assert finance.tracked_share(89, 91) == pytest.approx(0.978022, abs=1e-6)
    assert finance.tracked_share(9, 10) == pytest.approx(0.9)
    assert finance.tracked_share(0, 0) is None
    with pytest.raises(ValueError):
        finance.tracked_share(11, 10)


def test_mape_skips_line_periods_without_final_spend():
    # |APE| 10 % and 30 %; the line that spent nothing has no percentage error: mean 20 %.
    assert finance.mean_absolute_percentage_error([0.10, None, 0.30]) == pytest.approx(0.20)
    assert finance.mean_absolute_percentage_error([None]) is None


def test_wape_weighs_errors_by_final_spend():
    # 110 for 100 and 90 for 100, then 101 for 1,000: (10 + 10) / 200 = 10 %; (10 + 10 + 1) / 1,200 = 1.75 %.
    assert finance.weighted_absolute_percentage_error([(110, 100), (90, 100)]) == pytest.approx(0.10)
    assert finance.weighted_absolute_percentage_error([(110, 100), (90, 100), (1001, 1000)]) == pytest.approx(21 / 1200)
    assert finance.weighted_absolute_percentage_error([(5, 0)]) is None


def test_targets_include_their_boundary_and_pass_when_there_is_nothing_to_measure():
    assert finance.meets_floor(0.95, 0.95)
    assert not finance.meets_floor(0.9499, 0.95)
    assert finance.meets_floor(None, 0.95)
    assert finance.meets_ceiling(0.10, 0.10)
    assert not finance.meets_ceiling(0.1001, 0.10)


def test_exceptions_are_exported_next_to_the_warehouse(tmp_path: Path):
    path = finance.exceptions_csv_path(tmp_path / "roi.duckdb")
    assert path == tmp_path / "reports" / "exceptions" / "spend_reconciliation_exceptions.csv"


# ---------------------------------------------------------------- Great Expectations suites


@pytest.fixture(scope="module")
def gx_context(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A throwaway file context: the tests must not rewrite the suites saved in ``expectations/``."""
    return gx.get_context(tmp_path_factory.mktemp("gx"))


@pytest.fixture(scope="module")
def suites() -> Any:
    from orchestration.defs.quality import suites

    return suites


def failed(validation: Any) -> list[str]:
    return [result.expectation_config.type for result in validation.results if not result.success]


def test_data_sync_target_suite_holds_at_the_threshold_and_fails_below(gx_context, suites):
    suite = suites.data_sync_target_suite(0.95)
    frame = pd.DataFrame({"matched_share_of_closed_spend": [0.95]})
    assert gx.validate_frame(suite, frame, "sync_at", gx_context).success
    frame = pd.DataFrame({"matched_share_of_closed_spend": [0.9499]})
    assert failed(gx.validate_frame(suite, frame, "sync_below", gx_context)) == ["expect_column_values_to_be_between"]


def test_tracking_and_mape_suites_take_their_thresholds(gx_context, suites):
    tracking = suites.budget_tracking_target_suite(0.90)
    assert gx.validate_frame(
        tracking, pd.DataFrame({"tracked_share_of_closed_line_periods": [0.978]}), "tracking", gx_context
    ).success
    assert not gx.validate_frame(
        tracking, pd.DataFrame({"tracked_share_of_closed_line_periods": [0.89]}), "tracking", gx_context
    ).success
    mape = suites.pacing_backtest_suite(0.10)
    assert gx.validate_frame(mape, pd.DataFrame({"mape_day_20": [0.0115]}), "mape", gx_context).success
    assert not gx.validate_frame(mape, pd.DataFrame({"mape_day_20": [0.11]}), "mape", gx_context).success


def reconciliation_rows(**changes: Any) -> pd.DataFrame:
    """Three consistent rows: matched within tolerance, a 3 % overbilling, a missing invoice."""
    rows = pd.DataFrame(
        {
            "status": ["matched", "mismatched", "missing_invoice"],
            "currency": ["USD", "USD", "EUR"],
            "reporting_currency": ["USD", "USD", "USD"],
            "platform_spend": [207385.79, 16155.31, 13525.49],
            "invoiced_amount": [207386.16, 16639.97, None],
            "platform_spend_rc": [207385.79, 16155.31, 13713.06],
            "tolerance_amount": [2073.8616, 166.3997, None],
            "abs_difference": [0.37, 484.66, 13525.49],
            "difference_error": [0.0, 0.0, 0.0],
        }
    )
    for column, (row, value) in changes.items():
        rows.loc[row, column] = value
    return rows


def test_spend_reconciliation_suite_passes_consistent_rows(gx_context, suites):
    validation = gx.validate_frame(
        suites.spend_reconciliation_suite("USD"), reconciliation_rows(), "reconciliation", gx_context
    )
    assert validation.success, failed(validation)


@pytest.mark.parametrize(
    ("change", "expectation"),
    [
        ({"abs_difference": (0, 2500.0)}, "expect_column_pair_values_a_to_be_greater_than_b"),  # matched, too far
        ({"abs_difference": (1, 100.0)}, "expect_column_pair_values_a_to_be_greater_than_b"),  # mismatched, close
        ({"difference_error": (1, 0.01)}, "expect_column_values_to_be_between"),  # difference != invoiced - spend
        ({"status": (2, "pending")}, "expect_column_values_to_be_in_set"),
        ({"invoiced_amount": (2, 13525.49)}, "expect_column_values_to_be_null"),  # missing invoice with an amount
    ],
)
def test_spend_reconciliation_suite_catches_a_broken_rule(gx_context, suites, change, expectation):
    validation = gx.validate_frame(
        suites.spend_reconciliation_suite("USD"), reconciliation_rows(**change), "reconciliation", gx_context
    )
    assert failed(validation) == [expectation]


def test_budget_vs_actual_suite(gx_context, suites):
    rows = pd.DataFrame(
        {
            "reporting_currency": ["USD", "USD"],
            "budget_currency": ["USD", None],
            "actual_source": ["booked", "platform"],
            "is_closed": [True, False],
            "is_tracked": [True, None],
            "budget_rc": [100000.0, 0.0],
            "actual_choice_error": [0.0, 0.0],
            "variance_error": [0.0, 0.0],
        }
    )
    suite = suites.budget_vs_actual_suite("USD")
    validation = gx.validate_frame(suite, rows, "budget_vs_actual", gx_context)
    assert validation.success, failed(validation)
    negative_budget = rows.assign(budget_rc=[-1.0, 0.0])
    assert failed(gx.validate_frame(suite, negative_budget, "budget_vs_actual", gx_context)) == [
        "expect_column_values_to_be_between"
    ]
    untracked_closed = rows.assign(is_tracked=[None, None])
    assert failed(gx.validate_frame(suite, untracked_closed, "budget_vs_actual", gx_context)) == [
        "expect_column_values_to_not_be_null"
    ]


# ---------------------------------------------------------------- settings


def test_finance_settings_defaults_reach_dbt(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ROI_REPORTING_CURRENCY", raising=False)
    variables = settings.dbt_vars(settings.RoiConfig())
    assert variables["as_of_date"] is None
    assert variables["period_close_grace_days"] == 10
    assert variables["fiscal_year_start_month"] == 1
    assert variables["pacing_profile_weeks"] == 4


def test_every_dbt_var_has_the_same_default_in_dbt_project_yml(monkeypatch: pytest.MonkeyPatch):
    """A plain ``dbt build`` must give the numbers the pipeline gives on default settings."""
    monkeypatch.delenv("ROI_REPORTING_CURRENCY", raising=False)
    project = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    assert settings.dbt_vars(settings.RoiConfig()) == project["vars"]


def test_the_shipped_config_file_is_the_defaults_for_finance():
    shipped = settings.load_config(REPO / "config" / "roi.yml")
    defaults = settings.RoiConfig()
    for section in ("periods", "reconciliation", "budget", "pacing"):
        assert getattr(shipped, section) == getattr(defaults, section), section


def test_an_as_of_date_is_passed_to_dbt_as_an_iso_date(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ROI_REPORTING_CURRENCY", raising=False)
    config = settings.RoiConfig.model_validate(
        {"periods": {"as_of_date": "2026-02-10"}, "budget": {"fiscal_year_start_month": 4}}
    )
    variables = settings.dbt_vars(config)
    assert variables["as_of_date"] == "2026-02-10"
    assert variables["fiscal_year_start_month"] == 4


@pytest.mark.parametrize(
    "section",
    [
        {"periods": {"grace_days": 3}},  # a typo is an error, not a silently ignored key
        {"periods": {"as_of_date": "10/02/2026"}},
        {"budget": {"fiscal_year_start_month": 13}},
        {"pacing": {"profile_weeks": 0}},
    ],
)
def test_invalid_finance_settings_are_errors(section: dict[str, Any]):
    with pytest.raises(ValueError):
        settings.RoiConfig.model_validate(section)
