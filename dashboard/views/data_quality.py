"""Data quality: the latest run's checks, rejected rows by reason, and every landing file with its outcome."""

import altair as alt
import streamlit as st

from orchestration.lib.dashboard import data, ui

REJECTED_ROWS_SHOWN = 200

st.title("Data quality")
checks = ui.load(data.latest_checks)
rejected = ui.load(data.rejected_by_reason)
files = ui.load(data.load_files)

failed = checks[~checks["passed"]]
figures = st.columns(5)
figures[0].metric("Checks passed", f"{int(checks['passed'].sum())} of {len(checks)}")
figures[1].metric("Blocking failures", str(int((failed["severity"] == "ERROR").sum())))
figures[2].metric("Warnings", str(int((failed["severity"] == "WARN").sum())))
figures[3].metric("Files loaded", f"{int((files['status'] == 'loaded').sum())} of {len(files)}")
figures[4].metric("Rejected rows", f"{int(rejected['rejected_rows'].sum()):,}")
if len(checks):
    st.caption(f"Latest checks evaluated at {checks['evaluated_at'].max():%Y-%m-%d %H:%M:%S} UTC")

st.subheader("Checks of the latest run")
if len(checks):
    by_asset = checks.assign(result=checks["passed"].map({True: "passed", False: "failed"}))
    st.altair_chart(
        alt.Chart(by_asset)
        .mark_bar()
        .encode(
            x=alt.X("count():Q", title="Checks"),
            y=alt.Y("asset_key:N", sort="-x", title=None),
            color=alt.Color(
                "result:N", scale=alt.Scale(domain=["passed", "failed"], range=["#2a9d8f", "#e76f51"]), title=None
            ),
            tooltip=["asset_key", "result", "count()"],
        )
        .properties(title="Checks per asset"),
        width="stretch",
    )
    ui.table(
        failed if len(failed) else checks.head(0),
        {"measured_value": lambda value: f"{value:,.4g}", "threshold": lambda value: f"{value:,.4g}"},
        {
            "check_name": "Check",
            "asset_key": "Asset",
            "severity": "Severity",
            "measured_value": "Value",
            "threshold": "Threshold",
            "description": "What it found",
        },
    )
    if not len(failed):
        st.success("Every check of the latest run passed.")
else:
    st.write("No check results recorded yet.")

st.subheader("Rejected rows")
if len(rejected):
    st.altair_chart(
        alt.Chart(rejected)
        .mark_bar()
        .encode(
            x=alt.X("sum(rejected_rows):Q", title="Rejected rows"),
            y=alt.Y("reason_code:N", sort="-x", title=None),
            color=alt.Color("source:N", title="Source"),
            tooltip=["source", "reason_code", "rejected_rows", "files"],
        )
        .properties(title="Rejected rows by reason"),
        width="stretch",
    )
    ui.table(
        rejected,
        {"rejected_rows": lambda value: f"{value:,}"},
        {"source": "Source", "reason_code": "Reason", "rejected_rows": "Rows", "files": "Files"},
    )
    with st.expander(f"The rejected rows (first {REJECTED_ROWS_SHOWN})"):
        st.dataframe(ui.load(data.rejected_rows, REJECTED_ROWS_SHOWN), hide_index=True)
else:
    st.success("No row was rejected.")

st.subheader("Landing files")
if len(files):
    st.altair_chart(
        alt.Chart(files)
        .mark_bar()
        .encode(
            x=alt.X("count():Q", title="Files"),
            y=alt.Y("source:N", sort="-x", title=None),
            color=alt.Color("status:N", title="Status"),
            tooltip=["source", "status", "count()"],
        )
        .properties(title="Files per source and outcome"),
        width="stretch",
    )
    st.dataframe(files, hide_index=True)
