"""The alert history in the warehouse: ``audit.alert_history`` (one row per alert) and ``audit.alert_events``.

``alert_history`` holds each alert's current word: open, resolved or
expired, its fingerprint (what "changed" is measured against), when it was
first and last seen, last sent and resolved, and how its last delivery went
(status, attempts, error, the channels that still owe it). ``alert_events``
keeps every event that was announced or retried, with its delivery outcome.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence

import duckdb

from orchestration.lib.alerting.rules import ANY_CHANNEL, Decision, Event, HistoryEntry
from orchestration.lib.delivery import DeliveryResult

DDL: tuple[str, ...] = (
    "create schema if not exists audit",
    """
    create table if not exists audit.alert_history (
        alert_key varchar not null,
        condition varchar not null,
        scope varchar not null,
        subject varchar not null,
        severity varchar not null,
        state varchar not null,
        title varchar not null,
        detail varchar not null,
        fingerprint varchar not null,
        payload_hash varchar,
        first_seen_at timestamp not null,
        last_seen_at timestamp not null,
        last_changed_at timestamp not null,
        last_sent_at timestamp,
        resolved_at timestamp,
        last_event varchar not null,
        delivery_status varchar not null,
        pending_channels varchar not null,
        attempts integer not null,
        error varchar,
        run_id varchar
    )
    """,
    """
    create table if not exists audit.alert_events (
        evaluated_at timestamp not null,
        run_id varchar,
        alert_key varchar not null,
        event varchar not null,
        announced varchar not null,
        severity varchar not null,
        fingerprint varchar,
        payload_hash varchar,
        channels varchar not null,
        delivery_status varchar not null,
        attempts integer not null,
        error varchar
    )
    """,
)


def ensure_tables(connection: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        connection.execute(statement)


def load(connection: duckdb.DuckDBPyConnection) -> dict[str, HistoryEntry]:
    rows = connection.execute(
        """
        select alert_key, condition, scope, subject, severity, title, detail, state, fingerprint, last_event,
            pending_channels
        from audit.alert_history
        """
    ).fetchall()
    return {
        row[0]: HistoryEntry(
            alert_key=row[0],
            condition=row[1],
            scope=row[2],
            subject=row[3],
            severity=row[4],
            title=row[5],
            detail=row[6],
            state=row[7],
            fingerprint=row[8],
            last_event=row[9],
            pending_channels=tuple(channel for channel in row[10].split(",") if channel),
        )
        for row in rows
    }


def payload_hash(decision: Decision) -> str:
    """A hash of what was announced for one alert (event, severity, title and figures)."""
    content = [decision.announces, decision.severity, decision.title, decision.detail]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:16]


def delivery_outcome(
    decision: Decision, results: Mapping[str, DeliveryResult]
) -> tuple[str, tuple[str, ...], int, str | None]:
    """(status, channels still owing it, attempts, error) of one decision's delivery."""
    if not decision.channels:
        announced = decision.event in (Event.NEW, Event.CHANGED, Event.RESOLVED)
        return "no_channel", (ANY_CHANNEL,) if announced else (), 0, None
    outcomes = {channel: results.get(channel) for channel in decision.channels}
    failed = tuple(channel for channel, result in outcomes.items() if result is None or not result.ok)
    attempts = max((result.attempts for result in outcomes.values() if result is not None), default=0)
    errors = [
        f"{channel}: {result.error if result is not None else 'not attempted'}"
        for channel, result in outcomes.items()
        if channel in failed
    ]
    status = "sent" if not failed else ("failed" if len(failed) == len(outcomes) else "partial")
    return status, failed, attempts, "; ".join(errors) or None


def record(
    connection: duckdb.DuckDBPyConnection,
    decisions: Sequence[Decision],
    results: Mapping[str, DeliveryResult],
    *,
    run_id: str | None,
    now: dt.datetime,
) -> None:
    """Write every decision's outcome to the history (and its event, unless nothing happened) in one transaction."""
    at = now.astimezone(dt.UTC).replace(tzinfo=None)
    connection.execute("begin transaction")
    try:
        for decision in decisions:
            _record_one(connection, decision, results, run_id, at)
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise


def _record_one(
    connection: duckdb.DuckDBPyConnection,
    decision: Decision,
    results: Mapping[str, DeliveryResult],
    run_id: str | None,
    at: dt.datetime,
) -> None:
    status, pending, attempts, error = delivery_outcome(decision, results)
    delivered = status in ("sent", "partial")
    digest = payload_hash(decision)
    alert = decision.alert
    if decision.event in (Event.NEW, Event.CHANGED):
        assert alert is not None
        if decision.previous is None:
            connection.execute(
                """
                insert into audit.alert_history values
                    (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?, ?, ?, ?)
                """,
                [
                    alert.key,
                    alert.condition,
                    alert.scope,
                    alert.subject,
                    alert.severity,
                    alert.title,
                    alert.detail,
                    alert.fingerprint,
                    digest,
                    at,
                    at,
                    at,
                    at if delivered else None,
                    decision.event.value,
                    status,
                    ",".join(pending),
                    attempts,
                    error,
                    run_id,
                ],
            )
        else:
            connection.execute(
                """
                update audit.alert_history set
                    severity = ?, state = 'open', title = ?, detail = ?, fingerprint = ?, payload_hash = ?,
                    first_seen_at = case when ? then ? else first_seen_at end,
                    last_seen_at = ?, last_changed_at = ?,
                    last_sent_at = case when ? then ? else last_sent_at end, resolved_at = null,
                    last_event = ?, delivery_status = ?, pending_channels = ?, attempts = ?, error = ?, run_id = ?
                where alert_key = ?
                """,
                [
                    alert.severity,
                    alert.title,
                    alert.detail,
                    alert.fingerprint,
                    digest,
                    decision.event is Event.NEW,
                    at,
                    at,
                    at,
                    delivered,
                    at,
                    decision.event.value,
                    status,
                    ",".join(pending),
                    attempts,
                    error,
                    run_id,
                    alert.key,
                ],
            )
    elif decision.event is Event.UNCHANGED:
        assert alert is not None
        connection.execute(
            "update audit.alert_history set last_seen_at = ?, title = ?, detail = ?, run_id = ? where alert_key = ?",
            [at, alert.title, alert.detail, run_id, alert.key],
        )
        return  # nothing announced: no event
    elif decision.event is Event.RETRY:
        connection.execute(
            """
            update audit.alert_history set
                last_seen_at = case when ? then ? else last_seen_at end,
                last_sent_at = case when ? then ? else last_sent_at end,
                delivery_status = ?, pending_channels = ?, attempts = ?, error = ?, run_id = ?
            where alert_key = ?
            """,
            [alert is not None, at, delivered, at, status, ",".join(pending), attempts, error, run_id, decision.key],
        )
    elif decision.event is Event.RESOLVED:
        connection.execute(
            """
            update audit.alert_history set
                state = 'resolved', resolved_at = ?, last_changed_at = ?, last_event = 'resolved',
                last_sent_at = case when ? then ? else last_sent_at end,
                delivery_status = ?, pending_channels = ?, attempts = ?, error = ?, run_id = ?
            where alert_key = ?
            """,
            [at, at, delivered, at, status, ",".join(pending), attempts, error, run_id, decision.key],
        )
    elif decision.event is Event.EXPIRED:
        status = "not_sent"
        connection.execute(
            """
            update audit.alert_history set
                state = 'expired', last_changed_at = ?, last_event = 'expired', pending_channels = '', run_id = ?
            where alert_key = ?
            """,
            [at, run_id, decision.key],
        )
    connection.execute(
        "insert into audit.alert_events values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            at,
            run_id,
            decision.key,
            decision.event.value,
            decision.announces,
            decision.severity,
            alert.fingerprint if alert else None,
            digest,
            ",".join(decision.channels),
            status,
            attempts,
            error,
        ],
    )
