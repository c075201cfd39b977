"""What the marketing-mix model is fitted on, read with SQL from the marts as channel x period aggregates.

* KPI: revenue of the conversions (``marts.fct_conversions``, reporting currency) per period, of the
  configured conversion types (all when none are listed);
* media: ``spend_rc`` per channel and period (``marts.fct_marketing_spend_daily``);
* lift tests in the reporting currency (``intermediate.int_lift_tests_converted_to_rc``).

A period is a day or an ISO week (Monday first). Only complete periods inside the data window enter:
a partial first or last week would read as a drop in revenue. The hash of these aggregates (and of
the settings that shape the model) decides whether a saved fit can be reused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

Granularity = Literal["week", "day"]
PERIOD_DAYS: dict[str, int] = {"week": 7, "day": 1}
LIFT_COLUMNS = [
    "lift_test_id",
    "channel",
    "start_date",
    "end_date",
    "spend_rc",
    "incremental_revenue_rc",
    "incremental_revenue_ci_low_rc",
    "incremental_revenue_ci_high_rc",
]


@dataclass(frozen=True)
class MmmInputs:
    """One row per period: ``period_start``, ``revenue_rc`` and one spend column per channel."""

    granularity: Granularity
    frame: pd.DataFrame
    channels: tuple[str, ...]
    lift_tests: pd.DataFrame  # lift_test_id, channel, start_date, end_date, spend_rc, incremental_revenue_rc, ci

    @property
    def period_days(self) -> int:
        return PERIOD_DAYS[self.granularity]

    @property
    def weeks(self) -> float:
        return len(self.frame) * self.period_days / 7

    def input_hash(self, settings_fingerprint: str) -> str:
        """A digest of every aggregate the fit sees and of the settings that shape it."""
        digest = hashlib.sha256()
        digest.update(settings_fingerprint.encode())
        rounded = self.frame.copy()
        numeric = rounded.select_dtypes("number").columns
        rounded[numeric] = rounded[numeric].round(2)
        digest.update(pd.util.hash_pandas_object(rounded, index=False).to_numpy().tobytes())
        digest.update(self.lift_tests.round(2).to_csv(index=False).encode())
        return digest.hexdigest()[:16]


def period_start_sql(column: str, granularity: Granularity) -> str:
    """SQL for the first day of the period of a date column (ISO weeks start on Monday)."""
    return f"cast({column} as date)" if granularity == "day" else f"cast(date_trunc('week', {column}) as date)"


def read_inputs(
    connection: duckdb.DuckDBPyConnection,
    granularity: Granularity,
    conversion_types: tuple[str, ...] = (),
) -> MmmInputs:
    spend = connection.execute(
        f"""
        select {period_start_sql("spend_date", granularity)} as period_start, channel, sum(spend_rc) as spend_rc,
               min(spend_date) as first_day, max(spend_date) as last_day
        from marts.fct_marketing_spend_daily
        group by all
        """  # noqa: S608 - only the fixed period expression is formatted in
    ).df()
    revenue = connection.execute(
        f"""
        select {period_start_sql("conversion_date", granularity)} as period_start, sum(revenue_rc) as revenue_rc,
               min(conversion_date) as first_day, max(conversion_date) as last_day
        from marts.fct_conversions
        where len(?::varchar[]) = 0 or list_contains(?::varchar[], conversion_type)
        group by all
        """,  # noqa: S608 - only the fixed period expression is formatted in
        [list(conversion_types), list(conversion_types)],
    ).df()
    window = connection.execute(
        """
        select greatest(
                   (select min(spend_date) from marts.fct_marketing_spend_daily),
                   (select min(conversion_date) from marts.fct_conversions)),
               least(
                   (select max(spend_date) from marts.fct_marketing_spend_daily),
                   (select max(conversion_date) from marts.fct_conversions))
        """
    ).fetchone()
    lift_tests = read_lift_tests(connection)
    return assemble(spend, revenue, window, granularity, lift_tests)


def read_lift_tests(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    exists = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'intermediate' and table_name = 'int_lift_tests_converted_to_rc'"
    ).fetchone()
    columns = LIFT_COLUMNS
    if not exists or not exists[0]:
        return pd.DataFrame(columns=columns)
    return connection.execute(
        f"select {', '.join(columns)} from intermediate.int_lift_tests_converted_to_rc "  # noqa: S608 - fixed names
        "where has_fx_rate order by lift_test_id"
    ).df()


def assemble(
    spend: pd.DataFrame,
    revenue: pd.DataFrame,
    window: tuple[object, object] | None,
    granularity: Granularity,
    lift_tests: pd.DataFrame,
) -> MmmInputs:
    """Complete periods of the window, one spend column per channel (zero where nothing was spent)."""
    empty = pd.DataFrame(columns=["period_start", "revenue_rc"])
    if window is None or window[0] is None or window[1] is None or spend.empty or revenue.empty:
        return MmmInputs(granularity, empty, (), lift_tests)
    first_day, last_day = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    days = PERIOD_DAYS[granularity]
    starts = pd.to_datetime(revenue["period_start"])
    complete = (starts >= first_day) & (starts + pd.Timedelta(days=days - 1) <= last_day)
    frame = revenue.loc[complete, ["period_start", "revenue_rc"]].assign(period_start=starts[complete])
    by_channel = spend.assign(period_start=pd.to_datetime(spend["period_start"])).pivot_table(
        index="period_start", columns="channel", values="spend_rc", aggfunc="sum", fill_value=0.0
    )
    channels = tuple(sorted(str(channel) for channel in by_channel.columns))
    frame = frame.merge(by_channel.reset_index(), on="period_start", how="left").fillna(0.0)
    frame = frame.sort_values("period_start").reset_index(drop=True)
    for column in ("revenue_rc", *channels):
        frame[column] = frame[column].astype(float)
    return MmmInputs(granularity, frame[["period_start", "revenue_rc", *channels]], channels, lift_tests)


def too_little_data(inputs: MmmInputs, min_weeks: int) -> str | None:
    """Why the fit must be skipped, or None."""
    if inputs.frame.empty:
        return "no complete period with both spend and conversions"
    if inputs.weeks < min_weeks:
        return f"{inputs.weeks:.0f} weeks of data, fewer than the configured minimum of {min_weeks}"
    flat = [channel for channel in inputs.channels if np.nanstd(inputs.frame[channel].to_numpy()) == 0]
    if flat:
        return f"no spend variation in {', '.join(flat)}"
    return None


def lift_tests_per_period(lift_tests: pd.DataFrame, period_days: int, channels: tuple[str, ...]) -> pd.DataFrame:
    """Lift tests in PyMC-Marketing's terms: a test against no spend measures ``S(x + dx) - S(x)`` at ``x = 0``.

    ``delta_x`` is the average spend per period over the test window, ``delta_y`` the measured
    incremental revenue per period, ``sigma`` the standard error per period read off the interval
    (taken as a 95 % interval: ``(high - low) / 3.92``).
    """
    rows = []
    for test in lift_tests.itertuples(index=False):
        if test.channel not in channels:
            continue
        days = (pd.Timestamp(test.end_date) - pd.Timestamp(test.start_date)).days + 1
        periods = days / period_days
        high, low = float(test.incremental_revenue_ci_high_rc), float(test.incremental_revenue_ci_low_rc)
        rows.append(
            {
                "lift_test_id": test.lift_test_id,
                "channel": test.channel,
                "x": 0.0,
                "delta_x": float(test.spend_rc) / periods,
                "delta_y": float(test.incremental_revenue_rc) / periods,
                "sigma": max((high - low) / 3.92 / periods, 1e-9),
                "periods": periods,
            }
        )
    return pd.DataFrame(rows, columns=["lift_test_id", "channel", "x", "delta_x", "delta_y", "sigma", "periods"])


def settings_fingerprint(settings: object) -> str:
    """The settings that change a fit, as stable text (pydantic model dump)."""
    dump = settings.model_dump(mode="json")  # type: ignore[attr-defined]
    for key in ("max_r_hat", "max_divergences", "max_holdout_mape", "max_lift_test_abs_z", "refit_every_days"):
        dump.pop(key, None)
    return json.dumps(dump, sort_keys=True)
