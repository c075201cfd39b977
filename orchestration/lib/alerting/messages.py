"""What an alert digest says: one message per evaluation and channel, listing every alert it announces.

The webhook gets Slack-compatible JSON (``text`` for any client, ``blocks``
for Slack); e-mail gets a subject, a plain-text part and an HTML part.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from typing import Any

from orchestration.lib.alerting.rules import Decision

MAX_ITEMS = 40  # Slack takes at most 50 blocks per message
EVENT_LABELS = {"new": "NEW", "changed": "CHANGED", "resolved": "RESOLVED"}
ICONS = {
    ("new", "critical"): ":rotating_light:",
    ("new", "warning"): ":warning:",
    ("changed", "critical"): ":rotating_light:",
    ("changed", "warning"): ":arrows_counterclockwise:",
}


def summary(decisions: Sequence[Decision]) -> str:
    counts = Counter(decision.announces for decision in decisions)
    parts = [f"{counts[event]} {event}" for event in ("new", "changed", "resolved") if counts[event]]
    return f"ROI warehouse alerts: {', '.join(parts) or 'nothing new'}"


def _label(decision: Decision) -> str:
    return EVENT_LABELS.get(decision.announces, decision.announces.upper())


def _condition(decision: Decision) -> str:
    condition = (
        decision.alert.condition if decision.alert else (decision.previous.condition if decision.previous else "")
    )
    return condition.replace("_", " ")


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(decisions: Sequence[Decision], *, context: str) -> dict[str, Any]:
    """Slack-compatible JSON: a summary ``text`` and ``blocks`` (header, context, one section per alert)."""
    head = summary(decisions)
    shown = list(decisions[:MAX_ITEMS])
    lines = []
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head[:150]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(context)}]},
    ]
    for decision in shown:
        icon = (
            ":white_check_mark:"
            if decision.announces == "resolved"
            else ICONS.get((decision.announces, decision.severity), ":warning:")
        )
        line = (
            f"{icon} *{_label(decision)}* · {decision.severity} · {_condition(decision)}\n"
            f"*{_slack_escape(decision.title)}*\n{_slack_escape(decision.detail)}"
        )
        lines.append(f"[{_label(decision)}] {decision.severity}: {decision.title}. {decision.detail}")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line[:2900]}})
    if len(decisions) > len(shown):
        more = f"… and {len(decisions) - len(shown)} more (see audit.alert_history)"
        lines.append(more)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {"text": "\n".join([head, *lines]), "blocks": blocks}


def email_content(decisions: Sequence[Decision], *, context: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the digest e-mail."""
    head = summary(decisions)
    text_lines = [head, context, ""]
    rows = []
    for decision in decisions:
        text_lines.append(f"[{_label(decision)}] {decision.severity} · {_condition(decision)}: {decision.title}")
        text_lines.append(f"    {decision.detail}")
        colour = (
            "#2f855a"
            if decision.announces == "resolved"
            else ("#c53030" if decision.severity == "critical" else "#b7791f")
        )
        rows.append(
            "<tr>"
            f'<td style="color:{colour};font-weight:700;white-space:nowrap">{html.escape(_label(decision))}</td>'
            f"<td>{html.escape(decision.severity)}</td><td>{html.escape(_condition(decision))}</td>"
            f"<td><strong>{html.escape(decision.title)}</strong><br>{html.escape(decision.detail)}</td>"
            "</tr>"
        )
    body = (
        '<html><body style="font-family:Arial,sans-serif;font-size:14px;color:#1f2933">'
        f'<h2 style="margin:0 0 4px">{html.escape(head)}</h2>'
        f'<p style="color:#616e7c;margin:0 0 12px">{html.escape(context)}</p>'
        '<table cellpadding="6" style="border-collapse:collapse;width:100%">'
        '<tr style="background:#f5f7fa;text-align:left"><th>Event</th><th>Severity</th><th>Condition</th>'
        "<th>Alert</th></tr>" + "".join(rows) + "</table></body></html>"
    )
    return head, "\n".join(text_lines) + "\n", body
