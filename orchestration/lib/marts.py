"""The figures reports and alerts quote, read from the marts as typed rows.

Every number here is a mart column (summed at most over the rows of the
period it describes, with the mart's own formula for ratios); nothing is
recomputed another way. Periods and models are bound parameters; table and
column names are constants of this module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from orchestration.lib.periods import ReportingPeriod, month_key


class NoDataForPeriodError(LookupError):
    """The warehouse holds nothing for the requested period (yet)."""


@dataclass(frozen=True)
class PeriodInfo:
    fiscal_period: str
    period_status: str  # closed, open, future
    is_closed: bool
    as_of_date: dt.date
    days_elapsed: int
    days_in_period: int


@dataclass(frozen=True)
class BudgetLine:
    fiscal_period: str
    budget_line_id: str
    channel: str
    budget_version: str | None
    budget_rc: float | None
    platform_actual_rc: float
    booked_actual_rc: float
    actual_rc: float
    actual_source: str
    variance_rc: float | None
    variance_pct: float | None
    is_over_budget: bool | None
    is_closed: bool


@dataclass(frozen=True)
class ChannelBudget:
    channel: str
    budget_rc: float | None
    actual_rc: float
    variance_rc: float | None
    variance_pct: float | None


@dataclass(frozen=True)
class PacingLine:
    as_of_date: dt.date
    fiscal_period: str
    budget_line_id: str
    channel: str
    day_of_period: int
    days_in_period: int
    budget_rc: float | None
    spend_to_date_rc: float
    projected_spend_rc: float
    projected_variance_pct: float | None
    pacing_status: str


@dataclass(frozen=True)
class ChannelRoi:
    attribution_model: str
    channel: str
    period: str
    spend_rc: float
    conversions: float
    attributed_revenue_rc: float
    attributed_margin_rc: float
    roas: float | None
    roi: float | None
    roi_ci_low: float | None
    roi_ci_high: float | None
    cac: float | None


@dataclass(frozen=True)
class CampaignRoi:
    attribution_model: str
    platform: str
    campaign_id: str
    campaign_name: str | None
    channel: str | None
    period: str
    spend_rc: float
    conversions: float
    roas: float | None
    roi: float | None
    roi_ci_low: float | None
    roi_ci_high: float | None
    cac: float | None


@dataclass(frozen=True)
class ReconciliationLine:
    platform: str
    platform_account_id: str
    billing_period: str
    currency: str
    platform_spend: float | None
    invoiced_amount: float | None
    difference: float
    difference_rc: float | None
    status: str
    is_closed: bool
    platform_spend_rc: float | None = None
    next_step: str | None = None


@dataclass(frozen=True)
class SyncRate:
    """Share of platform spend (reporting currency) whose account-month is matched, closed periods only."""

    billing_period: str  # a month, or "all" for every closed period
    matched_spend_rc: float
    total_spend_rc: float

    @property
    def rate(self) -> float | None:
        return self.matched_spend_rc / self.total_spend_rc if self.total_spend_rc else None


@dataclass(frozen=True)
class CampaignSpend:
    platform: str
    campaign_id: str
    campaign_name: str | None
    channel: str | None
    budget_line_id: str | None
    spend_rc: float
    previous_spend_rc: float
    impressions: float
    clicks: float
    platform_conversions: float
    platform_conversion_value: float


@dataclass(frozen=True)
class DailyChannelSpend:
    spend_date: dt.date
    channel: str
    spend_rc: float


@dataclass(frozen=True)
class CheckResultRow:
    """One data-quality result (``audit.dq_results`` or a Dagster asset check evaluation)."""

    check_name: str
    asset_key: str
    passed: bool
    severity: str  # ERROR or WARN
    value: float | None = None
    threshold: float | None = None
    description: str = ""
    kind: str = "integrity"  # or "target": a business target (orchestration/lib/checks.py)
    status: str = ""  # passed, failed, missed or not_measurable; "" when the check does not say


@dataclass(frozen=True)
class UnbudgetedSpend:
    """Spend of one campaign in one month that no budget authorises, for one reason (``fct_unbudgeted_spend``)."""

    fiscal_period: str
    platform: str
    campaign_id: str
    campaign_name: str | None
    budget_line_id: str | None
    reason: str  # no_budget_line, outside_flight_dates or no_current_budget
    days: int
    spend_rc: float


@dataclass(frozen=True)
class TeamPerformance:
    """One owner team's month (``fct_team_budget_performance``)."""

    owner_team: str
    fiscal_period: str
    budget_rc: float
    actual_rc: float
    variance_rc: float
    variance_pct: float | None
    spend_rc: float
    unbudgeted_rc: float
    attributed_revenue_rc: float
    roi: float | None


@dataclass(frozen=True)
class HeldRestatements:
    """Restated rows of one closed month of one source, held instead of applied (``audit.held_restatements``)."""

    source: str
    period: str
    rows: int
    files: int


def fetch[Row](
    connection: duckdb.DuckDBPyConnection, row_type: type[Row], sql: str, params: Sequence[Any] = ()
) -> list[Row]:
    """Rows of ``sql`` as ``row_type``, columns matched to fields by name; decimals become floats."""
    cursor = connection.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    fields = {field.name for field in dataclasses.fields(row_type)}  # type: ignore[arg-type]
    rows = []
    for values in cursor.fetchall():
        record = {name: _plain(value) for name, value in zip(names, values, strict=True) if name in fields}
        rows.append(row_type(**record))
    return rows


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | dt.date):
        return value
    try:
        return float(value)  # Decimal
    except (TypeError, ValueError):
        return value


def existing_relations(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """``schema.name`` of every table and view in the warehouse."""
    rows = connection.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = current_database()"
    ).fetchall()
    return {name for (name,) in rows}


# --- periods -----------------------------------------------------------------------------------------------


def data_as_of(connection: duckdb.DuckDBPyConnection, relations: set[str]) -> dt.date | None:
    """The day the data is as of: ``int_periods.as_of_date`` (else the latest spend date)."""
    if "intermediate.int_periods" in relations:
        row = connection.execute("select max(as_of_date) from intermediate.int_periods").fetchone()
    else:
        row = connection.execute("select max(spend_date) from marts.fct_marketing_spend_daily").fetchone()
    return None if row is None else row[0]


def period_info(connection: duckdb.DuckDBPyConnection, relations: set[str], period: str) -> PeriodInfo | None:
    if "intermediate.int_periods" not in relations:
        return None
    rows = fetch(
        connection,
        PeriodInfo,
        "select fiscal_period, period_status, is_closed, as_of_date, days_elapsed, days_in_period "
        "from intermediate.int_periods where fiscal_period = ?",
        [period],
    )
    return rows[0] if rows else None


def open_period(connection: duckdb.DuckDBPyConnection, relations: set[str]) -> str | None:
    """The latest period that is open (the one the data's as-of day falls in)."""
    if "intermediate.int_periods" in relations:
        row = connection.execute(
            "select max(fiscal_period) from intermediate.int_periods where period_status = 'open'"
        ).fetchone()
        if row and row[0]:
            return row[0]
    as_of = data_as_of(connection, relations)
    return None if as_of is None else month_key(as_of)


def recent_periods(connection: duckdb.DuckDBPyConnection, relations: set[str], count: int) -> list[str]:
    """The latest ``count`` periods up to the data's as-of month, newest first."""
    as_of = data_as_of(connection, relations)
    if as_of is None:
        return []
    keys = []
    day = as_of.replace(day=1)
    for _ in range(count):
        keys.append(month_key(day))
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return keys


def latest_closed_period(connection: duckdb.DuckDBPyConnection, relations: set[str]) -> str | None:
    if "intermediate.int_periods" in relations:
        row = connection.execute("select max(fiscal_period) from intermediate.int_periods where is_closed").fetchone()
    else:
        row = connection.execute("select max(fiscal_period) from marts.fct_budget_vs_actual where is_closed").fetchone()
    return None if row is None else row[0]


# --- finance -------------------------------------------------------------------------------------------------

_BUDGET_LINE_COLUMNS = """
    fiscal_period, budget_line_id, channel, budget_version,
    cast(budget_rc as double) as budget_rc,
    cast(platform_actual_rc as double) as platform_actual_rc,
    cast(booked_actual_rc as double) as booked_actual_rc,
    cast(actual_rc as double) as actual_rc, actual_source,
    cast(variance_rc as double) as variance_rc, variance_pct, is_over_budget, is_closed
"""


def budget_lines(connection: duckdb.DuckDBPyConnection, periods: Sequence[str]) -> list[BudgetLine]:
    """``fct_budget_vs_actual`` rows of the given periods."""
    return fetch(
        connection,
        BudgetLine,
        f"select {_BUDGET_LINE_COLUMNS} from marts.fct_budget_vs_actual "  # noqa: S608 - constant columns
        "where list_contains(?, fiscal_period) order by fiscal_period, budget_line_id",
        [list(periods)],
    )


def unbudgeted_spend(connection: duckdb.DuckDBPyConnection, periods: Sequence[str]) -> list[UnbudgetedSpend]:
    """``fct_unbudgeted_spend`` of the given periods, per campaign and reason."""
    return fetch(
        connection,
        UnbudgetedSpend,
        """
        select fiscal_period, platform, campaign_id, any_value(campaign_name) as campaign_name,
            any_value(budget_line_id) as budget_line_id, reason, count(*) as days,
            cast(sum(spend_rc) as double) as spend_rc
        from marts.fct_unbudgeted_spend
        where list_contains(?, fiscal_period)
        group by fiscal_period, platform, campaign_id, reason
        order by fiscal_period, spend_rc desc, platform, campaign_id
        """,
        [list(periods)],
    )


def team_performance(connection: duckdb.DuckDBPyConnection, period: str) -> list[TeamPerformance]:
    """The month's rows of ``fct_team_budget_performance``, largest budget or spend first."""
    return fetch(
        connection,
        TeamPerformance,
        """
        select owner_team, fiscal_period, cast(budget_rc as double) as budget_rc,
            cast(actual_rc as double) as actual_rc, cast(variance_rc as double) as variance_rc, variance_pct,
            cast(spend_rc as double) as spend_rc, cast(unbudgeted_rc as double) as unbudgeted_rc,
            cast(attributed_revenue_rc as double) as attributed_revenue_rc, roi
        from marts.fct_team_budget_performance
        where fiscal_period = ?
        order by greatest(budget_rc, spend_rc) desc, owner_team
        """,
        [period],
    )


def business_targets(connection: duckdb.DuckDBPyConnection) -> list[CheckResultRow]:
    """The business targets of the latest run that recorded checks (met, missed or not measurable)."""
    return [row for row in latest_check_results(connection) if row.kind == "target"]


def channel_budgets(connection: duckdb.DuckDBPyConnection, period: str) -> list[ChannelBudget]:
    """The month's roll-up by channel (``fct_budget_vs_actual_by_channel``)."""
    return fetch(
        connection,
        ChannelBudget,
        """
        select channel, cast(budget_rc as double) as budget_rc, cast(actual_rc as double) as actual_rc,
            cast(variance_rc as double) as variance_rc, variance_pct
        from marts.fct_budget_vs_actual_by_channel
        where period_grain = 'month' and period_label = ?
        order by coalesce(budget_rc, 0) + actual_rc desc, channel
        """,
        [period],
    )


def latest_pacing(connection: duckdb.DuckDBPyConnection, as_of_date: dt.date | None = None) -> list[PacingLine]:
    """Pacing as of ``as_of_date`` (default: the latest day, ``is_latest``)."""
    condition, params = ("is_latest", []) if as_of_date is None else ("as_of_date = ?", [as_of_date])
    return fetch(
        connection,
        PacingLine,
        f"""
        select as_of_date, fiscal_period, budget_line_id, channel, day_of_period, days_in_period,
            cast(budget_rc as double) as budget_rc, cast(spend_to_date_rc as double) as spend_to_date_rc,
            cast(projected_spend_rc as double) as projected_spend_rc, projected_variance_pct, pacing_status
        from marts.fct_budget_pacing
        where {condition}
        order by fiscal_period, budget_line_id
        """,  # noqa: S608 - one of two constant conditions
        params,
    )


_RECONCILIATION_COLUMNS = """
    platform, platform_account_id, billing_period, currency,
    cast(platform_spend as double) as platform_spend, cast(invoiced_amount as double) as invoiced_amount,
    cast(difference as double) as difference, cast(difference_rc as double) as difference_rc, status, is_closed
"""


def reconciliation(connection: duckdb.DuckDBPyConnection, periods: Sequence[str]) -> list[ReconciliationLine]:
    """``fct_spend_reconciliation`` rows of the given billing periods, largest difference first."""
    return fetch(
        connection,
        ReconciliationLine,
        f"select {_RECONCILIATION_COLUMNS}, cast(platform_spend_rc as double) as platform_spend_rc "  # noqa: S608
        "from marts.fct_spend_reconciliation where list_contains(?, billing_period) "
        "order by abs(coalesce(difference_rc, difference)) desc, platform, platform_account_id, billing_period",
        [list(periods)],
    )


def reconciliation_exceptions(connection: duckdb.DuckDBPyConnection, relations: set[str]) -> list[ReconciliationLine]:
    """The finance work list: ``fct_spend_reconciliation_exceptions`` (unmatched, closed-period rows)."""
    if "marts.fct_spend_reconciliation_exceptions" in relations:
        return fetch(
            connection,
            ReconciliationLine,
            f"select {_RECONCILIATION_COLUMNS}, next_step "  # noqa: S608 - constant columns
            "from marts.fct_spend_reconciliation_exceptions order by exception_rank",
        )
    return fetch(
        connection,
        ReconciliationLine,
        f"select {_RECONCILIATION_COLUMNS} from marts.fct_spend_reconciliation "  # noqa: S608 - constant columns
        "where status <> 'matched' and is_closed order by abs(coalesce(difference_rc, difference)) desc",
    )


def sync_rates(connection: duckdb.DuckDBPyConnection, up_to_period: str, months: int) -> list[SyncRate]:
    """The data sync rate of each closed billing period up to ``up_to_period`` (the latest ``months``)."""
    rows = fetch(
        connection,
        SyncRate,
        """
        select billing_period,
            coalesce(cast(sum(platform_spend_rc) filter (where status = 'matched') as double), 0)
                as matched_spend_rc,
            coalesce(cast(sum(platform_spend_rc) as double), 0) as total_spend_rc
        from marts.fct_spend_reconciliation
        where is_closed and billing_period <= ?
        group by billing_period
        order by billing_period desc
        limit ?
        """,
        [up_to_period, months],
    )
    return sorted(rows, key=lambda row: row.billing_period)


def overall_sync_rate(connection: duckdb.DuckDBPyConnection) -> SyncRate:
    """The sync rate over every closed period (what the finance sync-target check measures)."""
    return fetch(
        connection,
        SyncRate,
        """
        select 'all' as billing_period,
            coalesce(cast(sum(platform_spend_rc) filter (where status = 'matched') as double), 0)
                as matched_spend_rc,
            coalesce(cast(sum(platform_spend_rc) as double), 0) as total_spend_rc
        from marts.fct_spend_reconciliation
        where is_closed
        """,
    )[0]


# --- attribution ---------------------------------------------------------------------------------------------


def channel_roi(connection: duckdb.DuckDBPyConnection, period: str) -> list[ChannelRoi]:
    """``fct_roi_by_channel`` of the month, every model, channels with spend."""
    return fetch(
        connection,
        ChannelRoi,
        """
        select attribution_model, channel, period, cast(spend_rc as double) as spend_rc,
            cast(conversions as double) as conversions,
            cast(attributed_revenue_rc as double) as attributed_revenue_rc,
            cast(attributed_margin_rc as double) as attributed_margin_rc,
            roas, roi, roi_ci_low, roi_ci_high, cac
        from marts.fct_roi_by_channel
        where period = ? and spend_rc > 0
        order by channel, attribution_model
        """,
        [period],
    )


def campaign_roi(connection: duckdb.DuckDBPyConnection, period: str, model: str) -> list[CampaignRoi]:
    """``fct_roi_by_campaign`` of the month for one model, campaigns with spend."""
    return fetch(
        connection,
        CampaignRoi,
        """
        select attribution_model, platform, campaign_id, campaign_name, channel, period,
            cast(spend_rc as double) as spend_rc, cast(conversions as double) as conversions,
            roas, roi, roi_ci_low, roi_ci_high, cac
        from marts.fct_roi_by_campaign
        where period = ? and attribution_model = ? and spend_rc > 0
        order by spend_rc desc, platform, campaign_id
        """,
        [period, model],
    )


# --- marketing spend ------------------------------------------------------------------------------------------


def campaign_spend(connection: duckdb.DuckDBPyConnection, period: ReportingPeriod) -> list[CampaignSpend]:
    """Spend per campaign in the period (``fct_marketing_spend_daily``), with the previous period's spend."""
    length = (period.last_date - period.first_date).days + 1
    previous_first = period.first_date - dt.timedelta(days=length)
    return fetch(
        connection,
        CampaignSpend,
        """
        with spend as (
            select * from marts.fct_marketing_spend_daily where spend_date between ? and ?
        ),
        by_campaign as (
            select
                platform, campaign_id, any_value(channel) as channel, any_value(budget_line_id) as budget_line_id,
                coalesce(cast(sum(spend_rc) filter (where spend_date >= ?) as double), 0) as spend_rc,
                coalesce(cast(sum(spend_rc) filter (where spend_date < ?) as double), 0) as previous_spend_rc,
                coalesce(cast(sum(impressions) filter (where spend_date >= ?) as double), 0) as impressions,
                coalesce(cast(sum(clicks) filter (where spend_date >= ?) as double), 0) as clicks,
                coalesce(cast(sum(platform_conversions) filter (where spend_date >= ?) as double), 0)
                    as platform_conversions,
                coalesce(cast(sum(platform_conversion_value) filter (where spend_date >= ?) as double), 0)
                    as platform_conversion_value
            from spend
            group by platform, campaign_id
        )
        select by_campaign.*, campaigns.campaign_name
        from by_campaign
        left join marts.dim_campaigns as campaigns
            on by_campaign.platform = campaigns.platform and by_campaign.campaign_id = campaigns.campaign_id
        where by_campaign.spend_rc <> 0 or by_campaign.previous_spend_rc <> 0
        order by by_campaign.spend_rc desc, by_campaign.platform, by_campaign.campaign_id
        """,
        [previous_first, period.last_date, *([period.first_date] * 6)],
    )


def daily_channel_spend(connection: duckdb.DuckDBPyConnection, period: ReportingPeriod) -> list[DailyChannelSpend]:
    return fetch(
        connection,
        DailyChannelSpend,
        """
        select spend_date, coalesce(channel, 'unknown') as channel, cast(sum(spend_rc) as double) as spend_rc
        from marts.fct_marketing_spend_daily
        where spend_date between ? and ?
        group by all
        order by spend_date, channel
        """,
        [period.first_date, period.last_date],
    )


# --- data quality -----------------------------------------------------------------------------------------------


def held_restatements(connection: duckdb.DuckDBPyConnection) -> list[HeldRestatements]:
    """Per source and month ever held: the restated rows still waiting (0 once released by a reopening)."""
    return fetch(
        connection,
        HeldRestatements,
        """
        select source, period,
            count(*) filter (where status = 'held') as rows,
            count(distinct file_name) filter (where status = 'held') as files
        from audit.held_restatements
        group by source, period
        order by source, period
        """,
    )


def latest_check_results(connection: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[CheckResultRow]:
    """``audit.dq_results`` of one run (default: the latest run that recorded any)."""
    if run_id is None:
        row = connection.execute(
            "select run_id from audit.dq_results where run_id is not null order by evaluated_at desc limit 1"
        ).fetchone()
        if row is None:
            return []
        run_id = row[0]
    return fetch(
        connection,
        CheckResultRow,
        """
        select check_name, asset_key, passed, upper(severity) as severity, measured_value as value, threshold,
            coalesce(json_extract_string(details, '$.description'), '') as description,
            coalesce(json_extract_string(details, '$.kind'), 'integrity') as kind,
            coalesce(json_extract_string(details, '$.status'), '') as status
        from audit.dq_results
        where run_id = ?
        order by asset_key, check_name
        """,
        [run_id],
    )


# --- budget scenarios ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetScenario:
    scenario: str
    objective: str
    window_start: dt.date
    window_end: dt.date
    interval_level: float
    current_spend_rc: float
    recommended_spend_rc: float
    net_uplift_rc: float
    net_uplift_ci_low_rc: float
    net_uplift_ci_high_rc: float
    margin_uplift_rc: float
    probability_of_improvement: float
    is_extrapolated: bool


@dataclass(frozen=True)
class ScenarioChannel:
    scenario: str
    channel: str
    current_spend_rc: float
    recommended_spend_rc: float
    change_rc: float
    is_extrapolated: bool


def budget_scenarios(
    connection: duckdb.DuckDBPyConnection, relations: set[str]
) -> tuple[list[BudgetScenario], list[ScenarioChannel]]:
    """The optimised budget scenarios and their channel moves (none while no model is fitted)."""
    if not {"marts.fct_budget_scenario_summary", "marts.fct_budget_scenarios"} <= relations:
        return [], []
    scenarios = fetch(
        connection,
        BudgetScenario,
        "select * from marts.fct_budget_scenario_summary where status = 'optimised' order by scenario",
    )
    channels = fetch(connection, ScenarioChannel, "select * from marts.fct_budget_scenarios order by scenario, channel")
    return scenarios, channels


# --- incrementality (marketing-mix model) -----------------------------------------------------------------------


@dataclass(frozen=True)
class MmmChannelRoi:
    channel: str
    period: str
    spend_rc: float
    incremental_revenue_rc: float
    incremental_revenue_ci_low_rc: float
    incremental_revenue_ci_high_rc: float
    roi: float | None
    roi_ci_low: float | None
    roi_ci_high: float | None
    mroi: float | None
    attribution_roi: float | None
    is_attribution_outside: bool | None


@dataclass(frozen=True)
class ResponsePoint:
    channel: str
    daily_spend_rc: float
    average_daily_spend_rc: float
    incremental_revenue_per_day_rc: float
    incremental_revenue_per_day_ci_low_rc: float
    incremental_revenue_per_day_ci_high_rc: float
    is_extrapolated: bool


def mmm_channel_roi(
    connection: duckdb.DuckDBPyConnection, relations: set[str], period: str, model: str
) -> list[MmmChannelRoi]:
    """The MMM's ROI of the month per channel, beside the chosen attribution model's (none before a fit)."""
    if not {"marts.fct_mmm_channel_roi", "marts.fct_roi_by_channel"} <= relations:
        return []
    return fetch(
        connection,
        MmmChannelRoi,
        """
        select mmm.channel, mmm.period, mmm.spend_rc, mmm.incremental_revenue_rc,
            mmm.incremental_revenue_ci_low_rc, mmm.incremental_revenue_ci_high_rc,
            mmm.roi, mmm.roi_ci_low, mmm.roi_ci_high, mmm.mroi,
            attribution.roi as attribution_roi,
            attribution.roi not between mmm.roi_ci_low and mmm.roi_ci_high as is_attribution_outside
        from marts.fct_mmm_channel_roi as mmm
        left join marts.fct_roi_by_channel as attribution
            on attribution.channel = mmm.channel and attribution.period = mmm.period
            and attribution.attribution_model = ?
        where mmm.period_type = 'month' and mmm.period = ? and mmm.spend_rc > 0
        order by mmm.spend_rc desc
        """,
        [model, period],
    )


def response_curves(connection: duckdb.DuckDBPyConnection, relations: set[str]) -> list[ResponsePoint]:
    if "marts.fct_mmm_response_curves" not in relations:
        return []
    return fetch(
        connection,
        ResponsePoint,
        """
        select channel, daily_spend_rc, average_daily_spend_rc, incremental_revenue_per_day_rc,
            incremental_revenue_per_day_ci_low_rc, incremental_revenue_per_day_ci_high_rc, is_extrapolated
        from marts.fct_mmm_response_curves
        order by channel, spend_level
        """,
    )


# --- spend plausibility ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendAnomaly:
    """One campaign's flagged spend days of one month (``audit.spend_anomalies``), led by its largest score."""

    fiscal_period: str
    platform: str
    campaign_id: str
    currency: str
    days: int
    spend_date: dt.date  # the day with the largest score
    spend: float
    median_spend: float
    robust_score: float
    threshold: float
    direction: str  # above or below the campaign's usual day
    source_file: str | None


def spend_anomalies(connection: duckdb.DuckDBPyConnection, periods: Sequence[str] | None = None) -> list[SpendAnomaly]:
    """Flagged spend days per campaign and month (of ``periods``, or all), the highest-scoring day's figures."""
    return fetch(
        connection,
        SpendAnomaly,
        """
        with

        flagged as (
            select *, strftime(spend_date, '%Y-%m') as fiscal_period
            from audit.spend_anomalies
        ),

        ranked as (
            select *,
                count(*) over (partition by fiscal_period, platform, campaign_id, currency) as days,
                row_number() over (
                    partition by fiscal_period, platform, campaign_id, currency
                    order by robust_score desc, spend_date
                ) as score_rank
            from flagged
            where ? is null or list_contains(?, fiscal_period)
        )

        select fiscal_period, platform, campaign_id, currency, days, spend_date, spend, median_spend,
            robust_score, threshold, direction, source_file
        from ranked
        where score_rank = 1
        order by robust_score desc, fiscal_period, platform, campaign_id
        """,
        [None if periods is None else "all", None if periods is None else list(periods)],
    )


@dataclass(frozen=True)
class PipelineInfluence:
    """One channel's pipeline influence in a creation month under one model (``fct_pipeline_influence``)."""

    channel: str
    created_period: str
    opportunities_created: float
    pipeline_amount_rc: float
    opportunities_won: float
    won_amount_rc: float


def pipeline_influence(connection: duckdb.DuckDBPyConnection, period: str, model: str) -> list[PipelineInfluence]:
    """The month's pipeline influence per channel under ``model``, largest pipeline first."""
    return fetch(
        connection,
        PipelineInfluence,
        """
        select channel, created_period, opportunities_created, cast(pipeline_amount_rc as double) as pipeline_amount_rc,
            opportunities_won, cast(won_amount_rc as double) as won_amount_rc
        from marts.fct_pipeline_influence
        where created_period = ? and attribution_model = ?
        order by pipeline_amount_rc desc, channel
        """,
        [period, model],
    )
