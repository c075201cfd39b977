"""What the dashboard shows, read from the published snapshot (never the live warehouse).

The snapshot (``orchestration/lib/snapshot.py``) is replaced atomically after
every successful build, so the dashboard opens it read-only per page view: a
running build never waits for the dashboard, and a page never sees a half-built
state. ``SnapshotInfo.version`` changes with every publication; the pages key
their caches on it, so a new snapshot shows on the next view without a restart.

Every figure is a mart column, summed at most over the rows a view covers, with
the mart's own formula for ratios (as ``orchestration/lib/marts.py``
and the semantic layer do). Values travel as bound parameters; SQL text is
constant.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.lib import marts, periods, snapshot
from orchestration.lib.periods import month_key
from orchestration.lib.reporting.recommendations import Recommendation, Thresholds, recommend
from orchestration.lib.reporting.render import ExecutiveData, load_executive
from orchestration.lib.settings import config, reporting_currency, warehouse_path


class SnapshotMissingError(FileNotFoundError):
    """No build has published a snapshot yet."""


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    published_at: dt.datetime  # UTC: when the build wrote the snapshot (the file's modification time)
    version: tuple[int, int, int]  # inode, mtime in ns, size: changes with every publication


def snapshot_info(warehouse: Path | None = None) -> SnapshotInfo:
    """The snapshot a reader opening it now gets."""
    path = snapshot.snapshot_path(warehouse or warehouse_path()).resolve()
    try:
        status = os.stat(path)
    except FileNotFoundError as error:
        raise SnapshotMissingError(f"no snapshot at {path} yet: run `make run` first") from error
    return SnapshotInfo(
        path=path,
        published_at=dt.datetime.fromtimestamp(status.st_mtime, tz=dt.UTC),
        version=(status.st_ino, status.st_mtime_ns, status.st_size),
    )


@contextmanager
def open_snapshot(info: SnapshotInfo) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the snapshot ``info`` describes (UTC), closed on exit.

    A publication between ``snapshot_info`` and here would hand over the newer file under the older
    version; the version is checked again once the file is open, and a mismatch is an error the caller
    retries with a fresh ``snapshot_info``.
    """
    connection = duckdb.connect(str(info.path), read_only=True)
    try:
        if snapshot_info_of(info.path) != info.version:
            raise SnapshotChangedError(f"{info.path} was replaced while it was being opened")
        connection.execute("set TimeZone = 'UTC'")
        yield connection
    finally:
        connection.close()


class SnapshotChangedError(RuntimeError):
    """A new snapshot was published while a reader opened the previous one: read again."""


def snapshot_info_of(path: Path) -> tuple[int, int, int]:
    status = os.stat(path)
    return (status.st_ino, status.st_mtime_ns, status.st_size)


def frame(connection: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """The rows of ``sql`` as a DataFrame, decimals as floats."""
    result = connection.execute(sql, list(params)).df()
    for column in result.columns:
        if result[column].dtype == object and len(result) and _is_decimal(result[column].dropna()):
            result[column] = result[column].astype(float)
    return result


def _is_decimal(values: pd.Series) -> bool:
    from decimal import Decimal

    return bool(len(values)) and isinstance(values.iloc[0], Decimal)


# --- periods ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    as_of_date: dt.date | None
    months: list[str]  # months with spend, budget or ROI up to the as-of month, newest first
    latest_closed: str | None


def calendar(connection: duckdb.DuckDBPyConnection) -> Calendar:
    relations = marts.existing_relations(connection)
    as_of = marts.data_as_of(connection, relations)
    if as_of is None:
        return Calendar(None, [], None)
    rows = connection.execute(
        """
        select fiscal_period from marts.fct_budget_vs_actual where fiscal_period <= ?
        union
        select period from marts.fct_roi_by_channel where period <= ?
        order by 1 desc
        """,
        [month_key(as_of), month_key(as_of)],
    ).fetchall()
    return Calendar(as_of, [month for (month,) in rows], marts.latest_closed_period(connection, relations))


# --- executive ---------------------------------------------------------------------------------------------------

RECONCILIATION_STATUS_SQL = """
select status, count(*) as account_months, cast(sum(platform_spend_rc) as double) as platform_spend_rc
from marts.fct_spend_reconciliation
where is_closed
group by status
order by platform_spend_rc desc nulls last, status
"""


def reconciliation_status(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Closed account-months and their platform spend per reconciliation status."""
    return frame(connection, RECONCILIATION_STATUS_SQL)


# --- channel and campaign performance ---------------------------------------------------------------------------

CHANNEL_PERFORMANCE_SQL = """
with selected as (
    select * from marts.fct_roi_by_channel
    where attribution_model = ? and period between ? and ? and (? or list_contains(?, channel))
),
by_channel as (
    select channel,
        cast(sum(spend_rc) as double) as spend_rc,
        cast(sum(conversions) as double) as conversions,
        cast(sum(attributed_revenue_rc) as double) as attributed_revenue_rc,
        cast(sum(attributed_margin_rc) as double) as attributed_margin_rc,
        -- the mart's interval where the view is one month (intervals do not add up over months)
        case when count(*) = 1 then any_value(roi_ci_low) end as roi_ci_low,
        case when count(*) = 1 then any_value(roi_ci_high) end as roi_ci_high
    from selected
    group by channel
)
select channel, spend_rc, conversions, attributed_revenue_rc, attributed_margin_rc,
    case when spend_rc > 0 then attributed_revenue_rc / spend_rc end as roas,
    case when spend_rc > 0 then (attributed_margin_rc - spend_rc) / spend_rc end as roi,
    roi_ci_low, roi_ci_high,
    case when spend_rc > 0 and conversions > 0 then spend_rc / conversions end as cac
from by_channel
order by spend_rc desc, attributed_revenue_rc desc, channel
"""

CHANNEL_TREND_SQL = """
select period, channel, cast(spend_rc as double) as spend_rc,
    cast(attributed_revenue_rc as double) as attributed_revenue_rc, roi
from marts.fct_roi_by_channel
where attribution_model = ? and period between ? and ? and (? or list_contains(?, channel)) and spend_rc > 0
order by period, channel
"""

CAMPAIGN_PERFORMANCE_SQL = """
with selected as (
    select * from marts.fct_roi_by_campaign
    where attribution_model = ? and period between ? and ? and (? or list_contains(?, channel))
),
by_campaign as (
    select platform, campaign_id, any_value(campaign_name) as campaign_name, any_value(channel) as channel,
        cast(sum(spend_rc) as double) as spend_rc,
        cast(sum(conversions) as double) as conversions,
        cast(sum(attributed_revenue_rc) as double) as attributed_revenue_rc,
        cast(sum(attributed_margin_rc) as double) as attributed_margin_rc
    from selected
    group by platform, campaign_id
)
select *,
    case when spend_rc > 0 then attributed_revenue_rc / spend_rc end as roas,
    case when spend_rc > 0 then (attributed_margin_rc - spend_rc) / spend_rc end as roi,
    case when spend_rc > 0 and conversions > 0 then spend_rc / conversions end as cac
from by_campaign
where spend_rc > 0 or attributed_revenue_rc > 0
order by spend_rc desc, platform, campaign_id
"""


def attribution_models(connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        model
        for (model,) in connection.execute(
            "select distinct attribution_model from marts.fct_roi_by_channel order by 1"
        ).fetchall()
    ]


def channels(connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        channel
        for (channel,) in connection.execute(
            "select distinct channel from marts.fct_roi_by_channel order by 1"
        ).fetchall()
    ]


def channel_performance(
    connection: duckdb.DuckDBPyConnection, model: str, first: str, last: str, channel_filter: Sequence[str]
) -> pd.DataFrame:
    """Spend, attributed revenue and margin, ROAS, ROI and CAC per channel over months ``first``..``last``."""
    return frame(connection, CHANNEL_PERFORMANCE_SQL, [model, first, last, not channel_filter, list(channel_filter)])


def channel_trend(
    connection: duckdb.DuckDBPyConnection, model: str, first: str, last: str, channel_filter: Sequence[str]
) -> pd.DataFrame:
    return frame(connection, CHANNEL_TREND_SQL, [model, first, last, not channel_filter, list(channel_filter)])


def campaign_performance(
    connection: duckdb.DuckDBPyConnection, model: str, first: str, last: str, channel_filter: Sequence[str]
) -> pd.DataFrame:
    return frame(connection, CAMPAIGN_PERFORMANCE_SQL, [model, first, last, not channel_filter, list(channel_filter)])


# --- budget lines by owner team ---------------------------------------------------------------------------------

# A budget line is funded once but may be spent by several teams (campaigns name their owner team): each
# team sees the lines it spends on, its own share of the line's platform spend, and the line's figures.
TEAM_BUDGET_LINES_SQL = """
with spend as (
    select * from marts.fct_marketing_spend_daily where spend_date between ? and ?
),
campaigns as (
    select * from marts.dim_campaigns
),
team_spend as (
    select coalesce(campaigns.owner_team, 'unassigned') as owner_team, spend.budget_line_id,
        cast(sum(spend.spend_rc) as double) as team_spend_rc
    from spend
    left join campaigns
        on spend.platform = campaigns.platform and spend.campaign_id = campaigns.campaign_id
    where spend.budget_line_id is not null
    group by all
),
lines as (
    select budget_line_id, any_value(channel) as channel,
        cast(sum(budget_rc) as double) as budget_rc,
        cast(sum(platform_actual_rc) as double) as platform_actual_rc,
        cast(sum(actual_rc) as double) as actual_rc,
        cast(sum(variance_rc) as double) as variance_rc
    from marts.fct_budget_vs_actual
    where fiscal_period between ? and ?
    group by budget_line_id
),
teams_of_lines as (
    select distinct coalesce(owner_team, 'unassigned') as owner_team, budget_line_id
    from campaigns
    where budget_line_id is not null
)
select teams_of_lines.owner_team, lines.budget_line_id, lines.channel,
    coalesce(team_spend.team_spend_rc, 0) as team_spend_rc,
    case when lines.platform_actual_rc > 0
        then coalesce(team_spend.team_spend_rc, 0) / lines.platform_actual_rc end as team_share,
    lines.budget_rc, lines.actual_rc, lines.variance_rc,
    case when lines.budget_rc <> 0 then lines.variance_rc / lines.budget_rc end as variance_pct
from lines
inner join teams_of_lines on lines.budget_line_id = teams_of_lines.budget_line_id
left join team_spend
    on teams_of_lines.owner_team = team_spend.owner_team and lines.budget_line_id = team_spend.budget_line_id
order by teams_of_lines.owner_team, lines.budget_line_id
"""


def team_budget_lines(connection: duckdb.DuckDBPyConnection, first: str, last: str) -> pd.DataFrame:
    """Per owner team, the budget lines its campaigns spend on over months ``first``..``last``."""
    first_date = dt.date.fromisoformat(f"{first}-01")
    last_date = (dt.date.fromisoformat(f"{last}-01") + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return frame(connection, TEAM_BUDGET_LINES_SQL, [first_date, last_date, first, last])


def monthly_budget_lines(connection: duckdb.DuckDBPyConnection, first: str, last: str) -> pd.DataFrame:
    return frame(
        connection,
        """
        select fiscal_period, budget_line_id, cast(budget_rc as double) as budget_rc,
            cast(actual_rc as double) as actual_rc
        from marts.fct_budget_vs_actual
        where fiscal_period between ? and ?
        order by fiscal_period, budget_line_id
        """,
        [first, last],
    )


# --- data quality ------------------------------------------------------------------------------------------------

LATEST_CHECKS_SQL = """
with latest_run as (
    select run_id from audit.dq_results where run_id is not null order by evaluated_at desc limit 1
)
select check_name, asset_key, passed, upper(severity) as severity, measured_value, threshold, evaluated_at,
    coalesce(json_extract_string(details, '$.description'), '') as description
from audit.dq_results
where run_id = (select run_id from latest_run)
order by passed, severity, asset_key, check_name
"""

REJECTED_BY_REASON_SQL = """
select source, reason_code, count(*) as rejected_rows, count(distinct file_name) as files
from audit.rejected_rows
group by source, reason_code
order by rejected_rows desc, source, reason_code
"""

# The dashboard reads the snapshot, which keeps no raw content of rejected rows (lib/snapshot.py).
RECENT_REJECTED_SQL = """
select source, file_name, line_number, column_name, reason_code, reason
from audit.rejected_rows
order by source, file_name, line_number
limit ?
"""

FILES_SQL = """
select source, file_name, status, rows_read, rows_loaded, rows_rejected, rows_held, message, loaded_at
from audit.load_files
order by loaded_at desc, source, file_name
"""


def latest_checks(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every check result of the latest run that recorded any (``audit.dq_results``)."""
    return frame(connection, LATEST_CHECKS_SQL)


def rejected_by_reason(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return frame(connection, REJECTED_BY_REASON_SQL)


def rejected_rows(connection: duckdb.DuckDBPyConnection, limit: int) -> pd.DataFrame:
    return frame(connection, RECENT_REJECTED_SQL, [limit])


def load_files(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return frame(connection, FILES_SQL)


# --- the executive page: the executive report's own readers and recommendations -------------------------------


@dataclass(frozen=True)
class Executive:
    data: ExecutiveData
    recommendations: list[Recommendation]
    tracking_rate: float | None  # closed budget line-periods tracked, all periods (the tracking target's measure)
    tracked: int
    measured: int


def executive(connection: duckdb.DuckDBPyConnection, month: str) -> Executive:
    """What the monthly executive report reads for ``month``, and its recommendations."""
    cfg = config()
    loaded = load_executive(connection, periods.month(month), cfg, reporting_currency())
    period_sync = next((rate for rate in loaded.sync_rates if rate.billing_period == month), None)
    found = recommend(
        roi=loaded.roi,
        model=loaded.preferred_model,
        budget_lines=loaded.budget_lines,
        pacing=loaded.pacing,
        reconciliation=loaded.reconciliation,
        sync_rate=period_sync,
        thresholds=Thresholds(over_budget_pct=cfg.alerts.over_budget_pct, sync_target=cfg.reconciliation.sync_target),
        currency=loaded.currency,
        limit=cfg.reports.max_recommendations,
    )
    tracked, measured = connection.execute(
        "select count(*) filter (where is_tracked), count(is_tracked) from marts.fct_budget_vs_actual"
    ).fetchone() or (0, 0)
    return Executive(
        data=loaded,
        recommendations=found,
        tracking_rate=tracked / measured if measured else None,
        tracked=tracked,
        measured=measured,
    )


def overall_sync_rate(connection: duckdb.DuckDBPyConnection) -> float | None:
    """Matched share of every closed month's platform spend (what the data sync target measures)."""
    return marts.overall_sync_rate(connection).rate
