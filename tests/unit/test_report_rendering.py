"""Report rendering on hand-made figures: one self-contained HTML file, charts inline, figures as given."""

import datetime as dt
import re
from pathlib import Path

import pytest

from orchestration.lib.marts import (
    BudgetLine,
    CampaignRoi,
    CampaignSpend,
    ChannelBudget,
    ChannelRoi,
    DailyChannelSpend,
    PacingLine,
    ReconciliationLine,
    SyncRate,
)
from orchestration.lib.periods import iso_week, month
from orchestration.lib.reporting import render
from orchestration.lib.settings import RoiConfig

CFG = RoiConfig()
NOW = dt.datetime(2026, 2, 20, 7, 0, tzinfo=dt.UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def roi(channel: str, model: str, value: float, low: float, high: float) -> ChannelRoi:
    return ChannelRoi(
        model, channel, "2026-01", 20_000.0, 40.0, 30_000.0, 20_000.0 * (1 + value), 1.5, value, low, high, 500.0
    )


def pacing(line: str, status: str) -> PacingLine:
    return PacingLine(
        dt.date(2026, 2, 14), "2026-02", line, "paid_search", 14, 28, 100_000.0, 48_000.0, 96_000.0, -0.04, status
    )


def executive_data() -> render.ExecutiveData:
    return render.ExecutiveData(
        period=month("2026-01"),
        period_closed=True,
        as_of_date=dt.date(2026, 2, 14),
        currency="USD",
        preferred_model="markov",
        channel_budgets=[
            ChannelBudget("paid_search", 233_200.0, 229_797.56, -3_402.44, -0.01459),
            ChannelBudget("<b>display</b>", 36_000.0, 36_225.40, 225.40, 0.00626),
        ],
        budget_lines=[
            BudgetLine(
                "2026-01",
                "BL-SEARCH",
                "paid_search",
                "FY2026",
                233_200.0,
                229_322.16,
                229_797.56,
                229_797.56,
                "booked",
                -3_402.44,
                -0.01459,
                False,
                True,
            ),
        ],
        roi=[
            roi("paid_search", "markov", -0.95, -0.99, -0.90),
            roi("paid_search", "linear", -0.96, -0.99, -0.92),
            roi("email", "markov", 0.4, 0.1, 0.8),
        ],
        reconciliation=[
            ReconciliationLine(
                "meta_ads",
                "act_1",
                "2026-01",
                "EUR",
                1000.0,
                1200.0,
                200.0,
                216.0,
                "mismatched",
                True,
                platform_spend_rc=1080.0,
            ),
            ReconciliationLine(
                "google_ads",
                "123",
                "2026-01",
                "USD",
                5000.0,
                5000.0,
                0.0,
                0.0,
                "matched",
                True,
                platform_spend_rc=5000.0,
            ),
        ],
        sync_rates=[SyncRate("2025-12", 99.0, 100.0), SyncRate("2026-01", 5000.0, 6080.0)],
        pacing=[pacing("BL-SEARCH", "on_track"), pacing("BL-VIDEO", "under")],
    )


@pytest.fixture(scope="module")
def executive() -> render.Report:
    return render.render_executive(executive_data(), CFG, NOW)


def test_the_html_is_self_contained(executive: render.Report):
    html = executive.html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html), "nothing may load from the network"
    assert "<link" not in html and "<script" not in html
    images = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"', html)
    assert len(images) == len(executive.charts) == 4


def test_every_chart_is_a_png(executive: render.Report):
    assert [chart.name for chart in executive.charts] == ["spend_vs_budget", "roi_by_channel", "sync_rate", "pacing"]
    for chart in executive.charts:
        assert chart.png.startswith(PNG_SIGNATURE) and len(chart.png) > 5_000


def test_the_email_version_points_at_attached_images(executive: render.Report):
    assert "data:image/png" not in executive.email_html
    assert executive.email_html.count('src="cid:') == 4


def test_figures_are_the_marts_figures_formatted(executive: render.Report):
    html = executive.html
    assert "229,798" in html and "233,200" in html  # actual and budget of paid_search, as given
    assert "−95%" in html and "−99% to −90%" in html  # ROI of the chosen model and its interval
    key = {figure.label: figure.value for figure in executive.key_figures}
    assert key["Spend"] == "USD 266k"  # 229,797.56 + 36,225.40
    assert key["Sync rate"] == "82.2%"  # 5,000 / 6,080 of 2026-01
    assert key["Channels losing money"] == "1 of 2"
    assert key["Open-period pacing"] == "1 of 2 on track"


def test_text_from_the_data_is_escaped(executive: render.Report):
    assert "<b>display</b>" not in executive.html
    assert "&lt;b&gt;display&lt;/b&gt;" in executive.html


def test_recommendations_come_from_the_rules(executive: render.Report):
    assert "Cut or rework paid_search" in executive.html
    assert "Consider shifting budget to email" in executive.html
    assert "Resolve 1 reconciliation exception(s)" in executive.html
    assert executive.metadata["recommendations"] == 5


def test_the_operational_report_renders_with_empty_sections():
    data = render.OperationalData(
        period=iso_week("2026-W06"),
        as_of_date=dt.date(2026, 2, 6),
        currency="USD",
        preferred_model="markov",
        roi_period="2026-02",
        campaigns=[
            CampaignSpend(
                "google_ads", "c1", "Brand", "paid_search", "BL-SEARCH", 1000.0, 800.0, 10_000.0, 300.0, 12.0, 900.0
            )
        ],
        daily_spend=[DailyChannelSpend(dt.date(2026, 2, 2), "paid_search", 1000.0)],
        campaign_roi=[
            CampaignRoi(
                "markov",
                "google_ads",
                "c1",
                "Brand",
                "paid_search",
                "2026-02",
                1000.0,
                2.0,
                0.5,
                -0.5,
                -0.8,
                -0.2,
                500.0,
            )
        ],
        pacing=[],
        exceptions=[],
    )
    report = render.render_operational(data, CFG, NOW)
    assert "not complete yet" in report.html  # data ends on Friday of that week
    assert "Every account-month of the closed periods is reconciled" in report.html
    assert "+25%" in report.html  # 1,000 against 800 the week before
    assert report.html.count("data:image/png;base64,") == 3


def test_reports_are_written_under_their_period(tmp_path: Path, executive: render.Report):
    files = render.write_report(executive, tmp_path, pdf=False)
    assert files.html == tmp_path / "2026-01" / "executive_report.html"
    assert files.html.read_text(encoding="utf-8") == executive.html
    assert sorted(path.name for path in files.charts)[0] == "executive_report_pacing.png"
    assert not list(tmp_path.rglob("*.tmp"))


def test_the_reports_folder_defaults_beside_the_warehouse(tmp_path: Path):
    assert render.reports_root(tmp_path / "roi.duckdb", environ={}) == tmp_path / "reports"
    assert (
        render.reports_root(tmp_path / "roi.duckdb", environ={"ROI_REPORTS_DIR": str(tmp_path / "r")}) == tmp_path / "r"
    )
