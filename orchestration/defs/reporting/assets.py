"""The executive (monthly) and operational (weekly) reports as partitioned Dagster assets.

Each materialization reads the period's figures from the marts (read-only,
inside the run's hold on the warehouse), writes ``<reports dir>/<period>/``
(``ROI_REPORTS_DIR``, default ``<warehouse dir>/reports``: the HTML, its
charts as PNG, the PDF when Chromium is there), shows the charts
in the asset's metadata and e-mails the report to its recipients (or writes
the ``.eml`` to the outbox on a dry run). A failed e-mail fails the
``delivered`` check, not the report.
"""

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import dagster as dg

from orchestration.defs.resources import Warehouse
from orchestration.lib import delivery, settings
from orchestration.lib.marts import NoDataForPeriodError
from orchestration.lib.periods import (
    MONTH_PARTITION_FORMAT,
    WEEK_PARTITION_FORMAT,
    ReportingPeriod,
    first_week_partition_key,
    iso_week,
    month,
)
from orchestration.lib.reporting import render

GROUP = "reporting"
EXECUTIVE_KEY = dg.AssetKey(["reports", "executive_report"])
OPERATIONAL_KEY = dg.AssetKey(["reports", "operational_report"])
EXECUTIVE_RECIPIENTS_ENV = "ROI_EXECUTIVE_REPORT_RECIPIENTS"
OPERATIONAL_RECIPIENTS_ENV = "ROI_OPERATIONAL_REPORT_RECIPIENTS"


def _mart(name: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", name])


EXECUTIVE_SOURCES = [
    _mart("fct_budget_vs_actual"),
    _mart("fct_budget_vs_actual_by_channel"),
    _mart("fct_roi_by_channel"),
    _mart("fct_spend_reconciliation"),
    _mart("fct_budget_pacing"),
]
OPERATIONAL_SOURCES = [
    _mart("fct_marketing_spend_daily"),
    _mart("dim_campaigns"),
    _mart("fct_roi_by_campaign"),
    _mart("fct_budget_pacing"),
    _mart("fct_spend_reconciliation_exceptions"),
]

_first_period = settings.config().reports.first_period
# end_offset=1: the period in progress is a partition too, for an on-demand look at the open month or week.
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=_first_period, fmt=MONTH_PARTITION_FORMAT, end_offset=1, timezone="UTC"
)
weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=first_week_partition_key(_first_period),
    fmt=WEEK_PARTITION_FORMAT,
    day_offset=1,  # ISO weeks start on Monday
    end_offset=1,
    timezone="UTC",
)


def _materialize(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    *,
    kind: Literal["executive", "operational"],
    period: ReportingPeriod,
    recipe: render.Recipe,
    recipients: Sequence[str],
) -> dg.MaterializeResult:
    cfg = settings.config()
    try:
        with warehouse.connect(read_only=True) as connection:  # only while reading the figures
            data = recipe.load(connection, period, cfg, warehouse.reporting_currency)
    except NoDataForPeriodError as error:
        raise dg.Failure(description=f"The {kind} report for {period.key} cannot be made: {error}.") from error
    report = recipe.render(data, cfg, dt.datetime.now(dt.UTC))
    files = render.write_report(report, render.reports_root(Path(warehouse.path)), pdf=cfg.reports.pdf)
    context.log.info(f"wrote {files.html}" + (f" and {files.pdf}" if files.pdf else ""))
    sent = _email(report, files, recipients, cfg)
    if sent is not None:
        context.log.info(f"e-mail: {sent.status}" + (f" ({sent.error})" if sent.error else ""))
    metadata: dict[str, object] = {
        "path": dg.MetadataValue.path(str(files.html)),
        "pdf": dg.MetadataValue.path(str(files.pdf)) if files.pdf else "not printed (Chromium missing or disabled)",
        "title": report.title,
        **{key: value for key, value in report.metadata.items() if value is not None},
        "key_figures": dg.MetadataValue.md(_figures_table(report.key_figures)),
        "email": "not sent (no recipients or e-mail off)" if sent is None else sent.status,
    }
    for chart in report.charts:
        metadata[f"chart_{chart.name}"] = dg.MetadataValue.md(f"**{chart.alt}**\n\n![{chart.name}]({chart.data_uri})")
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name="delivered",
                passed=sent is None or sent.ok,
                severity=dg.AssetCheckSeverity.WARN,
                description=(
                    "no recipients configured"
                    if sent is None
                    else f"e-mail {sent.status}" + (f": {sent.error}" if sent.error else "")
                ),
                metadata={"attempts": 0 if sent is None else sent.attempts},
            )
        ],
    )


def _figures_table(figures: Sequence[render.KeyFigure]) -> str:
    rows = [f"| {figure.label} | **{figure.value}** | {figure.note} |" for figure in figures]
    return "\n".join(["| Figure | Value | |", "|---|---|---|", *rows])


def _email(
    report: render.Report, files: render.ReportFiles, recipients: Sequence[str], cfg: settings.RoiConfig
) -> delivery.DeliveryResult | None:
    if not recipients or cfg.delivery.email.mode == "off":
        return None
    message = render.report_message(
        report, files, sender=delivery.smtp_target(cfg.delivery.email).sender, to=recipients
    )
    retry = cfg.delivery.retry
    return delivery.send_email(
        message,
        cfg.delivery.email,
        retry,
        delivery.Deadline(retry.max_total_seconds),
        name_hint=f"{report.file_stem}_{report.period.key}",
    )


def _delivered_check(key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "delivered",
        asset=key,
        description="The report reached its recipients (or the outbox, on a dry run); warns when the e-mail failed.",
    )


@dg.asset(
    key=EXECUTIVE_KEY,
    deps=EXECUTIVE_SOURCES,
    partitions_def=monthly_partitions,
    group_name=GROUP,
    kinds={"html", "pdf"},
    check_specs=[_delivered_check(EXECUTIVE_KEY)],
    description=(
        "Executive report of a month (YYYY-MM): spend vs budget by channel, ROI by channel with confidence "
        "intervals for every attribution model, reconciliation status and sync rate, pacing of the open period, "
        "the largest variances and recommendations. One self-contained HTML file (and PDF) in "
        "`reports/<YYYY-MM>/`, e-mailed to `reports.executive_recipients`."
    ),
)
def executive_report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    cfg = settings.config()
    return _materialize(
        context,
        warehouse,
        kind="executive",
        period=month(context.partition_key),
        recipe=render.EXECUTIVE,
        recipients=delivery.recipients(cfg.reports.executive_recipients, EXECUTIVE_RECIPIENTS_ENV),
    )


@dg.asset(
    key=OPERATIONAL_KEY,
    deps=OPERATIONAL_SOURCES,
    partitions_def=weekly_partitions,
    group_name=GROUP,
    kinds={"html"},
    check_specs=[_delivered_check(OPERATIONAL_KEY)],
    description=(
        "Operational report of an ISO week (partition YYYY-Www-1, the week's Monday): campaign-level spend, "
        "pacing, ROI and the reconciliation exceptions to work. HTML in `reports/<YYYY-Www>/`, e-mailed to "
        "`reports.operational_recipients`."
    ),
)
def operational_report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    cfg = settings.config()
    return _materialize(
        context,
        warehouse,
        kind="operational",
        period=iso_week(context.partition_key),
        recipe=render.OPERATIONAL,
        recipients=delivery.recipients(cfg.reports.operational_recipients, OPERATIONAL_RECIPIENTS_ENV),
    )
