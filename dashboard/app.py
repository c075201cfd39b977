"""The live dashboard: ``make dashboard``, then http://localhost:8501.

Every page reads the published snapshot (``warehouse/roi_snapshot.duckdb``)
read-only, shows when that snapshot was built, and follows a new publication
without a restart. Pages: executive, channel and campaign performance, budget
lines by owner team, data quality.
"""

from pathlib import Path

import streamlit as st

from orchestration.lib.dashboard import ui

PAGES = Path(__file__).parent / "views"

st.set_page_config(page_title="ROI warehouse", layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "executive.py", title="Executive", default=True),
        st.Page(PAGES / "channels.py", title="Channels and campaigns", url_path="channels"),
        st.Page(PAGES / "budget_lines.py", title="Budget lines by owner team", url_path="budget_lines"),
        st.Page(PAGES / "data_quality.py", title="Data quality", url_path="data_quality"),
    ]
)
snapshot = ui.begin_view()
if snapshot is None:
    st.stop()
ui.snapshot_caption(snapshot)
with st.sidebar:
    ui.watch_snapshot()
navigation.run()
