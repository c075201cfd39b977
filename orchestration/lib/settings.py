"""Settings: where the data lives (environment) and the business rules (config file).

Paths and the reporting currency come from environment variables so that the
same code serves the shipped sample and a company's own landing zone. Every
other knob lives in one YAML file (``config/roi.yml``), validated here so a
typo is a clear error instead of a silently ignored key.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "roi.yml"
# The engine dbt builds on: `duckdb` (the default) or `spark` (ROI_ENGINE; `make install-spark` first).
ENGINES = ("duckdb", "spark")
ENGINE = os.environ.get("ROI_ENGINE", "duckdb").strip().lower() or "duckdb"
if ENGINE not in ENGINES:
    raise ValueError(f"ROI_ENGINE={ENGINE!r}: expected one of {', '.join(ENGINES)}")
# The dbt target every invocation names, so `dbt parse` and the run's `dbt build` share partial parsing:
# profiles.yml `dev` (DuckDB) or `spark`.
DBT_TARGET = "spark" if ENGINE == "spark" else "dev"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PositionWeights(_Section):
    first: float = 0.4
    middle: float = 0.2
    last: float = 0.4

    @model_validator(mode="after")
    def _sum_to_one(self) -> PositionWeights:
        total = self.first + self.middle + self.last
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"position_weights must sum to 1, got {total}")
        return self


class AttributionSettings(_Section):
    lookback_days: int = Field(30, gt=0)
    time_decay_half_life_days: float = Field(7.0, gt=0)
    position_weights: PositionWeights = PositionWeights()
    bootstrap_resamples: int = Field(1000, ge=1000)
    confidence_level: float = Field(0.95, gt=0, lt=1)
    random_seed: int = 20250101
    preferred_model: Literal[
        "first_touch", "last_touch", "linear", "time_decay", "position_based", "markov", "shapley"
    ] = "markov"
    # The ROI accuracy check: share of (model, channel, month) rows whose ROI, recomputed independently,
    # agrees with the mart within roi_agreement_tolerance; below roi_accuracy_floor the check fails.
    roi_agreement_tolerance: float = Field(0.005, gt=0)
    roi_accuracy_floor: float = Field(0.85, ge=0, le=1)


class PeriodSettings(_Section):
    # The day the data is "as of"; None = the latest spend_date in the data.
    as_of_date: dt.date | None = None
    # A month is closed once as_of_date is more than this many days after its last day.
    close_grace_days: int = Field(10, ge=0)
    # Finance's books are closed up to and including this month (YYYY-MM); None = none closed.
    # Platform restatements for closed months are held (audit.held_restatements), not applied.
    finance_closed_through: str | None = Field(None, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class ReconciliationSettings(_Section):
    tolerance_pct: float = Field(0.01, ge=0)
    tolerance_abs: float = Field(1.00, ge=0)
    sync_target: float = Field(0.95, ge=0, le=1)


class BudgetSettings(_Section):
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    tracking_tolerance_pct: float = Field(0.10, ge=0)
    tracking_target: float = Field(0.90, ge=0, le=1)
    # At most this share of total spend may be unbudgeted (fct_unbudgeted_spend); a business target.
    unbudgeted_share_target: float = Field(0.01, ge=0, le=1)


class PacingSettings(_Section):
    under_pct: float = Field(0.10, ge=0)
    over_pct: float = Field(0.05, ge=0)
    backtest_mape_warning: float = Field(0.10, ge=0)
    # Weeks of history behind the weekday profile of the projection.
    profile_weeks: int = Field(4, ge=1, le=13)


class FxSettings(_Section):
    max_staleness_days: int = Field(7, ge=0)


class IngestionSettings(_Section):
    max_abs_amount: float = Field(1e12, gt=0)
    max_text_length: int = Field(4096, gt=0)
    min_date: str = "1990-01-01"
    max_date: str = "2100-12-31"
    # audit.rejected_rows.raw_content keeps at most this many characters of a rejected line, then a
    # marker with the line's full length (a 3 MB line or a binary file must not bloat the audit schema).
    max_raw_content_chars: int = Field(1000, ge=80)


class AlertSettings(_Section):
    over_budget_pct: float = Field(0.05, ge=0)
    roi_floor: float = 0.0
    # Budget, pacing and reconciliation conditions look at the latest this-many periods (the open one
    # included); an open alert on a period that leaves the window expires without a message.
    recent_periods: int = Field(3, ge=1, le=24)
    # Pacing and projection alerts wait until this day of the period (early projections are noisy).
    pacing_min_day_of_period: int = Field(7, ge=1, le=31)
    # Failed data-quality checks of these severities alert.
    data_quality_severities: tuple[Literal["ERROR", "WARN"], ...] = ("ERROR",)
    # An open alert is sent again when its figure moves into another band of this width: variance and
    # pacing percentages in steps of change_step_pct, ROI in steps of change_step_roi (see alert_rules.band).
    change_step_pct: float = Field(0.05, gt=0)
    change_step_roi: float = Field(0.25, gt=0)
    # Alert e-mail recipients (ROI_ALERT_RECIPIENTS overrides); the webhook URL comes only from
    # ROI_ALERT_WEBHOOK_URL (it is a secret).
    recipients: tuple[str, ...] = ()
    # How often the alert sensor looks for a finished build.
    sensor_interval_seconds: int = Field(60, ge=30)


class ReportSettings(_Section):
    # First monthly partition (YYYY-MM) of the reports; the weekly ones start with its ISO week.
    first_period: str = Field("2025-01", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    # The monthly executive report runs on this day of the following month (after the period closes,
    # see periods.close_grace_days); the weekly operational report every Monday. Both at this hour, UTC.
    executive_day_of_month: int = Field(12, ge=1, le=28)
    schedule_hour_utc: int = Field(7, ge=0, le=23)
    # Rows in the largest-variances table, campaigns in the operational report, recommendations listed.
    largest_variances: int = Field(10, ge=1, le=100)
    top_campaigns: int = Field(25, ge=1, le=500)
    max_recommendations: int = Field(8, ge=1, le=50)
    # Also print each report to PDF with headless Chromium (skipped when Chromium is not installed).
    pdf: bool = True
    # Recipients (ROI_EXECUTIVE_REPORT_RECIPIENTS / ROI_OPERATIONAL_REPORT_RECIPIENTS override).
    executive_recipients: tuple[str, ...] = ()
    operational_recipients: tuple[str, ...] = ()


class EmailSettings(_Section):
    # off, dry_run (write .eml files to outbox_dir, ROI_OUTBOX_DIR overrides) or smtp.
    mode: Literal["off", "dry_run", "smtp"] = "dry_run"
    outbox_dir: str = "outbox"
    # ROI_SMTP_HOST / ROI_SMTP_PORT / ROI_SMTP_SENDER override; credentials only from
    # ROI_SMTP_USERNAME / ROI_SMTP_PASSWORD.
    smtp_host: str = "localhost"
    smtp_port: int = Field(587, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    sender: str = "ROI warehouse <roi-warehouse@localhost>"


class RetrySettings(_Section):
    # Each delivery (one e-mail, one webhook post) is tried up to `attempts` times, waiting
    # backoff_seconds, then twice that, ...; all of one evaluation's deliveries end within max_total_seconds.
    attempts: int = Field(3, ge=1, le=10)
    backoff_seconds: float = Field(2.0, ge=0)
    timeout_seconds: float = Field(10.0, gt=0)
    max_total_seconds: float = Field(30.0, gt=0)


class DeliverySettings(_Section):
    email: EmailSettings = EmailSettings()
    retry: RetrySettings = RetrySettings()


class ChannelRuleOverride(_Section):
    """One user channel rule: each given pattern (a regular expression, searched in the touch's lower-cased
    utm value, a missing value being ''; anchor with ^ and $ for a whole-value match) must match; an omitted
    pattern matches anything. Evaluated before the GA4 default rules of the channel_rules seed."""

    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    channel: str = Field(pattern=r"^[a-z][a-z0-9_]*$")

    @model_validator(mode="after")
    def _usable(self) -> ChannelRuleOverride:
        if self.channel == "unattributed":
            raise ValueError("channel 'unattributed' is reserved for conversions without a touch")
        for name in ("utm_source", "utm_medium", "utm_campaign"):
            pattern = getattr(self, name)
            if pattern is None:
                continue
            if pattern != pattern.lower():
                raise ValueError(f"{name} pattern {pattern!r} must be lower case (values are lower-cased first)")
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"{name} pattern {pattern!r} is not a regular expression: {error}") from error
        return self


class ChannelRuleSettings(_Section):
    # The user's channel rules, first match wins, before the GA4 default channel groups of
    # dbt_project/seeds/channel_rules.csv (paid campaigns still map through the campaign file first).
    overrides: list[ChannelRuleOverride] = []


class ScenarioChannelBounds(_Section):
    # Multiples of the channel's spend in the window; None keeps the scenario's.
    lower: float | None = Field(None, ge=0)
    upper: float | None = Field(None, ge=0)


class BudgetScenarioSettings(_Section):
    # A named budget scenario (optimisation.scenarios); every key left out takes the optimisation default.
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    # max_margin: split a total for the most expected incremental margin; least_spend: the least total
    # keeping revenue_multiple x today's expected incremental revenue; target_mroi: fund each channel
    # until its marginal ROI falls to mroi_floor.
    objective: Literal["max_margin", "least_spend", "target_mroi"]
    # max_margin's total over the window in the reporting currency, or today's total times total_multiple
    # (neither: today's total).
    total_rc: float | None = Field(None, ge=0)
    total_multiple: float | None = Field(None, ge=0)
    revenue_multiple: float = Field(1.0, gt=0)
    mroi_floor: float | None = None
    # The window: this many complete months, ending with window_end_month (YYYY-MM; None: the last
    # complete month).
    window_months: int | None = Field(None, ge=1, le=60)
    window_end_month: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    lower_multiple: float | None = Field(None, ge=0)
    upper_multiple: float | None = Field(None, ge=0)
    channel_bounds: dict[str, ScenarioChannelBounds] = {}
    # Channels held at their spend in the window.
    locked_channels: tuple[str, ...] = ()


class OptimisationSettings(_Section):
    # Budget scenarios over the marketing-mix model's response curves (lib/optimisation).
    # Window: the last this-many complete months.
    window_months: int = Field(12, ge=1, le=60)
    # Each channel between these multiples of its own spend in the window.
    lower_multiple: float = Field(0.3, ge=0)
    upper_multiple: float = Field(3.0, ge=0)
    # target_mroi funds each channel until its marginal ROI (margin of the next unit of spend - 1) falls to this.
    mroi_floor: float = 0.0
    # Credible interval level of revenue, margin and uplift.
    interval_level: float = Field(0.9, gt=0, lt=1)
    # The seed's targets, compared by WARN checks with fct_budget_scenario_summary.
    efficiency_target: float = Field(0.40, ge=0)
    roi_improvement_target: float = Field(0.25, ge=0)
    # The scenario alert: probability of improvement at least this, and expected net uplift at least
    # alert_min_uplift_rc (reporting currency, over the window).
    alert_min_probability: float = Field(0.90, ge=0, le=1)
    alert_min_uplift_rc: float = Field(10000.0, ge=0)
    # Seed of the optimiser's random starting points (same curves and seed, same recommendation).
    random_seed: int = 20250101
    # Named scenarios besides the three defaults.
    scenarios: tuple[BudgetScenarioSettings, ...] = ()

    @model_validator(mode="after")
    def _names_unique(self) -> OptimisationSettings:
        names = [scenario.name for scenario in self.scenarios]
        reserved = {"reallocate_same_budget", "same_revenue_least_spend", "target_mroi"}
        if len(set(names)) != len(names) or reserved & set(names):
            raise ValueError(f"scenario names must be unique and not one of the defaults {sorted(reserved)}")
        if self.upper_multiple < self.lower_multiple:
            raise ValueError("upper_multiple must be at least lower_multiple")
        return self


class MmmPriors(_Section):
    """Priors of the marketing-mix model, on PyMC-Marketing's scales (media and revenue divided by their
    maxima over the fit window): see ``config/roi.yml`` for what each one means."""

    adstock_alpha_beta: tuple[float, float] = (1.0, 3.0)  # Beta(a, b) of the weekly/daily carry-over share
    saturation_beta_sigma: float = Field(1.0, gt=0)  # HalfNormal sigma of a channel's maximum effect
    hill_kappa_sigma: float = Field(1.5, gt=0)  # HalfNormal sigma of the half-saturation spend (x max spend)
    hill_slope_alpha_beta: tuple[float, float] = (3.0, 2.0)  # Gamma(alpha, beta) of the Hill exponent
    logistic_lam_alpha_beta: tuple[float, float] = (3.0, 1.0)  # Gamma(alpha, beta) of the logistic steepness
    noise_sigma: float = Field(0.2, gt=0)  # HalfNormal sigma of the revenue noise


class IncrementalitySettings(_Section):
    """The marketing-mix model (MMM): inputs, model, sampler and when it refits."""

    enabled: bool = True  # False: the MMM assets write empty tables and say so (never a failed run)
    # Chosen by measured accuracy and time (bench/bench_mmm.py accuracy; figures in config/roi.yml and README).
    granularity: Literal["week", "day"] = "week"
    # Conversion types whose revenue is the KPI; empty = every conversion.
    conversion_types: tuple[str, ...] = ()
    saturation: Literal["hill", "logistic"] = "hill"
    adstock_max_lag_days: int = Field(28, ge=7, le=91)  # carry-over window; weeks = ceil(days / 7)
    yearly_fourier_terms: int = Field(2, ge=0, le=10)
    # Dated events (promotions, holidays) entered as 0/1 controls: {name: [YYYY-MM-DD, ...]}.
    events: dict[str, tuple[str, ...]] = {}
    priors: MmmPriors = MmmPriors()
    sampler: Literal["pymc", "nutpie", "numpyro"] = "nutpie"  # chosen by measured time (bench/bench_mmm.py)
    chains: int = Field(2, ge=1, le=8)
    # 2000 draws a chain: with 1000, nutpie's seed-11 fit read max r_hat 1.0104 (min ESS 636), over the check's
    # 1.01 by sampling noise; 2000 read 1.0029 (ESS 1251) for ~11 s more CPU (bench/bench_mmm.py).
    draws: int = Field(2000, ge=100)
    tune: int = Field(1000, ge=100)
    target_accept: float = Field(0.95, gt=0.5, lt=1)
    random_seed: int = 20260101
    credible_interval: float = Field(0.90, gt=0, lt=1)
    min_weeks: int = Field(52, ge=8)  # less data than this: the fit is skipped (WARN), never a failed run
    holdout_weeks: int = Field(8, ge=0, le=26)  # final weeks held out to measure the forecast MAPE
    use_lift_tests: bool = True
    refit_every_days: int = Field(7, ge=1)  # the weekly schedule; a changed input hash refits at once
    # Checks: convergence (ERROR, blocks publishing), holdout MAPE and lift-test agreement (WARN).
    max_r_hat: float = Field(1.01, gt=1)
    max_divergences: int = Field(0, ge=0)
    max_holdout_mape: float = Field(0.15, gt=0)
    max_lift_test_abs_z: float = Field(2.0, gt=0)
    curve_steps: int = Field(40, ge=30)  # response-curve points from 0 to curve_max_multiple x average spend
    curve_max_multiple: float = Field(3.0, gt=1)
    curve_draws_kept: int = Field(500, ge=50)  # posterior draws written per channel (curves, ROI intervals)


class PlausibilitySettings(_Section):
    # A campaign's spend day is implausible when its robust score |spend - median| / max(1.4826 x MAD,
    # min_scale_pct x |median|), over the campaign's previous history_days calendar days with spend (at
    # least min_history_days of them), is above max_robust_score: listed in audit.spend_anomalies, a WARN
    # check (spend_plausibility) and an alert (spend_anomaly); the day is loaded, never blocked.
    history_days: int = Field(28, ge=7)
    min_history_days: int = Field(14, ge=3)
    # 50 robust standard deviations: the shipped sample's ramp-ups and flights stay below it; a unit
    # slip (micros as units, an extra digit or three) is far above it.
    max_robust_score: float = Field(50.0, gt=0)
    # The scale's floor as a share of the median, so a campaign that spends the same every day (MAD 0)
    # is scored too.
    min_scale_pct: float = Field(0.05, gt=0)

    @model_validator(mode="after")
    def _history_fits_window(self) -> PlausibilitySettings:
        if self.min_history_days > self.history_days:
            raise ValueError("plausibility.min_history_days cannot exceed plausibility.history_days")
        return self


class PipelineSettings(_Section):
    """B2B pipeline (marketing/opportunities): how the CRM's stages are ordered."""

    # The CRM's stages from first to last (lower case, as staging writes them). A snapshot whose stage comes
    # earlier in this list than its previous snapshot's is a stage regression (fct_opportunity_stage_history).
    # Stages not listed load as they are, without an order (a regression cannot be decided for them).
    stage_order: tuple[str, ...] = (
        "prospecting",
        "qualification",
        "proposal",
        "negotiation",
        "closed_won",
        "closed_lost",
    )

    @model_validator(mode="after")
    def _distinct_lower_case(self) -> PipelineSettings:
        if len(set(self.stage_order)) != len(self.stage_order):
            raise ValueError("pipeline.stage_order lists a stage twice")
        if any(stage != stage.strip().lower() or not stage for stage in self.stage_order):
            raise ValueError("pipeline.stage_order: stages are non-empty, lower case, without surrounding spaces")
        return self


class LakeSettings(_Section):
    """The shared lake: immutable Parquet copies of the raw tables that any engine (DuckDB, Spark) can read."""

    # Folder or object-store URI (s3://, gs://, abfs://) of the lake; None = `lake/` beside the warehouse
    # file. Env ROI_LAKE overrides it.
    location: str | None = None
    # After each committed load, write the raw rows it added as Parquet under <lake>/raw/<table>/load_id=<run>/.
    write_raw: bool = True


class RealtimeSettings(_Section):
    """Real-time budget tracking: spend-only runs (lib/spend_only.py) and how soon the landing sensor starts one."""

    # When the only change since the last successful build is landing files of non-journey sources (spend,
    # invoices, GL, budgets, FX, ...), rebuild what they feed and leave attribution as built; false: every
    # change is a full build.
    spend_only_runs: bool = True
    # A spend-only run also publishes the snapshot after its first stage (spend, reconciliation, budget vs
    # actual, pacing, alerts), so they reach readers before stage two rebuilds the ROI marts over them; for
    # that stage the snapshot's ROI marts are the previous build's. false: one snapshot, after stage two.
    publish_after_stage_one: bool = True
    # Seconds between the landing sensor's looks at the landing zone (with `make ui` or the daemon running):
    # a spend file reaches the published snapshot about this long plus one spend-only run after it lands.
    landing_sensor_interval_seconds: int = Field(5, ge=1)


class RoiConfig(_Section):
    attribution: AttributionSettings = AttributionSettings()
    periods: PeriodSettings = PeriodSettings()
    reconciliation: ReconciliationSettings = ReconciliationSettings()
    budget: BudgetSettings = BudgetSettings()
    pacing: PacingSettings = PacingSettings()
    fx: FxSettings = FxSettings()
    ingestion: IngestionSettings = IngestionSettings()
    alerts: AlertSettings = AlertSettings()
    reports: ReportSettings = ReportSettings()
    delivery: DeliverySettings = DeliverySettings()
    channel_rules: ChannelRuleSettings = ChannelRuleSettings()
    optimisation: OptimisationSettings = OptimisationSettings()
    incrementality: IncrementalitySettings = IncrementalitySettings()
    plausibility: PlausibilitySettings = PlausibilitySettings()
    pipeline: PipelineSettings = PipelineSettings()
    lake: LakeSettings = LakeSettings()
    realtime: RealtimeSettings = RealtimeSettings()


def _resolve(path_value: str) -> Path:
    path = Path(path_value).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def landing_dir() -> Path:
    """The landing zone: one folder per source (``ROI_LANDING_DIR``)."""
    return _resolve(os.environ.get("ROI_LANDING_DIR", "seeds/sample"))


def warehouse_path() -> Path:
    """The DuckDB warehouse file (``ROI_WAREHOUSE``)."""
    return _resolve(os.environ.get("ROI_WAREHOUSE", "warehouse/roi.duckdb"))


def lake_location(cfg: RoiConfig | None = None) -> str:
    """The lake's root: ``ROI_LAKE``, else ``lake.location`` in the config, else ``lake/`` beside the warehouse.

    A local folder comes back as an absolute path; an object-store URI (``s3://…``) as it is.
    """
    configured = os.environ.get("ROI_LAKE") or (cfg or config()).lake.location
    if configured is None:
        return str(warehouse_path().parent / "lake")
    if re.match(r"^[a-z][a-z0-9+.-]*://", configured):
        return configured.rstrip("/")
    return str(_resolve(configured))


def reporting_currency() -> str:
    """ISO 4217 code all ``_rc`` money columns are expressed in."""
    code = os.environ.get("ROI_REPORTING_CURRENCY", "USD").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"ROI_REPORTING_CURRENCY must be a 3-letter ISO code, got {code!r}")
    return code


def config_path() -> Path:
    return _resolve(os.environ.get("ROI_CONFIG", str(DEFAULT_CONFIG_PATH)))


def load_config(path: Path | None = None) -> RoiConfig:
    """Read and validate the config file; a missing file means all defaults."""
    path = path or config_path()
    if not path.exists():
        if path != DEFAULT_CONFIG_PATH:
            raise FileNotFoundError(f"config file {path} (from ROI_CONFIG) does not exist")
        return RoiConfig()
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    try:
        return RoiConfig.model_validate(raw)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


@cache
def config() -> RoiConfig:
    """The process-wide config (cached; tests call ``config.cache_clear()``)."""
    return load_config()


def dbt_vars(cfg: RoiConfig | None = None) -> dict[str, Any]:
    """The config as dbt ``--vars``: the only way settings reach the SQL."""
    cfg = cfg or config()
    return {
        "reporting_currency": reporting_currency(),
        "fx_max_staleness_days": cfg.fx.max_staleness_days,
        "attribution_lookback_days": cfg.attribution.lookback_days,
        "time_decay_half_life_days": cfg.attribution.time_decay_half_life_days,
        "position_weight_first": cfg.attribution.position_weights.first,
        "position_weight_middle": cfg.attribution.position_weights.middle,
        "position_weight_last": cfg.attribution.position_weights.last,
        "bootstrap_resamples": cfg.attribution.bootstrap_resamples,
        "bootstrap_confidence_level": cfg.attribution.confidence_level,
        "bootstrap_random_seed": cfg.attribution.random_seed,
        "reconciliation_tolerance_pct": cfg.reconciliation.tolerance_pct,
        "reconciliation_tolerance_abs": cfg.reconciliation.tolerance_abs,
        "as_of_date": None if cfg.periods.as_of_date is None else cfg.periods.as_of_date.isoformat(),
        "period_close_grace_days": cfg.periods.close_grace_days,
        "fiscal_year_start_month": cfg.budget.fiscal_year_start_month,
        "tracking_tolerance_pct": cfg.budget.tracking_tolerance_pct,
        "pacing_under_pct": cfg.pacing.under_pct,
        "pacing_over_pct": cfg.pacing.over_pct,
        "pacing_profile_weeks": cfg.pacing.profile_weeks,
        "channel_rule_overrides": [override.model_dump(exclude_none=True) for override in cfg.channel_rules.overrides],
        "mmm_max_lift_test_abs_z": cfg.incrementality.max_lift_test_abs_z,
        "preferred_attribution_model": cfg.attribution.preferred_model,
        "spend_anomaly_history_days": cfg.plausibility.history_days,
        "spend_anomaly_min_history_days": cfg.plausibility.min_history_days,
        "spend_anomaly_max_score": cfg.plausibility.max_robust_score,
        "spend_anomaly_min_scale_pct": cfg.plausibility.min_scale_pct,
        "opportunity_stage_order": list(cfg.pipeline.stage_order),
    }
