"""Budget scenarios over response curves: optima worked by hand, KKT conditions, a grid search.

The hand-worked cases use Hill curves with slope 1 (``r(x) = beta x / (x + kappa)``), whose optimum
has a closed form. Equal marginal returns ``beta_i kappa_i / (x_i + kappa_i)^2`` give
``x_i + kappa_i = a_i t`` with ``a_i = sqrt(beta_i kappa_i)`` and ``t = (B + sum kappa) / sum a``, so the
most revenue a daily budget ``B`` buys is ``R*(B) = sum beta - (sum a)^2 / (B + sum kappa)``.
With beta = (1600, 400), kappa = (100, 100): a = (400, 200), and at B = 500 per day
t = 700 / 600, x = (366.67, 133.33), R* = 2000 - 360000 / 700 = 1485.71; the least budget earning
R = 1428.57 (today's, at 250 + 250) is B = 360000 / (2000 - 1428.57) - 200 = 430.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.incrementality.curves import ResponseCurves, curves_from_frame, curves_from_truth
from orchestration.lib.optimisation import scoring, solver, tables
from orchestration.lib.optimisation.evaluation import evaluate
from orchestration.lib.optimisation.scenarios import (
    ScenarioSpec,
    Window,
    bounds_for,
    channel_rows,
    run_scenario,
    summary_row,
    window_for,
)

DAYS = 30


def hill(betas, kappas, slopes, channels=None, observed=None) -> ResponseCurves:
    channels = channels or tuple(f"c{index}" for index in range(len(betas)))
    return ResponseCurves(
        channels=tuple(channels),
        saturation="hill",
        params={
            "beta": np.atleast_2d(np.asarray(betas, dtype=float)),
            "kappa": np.atleast_2d(np.asarray(kappas, dtype=float)),
            "slope": np.atleast_2d(np.asarray(slopes, dtype=float)),
        },
        observed_max_daily_spend_rc=np.empty(0) if observed is None else np.asarray(observed, dtype=float),
    )


def two_channels() -> ResponseCurves:
    return hill([1600.0, 400.0], [100.0, 100.0], [1.0, 1.0])


def wide(curves: ResponseCurves, current: np.ndarray) -> solver.Problem:
    return solver.Problem(curves=curves, days=DAYS, lower_rc=np.zeros_like(current), upper_rc=current * 10)


def test_reallocation_matches_the_closed_form_optimum_in_window_totals():
    current = np.array([250.0, 250.0]) * DAYS
    problem = wide(two_channels(), current)
    best = solver.maximise_revenue_at_total(problem, current.sum(), current)
    assert best / DAYS == pytest.approx([400 * 7 / 6 - 100, 200 * 7 / 6 - 100], rel=1e-5)
    assert problem.expected_revenue(best) == pytest.approx(DAYS * (2000 - 360000 / 700), rel=1e-9)


def test_logistic_twins_split_the_budget_evenly_whatever_today_s_split():
    curves = ResponseCurves(
        channels=("a", "b"),
        saturation="logistic",
        params={"beta": np.array([[900.0, 900.0]]), "lam": np.array([[0.004, 0.004]])},
    )
    current = np.array([100.0, 500.0]) * DAYS
    problem = wide(curves, current)
    best = solver.maximise_revenue_at_total(problem, current.sum(), current)
    assert best == pytest.approx([300.0 * DAYS, 300.0 * DAYS], rel=1e-5)


def test_kkt_at_the_optimum_free_channels_share_one_marginal_return_bound_ones_lie_beyond_it():
    curves = ResponseCurves(
        channels=("a", "b", "c", "d"),
        saturation="logistic",
        params={
            "beta": np.array([[5000.0, 1200.0, 3000.0, 300.0]]),
            "lam": np.array([[0.002, 0.01, 0.001, 0.05]]),
        },
    )
    current = np.array([400.0, 300.0, 600.0, 200.0]) * DAYS
    lower, upper = current * 0.5, current * 1.5
    problem = solver.Problem(curves=curves, days=DAYS, lower_rc=lower, upper_rc=upper)
    best = solver.maximise_revenue_at_total(problem, current.sum(), current)
    marginal = problem.expected_marginal_revenue(best)
    at_lower = np.isclose(best, lower, rtol=1e-6)
    at_upper = np.isclose(best, upper, rtol=1e-6)
    free = ~(at_lower | at_upper)
    assert free.sum() >= 1 and (at_lower | at_upper).sum() >= 1  # the case exercises both kinds
    multiplier = marginal[free].mean()
    assert marginal[free] == pytest.approx(np.full(free.sum(), multiplier), rel=1e-4)
    assert np.all(marginal[at_upper] >= multiplier * (1 - 1e-4))
    assert np.all(marginal[at_lower] <= multiplier * (1 + 1e-4))
    assert best.sum() == pytest.approx(current.sum(), rel=1e-9)


def test_bounds_and_locks_are_respected():
    curves = hill([1600.0, 400.0, 800.0], [100.0, 100.0, 50.0], [1.0, 1.3, 2.0], channels=("a", "b", "c"))
    current = np.array([250.0, 250.0, 100.0]) * DAYS
    spec = ScenarioSpec(
        name="locked_b",
        objective="max_margin",
        lower_multiple=0.5,
        upper_multiple=1.2,
        channel_bounds={"c": (0.9, None)},
        locked_channels=frozenset({"b"}),
    )
    result = run_scenario(spec, curves, Window(dt.date(2026, 1, 1), dt.date(2026, 1, 30)), current, 0.4)
    assert result.status == "optimised"
    recommended = result.recommended_rc
    assert recommended[1] == pytest.approx(current[1])  # locked
    assert np.all(recommended >= result.lower_rc * (1 - 1e-9)) and np.all(recommended <= result.upper_rc * (1 + 1e-9))
    assert result.lower_rc[2] == pytest.approx(0.9 * current[2]) and result.upper_rc[0] == pytest.approx(
        1.2 * current[0]
    )
    assert recommended.sum() == pytest.approx(current.sum())
    # with b locked, a + c is fixed: a one-dimensional grid over a within both channels' bounds agrees
    problem = solver.Problem(curves=curves, days=DAYS, lower_rc=result.lower_rc, upper_rc=result.upper_rc)
    free_total = current[0] + current[2]
    first = np.linspace(max(result.lower_rc[0], free_total - result.upper_rc[2]), result.upper_rc[0], 20001)
    grid = [problem.expected_revenue(np.array([a, current[1], free_total - a])) for a in first]
    assert problem.expected_revenue(recommended) >= max(grid) * (1 - 1e-9)
    assert recommended[0] == pytest.approx(first[int(np.argmax(grid))], rel=1e-3)


def test_a_total_outside_the_bounds_is_an_infeasible_scenario_not_an_error():
    current = np.array([250.0, 250.0]) * DAYS
    spec = ScenarioSpec(name="double", objective="max_margin", total_multiple=4.0)
    result = run_scenario(spec, two_channels(), Window(dt.date(2026, 1, 1), dt.date(2026, 1, 30)), current, 0.4)
    assert result.status == "infeasible" and "outside the bounds" in result.message
    assert channel_rows(result) == []
    assert summary_row(result, "fit", 0.9)["current_spend_rc"] == pytest.approx(current.sum())


def test_least_spend_keeps_today_s_revenue_at_the_closed_form_budget():
    current = np.array([250.0, 250.0]) * DAYS
    problem = wide(two_channels(), current)
    target = problem.expected_revenue(current)
    assert target == pytest.approx(DAYS * 500000 / 350)
    best = solver.least_spend_for_revenue(problem, target, current)
    assert problem.expected_revenue(best) >= target * (1 - 1e-9)
    assert problem.expected_revenue(best) == pytest.approx(target, rel=1e-6)
    assert best.sum() / DAYS == pytest.approx(430.0, rel=1e-5)
    # and by brute force: for each spend on a, the least spend on b that tops the revenue up
    first = np.linspace(0.0, 600.0, 60001)
    needed = target / DAYS - 1600 * first / (first + 100)
    with np.errstate(divide="ignore"):
        second = np.where(needed < 400, 100 * needed / (400 - needed), np.inf)
    assert best.sum() / DAYS == pytest.approx(float(np.min(first + np.maximum(second, 0))), rel=1e-5)


def test_target_mroi_funds_each_channel_to_the_floor_in_closed_form():
    # m * beta * kappa / (x + kappa)^2 = 1 + floor  =>  x = sqrt(m beta kappa / (1 + floor)) - kappa
    curves = hill([1690.0, 490.0, 50.0], [100.0, 100.0, 100.0], [1.0, 1.0, 1.0])
    current = np.array([250.0, 50.0, 20.0]) * DAYS
    problem = solver.Problem(curves=curves, days=DAYS, lower_rc=current * 0.3, upper_rc=current * 3)
    margin_ratio, floor = 0.5, 0.25
    best = solver.fund_to_marginal_roi(problem, margin_ratio, floor)
    # sqrt(0.5 * 1690 * 100 / 1.25) - 100 = 260 - 100; sqrt(0.5 * 490 * 100 / 1.25) - 100 = 140 - 100
    assert best[:2] / DAYS == pytest.approx([160.0, 40.0], rel=1e-5)
    # the third never earns its cost back (m beta / kappa = 0.25 < 1.25 at zero): its lower bound
    assert best[2] == pytest.approx(current[2] * 0.3)
    mroi = margin_ratio * problem.expected_marginal_revenue(best) - 1
    assert mroi[:2] == pytest.approx([floor, floor], abs=1e-5)


def test_three_s_shaped_channels_agree_with_a_brute_force_grid():
    curves = hill([3000.0, 2000.0, 1500.0], [400.0, 150.0, 250.0], [2.2, 1.6, 1.2])
    current = np.array([200.0, 200.0, 200.0]) * DAYS
    lower, upper = current * 0.3, current * 3
    problem = solver.Problem(curves=curves, days=DAYS, lower_rc=lower, upper_rc=upper)
    best = solver.maximise_revenue_at_total(problem, current.sum(), current)
    # separable: each channel's revenue on its own grid, the third channel taking what is left
    first, second = np.linspace(lower[0], upper[0], 1201), np.linspace(lower[1], upper[1], 1201)
    revenue = [
        DAYS * curves.subset((name,)).revenue_per_day(grid[:, None] / DAYS)[:, 0]
        for name, grid in (("c0", first), ("c1", second))
    ]
    third = current.sum() - first[:, None] - second[None, :]
    feasible = (third >= lower[2]) & (third <= upper[2])
    third_revenue = DAYS * curves.subset(("c2",)).revenue_per_day(np.clip(third, 0, None).reshape(-1, 1) / DAYS)
    total = revenue[0][:, None] + revenue[1][None, :] + third_revenue.reshape(third.shape)
    best_grid = float(np.max(np.where(feasible, total, -np.inf)))
    found = problem.expected_revenue(best)
    assert found >= best_grid * (1 - 1e-6)
    assert found == pytest.approx(best_grid, rel=1e-3)


def test_posterior_evaluation_pairs_the_draws():
    # one channel, two draws: slope 1, kappa 100, beta 1000 or 3000; spend 100/day now, 300/day recommended
    curves = hill([[1000.0], [3000.0]], [[100.0], [100.0]], [[1.0], [1.0]], channels=("a",), observed=[200.0])
    evaluation = evaluate(curves, 10, np.array([1000.0]), np.array([3000.0]), margin_ratio=0.5, level=0.9)
    # revenue per day: now 500 / 1500, recommended 750 / 2250; x 10 days
    assert evaluation.current_revenue.mean == pytest.approx(10000.0)
    assert evaluation.recommended_revenue.mean == pytest.approx(15000.0)
    # margin uplift per draw: 0.5 * (7500 - 5000) = 1250 and 0.5 * (22500 - 15000) = 3750;
    # net of the 2000 extra spend: -750 and +1750
    assert evaluation.margin_uplift.mean == pytest.approx(2500.0)
    assert evaluation.net_uplift.mean == pytest.approx(500.0)
    assert evaluation.net_uplift.low == pytest.approx(-750 + 0.05 * 2500)
    assert evaluation.probability_of_improvement == pytest.approx(0.5)
    # ROI now (0.5 * 10000 - 1000) / 1000 = 4; recommended (0.5 * 15000 - 3000) / 3000 = 1.5
    assert evaluation.roi_current == pytest.approx(4.0) and evaluation.roi_expected == pytest.approx(1.5)
    assert evaluation.roi_improvement_pct == pytest.approx((1.5 - 4.0) / 4.0)
    # revenue per unit of spend 10 -> 5
    assert evaluation.budget_efficiency_gain_pct == pytest.approx(-0.5)
    # 300/day lies beyond the highest 200/day observed
    assert evaluation.is_extrapolated and evaluation.channels[0].is_extrapolated
    # marginal ROAS at 300/day: mean of beta * 100 / 400^2 = (0.625 + 1.875) / 2 = 1.25; mROI 0.5 * 1.25 - 1
    assert evaluation.channels[0].mroi == pytest.approx(-0.375)


def test_window_is_the_last_complete_months():
    assert window_for(dt.date(2026, 12, 7), 12) == Window(dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    assert window_for(dt.date(2026, 11, 30), 12) == Window(dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    assert window_for(dt.date(2026, 11, 29), 3) == Window(dt.date(2026, 8, 1), dt.date(2026, 10, 31))
    assert window_for(dt.date(2026, 12, 7), 2, "2024-02") == Window(dt.date(2024, 1, 1), dt.date(2024, 2, 29))
    assert Window(dt.date(2024, 1, 1), dt.date(2024, 2, 29)).days == 60


def test_bounds_name_only_known_channels():
    spec = ScenarioSpec(name="typo", objective="max_margin", locked_channels=frozenset({"tv"}))
    with pytest.raises(ValueError, match="unknown channels"):
        bounds_for(spec, ("a", "b"), np.array([1.0, 2.0]))


def test_curves_from_frame_reads_the_curve_draws_table():
    rows = [
        ("fit1", channel, draw, "hill", beta, kappa, slope, None, observed)
        for channel, beta, kappa, slope, observed in (("search", 10.0, 5.0, 1.5, 40.0), ("display", 3.0, 2.0, 2.0, 9.0))
        for draw, beta in enumerate((beta, beta * 2))
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "fit_id",
            "channel",
            "draw",
            "saturation",
            "beta",
            "kappa",
            "slope",
            "lam",
            "observed_max_daily_spend_rc",
        ],
    )
    curves = curves_from_frame(frame.sample(frac=1.0, random_state=1))
    assert curves.channels == ("display", "search") and curves.draws == 2
    assert curves.params["beta"].tolist() == [[3.0, 10.0], [6.0, 20.0]]
    assert curves.params["kappa"].tolist() == [[2.0, 5.0], [2.0, 5.0]]
    assert curves.observed_max_daily_spend_rc.tolist() == [9.0, 40.0]
    with pytest.raises(ValueError, match="every channel needs every draw"):
        curves_from_frame(frame.iloc[1:])
    with pytest.raises(ValueError, match="one fit"):
        curves_from_frame(frame.assign(fit_id=["a", "b"] * 2))


TRUTH = {
    "reporting_currency": "USD",
    "saturation": "hill",
    "channels": {
        "search": {
            "adstock": "geometric",
            "alpha": 0.4,
            "l_max_days": 14,
            "beta": 1600.0,
            "kappa": 100.0,
            "slope": 1.0,
        },
        "social": {"adstock": "geometric", "alpha": 0.2, "l_max_days": 7, "beta": 400.0, "kappa": 100.0, "slope": 1.0},
    },
}


def test_scoring_against_a_hand_made_truth():
    truth = curves_from_truth(TRUTH)
    current = np.array([250.0, 250.0]) * DAYS
    spec = ScenarioSpec(name="reallocate_same_budget", objective="max_margin", lower_multiple=0.0, upper_multiple=10.0)
    # recommended 300 + 200 per day earns 1200 + 266.67 = 1466.67 against 1428.57 now and 1485.71 at best
    score = scoring.score_reallocation(
        truth, spec, ("search", "social"), DAYS, current, np.array([300.0, 200.0]) * DAYS
    )
    assert score.captured_uplift_share == pytest.approx(2 / 3, rel=1e-5)
    # the channels come in the model's order, whatever the truth's
    reversed_score = scoring.score_reallocation(
        truth, spec, ("social", "search"), DAYS, current[::-1], np.array([200.0, 300.0]) * DAYS
    )
    assert reversed_score.captured_uplift_share == pytest.approx(2 / 3, rel=1e-5)
    least = ScenarioSpec(
        name="same_revenue_least_spend", objective="least_spend", lower_multiple=0.0, upper_multiple=10.0
    )
    # 300 + 150 per day earns 1200 + 240 = 1440 (>= 1428.57) for 450; the true optimum spends 430
    score = scoring.score_least_spend(
        truth, least, ("search", "social"), DAYS, current, np.array([300.0, 150.0]) * DAYS
    )
    assert score.kept_revenue_share == pytest.approx(1440 / (500000 / 350), rel=1e-9)
    assert score.spend_optimum / DAYS == pytest.approx(430.0, rel=1e-5)
    assert score.captured_saving_share == pytest.approx(50 / 70, rel=1e-4)


def test_default_scenarios_on_the_hand_worked_curves():
    curves = curves_from_truth(TRUTH)
    window = Window(dt.date(2026, 1, 1), dt.date(2026, 1, 30))
    current = np.array([250.0, 250.0]) * DAYS
    reallocate = run_scenario(ScenarioSpec("reallocate_same_budget", "max_margin"), curves, window, current, 0.5)
    # bounds 0.3x..3x do not bind at the optimum 366.67 / 133.33 per day
    assert reallocate.recommended_rc / DAYS == pytest.approx([366.6667, 133.3333], rel=1e-5)
    summary = summary_row(reallocate, "fit1", 0.9)
    assert summary["margin_uplift_rc"] == pytest.approx(0.5 * DAYS * (1485.7143 - 1428.5714), rel=1e-5)
    assert summary["probability_of_improvement"] == 1.0
    rows = channel_rows(reallocate)
    assert [row["channel"] for row in rows] == ["search", "social"]
    assert rows[0]["change_pct"] == pytest.approx(366.6667 / 250 - 1, rel=1e-5)
    least = run_scenario(ScenarioSpec("same_revenue_least_spend", "least_spend"), curves, window, current, 0.5)
    # same revenue for 430 instead of 500 per day: revenue per unit of spend 500 / 430 - 1 better
    assert summary_row(least, "fit1", 0.9)["budget_efficiency_gain_pct"] == pytest.approx(500 / 430 - 1, rel=1e-5)


def test_a_posterior_close_to_the_truth_scores_within_the_issue_s_targets(tmp_path):
    """The slow tests' loop on a hand-made truth: truth JSON -> curve-draw rows near it -> scenarios ->
    scores. A posterior whose draws scatter around the true curves recovers most of the true gains."""
    truth = {
        "reporting_currency": "USD",
        "saturation": "hill",
        "channels": {
            name: {"adstock": "geometric", "alpha": 0.3, "l_max_days": 14, "beta": beta, "kappa": kappa, "slope": slope}
            for name, beta, kappa, slope in (
                ("display", 2500.0, 1200.0, 1.8),
                ("offline", 6000.0, 3000.0, 1.2),
                ("paid_search", 9000.0, 2000.0, 1.6),
                ("paid_social", 4000.0, 1500.0, 1.0),
            )
        },
    }
    path = tmp_path / "media_response.json"
    path.write_text(json.dumps(truth), encoding="utf-8")
    true_curves = curves_from_truth(json.loads(path.read_text(encoding="utf-8")))
    generator = np.random.default_rng(11)
    rows = [
        ("fit", channel, draw, "hill", spec["beta"] * generator.lognormal(0, 0.05),
         spec["kappa"] * generator.lognormal(0, 0.05), spec["slope"], None, 3 * spec["kappa"])
        for channel, spec in truth["channels"].items()
        for draw in range(200)
    ]  # fmt: skip
    columns = [
        "fit_id",
        "channel",
        "draw",
        "saturation",
        "beta",
        "kappa",
        "slope",
        "lam",
        "observed_max_daily_spend_rc",
    ]
    fitted = curves_from_frame(pd.DataFrame(rows, columns=columns))
    window = Window(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    current = np.array([400.0, 5000.0, 1000.0, 2500.0]) * window.days  # display, offline, paid_search, paid_social
    reallocate = ScenarioSpec("reallocate_same_budget", "max_margin")
    result = run_scenario(reallocate, fitted, window, current, 0.5)
    score = scoring.score_reallocation(
        true_curves, reallocate, fitted.channels, window.days, current, result.recommended_rc
    )
    assert score.true_revenue_optimum > score.true_revenue_now * 1.05  # there is something to gain
    assert score.captured_uplift_share >= 0.9
    least = ScenarioSpec("same_revenue_least_spend", "least_spend")
    result = run_scenario(least, fitted, window, current, 0.5)
    score = scoring.score_least_spend(true_curves, least, fitted.channels, window.days, current, result.recommended_rc)
    assert score.kept_revenue_share >= 0.97 and score.captured_saving_share >= 0.75


def test_summary_rows_say_whether_the_seed_s_targets_are_reached():
    curves = curves_from_truth(TRUTH)
    window = Window(dt.date(2026, 1, 1), dt.date(2026, 1, 30))
    current = np.array([250.0, 250.0]) * DAYS
    results = [
        run_scenario(ScenarioSpec("same_revenue_least_spend", "least_spend"), curves, window, current, 0.5),
        run_scenario(ScenarioSpec("too_much", "max_margin", total_multiple=4.0), curves, window, current, 0.5),
    ]
    scenarios, summary = tables.result_frames(results, "fit1", 0.9, efficiency_target=0.15, roi_improvement_target=9.0)
    assert list(summary.columns) == [name for name, _ in tables.SUMMARY_COLUMNS]
    assert list(scenarios.columns) == [name for name, _ in tables.SCENARIO_COLUMNS]
    assert len(scenarios) == 2  # the infeasible scenario has no channel rows
    least, infeasible = summary.iloc[0], summary.iloc[1]
    # efficiency 500 / 430 - 1 = 16.3 % >= 15 %
    assert least["reaches_efficiency_target"] is True and least["reaches_roi_improvement_target"] is False
    assert infeasible["status"] == "infeasible" and infeasible["reaches_efficiency_target"] is None
