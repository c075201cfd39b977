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
    markov_removal_effects,
    markov_set_credits,
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


def test_set_credits_glue_reads_the_dbt_shapes() -> None:
    channel_sets = pd.DataFrame(
        {"channel_set": ["A", "A + B", "B"], "channel_count": [1, 2, 1], "conversions": [2, 2, 1]}
    )
    weights = pd.DataFrame(
        {
            "attribution_model": ["markov", "markov", "shapley", "shapley"],
            "channel": ["A", "B", "A", "B"],
            "credit_share": [0.6, 0.4, 0.5, 0.5],
        }
    )
    result = markov_set_credits(channel_sets, weights)
    assert result[["channel_set", "channel"]].to_numpy().tolist() == [
        ["A", "A"],
        ["A + B", "A"],
        ["A + B", "B"],
        ["B", "B"],
    ]
    np.testing.assert_allclose(result["credit"], [1.0, 0.5, 0.5, 1.0], atol=1e-8)
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
