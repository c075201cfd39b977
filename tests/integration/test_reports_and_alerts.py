"""Reports and alerts on the built warehouse (issue: reports and alerts).

Every test works on a copy of the session's warehouse (alerts write their
history to it), with servers on loopback only: an SMTP sink for the report
e-mail and a webhook sink for the alerts. The executive report is opened in
headless Chromium, checked and kept as a screenshot in ``tests/artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from PIL import Image

from orchestration.defs.alerts.sensors import alert_sensor
from orchestration.defs.reporting.assets import executive_report, monthly_partitions, operational_report
from orchestration.defs.resources import Warehouse
from orchestration.lib import settings
from orchestration.lib.alerting.engine import WarehouseBusyError, check_results_from_run, evaluate_and_deliver
from orchestration.lib.formatting import money_short, pct
from orchestration.lib.periods import week_partition_key
from orchestration.lib.reporting import render
from tests.integration.conftest import REPO, Pipeline, open_instance
from tests.loopback import LOOPBACK, SmtpSink, WebhookSink

pytestmark = pytest.mark.integration
ARTIFACTS = REPO / "tests" / "artifacts"
RECIPIENT = "cfo@example.com"
TEST_CONFIG = f"""
alerts:
  data_quality_severities: [ERROR, WARN]
reports:
  executive_recipients: ["{RECIPIENT}"]
delivery:
  email:
    mode: smtp
    smtp_host: "{LOOPBACK}"
    security: none
    sender: "ROI warehouse <roi@example.com>"
  retry:
    attempts: 3
    backoff_seconds: 0.05
    timeout_seconds: 3
    max_total_seconds: 10
"""


@pytest.fixture(scope="module")
def copy(built: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built warehouse, copied: these tests write alert history and change marts."""
    folder = tmp_path_factory.mktemp("reports_and_alerts")
    target = folder / "roi.duckdb"
    shutil.copyfile(built.warehouse, target)
    return target


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("config") / "roi.yml"
    path.write_text(TEST_CONFIG, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROI_CONFIG", str(path))
        settings.config.cache_clear()
        yield path
    settings.config.cache_clear()


@pytest.fixture(scope="module")
def warehouse(copy: Path, built: Pipeline) -> Warehouse:
    return Warehouse(path=str(copy), landing_dir=str(built.landing), reporting_currency="USD")


@pytest.fixture(scope="module")
def calendar(copy: Path) -> dict[str, str]:
    """The latest closed month and the last full ISO week of the data."""
    with duckdb.connect(str(copy), read_only=True) as connection:
        closed, as_of = connection.execute(
            "select max(fiscal_period) filter (where is_closed), max(as_of_date) from intermediate.int_periods"
        ).fetchone()
    return {"closed": closed, "week": week_partition_key(as_of - dt.timedelta(days=7)), "as_of": as_of.isoformat()}


@pytest.fixture(scope="module")
def executive(config_file: Path, warehouse: Warehouse, calendar: dict[str, str]) -> Iterator[dict]:
    """The executive report of the latest closed month, materialized by Dagster and e-mailed to the SMTP sink."""
    with SmtpSink() as sink, pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROI_SMTP_PORT", str(sink.port))
        result = dg.materialize(
            [executive_report],
            partition_key=calendar["closed"],
            resources={"warehouse": warehouse},
            instance=dg.DagsterInstance.ephemeral(),
        )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("reports__executive_report")
    checks = result.get_asset_check_evaluations()
    yield {"metadata": materialization.metadata, "messages": sink.messages, "checks": checks}


def _html_path(executive: dict) -> Path:
    return Path(executive["metadata"]["path"].value)


def test_the_executive_report_is_written_under_its_period_with_its_charts(executive: dict, copy: Path, calendar):
    html_path = _html_path(executive)
    assert html_path == copy.parent / "reports" / calendar["closed"] / "executive_report.html"
    charts = sorted(path.name for path in html_path.parent.glob("executive_report_*.png"))
    assert charts == [
        f"executive_report_{name}.png" for name in ("pacing", "roi_by_channel", "spend_vs_budget", "sync_rate")
    ]
    metadata = executive["metadata"]
    for name in ("spend_vs_budget", "roi_by_channel", "sync_rate", "pacing"):
        assert "](data:image/png;base64," in metadata[f"chart_{name}"].value  # shown in the UI
    html = html_path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", html)


def test_the_executive_reports_figures_are_the_marts_figures(executive: dict, copy: Path, calendar):
    html = _html_path(executive).read_text(encoding="utf-8")
    period = calendar["closed"]
    with duckdb.connect(str(copy), read_only=True) as connection:
        budget, actual = connection.execute(
            "select sum(budget_rc), sum(actual_rc) from marts.fct_budget_vs_actual_by_channel "
            "where period_grain = 'month' and period_label = ?",
            [period],
        ).fetchone()
        roi_rows = connection.execute(
            "select channel, roi, roi_ci_low, roi_ci_high from marts.fct_roi_by_channel "
            "where period = ? and attribution_model = ? and spend_rc > 0",
            [period, settings.config().attribution.preferred_model],
        ).fetchall()
    assert executive["metadata"]["actual_rc"].value == pytest.approx(float(actual))
    assert f"{money_short(float(actual), 'USD')}</div>" in html
    assert f"budget {money_short(float(budget), 'USD')}" in html
    assert roi_rows
    for channel, roi, low, high in roi_rows:
        assert f"<td>{channel}</td>" in html
        if roi is not None:
            assert pct(roi, 0) in html and f"{pct(low, 0)} to {pct(high, 0)}" in html


def test_the_executive_report_arrives_by_email_with_the_report(executive: dict):
    (message,) = executive["messages"]
    assert message["To"] == RECIPIENT
    assert message["Subject"].startswith("Executive report — ")
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert "executive_report.html" in attachments
    assert attachments["executive_report.html"].get_content() == _html_path(executive).read_text(encoding="utf-8")
    assert sum(part.get_content_type() == "image/png" for part in message.walk()) == 4
    (delivered,) = [check for check in executive["checks"] if check.check_name == "delivered"]
    assert delivered.passed


def _chromium_or_skip() -> str:
    executable = render.chromium_executable()
    if executable is None:
        pytest.skip("headless Chromium is not installed (apt-get install -y chromium)")
    probe = render.run_chromium(["--dump-dom", "about:blank"], timeout=60)
    if probe is None or probe.returncode != 0:
        reason = "" if probe is None else probe.stderr.decode(errors="replace")[-300:]
        pytest.skip(f"headless Chromium cannot run here: {reason}")
    return executable


RENDER_CHECK = """
<script>
window.addEventListener('load', () => {
  const charts = [...document.images].filter(i => i.dataset.chart).map(i => ({
    name: i.dataset.chart, width: i.naturalWidth, shown: i.getBoundingClientRect().width, complete: i.complete}));
  const figures = [...document.querySelectorAll('[data-kpi]')].map(e => ({
    label: e.dataset.kpi, text: e.innerText, height: e.getBoundingClientRect().height}));
  const out = document.createElement('pre');
  out.id = 'render-check';
  out.textContent = JSON.stringify({charts, figures});
  document.body.appendChild(out);
});
</script>
"""


def test_the_executive_report_renders_in_headless_chromium(executive: dict, tmp_path: Path):
    _chromium_or_skip()
    html_path = _html_path(executive)
    # The charts decode and show, the key figures are laid out (a copy with a probe script; the report has none).
    probe = tmp_path / "probe.html"
    probe.write_text(html_path.read_text(encoding="utf-8").replace("</body>", RENDER_CHECK + "</body>"), "utf-8")
    dumped = render.run_chromium(
        ["--window-size=1200,900", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()], timeout=60
    )
    assert dumped is not None and dumped.returncode == 0, dumped.stderr.decode(errors="replace")[-2000:]
    found = re.search(r'<pre id="render-check">(.*?)</pre>', dumped.stdout.decode())
    assert found, "the page did not finish loading"
    check = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert [chart["name"] for chart in check["charts"]] == ["spend_vs_budget", "roi_by_channel", "sync_rate", "pacing"]
    assert all(chart["complete"] and chart["width"] > 300 and chart["shown"] > 300 for chart in check["charts"])
    figures = {figure["label"]: figure for figure in check["figures"]}
    assert set(figures) == {"Spend", "Variance to budget", "Channels losing money", "Sync rate", "Open-period pacing"}
    assert all(figure["height"] > 20 for figure in figures.values())
    assert "USD " in figures["Spend"]["text"]
    # The screenshot, kept as a test artefact.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "executive_report.png"
    screenshot.unlink(missing_ok=True)
    shot = render.run_chromium(
        ["--window-size=1200,4200", f"--screenshot={screenshot}", html_path.as_uri()], timeout=60
    )
    assert shot is not None and shot.returncode == 0 and screenshot.exists()
    with Image.open(screenshot) as image:
        rgb = image.convert("RGB").resize((120, 420))
        data = rgb.tobytes()
    pixels = [tuple(data[index : index + 3]) for index in range(0, len(data), 3)]
    inked = sum(1 for red, green, blue in pixels if min(red, green, blue) < 200)
    coloured = sum(1 for red, green, blue in pixels if max(red, green, blue) - min(red, green, blue) > 60)
    assert inked / len(pixels) > 0.05, "the page looks blank"
    assert coloured > 50, "no chart colours on the page"
    # And printed to PDF beside the HTML.
    pdf = html_path.with_suffix(".pdf")
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


def test_the_operational_report_of_a_week(config_file: Path, warehouse: Warehouse, calendar: dict[str, str]):
    result = dg.materialize(
        [operational_report],
        partition_key=calendar["week"],
        resources={"warehouse": warehouse},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("reports__operational_report")
    path = Path(materialization.metadata["path"].value)
    assert path.parent.name == calendar["week"][:-2]  # reports/2026-W06/
    html = path.read_text(encoding="utf-8")
    assert "Campaigns" in html and "Reconciliation exceptions to work" in html
    assert materialization.metadata["spend_rc"].value > 0
    assert "](data:image/png;base64," in materialization.metadata["chart_daily_spend"].value


def test_a_period_without_data_fails_with_a_clear_message(config_file: Path, warehouse: Warehouse, calendar):
    latest = monthly_partitions.get_last_partition_key()  # the month in progress, by the clock
    if latest is None or latest <= calendar["as_of"][:7]:
        pytest.skip("the clock is not past the data's last month")
    with pytest.raises(dg.Failure, match=f"cannot be made: no data for {latest} yet"):
        dg.materialize(
            [executive_report],
            partition_key=latest,
            resources={"warehouse": warehouse},
            instance=dg.DagsterInstance.ephemeral(),
        )


# --- alerts ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def build_run(built: Pipeline) -> Iterator[tuple[dg.DagsterInstance, str]]:
    """The session build's Dagster instance and run (its asset check results feed the data-quality alerts)."""
    with open_instance(built.env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name="build_warehouse"), limit=1)
        assert runs, "the session build left no run in its instance"
        yield instance, runs[0].run_id


def _execute(copy: Path, statements: list[tuple[str, list]]) -> None:
    with duckdb.connect(str(copy)) as connection:
        for sql, params in statements:
            connection.execute(sql, params)


def test_alerts_are_sent_once_then_on_change_and_resolution(config_file, copy: Path, build_run, calendar):
    cfg = settings.config()
    instance, run_id = build_run
    checks = check_results_from_run(instance, run_id)
    assert len(checks) > 50  # dbt tests, Great Expectations and business rules of the build
    model, period = cfg.attribution.preferred_model, calendar["closed"]
    with duckdb.connect(str(copy), read_only=True) as connection:
        channels = [
            row[0]
            for row in connection.execute(
                "select channel from marts.fct_roi_by_channel "
                "where period = ? and attribution_model = ? and spend_rc > 0 order by channel",
                [period, model],
            ).fetchall()
        ]
        # A line not over budget yet (the test makes it go over: a new alert).
        open_period, line = connection.execute(
            "select fiscal_period, budget_line_id from marts.fct_budget_vs_actual "
            "where fiscal_period = "
            "(select max(fiscal_period) from intermediate.int_periods where period_status = 'open') "
            "and coalesce(variance_pct, 0) <= ? "
            "order by budget_line_id limit 1",
            [cfg.alerts.over_budget_pct],
        ).fetchone()
    first, second = channels[:2]

    def set_roi(channel: str, roi: float, high: float) -> tuple[str, list]:
        return (
            "update marts.fct_roi_by_channel set roi = ?, roi_ci_high = ? "
            "where channel = ? and period = ? and attribution_model = ?",
            [roi, high, channel, period, model],
        )

    _execute(copy, [set_roi(first, -0.30, 0.10), set_roi(second, -0.60, -0.20)])
    with WebhookSink() as sink:
        environ = {"ROI_ALERT_WEBHOOK_URL": sink.url}

        def evaluate(run: str):
            before = len(sink.payloads)
            outcome = evaluate_and_deliver(copy, cfg, run_id=run, check_results=checks, environ=environ)
            return outcome, sink.payloads[before:]

        # Run 1: every condition that holds is new, and sent in one digest.
        outcome, sent = evaluate("run-1")
        assert outcome.raised >= 2 and outcome.events["new"] == outcome.raised
        (digest,) = sent
        items = [block["text"]["text"] for block in digest["blocks"] if block["type"] == "section"]
        assert len(items) == min(outcome.raised, 40) and all("*NEW*" in item for item in items)
        assert any(f"ROI of {first} is below the floor" in item for item in items)
        # Run 2, nothing changed: nothing is sent.
        outcome, sent = evaluate("run-2")
        assert sent == [] and outcome.events["unchanged"] == outcome.raised and outcome.sent == 0
        # Run 3: the first channel's ROI moves inside its band (-0.30 -> -0.45: band -2), the second recovers,
        # a budget line of the open period goes 30 % over budget.
        _execute(
            copy,
            [
                set_roi(first, -0.45, 0.10),
                set_roi(second, 0.20, 0.50),
                (
                    "update marts.fct_budget_vs_actual set variance_pct = 0.30, actual_rc = budget_rc * 1.3, "
                    "variance_rc = budget_rc * 0.3 where fiscal_period = ? and budget_line_id = ?",
                    [open_period, line],
                ),
            ],
        )
        outcome, sent = evaluate("run-3")
        (digest,) = sent
        text = digest["text"]
        assert (outcome.events["new"], outcome.events["resolved"], outcome.events["changed"]) == (1, 1, 0)
        assert f"[NEW] critical: {line}" in text and f"[RESOLVED] critical: ROI of {second}" in text
        assert f"ROI of {first}" not in text
        # Run 4: the first channel crosses into the next band (-0.55: band -3): changed.
        _execute(copy, [set_roi(first, -0.55, 0.10)])
        outcome, sent = evaluate("run-4")
        assert outcome.events["changed"] == 1 and outcome.sent == 1
        assert f"[CHANGED] warning: ROI of {first}" in sent[0]["text"]

    with duckdb.connect(str(copy), read_only=True) as connection:
        history = dict(connection.execute("select alert_key, state from audit.alert_history").fetchall())
        events = connection.execute("select event, count(*) from audit.alert_events group by 1 order by 1").fetchall()
    assert history[f"roi_below_floor|-|{second}"] == "resolved"
    assert history[f"over_budget|{open_period}|{line}"] == "open"
    assert dict(events)["changed"] == 1 and dict(events)["resolved"] == 1


def test_a_failed_delivery_is_recorded_and_retried_on_the_next_evaluation(config_file, copy: Path, calendar):
    cfg = settings.config()
    _execute(
        copy,
        [
            (
                "update marts.fct_roi_by_channel set roi = -0.95, roi_ci_high = -0.90 "
                "where period = ? and attribution_model = ? and spend_rc > 0",
                [calendar["closed"], cfg.attribution.preferred_model],
            )
        ],
    )
    with WebhookSink(fail_first=99) as failing:
        outcome = evaluate_and_deliver(
            copy, cfg, run_id="run-5", check_results=[], environ={"ROI_ALERT_WEBHOOK_URL": failing.url}
        )
    (result,) = outcome.deliveries
    assert (result.status, result.attempts, failing.requests) == ("failed", 3, 3)
    with duckdb.connect(str(copy), read_only=True) as connection:
        failed = connection.execute(
            "select count(*), max(attempts), max(error) from audit.alert_history "
            "where delivery_status = 'failed' and pending_channels = 'webhook'"
        ).fetchone()
    assert failed[0] >= 1 and failed[1] == 3 and "HTTP 500" in failed[2]
    with WebhookSink() as sink:
        outcome = evaluate_and_deliver(
            copy, cfg, run_id="run-6", check_results=[], environ={"ROI_ALERT_WEBHOOK_URL": sink.url}
        )
    assert outcome.events["retry"] == failed[0] and len(sink.payloads) == 1
    with duckdb.connect(str(copy), read_only=True) as connection:
        assert (
            connection.execute("select count(*) from audit.alert_history where pending_channels <> ''").fetchone()[0]
            == 0
        )


def test_the_alert_sensor_skips_while_a_build_holds_the_warehouse(config_file, copy: Path, warehouse, build_run):
    instance, run_id = build_run
    lock = copy.with_name(copy.name + ".run.lock")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            "handle = open(sys.argv[1], 'a+'); fcntl.flock(handle, fcntl.LOCK_EX); print('locked', flush=True)\n"
            "time.sleep(30)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseBusyError):
            evaluate_and_deliver(copy, settings.config(), run_id=run_id, check_results=[], environ={})
        with dg.build_sensor_context(instance=instance, resources={"warehouse": warehouse}) as context:
            skipped = alert_sensor(context)
        assert isinstance(skipped, dg.SkipReason) and "busy" in (skipped.skip_message or "")
    finally:
        holder.kill()
        holder.wait(timeout=10)
    with dg.build_sensor_context(instance=instance, resources={"warehouse": warehouse}) as context:
        result = alert_sensor(context)
    assert isinstance(result, dg.SensorResult) and result.cursor == run_id
    with dg.build_sensor_context(instance=instance, cursor=run_id, resources={"warehouse": warehouse}) as context:
        again = alert_sensor(context)
    assert isinstance(again, dg.SkipReason) and "already evaluated" in (again.skip_message or "")
