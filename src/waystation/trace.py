"""Step-by-step paths of a few chosen worlds, for figures of individual futures.

The engine keeps only summaries and per-world end states. A world is
reproducible from (seed, world index) alone: every draw it gets is a function
of (seed, world, step, variable) (:mod:`waystation.rng`). :func:`trace_worlds`
steps the chosen worlds alone with the engine's own functions
(``draw_inputs``, ``assemble``, ``initial_state``, ``step_shocks``,
``apply_strategy`` and :func:`waystation.dynamics.step`, which freezes won
worlds and tracks waystations) and records each step. A step acts on every
world independently, so the traced worlds end where the engine's per-world
records say they do; a test checks that.

Numpy backend only; fixed-input runs (the sensitivity analysis) are not traced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from waystation.dynamics import initial_state, safety_range, step
from waystation.model import Model, assemble, draw_inputs
from waystation.results import Results
from waystation.rng import key_of, normals, step_shocks
from waystation.state import Array, State
from waystation.strategies import apply_strategy

__all__ = ["Trace", "pick_worlds", "sample_traces", "trace_worlds"]


@dataclass(frozen=True)
class Trace:
    """Per-step paths of a few worlds of one run.

    ``capability[w, t, a]`` and ``safety_range[w, t, a]`` (OOM above the 2026
    frontier; the effective safety range, hardening's cover included) are
    actor ``actors[a]``'s values in world ``worlds[w]`` at year ``times[t]``;
    ``survival[w, t]`` is the chance that world has not yet failed and
    ``victory_year[w]`` the year it was won (NaN if never); after it the
    world's state is frozen. ``labels[w]`` says why the world was chosen
    (e.g. ``"victory"``).
    """

    seed: int
    worlds: tuple[int, ...]
    labels: tuple[str, ...]
    actors: tuple[str, ...]
    times: Array
    capability: Array
    safety_range: Array
    survival: Array
    p_victory: Array
    victory_year: Array
    scenario: str = ""
    strategy: str = ""

    @property
    def p_failure(self) -> Array:
        """Final chance of failure of each traced world."""
        return np.asarray(1.0 - self.survival[:, -1], dtype=np.float64)


def trace_worlds(
    model: Model, seed: int, worlds: Sequence[int], labels: Sequence[str] | None = None
) -> Trace:
    """Re-simulate worlds ``worlds`` of a run of ``model`` with ``seed``, step by step.

    World ``i`` is the ``i``-th world of any run of this model and seed, however
    many worlds it had and however it was split into blocks: every draw is a
    function of (seed, world, step, variable) (:mod:`waystation.rng`), so the
    chosen worlds are stepped alone and get the engine's very numbers.
    """
    ids = [int(w) for w in worlds]
    if not ids:
        raise ValueError("trace_worlds needs at least one world index")
    if min(ids) < 0:
        raise ValueError(f"world indices must be >= 0, got {min(ids)}")
    names = tuple(labels) if labels is not None else ("",) * len(ids)
    if len(names) != len(ids):
        raise ValueError(f"{len(names)} labels for {len(ids)} worlds")
    key = key_of(seed)
    world = np.asarray(ids, dtype=np.uint64)
    A = len(model.actors)
    p, base = assemble(model, draw_inputs(model, world, key))
    z0 = normals(key, world, 0, "noise0", A)
    s: State = initial_state(p, base, z0, model.start)
    T = model.steps
    C = np.empty((len(ids), T + 1, A))
    S = np.empty_like(C)
    surv = np.empty((len(ids), T + 1))

    def record(i: int, s: State) -> None:
        C[:, i], S[:, i] = s.C, safety_range(s.S, s.O, s.C, p)
        surv[:, i] = s.survival[:, 0]

    record(0, s)
    for i in range(1, T + 1):
        lv = apply_strategy(model.strategy, base, s, p, model.actors)
        shocks = step_shocks(key, world, i, A)  # the engine's draws: a function of the world
        s = step(s, p, lv, shocks, model.step_dt(i))
        record(i, s)
        if s.done.all():  # finished worlds are frozen: every later step records the same
            C[:, i + 1 :], S[:, i + 1 :] = C[:, i : i + 1], S[:, i : i + 1]
            surv[:, i + 1 :] = surv[:, i : i + 1]
            break
    return Trace(
        seed,
        tuple(ids),
        names,
        model.actors,
        model.times,
        C,
        S,
        surv,
        s.p_victory[:, 0].copy(),
        s.victory_year[:, 0].copy(),
        model.name,
        model.strategy.name,
    )


def pick_worlds(
    records: Mapping[str, Array], per_outcome: int = 3, seed: int = 0, threshold: float = 0.5
) -> dict[str, list[int]]:
    """Choose a few worlds whose outcome is clear, from a run's per-world records.

    ``"victory"``: worlds with P(victory) at least ``threshold``; ``"failure"``:
    worlds with P(failure) at least ``threshold``. Up to ``per_outcome`` of each,
    drawn at random (generator seeded by ``seed``) and returned in index order;
    an outcome no world reaches gets an empty list.
    """
    if per_outcome < 0:
        raise ValueError(f"per_outcome must be >= 0, got {per_outcome}")
    rng = np.random.default_rng(seed)
    out: dict[str, list[int]] = {}
    for outcome in ("victory", "failure"):
        pool = np.flatnonzero(np.asarray(records[f"p_{outcome}"]) >= threshold)
        take = rng.choice(pool, size=min(per_outcome, pool.size), replace=False)
        out[outcome] = sorted(int(w) for w in take)
    return out


def sample_traces(model: Model, res: Results, per_outcome: int = 3, seed: int = 0) -> Trace:
    """Trace a few victory worlds and a few failure worlds of the run ``res`` of ``model``.

    ``res`` must keep its per-world records (``keep_worlds=True``, the default)
    and come from ``model`` (same scenario, strategy and time grid); worlds are
    chosen by :func:`pick_worlds` and labelled by their outcome.
    """
    if res.records is None:
        raise ValueError("per-world records were not kept: run with keep_worlds=True")
    if res.n_worlds != len(res.records["p_victory"]) or len(res.times) != model.steps + 1:
        raise ValueError("the run does not match the model: trace the model it was run from")
    picks = pick_worlds(res.records, per_outcome, seed)
    ids = [w for ws in picks.values() for w in ws]
    if not ids:
        raise ValueError("no world of the run has a clear victory or failure to trace")
    labels = [k for k, ws in picks.items() for _ in ws]
    return trace_worlds(model, res.seed, ids, labels)
