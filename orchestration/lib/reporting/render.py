"""The executive and operational reports: figures from the marts, charts, one self-contained HTML file.

``load_*`` read a period's figures (the only I/O); ``render_*`` turn them into
a ``Report``: the HTML with every chart inlined as a data URI (it opens
offline), the same HTML for e-mail with ``cid:`` images, a plain-text summary
and the key figures. ``write_report`` puts the files under
``<reports dir>/<period>/`` atomically; ``print_pdf`` prints the HTML with
headless Chromium when it is installed.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from orchestration.lib import marts
from orchestration.lib.delivery import Attachment, InlineImage, build_message
from orchestration.lib.formatting import amount, money_short, pct, ratio
from orchestration.lib.periods import ReportingPeriod, month_key
from orchestration.lib.reporting.recommendations import Thresholds, recommend
from orchestration.lib.settings import REPO_ROOT, RoiConfig

TEMPLATES = Path(__file__).parent / "templates"
SYNC_TREND_MONTHS = 12
PRIORITY_NAMES = {1: "Act now", 2: "Review", 3: "Opportunity"}


@dataclass(frozen=True)
class Chart:
    name: str  # a constant of this module: names the PNG file and the cid
    png: bytes
    alt: str
    caption: str = ""

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def content_id(self) -> str:
        return f"{self.name}@roi-warehouse"


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    note: str = ""
    tone: Literal["", "good", "bad", "warn"] = ""


@dataclass(frozen=True)
class Report:
    kind: Literal["executive", "operational"]
    period: ReportingPeriod
    title: str
    html: str
    email_html: str
    text: str
    charts: list[Chart]
    key_figures: list[KeyFigure]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def file_stem(self) -> str:
        return f"{self.kind}_report"


# --- executive ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutiveData:
    period: ReportingPeriod
    period_closed: bool
    as_of_date: dt.date
    currency: str
    preferred_model: str
    channel_budgets: list[marts.ChannelBudget]
    budget_lines: list[marts.BudgetLine]
    roi: list[marts.ChannelRoi]
    reconciliation: list[marts.ReconciliationLine]
    sync_rates: list[marts.SyncRate]
    pacing: list[marts.PacingLine]
    budget_scenarios: list[marts.BudgetScenario] = field(default_factory=list)
    scenario_channels: list[marts.ScenarioChannel] = field(default_factory=list)
    mmm_roi: list[marts.MmmChannelRoi] = field(default_factory=list)
    response_curves: list[marts.ResponsePoint] = field(default_factory=list)


def load_executive(
    connection: duckdb.DuckDBPyConnection, period: ReportingPeriod, cfg: RoiConfig, currency: str
) -> ExecutiveData:
    relations = marts.existing_relations(connection)
    as_of = marts.data_as_of(connection, relations)
    info = marts.period_info(connection, relations, period.key)
    if as_of is None or as_of < period.first_date or (info is not None and info.period_status == "future"):
        raise marts.NoDataForPeriodError(
            f"no data for {period.key} yet: the warehouse's data is as of {as_of or 'never (it is empty)'}"
        )
    scenarios, scenario_channels = marts.budget_scenarios(connection, relations)
    return ExecutiveData(
        period=period,
        period_closed=bool(info.is_closed) if info is not None else as_of > period.last_date,
        as_of_date=as_of,
        currency=currency,
        preferred_model=cfg.attribution.preferred_model,
        channel_budgets=marts.channel_budgets(connection, period.key),
        budget_lines=marts.budget_lines(connection, [period.key]),
        roi=marts.channel_roi(connection, period.key),
        reconciliation=marts.reconciliation(connection, [period.key]),
        sync_rates=marts.sync_rates(connection, period.key, SYNC_TREND_MONTHS),
        pacing=marts.latest_pacing(connection),
        budget_scenarios=scenarios,
        scenario_channels=scenario_channels,
        mmm_roi=marts.mmm_channel_roi(connection, relations, period.key, cfg.attribution.preferred_model),
        response_curves=marts.response_curves(connection, relations),
    )


def render_executive(data: ExecutiveData, cfg: RoiConfig, generated_at: dt.datetime) -> Report:
    from orchestration.lib.reporting import charts  # matplotlib: imported when a report is made, not at load

    currency = data.currency
    period_sync = next((rate for rate in data.sync_rates if rate.billing_period == data.period.key), None)
    recommendations = recommend(
        roi=data.roi,
        model=data.preferred_model,
        budget_lines=data.budget_lines,
        pacing=data.pacing,
        reconciliation=data.reconciliation,
        sync_rate=period_sync,
        thresholds=Thresholds(
            over_budget_pct=cfg.alerts.over_budget_pct,
            sync_target=cfg.reconciliation.sync_target,
            scenario_probability=cfg.optimisation.alert_min_probability,
        ),
        currency=currency,
        limit=cfg.reports.max_recommendations,
        scenarios=data.budget_scenarios,
        scenario_channels=data.scenario_channels,
    )
    chart_list = [
        Chart(
            "spend_vs_budget",
            charts.spend_vs_budget(data.channel_budgets, currency),
            f"Spend vs budget by channel, {data.period.key}",
        ),
        Chart(
            "roi_by_channel",
            charts.roi_by_channel(data.roi, data.preferred_model, cfg.alerts.roi_floor),
            f"ROI by channel with confidence intervals for every attribution model, {data.period.key}",
        ),
        Chart(
            "sync_rate",
            charts.sync_rate_trend(data.sync_rates, cfg.reconciliation.sync_target, data.period.key),
            "Sync rate of the closed billing periods against the target",
        ),
        Chart("pacing", charts.pacing(data.pacing, currency), "Pacing of the open period by budget line"),
    ]
    if data.mmm_roi:  # the incrementality section shows only once a marketing-mix fit covers the period
        chart_list.append(
            Chart(
                "response_curves",
                charts.response_curves(data.response_curves, currency),
                "Response curves of the marketing-mix model: incremental revenue per day against daily spend",
            )
        )
    preferred = sorted(
        (row for row in data.roi if row.attribution_model == data.preferred_model),
        key=lambda row: row.spend_rc,
        reverse=True,
    )
    key_figures = executive_key_figures(data, period_sync, cfg)
    largest = sorted(data.budget_lines, key=lambda line: abs(line.variance_rc or 0.0), reverse=True)
    exceptions = [line for line in data.reconciliation if line.status != "matched"]
    title = f"Executive report — {data.period.label}"
    context = {
        "title": title,
        "period": data.period,
        "period_closed": data.period_closed,
        "currency": currency,
        "header_facts": [
            ("Period", f"{data.period.key} ({'closed' if data.period_closed else 'open'})"),
            ("Data as of", data.as_of_date.isoformat()),
            ("Attribution model", data.preferred_model),
            ("Currency", currency),
        ],
        "key_figures": key_figures,
        "recommendations": recommendations,
        "priority_names": PRIORITY_NAMES,
        "charts": {chart.name: chart for chart in chart_list},
        "channel_budgets": data.channel_budgets,
        "preferred_model": data.preferred_model,
        "preferred_roi": preferred,
        "roi_floor": cfg.alerts.roi_floor,
        "confidence": pct(cfg.attribution.confidence_level, 0),
        "reconciliation_summary": reconciliation_summary(data.reconciliation),
        "reconciliation_exceptions": exceptions,
        "pacing": data.pacing,
        "largest_variances": largest[: cfg.reports.largest_variances],
        "mmm_roi": data.mmm_roi,
        "mmm_level": pct(cfg.incrementality.credible_interval, 0),
        "sources": [
            "marts.fct_budget_vs_actual",
            "marts.fct_budget_vs_actual_by_channel",
            "marts.fct_roi_by_channel",
            "marts.fct_spend_reconciliation",
            "marts.fct_budget_pacing",
            "marts.fct_mmm_channel_roi",
            "marts.fct_mmm_response_curves",
        ],
    }
    text = _text_summary(title, key_figures, [item.text for item in recommendations])
    metadata = {
        "period": data.period.key,
        "period_closed": data.period_closed,
        "data_as_of": data.as_of_date.isoformat(),
        "budget_rc": _total(row.budget_rc for row in data.channel_budgets),
        "actual_rc": _total(row.actual_rc for row in data.channel_budgets),
        "sync_rate": None if period_sync is None else period_sync.rate,
        "reconciliation_exceptions": len(exceptions),
        "recommendations": len(recommendations),
    }
    return _render(
        "executive", "executive.html.j2", data.period, context, chart_list, key_figures, text, metadata, generated_at
    )


def executive_key_figures(data: ExecutiveData, period_sync: marts.SyncRate | None, cfg: RoiConfig) -> list[KeyFigure]:
    currency = data.currency
    budget = _total(row.budget_rc for row in data.channel_budgets)
    actual = _total(row.actual_rc for row in data.channel_budgets)
    variance = None if not budget else (actual - budget) / budget
    losing = [
        row.channel
        for row in data.roi
        if row.attribution_model == data.preferred_model and row.roi_ci_high is not None and row.roi_ci_high < 0
    ]
    with_roi = [row for row in data.roi if row.attribution_model == data.preferred_model and row.roi is not None]
    exceptions = [line for line in data.reconciliation if line.status != "matched" and line.is_closed]
    target = cfg.reconciliation.sync_target
    rate = None if period_sync is None else period_sync.rate
    statuses = [line.pacing_status for line in data.pacing]
    off_pace = sum(status != "on_track" for status in statuses)
    return [
        KeyFigure("Spend", money_short(actual, currency), f"budget {money_short(budget, currency)}"),
        KeyFigure(
            "Variance to budget",
            pct(variance, signed=True),
            "over budget" if (variance or 0) > 0 else "within budget",
            "bad" if (variance or 0) > cfg.alerts.over_budget_pct else "good",
        ),
        KeyFigure(
            "Channels losing money",
            f"{len(losing)} of {len(with_roi)}",
            f"ROI interval below zero ({data.preferred_model})",
            "bad" if losing else "good",
        ),
        KeyFigure(
            "Sync rate",
            pct(rate) if rate is not None else "open",
            f"target {pct(target, 0)}; {len(exceptions)} exception(s)" if rate is not None else "period not closed yet",
            "" if rate is None else ("good" if rate >= target else "bad"),
        ),
        KeyFigure(
            "Open-period pacing",
            f"{len(statuses) - off_pace} of {len(statuses)} on track",
            ", ".join(f"{statuses.count(status)} {status}" for status in ("over", "under") if statuses.count(status))
            or (
                f"{data.pacing[0].fiscal_period} as of {data.pacing[0].as_of_date}" if data.pacing else "no open period"
            ),
            "warn" if off_pace else "good",
        ),
    ]


@dataclass(frozen=True)
class StatusSummary:
    status: str
    count: int
    platform_spend_rc: float
    difference_rc: float


def reconciliation_summary(lines: Sequence[marts.ReconciliationLine]) -> list[StatusSummary]:
    """Account-months, their platform spend and absolute difference (reporting currency) per status."""
    order = ["matched", "mismatched", "missing_invoice", "missing_platform_spend"]
    statuses = sorted({line.status for line in lines}, key=lambda s: (order.index(s) if s in order else 99, s))
    summary = []
    for status in statuses:
        rows = [line for line in lines if line.status == status]
        summary.append(
            StatusSummary(
                status=status,
                count=len(rows),
                platform_spend_rc=_total(line.platform_spend_rc or 0.0 for line in rows),
                difference_rc=_total(abs(line.difference_rc or 0.0) for line in rows),
            )
        )
    return summary


# --- operational ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperationalData:
    period: ReportingPeriod
    as_of_date: dt.date
    currency: str
    preferred_model: str
    roi_period: str
    campaigns: list[marts.CampaignSpend]
    daily_spend: list[marts.DailyChannelSpend]
    campaign_roi: list[marts.CampaignRoi]
    pacing: list[marts.PacingLine]
    exceptions: list[marts.ReconciliationLine]
    targets: list[marts.CheckResultRow] = field(default_factory=list)
    unbudgeted: list[marts.UnbudgetedSpend] = field(default_factory=list)
    teams: list[marts.TeamPerformance] = field(default_factory=list)
    pipeline: list[marts.PipelineInfluence] = field(default_factory=list)
    has_pipeline: bool = False  # the landing zone has opportunities (an optional source)


def load_operational(
    connection: duckdb.DuckDBPyConnection, period: ReportingPeriod, cfg: RoiConfig, currency: str
) -> OperationalData:
    relations = marts.existing_relations(connection)
    as_of = marts.data_as_of(connection, relations)
    if as_of is None or as_of < period.first_date:
        raise marts.NoDataForPeriodError(
            f"no data for {period.key} yet: the warehouse's data is as of {as_of or 'never (it is empty)'}"
        )
    through = min(period.last_date, as_of)
    roi_period = month_key(through)
    return OperationalData(
        period=period,
        as_of_date=as_of,
        currency=currency,
        preferred_model=cfg.attribution.preferred_model,
        roi_period=roi_period,
        campaigns=marts.campaign_spend(connection, period),
        daily_spend=marts.daily_channel_spend(connection, period),
        campaign_roi=marts.campaign_roi(connection, roi_period, cfg.attribution.preferred_model),
        pacing=marts.latest_pacing(connection, through),
        exceptions=marts.reconciliation_exceptions(connection, relations),
        targets=marts.business_targets(connection) if "audit.dq_results" in relations else [],
        unbudgeted=(
            marts.unbudgeted_spend(connection, [roi_period]) if "marts.fct_unbudgeted_spend" in relations else []
        ),
        teams=(
            marts.team_performance(connection, roi_period) if "marts.fct_team_budget_performance" in relations else []
        ),
        pipeline=(
            marts.pipeline_influence(connection, roi_period, cfg.attribution.preferred_model)
            if "marts.fct_pipeline_influence" in relations
            else []
        ),
        has_pipeline=(
            "marts.fct_opportunities" in relations
            and connection.execute("select count(*) > 0 from marts.fct_opportunities").fetchone()[0]
        ),
    )


def render_operational(data: OperationalData, cfg: RoiConfig, generated_at: dt.datetime) -> Report:
    from orchestration.lib.reporting import charts  # matplotlib: imported when a report is made, not at load

    currency = data.currency
    chart_list = [
        Chart("daily_spend", charts.daily_spend_by_channel(data.daily_spend, currency), "Spend per day by channel"),
        Chart(
            "top_campaigns",
            charts.top_campaigns(data.campaigns, currency),
            "Campaigns with the most spend this week and the week before",
        ),
        Chart("pacing", charts.pacing(data.pacing, currency), "Pacing by budget line at the end of the week"),
    ]
    spend = _total(row.spend_rc for row in data.campaigns)
    previous = _total(row.previous_spend_rc for row in data.campaigns)
    off_pace = [line for line in data.pacing if line.pacing_status != "on_track"]
    key_figures = [
        KeyFigure("Spend this week", money_short(spend, currency), f"previous week {money_short(previous, currency)}"),
        KeyFigure("Change", pct(change(spend, previous), signed=True), "week over week"),
        KeyFigure("Active campaigns", str(sum(row.spend_rc > 0 for row in data.campaigns))),
        KeyFigure(
            "Lines off pace",
            f"{len(off_pace)} of {len(data.pacing)}",
            ", ".join(sorted({line.pacing_status for line in off_pace})) or "all on track",
            "warn" if off_pace else "good",
        ),
        KeyFigure(
            "Exceptions to work",
            str(len(data.exceptions)),
            money_short(_total(abs(line.difference_rc or 0.0) for line in data.exceptions), currency) + " at stake",
            "bad" if data.exceptions else "good",
        ),
    ]
    shown = data.campaigns[: cfg.reports.top_campaigns]
    title = f"Operational report — {data.period.label}"
    context = {
        "title": title,
        "period": data.period,
        "currency": currency,
        "header_facts": [
            ("Week", data.period.key),
            ("Data as of", data.as_of_date.isoformat()),
            ("Attribution model", data.preferred_model),
            ("Currency", currency),
        ],
        "key_figures": key_figures,
        "partial_week": data.as_of_date < data.period.last_date,
        "as_of_date": data.as_of_date.isoformat(),
        "charts": {chart.name: chart for chart in chart_list},
        "campaigns": shown,
        "more_campaigns": len(data.campaigns) - len(shown),
        "campaign_roi": {(row.platform, row.campaign_id): row for row in data.campaign_roi},
        "roi_period": data.roi_period,
        "roi_floor": cfg.alerts.roi_floor,
        "preferred_model": data.preferred_model,
        "change": change,
        "pacing": data.pacing,
        "exceptions": data.exceptions,
        "targets": data.targets,
        "unbudgeted": data.unbudgeted,
        "teams": data.teams,
        "pipeline": data.pipeline,
        "has_pipeline": data.has_pipeline,
        "sources": [
            "marts.fct_marketing_spend_daily",
            "marts.dim_campaigns",
            "marts.fct_roi_by_campaign",
            "marts.fct_budget_pacing",
            "marts.fct_spend_reconciliation_exceptions",
            "marts.fct_unbudgeted_spend",
            "marts.fct_team_budget_performance",
            "audit.dq_results",
        ]
        + (["marts.fct_pipeline_influence"] if data.has_pipeline else []),
    }
    text = _text_summary(
        title,
        key_figures,
        [
            f"{line.platform} {line.platform_account_id} {line.billing_period}: {line.status.replace('_', ' ')}"
            for line in data.exceptions
        ],
    )
    metadata = {
        "period": data.period.key,
        "data_as_of": data.as_of_date.isoformat(),
        "spend_rc": spend,
        "previous_spend_rc": previous,
        "campaigns": len(data.campaigns),
        "lines_off_pace": len(off_pace),
        "reconciliation_exceptions": len(data.exceptions),
        "business_targets_missed": sum(not row.passed and row.status != "not_measurable" for row in data.targets),
        "unbudgeted_spend_rc": _total(row.spend_rc for row in data.unbudgeted),
        "teams": len(data.teams),
        "pipeline_amount_rc": _total(row.pipeline_amount_rc for row in data.pipeline),
    }
    return _render(
        "operational",
        "operational.html.j2",
        data.period,
        context,
        chart_list,
        key_figures,
        text,
        metadata,
        generated_at,
    )


def change(current: float, previous: float) -> float | None:
    """Relative change; ``None`` without a previous value."""
    return None if not previous else (current - previous) / previous


# --- rendering and files --------------------------------------------------------------------------------------


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(amount=amount, pct=pct, ratio=ratio, money=money_short)
    return env


def _render(
    kind: Literal["executive", "operational"],
    template_name: str,
    period: ReportingPeriod,
    context: dict[str, Any],
    chart_list: list[Chart],
    key_figures: list[KeyFigure],
    text: str,
    metadata: dict[str, Any],
    generated_at: dt.datetime,
) -> Report:
    template = environment().get_template(template_name)
    by_name = {chart.name: chart for chart in chart_list}
    context = {**context, "generated_at": generated_at.strftime("%Y-%m-%d %H:%M UTC")}

    def inline(name: str) -> str:
        return by_name[name].data_uri

    def attached(name: str) -> str:
        return "cid:" + by_name[name].content_id

    return Report(
        kind=kind,
        period=period,
        title=context["title"],
        html=template.render(**context, image_src=inline),
        email_html=template.render(**context, image_src=attached),
        text=text,
        charts=chart_list,
        key_figures=key_figures,
        metadata=metadata,
    )


def _text_summary(title: str, key_figures: Sequence[KeyFigure], items: Sequence[str]) -> str:
    lines = [title, "=" * len(title), ""]
    lines += [
        f"{figure.label}: {figure.value}" + (f" ({figure.note})" if figure.note else "") for figure in key_figures
    ]
    if items:
        lines += ["", *[f"- {item}" for item in items]]
    lines += ["", "The full report is attached as HTML (it opens offline in any browser)."]
    return "\n".join(lines) + "\n"


def _total(values: Any) -> float:
    return float(sum(value for value in values if value is not None))


def reports_root(warehouse: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """Where reports go: ``ROI_REPORTS_DIR``, else ``<warehouse dir>/reports`` (beside finance's ``exceptions/``)."""
    configured = environ.get("ROI_REPORTS_DIR")
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_absolute() else REPO_ROOT / path
    return warehouse.parent / "reports"


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    pdf: Path | None
    charts: list[Path]


def write_report(report: Report, reports_root: Path, *, pdf: bool = False) -> ReportFiles:
    """Write ``<root>/<period>/<kind>_report.html`` (and its charts, and the PDF when asked), atomically."""
    folder = reports_root / report.period.key  # the key passed periods' strict pattern: a safe folder name
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"{report.file_stem}.html"
    _write_atomically(html_path, report.html.encode("utf-8"))
    chart_paths = []
    for chart in report.charts:
        path = folder / f"{report.file_stem}_{chart.name}.png"
        _write_atomically(path, chart.png)
        chart_paths.append(path)
    pdf_path = print_pdf(html_path, folder / f"{report.file_stem}.pdf") if pdf else None
    return ReportFiles(html=html_path, pdf=pdf_path, charts=chart_paths)


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def chromium_executable() -> str | None:
    """Headless Chromium: ``ROI_CHROMIUM``, else the first of chromium / chromium-browser / google-chrome on PATH."""
    configured = os.environ.get("ROI_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(executable: str, profile: Path, *arguments: str) -> list[str]:
    """A headless Chromium call that touches nothing but ``profile`` and reaches no network."""
    return [
        executable,
        "--headless",
        "--no-sandbox",  # root in containers and CI; the page is our own local file
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *arguments,
    ]


def run_chromium(arguments: Sequence[str], timeout: float = 90.0) -> subprocess.CompletedProcess[bytes] | None:
    """Run headless Chromium with its own throw-away profile; ``None`` when it is not installed."""
    executable = chromium_executable()
    if executable is None:
        return None
    with tempfile.TemporaryDirectory(prefix="roi-chromium-") as profile:
        return subprocess.run(
            chromium_command(executable, Path(profile), *arguments),
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )


def print_pdf(html_path: Path, pdf_path: Path) -> Path | None:
    """Print the HTML to PDF with headless Chromium; ``None`` when Chromium is missing or fails."""
    temporary = pdf_path.with_name(f".{pdf_path.name}.{os.getpid()}.tmp")
    try:
        result = run_chromium(["--no-pdf-header-footer", f"--print-to-pdf={temporary}", html_path.resolve().as_uri()])
    except subprocess.TimeoutExpired:
        return None
    if result is None or result.returncode != 0 or not temporary.exists() or temporary.stat().st_size == 0:
        temporary.unlink(missing_ok=True)
        return None
    os.replace(temporary, pdf_path)
    return pdf_path


@dataclass(frozen=True)
class Recipe:
    """How a report is made: ``load`` reads the marts (keep the connection that short), ``render`` does the rest."""

    load: Callable[[duckdb.DuckDBPyConnection, ReportingPeriod, RoiConfig, str], Any]
    render: Callable[[Any, RoiConfig, dt.datetime], Report]

    def build(
        self,
        connection: duckdb.DuckDBPyConnection,
        period: ReportingPeriod,
        cfg: RoiConfig,
        currency: str,
        generated_at: dt.datetime,
    ) -> Report:
        return self.render(self.load(connection, period, cfg, currency), cfg, generated_at)


EXECUTIVE = Recipe(load=load_executive, render=render_executive)
OPERATIONAL = Recipe(load=load_operational, render=render_operational)


def report_message(report: Report, files: ReportFiles, *, sender: str, to: Sequence[str]) -> EmailMessage:
    """The report as e-mail: the HTML in the body (charts inline by ``cid:``), the file and PDF attached."""
    attachments = [Attachment(files.html.name, files.html.read_bytes(), "text", "html")]
    if files.pdf is not None:
        attachments.append(Attachment(files.pdf.name, files.pdf.read_bytes(), "application", "pdf"))
    return build_message(
        subject=f"{report.title} · ROI warehouse",
        sender=sender,
        to=to,
        text=report.text,
        html=report.email_html,
        images=[InlineImage(chart.content_id, chart.png) for chart in report.charts],
        attachments=attachments,
    )
