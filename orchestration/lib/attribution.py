"""The maths behind the data-driven attribution models and the ROI confidence intervals.

Journeys are built in SQL; Python only ever sees aggregates:

* distinct channel paths with their converting and non-converting counts, for the
  Markov removal effect (:func:`markov_removal_effects`);
* distinct channel sets of converting journeys with their counts, for the Shapley
  value (:func:`shapley_values`, :func:`shapley_conversion_shares`);
* per-conversion credit rows, for the journey bootstrap of ROI and ROAS
  (:func:`bootstrap_roi_intervals`).

Nothing here loops in Python over touchpoints or conversions: the heavy lifting is
numpy/scipy on integer codes. Every function is pure and deterministic (the random
ones take a seed).

Markov chain conventions
------------------------
A journey is ``start → touch₁ → … → touchₙ → (conversion | null)``. For order 1 the
transient states are ``start`` and the channels; for order ``k`` a state is the tuple
of the last ``k`` channels (shorter at the beginning of a journey, so ``(A,)`` then
``(A, B)`` for order 2). A path that repeats a channel gives a self-loop. Removing a
channel sends every transition into a state that contains it to ``null``. The absorbing
chain is solved exactly: the conversion probability from ``start`` is ``x[start]`` with
``(I − Q) x = r`` (``Q`` transient → transient, ``r`` transient → conversion), one linear
solve for the full chain and one per removed channel.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

MAX_SHAPLEY_CHANNELS = 20
"""2^20 coalitions (8 MiB per array) — well past the 16 channels the models need."""

_DENSE_SOLVE_MAX_STATES = 1_000
_DENSE_COUNT_MAX_CELLS = 4_000_000
_BOOTSTRAP_BLOCK_ELEMENTS = 4_000_000
"""Poisson weights drawn at once (resamples × conversions): about 32 MiB as float64."""


# ---------------------------------------------------------------------------
# Markov chain
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TransitionCounts:
    """Observed transition counts of the journey chain.

    ``counts`` is square over all states: index 0 is ``start``, ``1 … len(states)``
    the channel states, then ``conversion`` and ``null`` (absorbing, no outgoing row).
    ``membership[i, c]`` says whether transient state ``i`` contains ``channels[c]``
    (row 0, ``start``, contains none).
    """

    channels: tuple[str, ...]
    states: tuple[tuple[str, ...], ...]
    membership: np.ndarray
    counts: sp.csr_matrix

    @property
    def n_transient(self) -> int:
        """``start`` plus the channel states."""
        return len(self.states) + 1

    @property
    def conversion_index(self) -> int:
        return self.n_transient

    @property
    def null_index(self) -> int:
        return self.n_transient + 1


def transition_counts(paths: pd.DataFrame, *, order: int = 1) -> TransitionCounts:
    """Count the chain's transitions from distinct paths and their outcome counts.

    ``paths`` has ``path`` (tuple of channel names, length ≥ 1), ``conversions`` and
    ``non_conversions`` (counts ≥ 0), one row per distinct path (repeated paths are
    simply added up). Every transition of a path is weighted by the path's journey
    count; its last state goes to ``conversion`` ``conversions`` times and to ``null``
    ``non_conversions`` times. Paths with no journeys add no transitions, but their
    channels are still listed (with removal effect 0).
    """
    if order < 1:
        raise ValueError(f"order must be ≥ 1, got {order}")
    frame = _validated_paths(paths)
    converting = frame["conversions"].to_numpy(np.float64)
    journeys = converting + frame["non_conversions"].to_numpy(np.float64)

    # One entry per (distinct path, position): the only per-touch arrays, flattened in C, coded by pandas.
    path_column = frame["path"].to_numpy(dtype=object)
    lengths = np.fromiter(map(len, path_column), dtype=np.int64, count=path_column.size)
    if (lengths < 1).any():
        raise ValueError("every path needs at least one channel (an empty path cannot be a journey)")
    flat = np.fromiter(itertools.chain.from_iterable(path_column), dtype=object, count=int(lengths.sum()))
    codes, uniques = pd.factorize(flat, sort=True)
    if (codes < 0).any():
        raise ValueError("channel names in paths must not be null")
    codes = codes.astype(np.int64)
    path_of_touch = np.repeat(np.arange(path_column.size), lengths)
    channels = tuple(str(channel) for channel in uniques)
    n_channels = len(channels)
    if order * math.log2(n_channels + 2) > 62:
        raise ValueError(f"order {order} with {n_channels} channels does not fit the int64 state encoding")

    first_touch = np.cumsum(lengths) - lengths
    position = np.arange(codes.size) - np.repeat(first_touch, lengths)

    # State of a touch = its last `order` channel codes (oldest first, -1 before the journey starts),
    # packed into one int64 in base n_channels + 1.
    state_key = np.zeros(codes.size, dtype=np.int64)
    for lag in range(order - 1, -1, -1):
        lagged = np.full(codes.size, -1, dtype=np.int64)
        lagged[lag:] = codes[: codes.size - lag]
        lagged[position < lag] = -1
        state_key = state_key * (n_channels + 1) + (lagged + 1)
    unique_keys, state_of_touch = _dense_codes(state_key, (n_channels + 1) ** order)
    state_of_touch += 1  # 0 is `start`

    # Decode the state keys back into channel codes for labels and membership.
    digits = np.empty((unique_keys.size, order), dtype=np.int64)
    remaining = unique_keys.copy()
    for lag in range(order):
        digits[:, order - 1 - lag] = remaining % (n_channels + 1) - 1
        remaining //= n_channels + 1
    membership = np.zeros((unique_keys.size + 1, n_channels), dtype=bool)
    rows, cols = np.nonzero(digits >= 0)
    membership[rows + 1, digits[rows, cols]] = True
    states = tuple(tuple(channels[code] for code in row if code >= 0) for row in digits.tolist())

    n_transient = unique_keys.size + 1
    n_states = n_transient + 2
    previous_state = np.empty_like(state_of_touch)
    previous_state[1:] = state_of_touch[:-1]
    previous_state[position == 0] = 0
    last_touch = first_touch + lengths - 1
    last_state = state_of_touch[last_touch]

    source = np.concatenate([previous_state, last_state, last_state])
    target = np.concatenate(
        [
            state_of_touch,
            np.full(last_state.size, n_transient),  # conversion
            np.full(last_state.size, n_transient + 1),  # null
        ]
    )
    weight = np.concatenate([journeys[path_of_touch], converting, journeys - converting])
    if n_states * n_states <= _DENSE_COUNT_MAX_CELLS:
        cells = np.bincount(source * n_states + target, weights=weight, minlength=n_states * n_states)
        counts = sp.csr_matrix(cells.reshape(n_states, n_states), dtype=np.float64)
    else:
        counts = sp.coo_matrix((weight, (source, target)), shape=(n_states, n_states)).tocsr()
        counts.sum_duplicates()
        counts.eliminate_zeros()
    return TransitionCounts(channels=channels, states=states, membership=membership, counts=counts)


def _dense_codes(keys: np.ndarray, key_space: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` in O(n) when the keys are small non-negative integers."""
    if key_space > _DENSE_COUNT_MAX_CELLS:
        unique_keys, inverse = np.unique(keys, return_inverse=True)
        return unique_keys, inverse.astype(np.int64)
    present = np.bincount(keys, minlength=key_space) > 0
    code_of_key = np.cumsum(present) - 1
    return np.flatnonzero(present).astype(np.int64), code_of_key[keys].astype(np.int64)


def transition_probabilities(counts: TransitionCounts) -> sp.csr_matrix:
    """Row-normalise the counts; rows without observations (absorbing states) stay empty."""
    row_totals = np.asarray(counts.counts.sum(axis=1), dtype=np.float64).ravel()
    inverse = np.divide(1.0, row_totals, out=np.zeros_like(row_totals), where=row_totals > 0)
    probabilities = sp.diags_array(inverse) @ counts.counts
    return sp.csr_matrix(probabilities)


def markov_removal_effects(paths: pd.DataFrame, *, order: int = 1) -> pd.DataFrame:
    """Removal effect and credit share of each channel in the absorbing Markov chain, solved exactly.

    Returns one row per channel (sorted by name) with

    * ``removal_effect`` = (P(conv) − P(conv with the channel removed)) / P(conv), in [0, 1];
    * ``share`` = removal effects normalised to sum to 1 — multiply by the conversion count to
      hand out Markov credit;
    * ``conversion_probability_removed`` = P(conv with the channel removed);
    * ``conversion_probability`` = P(conv) of the full chain (the same on every row; also in
      ``result.attrs["conversion_probability"]``).

    With no conversions at all P(conv) is 0 and the ratios are undefined: removal effects and
    shares are then 0 (not NaN), so the shares sum to 0 — there is no credit to hand out.
    A single channel gets share 1. A channel the chain cannot convert without (e.g. the first touch of
    every journey) has removal effect 1; a channel that is merely in every journey may not, because a
    first-order chain forgets what came before (use ``order=2`` to remember one more step).
    """
    counts = transition_counts(paths, order=order)
    probabilities = transition_probabilities(counts)
    n_transient = counts.n_transient
    transient_to_transient: np.ndarray | sp.csr_matrix = probabilities[:n_transient, :n_transient]
    if n_transient <= _DENSE_SOLVE_MAX_STATES:
        transient_to_transient = transient_to_transient.toarray()
    transient_to_conversion = probabilities[:n_transient, counts.conversion_index].toarray().ravel()

    everything = np.ones(n_transient, dtype=bool)
    base = _absorption_probability(transient_to_transient, transient_to_conversion, everything)
    removed = np.array(
        [
            _absorption_probability(transient_to_transient, transient_to_conversion, ~counts.membership[:, channel])
            for channel in range(len(counts.channels))
        ],
        dtype=np.float64,
    )
    return _removal_effect_frame(counts.channels, base, removed)


def markov_value_removal_effects(paths: pd.DataFrame, *, order: int = 1) -> pd.DataFrame:
    """Value-weighted removal effects: ChannelAttribution's ``var_value``, solved exactly.

    ``paths`` as for :func:`markov_removal_effects` plus ``value``: the total value (revenue) of the
    path's conversions. The chain is the same; a walk that converts from a state earns the mean
    value of the observed conversions that ended in that state, so the expected value from ``start``
    is ``x[start]`` with ``(I − Q) x = r_v``, ``r_v[s]`` = P(s → conversion) × mean value at s.
    Returns one row per channel with ``value_removal_effect`` = (E[value] − E[value without the
    channel]) / E[value] and ``value_share`` (normalised to 1), both 0 when there is no value.
    """
    _require_columns(paths, ["path", "conversions", "non_conversions", "value"])
    frame = _validated_paths(paths)
    values = _finite_non_negative(paths["value"].reset_index(drop=True), "value")
    counts = transition_counts(frame, order=order)
    # The same paths give the same states, so the value counts line up with the journey counts.
    valued = transition_counts(
        pd.DataFrame({"path": frame["path"], "conversions": values, "non_conversions": 0.0}), order=order
    )
    probabilities = transition_probabilities(counts)
    n_transient = counts.n_transient
    transient_to_transient: np.ndarray | sp.csr_matrix = probabilities[:n_transient, :n_transient]
    if n_transient <= _DENSE_SOLVE_MAX_STATES:
        transient_to_transient = transient_to_transient.toarray()
    to_conversion = probabilities[:n_transient, counts.conversion_index].toarray().ravel()
    conversions_from = counts.counts[:n_transient, counts.conversion_index].toarray().ravel()
    value_from = valued.counts[:n_transient, valued.conversion_index].toarray().ravel()
    mean_value = np.divide(value_from, conversions_from, out=np.zeros(n_transient), where=conversions_from > 0)
    reward = to_conversion * mean_value

    base = _absorption_probability(transient_to_transient, reward, np.ones(n_transient, dtype=bool))
    removed = np.array(
        [
            _absorption_probability(transient_to_transient, reward, ~counts.membership[:, channel])
            for channel in range(len(counts.channels))
        ],
        dtype=np.float64,
    )
    effects = _removal_effect_frame(counts.channels, base, removed)
    return effects[["channel", "removal_effect", "share"]].rename(
        columns={"removal_effect": "value_removal_effect", "share": "value_share"}
    )


def markov_removal_effects_simulated(paths: pd.DataFrame, *, walks: int, seed: int, order: int = 1) -> pd.DataFrame:
    """The same quantities as :func:`markov_removal_effects`, estimated by Monte-Carlo random walks.

    Exists for the benchmark and the agreement test. ``walks`` walkers start in ``start`` and
    step (all at once, vectorised) through the same transition matrix until absorbed. Removal
    uses common random numbers: in the chain without channel c a walk is identical to the full
    chain's walk until it first enters a state containing c, and then goes to ``null``. So
    P(conv without c) is the share of walks that convert without visiting c, and the removal
    effect is the share of converting walks that visited c. Up to 64 channels (one bit each).
    """
    if walks < 1:
        raise ValueError(f"walks must be ≥ 1, got {walks}")
    counts = transition_counts(paths, order=order)
    n_channels = len(counts.channels)
    if n_channels > 64:
        raise ValueError("the simulation tracks visited channels in 64 bits; use markov_removal_effects")
    probabilities = transition_probabilities(counts)
    probabilities.sort_indices()

    # Sampling a row of a CSR matrix for many walkers at once: the keys `row + cumulative probability`
    # increase over the whole matrix, so `searchsorted(keys, row + u)` picks the next state of every walker.
    entries_per_row = np.diff(probabilities.indptr)
    row_of_entry = np.repeat(np.arange(probabilities.shape[0]), entries_per_row)
    running = np.concatenate([[0.0], np.cumsum(probabilities.data)])
    within_row = running[1:] - running[probabilities.indptr[row_of_entry]]
    within_row[probabilities.indptr[1:][entries_per_row > 0] - 1] = 1.0
    keys = row_of_entry + within_row
    row_end = probabilities.indptr[1:].astype(np.int64) - 1
    targets = probabilities.indices.astype(np.int64)

    bits = np.zeros(probabilities.shape[0], dtype=np.uint64)
    channel_bits = np.left_shift(np.uint64(1), np.arange(n_channels, dtype=np.uint64))
    bits[: counts.n_transient] = (counts.membership.astype(np.uint64) * channel_bits).sum(axis=1, dtype=np.uint64)

    rng = np.random.default_rng(seed)
    converted_visits: list[np.ndarray] = []
    if entries_per_row[0] > 0:
        state = np.zeros(walks, dtype=np.int64)
        visited = np.zeros(walks, dtype=np.uint64)
        while state.size:
            entry = np.searchsorted(keys, state + rng.random(state.size), side="right")
            entry = np.minimum(entry, row_end[state])  # `row + u` may round up to `row + 1` for u ≈ 1
            state = targets[entry]
            visited |= bits[state]
            converted_visits.append(visited[state == counts.conversion_index])
            active = state < counts.n_transient
            state, visited = state[active], visited[active]
    visits = np.concatenate(converted_visits) if converted_visits else np.zeros(0, dtype=np.uint64)

    base = visits.size / walks
    with_channel = ((visits[:, None] & channel_bits[None, :]) != 0).sum(axis=0)
    removed = (visits.size - with_channel) / walks
    result = _removal_effect_frame(counts.channels, base, removed)
    result.attrs.update(walks=walks, seed=seed)
    return result


def _validated_paths(paths: pd.DataFrame) -> pd.DataFrame:
    missing = {"path", "conversions", "non_conversions"} - set(paths.columns)
    if missing:
        raise ValueError(f"paths is missing columns {sorted(missing)}")
    frame = paths[["path", "conversions", "non_conversions"]].reset_index(drop=True)
    for column in ("conversions", "non_conversions"):
        values = pd.to_numeric(frame[column]).to_numpy(np.float64)
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError(f"{column} must be finite counts ≥ 0")
    return frame


def _absorption_probability(
    transient_to_transient: np.ndarray | sp.csr_matrix, transient_to_conversion: np.ndarray, keep: np.ndarray
) -> float:
    """P(absorbed in conversion | start) with only the ``keep`` states (``start`` = index 0, always kept).

    Dropping a state's row and column sends every transition into it to ``null``. The reduced
    ``I − Q`` is non-singular: every observed state has a path to absorption.
    """
    kept = np.flatnonzero(keep)
    r = transient_to_conversion[kept]
    if isinstance(transient_to_transient, np.ndarray):
        q = transient_to_transient[np.ix_(kept, kept)]
        solution = np.linalg.solve(np.eye(kept.size) - q, r)
    else:
        q = transient_to_transient[kept][:, kept]
        solution = spla.spsolve(sp.csc_matrix(sp.identity(kept.size) - q), r)
    return float(solution[0])


def _removal_effect_frame(channels: Sequence[str], base: float, removed: np.ndarray) -> pd.DataFrame:
    removed = np.minimum(removed, base)  # removal never raises P(conv); clip float noise
    effect = np.divide(base - removed, base, out=np.zeros_like(removed), where=base > 0)
    total = effect.sum()
    share = np.divide(effect, total, out=np.zeros_like(effect), where=total > 0)
    result = pd.DataFrame(
        {
            "channel": list(channels),
            "removal_effect": effect,
            "share": share,
            "conversion_probability_removed": removed,
            "conversion_probability": np.full(len(channels), base),
        }
    )
    result.attrs["conversion_probability"] = base
    return result


# ---------------------------------------------------------------------------
# Markov credit per conversion: iterative proportional fitting
# ---------------------------------------------------------------------------

MARKOV_FIT_TOLERANCE = 1e-9
"""The fit stops once every channel's credited conversions are within this share of all conversions of
its target (removal-effect share × conversions): 1e-9 of 100,000 conversions is 0.0001 of a conversion."""
MARKOV_FIT_MAX_ITERATIONS = 10_000
MARKOV_REVENUE_FIT_MAX_ITERATIONS = 1_000
"""Rounds the joint (conversions and revenue) fit may take before the revenue targets are given up as out of
reach; the conversion-only fit then decides the credits. It also gives up sooner, when 100 rounds have
not halved its gap (a reachable fit converges geometrically: 30 rounds on the sample)."""
_REVENUE_FIT_STALL_ROUNDS = 100


@dataclass(frozen=True)
class MarkovCreditFit:
    """Conversion-level Markov credit fitted to the removal-effect totals.

    ``credits``: one row per (row of the input, channel of the row) with ``set_number`` (the input
    row), ``channels`` (its channel set), ``channel`` and ``credit`` — the share of ONE conversion of
    that row the channel gets. A row's credits sum to 1 and are positive only on its own channels.
    ``targets`` / ``fitted``: conversions per channel the totals should reach (share × conversions) /
    actually reach (Σ row conversions × credit); with a revenue constraint, ``value_targets`` /
    ``value_fitted`` likewise for revenue (value share × revenue; Σ row revenue × credit), else None.
    ``max_gap``: the largest |fitted − target| as a share of all conversions (of all revenue for the
    revenue constraint); ``converged`` says whether it reached ``tolerance`` within ``max_iterations``
    (it cannot when no credits over the journeys' own channels reach the targets: the fit then ends
    as close as it got, still with every conversion's credits summing to 1).
    """

    credits: pd.DataFrame
    targets: pd.Series
    fitted: pd.Series
    iterations: int
    max_gap: float
    converged: bool
    value_targets: pd.Series | None = None
    value_fitted: pd.Series | None = None


def fit_markov_credits(
    coalitions: pd.DataFrame,
    shares: pd.Series,
    *,
    value_shares: pd.Series | None = None,
    tolerance: float = MARKOV_FIT_TOLERANCE,
    max_iterations: int = MARKOV_FIT_MAX_ITERATIONS,
) -> MarkovCreditFit:
    """Split each conversion over its own channels so that the channel totals are the Markov totals.

    ChannelAttribution and the Markov literature define a channel's conversions as its normalised
    removal effect × the conversions (``shares``, from :func:`markov_removal_effects`), and its revenue
    as its value-weighted normalised removal effect × the revenue (``value_shares``, from
    :func:`markov_value_removal_effects`; ChannelAttribution's ``var_value``). Splitting each
    conversion over its own channels in proportion to their removal effects does not reach those
    totals: a channel that mostly appears next to others is starved. Iterative proportional fitting
    keeps the per-conversion view and reaches them:

    * a matrix of (row × channel) credits, non-zero only where the channel is in the row's set,
      seeded with the removal-effect split (a row whose channels all have removal effect 0 starts
      with an equal split);
    * scale each channel's column so that Σ rows conversions × credit = share × conversions;
    * with ``value_shares``: tilt each channel's column by exp(δ · revenue per conversion of the row
      / mean revenue per conversion), δ from one Newton step, so that Σ rows revenue × credit moves
      to value share × revenue (this is the I-projection onto that constraint, linearised);
    * scale each row back to 1; repeat until every channel is within ``tolerance`` of its targets
      (as a share of all conversions, of all revenue). The last step is always the row step, so
      every conversion's credits sum to 1 exactly.

    The result is the matrix closest to the removal-effect split (in Kullback–Leibler divergence)
    with those row and column sums; when none exists, the fit stops after ``max_iterations``
    with ``converged`` false and reports its gap.

    ``coalitions``: ``channels`` (frozenset, non-empty) and ``conversions`` (count ≥ 0), one row per
    group of conversions that share a split: a distinct channel set when only conversions are
    fitted; one conversion (``conversions`` 1) with its ``revenue`` when revenue is fitted too.
    ``shares`` / ``value_shares``: channel → share (≥ 0); a channel missing has share 0.
    """
    if tolerance <= 0:
        raise ValueError(f"tolerance must be > 0, got {tolerance}")
    if max_iterations < 1:
        raise ValueError(f"max_iterations must be ≥ 1, got {max_iterations}")
    _require_columns(coalitions, ["channels", "conversions"] + (["revenue"] if value_shares is not None else []))
    frame = coalitions.reset_index(drop=True)
    counts = _finite_non_negative(frame["conversions"], "conversions")
    revenue = _finite_non_negative(frame["revenue"], "revenue") if value_shares is not None else None

    members = frame["channels"].map(sorted).explode()
    if members.isna().any():
        raise ValueError("every channel set needs at least one channel")
    row = members.index.to_numpy(np.int64)
    codes, uniques = pd.factorize(members.to_numpy(dtype=object), sort=True)
    channels = pd.Index([str(channel) for channel in uniques], name="channel")
    fit = _fit_credit_matrix(
        row,
        codes.astype(np.int64),
        counts,
        _shares_of(shares, channels),
        revenue,
        None if value_shares is None else _shares_of(value_shares, channels),
        tolerance=tolerance,
        max_iterations=max_iterations,
    )
    credits = pd.DataFrame(
        {
            "set_number": row,
            "channels": frame["channels"].to_numpy(dtype=object)[row],
            "channel": channels.to_numpy(dtype=object)[codes],
            "credit": fit["credit"],
        }
    )
    return MarkovCreditFit(
        credits=credits,
        targets=pd.Series(fit["target"], index=channels, name="target_conversions"),
        fitted=pd.Series(fit["fitted"], index=channels, name="fitted_conversions"),
        iterations=fit["iterations"],
        max_gap=fit["gap"],
        converged=fit["gap"] <= tolerance,
        value_targets=None if revenue is None else pd.Series(fit["value_target"], index=channels),
        value_fitted=None if revenue is None else pd.Series(fit["value_fitted"], index=channels),
    )


def _finite_non_negative(values: pd.Series, name: str) -> np.ndarray:
    array = pd.to_numeric(values).to_numpy(np.float64)
    if not np.isfinite(array).all() or (array < 0).any():
        raise ValueError(f"{name} must be finite and ≥ 0")
    return array


def _shares_of(shares: pd.Series, channels: pd.Index) -> np.ndarray:
    share = pd.to_numeric(shares.reindex(channels).fillna(0.0)).to_numpy(np.float64)
    if not np.isfinite(share).all() or (share < 0).any():
        raise ValueError("shares must be finite and ≥ 0")
    return share


def _fit_credit_matrix(
    row: np.ndarray,
    codes: np.ndarray,
    counts: np.ndarray,
    share: np.ndarray,
    revenue: np.ndarray | None,
    value_share: np.ndarray | None,
    *,
    tolerance: float,
    max_iterations: int,
    stall_rounds: int | None = None,
) -> dict:
    """The iterations of :func:`fit_markov_credits` on the long (row, channel code) arrays; with
    ``stall_rounds``, stop early once that many rounds have not halved the gap."""
    n_rows = counts.size
    n_channels = share.size

    def normalised_target(weights: np.ndarray, total: float) -> np.ndarray:
        weight_total = weights.sum()
        return weights / weight_total * total if weight_total > 0 else np.zeros_like(weights)

    def row_normalised(values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        sums = np.bincount(row, weights=values, minlength=n_rows)[row]
        # A row whose channels all have targets of 0 keeps its previous split (its gap is then reported).
        return np.where(sums > 0, values / np.where(sums > 0, sums, 1.0), previous)

    total = counts.sum()
    target = normalised_target(share, total)
    seed = share[codes]
    seed_sums = np.bincount(row, weights=seed, minlength=n_rows)
    credit = np.where(seed_sums[row] > 0, seed, 1.0)
    credit = credit / np.bincount(row, weights=credit, minlength=n_rows)[row]
    weight = counts[row]

    fits_value = revenue is not None and value_share is not None
    if fits_value:
        value_total = revenue.sum()
        value_target = normalised_target(value_share, value_total)
        value_weight = revenue[row]
        per_conversion = np.divide(revenue, counts, out=np.zeros_like(revenue), where=counts > 0)
        mean = value_total / total if total > 0 else 1.0
        tilt = per_conversion[row] / (mean if mean > 0 else 1.0)

    def column_sums(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=weights * values, minlength=n_channels)

    def gap_of(values: np.ndarray) -> float:
        gap = float(np.abs(column_sums(values, weight) - target).max(initial=0.0)) / max(total, 1.0)
        if fits_value:
            value_gap = np.abs(column_sums(values, value_weight) - value_target).max(initial=0.0)
            gap = max(gap, float(value_gap) / max(value_total, 1.0))
        return gap

    gap = gap_of(credit)
    iterations = 0
    checkpoint = gap
    while gap > tolerance and iterations < max_iterations:
        if stall_rounds and iterations and iterations % stall_rounds == 0:
            if gap > checkpoint / 2:
                break
            checkpoint = gap
        iterations += 1
        fitted = column_sums(credit, weight)
        factor = np.divide(target, fitted, out=np.zeros_like(target), where=fitted > 0)
        scaled = credit * factor[codes]
        if fits_value:
            value_fitted = column_sums(scaled, value_weight)
            slope = column_sums(scaled * tilt, value_weight)
            step = np.divide(value_target - value_fitted, slope, out=np.zeros_like(slope), where=slope > 0)
            scaled = scaled * np.exp(np.clip(step, -1.0, 1.0)[codes] * tilt)
        credit = row_normalised(scaled, credit)
        gap = gap_of(credit)

    result = {
        "credit": credit,
        "target": target,
        "fitted": column_sums(credit, weight),
        "iterations": iterations,
        "gap": gap,
    }
    if fits_value:
        result.update(value_target=value_target, value_fitted=column_sums(credit, value_weight))
    return result


# ---------------------------------------------------------------------------
# Shapley value
# ---------------------------------------------------------------------------


def shapley_values(coalitions: pd.DataFrame) -> pd.Series:
    """Exact Shapley value of each channel for v(S) = Σ_{T ⊆ S} conversions(T) (Zhao et al. 2018).

    ``coalitions`` has ``channels`` (frozenset of the distinct channels of a journey, non-empty)
    and ``conversions`` (converting journeys with exactly that set). Players are the channels
    that appear. The value is computed by enumerating all 2^n coalitions as bitmasks:
    a zeta (subset-sum) transform gives v, then φ_i = Σ_{S ∌ i} |S|!(n−|S|−1)!/n! · (v(S ∪ i) − v(S)),
    one vectorised pass per channel. Efficiency (Σ φ = total conversions) is checked.

    Returns conversions credited per channel (float), indexed by channel name, sorted.
    """
    missing = {"channels", "conversions"} - set(coalitions.columns)
    if missing:
        raise ValueError(f"coalitions is missing columns {sorted(missing)}")
    frame = coalitions[["channels", "conversions"]].reset_index(drop=True)
    weights = pd.to_numeric(frame["conversions"]).to_numpy(np.float64)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("conversions must be finite counts ≥ 0")

    members = frame["channels"].explode()
    if members.isna().any():
        raise ValueError("every coalition needs at least one channel (credit empty journeys to 'unattributed')")
    codes, uniques = pd.factorize(members.to_numpy(dtype=object), sort=True)
    n = len(uniques)
    if n > MAX_SHAPLEY_CHANNELS:
        raise ValueError(f"exact Shapley values are limited to {MAX_SHAPLEY_CHANNELS} channels, got {n}")
    channels = pd.Index([str(channel) for channel in uniques], name="channel")
    if n == 0:
        return pd.Series(np.zeros(0), index=channels, name="shapley_value")

    # Bitmask of each coalition row (a frozenset holds each channel once, so adding bits is OR-ing them).
    masks = np.zeros(len(frame), dtype=np.int64)
    np.add.at(masks, members.index.to_numpy(np.int64), np.left_shift(np.int64(1), codes.astype(np.int64)))
    value = np.bincount(masks, weights=weights, minlength=1 << n)

    # Zeta transform: value[S] = Σ_{T ⊆ S} conversions(T).
    for bit in range(n):
        halves = value.reshape(-1, 2, 1 << bit)
        halves[:, 1, :] += halves[:, 0, :]

    size = np.bitwise_count(np.arange(1 << n, dtype=np.uint64)).astype(np.int64)
    # |S|!(n−|S|−1)!/n! = 1 / (n · C(n−1, |S|)), for coalitions S without the player (|S| ≤ n − 1).
    weight_by_size = np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)] + [0.0])
    coalition_weight = weight_by_size[size]
    shapley = np.empty(n)
    for bit in range(n):
        with_and_without = value.reshape(-1, 2, 1 << bit)
        marginal = with_and_without[:, 1, :] - with_and_without[:, 0, :]
        shapley[bit] = (coalition_weight.reshape(-1, 2, 1 << bit)[:, 0, :] * marginal).sum()

    total = weights.sum()
    if not math.isclose(shapley.sum(), total, rel_tol=1e-9, abs_tol=1e-9):
        raise ArithmeticError(f"Shapley efficiency violated: credits sum to {shapley.sum()}, conversions {total}")
    return pd.Series(shapley, index=channels, name="shapley_value")


def shapley_conversion_shares(channels: frozenset[str]) -> dict[str, float]:
    """How one conversion whose journey touched the distinct ``channels`` T splits its Shapley credit.

    The characteristic function of :func:`shapley_values` is a sum of unanimity games,
    v = Σ_T conversions(T) · u_T with u_T(S) = 1 if T ⊆ S, and the Shapley value is linear in v.
    The Shapley value of u_T gives 1/|T| to each member of T and 0 to everyone else. Hence:

    * the Shapley value of a single conversion is an equal split over its DISTINCT channels
      (several touches of one channel then share that channel's part, e.g. equally or by SQL rule);
    * handing out credit conversion by conversion with these shares, the channel totals equal
      the exact :func:`shapley_values` over all conversions — which is what lets SQL attribute
      revenue and margin per conversion while staying exactly Shapley.
    """
    if not channels:
        raise ValueError("a conversion needs at least one channel (credit empty journeys to 'unattributed')")
    share = 1.0 / len(channels)
    return {channel: share for channel in sorted(channels)}


# ---------------------------------------------------------------------------
# Journey bootstrap of ROI / ROAS
# ---------------------------------------------------------------------------


def bootstrap_roi_intervals(
    contributions: pd.DataFrame,
    spend: pd.DataFrame,
    *,
    group_columns: Sequence[str],
    resamples: int = 1000,
    level: float = 0.95,
    seed: int,
    chunk_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Point estimates and percentile bootstrap intervals of ROI and ROAS per group.

    ``contributions``: one row per (``conversion_id``, group) with ``credit`` (fraction of the
    conversion), ``revenue_rc`` and ``margin_rc`` (the conversion's full values; attributed =
    credit × value). Duplicate (conversion, group) rows are added up. ``spend``: the group
    columns and ``spend_rc`` (added up per group).

    Returns one row per group found in either input, sorted by the group columns, with
    ``spend_rc`` (NaN when the group has no spend row), ``attributed_revenue_rc``,
    ``attributed_margin_rc``, ``conversions`` (summed credit), ``roas`` = revenue / spend,
    ``roi`` = (margin − spend) / spend, ``cac`` = spend / conversions, and
    ``roi_ci_low/high``, ``roas_ci_low/high``. A group whose spend is ≤ 0 or null gets NaN for
    roas, roi, cac and all intervals; a group with no conversions gets NaN cac.

    The bootstrap resamples journeys: each conversion gets one Poisson(1) weight per resample,
    shared by all its rows, so its credits move together across channels and models. Spend is
    fixed. Per resample the attributed margin and revenue of every group are
    ``weights (resamples × conversions) @ contributions (conversions × groups)`` with a sparse
    right-hand side, drawn in blocks of resamples to bound memory.

    ``chunk_columns`` (a subset of ``group_columns`` that every conversion has one value of, e.g.
    ``["period"]``) splits the work into independent chunks; each chunk's random stream comes
    from ``numpy.random.SeedSequence(seed)`` spawned on a hash of the chunk key, so a chunk's
    intervals do not depend on which other chunks are present. The output is identical for
    the same inputs and seed whatever the row order.
    """
    group_columns = list(group_columns)
    chunk_columns = list(chunk_columns)
    _check_bootstrap_options(resamples, level)
    if not group_columns:
        raise ValueError("group_columns must name at least one column")
    if not set(chunk_columns) <= set(group_columns):
        raise ValueError("chunk_columns must be a subset of group_columns")
    _require_columns(contributions, ["conversion_id", *group_columns, "credit", "revenue_rc", "margin_rc"])
    _require_columns(spend, [*group_columns, "spend_rc"])

    rows = _canonical_contributions(contributions, group_columns)
    if chunk_columns and (rows.groupby("conversion_id", sort=False)[chunk_columns].nunique() > 1).any(axis=None):
        raise ValueError(f"a conversion spans several chunks of {chunk_columns}; chunk by columns it has one value of")

    spend_by_group = (
        spend[[*group_columns, "spend_rc"]]
        .assign(spend_rc=lambda frame: pd.to_numeric(frame["spend_rc"]).astype(np.float64))
        .groupby(group_columns, sort=True, dropna=False)["spend_rc"]
        .sum(min_count=1)
        .reset_index()
    )
    if spend_by_group[group_columns].isna().any(axis=None):
        raise ValueError("group columns must not be null in spend")
    totals = (
        rows.groupby(group_columns, sort=True)[["attributed_revenue_rc", "attributed_margin_rc", "credit"]]
        .sum()
        .rename(columns={"credit": "conversions"})
        .reset_index()
    )
    groups = totals.merge(spend_by_group, on=group_columns, how="outer", sort=True)
    groups = groups.sort_values(group_columns, kind="stable", ignore_index=True)
    for column in ("attributed_revenue_rc", "attributed_margin_rc", "conversions"):
        groups[column] = groups[column].fillna(0.0)

    # Quantiles of the resampled margin and revenue; a group without conversions resamples to 0.
    quantiles = _resampled_quantiles(rows, groups[group_columns], chunk_columns, resamples, level, seed)

    spend_rc = groups["spend_rc"].to_numpy(np.float64)
    has_spend = np.nan_to_num(spend_rc, nan=0.0) > 0
    conversions = groups["conversions"].to_numpy(np.float64)

    def per_spend(numerator: np.ndarray, valid: np.ndarray) -> np.ndarray:
        return np.divide(numerator, spend_rc, out=np.full(len(groups), np.nan), where=valid)

    margin_point = groups["attributed_margin_rc"].to_numpy(np.float64)
    revenue_point = groups["attributed_revenue_rc"].to_numpy(np.float64)
    groups["roas"] = per_spend(revenue_point, has_spend)
    groups["roi"] = per_spend(margin_point - spend_rc, has_spend)
    groups["cac"] = np.divide(
        spend_rc, conversions, out=np.full(len(groups), np.nan), where=has_spend & (conversions > 0)
    )
    for position, bound in enumerate(INTERVAL_COLUMNS):
        groups[bound] = _bounds_over_spend(quantiles, spend_rc)[:, position]
    columns = [
        *group_columns,
        "spend_rc",
        "attributed_revenue_rc",
        "attributed_margin_rc",
        "conversions",
        "roas",
        "roi",
        "cac",
        "roi_ci_low",
        "roi_ci_high",
        "roas_ci_low",
        "roas_ci_high",
    ]
    result = groups[columns]
    result.attrs.update(resamples=resamples, level=level, seed=seed)
    return result


INTERVAL_COLUMNS = ("roi_ci_low", "roi_ci_high", "roas_ci_low", "roas_ci_high")


def _check_bootstrap_options(resamples: int, level: float) -> None:
    if resamples < 1:
        raise ValueError(f"resamples must be ≥ 1, got {resamples}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")


def _bounds_over_spend(quantiles: np.ndarray, spend_rc: np.ndarray) -> np.ndarray:
    """:data:`INTERVAL_COLUMNS` from :func:`_resampled_quantiles`' quantiles and each group's fixed spend.

    With spend s > 0 fixed in every resample, the quantiles of (margin − s)/s and revenue/s are those of margin
    and revenue, moved and scaled. NaN where spend is not positive or null.
    """
    has_spend = np.nan_to_num(spend_rc, nan=0.0) > 0
    numerators = np.column_stack(
        [quantiles[:, 0] - spend_rc, quantiles[:, 1] - spend_rc, quantiles[:, 2], quantiles[:, 3]]
    )
    return np.divide(numerators, spend_rc[:, None], out=np.full(numerators.shape, np.nan), where=has_spend[:, None])


def _resampled_quantiles(
    rows: pd.DataFrame, groups: pd.DataFrame, chunk_columns: list[str], resamples: int, level: float, seed: int
) -> np.ndarray:
    """The (1 - level) / 2 and (1 + level) / 2 quantiles of each group's resampled margin and revenue.

    ``rows`` are canonical contributions (:func:`_canonical_contributions`), ``groups`` one row per group
    (its columns are the group columns). Returns ``len(groups) × 4``: margin low, margin high, revenue low,
    revenue high; 0 for a group without rows. A chunk's random stream depends on its key and the seed only.
    """
    tail = (1.0 - level) / 2.0
    quantiles = np.zeros((len(groups), 4))
    group_index = pd.MultiIndex.from_frame(groups)
    row_group = group_index.get_indexer(pd.MultiIndex.from_frame(rows[list(groups.columns)]))
    if (row_group < 0).any():
        raise ValueError(f"{int((row_group < 0).sum())} contribution row(s) name a group missing from groups")
    chunks = rows.groupby(chunk_columns, sort=True).indices if chunk_columns else {(): np.arange(len(rows))}
    for key, positions in chunks.items():
        rng = np.random.default_rng(_chunk_seed_sequence(seed, key))
        margin, revenue, local_groups = _resampled_totals(rows.iloc[positions], row_group[positions], resamples, rng)
        quantiles[local_groups, 0:2] = np.quantile(margin, [tail, 1.0 - tail], axis=0).T
        quantiles[local_groups, 2:4] = np.quantile(revenue, [tail, 1.0 - tail], axis=0).T
    return quantiles


def _require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"missing columns {missing}")


def _canonical_contributions(contributions: pd.DataFrame, group_columns: list[str]) -> pd.DataFrame:
    """Attributed values per row, in one canonical order so row order never changes a float sum."""
    rows = contributions[["conversion_id", *group_columns, "credit", "revenue_rc", "margin_rc"]]
    if rows[["conversion_id", *group_columns]].isna().any(axis=None):
        raise ValueError("conversion_id and group columns must not be null in contributions")
    values = rows[["credit", "revenue_rc", "margin_rc"]].apply(pd.to_numeric).astype(np.float64)
    if not np.isfinite(values.to_numpy()).all():
        raise ValueError("credit, revenue_rc and margin_rc must be finite numbers")
    rows = rows.assign(
        credit=values["credit"],
        attributed_revenue_rc=values["credit"] * values["revenue_rc"],
        attributed_margin_rc=values["credit"] * values["margin_rc"],
    )[["conversion_id", *group_columns, "credit", "attributed_revenue_rc", "attributed_margin_rc"]]
    order = _unique_integer_key_order(rows[["conversion_id", *group_columns]])
    if order is not None:  # the same order as the full sort below, found in one argsort
        return rows.take(order).reset_index(drop=True)
    return rows.sort_values(list(rows.columns), kind="stable", ignore_index=True)


def _unique_integer_key_order(keys: pd.DataFrame) -> np.ndarray | None:
    """Row order by the key columns when they are all integers, packed into one int64, and unique.

    Sorting a million rows by several columns is the slow part of a naive bootstrap; integer codes
    (as ``int_roi_bootstrap_contributions`` hands them over) pack into one key that a single
    argsort orders. Returns None when a column is not an integer, the packed key would overflow,
    or a key repeats (then values break the tie and the caller sorts by every column).
    """
    if not all(pd.api.types.is_integer_dtype(dtype) for dtype in keys.dtypes):
        return None
    packed = np.zeros(len(keys), dtype=np.int64)
    capacity = 1
    for column in keys.columns:
        values = keys[column].to_numpy(np.int64)
        low = int(values.min()) if values.size else 0
        span = (int(values.max()) - low + 1) if values.size else 1
        capacity *= span
        if capacity >= 2**62:
            return None
        packed = packed * span + (values - low)
    order = np.argsort(packed, kind="stable")
    if (np.diff(packed[order]) == 0).any():
        return None
    return order


def _chunk_seed_sequence(seed: int, key: object) -> np.random.SeedSequence:
    """A random stream per chunk from the seed and a stable hash of the chunk key (not Python's ``hash``)."""
    parts = key if isinstance(key, tuple) else (key,)
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()
    return np.random.SeedSequence(seed, spawn_key=tuple(np.frombuffer(digest[:16], dtype=np.uint32).tolist()))


def _resampled_totals(
    rows: pd.DataFrame, row_group: np.ndarray, resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attributed margin and revenue of the chunk's groups in every resample (each ``resamples × groups``)."""
    conversion_codes, conversion_ids = pd.factorize(rows["conversion_id"], sort=True)
    local_groups, group_codes = np.unique(row_group, return_inverse=True)
    n_conversions, n_groups = len(conversion_ids), local_groups.size
    contribution = sp.csr_matrix(
        (
            np.concatenate([rows["attributed_margin_rc"].to_numpy(), rows["attributed_revenue_rc"].to_numpy()]),
            (np.tile(conversion_codes, 2), np.concatenate([group_codes, group_codes + n_groups])),
        ),
        shape=(n_conversions, 2 * n_groups),
    )
    # groups × conversions, so the weights need no transposed copy. Single precision: the product is
    # 4× faster and its rounding (relative ~1e-6) is far below the bootstrap's own sampling error.
    contribution_t = sp.csr_matrix(contribution.T, dtype=np.float32)
    totals = np.empty((resamples, 2 * n_groups))
    block = max(1, min(resamples, _BOOTSTRAP_BLOCK_ELEMENTS // max(n_conversions, 1)))
    for start in range(0, resamples, block):
        stop = min(start + block, resamples)
        weights = _poisson_one_weights(rng, (n_conversions, stop - start))  # conversions × resamples
        totals[start:stop] = (contribution_t @ weights).T
    return totals[:, :n_groups], totals[:, n_groups:], local_groups


_POISSON_ONE_CDF = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(11)]).astype(np.float32)
"""P(X ≤ k) of Poisson(1) for k = 0 … 10, in single precision; P(X > 10) ≈ 1e-8 is below the 2^-24
resolution of a single-precision uniform, so a draw never needs a larger k."""


def _poisson_one_weights(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Poisson(1) draws as float32, by inversion of the CDF: one uniform u per draw, k = #{j: u ≥ P(X ≤ j)}.

    ``rng.poisson(1.0)`` multiplies uniforms until their product falls below e^-1 (two or more per
    draw, in a loop); counting the thresholds a single-precision uniform passes is about 3× faster
    and exact up to the uniforms' 2^-24 resolution.
    """
    uniforms = rng.random(shape, dtype=np.float32)
    counts = np.zeros(shape, dtype=np.uint8)
    for threshold in _POISSON_ONE_CDF:
        counts += uniforms >= threshold
    return counts.astype(np.float32)


# ---------------------------------------------------------------------------
# Glue for the attribution solver assets (orchestration/defs/attribution/assets.py)
# ---------------------------------------------------------------------------

PATH_SEPARATOR = " > "
"""How ``int_attribution_paths.channel_path`` joins a journey's channels."""
SET_SEPARATOR = " + "
"""How ``int_attribution_channel_sets.channel_set`` joins a converting journey's distinct channels."""

CHANNEL_WEIGHT_COLUMNS = (
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
)

ROI_GROUP_KEY_COLUMNS = ("roi_grain", "attribution_model", "channel", "platform", "campaign_id", "period")
"""What names an ROI group (``int_roi_groups``): a grain's unused key columns are null."""


def split_joined(values: pd.Series, separator: str) -> pd.Series:
    """``'a > b'`` → ``('a', 'b')``: the channel lists SQL hands over as joined strings."""
    return pd.Series([tuple(str(value).split(separator)) for value in values], index=values.index, dtype=object)


def channel_weights(paths: pd.DataFrame, channel_sets: pd.DataFrame) -> pd.DataFrame:
    """The global numbers of the two data-driven models, one row per model × channel.

    ``paths``: ``channel_path`` (channels joined by :data:`PATH_SEPARATOR`), ``conversions`` and
    ``non_conversions`` — every journey, converting or not (``int_attribution_paths``).
    ``channel_sets``: ``channel_set`` (joined by :data:`SET_SEPARATOR`) and ``conversions`` — the
    converting journeys' distinct channels (``int_attribution_channel_sets``).

    * ``markov`` rows (``paths`` may also have ``conversion_revenue_rc``, the revenue of the path's
      conversions, for ``value_removal_effect`` and ``value_credit_share``: the same chain weighted by
      revenue, :func:`markov_value_removal_effects`): ``removal_effect``, ``conversion_probability``
      (of the full chain),
      ``conversion_probability_removed`` and ``credit_share`` (removal effects normalised to 1) of
      the first-order chain — the contract's ``markov`` — from :func:`markov_removal_effects`; every
      channel seen in any journey is listed. For comparison, ``second_order_removal_effect`` and
      ``second_order_credit_share``: the same from the second-order chain (a state is the last two
      channels, so the chain remembers where a visitor came from); they hand out no credit.
    * ``shapley`` rows: ``shapley_value`` (conversions credited to the channel, summing to the
      converting journeys) and ``credit_share`` (value / conversions), from :func:`shapley_values`.

    Columns a model does not define are null (``pd.NA``). Sorted by model, then channel.
    """
    frames: list[pd.DataFrame] = []
    if len(paths):
        journeys = pd.DataFrame(
            {
                "path": split_joined(paths["channel_path"], PATH_SEPARATOR),
                "conversions": pd.to_numeric(paths["conversions"]),
                "non_conversions": pd.to_numeric(paths["non_conversions"]),
            }
        )
        first_order = markov_removal_effects(journeys, order=1)
        second_order = markov_removal_effects(journeys, order=2).rename(
            columns={"removal_effect": "second_order_removal_effect", "share": "second_order_credit_share"}
        )
        markov = (
            first_order[["channel", "removal_effect", "conversion_probability", "conversion_probability_removed"]]
            .assign(credit_share=first_order["share"], attribution_model="markov")
            .merge(
                second_order[["channel", "second_order_removal_effect", "second_order_credit_share"]],
                on="channel",
                how="left",
                validate="one_to_one",
            )
        )
        if "conversion_revenue_rc" in paths.columns:
            valued = markov_value_removal_effects(
                journeys.assign(value=pd.to_numeric(paths["conversion_revenue_rc"]).fillna(0.0).to_numpy(np.float64))
            ).rename(columns={"value_share": "value_credit_share"})
            markov = markov.merge(valued, on="channel", how="left", validate="one_to_one")
        frames.append(markov)
    if len(channel_sets):
        coalitions = pd.DataFrame(
            {
                "channels": split_joined(channel_sets["channel_set"], SET_SEPARATOR).map(frozenset),
                "conversions": pd.to_numeric(channel_sets["conversions"]),
            }
        )
        values = shapley_values(coalitions)
        total = float(coalitions["conversions"].sum())
        frames.append(
            pd.DataFrame(
                {
                    "attribution_model": "shapley",
                    "channel": values.index.to_numpy(dtype=object),
                    "shapley_value": values.to_numpy(np.float64),
                    "credit_share": values.to_numpy(np.float64) / total if total > 0 else 0.0,
                }
            )
        )
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(CHANNEL_WEIGHT_COLUMNS))
    result = result.reindex(columns=list(CHANNEL_WEIGHT_COLUMNS))
    result = result.astype(
        {
            "attribution_model": "string",
            "channel": "string",
            **{column: "Float64" for column in CHANNEL_WEIGHT_COLUMNS[2:]},
        }
    )
    return result.sort_values(["attribution_model", "channel"], ignore_index=True)


MARKOV_CREDIT_COLUMNS = (
    "conversion_id",
    "channel",
    "credit",
    "fit_iterations",
    "fit_max_gap",
    "is_fit_converged",
    "is_revenue_fitted",
)


def markov_conversion_credits(
    conversion_channels: pd.DataFrame,
    weights: pd.DataFrame,
    *,
    tolerance: float = MARKOV_FIT_TOLERANCE,
    max_iterations: int = MARKOV_FIT_MAX_ITERATIONS,
) -> pd.DataFrame:
    """Each conversion's Markov credit per channel of its journey (``int_attribution_markov_credits``).

    ``conversion_channels`` (``int_attribution_conversion_channels``): one row per conversion ×
    distinct channel of its journey, with ``conversion_id``, ``channel`` and the conversion's
    ``revenue_rc`` (0 without an FX rate). ``weights`` (``int_attribution_channel_weights``): its
    ``markov`` rows' ``credit_share`` (conversion targets and the fit's seed) and, when present and
    not all null, ``value_credit_share`` (revenue targets), for :func:`fit_markov_credits`, one row
    per conversion. Returns one row per input row with ``credit`` (a conversion's credits sum to 1)
    and the fit's ``fit_iterations``, ``fit_max_gap``, ``is_fit_converged`` and ``is_revenue_fitted``
    (the same on every row). Sorted by conversion, then channel.

    The conversion totals come first: the joint fit (conversions and revenue) gets
    :data:`MARKOV_REVENUE_FIT_MAX_ITERATIONS` rounds; when it does not converge — no split of each
    conversion over its own channels reaches both targets, which happens when too few conversions
    of the same channels differ in revenue — the conversion-only fit decides and
    ``is_revenue_fitted`` is false (revenue then follows that credit, as for every other model).
    """
    _require_columns(conversion_channels, ["conversion_id", "channel", "revenue_rc"])
    markov = weights[weights["attribution_model"] == "markov"]
    channel_names = markov["channel"].astype(str).to_numpy()
    shares = pd.Series(pd.to_numeric(markov["credit_share"]).to_numpy(np.float64), index=channel_names)
    value_shares = None
    if "value_credit_share" in markov.columns and markov["value_credit_share"].notna().any():
        value_shares = pd.Series(
            pd.to_numeric(markov["value_credit_share"]).fillna(0.0).to_numpy(np.float64), index=channel_names
        )
    if len(conversion_channels) == 0:
        empty = {column: pd.Series(dtype="float64") for column in MARKOV_CREDIT_COLUMNS}
        return pd.DataFrame(empty).astype(
            {
                "conversion_id": "string",
                "channel": "string",
                "fit_iterations": "int64",
                "is_fit_converged": "bool",
                "is_revenue_fitted": "bool",
            }
        )

    rows = conversion_channels.sort_values(["conversion_id", "channel"], ignore_index=True)
    conversion_codes, conversion_ids = pd.factorize(rows["conversion_id"], sort=False)
    channel_codes, channels = pd.factorize(rows["channel"].astype(str), sort=True)
    revenue = np.zeros(len(conversion_ids))
    revenue[conversion_codes] = pd.to_numeric(rows["revenue_rc"]).fillna(0.0).to_numpy(np.float64)
    channel_index = pd.Index(channels, name="channel")
    arguments = (conversion_codes.astype(np.int64), channel_codes.astype(np.int64), np.ones(len(conversion_ids)))
    fit = None
    if value_shares is not None and revenue.sum() > 0:
        fit = _fit_credit_matrix(
            *arguments,
            _shares_of(shares, channel_index),
            revenue,
            _shares_of(value_shares, channel_index),
            tolerance=tolerance,
            max_iterations=min(max_iterations, MARKOV_REVENUE_FIT_MAX_ITERATIONS),
            stall_rounds=_REVENUE_FIT_STALL_ROUNDS,
        )
        if fit["gap"] > tolerance:
            fit = None
    is_revenue_fitted = fit is not None
    if fit is None:
        fit = _fit_credit_matrix(
            *arguments,
            _shares_of(shares, channel_index),
            None,
            None,
            tolerance=tolerance,
            max_iterations=max_iterations,
        )
    result = pd.DataFrame(
        {
            "conversion_id": rows["conversion_id"].astype(str).to_numpy(dtype=object),
            "channel": rows["channel"].astype(str).to_numpy(dtype=object),
            "credit": fit["credit"],
            "fit_iterations": np.int64(fit["iterations"]),
            "fit_max_gap": float(fit["gap"]),
            "is_fit_converged": bool(fit["gap"] <= tolerance),
            "is_revenue_fitted": is_revenue_fitted,
        }
    )
    return result.astype({"conversion_id": "string", "channel": "string"})


DRAW_QUANTILE_COLUMNS = ("margin_q_low", "margin_q_high", "revenue_q_low", "revenue_q_high")


def roi_draw_quantiles(
    contributions: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    resamples: int,
    level: float,
    seed: int,
) -> pd.DataFrame:
    """Bootstrap quantiles of every group's attributed margin and revenue (channel and campaign grain) in one pass.

    ``groups`` (``int_roi_bootstrap_groups``): ``group_number``, ``period_number`` (the month as
    ``YYYYMM``) and the naming columns :data:`ROI_GROUP_KEY_COLUMNS`. ``contributions``
    (``int_roi_bootstrap_contributions``): one row per conversion × group, numbers only —
    ``conversion_number``, ``group_number``, ``period_number``, ``credit`` and the conversion's full
    ``revenue_rc`` / ``margin_rc``. Integer codes keep the hand-over from DuckDB and the sorting
    cheap at millions of rows; the strings stay in the small ``groups`` table.

    Chunked by month: each resample draws one Poisson(1) weight per conversion (journey) of the
    month, applied to all its credits whatever the model or grain, so the channel and campaign
    figures come from the same resampled journeys; a month's stream is seeded from ``seed`` and
    the month itself. Spend plays no part: :func:`roi_intervals_from_draws` divides by it. Returns
    the naming columns, :data:`DRAW_QUANTILE_COLUMNS` (the (1 − level)/2 and (1 + level)/2
    quantiles), ``bootstrap_resamples`` and ``confidence_level``, one row per group that has a
    contribution, in group order.
    """
    _check_bootstrap_options(resamples, level)
    _require_columns(
        contributions, ["conversion_number", "group_number", "period_number", "credit", "revenue_rc", "margin_rc"]
    )
    _require_columns(groups, ["group_number", "period_number", *ROI_GROUP_KEY_COLUMNS])
    if groups["group_number"].duplicated().any():
        raise ValueError("group_number must be unique in groups")
    group_columns = ["period_number", "group_number"]
    rows = _canonical_contributions(contributions.rename(columns={"conversion_number": "conversion_id"}), group_columns)
    if (rows.groupby("conversion_id", sort=False)["period_number"].nunique() > 1).any():
        raise ValueError("a conversion spans several months; each conversion has one conversion month")
    present = groups.loc[groups["group_number"].isin(rows["group_number"].unique())]
    present = present.sort_values(group_columns, kind="stable", ignore_index=True)
    quantiles = _resampled_quantiles(rows, present[group_columns], ["period_number"], resamples, level, seed)
    result = present[list(ROI_GROUP_KEY_COLUMNS)].copy()
    for position, column in enumerate(DRAW_QUANTILE_COLUMNS):
        result[column] = quantiles[:, position]
    result["bootstrap_resamples"] = np.int64(resamples)
    result["confidence_level"] = float(level)
    return result


def roi_intervals_from_draws(
    groups: pd.DataFrame,
    draws: pd.DataFrame,
    *,
    resamples: int,
    level: float,
) -> pd.DataFrame:
    """Bootstrap intervals of ROI and ROAS of every ROI group with spend, from the draws' quantiles.

    ``groups`` (``int_roi_groups``): the naming columns :data:`ROI_GROUP_KEY_COLUMNS` and
    ``spend_rc``. ``draws``: :func:`roi_draw_quantiles` (made with ``resamples`` and ``level``).
    Spend is fixed, so with s > 0 the quantiles of (margin − s)/s and revenue/s are those of
    margin and revenue, moved and scaled: roi_ci = (q(margin) − s)/s, roas_ci = q(revenue)/s. A
    group without draws (no conversion credited) resamples to 0. Returns ``groups``' naming columns
    with ``roi_ci_low/high``, ``roas_ci_low/high`` (null when spend is not positive),
    ``bootstrap_resamples`` and ``confidence_level``.
    """
    keys = list(ROI_GROUP_KEY_COLUMNS)
    _require_columns(groups, [*keys, "spend_rc"])
    _require_columns(draws, [*keys, *DRAW_QUANTILE_COLUMNS, "bootstrap_resamples", "confidence_level"])
    made_with = set(zip(draws["bootstrap_resamples"].astype(int), draws["confidence_level"].astype(float), strict=True))
    if made_with - {(resamples, level)}:
        raise ValueError(
            f"the draws were made with {sorted(made_with)} (resamples, level), not {resamples} resamples at level "
            f"{level}: materialize attribution/roi_bootstrap_draws again"
        )
    drawn = _key_index(draws[keys])
    if drawn.duplicated().any():
        raise ValueError("draws must have one row per group")
    position = drawn.get_indexer(_key_index(groups[keys]))
    quantiles = np.zeros((len(groups), 4))
    found = position >= 0
    quantiles[found] = draws[list(DRAW_QUANTILE_COLUMNS)].to_numpy(np.float64)[position[found]]
    bounds = _bounds_over_spend(quantiles, pd.to_numeric(groups["spend_rc"]).to_numpy(np.float64))
    result = groups[keys].reset_index(drop=True)
    for position, bound in enumerate(INTERVAL_COLUMNS):
        result[bound] = pd.array(bounds[:, position], dtype="Float64")  # NaN → null
    result["bootstrap_resamples"] = np.int64(resamples)
    result["confidence_level"] = float(level)
    return result


def roi_intervals(
    contributions: pd.DataFrame, groups: pd.DataFrame, *, resamples: int, level: float, seed: int
) -> pd.DataFrame:
    """:func:`roi_draw_quantiles` then :func:`roi_intervals_from_draws` over the same ``groups`` (with ``spend_rc``).

    The bootstrap in one call, for a notebook or a test; the pipeline runs the two halves as two assets, so that
    a spend-only run keeps the draws.
    """
    draws = roi_draw_quantiles(contributions, groups, resamples=resamples, level=level, seed=seed)
    return roi_intervals_from_draws(groups, draws, resamples=resamples, level=level)


def _key_index(keys: pd.DataFrame) -> pd.Index:
    """The naming columns as one index of tuples; a null key part equals another null (SQL: ``is not distinct``)."""
    return pd.Index(
        list(
            zip(
                *(keys[column].astype(object).where(keys[column].notna(), None) for column in keys.columns), strict=True
            )
        ),
        tupleize_cols=False,
    )


# ---------------------------------------------------------------------------
# Independent recomputation of the ROI marts (the calculation-accuracy check)
# ---------------------------------------------------------------------------

ROI_MEASURES = ("spend_rc", "conversions", "attributed_revenue_rc", "attributed_margin_rc", "roas", "roi", "cac")


def recompute_roi(
    spend_daily: pd.DataFrame,
    conversions: pd.DataFrame,
    credits: pd.DataFrame,
    *,
    by: Sequence[str],
) -> pd.DataFrame:
    """ROI per ``attribution_model`` × ``by`` × ``period`` straight from the base facts, in pandas.

    A second implementation of the ROI marts for the accuracy check, sharing no code with their SQL:

    * ``spend_daily`` (``fct_marketing_spend_daily``): ``spend_date``, ``spend_rc`` and the ``by``
      columns; spend is added up per ``by`` × month of spend_date, the same for every model;
    * ``conversions`` (``fct_conversions``): ``conversion_id``, ``converted_at`` (UTC),
      ``revenue_rc``, ``gross_margin_rc``;
    * ``credits`` (``fct_attribution_credits``): ``attribution_model``, ``conversion_id``, ``credit``
      and the ``by`` columns; each credit takes the conversion's revenue and margin times the
      credit, in the month of converted_at. Rows with a null ``by`` value (e.g. a touch without a
      campaign at the campaign grain) belong to no group.

    Returns one row per group with spend or credits: the ``ROI_MEASURES``, where ``roas`` =
    revenue / spend, ``roi`` = (margin − spend) / spend (both NaN without positive spend) and
    ``cac`` = spend / conversions (NaN without positive spend or without conversions).
    """
    attributed = attributed_by_group(conversions, credits, by=by)
    return roi_from_attributed(spend_daily, attributed, pd.unique(credits["attribution_model"]), by=by)


def attributed_by_group(conversions: pd.DataFrame, credits: pd.DataFrame, *, by: Sequence[str]) -> pd.DataFrame:
    """Credited conversions, revenue and margin per ``attribution_model`` × ``by`` × ``period`` (month of conversion).

    The credit side of :func:`recompute_roi` (its inputs as there). The accuracy check gets the same table
    from one aggregate query instead (``defs/attribution/checks.py: ATTRIBUTED_SQL``), so that the 10M-row
    credit fact never travels to pandas; tests/unit/test_attribution_checks.py holds the two to each other.
    """
    by = list(by)
    _require_columns(conversions, ["conversion_id", "converted_at", "revenue_rc", "gross_margin_rc"])
    _require_columns(credits, ["attribution_model", "conversion_id", "credit", *by])
    keys = ["attribution_model", *by, "period"]

    position = pd.Index(conversions["conversion_id"]).get_indexer(credits["conversion_id"])
    if (position < 0).any():
        raise ValueError(f"{int((position < 0).sum())} credit row(s) name a conversion missing from conversions")
    period_codes, periods = pd.factorize(pd.to_datetime(conversions["converted_at"]).dt.strftime("%Y-%m"))
    credit = pd.to_numeric(credits["credit"]).to_numpy(np.float64)
    revenue = pd.to_numeric(conversions["revenue_rc"]).to_numpy(np.float64)
    margin = pd.to_numeric(conversions["gross_margin_rc"]).to_numpy(np.float64)
    # Keys stay as they come (categoricals group fast); the month is a categorical too.
    attributed = pd.DataFrame(
        {
            "attribution_model": credits["attribution_model"].array,
            **{column: credits[column].array for column in by},
            "period": pd.Categorical.from_codes(period_codes[position], categories=periods),
            "conversions": credit,
            "attributed_revenue_rc": credit * revenue[position],
            "attributed_margin_rc": credit * margin[position],
        }
    ).dropna(subset=by)
    attributed = attributed.groupby(keys, sort=False, observed=True).sum().reset_index()
    for column in keys:
        attributed[column] = attributed[column].astype(object)
    return attributed


def roi_from_attributed(
    spend_daily: pd.DataFrame,
    attributed: pd.DataFrame,
    models: Sequence[str],
    *,
    by: Sequence[str],
) -> pd.DataFrame:
    """:func:`recompute_roi` from the credit side already added up (:func:`attributed_by_group`'s table).

    ``models`` are the attribution models of the credit fact: every one of them gets every group with spend.
    """
    by = list(by)
    _require_columns(spend_daily, ["spend_date", "spend_rc", *by])
    keys = ["attribution_model", *by, "period"]
    _require_columns(attributed, [*keys, "conversions", "attributed_revenue_rc", "attributed_margin_rc"])
    spend = spend_daily.assign(
        period=pd.to_datetime(spend_daily["spend_date"]).dt.strftime("%Y-%m"),
        spend_rc=pd.to_numeric(spend_daily["spend_rc"]).astype(np.float64),
    )
    spend = spend.groupby([*by, "period"], sort=False)["spend_rc"].sum().reset_index()
    model_frame = pd.DataFrame({"attribution_model": pd.Series(list(models), dtype=object)})
    result = attributed.merge(spend.merge(model_frame, how="cross"), on=keys, how="outer")
    for column in ("spend_rc", "conversions", "attributed_revenue_rc", "attributed_margin_rc"):
        result[column] = result[column].fillna(0.0)
    spend_rc = result["spend_rc"].to_numpy(np.float64)
    has_spend = spend_rc > 0
    revenue_rc = result["attributed_revenue_rc"].to_numpy(np.float64)
    margin_rc = result["attributed_margin_rc"].to_numpy(np.float64)
    credited = result["conversions"].to_numpy(np.float64)

    def ratio(numerator: np.ndarray, denominator: np.ndarray, valid: np.ndarray) -> np.ndarray:
        return np.divide(numerator, denominator, out=np.full(len(result), np.nan), where=valid)

    result["roas"] = ratio(revenue_rc, spend_rc, has_spend)
    result["roi"] = ratio(margin_rc - spend_rc, spend_rc, has_spend)
    result["cac"] = ratio(spend_rc, credited, has_spend & (credited > 0))
    return result[[*keys, *ROI_MEASURES]].sort_values(keys, ignore_index=True)


def compare_roi(
    mart: pd.DataFrame,
    recomputed: pd.DataFrame,
    *,
    keys: Sequence[str],
    tolerance: float,
) -> pd.DataFrame:
    """Row by row agreement of an ROI mart with :func:`recompute_roi`.

    A row agrees when it is in both, ``roi``, ``roas`` and ``conversions`` differ by at most
    ``tolerance`` (absolute; ratios and counts), ``cac`` and the money columns by at most
    ``tolerance`` relative to the recomputed value (at least 1 in the denominator), and a measure
    is null in one exactly where it is null in the other. Returns every row of either side with
    both values of each measure, ``agrees`` and, for a row that does not, ``disagreement`` (the
    measures that differ, or which side lacks the row).
    """
    keys = list(keys)
    merged = mart[[*keys, *ROI_MEASURES]].merge(
        recomputed[[*keys, *ROI_MEASURES]], on=keys, how="outer", suffixes=("_mart", "_recomputed"), indicator=True
    )
    problems: list[list[str]] = [[] for _ in range(len(merged))]
    for row in np.flatnonzero((merged["_merge"] == "left_only").to_numpy()):
        problems[row].append("only in the mart")
    for row in np.flatnonzero((merged["_merge"] == "right_only").to_numpy()):
        problems[row].append("missing from the mart")
    both = (merged["_merge"] == "both").to_numpy()
    for measure in ROI_MEASURES:
        ours = pd.to_numeric(merged[f"{measure}_mart"]).to_numpy(np.float64)
        theirs = pd.to_numeric(merged[f"{measure}_recomputed"]).to_numpy(np.float64)
        if measure in ("roi", "roas", "conversions"):
            scale = np.ones_like(theirs)
        else:
            scale = np.maximum(np.abs(np.nan_to_num(theirs)), 1.0)
        with np.errstate(invalid="ignore"):
            close = np.abs(ours - theirs) <= tolerance * scale
        same = np.where(np.isnan(ours) | np.isnan(theirs), np.isnan(ours) & np.isnan(theirs), close)
        for row in np.flatnonzero(both & ~same):
            problems[row].append(measure)
    merged = merged.drop(columns="_merge")
    merged["agrees"] = [not found for found in problems]
    merged["disagreement"] = [", ".join(found) if found else None for found in problems]
    return merged
