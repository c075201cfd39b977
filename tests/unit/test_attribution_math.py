"""The attribution maths on hand-worked examples.

Markov: transition probabilities, P(conversion), removal effects and shares are worked
out by hand in the comments and asserted as exact fractions. Shapley: checked against a
brute force over all orderings of the players. Bootstrap: a hand-computed point estimate,
reproducibility, the no-spend edge cases and the coverage of the interval on simulated
data whose true ROI is known.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.attribution import (
    DRAW_QUANTILE_COLUMNS,
    bootstrap_roi_intervals,
    markov_removal_effects,
    markov_removal_effects_simulated,
    roi_draw_quantiles,
    roi_intervals_from_draws,
    shapley_conversion_shares,
    shapley_values,
    transition_counts,
)


def paths_frame(*rows: tuple[tuple[str, ...], int, int]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["path", "conversions", "non_conversions"])


def by_channel(result: pd.DataFrame, column: str) -> dict[str, float]:
    return dict(zip(result["channel"], result[column], strict=True))


def assert_fractions(actual: dict[str, float], expected: dict[str, Fraction]) -> None:
    assert actual.keys() == expected.keys()
    for channel, value in expected.items():
        assert actual[channel] == pytest.approx(float(value), abs=1e-12), channel


# ---------------------------------------------------------------------------
# Markov removal effect
# ---------------------------------------------------------------------------


def test_markov_three_paths_worked_by_hand() -> None:
    # Journeys: start→A→B→conv, start→A→null, start→B→conv (one each).
    # Transition counts: start→A 2, start→B 1 | A→B 1, A→null 1 | B→conv 2.
    # Probabilities:     start→A 2/3, start→B 1/3 | A→B 1/2, A→null 1/2 | B→conv 1.
    # P(conv)            = 2/3·1/2·1 + 1/3·1 = 1/3 + 1/3 = 2/3.
    # Without A (start→A goes to null): P = 1/3·1 = 1/3  → effect (2/3 − 1/3)/(2/3) = 1/2.
    # Without B (A→B and start→B go to null): P = 0      → effect 1.
    # Shares: 1/2 / (3/2) = 1/3 for A, 1 / (3/2) = 2/3 for B.
    paths = paths_frame((("A", "B"), 1, 0), (("A",), 0, 1), (("B",), 1, 0))

    result = markov_removal_effects(paths)

    assert list(result["channel"]) == ["A", "B"]
    assert result.attrs["conversion_probability"] == pytest.approx(2 / 3, abs=1e-12)
    assert (result["conversion_probability"] == result.attrs["conversion_probability"]).all()
    assert_fractions(by_channel(result, "conversion_probability_removed"), {"A": Fraction(1, 3), "B": Fraction(0)})
    assert_fractions(by_channel(result, "removal_effect"), {"A": Fraction(1, 2), "B": Fraction(1)})
    assert_fractions(by_channel(result, "share"), {"A": Fraction(1, 3), "B": Fraction(2, 3)})


def test_markov_weights_transitions_by_journey_counts() -> None:
    # A→B: 2 conversions, 1 not | A: 3 not | B: 1 conversion, 1 not  (8 journeys).
    # Counts: start→A 3+3 = 6, start→B 2 | A→B 3, A→null 3 | B→conv 2+1 = 3, B→null 1+1 = 2.
    # Probabilities: start→A 3/4, start→B 1/4 | A→B 1/2, A→null 1/2 | B→conv 3/5, B→null 2/5.
    # P(conv)   = 3/4·1/2·3/5 + 1/4·3/5 = 9/40 + 6/40 = 3/8.
    # Without A = 1/4·3/5 = 3/20 → effect 1 − (3/20)/(3/8) = 3/5.   Without B = 0 → effect 1.
    # Shares: (3/5)/(8/5) = 3/8 and 1/(8/5) = 5/8.
    paths = paths_frame((("A", "B"), 2, 1), (("A",), 0, 3), (("B",), 1, 1))

    result = markov_removal_effects(paths)

    assert result.attrs["conversion_probability"] == pytest.approx(3 / 8, abs=1e-12)
    assert_fractions(by_channel(result, "removal_effect"), {"A": Fraction(3, 5), "B": Fraction(1)})
    assert_fractions(by_channel(result, "share"), {"A": Fraction(3, 8), "B": Fraction(5, 8)})


def test_markov_transition_counts_of_the_three_paths() -> None:
    counts = transition_counts(paths_frame((("A", "B"), 1, 0), (("A",), 0, 1), (("B",), 1, 0)))

    # rows/columns: start, A, B, conversion, null
    assert counts.channels == ("A", "B")
    assert counts.states == (("A",), ("B",))
    np.testing.assert_array_equal(
        counts.counts.toarray(),
        [[0, 2, 1, 0, 0], [0, 0, 1, 0, 1], [0, 0, 0, 2, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]],
    )


def test_markov_path_returning_to_a_channel() -> None:
    # start→A→B→A→conv (1) and start→B→null (1): a cycle A→B→A.
    # Counts: start→A 1, start→B 1 | A→B 1, A→conv 1 | B→A 1, B→null 1 — every split 1/2.
    # x_A = 1/2·x_B + 1/2,  x_B = 1/2·x_A  →  x_A = 2/3, x_B = 1/3;  P = 1/2·2/3 + 1/2·1/3 = 1/2.
    # Without A: x_B = 0 → P = 0, effect 1.   Without B: x_A = 1/2 → P = 1/4, effect 1/2.
    # Shares 2/3 and 1/3.
    result = markov_removal_effects(paths_frame((("A", "B", "A"), 1, 0), (("B",), 0, 1)))

    assert result.attrs["conversion_probability"] == pytest.approx(1 / 2, abs=1e-12)
    assert_fractions(by_channel(result, "removal_effect"), {"A": Fraction(1), "B": Fraction(1, 2)})
    assert_fractions(by_channel(result, "share"), {"A": Fraction(2, 3), "B": Fraction(1, 3)})


def test_markov_self_loop_does_not_change_absorption() -> None:
    # A→A→B→conv gives A a self-loop (A→A 1, A→B 1, A→null 1 with A→null from the second path).
    # x_A = 1/3·x_A + 1/3·x_B with x_B = 1 → x_A = 1/2 = P. Without A or B: 0, so both effects are 1.
    # A self-loop only repeats the draw, so the result equals that of the collapsed path A→B.
    with_loop = markov_removal_effects(paths_frame((("A", "A", "B"), 1, 0), (("A",), 0, 1)))
    collapsed = markov_removal_effects(paths_frame((("A", "B"), 1, 0), (("A",), 0, 1)))

    assert with_loop.attrs["conversion_probability"] == pytest.approx(1 / 2, abs=1e-12)
    assert_fractions(by_channel(with_loop, "removal_effect"), {"A": Fraction(1), "B": Fraction(1)})
    assert_fractions(by_channel(with_loop, "share"), {"A": Fraction(1, 2), "B": Fraction(1, 2)})
    pd.testing.assert_frame_equal(with_loop, collapsed, check_exact=False, atol=1e-12)


def test_markov_channel_that_starts_every_journey_has_effect_one() -> None:
    paths = paths_frame((("A", "B"), 2, 1), (("A", "C", "B"), 1, 0), (("A",), 1, 3), (("A", "C"), 0, 2))

    effects = by_channel(markov_removal_effects(paths), "removal_effect")

    assert effects["A"] == pytest.approx(1.0, abs=1e-12)  # start→A is the only way in
    assert 0 < effects["B"] < 1
    assert 0 < effects["C"] < 1


def test_markov_channel_in_every_path_but_not_first() -> None:
    # A→B→conv, B→A→null, A→conv (one each): A is in every journey, yet a first-order chain
    # forgets that B→conv came after A, so A's effect is below 1.
    # Counts: start→A 2, start→B 1 | A→B 1, A→null 1, A→conv 1 | B→conv 1, B→A 1.
    # x_A = 1/3·x_B + 1/3,  x_B = 1/2 + 1/2·x_A  →  x_A = 3/5, x_B = 4/5;  P = 2/3·3/5 + 1/3·4/5 = 2/3.
    # Without A: x_B = 1/2 → P = 1/6, effect (2/3 − 1/6)/(2/3) = 3/4.
    # Without B: x_A = 1/3 → P = 2/9, effect (2/3 − 2/9)/(2/3) = 2/3.   Shares 9/17 and 8/17.
    result = markov_removal_effects(paths_frame((("A", "B"), 1, 0), (("B", "A"), 0, 1), (("A",), 1, 0)))

    assert result.attrs["conversion_probability"] == pytest.approx(2 / 3, abs=1e-12)
    assert_fractions(by_channel(result, "removal_effect"), {"A": Fraction(3, 4), "B": Fraction(2, 3)})
    assert_fractions(by_channel(result, "share"), {"A": Fraction(9, 17), "B": Fraction(8, 17)})


def test_markov_single_channel_gets_everything() -> None:
    result = markov_removal_effects(paths_frame((("A",), 3, 5), (("A", "A"), 1, 0)))

    # start→A 9 | A→A 1, A→conv 3 + 1 = 4, A→null 5 (of 10) → x_A = (4/10) / (1 − 1/10) = 4/9.
    assert result.attrs["conversion_probability"] == pytest.approx(4 / 9, abs=1e-12)
    assert_fractions(by_channel(result, "removal_effect"), {"A": Fraction(1)})
    assert_fractions(by_channel(result, "share"), {"A": Fraction(1)})


def test_markov_without_conversions_gives_zero_not_nan() -> None:
    result = markov_removal_effects(paths_frame((("A", "B"), 0, 4), (("B",), 0, 2), (("C",), 0, 0)))

    assert list(result["channel"]) == ["A", "B", "C"]  # C only in a path without journeys: listed, no credit
    assert result.attrs["conversion_probability"] == 0
    assert (result["removal_effect"] == 0).all()
    assert (result["share"] == 0).all()
    assert not result.isna().any(axis=None)


def test_markov_order_two_remembers_the_previous_channel() -> None:
    # A→B→conv (1) and C→B→null (1). Order 1 merges both visits of B: B→conv 1/2,
    # P = 1/2, without A or C P = 1/4 (effect 1/2 each), without B P = 0 (effect 1);
    # shares 1/4, 1/2, 1/4.
    # Order 2 has states (A), (C), (A,B), (C,B): (A,B)→conv 1, (C,B)→null 1. P = 1/2;
    # without A or B P = 0 (effect 1), without C P = 1/2 (effect 0); shares 1/2, 1/2, 0.
    paths = paths_frame((("A", "B"), 1, 0), (("C", "B"), 0, 1))

    first = markov_removal_effects(paths)
    second = markov_removal_effects(paths, order=2)

    assert_fractions(by_channel(first, "share"), {"A": Fraction(1, 4), "B": Fraction(1, 2), "C": Fraction(1, 4)})
    assert_fractions(by_channel(second, "removal_effect"), {"A": Fraction(1), "B": Fraction(1), "C": Fraction(0)})
    assert_fractions(by_channel(second, "share"), {"A": Fraction(1, 2), "B": Fraction(1, 2), "C": Fraction(0)})
    assert transition_counts(paths, order=2).states == (("A",), ("C",), ("A", "B"), ("C", "B"))


def test_markov_row_order_does_not_matter() -> None:
    paths = paths_frame((("A", "B"), 2, 1), (("C", "A"), 1, 0), (("A",), 1, 3), (("B", "A", "C"), 0, 2))

    forward = markov_removal_effects(paths)
    backward = markov_removal_effects(paths.iloc[::-1])

    pd.testing.assert_frame_equal(forward, backward, check_exact=False, atol=1e-12)


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        (paths_frame(((), 1, 0)), "at least one channel"),
        (paths_frame((("A",), -1, 0)), "≥ 0"),
        (pd.DataFrame({"path": [("A",)], "conversions": [1]}), "missing"),
    ],
)
def test_markov_rejects_bad_paths(paths: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        markov_removal_effects(paths)


@pytest.mark.parametrize("order", [1, 2])
def test_markov_exact_agrees_with_simulation(order: int) -> None:
    rng = np.random.default_rng(7)
    channels = np.array(["display", "email", "paid_search", "paid_social", "video"], dtype=object)
    lengths = rng.integers(1, 5, size=20)
    paths = paths_frame(
        *(
            (tuple(rng.choice(channels, size=length)), int(rng.integers(0, 40)), int(rng.integers(0, 60)))
            for length in lengths
        )
    )

    exact = markov_removal_effects(paths, order=order)
    simulated = markov_removal_effects_simulated(paths, walks=400_000, seed=11, order=order)

    assert list(exact["channel"]) == list(simulated["channel"])
    assert exact.attrs["conversion_probability"] == pytest.approx(simulated.attrs["conversion_probability"], abs=0.01)
    np.testing.assert_allclose(exact["share"], simulated["share"], atol=0.01)
    np.testing.assert_allclose(exact["removal_effect"], simulated["removal_effect"], atol=0.01)


def test_markov_simulation_of_edge_cases() -> None:
    no_conversions = markov_removal_effects_simulated(paths_frame((("A", "B"), 0, 3)), walks=1_000, seed=1)
    single = markov_removal_effects_simulated(paths_frame((("A",), 1, 1)), walks=1_000, seed=1)

    assert (no_conversions["share"] == 0).all()
    assert by_channel(single, "share") == {"A": 1.0}


# ---------------------------------------------------------------------------
# Shapley value
# ---------------------------------------------------------------------------


def coalitions_frame(counts: dict[str, float]) -> pd.DataFrame:
    """``{"AB": 3}`` → channels frozenset({"A", "B"}) with 3 conversions (one letter per channel)."""
    return pd.DataFrame({"channels": [frozenset(key) for key in counts], "conversions": list(counts.values())})


def brute_force_shapley(counts: dict[str, float]) -> dict[str, float]:
    """Average marginal contribution over every ordering of the players, v(S) = Σ_{T ⊆ S} conversions(T)."""
    players = sorted(set("".join(counts)))

    def value(coalition: set[str]) -> float:
        return sum(conversions for key, conversions in counts.items() if set(key) <= coalition)

    totals = dict.fromkeys(players, 0.0)
    orderings = list(itertools.permutations(players))
    for ordering in orderings:
        before: set[str] = set()
        for player in ordering:
            totals[player] += value(before | {player}) - value(before)
            before.add(player)
    return {player: total / len(orderings) for player, total in totals.items()}


def test_shapley_two_channels_worked_by_hand() -> None:
    # v({A}) = 2, v({B}) = 1, v({A,B}) = 2 + 1 + 3 = 6.
    # φ_A = 1/2·(v(A) − 0) + 1/2·(v(AB) − v(B)) = 1/2·2 + 1/2·5 = 3.5 = 2 + 3/2;  φ_B = 1 + 3/2 = 2.5.
    values = shapley_values(coalitions_frame({"A": 2, "B": 1, "AB": 3}))

    assert values.to_dict() == pytest.approx({"A": 3.5, "B": 2.5}, abs=1e-12)
    assert values.index.name == "channel"


def test_shapley_matches_brute_force_over_all_orderings() -> None:
    counts = {"A": 5, "B": 2, "AB": 7, "AC": 3, "BCD": 4, "ABCD": 6, "D": 1, "CD": 2}

    values = shapley_values(coalitions_frame(counts))

    assert values.to_dict() == pytest.approx(brute_force_shapley(counts), abs=1e-12)
    assert values.sum() == pytest.approx(sum(counts.values()), abs=1e-12)  # efficiency


def test_shapley_equals_conversion_by_conversion_equal_split() -> None:
    # v is a sum of unanimity games, so the exact value equals handing each conversion out in
    # equal parts over its distinct channels: here A gets 2 + 3/2 + 4/3 = 29/6.
    counts = {"A": 2, "AB": 3, "ABC": 4, "C": 1}
    by_conversion: dict[str, float] = {}
    for key, conversions in counts.items():
        for channel, share in shapley_conversion_shares(frozenset(key)).items():
            by_conversion[channel] = by_conversion.get(channel, 0.0) + conversions * share

    assert shapley_conversion_shares(frozenset("ABC")) == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3})
    assert by_conversion["A"] == pytest.approx(29 / 6)
    assert shapley_values(coalitions_frame(counts)).to_dict() == pytest.approx(by_conversion, abs=1e-12)


def test_shapley_is_exact_for_twelve_and_sixteen_channels() -> None:
    # its speed is bench/bench_attribution.py's (a timed assertion here would fail on a busy machine)
    rng = np.random.default_rng(3)
    names = [f"channel_{index:02d}" for index in range(16)]

    def random_coalitions(n_channels: int, rows: int) -> pd.DataFrame:
        members = rng.random((rows, n_channels)) < 0.3
        members[np.arange(rows), rng.integers(0, n_channels, size=rows)] = True
        return pd.DataFrame(
            {
                "channels": [frozenset(np.array(names[:n_channels])[row]) for row in members],
                "conversions": rng.integers(0, 50, size=rows),
            }
        )

    twelve = random_coalitions(12, 2_000)
    values = shapley_values(twelve)
    assert values.sum() == pytest.approx(twelve["conversions"].sum(), rel=1e-12)

    sixteen = random_coalitions(16, 2_000)
    expected = dict.fromkeys(names, 0.0)
    for channels, conversions in zip(sixteen["channels"], sixteen["conversions"], strict=True):
        for channel in channels:
            expected[channel] += conversions / len(channels)
    assert shapley_values(sixteen).to_dict() == pytest.approx(expected, rel=1e-9)


def test_shapley_rejects_an_empty_journey() -> None:
    with pytest.raises(ValueError, match="unattributed"):
        shapley_values(pd.DataFrame({"channels": [frozenset({"A"}), frozenset()], "conversions": [1, 1]}))
    with pytest.raises(ValueError, match="unattributed"):
        shapley_conversion_shares(frozenset())


# ---------------------------------------------------------------------------
# Bootstrap ROI / ROAS intervals
# ---------------------------------------------------------------------------

GROUPS = ["attribution_model", "channel", "period"]


def contribution_rows(*rows: tuple[str, str, str, str, float, float, float]) -> pd.DataFrame:
    columns = ["conversion_id", *GROUPS, "credit", "revenue_rc", "margin_rc"]
    return pd.DataFrame(rows, columns=columns)


def spend_rows(*rows: tuple[str, str, str, float | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*GROUPS, "spend_rc"])


TWO_CONVERSIONS = contribution_rows(
    ("c1", "linear", "A", "2025-01", 0.5, 100.0, 40.0),
    ("c1", "linear", "B", "2025-01", 0.5, 100.0, 40.0),
    ("c2", "linear", "A", "2025-01", 1.0, 200.0, 80.0),
)


def test_bootstrap_point_estimates_worked_by_hand() -> None:
    # A: revenue 0.5·100 + 1·200 = 250, margin 0.5·40 + 1·80 = 100, conversions 1.5, spend 50
    #    → ROAS 250/50 = 5, ROI (100 − 50)/50 = 1, CAC 50/1.5 = 33.33…
    # B: revenue 50, margin 20, conversions 0.5, spend 40 → ROAS 1.25, ROI (20 − 40)/40 = −0.5, CAC 80.
    spend = spend_rows(("linear", "A", "2025-01", 50.0), ("linear", "B", "2025-01", 40.0))

    result = bootstrap_roi_intervals(TWO_CONVERSIONS, spend, group_columns=GROUPS, seed=1).set_index("channel")

    assert result.loc["A", ["attributed_revenue_rc", "attributed_margin_rc", "conversions"]].tolist() == [250, 100, 1.5]
    assert result.loc["A", ["roas", "roi"]].tolist() == pytest.approx([5.0, 1.0])
    assert result.loc["A", "cac"] == pytest.approx(100 / 3)
    assert result.loc["B", ["roas", "roi", "cac"]].tolist() == pytest.approx([1.25, -0.5, 80.0])
    assert (result["roi_ci_low"] <= result["roi"]).all() and (result["roi"] <= result["roi_ci_high"]).all()
    assert (result["roas_ci_low"] <= result["roas"]).all() and (result["roas"] <= result["roas_ci_high"]).all()


def test_bootstrap_moves_a_conversions_credits_together() -> None:
    # c1 is split evenly over A and B with the same spend: in every resample both get the
    # same weight × 20 of margin, so their intervals are identical.
    shared = contribution_rows(
        ("c1", "linear", "A", "2025-01", 0.5, 100.0, 40.0),
        ("c1", "linear", "B", "2025-01", 0.5, 100.0, 40.0),
        ("c2", "linear", "C", "2025-01", 1.0, 200.0, 80.0),
    )
    spend = spend_rows(*(("linear", channel, "2025-01", 10.0) for channel in "ABC"))

    result = bootstrap_roi_intervals(shared, spend, group_columns=GROUPS, seed=5).set_index("channel")

    interval = ["roi_ci_low", "roi_ci_high", "roas_ci_low", "roas_ci_high"]
    assert result.loc["A", interval].tolist() == result.loc["B", interval].tolist()


def random_contributions(rng: np.random.Generator, conversions: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    channels = ["display", "email", "paid_search", "paid_social"]
    rows = []
    for index in range(conversions):
        period = f"2025-0{1 + index % 3}"
        revenue = float(rng.gamma(2.0, 60.0))
        touched = rng.choice(channels, size=int(rng.integers(1, 4)), replace=False)
        for channel in touched:
            rows.append((f"conversion_{index:04d}", "linear", channel, period, 1 / len(touched), revenue, revenue / 3))
        rows.append((f"conversion_{index:04d}", "last_touch", touched[-1], period, 1.0, revenue, revenue / 3))
    spend = spend_rows(
        *(
            (model, channel, f"2025-0{month}", float(rng.uniform(500, 2_000)))
            for model in ("linear", "last_touch")
            for channel in channels
            for month in (1, 2, 3)
        )
    )
    return contribution_rows(*rows), spend


def test_bootstrap_is_reproducible_and_ignores_row_order() -> None:
    contributions, spend = random_contributions(np.random.default_rng(2), 300)
    options = {"group_columns": GROUPS, "resamples": 300, "seed": 42, "chunk_columns": ["period"]}

    first = bootstrap_roi_intervals(contributions, spend, **options)
    again = bootstrap_roi_intervals(contributions, spend, **options)
    shuffled = bootstrap_roi_intervals(
        contributions.sample(frac=1.0, random_state=1), spend.sample(frac=1.0, random_state=2), **options
    )
    other_seed = bootstrap_roi_intervals(contributions, spend, **{**options, "seed": 43})

    pd.testing.assert_frame_equal(first, again, check_exact=True)
    pd.testing.assert_frame_equal(first, shuffled, check_exact=True)
    assert not np.array_equal(first["roi_ci_low"], other_seed["roi_ci_low"])
    pd.testing.assert_series_equal(first["roi"], other_seed["roi"])  # point estimates do not depend on the seed


def test_bootstrap_chunk_does_not_depend_on_other_chunks() -> None:
    contributions, spend = random_contributions(np.random.default_rng(4), 150)
    options = {"group_columns": GROUPS, "resamples": 200, "seed": 9, "chunk_columns": ["period"]}

    everything = bootstrap_roi_intervals(contributions, spend, **options)
    january_only = bootstrap_roi_intervals(
        contributions[contributions["period"] == "2025-01"], spend[spend["period"] == "2025-01"], **options
    )

    pd.testing.assert_frame_equal(
        everything[everything["period"] == "2025-01"].reset_index(drop=True), january_only, check_exact=True
    )


def test_bootstrap_chunks_must_partition_conversions() -> None:
    spans_periods = contribution_rows(
        ("c1", "linear", "A", "2025-01", 0.5, 100.0, 40.0),
        ("c1", "linear", "B", "2025-02", 0.5, 100.0, 40.0),
    )
    with pytest.raises(ValueError, match="spans several chunks"):
        bootstrap_roi_intervals(
            spans_periods, spend_rows(), group_columns=GROUPS, seed=1, chunk_columns=["period"], resamples=10
        )


def test_bootstrap_without_spend_gives_nan_not_an_error() -> None:
    contributions = contribution_rows(
        ("c1", "linear", "A", "2025-01", 1.0, 100.0, 40.0),
        ("c2", "linear", "B", "2025-01", 1.0, 100.0, 40.0),
        ("c3", "linear", "organic_search", "2025-01", 1.0, 100.0, 40.0),
    )
    spend = spend_rows(
        ("linear", "A", "2025-01", 0.0),  # zero spend
        ("linear", "B", "2025-01", None),  # null spend
        ("linear", "C", "2025-01", 30.0),  # spend but no conversion
    )

    with np.errstate(all="raise"):
        result = bootstrap_roi_intervals(contributions, spend, group_columns=GROUPS, seed=1).set_index("channel")

    metrics = ["roas", "roi", "cac", "roi_ci_low", "roi_ci_high", "roas_ci_low", "roas_ci_high"]
    assert result.loc[["A", "B", "organic_search"], metrics].isna().all(axis=None)
    assert result.loc["A", "spend_rc"] == 0 and np.isnan(result.loc["B", "spend_rc"])
    assert np.isnan(result.loc["organic_search", "spend_rc"])  # no spend row at all
    assert result.loc["C", ["conversions", "attributed_margin_rc", "roi", "roi_ci_low", "roi_ci_high"]].tolist() == [
        0,
        0,
        -1,
        -1,
        -1,
    ]
    assert np.isnan(result.loc["C", "cac"])


def test_bootstrap_interval_covers_the_true_roi() -> None:
    # 200 independent datasets, one group each: conversions ~ Poisson(200), margins iid
    # Gamma(shape 2, scale 25) (mean 50), spend fixed at 8,000 → true ROI (200·50 − 8,000)/8,000 = 0.25.
    # A Poisson count matches the Poisson bootstrap (the number of conversions is random too).
    rng = np.random.default_rng(2024)
    datasets, expected_conversions, mean_margin, spend_rc = 200, 200, 50.0, 8_000.0
    sizes = rng.poisson(expected_conversions, size=datasets)
    dataset = np.repeat(np.arange(datasets), sizes)
    margin = rng.gamma(2.0, mean_margin / 2.0, size=dataset.size)
    contributions = pd.DataFrame(
        {
            "conversion_id": np.arange(dataset.size),
            "dataset": dataset,
            "credit": 1.0,
            "revenue_rc": 2.5 * margin,
            "margin_rc": margin,
        }
    )
    spend = pd.DataFrame({"dataset": np.arange(datasets), "spend_rc": spend_rc})
    true_roi = (expected_conversions * mean_margin - spend_rc) / spend_rc

    result = bootstrap_roi_intervals(contributions, spend, group_columns=["dataset"], resamples=400, seed=17)

    covered = ((result["roi_ci_low"] <= true_roi) & (true_roi <= result["roi_ci_high"])).mean()
    assert 0.90 <= covered <= 0.99, covered


# The ROI bootstrap as the pipeline runs it: draws per bootstrap group (spend plays no part), then intervals.
def _named_groups(*rows: tuple) -> pd.DataFrame:
    """Groups as the dbt models name them: (group_number, period_number, roi_grain, model, channel, platform,
    campaign_id, period)."""
    columns = ["group_number", "period_number", "roi_grain", "attribution_model", "channel", "platform"]
    return pd.DataFrame(list(rows), columns=[*columns, "campaign_id", "period"])


def test_intervals_from_draws_move_and_scale_the_quantiles_by_spend() -> None:
    """roi_ci = (q(margin) - spend) / spend and roas_ci = q(revenue) / spend, worked by hand; a group with spend
    but no draws resamples to nothing (roi -1, roas 0); null key parts match."""
    keys = ["roi_grain", "attribution_model", "channel", "platform", "campaign_id", "period"]
    draws = pd.DataFrame(
        [
            ("channel", "linear", "paid_search", None, None, "2025-01", 30.0, 90.0, 100.0, 250.0, 1000, 0.95),
            ("campaign", "linear", None, "google_ads", "7", "2025-01", 10.0, 20.0, 40.0, 60.0, 1000, 0.95),
        ],
        columns=[*keys, *DRAW_QUANTILE_COLUMNS, "bootstrap_resamples", "confidence_level"],
    )
    groups = pd.DataFrame(
        [
            ("campaign", "linear", None, "google_ads", "7", "2025-01", 40.0),
            ("channel", "linear", "paid_search", None, None, "2025-01", 60.0),
            ("channel", "linear", "display", None, None, "2025-01", 25.0),
        ],
        columns=[*keys, "spend_rc"],
    )

    result = roi_intervals_from_draws(groups, draws, resamples=1000, level=0.95)

    bounds = ["roi_ci_low", "roi_ci_high", "roas_ci_low", "roas_ci_high"]
    assert result[keys].equals(groups[keys])
    assert result.loc[0, bounds].tolist() == pytest.approx([(10 - 40) / 40, (20 - 40) / 40, 1.0, 1.5])
    assert result.loc[1, bounds].tolist() == pytest.approx([(30 - 60) / 60, (90 - 60) / 60, 100 / 60, 250 / 60])
    assert result.loc[2, bounds].tolist() == [-1.0, -1.0, 0.0, 0.0]
    assert (result["bootstrap_resamples"] == 1000).all() and (result["confidence_level"] == 0.95).all()

    with pytest.raises(ValueError, match="materialize attribution/roi_bootstrap_draws again"):
        roi_intervals_from_draws(groups, draws, resamples=2000, level=0.95)


def test_draws_equal_the_bootstrap_of_roi_itself_and_ignore_spend() -> None:
    """The draws' quantiles over spend give the intervals a bootstrap of ROI with spend fixed gives, to the bit:
    spend moves and scales every resample alike, so it only moves and scales the quantiles."""
    contributions, spend = random_contributions(np.random.default_rng(7), 200)
    names = contributions[GROUPS].drop_duplicates().sort_values(GROUPS, ignore_index=True)
    names["group_number"] = np.arange(1, len(names) + 1)
    names["period_number"] = names["period"].str.replace("-", "").astype("int64")
    groups = _named_groups(
        *(
            (row.group_number, row.period_number, "channel", row.attribution_model, row.channel, None, None, row.period)
            for row in names.itertuples()
        )
    )
    numbered = contributions.merge(names, on=GROUPS)
    pipeline_rows = pd.DataFrame(
        {
            "conversion_number": numbered["conversion_id"].str.split("_").str[1].astype("int64"),
            "group_number": numbered["group_number"],
            "period_number": numbered["period_number"],
            "credit": numbered["credit"],
            "revenue_rc": numbered["revenue_rc"],
            "margin_rc": numbered["margin_rc"],
        }
    )
    draws = roi_draw_quantiles(pipeline_rows, groups, resamples=300, level=0.9, seed=11)
    assert len(draws) == len(groups)
    with_spend = spend.merge(names, on=GROUPS).assign(roi_grain="channel", platform=None, campaign_id=None)
    intervals = roi_intervals_from_draws(with_spend, draws, resamples=300, level=0.9)

    direct = bootstrap_roi_intervals(
        pipeline_rows.rename(columns={"conversion_number": "conversion_id"}),
        with_spend[["period_number", "group_number", "spend_rc"]],
        group_columns=["period_number", "group_number"],
        chunk_columns=["period_number"],
        resamples=300,
        level=0.9,
        seed=11,
    )
    bounds = ["roi_ci_low", "roi_ci_high", "roas_ci_low", "roas_ci_high"]
    compared = with_spend[["group_number"]].assign(**{bound: intervals[bound].to_numpy(float) for bound in bounds})
    compared = compared.merge(direct, on="group_number", suffixes=("", "_direct"))
    assert len(compared) == len(with_spend) > 10
    for bound in bounds:
        np.testing.assert_array_equal(compared[bound].to_numpy(float), compared[f"{bound}_direct"].to_numpy(float))
    # twice the spend: the same draws, the ROAS bounds halved
    doubled = roi_intervals_from_draws(
        with_spend.assign(spend_rc=with_spend["spend_rc"] * 2), draws, resamples=300, level=0.9
    )
    np.testing.assert_allclose(
        doubled["roas_ci_high"].to_numpy(float) * 2, intervals["roas_ci_high"].to_numpy(float), rtol=1e-15
    )
