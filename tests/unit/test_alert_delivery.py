"""Alert delivery to a webhook on loopback: Slack-compatible payloads, bounded retries, failures recorded."""

import time

from orchestration.lib import delivery
from orchestration.lib.alerting.messages import email_content, slack_payload
from orchestration.lib.alerting.rules import Alert, Coverage, HistoryEntry, decide
from orchestration.lib.settings import RetrySettings
from tests.loopback import WebhookSink

FAST = RetrySettings(attempts=3, backoff_seconds=0.01, timeout_seconds=2.0, max_total_seconds=10.0)


def decisions():
    new = Alert(
        "over_budget", "2026-02", "BL-SEARCH", "critical", "BL-SEARCH <over> budget", "+12% & rising", ("band", 2)
    )
    old = Alert("pacing_under", "2026-02", "BL-VIDEO", "warning", "BL-VIDEO pacing under", "−20%", ("band", -4))
    history = {
        old.key: HistoryEntry(
            old.key,
            old.condition,
            old.scope,
            old.subject,
            old.severity,
            old.title,
            old.detail,
            "open",
            old.fingerprint,
            "new",
        )
    }
    coverage = Coverage(scopes=frozenset({("pacing_under", "2026-02")}))
    return decide([new], history, coverage, ("webhook",))


def test_the_payload_is_slack_compatible_and_escaped():
    payload = slack_payload(decisions(), context="run r1")
    assert payload["text"].startswith("ROI warehouse alerts: 1 new, 1 resolved")
    kinds = [block["type"] for block in payload["blocks"]]
    assert kinds == ["header", "context", "section", "section"]
    first = payload["blocks"][2]["text"]
    assert first["type"] == "mrkdwn"
    assert "*NEW*" in first["text"] and "&lt;over&gt;" in first["text"] and "&amp; rising" in first["text"]
    assert "RESOLVED" in payload["blocks"][3]["text"]["text"]


def test_the_webhook_receives_the_digest():
    payload = slack_payload(decisions(), context="run r1")
    with WebhookSink() as sink:
        result = delivery.post_webhook(payload, sink.url, FAST, delivery.Deadline(10))
    assert (result.status, result.attempts, result.error) == ("sent", 1, None)
    assert sink.payloads == [payload]


def test_a_failing_webhook_is_retried_then_succeeds():
    with WebhookSink(fail_first=2) as sink:
        result = delivery.post_webhook({"text": "hello"}, sink.url, FAST, delivery.Deadline(10))
    assert (result.status, result.attempts) == ("sent", 3)
    assert sink.requests == 3 and sink.payloads == [{"text": "hello"}]


def test_a_webhook_that_keeps_failing_is_recorded_not_raised_and_the_url_never_shows():
    with WebhookSink(fail_first=99) as sink:
        url = sink.url + "?token=s3cret"
        result = delivery.post_webhook({"text": "x"}, url, FAST, delivery.Deadline(10))
    assert (result.status, result.attempts) == ("failed", 3)
    assert "HTTP 500" in result.error
    assert "s3cret" not in result.error and str(sink.port) not in result.error


def test_an_unreachable_webhook_fails_within_the_deadline():
    with WebhookSink() as sink:
        url = sink.url
    # The server is gone: connection refused, quickly, every attempt.
    started = time.monotonic()
    slow = RetrySettings(attempts=5, backoff_seconds=1.0, timeout_seconds=1.0, max_total_seconds=1.5)
    result = delivery.post_webhook({"text": "x"}, url, slow, delivery.Deadline(slow.max_total_seconds))
    assert result.status == "failed" and "could not be reached" in result.error
    assert result.attempts == 2  # wait 1 s, try again; the 2 s wait before a third would end after the deadline
    assert time.monotonic() - started < 1.5


def test_only_http_urls_are_posted_to():
    result = delivery.post_webhook({"text": "x"}, "file:///etc/passwd", FAST, delivery.Deadline(1))
    assert result.status == "failed" and result.attempts == 0
    assert delivery.webhook_url({"ROI_ALERT_WEBHOOK_URL": ""}) is None


def test_retries_back_off_exponentially_and_stop_at_the_deadline():
    waits: list[float] = []
    clock = [0.0]

    def fail(timeout: float) -> None:
        clock[0] += 0.5
        raise OSError("boom")

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    retry = RetrySettings(attempts=4, backoff_seconds=1.0, timeout_seconds=5.0, max_total_seconds=10.0)
    attempts, error = delivery.with_retries(fail, retry, delivery.Deadline(10.0, clock=lambda: clock[0]), sleep=sleep)
    # attempt at 0 (fails at 0.5), wait 1; at 1.5 (2.0), wait 2; at 4.0 (4.5), wait 4; at 8.5 (9.0): four attempts.
    assert (attempts, waits, error) == (4, [1.0, 2.0, 4.0], "OSError: boom")
    waits.clear()
    clock[0] = 0.0
    attempts, _ = delivery.with_retries(fail, retry, delivery.Deadline(5.0, clock=lambda: clock[0]), sleep=sleep)
    # at 0 (fails at 0.5), wait 1; at 1.5 (2.0), wait 2; at 4.0 with a timeout cut to the 1 s left (4.5);
    # the next wait (4 s) would end after the deadline: three attempts.
    assert (attempts, waits) == (3, [1.0, 2.0])


def test_the_alert_email_lists_every_alert():
    subject, text, html = email_content(decisions(), context="run r1")
    assert subject == "ROI warehouse alerts: 1 new, 1 resolved"
    assert "[NEW] critical · over budget: BL-SEARCH <over> budget" in text
    assert "BL-SEARCH &lt;over&gt; budget" in html and "<over>" not in html
