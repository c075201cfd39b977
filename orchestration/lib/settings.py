"""Settings: where the data lives (environment) and the business rules (config file).

Paths and the reporting currency come from environment variables so that the
same code serves the shipped sample and a company's own landing zone. Every
other knob lives in one YAML file (``config/roi.yml``), validated here so a
typo is a clear error instead of a silently ignored key.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "roi.yml"
# The dbt target every invocation names, so `dbt parse` and the run's `dbt build` share partial parsing.
DBT_TARGET = "dev"


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
    bootstrap_resamples: int = Field(1000, ge=100)
    confidence_level: float = Field(0.95, gt=0, lt=1)
    random_seed: int = 20250101
    preferred_model: str = "markov"


class ReconciliationSettings(_Section):
    tolerance_pct: float = Field(0.01, ge=0)
    tolerance_abs: float = Field(1.00, ge=0)
    sync_target: float = Field(0.95, ge=0, le=1)


class BudgetSettings(_Section):
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    tracking_tolerance_pct: float = Field(0.10, ge=0)
    tracking_target: float = Field(0.90, ge=0, le=1)


class PacingSettings(_Section):
    under_pct: float = Field(0.10, ge=0)
    over_pct: float = Field(0.05, ge=0)
    backtest_mape_warning: float = Field(0.10, ge=0)


class FxSettings(_Section):
    max_staleness_days: int = Field(7, ge=0)


class IngestionSettings(_Section):
    max_abs_amount: float = Field(1e12, gt=0)
    max_text_length: int = Field(4096, gt=0)
    min_date: str = "1990-01-01"
    max_date: str = "2100-12-31"


class AlertSettings(_Section):
    over_budget_pct: float = Field(0.05, ge=0)
    roi_floor: float = 0.0


class RoiConfig(_Section):
    attribution: AttributionSettings = AttributionSettings()
    reconciliation: ReconciliationSettings = ReconciliationSettings()
    budget: BudgetSettings = BudgetSettings()
    pacing: PacingSettings = PacingSettings()
    fx: FxSettings = FxSettings()
    ingestion: IngestionSettings = IngestionSettings()
    alerts: AlertSettings = AlertSettings()


def _resolve(path_value: str) -> Path:
    path = Path(path_value).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def landing_dir() -> Path:
    """The landing zone: one folder per source (``ROI_LANDING_DIR``)."""
    return _resolve(os.environ.get("ROI_LANDING_DIR", "seeds/sample"))


def warehouse_path() -> Path:
    """The DuckDB warehouse file (``ROI_WAREHOUSE``)."""
    return _resolve(os.environ.get("ROI_WAREHOUSE", "warehouse/roi.duckdb"))


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
        "reconciliation_tolerance_pct": cfg.reconciliation.tolerance_pct,
        "reconciliation_tolerance_abs": cfg.reconciliation.tolerance_abs,
        "fiscal_year_start_month": cfg.budget.fiscal_year_start_month,
        "tracking_tolerance_pct": cfg.budget.tracking_tolerance_pct,
        "pacing_under_pct": cfg.pacing.under_pct,
        "pacing_over_pct": cfg.pacing.over_pct,
    }
