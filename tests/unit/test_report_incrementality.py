"""The executive report's incrementality section: MMM ROI beside attribution, and the response curves."""

import dataclasses
import re

from orchestration.lib.marts import MmmChannelRoi, ResponsePoint
from orchestration.lib.reporting import render
from tests.unit.test_report_rendering import CFG, NOW, executive_data


def _with_mmm() -> render.ExecutiveData:
    roi = MmmChannelRoi(
        channel="paid_search", period="2026-01", spend_rc=100_000.0, incremental_revenue_rc=180_000.0,
        incremental_revenue_ci_low_rc=160_000.0, incremental_revenue_ci_high_rc=200_000.0, roi=-0.28,
        roi_ci_low=-0.36, roi_ci_high=-0.2, mroi=-0.55, attribution_roi=0.4, is_attribution_outside=True,
    )  # fmt: skip
    curve = [
        ResponsePoint("paid_search", spend, 6_000.0, revenue, revenue * 0.9, revenue * 1.1, spend > 12_000)
        for spend, revenue in ((0.0, 0.0), (6_000.0, 12_000.0), (12_000.0, 18_000.0), (18_000.0, 20_000.0))
    ]
    return dataclasses.replace(executive_data(), mmm_roi=[roi], response_curves=curve)


def test_section_shows_mmm_roi_beside_attribution_and_the_curves_chart() -> None:
    report = render.render_executive(_with_mmm(), CFG, NOW)
    assert [chart.name for chart in report.charts][-1] == "response_curves"
    section = report.html.split('id="incrementality"')[1].split("<h2")[0]
    assert "-28%" in section.replace("−", "-") and "-36% to -20%" in section.replace("−", "-")
    assert "40%" in section  # the attribution ROI, marked as outside the MMM interval
    assert re.search(r'class="num warn">40%', section)
    assert len(re.findall(r'<img src="data:image/png;base64,', report.html)) == len(report.charts) == 5


def test_without_a_fit_the_section_says_so_and_adds_no_chart() -> None:
    report = render.render_executive(executive_data(), CFG, NOW)
    assert "No marketing-mix fit covers" in report.html
    assert "response_curves" not in [chart.name for chart in report.charts]
