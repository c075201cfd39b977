"""The exact Shapley values against a hand-worked case and a second library.

The second library is ``mta`` (PyPI ``mta`` 0.0.9, test-only dependency): its ``MTA.shapley`` computes
the same game as the warehouse — v(S) = conversions of journeys whose channel set lies within S
(Zhao et al. 2018) — by enumerating coalitions in plain Python, sharing no code with
``shapley_values``' subset-sum transform.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.attribution import shapley_values


def test_three_channels_worked_by_hand() -> None:
    # v is a sum of unanimity games: {A} × 4 gives A 4; {A, B} × 2 gives A 1, B 1; {B, C} × 3 gives
    # B 1.5, C 1.5. So A 5, B 2.5, C 1.5 (sum 9 = the conversions).
    coalitions = pd.DataFrame(
        {"channels": [frozenset("A"), frozenset("AB"), frozenset("BC")], "conversions": [4, 2, 3]}
    )
    assert shapley_values(coalitions).to_dict() == pytest.approx({"A": 5.0, "B": 2.5, "C": 1.5})


def reference_shapley(paths: pd.DataFrame) -> pd.Series:
    mta = pytest.importorskip("mta")
    data = pd.DataFrame(
        {
            "path": [" > ".join(path) for path in paths["path"]],
            "total_conversions": paths["conversions"],
            "total_null": paths["non_conversions"],
        }
    )
    with contextlib.redirect_stdout(io.StringIO()):  # mta prints its timings
        model = mta.MTA(data=data, add_timepoints=False, allow_loops=True, sep=" > ").shapley(normalize=False)
    return pd.Series(model.attribution["shapley"], dtype=float).sort_index()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shapley_matches_the_mta_library(seed: int) -> None:
    rng = np.random.default_rng(seed)
    channels = ["direct", "display", "email", "organic_search", "paid_search", "paid_social"]
    rows = []
    for _ in range(40):
        path = tuple(rng.choice(channels, size=rng.integers(1, 6)))
        rows.append((path, int(rng.integers(0, 9)), int(rng.integers(0, 9))))
    paths = pd.DataFrame(rows, columns=["path", "conversions", "non_conversions"])
    coalitions = (
        pd.DataFrame({"channels": paths["path"].map(frozenset), "conversions": paths["conversions"]})
        .groupby("channels", as_index=False)["conversions"]
        .sum()
    )
    ours = shapley_values(coalitions)
    theirs = reference_shapley(paths).reindex(ours.index, fill_value=0.0)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-9)
    assert ours.sum() == pytest.approx(paths["conversions"].sum())
