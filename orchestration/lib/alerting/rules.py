"""Alert conditions, what "changed" means, and whether to send: small pure functions.

An ``Alert`` is one condition that holds now, for one subject in one scope
(e.g. budget line BL-SEARCH over budget in 2026-01). Its ``state`` is what a
reader cares about changing, its figures cut into bands:

    band(x, step) = floor(x / step)

so with ``change_step_pct`` 0.05 a variance of +7 % and one of +9.9 % are the
same band (1) and +10 % is the next (2). The alert's fingerprint is a hash of
its severity and state; ``decide`` compares it with the alert history:

- new (no open history entry)                   -> send
- open, fingerprint differs ("changed")         -> send
- open, same fingerprint, a channel still owes it (failed delivery, or no channel was configured
  when it happened) -> retry there
- open, same fingerprint, delivered             -> nothing (the condition persists)
- open in history, not raised now, and its scope was evaluated -> "resolved", sent once
- open in history, its scope left the condition's window (an older period) -> "expired", not sent
- open in history, its scope was not evaluated this time (e.g. the check did not run) -> kept open, nothing sent
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from orchestration.lib.formatting import money_short, pct
from orchestration.lib.marts import (
    BudgetLine,
    BudgetScenario,
    ChannelRoi,
    CheckResultRow,
    HeldRestatements,
    PacingLine,
    ReconciliationLine,
    SpendAnomaly,
    UnbudgetedSpend,
)
from orchestration.lib.settings import AlertSettings, OptimisationSettings

Severity = Literal["critical", "warning"]
SEVERITY_ORDER = {"critical": 0, "warning": 1}

OVER_BUDGET = "over_budget"
PROJECTED_OVER_BUDGET = "projected_over_budget"
PACING_UNDER = "pacing_under"
RECONCILIATION = "reconciliation"
DATA_QUALITY = "data_quality"
ROI_BELOW_FLOOR = "roi_below_floor"
HELD_RESTATEMENT = "held_restatement"
TARGET_MISSED = "target_missed"
UNBUDGETED_SPEND = "unbudgeted_spend"
UNBUDGETED_REASONS = {
    "no_budget_line": "the campaign has no budget line",
    "outside_flight_dates": "spent outside the campaign's flight dates",
    "no_current_budget": "its budget line has no approved budget for the month",
}
BUDGET_SCENARIO = "budget_scenario"
SPEND_ANOMALY = "spend_anomaly"


@dataclass(frozen=True)
class Alert:
    condition: str
    scope: str  # the period (YYYY-MM) or the asset the condition was looked at in; "" for none
    subject: str  # budget line, account, channel, check
    severity: Severity
    title: str
    detail: str
    state: tuple[Any, ...]  # what "changed" is measured on

    @property
    def key(self) -> str:
        return f"{self.condition}|{self.scope or '-'}|{self.subject}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.severity, self.state)


def fingerprint(severity: str, state: Sequence[Any]) -> str:
    canonical = json.dumps([severity, list(state)], separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def band(value: float, step: float) -> int:
    """The band of width ``step`` that ``value`` falls in: ``floor(value / step)`` (robust to 0.15/0.05)."""
    return math.floor(round(value / step, 9))


# --- conditions ---------------------------------------------------------------------------------------------


def over_budget(lines: Sequence[BudgetLine], settings: AlertSettings, currency: str) -> list[Alert]:
    """Budget lines whose actual is over budget by more than ``over_budget_pct`` (critical above twice that)."""
    threshold = settings.over_budget_pct
    return [
        Alert(
            condition=OVER_BUDGET,
            scope=line.fiscal_period,
            subject=line.budget_line_id,
            severity="critical" if line.variance_pct > 2 * threshold else "warning",
            title=f"{line.budget_line_id} ({line.channel}) is over budget in {line.fiscal_period}",
            detail=(
                f"{line.actual_source} actual {money_short(line.actual_rc, currency)} against a budget of "
                f"{money_short(line.budget_rc, currency)}: {pct(line.variance_pct, signed=True)} "
                f"(alert above {pct(threshold, 0)})."
            ),
            state=("band", band(line.variance_pct, settings.change_step_pct)),
        )
        for line in lines
        if line.variance_pct is not None and line.variance_pct > threshold
    ]


def projected_over_budget(lines: Sequence[PacingLine], settings: AlertSettings, currency: str) -> list[Alert]:
    """Budget lines projected to end the period over budget by more than ``over_budget_pct``."""
    threshold = settings.over_budget_pct
    return [
        Alert(
            condition=PROJECTED_OVER_BUDGET,
            scope=line.fiscal_period,
            subject=line.budget_line_id,
            severity="warning",
            title=f"{line.budget_line_id} ({line.channel}) is projected over budget in {line.fiscal_period}",
            detail=(
                f"Projected {money_short(line.projected_spend_rc, currency)} against a budget of "
                f"{money_short(line.budget_rc, currency)}: {pct(line.projected_variance_pct, signed=True)} "
                f"(day {line.day_of_period} of {line.days_in_period}, alert above {pct(threshold, 0)})."
            ),
            state=("band", band(line.projected_variance_pct, settings.change_step_pct)),
        )
        for line in lines
        if line.day_of_period >= settings.pacing_min_day_of_period
        and line.projected_variance_pct is not None
        and line.projected_variance_pct > threshold
    ]


def pacing_under(lines: Sequence[PacingLine], settings: AlertSettings, currency: str) -> list[Alert]:
    """Budget lines pacing under (the mart's ``pacing_status``, set by ``pacing.under_pct``)."""
    return [
        Alert(
            condition=PACING_UNDER,
            scope=line.fiscal_period,
            subject=line.budget_line_id,
            severity="warning",
            title=f"{line.budget_line_id} ({line.channel}) is pacing under budget in {line.fiscal_period}",
            detail=(
                f"Spent {money_short(line.spend_to_date_rc, currency)} by day {line.day_of_period} of "
                f"{line.days_in_period}; projected {money_short(line.projected_spend_rc, currency)} of "
                f"{money_short(line.budget_rc, currency)} ({pct(line.projected_variance_pct, signed=True)})."
            ),
            state=("band", band(line.projected_variance_pct or 0.0, settings.change_step_pct)),
        )
        for line in lines
        if line.day_of_period >= settings.pacing_min_day_of_period and line.pacing_status == "under"
    ]


def reconciliation(lines: Sequence[ReconciliationLine], settings: AlertSettings) -> list[Alert]:
    """Closed account-months that are not matched: a mismatch, a missing invoice or an invoice without spend."""
    alerts = []
    for line in lines:
        if not line.is_closed or line.status == "matched":
            continue
        state: tuple[Any, ...] = (line.status,)
        base = max(abs(line.invoiced_amount or 0.0), abs(line.platform_spend or 0.0))
        if line.status == "mismatched" and base:
            state = (line.status, band(line.difference / base, settings.change_step_pct))
        alerts.append(
            Alert(
                condition=RECONCILIATION,
                scope=line.billing_period,
                subject=f"{line.platform}/{line.platform_account_id}",
                severity="warning",
                title=(
                    f"{line.platform} account {line.platform_account_id}, {line.billing_period}: "
                    f"{line.status.replace('_', ' ')}"
                ),
                detail=(
                    f"Platform spend {money_short(line.platform_spend, line.currency)}, invoiced "
                    f"{money_short(line.invoiced_amount, line.currency)}, difference "
                    f"{money_short(line.difference, line.currency)}."
                    + (f" Next step: {line.next_step}" if line.next_step else "")
                ),
                state=state,
            )
        )
    return alerts


def data_quality(results: Sequence[CheckResultRow], settings: AlertSettings) -> list[Alert]:
    """Failed data-integrity checks whose severity is one of ``data_quality_severities`` (targets and spend
    plausibility have their own alerts: below)."""
    wanted = set(settings.data_quality_severities)
    return [
        Alert(
            condition=DATA_QUALITY,
            scope=result.asset_key,
            subject=result.check_name,
            severity="critical" if result.severity == "ERROR" else "warning",
            title=f"Check {result.check_name} failed on {result.asset_key}",
            detail=(result.description or "")
            + (
                f" (measured {result.value:g}, threshold {result.threshold:g})"
                if result.value is not None and result.threshold is not None
                else ""
            ),
            state=(result.severity,),
        )
        for result in results
        if not result.passed and result.severity in wanted and result.kind not in ("target", "plausibility")
    ]


def targets_missed(results: Sequence[CheckResultRow]) -> list[Alert]:
    """Business targets (data sync, budget tracking, ROI accuracy, pacing error) missed this run.

    They never hold the snapshot back, so this alert is how the people who own them hear of a miss. A
    target with nothing to measure is not a miss and does not alert.
    """
    return [
        Alert(
            condition=TARGET_MISSED,
            scope=result.asset_key,
            subject=result.check_name,
            severity="warning",
            title=f"Target {result.check_name} missed on {result.asset_key}",
            detail=(result.description or "")
            + (
                f" (measured {result.value:.4g}, threshold {result.threshold:.4g}); the snapshot was published."
                if result.value is not None and result.threshold is not None
                else "; the snapshot was published."
            ),
            state=("missed",),
        )
        for result in results
        if result.kind == "target" and not result.passed and result.status != "not_measurable"
    ]


def unbudgeted_spend(rows: Sequence[UnbudgetedSpend], currency: str) -> list[Alert]:
    """Spend no budget authorises, per campaign and month (and reason): spending authorisation."""
    return [
        Alert(
            condition=UNBUDGETED_SPEND,
            scope=row.fiscal_period,
            subject=f"{row.platform}/{row.campaign_id}/{row.reason}",
            severity="warning",
            title=f"Unbudgeted spend on {row.campaign_name or row.campaign_id} ({row.platform}) in {row.fiscal_period}",
            detail=(
                f"{money_short(row.spend_rc, currency)} over {row.days} day(s): "
                f"{UNBUDGETED_REASONS.get(row.reason, row.reason)}"
                + (f" ({row.budget_line_id})." if row.budget_line_id else ".")
                + " See marts.fct_unbudgeted_spend."
            ),
            state=(row.reason,),
        )
        for row in rows
        if row.spend_rc > 0
    ]


def roi_below_floor(rows: Sequence[ChannelRoi], settings: AlertSettings, currency: str) -> list[Alert]:
    """Channels (one model, one month) whose ROI is below the floor; critical when the whole interval is."""
    floor = settings.roi_floor
    return [
        Alert(
            condition=ROI_BELOW_FLOOR,
            scope="",
            subject=row.channel,
            severity="critical" if row.roi_ci_high is not None and row.roi_ci_high < floor else "warning",
            title=f"ROI of {row.channel} is below the floor ({row.period}, {row.attribution_model})",
            detail=(
                f"ROI {pct(row.roi, 0)} (interval {pct(row.roi_ci_low, 0)} to {pct(row.roi_ci_high, 0)}) on "
                f"{money_short(row.spend_rc, currency)} of spend; floor {pct(floor, 0)}."
            ),
            state=("band", band(row.roi, settings.change_step_roi)),
        )
        for row in rows
        if row.roi is not None and row.roi < floor
    ]


def held_restatements(held: Sequence[HeldRestatements]) -> list[Alert]:
    """Platform restatements of months finance has closed, held instead of changing reported spend."""
    return [
        Alert(
            condition=HELD_RESTATEMENT,
            scope=item.period,
            subject=item.source,
            severity="warning",
            title=f"{item.source}: restatement of closed month {item.period} held",
            detail=(
                f"{item.rows} restated row(s) from {item.files} file(s) would change {item.period}, which finance "
                "has closed; reported figures are unchanged. See audit.held_restatements, and reopen the month "
                "(periods.finance_closed_through) to apply them."
            ),
            state=("rows", item.rows),
        )
        for item in held
        if item.rows > 0
    ]


def budget_scenario(
    scenarios: Sequence[BudgetScenario], optimisation: OptimisationSettings, settings: AlertSettings, currency: str
) -> list[Alert]:
    """Budget scenarios the model is sure beat today's allocation by enough to act on: a probability of
    improvement of at least ``optimisation.alert_min_probability`` and an expected uplift of incremental
    margin net of spend of at least ``optimisation.alert_min_uplift_rc``. "Changed" is the uplift moving
    into another band of ``change_step_pct`` of today's spend."""
    return [
        Alert(
            condition=BUDGET_SCENARIO,
            scope="",
            subject=scenario.scenario,
            severity="warning",
            title=(
                f"Budget scenario {scenario.scenario} beats today's allocation "
                f"({pct(scenario.probability_of_improvement, 0)} probability)"
            ),
            detail=(
                f"Expected +{money_short(scenario.net_uplift_rc, currency)} incremental margin net of spend over "
                f"{scenario.window_start} to {scenario.window_end} ({pct(scenario.interval_level, 0)} interval "
                f"{money_short(scenario.net_uplift_ci_low_rc, currency)} to "
                f"{money_short(scenario.net_uplift_ci_high_rc, currency)}), spending "
                f"{money_short(scenario.recommended_spend_rc, currency)} instead of "
                f"{money_short(scenario.current_spend_rc, currency)}. The moves are in marts.fct_budget_scenarios; "
                f"`python -m orchestration.cli propose-budget --scenario {scenario.scenario}` writes them as a "
                "budget proposal."
            ),
            state=(
                "band",
                band(scenario.net_uplift_rc / max(scenario.current_spend_rc, 1.0), settings.change_step_pct),
            ),
        )
        for scenario in scenarios
        if scenario.probability_of_improvement >= optimisation.alert_min_probability
        and scenario.net_uplift_rc >= optimisation.alert_min_uplift_rc
    ]


def spend_anomaly(rows: Sequence[SpendAnomaly]) -> list[Alert]:
    """Campaign-months with spend days far outside the campaign's own history (``audit.spend_anomalies``).

    Loaded, never blocked: the alert is how the campaign's owner hears of a day that may be a slip (a
    number in micros, an extra digit) or real. "Changed" is another day of the month being flagged.
    """
    return [
        Alert(
            condition=SPEND_ANOMALY,
            scope=row.fiscal_period,
            subject=f"{row.platform}/{row.campaign_id}",
            severity="warning",
            title=f"Implausible spend on {row.platform} campaign {row.campaign_id} in {row.fiscal_period}",
            detail=(
                f"{row.days} day(s) far outside the campaign's own history; the largest, {row.spend_date}: "
                f"{money_short(row.spend, row.currency)} against a usual {money_short(row.median_spend, row.currency)} "
                f"(robust score {row.robust_score:,.0f}, threshold {row.threshold:g}, {row.direction}). "
                "Loaded and counted"
                + (f"; from {row.source_file}" if row.source_file else "")
                + ". If the file is wrong, land a corrected one (it restates the day). See audit.spend_anomalies."
            ),
            state=("days", row.days),
        )
        for row in rows
        if row.days > 0
    ]


# --- evaluation ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertInputs:
    """What the conditions look at; ``None`` means not available (the condition is not evaluated)."""

    currency: str
    recent_periods: Sequence[str] = ()
    budget_lines: Sequence[BudgetLine] | None = None
    pacing: Sequence[PacingLine] | None = None
    reconciliation: Sequence[ReconciliationLine] | None = None
    check_results: Sequence[CheckResultRow] | None = None
    channel_roi: Sequence[ChannelRoi] | None = None
    held_restatements: Sequence[HeldRestatements] | None = None
    unbudgeted: Sequence[UnbudgetedSpend] | None = None
    budget_scenarios: Sequence[BudgetScenario] | None = None
    spend_anomalies: Sequence[SpendAnomaly] | None = None


@dataclass(frozen=True)
class Coverage:
    """What an evaluation looked at, so that an alert no longer raised can be told resolved from unseen.

    ``scopes``: (condition, scope) pairs looked at in full; ``keys``: single alerts looked at (checks that
    ran); ``windows``: per condition, the scopes in its window now (open alerts outside it expire).
    """

    scopes: frozenset[tuple[str, str]] = frozenset()
    keys: frozenset[str] = frozenset()
    windows: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    alerts: list[Alert]
    coverage: Coverage


def evaluate(
    inputs: AlertInputs, settings: AlertSettings, optimisation: OptimisationSettings | None = None
) -> Evaluation:
    alerts: list[Alert] = []
    scopes: set[tuple[str, str]] = set()
    keys: set[str] = set()
    windows: dict[str, frozenset[str]] = {}
    recent = frozenset(inputs.recent_periods)
    if inputs.budget_lines is not None:
        alerts += over_budget(
            [line for line in inputs.budget_lines if line.fiscal_period in recent], settings, inputs.currency
        )
        scopes |= {(OVER_BUDGET, period) for period in recent}
        windows[OVER_BUDGET] = recent
    if inputs.pacing is not None:
        alerts += projected_over_budget(inputs.pacing, settings, inputs.currency)
        alerts += pacing_under(inputs.pacing, settings, inputs.currency)
        paced = frozenset(line.fiscal_period for line in inputs.pacing)
        ready = frozenset(
            line.fiscal_period for line in inputs.pacing if line.day_of_period >= settings.pacing_min_day_of_period
        )
        for condition in (PROJECTED_OVER_BUDGET, PACING_UNDER):
            scopes |= {(condition, period) for period in ready}
            windows[condition] = paced
    if inputs.reconciliation is not None:
        alerts += reconciliation([line for line in inputs.reconciliation if line.billing_period in recent], settings)
        scopes |= {(RECONCILIATION, period) for period in recent}
        windows[RECONCILIATION] = recent
    if inputs.check_results is not None:
        alerts += data_quality(inputs.check_results, settings)
        keys |= {f"{DATA_QUALITY}|{result.asset_key or '-'}|{result.check_name}" for result in inputs.check_results}
        alerts += targets_missed(inputs.check_results)
        keys |= {
            f"{TARGET_MISSED}|{result.asset_key or '-'}|{result.check_name}"
            for result in inputs.check_results
            if result.kind == "target"
        }
    if inputs.channel_roi is not None:
        alerts += roi_below_floor(inputs.channel_roi, settings, inputs.currency)
        scopes.add((ROI_BELOW_FLOOR, ""))
    if inputs.held_restatements is not None:
        alerts += held_restatements(inputs.held_restatements)
        # Every month ever held is looked at, so one whose rows were released (reopened) resolves.
        scopes |= {(HELD_RESTATEMENT, item.period) for item in inputs.held_restatements}
    if inputs.unbudgeted is not None:
        alerts += unbudgeted_spend([row for row in inputs.unbudgeted if row.fiscal_period in recent], inputs.currency)
        scopes |= {(UNBUDGETED_SPEND, period) for period in recent}
        windows[UNBUDGETED_SPEND] = recent
    if inputs.budget_scenarios is not None:
        alerts += budget_scenario(
            inputs.budget_scenarios, optimisation or OptimisationSettings(), settings, inputs.currency
        )
        scopes.add((BUDGET_SCENARIO, ""))
    if inputs.spend_anomalies is not None:
        alerts += spend_anomaly([row for row in inputs.spend_anomalies if row.fiscal_period in recent])
        scopes |= {(SPEND_ANOMALY, period) for period in recent}
        windows[SPEND_ANOMALY] = recent
    return Evaluation(alerts=alerts, coverage=Coverage(frozenset(scopes), frozenset(keys), windows))


# --- deduplication -------------------------------------------------------------------------------------------


class Event(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    RETRY = "retry"
    RESOLVED = "resolved"
    UNCHANGED = "unchanged"
    EXPIRED = "expired"


@dataclass(frozen=True)
class HistoryEntry:
    """The alert history's last word on one alert key."""

    alert_key: str
    condition: str
    scope: str
    subject: str
    severity: str
    title: str
    detail: str
    state: Literal["open", "resolved", "expired"]
    fingerprint: str
    last_event: str
    pending_channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    event: Event
    key: str
    alert: Alert | None  # the current alert; None when resolved or expired
    previous: HistoryEntry | None
    channels: tuple[str, ...]  # where to send it now; empty: nothing to send

    @property
    def severity(self) -> str:
        return self.alert.severity if self.alert else (self.previous.severity if self.previous else "warning")

    @property
    def title(self) -> str:
        return self.alert.title if self.alert else (self.previous.title if self.previous else self.key)

    @property
    def detail(self) -> str:
        return self.alert.detail if self.alert else (self.previous.detail if self.previous else "")

    @property
    def announces(self) -> str:
        """What the message says happened: a retry repeats the event that was not delivered."""
        if self.event is Event.RETRY and self.previous is not None:
            return self.previous.last_event
        return self.event.value


def decide(
    current: Sequence[Alert],
    history: Mapping[str, HistoryEntry],
    coverage: Coverage,
    channels: Sequence[str],
) -> list[Decision]:
    """One decision per alert raised now and per open (or undelivered) alert of the history."""
    configured = tuple(channels)
    decisions: list[Decision] = []
    seen: set[str] = set()
    for alert in current:
        if alert.key in seen:
            continue
        seen.add(alert.key)
        previous = history.get(alert.key)
        if previous is None or previous.state != "open":
            decisions.append(Decision(Event.NEW, alert.key, alert, previous, configured))
        elif previous.fingerprint != alert.fingerprint:
            decisions.append(Decision(Event.CHANGED, alert.key, alert, previous, configured))
        elif owed := _owed(previous, configured):
            decisions.append(Decision(Event.RETRY, alert.key, alert, previous, owed))
        else:
            decisions.append(Decision(Event.UNCHANGED, alert.key, alert, previous, ()))
    for key, previous in sorted(history.items()):
        if key in seen:
            continue
        if previous.state == "open":
            if key in coverage.keys or (previous.condition, previous.scope) in coverage.scopes:
                decisions.append(Decision(Event.RESOLVED, key, None, previous, configured))
            elif previous.condition in coverage.windows and previous.scope not in coverage.windows[previous.condition]:
                decisions.append(Decision(Event.EXPIRED, key, None, previous, ()))
        elif previous.state == "resolved" and (owed := _owed(previous, configured)):
            decisions.append(Decision(Event.RETRY, key, None, previous, owed))
    return decisions


ANY_CHANNEL = "*"  # owed to whichever channel gets configured: the event happened while none was


def _owed(previous: HistoryEntry, configured: tuple[str, ...]) -> tuple[str, ...]:
    if ANY_CHANNEL in previous.pending_channels:
        return configured
    return tuple(channel for channel in configured if channel in previous.pending_channels)


def to_send(decisions: Sequence[Decision], channel: str) -> list[Decision]:
    """The decisions one channel delivers, most severe and newest news first."""
    order = {"new": 0, "changed": 1, "resolved": 2}
    chosen = [decision for decision in decisions if channel in decision.channels]
    return sorted(
        chosen,
        key=lambda d: (order.get(d.announces, 3), SEVERITY_ORDER.get(d.severity, 9), d.key),
    )
