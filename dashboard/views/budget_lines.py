"""Budget lines by owner team: which lines each team spends on, its share, and each line's budget vs actual.

A budget line is funded once; campaigns name the team that runs them, so a line
may be spent by several teams. Each team sees the lines it spends on, its own
platform spend on each, and the line's budget, actual and variance.
"""

import altair as alt
import streamlit as st

from orchestration.lib.dashboard import data, ui

st.title("Budget lines by owner team")
calendar = ui.load(data.calendar)
if not calendar.months:
    st.info("The snapshot holds no data yet.")
    st.stop()
default_last = calendar.latest_closed or calendar.months[0]
default_first = next((month for month in reversed(calendar.months) if month[:4] == default_last[:4]), default_last)
first, last = ui.month_range(calendar.months, default_first, default_last)
span = first if first == last else f"{first} to {last}"

lines = ui.load(data.team_budget_lines, first, last)
if not len(lines):
    st.write("No budget line has campaigns in this period.")
    st.stop()
teams = sorted(lines["owner_team"].unique())
team = st.selectbox(
    "Owner team", ["All teams", *teams], index=(["All teams", *teams]).index(ui.query_param("team", teams, "All teams"))
)
shown = lines if team == "All teams" else lines[lines["owner_team"] == team]

distinct_lines = shown.drop_duplicates("budget_line_id")
budget = float(distinct_lines["budget_rc"].sum())
actual = float(distinct_lines["actual_rc"].sum())
figures = st.columns(4)
figures[0].metric(ui.with_currency("Budget of these lines"), ui.amount_text(budget))
figures[1].metric(ui.with_currency("Actual of these lines"), ui.amount_text(actual))
figures[2].metric("Variance %", ui.pct_text((actual - budget) / budget if budget else None, signed=True))
figures[3].metric(
    ui.with_currency("Team spend" if team != "All teams" else "Spend of all teams"),
    ui.amount_text(float(shown["team_spend_rc"].sum())),
)

left, right = st.columns(2)
left.altair_chart(
    ui.grouped_bars(distinct_lines, "budget_line_id", {"budget_rc": "Budget", "actual_rc": "Actual"}, span),
    width="stretch",
)
right.altair_chart(
    alt.Chart(shown)
    .mark_bar()
    .encode(
        x=alt.X("team_spend_rc:Q", title="Platform spend", stack="zero"),
        y=alt.Y("budget_line_id:N", title=None),
        color=alt.Color("owner_team:N", title="Owner team", legend=alt.Legend(orient="bottom")),
        tooltip=[
            "owner_team",
            "budget_line_id",
            alt.Tooltip("team_spend_rc:Q", format=",.0f"),
            alt.Tooltip("team_share:Q", format=".1%"),
        ],
    )
    .properties(title="Who spends each line"),
    width="stretch",
)

for owner, team_lines in shown.groupby("owner_team", sort=True):
    st.subheader(str(owner))
    ui.table(
        team_lines,
        {
            "team_spend_rc": ui.money_text,
            "team_share": ui.pct_text,
            "budget_rc": ui.money_text,
            "actual_rc": ui.money_text,
            "variance_rc": ui.money_text,
            "variance_pct": lambda value: ui.pct_text(value, signed=True),
        },
        {
            "budget_line_id": "Budget line",
            "channel": "Channel",
            "team_spend_rc": "Team spend",
            "team_share": "Team share",
            "budget_rc": "Line budget",
            "actual_rc": "Line actual",
            "variance_rc": "Variance",
            "variance_pct": "Variance %",
        },
    )

monthly = ui.load(data.monthly_budget_lines, first, last)
monthly = monthly[monthly["budget_line_id"].isin(distinct_lines["budget_line_id"])]
if len(monthly) and first != last:
    st.altair_chart(
        alt.Chart(monthly.melt(id_vars=["fiscal_period", "budget_line_id"], var_name="measure", value_name="amount"))
        .mark_line(point=True)
        .encode(
            x=alt.X("fiscal_period:O", title=None),
            y=alt.Y("amount:Q", title="Reporting currency"),
            color=alt.Color("budget_line_id:N", title="Budget line"),
            strokeDash=alt.StrokeDash("measure:N", title=None),
        )
        .properties(title="Budget and actual by month"),
        width="stretch",
    )
