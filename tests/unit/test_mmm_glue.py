"""The glue around PyMC-Marketing's MMM: inputs, lift-test units, curve units, adstock, caching decisions.

Every expected number is worked out by hand in the test (or by PyMC-Marketing's own function).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.incrementality import inputs, model, outputs, store
from orchestration.lib.incrementality.curves import ResponseCurves


def _lift(**overrides: object) -> pd.DataFrame:
    row = {
        "lift_test_id": "LT-1",
        "channel": "video",
        "start_date": dt.date(2025, 3, 3),
        "end_date": dt.date(2025, 3, 30),  # 28 days
        "spend_rc": 28_000.0,
        "incremental_revenue_rc": 56_000.0,
        "incremental_revenue_ci_low_rc": 28_000.0,
        "incremental_revenue_ci_high_rc": 84_000.0,
    }
    return pd.DataFrame([{**row, **overrides}])


def test_only_complete_weeks_enter_and_missing_spend_is_zero() -> None:
    # Window Wed 2025-01-01 .. Sun 2025-01-26: the week of Mon 2024-12-30 is partial, then three whole weeks.
    revenue = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-12-30", "2025-01-06", "2025-01-13", "2025-01-20"]),
            "revenue_rc": [10.0, 20.0, 30.0, 40.0],
        }
    )
    spend = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-12-30", "2025-01-06", "2025-01-13", "2025-01-13"]),
            "channel": ["search", "search", "search", "tv"],
            "spend_rc": [1.0, 2.0, 3.0, 5.0],
        }
    )
    result = inputs.assemble(spend, revenue, (dt.date(2025, 1, 1), dt.date(2025, 1, 26)), "week", _lift())
    assert result.channels == ("search", "tv")
    assert list(result.frame["revenue_rc"]) == [20.0, 30.0, 40.0]
    assert list(result.frame["search"]) == [2.0, 3.0, 0.0]
    assert list(result.frame["tv"]) == [0.0, 5.0, 0.0]
    assert result.weeks == 3


def test_too_little_data_and_flat_spend_are_reasons_to_skip() -> None:
    frame = pd.DataFrame(
        {
            "period_start": pd.date_range("2025-01-06", periods=60, freq="7D"),
            "revenue_rc": 1.0,
            "search": np.arange(60.0),
            "tv": 3.0,
        }
    )
    data = inputs.MmmInputs("week", frame, ("search", "tv"), _lift())
    assert inputs.too_little_data(data, 52) == "no spend variation in tv"
    assert "fewer than the configured minimum of 61" in (inputs.too_little_data(data, 61) or "")
    varied = inputs.MmmInputs("week", frame.assign(tv=np.arange(60.0) % 3), ("search", "tv"), _lift())
    assert inputs.too_little_data(varied, 52) is None


def test_lift_test_in_weekly_units() -> None:
    # 28 days = 4 weeks: 7,000 spend and 14,000 revenue per week; sigma = (84,000 - 28,000) / 3.92 / 4.
    converted = inputs.lift_tests_per_period(_lift(), 7, ("search", "video"))
    row = converted.iloc[0]
    assert (row["x"], row["delta_x"], row["delta_y"]) == (0.0, 7_000.0, 14_000.0)
    assert row["sigma"] == pytest.approx(3_571.4286, rel=1e-6)


def test_lift_test_in_daily_units_and_unknown_channel_left_out() -> None:
    converted = inputs.lift_tests_per_period(
        pd.concat([_lift(), _lift(lift_test_id="LT-2", channel="radio")]), 1, ("video",)
    )
    assert list(converted["lift_test_id"]) == ["LT-1"]
    assert converted.iloc[0]["delta_x"] == 1_000.0
    assert converted.iloc[0]["delta_y"] == 2_000.0
    assert converted.iloc[0]["sigma"] == pytest.approx(510.2041, rel=1e-6)


def test_weekly_hill_curve_in_daily_reporting_currency() -> None:
    # Scaled: beta 0.5, kappa 0.8, slope 2; channel scale 70,000 per week, revenue scale 700,000 per week.
    # Weekly: r_week(X) = 350,000 * hill(X / 70,000; kappa 0.8) -> half of 350,000 at X = 56,000.
    # Daily:  r_day(x) = r_week(7x) / 7 -> beta 50,000, kappa 8,000 (56,000 / 7).
    daily = model.daily_curve_parameters(
        {"beta": np.array([[0.5]]), "kappa": np.array([[0.8]]), "slope": np.array([[2.0]])},
        "hill",
        np.array([70_000.0]),
        700_000.0,
        7,
    )
    assert daily["beta"][0, 0] == pytest.approx(50_000.0)
    assert daily["kappa"][0, 0] == pytest.approx(8_000.0)
    curves = ResponseCurves(("tv",), "hill", daily)
    assert curves.revenue_per_day(np.array([8_000.0]))[0, 0] == pytest.approx(25_000.0)
    # A second way: the weekly curve at 7x, divided by 7 (x = 4,000/day: 28,000/week = 0.4 scaled).
    weekly = 700_000 * 0.5 * 0.4**2 / (0.4**2 + 0.8**2)
    assert curves.revenue_per_day(np.array([4_000.0]))[0, 0] == pytest.approx(weekly / 7)


def test_weekly_logistic_curve_in_daily_reporting_currency() -> None:
    daily = model.daily_curve_parameters(
        {"beta": np.array([[0.5]]), "lam": np.array([[2.0]])}, "logistic", np.array([70_000.0]), 700_000.0, 7
    )
    assert daily["lam"][0, 0] == pytest.approx(0.0002)  # 2 * 7 / 70,000
    curves = ResponseCurves(("tv",), "logistic", daily)
    x = 5_000.0  # 35,000/week = 0.5 scaled: 350,000 * (1 - e^-1) / (1 + e^-1) per week
    weekly = 350_000 * (1 - np.exp(-1.0)) / (1 + np.exp(-1.0))
    assert curves.revenue_per_day(np.array([x]))[0, 0] == pytest.approx(weekly / 7)


def test_adstock_matches_pymc_marketing() -> None:
    import pytensor.tensor as pt
    import pytensor.xtensor as ptx
    from pymc_marketing.mmm.transformers import geometric_adstock

    spend = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    alpha = np.array([[0.5, 0.2]])
    ours = model.geometric_adstock(spend, alpha, 3)[0]
    for channel in range(2):
        series = ptx.as_xtensor(pt.as_tensor_variable(spend[:, channel]), dims=("time",))
        theirs = geometric_adstock(series, alpha=alpha[0, channel], l_max=3, normalize=True, dim="time").eval()
        np.testing.assert_allclose(ours[:, channel], np.asarray(theirs), rtol=1e-9)
    # By hand, channel 0 at period 1: weights (1, .5, .25) / 1.75 -> 1/1.75.
    assert ours[1, 0] == pytest.approx(1 / 1.75)
    assert ours[2, 0] == pytest.approx(0.5 / 1.75)


def test_lift_window_overlap_of_weeks() -> None:
    starts = pd.to_datetime(["2025-03-03", "2025-03-10", "2025-03-17"]).to_numpy()
    share = model.period_overlap(starts, 7, pd.Timestamp("2025-03-06"), pd.Timestamp("2025-03-12"))
    np.testing.assert_allclose(share, [4 / 7, 3 / 7, 0.0])


def test_refit_decisions(tmp_path: Path) -> None:
    saved = store.SavedFit("mmm-1", "abc", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tmp_path)
    assert store.refit_decision(None, "abc", refit_requested=False).refit
    assert store.refit_decision(saved, "abd", refit_requested=False).refit
    assert store.refit_decision(saved, "abc", refit_requested=True).refit
    reuse = store.refit_decision(saved, "abc", refit_requested=False)
    assert not reuse.refit and "mmm-1" in reuse.reason


def test_input_hash_changes_with_the_data_and_the_settings() -> None:
    frame = pd.DataFrame({"period_start": pd.date_range("2025-01-06", periods=3, freq="7D"), "revenue_rc": 1.0})
    data = inputs.MmmInputs("week", frame, (), _lift())
    same = inputs.MmmInputs("week", frame.copy(), (), _lift())
    changed = inputs.MmmInputs("week", frame.assign(revenue_rc=[1.0, 1.0, 2.0]), (), _lift())
    assert data.input_hash("s") == same.input_hash("s")
    assert data.input_hash("s") != changed.input_hash("s")
    assert data.input_hash("s") != data.input_hash("t")


def test_saved_fit_becomes_current_and_replaces_the_old(tmp_path: Path) -> None:
    table = pd.DataFrame({"a": [1, 2]})
    store.save_fit(tmp_path, "mmm-old", "h1", None, {"t": table}, {})
    store.save_fit(tmp_path, "mmm-new", "h2", None, {"t": table.assign(a=[3, 4])}, {"diagnostics": {"x": 1}})
    current = store.current_fit(tmp_path)
    assert current is not None and (current.fit_id, current.input_hash) == ("mmm-new", "h2")
    assert list(current.table("t")["a"]) == [3, 4]
    assert current.metadata["diagnostics"] == {"x": 1}
    assert not (tmp_path / "mmm-old").exists()


def test_curve_draws_rows_per_channel_and_draw() -> None:
    curves = ResponseCurves(
        ("search", "tv"),
        "hill",
        {"beta": np.array([[1.0, 2.0], [3.0, 4.0]]), "kappa": np.ones((2, 2)), "slope": np.ones((2, 2))},
        observed_max_daily_spend_rc=np.array([10.0, 20.0]),
    )
    frame = outputs.curve_draws_frame("fit", curves, keep=500)
    assert list(frame["channel"]) == ["search", "search", "tv", "tv"]
    assert list(frame["draw"]) == [0, 1, 0, 1]
    assert list(frame["beta"]) == [1.0, 3.0, 2.0, 4.0]
    assert frame["lam"].isna().all()
    assert list(frame["observed_max_daily_spend_rc"]) == [10.0, 10.0, 20.0, 20.0]


def test_weekly_effects_split_into_months_by_days() -> None:
    # Two weeks from Mon 2025-03-24: the first has 7 March days, the second 1 March day (31st) and 6 April days.
    starts = pd.DatetimeIndex(pd.to_datetime(["2025-03-24", "2025-03-31"]))
    contributions = np.array([[[70.0], [140.0]]])  # one draw: 10/day, then 20/day
    spend = np.array([[7.0], [14.0]])
    ones = np.ones((1, 1))
    curves = ResponseCurves(("tv",), "hill", {"beta": ones, "kappa": ones, "slope": ones})
    frame = outputs.period_effects_frame("fit", ("tv",), starts, 7, contributions, spend, curves, {}, 0.9)
    assert frame.empty  # neither March nor April lies wholly in 2025-03-24 .. 2025-04-06
    daily = outputs.daily_series(contributions, 7)[0, :, 0]
    assert daily[:7].sum() + daily[7] == pytest.approx(90.0)  # March: 7 x 10 + 1 x 20


def test_a_fit_that_did_not_converge_fails_the_blocking_check() -> None:
    import dagster as dg

    from orchestration.defs.incrementality.assets import convergence_outcome, quality_outcomes
    from orchestration.lib.settings import IncrementalitySettings

    settings = IncrementalitySettings()
    good = convergence_outcome({"max_r_hat": 1.004, "divergences": 0}, settings)
    assert good.passed and good.severity == dg.AssetCheckSeverity.ERROR
    high_r_hat = convergence_outcome({"max_r_hat": 1.02, "divergences": 0}, settings)
    divergent = convergence_outcome({"max_r_hat": 1.001, "divergences": 3}, settings)
    assert not high_r_hat.passed and not divergent.passed
    assert "not published" in divergent.description
    lifts = pd.DataFrame({"lift_test_id": ["LT-1", "LT-2"], "z_score": [0.4, -2.5]})
    mape, agreement = quality_outcomes({"mape_holdout": 0.03}, lifts, settings)
    assert mape.passed and mape.severity == dg.AssetCheckSeverity.WARN
    assert not agreement.passed and agreement.value == 2.5 and agreement.severity == dg.AssetCheckSeverity.WARN


def test_model_accuracy_checks_are_targets_missed_or_not_measurable() -> None:
    from orchestration.defs.incrementality.assets import quality_outcomes
    from orchestration.lib.settings import IncrementalitySettings

    settings = IncrementalitySettings()
    lifts = pd.DataFrame({"lift_test_id": ["LT-1"], "z_score": [-2.5]})
    mape, agreement = quality_outcomes({"mape_holdout": settings.max_holdout_mape * 2}, lifts, settings)
    assert (mape.kind, mape.status) == ("target", "missed")
    assert (agreement.kind, agreement.status) == ("target", "missed")
    no_holdout, no_lift = quality_outcomes({}, lifts.iloc[:0], settings)
    assert no_holdout.status == no_lift.status == "not_measurable"
    assert no_holdout.value is None and no_holdout.description == "not measurable: no held-out weeks"
