"""Streamlit pieces the dashboard's pages share: the snapshot header, cached reads, filters, tables, charts.

Reads are cached per snapshot version (``data.SnapshotInfo.version``): a page
view after a new publication reads the new snapshot; views of the same snapshot
reuse the figures. ``watch_snapshot`` polls the file and reruns the page when a
build publishes, so an open dashboard follows the warehouse without a reload.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from orchestration.lib.dashboard import data
from orchestration.lib.formatting import amount, money, pct, ratio
from orchestration.lib.settings import reporting_currency

SNAPSHOT_POLL_SECONDS = 5
_SNAPSHOT_KEY = "snapshot"


def current_snapshot() -> data.SnapshotInfo:
    """The snapshot this page view reads (fixed at the start of the view)."""
    return st.session_state[_SNAPSHOT_KEY]


def begin_view() -> data.SnapshotInfo | None:
    """Pin the snapshot for this view and show when it was built; None (with a message) when there is none."""
    try:
        info = data.snapshot_info()
    except data.SnapshotMissingError as error:
        st.session_state.pop(_SNAPSHOT_KEY, None)
        st.error(str(error))
        return None
    st.session_state[_SNAPSHOT_KEY] = info
    return info


def snapshot_caption(info: data.SnapshotInfo) -> None:
    st.caption(
        f"Snapshot built at **{info.published_at:%Y-%m-%d %H:%M:%S} UTC** · `{info.path.name}` · "
        f"figures in {reporting_currency()}"
    )


@st.fragment(run_every=SNAPSHOT_POLL_SECONDS)
def watch_snapshot() -> None:
    """Rerun the whole page when a build publishes a new snapshot."""
    shown = st.session_state.get(_SNAPSHOT_KEY)
    try:
        latest = data.snapshot_info()
    except data.SnapshotMissingError:
        return
    if shown is None or latest.version != shown.version:
        st.rerun(scope="app")


def load(reader: Callable[..., Any], *args: Any) -> Any:
    """``reader(connection, *args)`` on the pinned snapshot, cached per snapshot version."""
    info = current_snapshot()
    try:
        return _cached(reader.__name__, str(info.path), info.version, *args)
    except data.SnapshotChangedError:
        st.rerun()  # published while opening: read the new one


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(reader_name: str, path: str, version: tuple[int, int, int], *args: Any) -> Any:
    info = data.snapshot_info()
    if info.version != version:
        raise data.SnapshotChangedError(f"{path} was replaced")
    with data.open_snapshot(info) as connection:
        return getattr(data, reader_name)(connection, *args)


# --- filters -------------------------------------------------------------------------------------------------


def query_param(name: str, options: Sequence[str], default: str | None) -> str | None:
    """A filter's value from the URL (``?period=2025-06``) when it is one of the options, else the default."""
    value = st.query_params.get(name)
    return value if value in options else default


def month_range(months: Sequence[str], default_first: str, default_last: str) -> tuple[str, str]:
    """From and to months (newest first in the lists); swapped into order when picked backwards."""
    first_default = query_param("from", months, default_first) or default_first
    last_default = query_param("to", months, default_last) or default_last
    left, right = st.columns(2)
    first = left.selectbox("From month", months, index=list(months).index(first_default), key="from_month")
    last = right.selectbox("To month", months, index=list(months).index(last_default), key="to_month")
    return (first, last) if first <= last else (last, first)


# --- figures as people read them -------------------------------------------------------------------------------


def money_text(value: float | None) -> str:
    return money(value, reporting_currency())


def amount_text(value: float | None) -> str:
    """An amount without its currency, for key figures whose label names the currency."""
    return amount(value)


def with_currency(label: str) -> str:
    return f"{label} ({reporting_currency()})"


def pct_text(value: float | None, signed: bool = False) -> str:
    return pct(value, 1, signed=signed)


def ratio_text(value: float | None) -> str:
    return ratio(value)


def interval_text(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None or pd.isna(low) or pd.isna(high) else f"{pct(low)} to {pct(high)}"


def table(rows: pd.DataFrame, formats: dict[str, Callable[[Any], str]], labels: dict[str, str]) -> None:
    """A static table (exact figures, readable by people and by the dashboard test) with formatted columns."""
    shown = pd.DataFrame(
        {
            labels.get(column, column): rows[column].map(_safe(formats[column])) if column in formats else rows[column]
            for column in labels
        }
    )
    st.table(shown, hide_index=True)


def _safe(format_value: Callable[[Any], str]) -> Callable[[Any], str]:
    def formatted(value: Any) -> str:
        return "–" if value is None or (isinstance(value, float) and pd.isna(value)) else format_value(value)

    return formatted


# --- charts -------------------------------------------------------------------------------------------------------


def roi_interval_chart(rows: pd.DataFrame, title: str) -> alt.Chart:
    """ROI per channel as a point with its interval as a bar, zero marked."""
    order = list(rows["channel"])  # as the caller sorted them (by spend)
    base = alt.Chart(rows).encode(y=alt.Y("channel:N", sort=order, title=None))
    interval = base.mark_rule(strokeWidth=3, opacity=0.6).encode(
        x=alt.X("roi_ci_low:Q", title="ROI", axis=alt.Axis(format="%")), x2="roi_ci_high:Q"
    )
    point = base.mark_point(filled=True, size=90).encode(
        x="roi:Q",
        color=alt.condition("datum.roi >= 0", alt.value("#2a9d8f"), alt.value("#e76f51")),
        tooltip=[
            "channel",
            alt.Tooltip("roi:Q", format=".1%"),
            alt.Tooltip("roi_ci_low:Q", format=".1%"),
            alt.Tooltip("roi_ci_high:Q", format=".1%"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(strokeDash=[4, 4], color="grey").encode(x="zero:Q")
    return (interval + point + zero).properties(title=title, height=alt.Step(30))


def grouped_bars(rows: pd.DataFrame, category: str, series: dict[str, str], title: str) -> alt.Chart:
    """One bar per series (column → label) side by side for each category value."""
    long = rows.melt(id_vars=[category], value_vars=list(series), var_name="measure", value_name="amount")
    long["measure"] = long["measure"].map(series)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=list(rows[category]), title=None),
            yOffset="measure:N",
            x=alt.X("amount:Q", title=reporting_currency()),
            color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[category, "measure", alt.Tooltip("amount:Q", format=",.0f")],
        )
        .properties(title=title)
    )
