"""The marketing-mix model as Dagster assets: one fit, five tables in schema ``incrementality``.

The fit is slow next to the daily build, so it is cached: the asset hashes its inputs (channel x
period aggregates read from the marts, lift tests, the model settings) and refits only when that
hash changed, when there is no saved fit yet, or when a refit is asked for (the weekly
``mmm_weekly_refit`` schedule of the ``mmm_refit`` job, or ``refit: true`` in the run config). Otherwise the saved fit
(``<warehouse dir>/mmm/<fit_id>/``) keeps serving; its tables are rewritten only when the warehouse
does not hold them already, so a build without a refit costs one aggregate query.

A fit whose sampler did not converge (r_hat, divergences) is not published: it is neither saved nor
written to the tables, which keep the previous fit (the optimiser reads that one), and its ERROR check
fails, which holds the snapshot back (lib/publish_gate.py) while the rest of the warehouse is rebuilt.
Too little data skips the fit with a WARN check, and the tables stay as they were (empty on a first
build): never a failed run.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from orchestration.defs.resources import Warehouse
from orchestration.lib import checks
from orchestration.lib.incrementality import inputs as mmm_inputs
from orchestration.lib.incrementality import outputs, store, tables
from orchestration.lib.settings import IncrementalitySettings, config
from orchestration.lib.warehouse import replace_tables as replace_warehouse_tables

SCHEMA = "incrementality"
CURVE_DRAWS = dg.AssetKey([SCHEMA, "mmm_curve_draws"])
FIT_DIAGNOSTICS = dg.AssetKey([SCHEMA, "mmm_fit_diagnostics"])
PERIOD_EFFECTS = dg.AssetKey([SCHEMA, "mmm_channel_period_effects"])
RESPONSE_CURVES = dg.AssetKey([SCHEMA, "mmm_response_curves"])
LIFT_TESTS = dg.AssetKey([SCHEMA, "mmm_lift_test_calibration"])
UPSTREAM = [
    dg.AssetKey(["marts", "fct_conversions"]),
    dg.AssetKey(["marts", "fct_marketing_spend_daily"]),
    dg.AssetKey(["intermediate", "int_lift_tests_converted_to_rc"]),
    dg.AssetKey(["intermediate", "int_periods"]),
]

# Description and column types of every table (orchestration/lib/incrementality/tables.py).
TABLES: dict[dg.AssetKey, tuple[str, dict[str, str]]] = {
    CURVE_DRAWS: (
        (
            "Posterior draws of each channel's steady-state daily response curve (reporting currency per day): the "
            "interface the budget optimiser reads (`curves.py::curves_from_frame`)."
        ),
        tables.COLUMNS["mmm_curve_draws"],
    ),
    FIT_DIAGNOSTICS: (
        (
            "The current fit: window, granularity, fit quality (R², MAPE in sample and on the held-out final "
            "weeks), convergence (max r_hat, min ESS, divergences), lift tests used, versions, input hash, time."
        ),
        tables.COLUMNS["mmm_fit_diagnostics"],
    ),
    PERIOD_EFFECTS: (
        (
            "Incremental revenue per (period type, period, channel) with its credible interval, and the marginal "
            "ROAS of the next 1 % of spend at the period's level: months and fiscal years the fit covers "
            "completely."
        ),
        tables.COLUMNS["mmm_channel_period_effects"],
    ),
    RESPONSE_CURVES: (
        (
            "Each channel's steady-state daily response curve from 0 to 3x its average daily spend, with interval, "
            "marginal ROAS and whether a level lies beyond the highest spend observed."
        ),
        tables.COLUMNS["mmm_response_curves"],
    ),
    LIFT_TESTS: (
        (
            "Each lift test's measured incremental revenue against the model's over the same days, with both "
            "intervals and the z-score of their difference."
        ),
        tables.COLUMNS["mmm_lift_test_calibration"],
    ),
}
TABLE_NAMES = {key: key.path[-1] for key in TABLES}

CONVERGENCE = "mmm_converged"
DATA_SUFFICIENT = "mmm_has_enough_data"
HOLDOUT_MAPE = "mmm_holdout_mape"
LIFT_AGREEMENT = "mmm_lift_tests_agree"
# The asset each check is on (its Dagster check and its audit.dq_results row alike).
CHECKED_ASSET = {
    CONVERGENCE: CURVE_DRAWS,
    DATA_SUFFICIENT: FIT_DIAGNOSTICS,
    HOLDOUT_MAPE: FIT_DIAGNOSTICS,
    LIFT_AGREEMENT: LIFT_TESTS,
}


REFIT_TAG = "roi/mmm_refit"  # a run tagged "true" refits (the mmm_refit job and its weekly schedule)


class MmmRunConfig(dg.Config):
    refit: bool = False
    """Fit again even when the inputs did not change (as the ``mmm_refit`` job does)."""


def ensure_tables(connection: duckdb.DuckDBPyConnection) -> None:
    tables.ensure_tables(connection)


def replace_tables(connection: duckdb.DuckDBPyConnection, frames: dict[dg.AssetKey, pd.DataFrame]) -> None:
    """Replace every table's rows in one transaction (readers see the old fit or the new one)."""
    ensure_tables(connection)
    replace_warehouse_tables(
        connection,
        [
            (SCHEMA, TABLE_NAMES[key], list(TABLES[key][1].items()), frame.reindex(columns=list(TABLES[key][1])))
            for key, frame in frames.items()
        ],
    )


def published_fit_id(connection: duckdb.DuckDBPyConnection) -> str | None:
    exists = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [SCHEMA, TABLE_NAMES[FIT_DIAGNOSTICS]],
    ).fetchone()
    if not exists or not exists[0]:
        return None
    row = connection.execute(f"select max(fit_id) from {SCHEMA}.{TABLE_NAMES[FIT_DIAGNOSTICS]}").fetchone()  # noqa: S608
    return None if row is None else row[0]


def fiscal_years(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = connection.execute("select fiscal_period, fiscal_year_label from intermediate.int_periods").fetchall()
    return dict(rows)


def fit_tables(
    fit_id: str, outcome: Any, inputs: mmm_inputs.MmmInputs, settings: IncrementalitySettings, fiscal: dict[str, str]
) -> dict[dg.AssetKey, pd.DataFrame]:
    spend = inputs.frame[list(inputs.channels)].to_numpy(dtype=float)
    last_year = min(len(spend), round(365 / inputs.period_days))
    average_daily = spend[-last_year:].sum(axis=0) / (last_year * inputs.period_days)
    return {
        CURVE_DRAWS: outputs.curve_draws_frame(fit_id, outcome.curves, settings.curve_draws_kept),
        FIT_DIAGNOSTICS: outputs.diagnostics_frame(fit_id, "", outcome.diagnostics),
        PERIOD_EFFECTS: outputs.period_effects_frame(
            fit_id,
            outcome.channels,
            outcome.period_start,
            inputs.period_days,
            outcome.contributions,
            spend,
            outcome.curves,
            fiscal,
            settings.credible_interval,
        ),
        RESPONSE_CURVES: outputs.response_curve_frame(
            fit_id,
            outcome.curves,
            average_daily,
            settings.curve_steps,
            settings.curve_max_multiple,
            settings.credible_interval,
        ),
        LIFT_TESTS: outputs.lift_test_frame(fit_id, outcome.lift_tests),
    }


def convergence_outcome(diagnostics: dict[str, Any], settings: IncrementalitySettings) -> checks.CheckOutcome:
    r_hat, divergences = diagnostics["max_r_hat"], diagnostics["divergences"]
    passed = r_hat <= settings.max_r_hat and divergences <= settings.max_divergences
    return checks.CheckOutcome(
        name=CONVERGENCE,
        passed=bool(passed),
        value=float(r_hat),
        threshold=settings.max_r_hat,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"max r_hat {r_hat:.4f} (at most {settings.max_r_hat}), {divergences} divergence(s) "
            f"(at most {settings.max_divergences})" + ("" if passed else ": this fit is not published")
        ),
        details={"divergences": divergences, "min_ess_bulk": diagnostics.get("min_ess_bulk")},
    )


def quality_outcomes(
    diagnostics: dict[str, Any], lift_tests: pd.DataFrame, settings: IncrementalitySettings
) -> list[checks.CheckOutcome]:
    """The model's accuracy targets (WARN, never blocking): held-out forecast error and lift-test agreement."""
    mape = diagnostics.get("mape_holdout")
    worst = float(lift_tests["z_score"].abs().max()) if len(lift_tests) else None
    holdout = (
        checks.not_measurable(HOLDOUT_MAPE, "no held-out weeks", threshold=settings.max_holdout_mape)
        if mape is None
        else checks.target(
            HOLDOUT_MAPE,
            value=mape,
            threshold=settings.max_holdout_mape,
            met=mape <= settings.max_holdout_mape,
            description=f"MAPE of the revenue forecast on the final {settings.holdout_weeks} held-out weeks: "
            f"{mape:.1%}",
        )
    )
    agreement = (
        checks.not_measurable(
            LIFT_AGREEMENT, "no lift test on a modelled channel", threshold=settings.max_lift_test_abs_z
        )
        if worst is None
        else checks.target(
            LIFT_AGREEMENT,
            value=worst,
            threshold=settings.max_lift_test_abs_z,
            met=worst <= settings.max_lift_test_abs_z,
            description=f"largest |z| between a lift test and the model over its window: {worst:.2f}",
            details={"z_scores": dict(zip(lift_tests["lift_test_id"], lift_tests["z_score"].round(2), strict=True))},
        )
    )
    return [holdout, agreement]


def _skipped(reason: str, settings: IncrementalitySettings, name: str) -> list[checks.CheckOutcome]:
    warn = dg.AssetCheckSeverity.WARN
    return [
        checks.CheckOutcome(DATA_SUFFICIENT, False, None, float(settings.min_weeks), warn, f"fit skipped: {reason}"),
        checks.CheckOutcome(
            CONVERGENCE, True, None, settings.max_r_hat, dg.AssetCheckSeverity.ERROR, f"no new fit to check ({name})"
        ),
        checks.not_measurable(HOLDOUT_MAPE, "no fit", threshold=settings.max_holdout_mape),
        checks.not_measurable(LIFT_AGREEMENT, "no fit", threshold=settings.max_lift_test_abs_z),
    ]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, deps=UPSTREAM, group_name=SCHEMA, description=description, kinds={"pymc", "duckdb"})
        for key, (description, _) in TABLES.items()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            CONVERGENCE,
            asset=CURVE_DRAWS,
            description="The sampler converged (max r_hat, divergences): else the fit is not published.",
        ),
        dg.AssetCheckSpec(
            DATA_SUFFICIENT,
            asset=FIT_DIAGNOSTICS,
            description="Enough weeks and spend variation per channel to fit (else skipped, WARN).",
        ),
        dg.AssetCheckSpec(
            HOLDOUT_MAPE,
            asset=FIT_DIAGNOSTICS,
            description="Revenue forecast error on the held-out final weeks (WARN).",
        ),
        dg.AssetCheckSpec(
            LIFT_AGREEMENT,
            asset=LIFT_TESTS,
            description="Every lift test agrees with the model within |z| <= 2 (WARN).",
        ),
    ],
    name="marketing_mix_model",
    can_subset=False,
)
def marketing_mix_model(
    context: dg.AssetExecutionContext, warehouse: Warehouse, config: MmmRunConfig
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Fit (or reuse) the marketing-mix model and write its tables."""
    settings = config_settings()
    root = store.fits_dir(Path(warehouse.path))
    with warehouse.connect() as connection:
        ensure_tables(connection)
        inputs = mmm_inputs.read_inputs(connection, settings.granularity, settings.conversion_types)
        fiscal = fiscal_years(connection)
        published = published_fit_id(connection)
    input_hash = inputs.input_hash(mmm_inputs.settings_fingerprint(settings))
    saved = store.current_fit(root)
    reason = "the MMM is disabled in config (incrementality.enabled)" if not settings.enabled else None
    reason = reason or mmm_inputs.too_little_data(inputs, settings.min_weeks)
    outcomes: list[checks.CheckOutcome]
    if reason is not None:
        context.log.warning(f"marketing-mix model skipped: {reason}")
        outcomes = _skipped(reason, settings, saved.fit_id if saved else "no fit")
    else:
        requested = config.refit or context.run.tags.get(REFIT_TAG) == "true"
        decision = store.refit_decision(saved, input_hash, refit_requested=requested)
        context.log.info(f"marketing-mix model: {'refit' if decision.refit else 'reuse'}, {decision.reason}")
        if decision.refit:
            outcomes, saved = _refit(context, inputs, settings, input_hash, fiscal, root, saved)
        else:
            assert saved is not None
            diagnostics = saved.metadata.get("diagnostics", {})
            outcomes = [
                checks.CheckOutcome(
                    DATA_SUFFICIENT,
                    True,
                    inputs.weeks,
                    float(settings.min_weeks),
                    dg.AssetCheckSeverity.WARN,
                    f"{inputs.weeks:.0f} weeks of data",
                ),
                convergence_outcome(diagnostics, settings),
                *quality_outcomes(diagnostics, saved.table(TABLE_NAMES[LIFT_TESTS]), settings),
            ]
        if saved is not None and saved.fit_id != published:
            with warehouse.connect() as connection:
                replace_tables(connection, {key: saved.table(TABLE_NAMES[key]) for key in TABLES})
            context.log.info(f"published fit {saved.fit_id} to schema {SCHEMA}")
    with warehouse.connect() as connection:
        for outcome in outcomes:  # under the asset each check is on, as Dagster shows it
            checks.record(connection, [outcome], CHECKED_ASSET[outcome.name], context.run_id)
        counts = {
            key: connection.execute(f"select count(*) from {SCHEMA}.{TABLE_NAMES[key]}").fetchone()[0]  # noqa: S608
            for key in TABLES
        }
    for key, (_, columns) in TABLES.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": int(counts[key]),
                "dagster/column_schema": dg.TableSchema(
                    columns=[dg.TableColumn(name=name, type=kind) for name, kind in columns.items()]
                ),
                "fit_id": saved.fit_id if saved is not None else "none",
                "input_hash": input_hash,
            },
        )
    for outcome in outcomes:
        yield checks.to_asset_check_result(outcome, CHECKED_ASSET[outcome.name])


def _refit(
    context: dg.AssetExecutionContext,
    inputs: mmm_inputs.MmmInputs,
    settings: IncrementalitySettings,
    input_hash: str,
    fiscal: dict[str, str],
    root: Path,
    saved: store.SavedFit | None,
) -> tuple[list[checks.CheckOutcome], store.SavedFit | None]:
    from orchestration.lib.incrementality import model

    fit_id = store.new_fit_id(input_hash)
    context.log.info(
        f"fitting {fit_id}: {len(inputs.frame)} {inputs.granularity}s x {len(inputs.channels)} channels, "
        f"{len(inputs.lift_tests)} lift test(s), sampler {settings.sampler}"
    )
    outcome = model.fit(inputs, settings)
    diagnostics = {**outcome.diagnostics}
    tables = fit_tables(fit_id, outcome, inputs, settings, fiscal)
    tables[FIT_DIAGNOSTICS] = outputs.diagnostics_frame(fit_id, input_hash, diagnostics)
    converged = convergence_outcome(diagnostics, settings)
    sufficient = checks.CheckOutcome(
        DATA_SUFFICIENT,
        True,
        inputs.weeks,
        float(settings.min_weeks),
        dg.AssetCheckSeverity.WARN,
        f"{inputs.weeks:.0f} weeks of data",
    )
    outcomes = [sufficient, converged, *quality_outcomes(diagnostics, tables[LIFT_TESTS], settings)]
    context.log.info(f"fit {fit_id}: {converged.description}; {diagnostics['fit_seconds']} s")
    if not converged.passed:
        context.log.error(f"fit {fit_id} did not converge: the previous fit keeps serving")
        return outcomes, saved
    metadata = {"diagnostics": {key: value for key, value in diagnostics.items()}}
    names = {TABLE_NAMES[key]: frame for key, frame in tables.items()}
    return outcomes, store.save_fit(root, fit_id, input_hash, outcome.idata, names, metadata)


MMM_ENABLED_ENV = "ROI_MMM_ENABLED"


def config_settings() -> IncrementalitySettings:
    """The config's ``incrementality`` section; ``ROI_MMM_ENABLED=0`` (or ``false``) turns the fit off."""
    settings = config().incrementality
    flag = os.environ.get(MMM_ENABLED_ENV, "").strip().lower()
    if flag in ("0", "false", "no", "off"):
        return settings.model_copy(update={"enabled": False})
    if flag in ("1", "true", "yes", "on"):
        return settings.model_copy(update={"enabled": True})
    return settings
