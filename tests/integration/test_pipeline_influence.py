"""Pipeline influence end to end, on the freshly generated landing zone of the ``built`` fixture.

The generator plants B2B deals after LinkedIn and paid-search clicks and computes, straight from the
files it wrote (``_truth/pipeline_truth.json``, Python ``Decimal``, without the warehouse's code), each
opportunity's current snapshot, its amount at the as-of rate, its first and last touch in the window
before creation, and every stage regression of its history. The hand-worked rules (window edges,
credits, restated snapshots, regressions, the mart's sums) are dbt unit tests.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from orchestration.lib import metrics
from tests.integration.conftest import Pipeline

MODELS = {"first_touch", "last_touch", "linear", "time_decay", "position_based", "markov", "shapley"}
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def truth(built: Pipeline) -> dict[str, Any]:
    return json.loads((built.truth / "pipeline_truth.json").read_text(encoding="utf-8"))


def cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def test_the_landing_zone_has_planted_deals(truth: dict[str, Any]):
    assert truth["opportunities"] >= 50
    assert truth["snapshots"] > truth["opportunities"], "deals move through stages"
    assert truth["stage_regressions"], "some deals fall back a stage"
    assert Decimal(truth["won_amount_rc"]) > 0


@pytest.mark.parametrize("model", ["first_touch", "last_touch"])
def test_first_and_last_touch_influence_match_the_generator_to_the_cent(built: Pipeline, truth, model: str):
    with built.connect() as db:
        rows = db.execute(
            "select channel, sum(opportunities_created), sum(pipeline_amount_rc), sum(won_amount_rc), "
            "sum(opportunities_won) from marts.fct_pipeline_influence where attribution_model = ? group by channel",
            [model],
        ).fetchall()
    got = {channel: (float(count), cents(pipeline), cents(won)) for channel, count, pipeline, won, _ in rows}
    want = {
        channel: (
            float(bucket["opportunities"]),
            Decimal(bucket["pipeline_amount_rc"]),
            Decimal(bucket["won_amount_rc"]),
        )
        for channel, bucket in truth["credits"][model].items()
    }
    assert got == want
    # a single-touch model gives whole opportunities only
    assert all(float(count).is_integer() and float(won).is_integer() for _, count, _, _, won in rows)
    # the planted deals start after LinkedIn (paid_social) or paid-search clicks
    assert {"paid_search", "paid_social"} <= got.keys()


def test_every_model_hands_out_each_opportunity_and_its_amount_exactly_once(built: Pipeline, truth):
    with built.connect() as db:
        totals = db.execute(
            "select attribution_model, sum(opportunities_created), sum(pipeline_amount_rc), sum(won_amount_rc) "
            "from marts.fct_pipeline_influence group by attribution_model"
        ).fetchall()
        periods = db.execute(
            "select created_period, count(*), sum(amount_rc) from marts.fct_opportunities group by created_period"
        ).fetchall()
        by_period = db.execute(
            "select attribution_model, created_period, sum(opportunities_created), sum(pipeline_amount_rc) "
            "from marts.fct_pipeline_influence group by attribution_model, created_period"
        ).fetchall()
    assert {model for model, *_ in totals} == MODELS
    for model, count, pipeline, won in totals:
        assert count == pytest.approx(truth["opportunities"], abs=1e-9), model
        assert cents(pipeline) == Decimal(truth["pipeline_amount_rc"]), model
        assert cents(won) == Decimal(truth["won_amount_rc"]), model
    expected = {period: (count, amount) for period, count, amount in periods}
    assert sorted(expected) == truth["created_periods"]
    for model, period, count, pipeline in by_period:
        assert count == pytest.approx(expected[period][0], abs=1e-9), (model, period)
        assert abs(pipeline - expected[period][1]) <= Decimal("1e-6"), (model, period)


def test_current_snapshots_and_stage_regressions_match_the_generator(built: Pipeline, truth):
    with built.connect() as db:
        opportunities, snapshots, with_regression = db.execute(
            "select count(*), sum(snapshot_count), count(*) filter (where has_stage_regression) "
            "from marts.fct_opportunities"
        ).fetchone()
        regressions = db.execute(
            "select opportunity_id, previous_stage, stage from marts.fct_opportunity_stage_history "
            "where is_stage_regression"
        ).fetchall()
        created = db.execute(
            "select count(*) from marts.fct_opportunity_stage_history where change_type = 'created'"
        ).fetchone()[0]
    assert opportunities == truth["opportunities"] == created
    assert snapshots == truth["snapshots"]
    planted = {(row["opportunity_id"], row["from"], row["to"]) for row in truth["stage_regressions"]}
    assert sorted(regressions) == sorted(planted)
    assert with_regression == len({opportunity for opportunity, _, _ in planted})


def test_the_semantic_layer_answers_pipeline_metrics_as_the_generator_counted_them(
    built: Pipeline, truth, tmp_path: Path
):
    out = tmp_path / "pipeline.csv"
    result = metrics.run_mf(
        [
            "query",
            "--metrics",
            "pipeline_amount,won_amount,opportunities_created,pipeline_win_rate",
            "--group-by",
            "channel,attribution_model",
            "--csv",
            str(out),
        ],
        warehouse=built.warehouse,
    )
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    answered = pd.read_csv(out)
    last_touch = answered[answered["attribution_model"] == "last_touch"].set_index("channel")
    for channel, bucket in truth["credits"]["last_touch"].items():
        row = last_touch.loc[channel]
        assert row["opportunities_created"] == pytest.approx(bucket["opportunities"])
        assert cents(row["pipeline_amount"]) == Decimal(bucket["pipeline_amount_rc"]), channel
        assert cents(row["won_amount"]) == Decimal(bucket["won_amount_rc"]), channel
    assert set(last_touch.index) == set(truth["credits"]["last_touch"])
    won_share = answered["won_amount"].sum() / answered["pipeline_amount"].sum()
    assert won_share == pytest.approx(float(truth["won_amount_rc"]) / float(truth["pipeline_amount_rc"]))
