"""The tables the marketing-mix model writes (schema ``incrementality``): names and column types.

They exist from the first build on (empty until a fit is published): the incrementality marts are
dbt views over them, created in the same dbt build the model reads from.
"""

import duckdb

SCHEMA = "incrementality"
COLUMNS: dict[str, dict[str, str]] = {
    "mmm_curve_draws": {
        "fit_id": "varchar",
        "channel": "varchar",
        "draw": "integer",
        "saturation": "varchar",
        "beta": "double",
        "kappa": "double",
        "slope": "double",
        "lam": "double",
        "observed_max_daily_spend_rc": "double",
    },
    "mmm_fit_diagnostics": {
        "fit_id": "varchar",
        "input_hash": "varchar",
        "granularity": "varchar",
        "window_start": "date",
        "window_end": "date",
        "rows": "integer",
        "train_rows": "integer",
        "holdout_rows": "integer",
        "channels": "integer",
        "r_squared": "double",
        "mape_in_sample": "double",
        "mape_holdout": "double",
        "max_r_hat": "double",
        "min_ess_bulk": "double",
        "divergences": "integer",
        "fit_seconds": "double",
        "lift_tests_used": "integer",
        "library_versions": "varchar",
    },
    "mmm_channel_period_effects": {
        "fit_id": "varchar",
        "period_type": "varchar",
        "period": "varchar",
        "channel": "varchar",
        "model_spend_rc": "double",
        "incremental_revenue_rc": "double",
        "incremental_revenue_ci_low_rc": "double",
        "incremental_revenue_ci_high_rc": "double",
        "marginal_roas": "double",
    },
    "mmm_response_curves": {
        "fit_id": "varchar",
        "channel": "varchar",
        "step": "integer",
        "daily_spend_rc": "double",
        "average_daily_spend_rc": "double",
        "incremental_revenue_per_day_rc": "double",
        "incremental_revenue_per_day_ci_low_rc": "double",
        "incremental_revenue_per_day_ci_high_rc": "double",
        "marginal_roas": "double",
        "is_extrapolated": "boolean",
    },
    "mmm_lift_test_calibration": {
        "fit_id": "varchar",
        "lift_test_id": "varchar",
        "channel": "varchar",
        "start_date": "date",
        "end_date": "date",
        "spend_rc": "double",
        "measured_incremental_revenue_rc": "double",
        "measured_ci_low_rc": "double",
        "measured_ci_high_rc": "double",
        "model_incremental_revenue_rc": "double",
        "model_ci_low_rc": "double",
        "model_ci_high_rc": "double",
        "z_score": "double",
    },
}


def ensure_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the schema and every table if missing."""
    connection.execute(f"create schema if not exists {SCHEMA}")
    for table, columns in COLUMNS.items():
        ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        connection.execute(f"create table if not exists {SCHEMA}.{table} ({ddl})")
