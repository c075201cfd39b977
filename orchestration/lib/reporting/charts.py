"""Report charts with matplotlib: each function takes mart rows and returns a PNG.

Figures are built with the object API (``Figure``), not ``pyplot``: no global
state and no backend or display needed (``savefig`` renders with Agg), safe in
a Dagster step or a sensor.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from orchestration.lib.formatting import money_short
from orchestration.lib.marts import (
    CampaignSpend,
    ChannelBudget,
    ChannelRoi,
    DailyChannelSpend,
    PacingLine,
    ResponsePoint,
    SyncRate,
)

DPI = 110
WIDTH = 9.0  # inches: 990 px at DPI, fits the report's column
INK, MUTED, GRID = "#1f2933", "#7b8794", "#e4e7eb"
GOOD, BAD, WARN, NEUTRAL = "#2f855a", "#c53030", "#d69e2e", "#3b6ea8"
CHANNEL_COLOURS = {
    "paid_search": "#3b6ea8",
    "paid_social": "#8e5ea2",
    "display": "#e07b39",
    "video": "#c2455b",
    "affiliate": "#4c9f70",
    "offline": "#8a6d3b",
    "email": "#2a9d8f",
    "organic_search": "#6c8ebf",
    "direct": "#9aa5b1",
    "referral": "#b08968",
    "unattributed": "#cbd2d9",
}
FALLBACK_COLOURS = ("#5a7d9a", "#a05195", "#d45087", "#f95d6a", "#ff7c43", "#665191", "#2f4b7c", "#ffa600")
MODEL_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf", "#7f7f7f")
STATUS_COLOURS = {"over": BAD, "on_track": GOOD, "under": WARN}


def channel_colour(channel: str) -> str:
    if channel in CHANNEL_COLOURS:
        return CHANNEL_COLOURS[channel]
    return FALLBACK_COLOURS[zlib.crc32(channel.encode()) % len(FALLBACK_COLOURS)]


def _figure(height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.spines[["left", "bottom"]].set_color(MUTED)
    axes.tick_params(colors=INK, labelsize=9)
    axes.grid(axis="x", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def _empty(message: str) -> bytes:
    figure, axes = _figure(1.2)
    axes.axis("off")
    axes.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, fontsize=11, transform=axes.transAxes)
    return _png(figure)


def _money_axis(axes: Axes, currency: str, axis: str = "x") -> None:
    formatter = FuncFormatter(lambda value, _: money_short(value, currency))
    (axes.xaxis if axis == "x" else axes.yaxis).set_major_formatter(formatter)


def spend_vs_budget(rows: Sequence[ChannelBudget], currency: str) -> bytes:
    """Budget and actual per channel, side by side, the variance written at the end of each pair."""
    rows = [row for row in rows if (row.budget_rc or 0) or row.actual_rc]
    if not rows:
        return _empty("No budget or spend in this period")
    rows = sorted(rows, key=lambda row: max(row.budget_rc or 0, row.actual_rc))
    figure, axes = _figure(0.55 * len(rows) + 1.2)
    positions = range(len(rows))
    height = 0.38
    axes.barh([p + height / 2 for p in positions], [r.budget_rc or 0 for r in rows], height, color=GRID, label="Budget")
    actual_colours = [BAD if (r.variance_pct or 0) > 0 else NEUTRAL for r in rows]
    axes.barh([p - height / 2 for p in positions], [r.actual_rc for r in rows], height, color=actual_colours)
    axes.barh([], [], color=NEUTRAL, label="Actual (within budget)")
    axes.barh([], [], color=BAD, label="Actual (over budget)")
    axes.set_yticks(list(positions), [row.channel for row in rows])
    _money_axis(axes, currency)
    right = max(max(r.budget_rc or 0, r.actual_rc) for r in rows)
    for position, row in zip(positions, rows, strict=True):
        if row.variance_pct is not None:
            label = f"{row.variance_pct * 100:+.1f}%".replace("-", "\u2212")
            colour = BAD if row.variance_pct > 0 else INK
            axes.text(right * 1.02, position, label, va="center", fontsize=9, color=colour)
    axes.set_xlim(0, right * 1.15)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axes.set_title("Spend vs budget by channel", loc="left", fontsize=11, color=INK)
    return _png(figure)


def roi_by_channel(rows: Sequence[ChannelRoi], preferred_model: str, roi_floor: float) -> bytes:
    """ROI with its confidence interval per channel, one dot per attribution model, the chosen one in black."""
    rows = [row for row in rows if row.roi is not None]
    if not rows:
        return _empty("No channel with spend in this period")
    channels = sorted({row.channel for row in rows}, reverse=True)
    models = sorted({row.attribution_model for row in rows}, key=lambda m: (m != preferred_model, m))
    figure, axes = _figure(0.62 * len(channels) + 1.4)
    step = 0.7 / max(len(models), 1)
    for index, model in enumerate(models):
        offset = 0.35 - step * (index + 0.5)
        preferred = model == preferred_model
        colour = INK if preferred else MODEL_COLOURS[index % len(MODEL_COLOURS)]
        points = [row for row in rows if row.attribution_model == model]
        ys = [channels.index(row.channel) + offset for row in points]
        xs = [row.roi for row in points]
        low = [max(row.roi - row.roi_ci_low, 0) if row.roi_ci_low is not None else 0 for row in points]
        high = [max(row.roi_ci_high - row.roi, 0) if row.roi_ci_high is not None else 0 for row in points]
        axes.errorbar(
            xs,
            ys,
            xerr=[low, high],
            fmt="D" if preferred else "o",
            markersize=6 if preferred else 4,
            color=colour,
            ecolor=colour,
            elinewidth=2.2 if preferred else 1.1,
            capsize=2,
            alpha=1 if preferred else 0.8,
            label=f"{model} (chosen)" if preferred else model,
            zorder=3 if preferred else 2,
        )
    axes.axvline(0, color=INK, linewidth=0.9)
    if roi_floor != 0:
        axes.axvline(roi_floor, color=BAD, linewidth=0.9, linestyle="--", label=f"ROI floor {roi_floor:.0%}")
    axes.set_yticks(range(len(channels)), channels)
    axes.set_ylim(-0.6, len(channels) - 0.4)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_xlabel("ROI = (attributed margin − spend) / spend, with its bootstrap interval", fontsize=9, color=MUTED)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, title="model")
    axes.set_title("ROI by channel and attribution model", loc="left", fontsize=11, color=INK)
    return _png(figure)


def sync_rate_trend(rates: Sequence[SyncRate], target: float, highlight: str | None) -> bytes:
    """The sync rate of each closed billing period against its target."""
    rates = [rate for rate in rates if rate.rate is not None]
    if not rates:
        return _empty("No closed billing period yet")
    figure, axes = _figure(2.6)
    axes.grid(axis="x", visible=False)
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    labels = [rate.billing_period for rate in rates]
    colours = [
        (GOOD if rate.rate >= target else BAD) if rate.billing_period == highlight or highlight is None else None
        for rate in rates
    ]
    colours = [c or ("#9ae6b4" if r.rate >= target else "#feb2b2") for c, r in zip(colours, rates, strict=True)]
    axes.bar(labels, [rate.rate for rate in rates], color=colours, width=0.65)
    axes.axhline(target, color=INK, linestyle="--", linewidth=1, label=f"target {target:.0%}")
    lowest = min(rate.rate for rate in rates)
    axes.set_ylim(max(0.0, min(lowest, target) - 0.1), 1.005)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.tick_params(axis="x", labelrotation=45)
    axes.legend(loc="lower left", fontsize=8, frameon=False)
    axes.set_title("Sync rate: platform spend matched to invoices", loc="left", fontsize=11, color=INK)
    return _png(figure)


def pacing(lines: Sequence[PacingLine], currency: str) -> bytes:
    """Spend to date and projected spend per budget line against its budget (the black tick)."""
    if not lines:
        return _empty("No open period to pace")
    lines = sorted(lines, key=lambda line: line.budget_rc or line.projected_spend_rc)
    figure, axes = _figure(0.5 * len(lines) + 1.3)
    positions = list(range(len(lines)))
    colours = [STATUS_COLOURS.get(line.pacing_status, NEUTRAL) for line in lines]
    axes.barh(positions, [line.projected_spend_rc for line in lines], 0.6, color=colours, alpha=0.3)
    axes.barh(positions, [line.spend_to_date_rc for line in lines], 0.6, color=colours)
    budgets = [(p, line.budget_rc) for p, line in zip(positions, lines, strict=True) if line.budget_rc]
    axes.scatter([b for _, b in budgets], [p for p, _ in budgets], marker="|", s=500, color=INK, zorder=3)
    axes.set_yticks(positions, [f"{line.budget_line_id} ({line.channel})" for line in lines])
    _money_axis(axes, currency)
    right = max(max(line.projected_spend_rc, line.budget_rc or 0) for line in lines)
    for position, line in zip(positions, lines, strict=True):
        label = line.pacing_status.replace("_", " ")
        if line.projected_variance_pct is not None:
            label += f"  {line.projected_variance_pct * 100:+.1f}%".replace("-", "\u2212")
        axes.text(right * 1.02, position, label, va="center", fontsize=8.5, color=colours[position])
    axes.set_xlim(0, right * 1.25)
    first = lines[0]
    axes.set_title(
        f"Pacing of {first.fiscal_period} as of {first.as_of_date:%d %b %Y} (day {first.day_of_period} of "
        f"{first.days_in_period}): spend to date, projected (light), budget |",
        loc="left",
        fontsize=10,
        color=INK,
    )
    return _png(figure)


def daily_spend_by_channel(rows: Sequence[DailyChannelSpend], currency: str) -> bytes:
    """Spend per day, stacked by channel."""
    if not rows:
        return _empty("No spend in this period")
    days = sorted({row.spend_date for row in rows})
    channels = sorted({row.channel for row in rows})
    figure, axes = _figure(3.0)
    axes.grid(axis="x", visible=False)
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    values = {(row.spend_date, row.channel): row.spend_rc for row in rows}
    bottom = [0.0] * len(days)
    labels = [f"{day:%a %d %b}" for day in days]
    for channel in channels:
        heights = [values.get((day, channel), 0.0) for day in days]
        axes.bar(labels, heights, 0.7, bottom=bottom, color=channel_colour(channel), label=channel)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    _money_axis(axes, currency, axis="y")
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axes.set_title("Spend per day by channel", loc="left", fontsize=11, color=INK)
    return _png(figure)


def top_campaigns(rows: Sequence[CampaignSpend], currency: str, count: int = 12) -> bytes:
    """The campaigns that spent most in the period, with the previous period's spend for comparison."""
    rows = sorted(rows, key=lambda row: row.spend_rc, reverse=True)[:count]
    if not rows:
        return _empty("No campaign spend in this period")
    rows = rows[::-1]
    figure, axes = _figure(0.42 * len(rows) + 1.2)
    positions = list(range(len(rows)))
    height = 0.38
    axes.barh(
        [p - height / 2 for p in positions],
        [r.spend_rc for r in rows],
        height,
        label="this week",
        color=[channel_colour(r.channel or "") for r in rows],
    )
    axes.barh(
        [p + height / 2 for p in positions],
        [r.previous_spend_rc for r in rows],
        height,
        color=GRID,
        label="previous week",
    )
    axes.set_yticks(positions, [_campaign_label(row) for row in rows])
    _money_axis(axes, currency)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axes.set_title("Campaigns with the most spend", loc="left", fontsize=11, color=INK)
    return _png(figure)


def _campaign_label(row: CampaignSpend) -> str:
    name = row.campaign_name or row.campaign_id
    return name if len(name) <= 38 else name[:37] + "…"


def response_curves(points: Sequence[ResponsePoint], currency: str) -> bytes:
    """Each channel's incremental revenue per day against daily spend (steady state), with its interval.

    The curve is solid where the model saw such spend and dotted beyond it; a dot marks the channel's
    average daily spend over the last 12 months.
    """
    if not points:
        return _empty("No marketing-mix fit yet")
    channels = sorted({point.channel for point in points})
    figure, axes = _figure(4.2)
    for channel in channels:
        curve = [point for point in points if point.channel == channel]
        colour = channel_colour(channel)
        xs = [point.daily_spend_rc for point in curve]
        axes.fill_between(
            xs,
            [point.incremental_revenue_per_day_ci_low_rc for point in curve],
            [point.incremental_revenue_per_day_ci_high_rc for point in curve],
            color=colour,
            alpha=0.12,
            linewidth=0,
        )
        seen = [point for point in curve if not point.is_extrapolated]
        beyond = [point for point in curve if point.is_extrapolated]
        if seen:
            axes.plot(
                [p.daily_spend_rc for p in seen],
                [p.incremental_revenue_per_day_rc for p in seen],
                color=colour,
                linewidth=1.8,
                label=channel,
            )
        if beyond:
            start = seen[-1:] + beyond
            axes.plot(
                [p.daily_spend_rc for p in start],
                [p.incremental_revenue_per_day_rc for p in start],
                color=colour,
                linewidth=1.4,
                linestyle=":",
                label=None if seen else channel,
            )
        average = curve[0].average_daily_spend_rc
        nearest = min(curve, key=lambda point: abs(point.daily_spend_rc - average))
        axes.plot([average], [nearest.incremental_revenue_per_day_rc], "o", color=colour, markersize=5)
    _money_axis(axes, currency, "x")
    _money_axis(axes, currency, "y")
    axes.set_xlabel("daily spend (dotted: beyond the highest spend observed; dot: last 12 months' average)",
                    fontsize=9, color=MUTED)  # fmt: skip
    axes.set_ylabel("incremental revenue per day", fontsize=9, color=MUTED)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, title="channel")
    axes.set_title("Response curves (marketing-mix model, steady state)", loc="left", fontsize=11, color=INK)
    return _png(figure)
