"""A scenario's channel totals as month x budget-line rows: shares worked by hand."""

import pandas as pd
import pytest

from orchestration.lib.optimisation.proposal import BUDGET_COLUMNS, fiscal_periods, period_days, propose

PERIODS = fiscal_periods(2026)


def budget(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["fiscal_period", "budget_line_id", "channel", "budget_rc"])


def spend(rows: list[tuple[int, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["month", "budget_line_id", "channel", "spend_rc"])


def test_fiscal_periods_follow_the_start_month():
    assert fiscal_periods(2026) == [f"2026-{month:02d}" for month in range(1, 13)]
    assert fiscal_periods(2025, 4)[0] == "2025-04" and fiscal_periods(2025, 4)[-1] == "2026-03"
    # 2024 is a leap year; FY2023 from April holds February 2024, FY2025 from April does not
    assert period_days(fiscal_periods(2024)) == 366 and period_days(fiscal_periods(2023, 4)) == 366
    assert period_days(fiscal_periods(2025, 4)) == 365


def test_shares_come_from_the_current_budget_lines_and_months():
    # paid_social has two lines: B2B 100 + 300 in Jan/Feb, SOCIAL 600 in Jan; a 2,000 total splits 10/30/60 %
    current = budget(
        [
            ("2026-01", "BL-B2B", "paid_social", 100.0),
            ("2026-02", "BL-B2B", "paid_social", 300.0),
            ("2026-01", "BL-SOCIAL", "paid_social", 600.0),
            ("2025-12", "BL-SOCIAL", "paid_social", 9999.0),  # another fiscal year: ignored
        ]
    )
    proposal = propose({"paid_social": 2000.0}, PERIODS, current, spend([]), budget_version="FY2026_x", currency="USD")
    rows = proposal.rows
    assert list(rows.columns) == list(BUDGET_COLUMNS)
    assert rows[["fiscal_period", "budget_line_id", "amount"]].values.tolist() == [
        ["2026-01", "BL-B2B", 200.0],
        ["2026-01", "BL-SOCIAL", 1200.0],
        ["2026-02", "BL-B2B", 600.0],
    ]
    assert set(rows["budget_version"]) == {"FY2026_x"} and set(rows["approved_at"]) == {""}
    assert proposal.unplaced_channels == ()


def test_without_a_current_budget_the_window_s_spend_by_calendar_month_gives_the_shares():
    window_spend = spend(
        [(3, "BL-TV", "offline", 1.0), (4, "BL-TV", "offline", 2.0), (5, "BL-SEARCH", "paid_search", 5.0)]
    )
    proposal = propose(
        {"offline": 300.0, "display": 50.0}, PERIODS, budget([]), window_spend, budget_version="v", currency="USD"
    )
    assert proposal.rows[["fiscal_period", "amount"]].values.tolist() == [["2026-03", 100.0], ["2026-04", 200.0]]
    # display has neither a budget nor spend: reported, not guessed
    assert proposal.unplaced_channels == ("display",)


def test_cents_add_up_to_the_channel_total():
    current = budget([(period, "BL-A", "affiliate", 1.0) for period in PERIODS])
    proposal = propose({"affiliate": 1000.0}, PERIODS, current, spend([]), budget_version="v", currency="USD")
    # 1000 / 12 = 83.33 a month; the 0.04 left over goes to one month
    assert proposal.rows["amount"].sum() == pytest.approx(1000.0, abs=1e-9)
    assert sorted(proposal.rows["amount"].unique().tolist()) == [83.33, 83.37]


def test_a_channel_cut_to_zero_writes_zeros_over_its_current_lines():
    current = budget([("2026-01", "BL-D", "display", 50.0), ("2026-02", "BL-D", "display", 0.0)])
    proposal = propose({"display": 0.0}, PERIODS, current, spend([]), budget_version="v", currency="USD")
    assert proposal.rows["amount"].tolist() == [0.0, 0.0]


def test_a_budget_line_shared_by_two_channels_is_refused():
    current = budget([("2026-01", "BL-X", "display", 1.0), ("2026-01", "BL-X", "video", 1.0)])
    with pytest.raises(ValueError, match="more than one channel"):
        propose({"display": 10.0, "video": 10.0}, PERIODS, current, spend([]), budget_version="v", currency="USD")
