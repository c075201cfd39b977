"""The operational report's pipeline section: the month's influenced pipeline per channel, only with opportunities."""

import dataclasses
import datetime as dt

from orchestration.lib.marts import PipelineInfluence
from orchestration.lib.periods import iso_week
from orchestration.lib.reporting import render
from orchestration.lib.settings import RoiConfig

NOW = dt.datetime(2026, 2, 20, 7, 0, tzinfo=dt.UTC)
EMPTY_WEEK = render.OperationalData(
    period=iso_week("2026-W06"),
    as_of_date=dt.date(2026, 2, 8),
    currency="USD",
    preferred_model="markov",
    roi_period="2026-02",
    campaigns=[],
    daily_spend=[],
    campaign_roi=[],
    pacing=[],
    exceptions=[],
)


def test_the_pipeline_section_lists_each_channels_credited_opportunities_and_amounts():
    rows = [
        PipelineInfluence("paid_search", "2026-02", 2.5, 125_000.0, 1.5, 40_000.0),
        PipelineInfluence("paid_social", "2026-02", 0.5, 20_000.0, 0.0, 0.0),
    ]
    data = dataclasses.replace(EMPTY_WEEK, pipeline=rows, has_pipeline=True)
    report = render.render_operational(data, RoiConfig(), NOW)
    section = report.html[report.html.index('id="pipeline"') :]
    assert "Pipeline influenced in 2026-02" in report.html
    assert '<td>paid_search</td><td class="num">2.5</td><td class="num">125,000</td>' in section
    assert '<td class="num">1.5</td><td class="num">40,000</td>' in section
    assert '<td>paid_social</td><td class="num">0.5</td><td class="num">20,000</td>' in section
    assert report.metadata["pipeline_amount_rc"] == 145_000.0
    assert "marts.fct_pipeline_influence" in report.html


def test_a_month_without_new_opportunities_says_so_and_a_landing_zone_without_them_shows_no_section():
    quiet = render.render_operational(dataclasses.replace(EMPTY_WEEK, has_pipeline=True), RoiConfig(), NOW)
    assert "No opportunities created this month." in quiet.html
    absent = render.render_operational(EMPTY_WEEK, RoiConfig(), NOW)
    assert 'id="pipeline"' not in absent.html
    assert "marts.fct_pipeline_influence" not in absent.html
