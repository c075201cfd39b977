"""The glue between the dbt attribution models and the maths: what the attribution solver assets call.

``channel_weights`` turns the SQL path and channel-set counts into Markov removal effects and
Shapley values; ``roi_intervals`` bootstraps the ROI groups from integer-coded contributions.
Hand-worked examples, agreement with the generic functions they wrap, and the bootstrap's
reproducibility, independence of months and coverage.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.attribution import (
    PATH_SEPARATOR,
    ROI_GROUP_KEY_COLUMNS,
    SET_SEPARATOR,
    _canonical_contributions,
    _poisson_one_weights,
    bootstrap_roi_intervals,
    channel_weights,
    markov_removal_effects,
    markov_removal_effects_simulated,
    roi_intervals,
    shapley_values,
    split_joined,
)


def sql_paths(*rows: tuple[str, int, int]) -> pd.DataFrame:
    """Paths as int_attribution_paths hands them over: channels joined by ' > '."""
    return pd.DataFrame(rows, columns=["channel_path", "conversions", "non_conversions"])


def sql_sets(*rows: tuple[str, int]) -> pd.DataFrame:
    """Channel sets as int_attribution_channel_sets hands them over: joined by ' + '."""
    return pd.DataFrame(rows, columns=["channel_set", "conversions"])


def weights_of(result: pd.DataFrame, model: str, column: str) -> dict[str, float]:
    rows = result[result["attribution_model"] == model]
    return {channel: float(value) for channel, value in zip(rows["channel"], rows[column], strict=True)}


# ---------------------------------------------------------------------------
# channel_weights (int_attribution_channel_weights)
# ---------------------------------------------------------------------------


def test_split_joined_reads_the_sql_separators() -> None:
    paths = split_joined(pd.Series(["paid_search > email > paid_search", "direct"]), PATH_SEPARATOR)
    sets = split_joined(pd.Series(["email + paid_search"]), SET_SEPARATOR)

    assert paths.tolist() == [("paid_search", "email", "paid_search"), ("direct",)]
    assert sets.tolist() == [("email", "paid_search")]


def test_channel_weights_three_paths_worked_by_hand() -> None:
    # The hand-worked Markov example of the maths tests, handed over the way SQL does it:
    # start→A→B→conv, start→A→null, start→B→conv → removal effects A 1/2, B 1, shares 1/3, 2/3.
    # Shapley over the two converting journeys' sets {A, B} and {B}: A 1/2, B 1/2 + 1 = 3/2.
    paths = sql_paths(("A > B", 1, 0), ("A", 0, 1), ("B", 1, 0))
    sets = sql_sets(("A + B", 1), ("B", 1))

    result = channel_weights(paths, sets)

    assert result["attribution_model"].tolist() == ["markov", "markov", "shapley", "shapley"]
    assert weights_of(result, "markov", "removal_effect") == pytest.approx({"A": 0.5, "B": 1.0}, abs=1e-12)
    assert weights_of(result, "markov", "credit_share") == pytest.approx(
        {"A": float(Fraction(1, 3)), "B": float(Fraction(2, 3))}, abs=1e-12
    )
    assert weights_of(result, "markov", "conversion_probability") == pytest.approx({"A": 2 / 3, "B": 2 / 3})
    assert weights_of(result, "markov", "conversion_probability_removed") == pytest.approx({"A": 1 / 3, "B": 0.0})
    assert weights_of(result, "shapley", "shapley_value") == pytest.approx({"A": 0.5, "B": 1.5}, abs=1e-12)
    assert weights_of(result, "shapley", "credit_share") == pytest.approx({"A": 0.25, "B": 0.75}, abs=1e-12)
    # a model's own columns only: nulls elsewhere, so the table reads without guessing
    assert result.loc[result["attribution_model"] == "markov", "shapley_value"].isna().all()
    assert result.loc[result["attribution_model"] == "shapley", "removal_effect"].isna().all()


def test_channel_weights_equal_the_functions_they_wrap() -> None:
    rng = np.random.default_rng(5)
    channels = ["display", "email", "organic_search", "paid_search", "video"]
    counts: dict[str, tuple[int, int]] = {}
    for _ in range(60):
        path = PATH_SEPARATOR.join(rng.choice(channels, size=int(rng.integers(1, 6))))
        converted, not_converted = counts.get(path, (0, 0))
        counts[path] = (converted + int(rng.integers(0, 30)), not_converted + int(rng.integers(0, 90)))
    paths = sql_paths(*((path, converted, not_converted) for path, (converted, not_converted) in counts.items()))
    sets = paths.assign(
        channel_set=paths["channel_path"].map(lambda path: SET_SEPARATOR.join(sorted(set(path.split(PATH_SEPARATOR)))))
    )
    sets = sets[sets["conversions"] > 0].groupby("channel_set", as_index=False)["conversions"].sum()

    result = channel_weights(paths, sets)

    expected_markov = markov_removal_effects(
        pd.DataFrame(
            {
                "path": [tuple(path.split(PATH_SEPARATOR)) for path in paths["channel_path"]],
                "conversions": paths["conversions"],
                "non_conversions": paths["non_conversions"],
            }
        )
    )
    expected_shapley = shapley_values(
        pd.DataFrame(
            {
                "channels": [frozenset(key.split(SET_SEPARATOR)) for key in sets["channel_set"]],
                "conversions": sets["conversions"],
            }
        )
    )
    assert weights_of(result, "markov", "removal_effect") == pytest.approx(
        dict(zip(expected_markov["channel"], expected_markov["removal_effect"], strict=True)), abs=1e-12
    )
    assert weights_of(result, "shapley", "shapley_value") == pytest.approx(expected_shapley.to_dict(), abs=1e-12)
    second_order = markov_removal_effects(
        pd.DataFrame(
            {
                "path": [tuple(path.split(PATH_SEPARATOR)) for path in paths["channel_path"]],
                "conversions": paths["conversions"],
                "non_conversions": paths["non_conversions"],
            }
        ),
        order=2,
    )
    assert weights_of(result, "markov", "second_order_credit_share") == pytest.approx(
        dict(zip(second_order["channel"], second_order["share"], strict=True)), abs=1e-12
    )
    assert sum(weights_of(result, "shapley", "shapley_value").values()) == pytest.approx(sets["conversions"].sum())


def test_channel_weights_exact_markov_agrees_with_simulation() -> None:
    paths = sql_paths(
        ("organic_search > paid_search", 40, 160),
        ("paid_search", 25, 300),
        ("display > paid_search > email", 12, 30),
        ("display", 0, 400),
        ("email > direct", 20, 60),
        ("direct", 30, 150),
    )
    exact = channel_weights(paths, sql_sets(("paid_search", 1)))
    simulated = markov_removal_effects_simulated(
        pd.DataFrame(
            {
                "path": split_joined(paths["channel_path"], PATH_SEPARATOR),
                "conversions": paths["conversions"],
                "non_conversions": paths["non_conversions"],
            }
        ),
        walks=400_000,
        seed=3,
    )

    shares = weights_of(exact, "markov", "credit_share")
    assert list(shares) == simulated["channel"].tolist()
    np.testing.assert_allclose(list(shares.values()), simulated["share"], atol=0.01)


def test_channel_weights_of_nothing_is_an_empty_typed_table() -> None:
    result = channel_weights(sql_paths(), sql_sets())

    assert result.empty
    assert list(result.columns) == [
        "attribution_model",
        "channel",
        "removal_effect",
        "conversion_probability",
        "conversion_probability_removed",
        "shapley_value",
        "credit_share",
        "second_order_removal_effect",
        "second_order_credit_share",
        "value_removal_effect",
        "value_credit_share",
    ]
    assert str(result["credit_share"].dtype) == "Float64"


def test_channel_weights_without_conversions_gives_zero_shares() -> None:
    result = channel_weights(sql_paths(("A > B", 0, 5), ("B", 0, 2)), sql_sets())

    assert weights_of(result, "markov", "credit_share") == {"A": 0.0, "B": 0.0}
    assert (result["attribution_model"] == "markov").all()


# ---------------------------------------------------------------------------
# roi_intervals (int_roi_bootstrap_intervals)
# ---------------------------------------------------------------------------


def roi_groups(*rows: tuple[int, int, str, str, str | None, str | None, str | None, str, float]) -> pd.DataFrame:
    columns = ["group_number", "period_number", *ROI_GROUP_KEY_COLUMNS, "spend_rc"]
    return pd.DataFrame(rows, columns=columns)


def contributions_frame(*rows: tuple[int, int, int, float, float, float]) -> pd.DataFrame:
    columns = ["group_number", "period_number", "conversion_number", "credit", "revenue_rc", "margin_rc"]
    return pd.DataFrame(rows, columns=columns)


GROUPS = roi_groups(
    (1, 202501, "channel", "linear", "paid_search", None, None, "2025-01", 50.0),
    (2, 202501, "campaign", "linear", None, "google_ads", "1", "2025-01", 30.0),
    (3, 202502, "channel", "linear", "display", None, None, "2025-02", 40.0),
)


def test_roi_intervals_one_row_per_group_with_its_names() -> None:
    contributions = contributions_frame(
        (1, 202501, 1, 0.5, 100.0, 40.0),
        (1, 202501, 2, 1.0, 200.0, 80.0),
        (2, 202501, 2, 1.0, 200.0, 80.0),
    )

    result = roi_intervals(contributions, GROUPS, resamples=1000, level=0.95, seed=1)

    assert result[list(ROI_GROUP_KEY_COLUMNS)].astype(object).where(result.notna(), None).values.tolist() == [
        ["channel", "linear", "paid_search", None, None, "2025-01"],
        ["campaign", "linear", None, "google_ads", "1", "2025-01"],
        ["channel", "linear", "display", None, None, "2025-02"],
    ]
    assert (result["bootstrap_resamples"] == 1000).all() and (result["confidence_level"] == 0.95).all()
    # paid_search: margin 0.5·40 + 80 = 100 on spend 50 → roi 1, which the interval brackets
    paid_search = result.iloc[0]
    assert paid_search["roi_ci_low"] <= 1.0 <= paid_search["roi_ci_high"]
    assert paid_search["roi_ci_low"] >= -1.0  # margins are positive: never below losing all spend
    # display spent 40 without conversions: every resample loses everything
    assert result.iloc[2][["roi_ci_low", "roi_ci_high", "roas_ci_low", "roas_ci_high"]].tolist() == [-1, -1, 0, 0]


def test_roi_intervals_equal_the_generic_bootstrap_with_string_keys() -> None:
    rng = np.random.default_rng(8)
    rows = []
    for conversion in range(400):
        period = 202501 + conversion % 3
        revenue = float(rng.gamma(2.0, 60.0))
        for group in rng.choice([1, 2, 3], size=int(rng.integers(1, 3)), replace=False):
            rows.append((int(group) + 10 * (period - 202501), period, conversion, 0.5, revenue, 0.4 * revenue))
    contributions = contributions_frame(*rows)
    groups = pd.DataFrame(
        [
            (
                number,
                202501 + number // 10,
                "channel",
                "linear",
                f"channel_{number}",
                None,
                None,
                f"p{number // 10}",
                500.0,
            )
            for number in sorted(set(contributions["group_number"]))
        ],
        columns=["group_number", "period_number", *ROI_GROUP_KEY_COLUMNS, "spend_rc"],
    )

    fast = roi_intervals(contributions, groups, resamples=300, level=0.9, seed=11)
    generic = bootstrap_roi_intervals(
        contributions.rename(columns={"conversion_number": "conversion_id"})
        .astype({"conversion_id": str})
        .assign(conversion_id=lambda frame: frame["conversion_id"].str.zfill(5)),
        groups[["period_number", "group_number", "spend_rc"]],
        group_columns=["period_number", "group_number"],
        resamples=300,
        level=0.9,
        seed=11,
        chunk_columns=["period_number"],
    )

    np.testing.assert_array_equal(fast["roi_ci_low"].to_numpy(float), generic["roi_ci_low"].to_numpy(float))
    np.testing.assert_array_equal(fast["roas_ci_high"].to_numpy(float), generic["roas_ci_high"].to_numpy(float))


def test_roi_intervals_are_reproducible_and_months_independent() -> None:
    contributions = contributions_frame(
        *(
            (1 if conversion % 2 else 3, 202501 if conversion % 2 else 202502, conversion, 1.0, 50.0, 20.0)
            for conversion in range(60)
        )
    )
    options = {"resamples": 500, "level": 0.95, "seed": 20250101}

    first = roi_intervals(contributions, GROUPS, **options)
    shuffled = roi_intervals(contributions.sample(frac=1.0, random_state=3), GROUPS.iloc[::-1], **options)
    january = roi_intervals(contributions[contributions["period_number"] == 202501], GROUPS.iloc[:2], **options)

    pd.testing.assert_frame_equal(first, shuffled.iloc[::-1].reset_index(drop=True))  # groups in reverse
    pd.testing.assert_frame_equal(first.iloc[:2].reset_index(drop=True), january)


def test_roi_intervals_reject_unknown_groups() -> None:
    with pytest.raises(ValueError, match="missing from groups"):
        roi_intervals(contributions_frame((9, 202501, 1, 1.0, 10.0, 5.0)), GROUPS, resamples=1000, level=0.95, seed=1)


def test_roi_intervals_cover_the_true_roi() -> None:
    # 150 independent months, one channel group each: conversions ~ Poisson(150), margin iid
    # Gamma(2, 20) (mean 40), spend 5,000 → true ROI (150·40 − 5,000)/5,000 = 0.2. About 95 % of
    # the 95 % intervals must cover it.
    rng = np.random.default_rng(31)
    months, expected_conversions, mean_margin, spend_rc = 150, 150, 40.0, 5_000.0
    sizes = rng.poisson(expected_conversions, size=months)
    month = np.repeat(np.arange(months), sizes)
    margin = rng.gamma(2.0, mean_margin / 2.0, size=month.size)
    contributions = pd.DataFrame(
        {
            "group_number": month + 1,
            "period_number": month,
            "conversion_number": np.arange(month.size),
            "credit": 1.0,
            "revenue_rc": 3 * margin,
            "margin_rc": margin,
        }
    )
    groups = pd.DataFrame(
        {
            "group_number": np.arange(months) + 1,
            "period_number": np.arange(months),
            "roi_grain": "channel",
            "attribution_model": "linear",
            "channel": "paid_search",
            "platform": None,
            "campaign_id": None,
            "period": [f"m{index}" for index in range(months)],
            "spend_rc": spend_rc,
        }
    )
    true_roi = (expected_conversions * mean_margin - spend_rc) / spend_rc

    result = roi_intervals(contributions, groups, resamples=1000, level=0.95, seed=5)

    covered = ((result["roi_ci_low"] <= true_roi) & (true_roi <= result["roi_ci_high"])).mean()
    assert 0.90 <= covered <= 0.99, covered


# ---------------------------------------------------------------------------
# The bootstrap's fast paths
# ---------------------------------------------------------------------------


def test_poisson_one_weights_have_the_poisson_distribution() -> None:
    weights = _poisson_one_weights(np.random.default_rng(12), (2_000, 1_000))

    assert weights.dtype == np.float32
    frequencies = np.bincount(weights.astype(np.int64).ravel(), minlength=6)[:6] / weights.size
    expected = [math.exp(-1.0) / math.factorial(k) for k in range(6)]
    np.testing.assert_allclose(frequencies, expected, atol=2e-3)
    assert float(weights.mean()) == pytest.approx(1.0, abs=3e-3)
    assert float(weights.var()) == pytest.approx(1.0, abs=5e-3)


def test_integer_keys_sort_like_the_full_sort() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "conversion_id": rng.permutation(5_000),
            "period_number": rng.integers(202501, 202513, size=5_000),
            "group_number": rng.integers(1, 400, size=5_000),
            "credit": rng.random(5_000),
            "revenue_rc": rng.random(5_000),
            "margin_rc": rng.random(5_000),
        }
    )
    with_duplicates = pd.concat([frame, frame.iloc[:10].assign(credit=0.5)], ignore_index=True)

    for rows in (frame, with_duplicates):
        canonical = _canonical_contributions(rows, ["period_number", "group_number"])
        slow = canonical.sort_values(list(canonical.columns), kind="stable", ignore_index=True)
        pd.testing.assert_frame_equal(canonical, slow)
