"""Steady-state response curves: values and slopes worked by hand."""

import math

import numpy as np
import pytest

from orchestration.lib.incrementality.curves import ResponseCurves


def hill(beta: float, kappa: float, slope: float) -> ResponseCurves:
    return ResponseCurves(
        channels=("search",),
        saturation="hill",
        params={"beta": np.array([[beta]]), "kappa": np.array([[kappa]]), "slope": np.array([[slope]])},
        observed_max_daily_spend_rc=np.array([150.0]),
    )


def test_hill_is_half_of_beta_at_kappa_and_s_shaped_above_slope_one():
    curves = hill(beta=1000.0, kappa=100.0, slope=2.0)
    # 1000 * 100² / (100² + 100²) = 500; 1000 * 200² / (200² + 100²) = 800; 1000 * 50² / (50² + 100²) = 200
    assert curves.revenue_per_day(np.array([100.0])) == pytest.approx(np.array([[500.0]]))
    assert curves.revenue_per_day(np.array([200.0])) == pytest.approx(np.array([[800.0]]))
    assert curves.revenue_per_day(np.array([50.0])) == pytest.approx(np.array([[200.0]]))
    # d/dx = beta * s * x^(s-1) k^s / (x^s + k^s)^2 = 1000 * 2 * 100 * 1e4 / (2e4)^2 = 5 at x = k
    assert curves.marginal_revenue_per_day(np.array([100.0])) == pytest.approx(np.array([[5.0]]))
    # S-shaped: no marginal revenue at zero spend
    assert curves.marginal_revenue_per_day(np.array([0.0])) == pytest.approx(np.array([[0.0]]))


def test_logistic_value_and_slope():
    curves = ResponseCurves(
        channels=("tv", "social"),
        saturation="logistic",
        params={"beta": np.array([[100.0, 10.0]]), "lam": np.array([[0.01, 1.0]])},
    )
    spend = np.array([100.0, 0.0])
    expected_tv = 100.0 * (1 - math.exp(-1.0)) / (1 + math.exp(-1.0))
    assert curves.revenue_per_day(spend) == pytest.approx(np.array([[expected_tv, 0.0]]))
    # slope at 0 is beta * lam / 2
    assert curves.marginal_revenue_per_day(spend)[0, 1] == pytest.approx(5.0)
    numeric = (curves.revenue_per_day(spend + 1e-4) - curves.revenue_per_day(spend)) / 1e-4
    assert curves.marginal_revenue_per_day(spend)[0, 0] == pytest.approx(numeric[0, 0], rel=1e-4)


def test_draws_broadcast_and_extrapolation_is_flagged_beyond_the_observed_maximum():
    curves = ResponseCurves(
        channels=("a", "b"),
        saturation="hill",
        params={
            "beta": np.array([[10.0, 20.0], [30.0, 40.0], [50.0, 60.0]]),
            "kappa": np.ones((3, 2)),
            "slope": np.ones((3, 2)),
        },
        observed_max_daily_spend_rc=np.array([1.0, 5.0]),
    )
    assert curves.draws == 3
    assert curves.revenue_per_day(np.array([1.0, 1.0])) == pytest.approx(np.array([[5, 10], [15, 20], [25, 30]]))
    assert curves.is_extrapolated(np.array([2.0, 5.0])).tolist() == [True, False]
    assert curves.subset(("b",)).revenue_per_day(np.array([1.0])) == pytest.approx(np.array([[10], [20], [30]]))


def test_parameters_must_match_the_saturation_and_the_channels():
    with pytest.raises(ValueError, match="take parameters"):
        ResponseCurves(channels=("a",), saturation="logistic", params={"beta": np.ones((1, 1))})
    with pytest.raises(ValueError, match="arrays"):
        ResponseCurves(
            channels=("a", "b"), saturation="logistic", params={"beta": np.ones((1, 1)), "lam": np.ones((1, 1))}
        )
