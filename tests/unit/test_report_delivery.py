"""Report e-mail: an SMTP server on loopback receives the report; a dry run writes an .eml to the outbox."""

import datetime as dt
import email
import email.policy
from pathlib import Path

import pytest

from orchestration.lib import delivery
from orchestration.lib.reporting import render
from orchestration.lib.settings import EmailSettings, RetrySettings, RoiConfig
from tests.loopback import LOOPBACK, SmtpSink
from tests.unit.test_report_rendering import executive_data

FAST = RetrySettings(attempts=3, backoff_seconds=0.01, timeout_seconds=3.0, max_total_seconds=10.0)


@pytest.fixture(scope="module")
def report_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[render.Report, render.ReportFiles]:
    report = render.render_executive(executive_data(), RoiConfig(), dt.datetime(2026, 2, 20, tzinfo=dt.UTC))
    return report, render.write_report(report, tmp_path_factory.mktemp("reports"), pdf=False)


def smtp_settings(port: int) -> EmailSettings:
    return EmailSettings(mode="smtp", smtp_host=LOOPBACK, smtp_port=port, security="none", sender="roi@example.com")


def test_the_report_arrives_by_smtp_with_its_charts_and_the_file_attached(report_files):
    report, files = report_files
    with SmtpSink() as sink:
        message = render.report_message(report, files, sender="roi@example.com", to=["cfo@example.com"])
        result = delivery.send_email(message, smtp_settings(sink.port), FAST, delivery.Deadline(10), environ={})
    assert (result.status, result.attempts) == ("sent", 1)
    (received,) = sink.messages
    assert sink.envelopes[0][1] == ["<cfo@example.com>"]
    assert received["Subject"] == "Executive report — January 2026 · ROI warehouse"
    body = received.get_body(preferencelist=("html",))
    assert "Spend vs budget by channel" in body.get_content()
    images = [part for part in received.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 4 and all(part["Content-ID"].endswith("@roi-warehouse>") for part in images)
    (attached,) = [part for part in received.iter_attachments() if part.get_filename() == "executive_report.html"]
    assert attached.get_content() == files.html.read_text(encoding="utf-8")
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert "Sync rate: 82.2%" in text


def test_a_server_that_refuses_at_first_is_retried(report_files):
    report, files = report_files
    with SmtpSink(fail_first=1) as sink:
        message = render.report_message(report, files, sender="roi@example.com", to=["cfo@example.com"])
        result = delivery.send_email(message, smtp_settings(sink.port), FAST, delivery.Deadline(10), environ={})
    assert (result.status, result.attempts) == ("sent", 2)
    assert len(sink.messages) == 1


def test_credentials_never_appear_in_a_recorded_error(report_files):
    report, files = report_files
    with SmtpSink(fail_first=99) as sink:
        message = render.report_message(report, files, sender="roi@example.com", to=["cfo@example.com"])
        environ = {"ROI_SMTP_USERNAME": "mailer", "ROI_SMTP_PASSWORD": "hunter2-secret"}
        result = delivery.send_email(message, smtp_settings(sink.port), FAST, delivery.Deadline(10), environ=environ)
    assert (result.status, result.attempts) == ("failed", 3)
    assert "hunter2-secret" not in (result.error or "") and "421" in (result.error or "")
    assert "hunter2-secret" not in repr(delivery.smtp_target(smtp_settings(1), environ))


def test_a_dry_run_writes_the_message_to_the_outbox(tmp_path: Path, report_files):
    report, files = report_files
    message = render.report_message(report, files, sender="roi@example.com", to=["cfo@example.com"])
    settings = EmailSettings(mode="dry_run", outbox_dir=str(tmp_path / "outbox"))
    result = delivery.send_email(
        message, settings, FAST, delivery.Deadline(10), name_hint="exec/../2026-01", environ={}
    )
    assert result.status == "written" and result.ok
    (path,) = (tmp_path / "outbox").iterdir()
    assert str(path) == result.location and path.suffix == ".eml" and "/" not in path.name.replace("exec_.._", "")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "cfo@example.com"


def test_e_mail_off_or_nobody_to_send_to_is_skipped(report_files):
    report, files = report_files
    message = render.report_message(report, files, sender="roi@example.com", to=[])
    off = delivery.send_email(message, EmailSettings(mode="off"), FAST, delivery.Deadline(1), environ={})
    nobody = delivery.send_email(message, EmailSettings(mode="smtp"), FAST, delivery.Deadline(1), environ={})
    assert (off.status, nobody.status) == ("skipped", "skipped")


def test_recipients_come_from_the_environment_first_and_are_validated():
    assert delivery.recipients(("a@example.com",), "ROI_X", environ={}) == ["a@example.com"]
    environ = {"ROI_X": "Chief <cfo@example.com>, ops@example.com,"}
    assert delivery.recipients(("a@example.com",), "ROI_X", environ=environ) == [
        "Chief <cfo@example.com>",
        "ops@example.com",
    ]
    with pytest.raises(ValueError, match="not an e-mail address"):
        delivery.recipients((), "ROI_X", environ={"ROI_X": "nobody"})
    with pytest.raises(ValueError):
        delivery.recipients(("a@example.com\r\nBcc: x@example.com",), "ROI_X", environ={})
