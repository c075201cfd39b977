"""Markov credit per conversion: fitted to the removal-effect totals, checked against ChannelAttribution.

ChannelAttribution (the reference Markov implementation, test-only dependency) defines a channel's
conversions as its normalised removal effect × the conversions. The warehouse hands out credit per
conversion (``fit_markov_credits``); here the channel totals of those credits are compared with
``ChannelAttribution.markov_model`` (order 1, converting and non-converting paths), and the fit itself
with cases worked out by hand.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.attribution import (
    MARKOV_FIT_TOLERANCE,
    fit_markov_credits,
    markov_conversion_credits,
    markov_removal_effects,
    markov_value_removal_effects,
)


def coalitions(*rows: tuple[str, int]) -> pd.DataFrame:
    """``("A+B", 3)`` → the set {A, B} with 3 conversions."""
    return pd.DataFrame(
        {"channels": [frozenset(name.split("+")) for name, _ in rows], "conversions": [count for _, count in rows]}
    )


def credit_of(fit, channels: str, channel: str) -> float:
    rows = fit.credits[
        (fit.credits["channels"] == frozenset(channels.split("+"))) & (fit.credits["channel"] == channel)
    ]
    assert len(rows) == 1
    return float(rows["credit"].iloc[0])


def test_fit_worked_by_hand_one_shared_set() -> None:
    # {A}: 2 conversions, {A, B}: 2, {B}: 1; shares A 0.6, B 0.4 of 5 conversions → targets A 3, B 2.
    # The lone-channel sets are fixed (A 2, B 1), so each {A, B} conversion must give A 1/2 and B 1/2.
    # The removal-effect split (seed) would give A 0.6, B 0.4 per {A, B} conversion: A 3.2, B 1.8.
    fit = fit_markov_credits(coalitions(("A", 2), ("A+B", 2), ("B", 1)), pd.Series({"A": 0.6, "B": 0.4}))
    assert fit.converged
    assert credit_of(fit, "A+B", "A") == pytest.approx(0.5, abs=1e-8)
    assert credit_of(fit, "A+B", "B") == pytest.approx(0.5, abs=1e-8)
    assert credit_of(fit, "A", "A") == 1.0
    assert fit.fitted.to_dict() == pytest.approx({"A": 3.0, "B": 2.0}, abs=1e-8)
    assert fit.targets.to_dict() == pytest.approx({"A": 3.0, "B": 2.0})


def test_fit_worked_by_hand_two_shared_sets_stays_closest_to_the_seed() -> None:
    # {A, B}: 1 and {A, C}: 1; shares A 0.5, B 0.25, C 0.25 → targets A 1, B 0.5, C 0.5. Any split with
    # B = C = 0.5 reaches them, and the seed (removal-effect split A 2/3, B 1/3 and A 2/3, C 1/3) is
    # symmetric in B and C, so the fit is A 1/2, B 1/2 in one set and A 1/2, C 1/2 in the other.
    fit = fit_markov_credits(coalitions(("A+B", 1), ("A+C", 1)), pd.Series({"A": 0.5, "B": 0.25, "C": 0.25}))
    assert fit.converged
    for channels, other in (("A+B", "B"), ("A+C", "C")):
        assert credit_of(fit, channels, "A") == pytest.approx(0.5, abs=1e-8)
        assert credit_of(fit, channels, other) == pytest.approx(0.5, abs=1e-8)


def test_fit_keeps_credit_on_the_journeys_own_channels_and_sums_to_one() -> None:
    rng = np.random.default_rng(7)
    names = list("ABCDEF")
    sets = {frozenset(rng.choice(names, size=rng.integers(1, 5), replace=False)) for _ in range(60)}
    frame = pd.DataFrame({"channels": sorted(sets, key=sorted), "conversions": rng.integers(1, 40, len(sets))})
    # Targets that are reachable: the totals of some split over each set's own channels.
    split = [dict(zip(sorted(s), rng.dirichlet(np.ones(len(s))), strict=True)) for s in frame["channels"]]
    totals = pd.Series(0.0, index=names)
    for shares, count in zip(split, frame["conversions"], strict=True):
        for channel, share in shares.items():
            totals[channel] += share * count
    fit = fit_markov_credits(frame, totals / totals.sum())
    assert fit.converged and fit.max_gap <= MARKOV_FIT_TOLERANCE
    sums = fit.credits.groupby("set_number")["credit"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    on_journey = [
        channel in channels for channels, channel in zip(fit.credits["channels"], fit.credits["channel"], strict=True)
    ]
    assert all(on_journey)
    np.testing.assert_allclose(fit.fitted.reindex(names), totals, atol=1e-6 * totals.sum())


def test_fit_reports_unreachable_targets_and_still_sums_to_one() -> None:
    # {A}: 1 and {B}: 1 can only give A 1 and B 1; shares 0.25 / 0.75 ask for 0.5 / 1.5.
    fit = fit_markov_credits(coalitions(("A", 1), ("B", 1)), pd.Series({"A": 0.25, "B": 0.75}), max_iterations=20)
    assert not fit.converged
    assert fit.iterations == 20
    assert fit.max_gap == pytest.approx(0.25)  # 0.5 conversions of 2
    assert fit.credits["credit"].tolist() == [1.0, 1.0]


def test_fit_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match="at least one channel"):
        fit_markov_credits(pd.DataFrame({"channels": [frozenset()], "conversions": [1]}), pd.Series({"A": 1.0}))
    with pytest.raises(ValueError, match="conversions"):
        fit_markov_credits(coalitions(("A", -1)), pd.Series({"A": 1.0}))


def test_fit_with_revenue_worked_by_hand() -> None:
    # Conversions: c1 {A} 100, c2 {B} 100, c3 {A, B} 100, c4 {A, B} 300 (revenue). Conversion shares
    # A 0.5, B 0.5 → A 2, B 2: the two mixed conversions must give A 1 and B 1 between them. Value shares
    # A 0.4, B 0.6 of 600 → A 240, B 360: c1 gives A 100, c2 gives B 100, so 100·a3 + 300·a4 = 140 with
    # a3 + a4 = 1 → a4 = 0.2, a3 = 0.8: c3 gives A 0.8, B 0.2; c4 gives A 0.2, B 0.8.
    frame = pd.DataFrame(
        {
            "channels": [frozenset("A"), frozenset("B"), frozenset("AB"), frozenset("AB")],
            "conversions": [1, 1, 1, 1],
            "revenue": [100.0, 100.0, 100.0, 300.0],
        }
    )
    fit = fit_markov_credits(frame, pd.Series({"A": 0.5, "B": 0.5}), value_shares=pd.Series({"A": 0.4, "B": 0.6}))
    assert fit.converged
    credits = fit.credits.set_index(["set_number", "channel"])["credit"]
    assert credits[(2, "A")] == pytest.approx(0.8, abs=1e-7)
    assert credits[(3, "A")] == pytest.approx(0.2, abs=1e-7)
    assert fit.value_fitted.to_dict() == pytest.approx({"A": 240.0, "B": 360.0}, abs=1e-6)
    assert fit.fitted.to_dict() == pytest.approx({"A": 2.0, "B": 2.0}, abs=1e-7)


def test_value_removal_effects_worked_by_hand() -> None:
    # Paths: A (1 conversion worth 10, 1 null), A > B (1 conversion worth 30), B (1 null).
    # start → A 3/4, → B 1/4; A → conversion, null, B 1/3 each; B → conversion, null 1/2 each.
    # Mean value when converting from A: 10, from B: 30. E[value from B] = 15,
    # E[value from A] = 10/3 + 15/3 = 25/3, E[value] = 3/4 · 25/3 + 1/4 · 15 = 10.
    # Without A: 1/4 · 15 = 3.75 → effect 0.625; without B: 3/4 · 10/3 = 2.5 → effect 0.75.
    paths = pd.DataFrame(
        {
            "path": [("A",), ("A", "B"), ("B",)],
            "conversions": [1, 1, 0],
            "non_conversions": [1, 0, 1],
            "value": [10.0, 30.0, 0.0],
        }
    )
    result = markov_value_removal_effects(paths).set_index("channel")
    assert result["value_removal_effect"].to_dict() == pytest.approx({"A": 0.625, "B": 0.75})
    assert result["value_share"].to_dict() == pytest.approx({"A": 0.625 / 1.375, "B": 0.75 / 1.375})


def test_conversion_credits_glue_reads_the_dbt_shapes() -> None:
    conversion_channels = pd.DataFrame(
        {
            "conversion_id": ["c1", "c2", "c3", "c3", "c4", "c4"],
            "channel": ["A", "B", "A", "B", "B", "A"],
            "revenue_rc": [100.0, 100.0, 100.0, 100.0, 300.0, 300.0],
        }
    )
    weights = pd.DataFrame(
        {
            "attribution_model": ["markov", "markov", "shapley", "shapley"],
            "channel": ["A", "B", "A", "B"],
            "credit_share": [0.5, 0.5, 0.5, 0.5],
            "value_credit_share": [0.4, 0.6, None, None],
        }
    )
    result = markov_conversion_credits(conversion_channels, weights)
    assert result[["conversion_id", "channel"]].to_numpy().tolist() == [
        ["c1", "A"],
        ["c2", "B"],
        ["c3", "A"],
        ["c3", "B"],
        ["c4", "A"],
        ["c4", "B"],
    ]
    np.testing.assert_allclose(result["credit"], [1.0, 1.0, 0.8, 0.2, 0.2, 0.8], atol=1e-7)
    assert result["is_fit_converged"].all()


# ---------------------------------------------------------------------------
# Against ChannelAttribution
# ---------------------------------------------------------------------------


REFERENCE_MAX_STEP = 100
"""ChannelAttribution simulates walks through the chain and by default cuts each walk after as many steps as
the longest observed path, which drops the conversions of walks that revisit channels (4 steps on the
co-occurring set below moves shares by up to 0.02). The warehouse solves the chain exactly, i.e. without a
cut; 100 steps leaves ChannelAttribution only its simulation noise."""


def reference_markov_shares(paths: pd.DataFrame) -> pd.Series:
    """ChannelAttribution's ``markov_model`` (order 1, converting and non-converting paths): conversion shares."""
    channel_attribution = pytest.importorskip("ChannelAttribution")
    data = pd.DataFrame(
        {
            "path": [" > ".join(path) for path in paths["path"]],
            "conversions": paths["conversions"].astype(float),
            "nulls": paths["non_conversions"].astype(float),
        }
    )
    with contextlib.redirect_stdout(io.StringIO()):
        result = channel_attribution.markov_model(
            data,
            "path",
            "conversions",
            var_null="nulls",
            order=1,
            sep=">",
            max_step=REFERENCE_MAX_STEP,
            seed=1,
            verbose=False,
            flg_pro=False,
        )
    totals = result.set_index("channel_name")["total_conversions"]
    return (totals / totals.sum()).rename(index=str.strip).sort_index()


def warehouse_markov_shares(paths: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Channel shares of the warehouse's per-conversion Markov credit (the fit) and of the old per-conversion
    removal-effect split, from the same distinct paths."""
    effects = markov_removal_effects(paths, order=1).set_index("channel")
    converting = paths[paths["conversions"] > 0]
    sets = (
        pd.DataFrame({"channels": converting["path"].map(frozenset), "conversions": converting["conversions"]})
        .groupby("channels", as_index=False)["conversions"]
        .sum()
    )
    fit = fit_markov_credits(sets, effects["share"])
    assert fit.converged
    credits = fit.credits.assign(
        conversions=lambda frame: frame["credit"] * sets["conversions"].to_numpy()[frame["set_number"]]
    )
    fitted = credits.groupby("channel")["conversions"].sum()
    # The split it replaces: each conversion over its own channels in proportion to their removal effects.
    seed = fit.credits["channel"].map(effects["removal_effect"])
    seed = seed / seed.groupby(fit.credits["set_number"]).transform("sum")
    naive = (seed * sets["conversions"].to_numpy()[fit.credits["set_number"]]).groupby(fit.credits["channel"]).sum()
    return (fitted / fitted.sum()).sort_index(), (naive / naive.sum()).sort_index()


def co_occurring_paths() -> pd.DataFrame:
    """Journeys where channels mostly appear together: display, email and organic search almost never alone,
    paid search and direct often alone — the case where a per-journey removal-effect split goes wrong."""
    rng = np.random.default_rng(2025)
    rows: list[tuple[tuple[str, ...], int, int]] = []
    companions = ["display", "email", "organic_search", "referral"]
    for _ in range(600):
        if rng.random() < 0.3:
            path: tuple[str, ...] = (str(rng.choice(["paid_search", "direct"])),)
        else:
            middle = list(rng.choice(companions, size=rng.integers(2, 4), replace=False))
            path = (*middle, str(rng.choice(["paid_search", "direct"])))
        rate = 0.5 if len(path) == 1 else 0.25 + 0.1 * ("display" in path)
        journeys = int(rng.integers(1, 20))
        conversions = int(rng.binomial(journeys, rate))
        rows.append((path, conversions, journeys - conversions))
    frame = pd.DataFrame(rows, columns=["path", "conversions", "non_conversions"])
    return frame.groupby("path", as_index=False)[["conversions", "non_conversions"]].sum()


def test_co_occurring_channels_match_channel_attribution_within_one_point() -> None:
    paths = co_occurring_paths()
    reference = reference_markov_shares(paths)
    fitted, naive = warehouse_markov_shares(paths)
    assert list(fitted.index) == list(reference.index)
    assert (fitted - reference).abs().max() <= 0.01, pd.DataFrame({"warehouse": fitted, "reference": reference})
    # The per-journey removal-effect split this replaces misses the reference on this journey set: the
    # comparison above can fail.
    assert (naive - reference).abs().max() > 0.02


def test_value_removal_effects_match_channel_attribution_var_value_within_one_point() -> None:
    """The revenue targets (``markov_value_removal_effects``) against ChannelAttribution's value-weighted
    ``total_conversion_value`` (``var_value``) on the co-occurring journeys, revenue varying by journey."""
    channel_attribution = pytest.importorskip("ChannelAttribution")
    paths = co_occurring_paths()
    per_conversion = paths["path"].map(lambda path: 100.0 + 150.0 * ("display" in path) + 50.0 * (path[-1] == "direct"))
    paths = paths.assign(value=paths["conversions"] * per_conversion)
    data = pd.DataFrame(
        {
            "path": [" > ".join(path) for path in paths["path"]],
            "conversions": paths["conversions"].astype(float),
            "nulls": paths["non_conversions"].astype(float),
            "value": paths["value"],
        }
    )
    with contextlib.redirect_stdout(io.StringIO()):
        result = channel_attribution.markov_model(
            data,
            "path",
            "conversions",
            var_value="value",
            var_null="nulls",
            order=1,
            sep=">",
            max_step=REFERENCE_MAX_STEP,
            seed=1,
            verbose=False,
            flg_pro=False,
        )
    totals = result.set_index("channel_name").rename(index=str.strip)["total_conversion_value"]
    reference = (totals / totals.sum()).sort_index()
    ours = markov_value_removal_effects(paths).set_index("channel")["value_share"].sort_index()
    assert list(ours.index) == list(reference.index)
    assert (ours - reference).abs().max() <= 0.01, pd.DataFrame({"ours": ours, "reference": reference})
    # Not the conversion shares under another name: revenue moves them by more than the tolerance here.
    shares = markov_removal_effects(paths[["path", "conversions", "non_conversions"]]).set_index("channel")["share"]
    assert (shares.sort_index() - reference).abs().max() > 0.01


def test_unreachable_revenue_targets_fall_back_to_the_conversion_fit() -> None:
    # c1 {A} and c2 {A, B} with the same revenue: the conversion shares (A 0.75, B 0.25) fix c2 at
    # A 0.5, B 0.5, so B's revenue share is 0.25 whatever; asking for 0.5 cannot be met.
    conversion_channels = pd.DataFrame(
        {"conversion_id": ["c1", "c2", "c2"], "channel": ["A", "A", "B"], "revenue_rc": [100.0, 100.0, 100.0]}
    )
    weights = pd.DataFrame(
        {
            "attribution_model": "markov",
            "channel": ["A", "B"],
            "credit_share": [0.75, 0.25],
            "value_credit_share": [0.5, 0.5],
        }
    )
    credits = markov_conversion_credits(conversion_channels, weights)
    assert credits["is_fit_converged"].all() and not credits["is_revenue_fitted"].any()
    np.testing.assert_allclose(credits["credit"], [1.0, 0.5, 0.5], atol=1e-8)


def test_channel_weights_carry_the_value_weighted_shares_when_paths_have_revenue() -> None:
    from orchestration.lib.attribution import channel_weights

    paths = pd.DataFrame(
        {
            "channel_path": ["A", "A > B", "B"],
            "conversions": [1, 1, 0],
            "non_conversions": [1, 0, 1],
            "conversion_revenue_rc": [10.0, 30.0, 0.0],
        }
    )
    sets = pd.DataFrame({"channel_set": ["A", "A + B"], "conversions": [1, 1]})
    weights = channel_weights(paths, sets).set_index(["attribution_model", "channel"])
    # The worked example of test_value_removal_effects_worked_by_hand: 0.625 and 0.75.
    assert weights.loc[("markov", "A"), "value_removal_effect"] == pytest.approx(0.625)
    assert weights.loc[("markov", "B"), "value_credit_share"] == pytest.approx(0.75 / 1.375)
    assert weights.loc[("shapley", "A"), "value_credit_share"] is pd.NA
