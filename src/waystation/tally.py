"""Exact tallies of a block: fixed-point sums, trajectory histograms and per-world rows.

Every engine backend ends a block here: the numpy loop and the fused kernel
(:mod:`waystation.simulate`) and the JAX runner (:mod:`waystation.jax_backend`)
hand over their final state, survival sums and histogram counts, and this
module turns them into what :mod:`waystation.results` summarises. It is
stated once, so every backend's figures mean the same thing.

Probabilities are summed as integers of 2**-32 (:func:`fixed`), which add up
exactly in any order: a run's figures are bit-identical however its worlds
were split into blocks, workers or engines (docs/model.md section 12, "Engine"). This module
imports numpy only and nothing of the engine, so every backend can use it
without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from waystation._finite import check_tallyable
from waystation._kernels import xp_of
from waystation.dynamics import Params, safety_range
from waystation.model import Model
from waystation.state import MILESTONES, WAYSTATIONS, Array, State

#: Fixed-point scale of exact sums: probabilities are summed as integers of 2**-32.
FIX = float(2**32)
#: Trajectory histograms: variable, lower edge, upper edge, number of bins.
HISTOGRAMS: tuple[tuple[str, float, float, int], ...] = (
    ("capability", -4.0, 41.0, 1800),
    ("safety_range", -4.0, 41.0, 1800),
    ("margin", -10.0, 10.0, 800),
    ("pause", 0.0, 1.0, 200),
    ("evaluation", 0.0, 30.0, 600),
    ("backdrop", 0.0, 4.5, 450),
)
#: State fields the histograms read.
HIST_FIELDS = ("C", "S", "O", "E", "B", "pause")
NBINS = sum(h[3] for h in HISTOGRAMS)
OFFSETS = np.cumsum([0] + [h[3] for h in HISTOGRAMS])[:-1]


@dataclass(frozen=True)
class BlockOut:
    """What one block returns: exact tallies, trajectory histograms, optional per-world rows."""

    index: int
    tally: dict[str, Array]
    hist: Array
    records: dict[str, Array] | None


def fixed(x: Array) -> Array:
    """Fixed-point integers of ``x`` (in units of 2**-32), whose sums are exact and associative.

    Raises NonFiniteError rather than casting NaN or overflowing values, which
    would wrap. Generic over the array namespace: traced by the JAX backend,
    which cannot raise inside its compiled loop, the guard is left to
    :func:`waystation._finite.check_finite` on the block's final state (a
    non-finite survival stays non-finite, frozen or not).
    """
    xp = xp_of(x)
    if xp is np:
        check_tallyable(x)
    return xp.rint(x * FIX).astype(xp.int64)


def cover_params(p: Params, rows: slice | Array) -> Params:
    """``p`` with the parameters hardening's cover needs taken for the worlds ``rows``."""

    def take(x: Array) -> Array:
        return x[rows] if np.ndim(x) == 2 else x

    return p._replace(C_si=take(p.C_si), si_gap=take(p.si_gap))


def hist_counts(s: State, rows: slice | Array, p: Params) -> Array:
    """Trajectory-histogram counts (A, bins) of the worlds ``rows`` of state ``s``.

    The safety range reported is the effective one: own plus the hardening
    that still covers the current capability. Stated once for every backend:
    with numpy, ``rows`` selects worlds (a slice, indices or a boolean mask);
    under JAX it is a (W,) boolean mask that weights the counts instead, so
    the compiled loop keeps static shapes. Either way the bin of every value
    is computed by the same expressions, and the counts are int64.
    """
    xp = xp_of(s.C)
    weights: Any = None if xp is np else rows
    if weights is not None:
        rows = slice(None)
    C, S, O, E, B, pause = (getattr(s, f)[rows] for f in HIST_FIELDS)
    S_eff = safety_range(S, O, C, cover_params(p, rows))
    A = C.shape[1]
    series = (C, S_eff, S_eff - C, pause, E, xp.broadcast_to(B, C.shape))
    idx = xp.stack([
        xp.minimum(((xp.clip(x, lo, hi) - lo) * (nb / (hi - lo))).astype(xp.int64), nb - 1)
        + OFFSETS[v]  # edges: end bins
        for v, ((_, lo, hi, nb), x) in enumerate(zip(HISTOGRAMS, series, strict=True))
    ])  # fmt: skip
    idx = idx + (np.arange(A) * NBINS)[None, None, :]
    if weights is None:
        return np.bincount(idx.ravel(), minlength=A * NBINS).reshape(A, NBINS)
    w = xp.broadcast_to(weights[None, :, None], idx.shape).astype(xp.int64)
    return xp.bincount(idx.ravel(), w.ravel(), length=A * NBINS).reshape(A, NBINS)


def outcomes(s: State, n: int) -> tuple[Array, Array, Array]:
    """Per-world P(victory), P(failure), P(costly non-failure) of the first ``n`` worlds."""
    v = s.p_victory[:n, 0]
    f = 1.0 - s.survival[:n, 0]
    # Survival not spent on victory: 0 for a victory world (p_victory is its survival,
    # exactly), the survival itself for an undecided or retired one.
    c = s.survival[:n, 0] - v
    return v, f, c


def block_tally(s: State, model: Model, n: int) -> dict[str, Array]:
    """Exact sums over the first ``n`` worlds of everything the summaries need."""
    v, f, c = outcomes(s, n)
    fv, ff = fixed(v), fixed(f)
    fc = int(FIX) - fv - ff
    restrained = s.pause[:n].mean(axis=1) >= 0.5
    unsafe = (s.C[:n] > s.S[:n] + s.O[:n]).any(axis=1)
    step_of = np.rint(
        (np.nan_to_num(s.victory_year[:n, 0], nan=model.start) - model.start) / model.dt
    ).astype(np.int64)
    t: dict[str, Array] = {
        "n": np.array([n], dtype=np.int64),
        "outcome": np.array([fv.sum(), fc.sum(), ff.sum()]),  # order of results.OUTCOMES
        "outcome_sq": np.array([_sq(v), _sq(c), _sq(f)]),
        "cnf_restrained": np.array([fc[restrained].sum()]),
        "cnf_unsafe": np.array([fc[~restrained & unsafe].sum()]),
        "sweet_years": np.array([fixed(s.sweet_years[:n, 0]).sum()]),
    }
    t["victory_t"] = _weighted_bincount(step_of, fv, model.steps + 1)
    t.update(_waystation_tally(s, model, n, v))
    return t


def _sq(x: Array) -> np.int64:
    """Exact sum of squares in fixed point."""
    return np.int64(fixed(x * x).sum())


def _weighted_bincount(idx: Array, w: Array, size: int) -> Array:
    """Integer-weighted bincount (exact): sums of fixed-point weights per index."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, idx, w)
    return out


def _waystation_tally(s: State, model: Model, n: int, v: Array) -> dict[str, Array]:
    """Sums behind P(reached), P(victory | reached / not reached) and median years."""
    reached = ~np.isnan(s.reached[:n])
    rs = s.reach_survival[:n]
    a1 = v[:, None] * reached
    a0 = v[:, None] * ~reached
    b0 = 1.0 - rs
    out = {
        "ws_a1": fixed(a1).sum(0),
        "ws_a1a1": fixed(a1 * a1).sum(0),
        "ws_b1": fixed(rs).sum(0),
        "ws_b1b1": fixed(rs * rs).sum(0),
        "ws_a1b1": fixed(a1 * rs).sum(0),
        "ws_a0": fixed(a0).sum(0),
        "ws_a0a0": fixed(a0 * a0).sum(0),
        "ws_b0b0": fixed(b0 * b0).sum(0),
        "ws_a0b0": fixed(a0 * b0).sum(0),
    }
    years = np.zeros((len(WAYSTATIONS), model.steps + 1), dtype=np.int64)
    step_idx = np.rint((np.nan_to_num(s.reached[:n], nan=model.start) - model.start) / model.dt)
    frs = fixed(rs)
    for k in range(len(WAYSTATIONS)):
        years[k] = _weighted_bincount(step_idx[:, k].astype(np.int64), frs[:, k], model.steps + 1)
    out["ws_year"] = years
    return out


def world_records(
    s: State, x: Mapping[str, Array], p: Params, model: Model, n: int
) -> dict[str, Array]:
    """Per-world rows: uncertain inputs, outcome probabilities and waystation years."""
    v, f, c = outcomes(s, n)
    rec = {k: x[k][:n] for k in model.uncertain()}
    rec.update(
        p_victory=v,
        p_costly_non_failure=c,
        p_failure=f,
        victory_year=s.victory_year[:n, 0],
        warning_shots=s.warnings[:n, 0],
        sweet_spot_years=s.sweet_years[:n, 0],
    )
    for k, w in enumerate(WAYSTATIONS):
        rec[f"reached.{w}"] = s.reached[:n, k]
    for k, m in enumerate(MILESTONES):
        rec[f"frontier_year.{m}"] = s.milestones[:n, k]
    rec["initial_growth"] = s.g0[:n, 0]
    S_eff = safety_range(s.S[:n], s.O[:n], s.C[:n], cover_params(p, slice(0, n)))
    for a, name in enumerate(model.actors):
        rec[f"{name}.final_capability"] = s.C[:n, a]
        rec[f"{name}.final_safety_range"] = S_eff[:, a]
    return rec


def fold(acc: BlockOut, out: BlockOut) -> BlockOut:
    """Add a block's tallies and histograms into a running total (exact integer sums)."""
    tally = {k: acc.tally[k] + out.tally[k] for k in acc.tally}
    return BlockOut(0, tally, acc.hist + out.hist, None)
