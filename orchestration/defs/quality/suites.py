"""Great Expectations suites, written as code.

Each function returns a suite for one mart; ``orchestration.lib.gx`` saves it
into the file context under ``expectations/`` and validates a frame with it.
"""

from __future__ import annotations

from functools import cache

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd

from orchestration.lib.finance import ACTUAL_SOURCES, RECONCILIATION_STATUSES
from orchestration.lib.ingest import CURRENCY_SEED

# spend_rc is spend x rate rounded to 6 decimals at most; anything beyond is a wrong conversion.
SPEND_RC_TOLERANCE = 0.000001


@cache
def iso_currency_codes() -> tuple[str, ...]:
    return tuple(pd.read_csv(CURRENCY_SEED, dtype=str, keep_default_na=False)["currency_code"].str.strip())


def marketing_spend_daily_suite(reporting_currency: str) -> gx.ExpectationSuite:
    """``marts.fct_marketing_spend_daily``: non-empty, non-negative, known currencies, spend_rc = spend x rate."""
    return gx.ExpectationSuite(
        name="fct_marketing_spend_daily",
        expectations=[
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToNotBeNull(column="spend"),
            gxe.ExpectColumnValuesToNotBeNull(column="spend_rc"),
            gxe.ExpectColumnValuesToBeBetween(column="spend", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="spend_rc", min_value=0),
            gxe.ExpectColumnValuesToBeInSet(column="currency", value_set=list(iso_currency_codes())),
            gxe.ExpectColumnValuesToBeInSet(column="reporting_currency", value_set=[reporting_currency]),
            gxe.ExpectColumnValuesToBeBetween(
                column="spend_rc_conversion_error", min_value=0, max_value=SPEND_RC_TOLERANCE
            ),
        ],
    )


# ---------------------------------------------------------------- finance (reconciliation, budgets, pacing)

# Money columns are compared in double precision; a rule that holds in decimal holds to well within this.
FINANCE_MONEY_TOLERANCE = 0.000001


def spend_reconciliation_suite(reporting_currency: str) -> gx.ExpectationSuite:
    """``marts.fct_spend_reconciliation``: known statuses, difference = invoiced - platform, the tolerance rule."""
    return gx.ExpectationSuite(
        name="fct_spend_reconciliation",
        expectations=[
            gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(RECONCILIATION_STATUSES)),
            gxe.ExpectColumnValuesToBeInSet(column="currency", value_set=list(iso_currency_codes())),
            gxe.ExpectColumnValuesToBeInSet(column="reporting_currency", value_set=[reporting_currency]),
            gxe.ExpectColumnValuesToBeBetween(column="platform_spend_rc", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(
                column="difference_error", min_value=0, max_value=FINANCE_MONEY_TOLERANCE
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="tolerance_amount",
                column_B="abs_difference",
                or_equal=True,
                row_condition='status=="matched"',
                condition_parser="pandas",
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="abs_difference",
                column_B="tolerance_amount",
                or_equal=False,
                row_condition='status=="mismatched"',
                condition_parser="pandas",
            ),
            gxe.ExpectColumnValuesToBeNull(
                column="invoiced_amount", row_condition='status=="missing_invoice"', condition_parser="pandas"
            ),
            gxe.ExpectColumnValuesToBeNull(
                column="platform_spend", row_condition='status=="missing_platform_spend"', condition_parser="pandas"
            ),
        ],
    )


def measured_target_suite(name: str, column: str, minimum: float, maximum: float) -> gx.ExpectationSuite:
    """A target measured as one number: a one-row frame whose ``column`` lies within [minimum, maximum]."""
    return gx.ExpectationSuite(
        name=name,
        expectations=[
            gxe.ExpectTableRowCountToEqual(value=1),
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=minimum, max_value=maximum),
        ],
    )


def data_sync_target_suite(sync_target: float) -> gx.ExpectationSuite:
    """The data sync target: the matched share of closed-period platform spend is at least ``sync_target``."""
    return measured_target_suite("data_sync_target", "matched_share_of_closed_spend", sync_target, 1.0)


def budget_vs_actual_suite(reporting_currency: str) -> gx.ExpectationSuite:
    """``marts.fct_budget_vs_actual``: budgets >= 0, booked-else-platform, variance = actual - budget, tracking."""
    return gx.ExpectationSuite(
        name="fct_budget_vs_actual",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="budget_rc"),
            gxe.ExpectColumnValuesToBeBetween(column="budget_rc", min_value=0),
            gxe.ExpectColumnValuesToBeInSet(column="actual_source", value_set=list(ACTUAL_SOURCES)),
            gxe.ExpectColumnValuesToBeInSet(column="reporting_currency", value_set=[reporting_currency]),
            gxe.ExpectColumnValuesToBeInSet(column="budget_currency", value_set=list(iso_currency_codes())),
            gxe.ExpectColumnValuesToBeBetween(
                column="actual_choice_error", min_value=0, max_value=FINANCE_MONEY_TOLERANCE
            ),
            gxe.ExpectColumnValuesToBeBetween(column="variance_error", min_value=0, max_value=FINANCE_MONEY_TOLERANCE),
            gxe.ExpectColumnValuesToNotBeNull(
                column="is_tracked", row_condition="is_closed==True", condition_parser="pandas"
            ),
            gxe.ExpectColumnValuesToBeNull(
                column="is_tracked", row_condition="is_closed==False", condition_parser="pandas"
            ),
        ],
    )


def budget_tracking_target_suite(tracking_target: float) -> gx.ExpectationSuite:
    """The budget tracking target: the tracked share of closed budget line-periods is at least ``tracking_target``."""
    return measured_target_suite("budget_tracking_target", "tracked_share_of_closed_line_periods", tracking_target, 1.0)


def pacing_backtest_suite(mape_warning: float) -> gx.ExpectationSuite:
    """The pacing backtest: the mean absolute percentage error at day 20 is at most ``mape_warning``."""
    return measured_target_suite("pacing_backtest_mape", "mape_day_20", 0.0, mape_warning)


# ---------------------------------------------------------------- attribution (ROI by channel)

# roi and its interval come from different computations (SQL decimals, bootstrap quantiles): a bracket
# that holds exactly holds to within this.
ROI_INTERVAL_TOLERANCE = 1e-9


def roi_by_channel_suite(attribution_models: list[str]) -> gx.ExpectationSuite:
    """``marts.fct_roi_by_channel``: one row per model x channel x month, non-negative conversions, spend,
    ROAS and CAC, the interval brackets ROI, and no ratio where there is no spend.

    The frame carries three derived columns: ``roi_above_ci_low`` (roi - roi_ci_low),
    ``roi_below_ci_high`` (roi_ci_high - roi) and ``has_ratio_without_spend``.
    """
    return gx.ExpectationSuite(
        name="fct_roi_by_channel",
        expectations=[
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["attribution_model", "channel", "period"]),
            gxe.ExpectColumnValuesToBeInSet(column="attribution_model", value_set=attribution_models),
            gxe.ExpectColumnValuesToMatchRegex(column="period", regex=r"^\d{4}-(?:0[1-9]|1[0-2])$"),
            gxe.ExpectColumnValuesToBeBetween(column="conversions", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="spend_rc", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="roas", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="cac", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="roi_above_ci_low", min_value=-ROI_INTERVAL_TOLERANCE),
            gxe.ExpectColumnValuesToBeBetween(column="roi_below_ci_high", min_value=-ROI_INTERVAL_TOLERANCE),
            gxe.ExpectColumnValuesToBeInSet(column="has_ratio_without_spend", value_set=[False]),
            gxe.ExpectColumnValuesToBeNull(
                column="roi", row_condition='channel=="unattributed"', condition_parser="pandas"
            ),
        ],
    )
