"""Executive: ROI by channel with intervals, budget vs actual and pacing by line, reconciliation, recommendations.

The figures and recommendations of the monthly executive report
(``orchestration/lib/reporting``), for any month, live.
"""

import altair as alt
import pandas as pd
import streamlit as st

from orchestration.lib.dashboard import data, ui
from orchestration.lib.reporting.render import PRIORITY_NAMES

st.title("Executive")
calendar = ui.load(data.calendar)
if not calendar.months:
    st.info("The snapshot holds no data yet.")
    st.stop()
default = calendar.latest_closed or calendar.months[0]
month = st.selectbox(
    "Month", calendar.months, index=calendar.months.index(ui.query_param("period", calendar.months, default))
)
summary = ui.load(data.executive, month)
report = summary.data
model = report.preferred_model
closed = "closed" if report.period_closed else "open"
st.caption(f"{month} ({closed}) · data as of {report.as_of_date} · attribution model **{model}**")

budget = sum(row.budget_rc or 0.0 for row in report.channel_budgets)
actual = sum(row.actual_rc for row in report.channel_budgets)
preferred = pd.DataFrame([row.__dict__ for row in report.roi if row.attribution_model == model])
spend = float(preferred["spend_rc"].sum()) if len(preferred) else 0.0
margin = float(preferred["attributed_margin_rc"].sum()) if len(preferred) else 0.0
period_sync = next((rate for rate in report.sync_rates if rate.billing_period == month), None)

figures = st.columns(5)
figures[0].metric(ui.with_currency("Actual spend"), ui.amount_text(actual))
figures[1].metric(ui.with_currency("Budget"), ui.amount_text(budget))
figures[2].metric("Variance to budget", ui.pct_text((actual - budget) / budget if budget else None, signed=True))
figures[3].metric(f"ROI ({model})", ui.pct_text((margin - spend) / spend if spend else None))
figures[4].metric("Sync rate", ui.pct_text(period_sync.rate) if period_sync else "open")

st.subheader("Recommendations")
if summary.recommendations:
    for item in summary.recommendations:
        st.markdown(f"- **{PRIORITY_NAMES[item.priority]}** · {item.text}")
else:
    st.write("Nothing needs attention.")

st.subheader("ROI by channel")
left, right = st.columns([3, 2])
if len(preferred):
    with_roi = preferred[preferred["roi"].notna()].sort_values("spend_rc", ascending=False)
    left.altair_chart(ui.roi_interval_chart(with_roi, f"ROI with its 95 % interval, {model}, {month}"), width="stretch")
    with right:
        ui.table(
            with_roi.assign(
                interval=[
                    ui.interval_text(lo, hi)
                    for lo, hi in zip(with_roi["roi_ci_low"], with_roi["roi_ci_high"], strict=True)
                ]
            ),
            {"spend_rc": ui.money_text, "roi": ui.pct_text},
            {"channel": "Channel", "spend_rc": "Spend", "roi": "ROI", "interval": "Interval"},
        )
else:
    st.write("No channel had spend this month.")

st.subheader("Budget vs actual by budget line")
lines = pd.DataFrame([row.__dict__ for row in report.budget_lines])
left, right = st.columns([3, 2])
if len(lines):
    left.altair_chart(
        ui.grouped_bars(lines, "budget_line_id", {"budget_rc": "Budget", "actual_rc": "Actual"}, month),
        width="stretch",
    )
    with right:
        ui.table(
            lines,
            {"budget_rc": ui.money_text, "actual_rc": ui.money_text, "variance_pct": lambda v: ui.pct_text(v, True)},
            {
                "budget_line_id": "Budget line",
                "budget_rc": "Budget",
                "actual_rc": "Actual",
                "variance_pct": "Variance %",
                "actual_source": "Actual from",
            },
        )

st.subheader("Pacing of the open month")
pacing = pd.DataFrame([row.__dict__ for row in report.pacing])
if len(pacing):
    first = pacing.iloc[0]
    st.caption(
        f"{first['fiscal_period']} as of {first['as_of_date']} (day {first['day_of_period']} of "
        f"{first['days_in_period']})"
    )
    left, right = st.columns([3, 2])
    left.altair_chart(
        ui.grouped_bars(
            pacing,
            "budget_line_id",
            {"spend_to_date_rc": "Spend to date", "projected_spend_rc": "Projected month end", "budget_rc": "Budget"},
            "Projected month-end spend against budget",
        ),
        width="stretch",
    )
    with right:
        ui.table(
            pacing,
            {"projected_spend_rc": ui.money_text, "projected_variance_pct": lambda v: ui.pct_text(v, True)},
            {
                "budget_line_id": "Budget line",
                "projected_spend_rc": "Projected",
                "projected_variance_pct": "vs budget",
                "pacing_status": "Pacing",
            },
        )
else:
    st.write("No open month to pace.")

st.subheader("Reconciliation and sync rate")
left, right = st.columns(2)
statuses = ui.load(data.reconciliation_status)
if len(statuses):
    left.altair_chart(
        alt.Chart(statuses)
        .mark_bar()
        .encode(
            x=alt.X("platform_spend_rc:Q", title="Platform spend, closed months"),
            y=alt.Y("status:N", sort="-x", title=None),
            color=alt.Color("status:N", legend=None),
            tooltip=["status", "account_months", alt.Tooltip("platform_spend_rc:Q", format=",.0f")],
        )
        .properties(title="Closed account-months by reconciliation status"),
        width="stretch",
    )
rates = pd.DataFrame([{"billing_period": rate.billing_period, "rate": rate.rate} for rate in report.sync_rates])
if len(rates):
    right.altair_chart(
        alt.Chart(rates)
        .mark_line(point=True)
        .encode(
            x=alt.X("billing_period:O", title=None), y=alt.Y("rate:Q", axis=alt.Axis(format="%"), title="Sync rate")
        )
        .properties(title="Sync rate of the closed months"),
        width="stretch",
    )
figures = st.columns(3)
figures[0].metric("Sync rate, all closed months", ui.pct_text(ui.load(data.overall_sync_rate)))
figures[1].metric(
    "Tracking rate",
    ui.pct_text(summary.tracking_rate),
    help=f"{summary.tracked} of {summary.measured} closed "
    "budget line-months have platform spend within tolerance of the booked actual",
)
figures[2].metric(
    "Unmatched closed account-months", str(int(statuses.loc[statuses["status"] != "matched", "account_months"].sum()))
)
