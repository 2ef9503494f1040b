"""Response curves and two-way maps of the objective against a lever or an uncertain input.

Two ways of reading a response, chosen by what the input is:

- a **lever** (a registry name: every actor's value at once for an actor
  lever) is set by the strategy, not drawn, so the curve is **re-simulated**:
  the model is run with the lever at each of ``points`` values across its
  range, every run on the same worlds (common random numbers), so the points
  are paired;
- an **uncertain input** (``hardness``, ``scheming``...) is already drawn
  afresh in every world, so its curve is read from one run by the
  **metamodel** of :mod:`.metamodel` (local-linear kernel regression on the
  input's rank, with a pointwise 95% band), nothing re-simulated.

With ``against`` a second name gives a two-way map: lever x lever is
re-simulated on the product grid; lever x input smooths over the input at
each lever value; input x input uses a product-kernel smoother (local
constant, with a conservative band). With several strategies every map says
which strategy is best at each point, and by how much over the runner-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from waystation.analyses._common import (
    Z95,
    ScenarioLike,
    StrategyLike,
    check_objective,
    check_worlds,
    named_models,
    per_world,
    running,
)
from waystation.analyses.levers import lever_inputs
from waystation.analyses.metamodel import smooth, smooth2
from waystation.analyses.shapes import Shape, shape_of
from waystation.definitions import DEFAULT_WORLDS
from waystation.levers import LEVER_REGISTRY
from waystation.model import Model
from waystation.settings import RunSettings
from waystation.state import Array

#: Points of a re-simulated curve (each axis of a lever map).
POINTS = 6


@dataclass(frozen=True)
class Axis:
    """One axis of a response: its name, how it is read (``"lever"``/``"input"``), its values."""

    name: str
    kind: str
    values: Array

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready axis."""
        return {"name": self.name, "kind": self.kind, "values": self.values.tolist()}


@dataclass(frozen=True)
class Response:
    """Objective of each strategy along one axis (curves) or over two (maps).

    ``mean[s]`` and ``se[s]`` have one dimension per axis; ``shape[s]`` is the
    shape of a one-way curve (None for a map); ``best`` names, per point, the
    strategy with the highest mean, and ``margin`` its lead over the
    runner-up (NaN with one strategy).
    """

    scenario: str
    seed: int
    worlds: int
    objective: str
    strategies: tuple[str, ...]
    axes: tuple[Axis, ...]
    mean: dict[str, Array]
    se: dict[str, Array]
    shape: dict[str, Shape | None]
    best: Array
    margin: Array
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the ``--json`` output of ``waystation response``)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "worlds": self.worlds,
            "objective": self.objective,
            "method": self.method,
            "strategies": list(self.strategies),
            "axes": [a.to_dict() for a in self.axes],
            "curves": {
                s: {
                    "mean": self.mean[s].tolist(),
                    "low": (self.mean[s] - Z95 * self.se[s]).tolist(),
                    "high": (self.mean[s] + Z95 * self.se[s]).tolist(),
                    "shape": None if self.shape[s] is None else self.shape[s].to_dict(),  # type: ignore[union-attr]
                }
                for s in self.strategies
            },
            "best": self.best.tolist(),
            "margin": self.margin.tolist(),
        }


def _kind(model: Model, name: str, uncertain: Sequence[str]) -> str:
    """``"lever"`` for a registry lever, ``"input"`` for an uncertain input; else a clear error."""
    if name in LEVER_REGISTRY:
        return "lever"
    if name in uncertain:
        return "input"
    raise ValueError(
        f"{name!r} is neither a lever ({', '.join(LEVER_REGISTRY)}) nor an uncertain input of "
        f"this scenario ({', '.join(uncertain)})"
    )


def response(
    scenario: ScenarioLike,
    param: str,
    against: str | None = None,
    strategies: Sequence[StrategyLike] | None = None,
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    objective: str = "victory",
    *,
    points: int = POINTS,
    utility: Mapping[str, float] | None = None,
    settings: RunSettings | None = None,
) -> Response:
    """The objective against ``param`` (and ``against``) for each strategy, on common worlds."""
    weights = check_objective(objective, utility)
    worlds = check_worlds(worlds)
    if worlds < 200:
        raise ValueError(f"a response needs at least 200 worlds, got {worlds}")
    if not 3 <= points <= 25:
        raise ValueError(f"points must be between 3 and 25, got {points!r}")
    if against == param:
        raise ValueError("--against must name a different lever or input")
    chosen: list[StrategyLike | None] = list(strategies) if strategies else [None]
    _, models, names = named_models(scenario, chosen)
    uncertain = models[0].uncertain()
    axes_names = [param] if against is None else [param, against]
    kinds = [_kind(models[0], n, uncertain) for n in axes_names]
    levers = [n for n, k in zip(axes_names, kinds, strict=True) if k == "lever"]
    grids = [np.linspace(*LEVER_REGISTRY[n].bounds, points) for n in levers]
    settings_list = (
        list(np.array(np.meshgrid(*grids, indexing="ij")).reshape(len(levers), -1).T)
        if levers
        else [np.zeros(0)]
    )
    values: dict[str, list[Array]] = {s: [] for s in names}
    draws: dict[str, Array] = {}
    total = worlds * len(models) * len(settings_list)
    with running(seed, total, settings) as runner:
        for name, model in zip(names, models, strict=True):
            for xs in settings_list:
                over = {k: float(x) for n, x in zip(levers, xs, strict=True)
                        for k in lever_inputs(model, LEVER_REGISTRY[n])}  # fmt: skip
                res = runner.run(model.with_overrides(over) if over else model, worlds)
                assert res.records is not None
                values[name].append(per_world(res, objective, weights))
                draws = {k: np.asarray(v) for k, v in res.records.items() if k in uncertain}
    return _assemble(models[0], names, axes_names, kinds, grids, values, draws, (worlds, seed),
                     objective, points)  # fmt: skip


def _assemble(
    model: Model,
    names: tuple[str, ...],
    axes_names: list[str],
    kinds: list[str],
    grids: list[Array],
    values: dict[str, list[Array]],
    draws: dict[str, Array],
    run: tuple[int, int],
    objective: str,
    points: int,
) -> Response:
    """Curves or maps from the runs: means and errors, shapes, the best strategy per point."""
    mean: dict[str, Array] = {}
    se: dict[str, Array] = {}
    axes: list[Axis] = []
    inputs = [n for n, k in zip(axes_names, kinds, strict=True) if k == "input"]
    for s in names:
        runs = values[s]
        if not inputs:  # levers only: paired means on the product grid
            mean[s] = np.array([v.mean() for v in runs]).reshape([points] * len(grids))
            se[s] = np.array([v.std(ddof=1) / np.sqrt(len(v)) for v in runs]).reshape(mean[s].shape)
        elif len(inputs) == 1:
            fits = [smooth(draws[inputs[0]], v) for v in runs]
            mean[s] = np.squeeze(np.array([f.mean for f in fits]))
            se[s] = np.squeeze(np.array([f.se for f in fits]))
            if grids:  # lever x input: rows are lever values
                mean[s], se[s] = mean[s].reshape(points, -1), se[s].reshape(points, -1)
                if kinds[0] == "input":
                    mean[s], se[s] = mean[s].T, se[s].T
            grid_x = fits[0].x
        else:
            gx, gy, m, e = smooth2(draws[inputs[0]], draws[inputs[1]], runs[0])
            mean[s], se[s] = m, e
    for n, k in zip(axes_names, kinds, strict=True):
        if k == "lever":
            axes.append(Axis(n, k, grids[[g for g in axes_names if g in LEVER_REGISTRY].index(n)]))
        elif len(inputs) == 1:
            axes.append(Axis(n, k, grid_x))
        else:
            axes.append(Axis(n, k, gx if n == inputs[0] else gy))
    shape = {s: _shape(values[s], mean[s], se[s], axes, kinds) for s in names}
    stack = np.stack([mean[s] for s in names])
    best = np.array(names, dtype=object)[np.argmax(stack, axis=0)]
    top2 = np.sort(stack, axis=0)
    margin = top2[-1] - top2[-2] if len(names) > 1 else np.full(stack.shape[1:], np.nan)
    method = " and ".join(
        "re-simulated on common worlds" if k == "lever" else "kernel metamodel of one run"
        for k in dict.fromkeys(kinds)
    )
    return Response(model.name, run[1], run[0], objective, names, tuple(axes), mean, se, shape,
                    best, margin, method)  # fmt: skip


def _shape(
    runs: list[Array], mean: Array, se: Array, axes: list[Axis], kinds: list[str]
) -> Shape | None:
    """Shape of a one-way curve: paired errors for a lever; for an input, 7 spaced points.

    Smoothed points closer than the bandwidth share worlds, so an input's
    curve is judged at 7 points a sixth of the prior apart, nearly independent,
    whose differences' errors are the root sum of squares of theirs.
    """
    if len(axes) != 1:
        return None
    x = axes[0].values
    if kinds[0] == "lever":
        n = len(runs[0])
        dse = [float(np.std(b - a, ddof=1) / np.sqrt(n)) for a, b in pairwise(runs)]
        return shape_of(x, mean, dse)
    k = np.unique(np.round(np.linspace(0, len(x) - 1, 7)).astype(int))
    xs, ms, ss = x[k], mean[k], se[k]
    keep = np.concatenate([[True], np.diff(xs) > 0])  # ties of a discrete input
    xs, ms, ss = xs[keep], ms[keep], ss[keep]
    if len(xs) < 2:
        return Shape("flat")
    log = bool(xs[0] > 0 and xs[-1] / xs[0] > 50)
    return shape_of(xs, ms, np.hypot(ss[:-1], ss[1:]), log=log)
