"""Channel and campaign performance: spend, attributed revenue and margin, ROAS, ROI and CAC.

Filters: period (from and to month), channel, attribution model; also from the
URL (``?from=2025-06&to=2025-08&model=markov&channel=paid_search``), so a view
can be shared as a link.
"""

import altair as alt
import streamlit as st

from orchestration.lib.dashboard import data, ui
from orchestration.lib.settings import config

st.title("Channels and campaigns")
calendar = ui.load(data.calendar)
models = ui.load(data.attribution_models)
all_channels = ui.load(data.channels)
if not calendar.months or not models:
    st.info("The snapshot holds no attribution data yet.")
    st.stop()

default_month = calendar.latest_closed or calendar.months[0]
filters = st.columns([2, 1, 2])
with filters[0]:
    first, last = ui.month_range(calendar.months, default_month, default_month)
preferred = ui.query_param("model", models, config().attribution.preferred_model)
model = filters[1].selectbox("Attribution model", models, index=models.index(preferred) if preferred else 0)
linked = [channel for channel in st.query_params.get("channel", "").split(",") if channel in all_channels]
chosen = filters[2].multiselect("Channels (all when empty)", all_channels, default=linked)

by_channel = ui.load(data.channel_performance, model, first, last, tuple(chosen))
span = first if first == last else f"{first} to {last}"
spend = float(by_channel["spend_rc"].sum())
revenue = float(by_channel["attributed_revenue_rc"].sum())
margin = float(by_channel["attributed_margin_rc"].sum())
conversions = float(by_channel["conversions"].sum())
figures = st.columns(5)
figures[0].metric(ui.with_currency("Spend"), ui.amount_text(spend))
figures[1].metric(ui.with_currency("Attributed revenue"), ui.amount_text(revenue))
figures[2].metric("ROAS", ui.ratio_text(revenue / spend if spend else None))
figures[3].metric("ROI", ui.pct_text((margin - spend) / spend if spend else None))
figures[4].metric("Attributed conversions", f"{conversions:,.1f}")

st.subheader(f"Channels, {span}, {model}")
with_spend = by_channel[by_channel["spend_rc"] > 0]
left, right = st.columns(2)
if len(with_spend):
    title = "ROI with its 95 % interval" if first == last else "ROI (intervals are per month: pick one month)"
    left.altair_chart(ui.roi_interval_chart(with_spend, title), width="stretch")
right.altair_chart(
    ui.grouped_bars(
        by_channel,
        "channel",
        {"spend_rc": "Spend", "attributed_revenue_rc": "Attributed revenue", "attributed_margin_rc": "Margin"},
        "Spend and what it earned",
    ),
    width="stretch",
)
ui.table(
    by_channel.assign(
        interval=[
            ui.interval_text(lo, hi) for lo, hi in zip(by_channel["roi_ci_low"], by_channel["roi_ci_high"], strict=True)
        ]
    ),
    {
        "spend_rc": ui.money_text,
        "attributed_revenue_rc": ui.money_text,
        "attributed_margin_rc": ui.money_text,
        "conversions": lambda value: f"{value:,.1f}",
        "roas": ui.ratio_text,
        "roi": ui.pct_text,
        "cac": ui.money_text,
    },
    {
        "channel": "Channel",
        "spend_rc": "Spend",
        "attributed_revenue_rc": "Attributed revenue",
        "attributed_margin_rc": "Attributed margin",
        "conversions": "Conversions",
        "roas": "ROAS",
        "roi": "ROI",
        "interval": "ROI interval",
        "cac": "CAC",
    },
)

trend = ui.load(data.channel_trend, model, calendar.months[-1], last, tuple(chosen))
if len(trend):
    st.altair_chart(
        alt.Chart(trend)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title=None),
            y=alt.Y("roi:Q", axis=alt.Axis(format="%"), title="ROI"),
            color=alt.Color("channel:N", title=None),
            tooltip=["period", "channel", alt.Tooltip("roi:Q", format=".1%"), alt.Tooltip("spend_rc:Q", format=",.0f")],
        )
        .properties(title=f"Monthly ROI up to {last}, {model}"),
        width="stretch",
    )

st.subheader("Campaigns")
campaigns = ui.load(data.campaign_performance, model, first, last, tuple(chosen))
if len(campaigns):
    top = campaigns.head(25)
    st.altair_chart(
        alt.Chart(top[top["roi"].notna()])
        .mark_bar()
        .encode(
            x=alt.X("roi:Q", axis=alt.Axis(format="%"), title="ROI"),
            y=alt.Y("campaign_name:N", sort="-x", title=None),
            color=alt.Color("channel:N", title=None),
            tooltip=[
                "campaign_name",
                "platform",
                "channel",
                alt.Tooltip("roi:Q", format=".1%"),
                alt.Tooltip("spend_rc:Q", format=",.0f"),
            ],
        )
        .properties(title="ROI of the 25 campaigns with the most spend"),
        width="stretch",
    )
    ui.table(
        top,
        {
            "spend_rc": ui.money_text,
            "attributed_revenue_rc": ui.money_text,
            "roas": ui.ratio_text,
            "roi": ui.pct_text,
            "cac": ui.money_text,
        },
        {
            "campaign_name": "Campaign",
            "platform": "Platform",
            "channel": "Channel",
            "spend_rc": "Spend",
            "attributed_revenue_rc": "Attributed revenue",
            "roas": "ROAS",
            "roi": "ROI",
            "cac": "CAC",
        },
    )
else:
    st.write("No campaign spend or attributed revenue in this selection.")
