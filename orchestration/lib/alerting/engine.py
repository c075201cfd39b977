"""``evaluate_and_deliver``: look at the warehouse after a build, send what is new, remember what was sent.

Called by the ``alert_sensor`` after every finished build, and callable from
the CLI after a run. It never blocks or breaks a build:

- it takes the warehouse's run lock without waiting (``wait_for_lock_seconds``
  to wait a little); while a build holds it, it raises ``WarehouseBusyError``
  and the sensor skips the tick and tries again on the next one;
- it opens the warehouse briefly, twice (read the marts and the history;
  write the history), and delivers in between with the connection closed;
- a delivery failure is retried (bounded, see ``delivery.retry``) and
  recorded in ``audit.alert_history``, never raised.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from orchestration.lib import delivery, marts, settings
from orchestration.lib.alerting import history as alert_history
from orchestration.lib.alerting.messages import email_content, slack_payload
from orchestration.lib.alerting.rules import AlertInputs, Decision, Event, decide, evaluate, to_send
from orchestration.lib.warehouse import WarehouseBusyError, connect, warehouse_lock

if TYPE_CHECKING:
    import dagster as dg

ALERT_RECIPIENTS_ENV = "ROI_ALERT_RECIPIENTS"


@contextmanager
def run_lock(warehouse: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the warehouse's run lock (the one every build holds), or raise ``WarehouseBusyError``.

    Unlike a build, which waits for the lock, this gives up after ``wait_seconds``: a build never waits
    long for alerts, and alerts never run against a half-built warehouse. Re-entrant: the CLI calls this
    after a run while it still holds the lock.
    """
    with warehouse_lock(warehouse, timeout=wait_seconds):
        yield


@dataclass(frozen=True)
class AlertOutcome:
    run_id: str | None
    raised: int  # conditions that hold now
    events: dict[str, int]  # decisions per event (new, changed, retry, resolved, unchanged, expired)
    deliveries: list[delivery.DeliveryResult] = field(default_factory=list)
    channels: tuple[str, ...] = ()

    @property
    def sent(self) -> int:
        return sum(self.events.get(event, 0) for event in ("new", "changed", "retry", "resolved"))

    def summary(self) -> str:
        events = ", ".join(f"{count} {event}" for event, count in sorted(self.events.items()) if count) or "none"
        if not self.channels:
            channels = "no channel configured (set ROI_ALERT_WEBHOOK_URL and/or alert recipients)"
        else:
            channels = (
                "; ".join(
                    f"{result.channel} {result.status}"
                    + (f" after {result.attempts} attempt(s)" if result.attempts > 1 else "")
                    + (f" ({result.error})" if result.error else "")
                    for result in self.deliveries
                )
                or f"nothing to send to {', '.join(self.channels)}"
            )
        return f"{self.raised} alert condition(s) hold; events: {events}; delivery: {channels}"


def alert_channels(cfg: settings.RoiConfig, environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The channels alerts go to: the webhook when its URL is set, e-mail when enabled and someone receives it."""
    channels = []
    if delivery.webhook_url(environ):
        channels.append("webhook")
    if cfg.delivery.email.mode != "off" and delivery.recipients(cfg.alerts.recipients, ALERT_RECIPIENTS_ENV, environ):
        channels.append("email")
    return tuple(channels)


def alert_delivery_configured(cfg: settings.RoiConfig | None = None, environ: Mapping[str, str] = os.environ) -> bool:
    return bool(alert_channels(cfg or settings.config(), environ))


def check_results_from_run(instance: dg.DagsterInstance, run_id: str) -> list[marts.CheckResultRow]:
    """Every asset check the run evaluated (dbt tests, Great Expectations, business rules), from its event log."""
    import dagster as dg

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    results = []
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = None if event is None else event.event_specific_data
        if evaluation is None:
            continue
        metadata = evaluation.metadata or {}
        results.append(
            marts.CheckResultRow(
                check_name=evaluation.check_name,
                asset_key=evaluation.asset_key.to_user_string(),
                passed=evaluation.passed,
                severity=evaluation.severity.value,
                value=_number(metadata.get("value")),
                threshold=_number(metadata.get("threshold")),
                description=evaluation.description or _text(metadata.get("summary")),
                kind=_text(metadata.get("check_kind")) or "integrity",
                status=_text(metadata.get("check_status")),
            )
        )
    return results


def _number(entry: Any) -> float | None:
    value = getattr(entry, "value", entry)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(entry: Any) -> str:
    value = getattr(entry, "value", entry)
    return value if isinstance(value, str) else ""


def load_inputs(
    connection: duckdb.DuckDBPyConnection,
    cfg: settings.RoiConfig,
    currency: str,
    check_results: Sequence[marts.CheckResultRow] | None,
    run_id: str | None,
) -> AlertInputs:
    """What the conditions look at; a mart that does not exist (yet) leaves its conditions unevaluated."""
    relations = marts.existing_relations(connection)
    has_spend = "marts.fct_marketing_spend_daily" in relations
    recent = marts.recent_periods(connection, relations, cfg.alerts.recent_periods) if has_spend else []
    if check_results is None and "audit.dq_results" in relations:
        check_results = marts.latest_check_results(connection, run_id)
    channel_roi = None
    if "marts.fct_roi_by_channel" in relations and has_spend:
        roi_period = marts.latest_closed_period(connection, relations)
        if roi_period is not None:
            model = cfg.attribution.preferred_model
            channel_roi = [row for row in marts.channel_roi(connection, roi_period) if row.attribution_model == model]
    return AlertInputs(
        currency=currency,
        recent_periods=recent,
        budget_lines=marts.budget_lines(connection, recent) if "marts.fct_budget_vs_actual" in relations else None,
        pacing=marts.latest_pacing(connection) if "marts.fct_budget_pacing" in relations else None,
        reconciliation=(
            marts.reconciliation(connection, recent) if "marts.fct_spend_reconciliation" in relations else None
        ),
        check_results=check_results,
        channel_roi=channel_roi,
        held_restatements=(marts.held_restatements(connection) if "audit.held_restatements" in relations else None),
        unbudgeted=(marts.unbudgeted_spend(connection, recent) if "marts.fct_unbudgeted_spend" in relations else None),
        budget_scenarios=(
            marts.budget_scenarios(connection, relations)[0]
            if "marts.fct_budget_scenario_summary" in relations
            else None
        ),
        spend_anomalies=(marts.spend_anomalies(connection, recent) if "audit.spend_anomalies" in relations else None),
    )


def deliver(
    decisions: Sequence[Decision],
    cfg: settings.RoiConfig,
    *,
    context: str,
    environ: Mapping[str, str] = os.environ,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, delivery.DeliveryResult]:
    """One digest per channel with the decisions it owes; all within ``delivery.retry.max_total_seconds``."""
    retry = cfg.delivery.retry
    deadline = delivery.Deadline(retry.max_total_seconds)
    results: dict[str, delivery.DeliveryResult] = {}
    webhook_items = to_send(decisions, "webhook")
    url = delivery.webhook_url(environ)
    if webhook_items and url:
        payload = slack_payload(webhook_items, context=context)
        results["webhook"] = delivery.post_webhook(payload, url, retry, deadline, sleep=sleep)
    email_items = to_send(decisions, "email")
    if email_items:
        subject, text, html = email_content(email_items, context=context)
        target = delivery.smtp_target(cfg.delivery.email, environ)
        message = delivery.build_message(
            subject=subject,
            sender=target.sender,
            to=delivery.recipients(cfg.alerts.recipients, ALERT_RECIPIENTS_ENV, environ),
            text=text,
            html=html,
        )
        results["email"] = delivery.send_email(
            message, cfg.delivery.email, retry, deadline, name_hint="alerts", environ=environ, sleep=sleep
        )
    return results


def evaluate_and_deliver(
    warehouse: Path | None = None,
    cfg: settings.RoiConfig | None = None,
    *,
    run_id: str | None = None,
    instance: dg.DagsterInstance | None = None,
    check_results: Sequence[marts.CheckResultRow] | None = None,
    currency: str | None = None,
    wait_for_lock_seconds: float = 0.0,
    environ: Mapping[str, str] = os.environ,
    now: dt.datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> AlertOutcome:
    """Evaluate every alert condition on the warehouse, deliver what is new, changed or resolved, record it.

    Data-quality results come from ``check_results``, else from the run's event log (``instance`` and
    ``run_id``), else from ``audit.dq_results`` (of ``run_id``, or the latest run there). Raises
    ``WarehouseBusyError`` while a build holds the warehouse; delivery failures are recorded, not raised.
    """
    cfg = cfg or settings.config()
    warehouse = warehouse or settings.warehouse_path()
    currency = currency or settings.reporting_currency()
    now = now or dt.datetime.now(dt.UTC)
    if not warehouse.exists():
        raise WarehouseBusyError(f"no warehouse at {warehouse} yet")
    channels = alert_channels(cfg, environ)
    if check_results is None and instance is not None and run_id is not None:
        check_results = check_results_from_run(instance, run_id)
    with run_lock(warehouse, wait_for_lock_seconds):
        try:
            with connect(warehouse) as connection:
                alert_history.ensure_tables(connection)
                inputs = load_inputs(connection, cfg, currency, check_results, run_id)
                history = alert_history.load(connection)
        except duckdb.IOException as error:  # another process has the file open
            raise WarehouseBusyError(str(error)) from error
        evaluation = evaluate(inputs, cfg.alerts, cfg.optimisation)
        decisions = decide(evaluation.alerts, history, evaluation.coverage, channels)
        as_of = max(inputs.recent_periods, default="no data")
        context = f"run {run_id or 'n/a'} · latest period {as_of} · {now:%Y-%m-%d %H:%M} UTC"
        results = deliver(decisions, cfg, context=context, environ=environ, sleep=sleep)
        with connect(warehouse) as connection:
            alert_history.record(connection, decisions, results, run_id=run_id, now=now)
    counts = Counter(decision.event.value for decision in decisions)
    return AlertOutcome(
        run_id=run_id,
        raised=len(evaluation.alerts),
        events={event.value: counts.get(event.value, 0) for event in Event},
        deliveries=list(results.values()),
        channels=channels,
    )
