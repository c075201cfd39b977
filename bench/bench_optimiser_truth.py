"""Scores a fitted build's budget scenarios with the generator's true response curves, and prints the seed's targets.

    .venv/bin/python bench/bench_optimiser_truth.py --warehouse W --landing L

``W``: a warehouse built with the marketing-mix model fitted (``ROI_MMM_ENABLED=1``); ``L``: the landing
zone it was built from (its ``_truth/media_response.json`` holds the planted curves). For the default
scenarios it prints what the model promises (``fct_budget_scenario_summary``: budget-efficiency gain,
ROI improvement, probability of improvement) and what the recommendation is worth under the true
curves: the share of the true optimum's uplift ``reallocate_same_budget`` captures (target >= 90 %),
the share of today's true incremental revenue ``same_revenue_least_spend`` keeps (>= 97 %) and of the
true optimum's saving it saves (>= 75 %), and the efficiency gain and ROI improvement the recommendation
and the true optimum really reach (the seed's 40 % and 25 %), all with the scoring of the slow tests
(``orchestration/lib/optimisation/scoring.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestration.defs.optimisation.assets import WINDOW_MARGIN_SQL
from orchestration.lib import settings
from orchestration.lib.incrementality.curves import curves_from_truth
from orchestration.lib.optimisation import scoring
from orchestration.lib.optimisation.evaluation import evaluate
from orchestration.lib.optimisation.scenarios import specs_from_config

TARGETS = {"capture": 0.90, "kept": 0.97, "saving": 0.75}


def _true_figures(truth, channels, days, current, recommended, margin_ratio) -> tuple[float, float]:
    """(efficiency gain, ROI improvement) of ``recommended`` against ``current`` under the true curves."""
    evaluation = evaluate(truth.subset(channels), days, current, recommended, margin_ratio)
    return evaluation.budget_efficiency_gain_pct, evaluation.roi_improvement_pct


def _multiples(channels: tuple[str, ...], spend: np.ndarray, current: np.ndarray) -> str:
    return ", ".join(f"{channel} {ratio:.2f}x" for channel, ratio in zip(channels, spend / current, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--landing", type=Path, required=True)
    arguments = parser.parse_args()
    config = settings.config().optimisation
    specs = {spec.name: spec for spec in specs_from_config(config)}
    truth = curves_from_truth(json.loads((arguments.landing / "_truth" / "media_response.json").read_text()))
    with duckdb.connect(str(arguments.warehouse), read_only=True) as connection:
        rows = connection.execute("select * from marts.fct_budget_scenarios order by scenario, channel").df()
        summary = connection.execute("select * from marts.fct_budget_scenario_summary").df().set_index("scenario")
        if rows.empty:
            print("no scenarios: was the build fitted (ROI_MMM_ENABLED=1)?")
            return 1
        first = rows.iloc[0]
        margin_ratio = float(
            connection.execute(WINDOW_MARGIN_SQL, [first["window_start"], first["window_end"]]).fetchone()[0]
        )
    ok = True
    for name in ("reallocate_same_budget", "same_revenue_least_spend", "target_mroi"):
        scenario = rows[rows["scenario"] == name]
        if scenario.empty:
            continue
        channels = tuple(scenario["channel"])
        days = (scenario["window_end"].iloc[0] - scenario["window_start"].iloc[0]).days + 1
        current = scenario["current_spend_rc"].to_numpy(dtype=float)
        recommended = scenario["recommended_spend_rc"].to_numpy(dtype=float)
        model = summary.loc[name]
        print(f"{name} ({days} days, margin ratio {margin_ratio:.3f}): {_multiples(channels, recommended, current)}")
        print(
            f"  model: efficiency {model['budget_efficiency_gain_pct']:+.1%}, ROI {model['roi_current']:.3f} -> "
            f"{model['roi_expected']:.3f} ({model['roi_improvement_pct']:+.1%}), "
            f"P(improvement) {model['probability_of_improvement']:.1%}"
        )
        efficiency, roi = _true_figures(truth, channels, days, current, recommended, margin_ratio)
        print(f"  true curves, recommendation: efficiency {efficiency:+.1%}, ROI {roi:+.1%}")
        if name == "reallocate_same_budget":
            score = scoring.score_reallocation(truth, specs[name], channels, days, current, recommended)
            efficiency, roi = _true_figures(truth, channels, days, current, score.optimum_rc, margin_ratio)
            optimum = _multiples(channels, score.optimum_rc, current)
            print(f"  true optimum: efficiency {efficiency:+.1%}, ROI {roi:+.1%}; {optimum}")
            share = score.captured_uplift_share
            ok &= share >= TARGETS["capture"]
            print(f"  captures {share:.1%} of the true optimum's uplift (target >= 90 %): "
                  f"true revenue now {score.true_revenue_now:,.0f}, recommended {score.true_revenue_recommended:,.0f}, "
                  f"optimum {score.true_revenue_optimum:,.0f}")  # fmt: skip
        elif name == "same_revenue_least_spend":
            score = scoring.score_least_spend(truth, specs[name], channels, days, current, recommended)
            efficiency, roi = _true_figures(truth, channels, days, current, score.optimum_rc, margin_ratio)
            print(f"  true optimum: efficiency {efficiency:+.1%}, ROI {roi:+.1%}; "
                  f"spend {score.spend_now:,.0f} -> {score.spend_optimum:,.0f}")  # fmt: skip
            ok &= score.kept_revenue_share >= TARGETS["kept"] and score.captured_saving_share >= TARGETS["saving"]
            print(f"  keeps {score.kept_revenue_share:.1%} of the true incremental revenue (target >= 97 %), saves "
                  f"{score.captured_saving_share:.1%} of what the true optimum saves (>= 75 %): spend "
                  f"{score.spend_now:,.0f} -> {score.spend_recommended:,.0f}")  # fmt: skip
    print(f"scenario targets against the true curves: {'met' if ok else 'missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
