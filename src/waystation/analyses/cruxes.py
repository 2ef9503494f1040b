"""Cruxes: which uncertain input decides between two strategies, and at what value it switches.

For strategies A and B on common worlds the per-world paired difference
``D(w) = f_A(w) - f_B(w)`` is the whole disagreement. For every uncertain
input ``x`` (drawn afresh in each world) the one-way metamodel
``m(x) = E[D | x]`` (:mod:`.metamodel`: local-linear kernel regression on
the input's rank, with a pointwise 95% band) says which strategy is better
for each value of ``x``, the other inputs varying as the scenario's prior
says. From it:

- **share explained**: ``Var(m(x)) / Var(D)`` (less the band's own noise),
  the first-order share of the disagreement carried by ``x``; inputs are
  ranked by it;
- **switch points**: where ``m`` passes from resolvedly positive (band above
  zero) to resolvedly negative or back; the point is the zero crossing of
  ``m`` in between, and its interval is the span from the last resolved grid
  point before it to the first one after (every value at which the band
  includes zero lies inside: a test inversion), widened where needed to one
  grid step (2% of the prior) beyond the crossing's own step on each side, the
  grid's resolution. No such passage: "none in range";
- **mass**: the prior probability on each side (the switch point's rank);
- **what you would have to believe**: for each strategy, the values of
  ``x`` where it is the better one, as a sentence with the prior mass on them.

The method is validated on synthetic models whose switch points are known
(``tests/test_cruxes.py``): :func:`cruxes_of` takes plain arrays, the same
code that :func:`cruxes` feeds with simulated worlds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from waystation.analyses._common import (
    Z95,
    Interval,
    ScenarioLike,
    StrategyLike,
    check_objective,
    check_worlds,
    named_models,
    per_world,
    running,
)
from waystation.analyses.decision import at_horizon, check_horizons
from waystation.analyses.metamodel import BANDWIDTH, Smooth, smooth
from waystation.definitions import DEFAULT_WORLDS
from waystation.settings import RunSettings
from waystation.state import Array


@dataclass(frozen=True)
class SwitchPoint:
    """Where the better strategy changes along one input, with its interval and prior mass."""

    value: float
    low: float
    high: float
    mass_below: float
    better_above: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready switch point."""
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "mass_below": self.mass_below,
            "mass_above": 1.0 - self.mass_below,
            "better_above": self.better_above,
        }


@dataclass(frozen=True)
class Crux:
    """One input's share of the disagreement, its switch points, the beliefs behind each choice."""

    input: str
    explained: float
    switch_points: tuple[SwitchPoint, ...]
    believe: dict[str, str]
    curve: Smooth

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready crux: the curve as ``x``, ``difference``, ``low``, ``high``."""
        c = self.curve
        return {
            "input": self.input,
            "explained": self.explained,
            "switch_points": [s.to_dict() for s in self.switch_points],
            "believe": dict(self.believe),
            "curve": {
                "x": c.x.tolist(),
                "rank": c.u.tolist(),
                "difference": c.mean.tolist(),
                "low": (c.mean - Z95 * c.se).tolist(),
                "high": (c.mean + Z95 * c.se).tolist(),
            },
        }


@dataclass(frozen=True)
class CruxTable:
    """Cruxes between strategies ``a`` and ``b`` at one horizon, most explaining first."""

    a: str
    b: str
    horizon: float
    difference: Interval
    acceptability: float
    cruxes: tuple[Crux, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready table: ``difference`` is A minus B; ``acceptability`` P(A better)."""
        return {
            "a": self.a,
            "b": self.b,
            "horizon": self.horizon,
            "difference": self.difference.to_dict(),
            "p_a_better": self.acceptability,
            "cruxes": [c.to_dict() for c in self.cruxes],
        }


@dataclass(frozen=True)
class Cruxes:
    """Crux tables for each pair (first strategy against each other) and each horizon."""

    scenario: str
    seed: int
    worlds: int
    objective: str
    strategies: tuple[str, ...]
    tables: tuple[CruxTable, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the ``--json`` output of ``waystation cruxes``)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "worlds": self.worlds,
            "objective": self.objective,
            "strategies": list(self.strategies),
            "tables": [t.to_dict() for t in self.tables],
        }


def _resolved(curve: Smooth, z: float = Z95) -> Array:
    """+1 / -1 where the band lies above / below zero, 0 where it includes zero."""
    return np.where(
        curve.mean > z * curve.se, 1, np.where(curve.mean < -z * curve.se, -1, 0)
    ).astype(int)


def switch_points(curve: Smooth, x: Array, a: str, b: str) -> tuple[SwitchPoint, ...]:
    """Passages of ``E[A - B | x]`` between resolved signs, located at the zero crossing."""
    sign = _resolved(curve)
    idx = np.flatnonzero(sign)
    out = []
    last = len(curve.u) - 1
    for i_, j_ in pairwise(idx):
        i, j = int(i_), int(j_)
        if sign[i] == sign[j]:
            continue
        m = curve.mean[i : j + 1]
        k = i + int(np.flatnonzero(np.sign(m[:-1]) != np.sign(m[1:]))[0])
        t = curve.mean[k] / (curve.mean[k] - curve.mean[k + 1])
        u = curve.u[k] + t * (curve.u[k + 1] - curve.u[k])
        value = float(np.quantile(x, u))
        lo, hi = max(0, min(i, k - 1)), max(j, min(k + 2, last))
        out.append(
            SwitchPoint(
                value,
                float(curve.x[lo]),
                float(curve.x[hi]),
                float(np.mean(x < value)),
                a if sign[j] > 0 else b,
            )
        )
    return tuple(out)


def _region_words(name: str, spans: list[tuple[float, float]], lo: float, hi: float) -> str:
    """``"hardness above 1.3"``, ``"below 0.4"``, ``"between 0.4 and 1.3"`` (or, joined)."""
    parts = []
    for s, e in spans:
        if s <= lo and e >= hi:
            parts.append(f"{name} anywhere in its range")
        elif s <= lo:
            parts.append(f"{name} below {e:.3g}")
        elif e >= hi:
            parts.append(f"{name} above {s:.3g}")
        else:
            parts.append(f"{name} between {s:.3g} and {e:.3g}")
    return " or ".join(parts)


def beliefs(name: str, curve: Smooth, x: Array, a: str, b: str) -> dict[str, str]:
    """One sentence per strategy: the values of the input that make it the better choice."""
    sign = _resolved(curve)
    points = switch_points(curve, x, a, b)
    lo, hi = float(np.min(x)), float(np.max(x))
    cuts = [lo, *(p.value for p in points), hi]
    mass = [0.0, *(p.mass_below for p in points), 1.0]
    out = {}
    for s, want in ((a, 1), (b, -1)):
        spans, share = [], 0.0
        for k in range(len(cuts) - 1):
            inside = (curve.u >= mass[k]) & (curve.u <= mass[k + 1])
            if np.any(sign[inside] == want):
                spans.append((cuts[k], cuts[k + 1]))
                share += mass[k + 1] - mass[k]
        if not spans:
            out[s] = (
                f"No value of {name} alone makes {s} the resolved better choice "
                f"(its range {lo:.3g} to {hi:.3g}); it would take beliefs about other inputs."
            )
            continue
        if share >= 1.0:
            out[s] = (
                f"{s} is the better choice whatever {name} is ({lo:.3g} to {hi:.3g}): "
                f"{name} alone cannot change the choice."
            )
            continue
        out[s] = (
            f"For {s} to be the better choice you would have to believe "
            f"{_region_words(name, spans, lo, hi)}; the scenario puts {share:.0%} on that."
        )
    return out


def crux_of(name: str, x: Array, d: Array, a: str, b: str, h: float = BANDWIDTH) -> Crux:
    """One input's crux from per-world draws ``x`` and paired differences ``d`` (A - B)."""
    curve = smooth(x, d, h=h)
    fitted = curve.at(np.interp(x, curve.x, curve.u))
    noise = float(np.mean(curve.se**2))
    total = float(np.var(d))
    explained = max(0.0, float(np.var(fitted)) - noise) / total if total > 0 else 0.0
    return Crux(
        name, explained, switch_points(curve, x, a, b), beliefs(name, curve, x, a, b), curve
    )


def cruxes_of(
    inputs: Mapping[str, Array],
    a: tuple[str, Array],
    b: tuple[str, Array],
    horizon: float = float("nan"),
    h: float = BANDWIDTH,
) -> CruxTable:
    """Crux table from per-world input draws and the two strategies' per-world values."""
    (na, fa), (nb, fb) = a, b
    d = np.asarray(fa, np.float64) - np.asarray(fb, np.float64)
    found = [
        crux_of(k, np.asarray(v, np.float64), d, na, nb, h)
        for k, v in inputs.items()
        if np.ptp(np.asarray(v)) > 0
    ]
    found.sort(key=lambda c: -c.explained)
    better = float(np.mean(np.where(d > 0, 1.0, np.where(d < 0, 0.0, 0.5))))
    return CruxTable(na, nb, horizon, Interval.of_mean(d), better, tuple(found))


def cruxes(
    scenario: ScenarioLike,
    strategies: Sequence[StrategyLike],
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    objective: str = "victory",
    *,
    horizons: Sequence[float] | None = None,
    inputs: Sequence[str] | None = None,
    utility: Mapping[str, float] | None = None,
    bandwidth: float = BANDWIDTH,
    settings: RunSettings | None = None,
) -> Cruxes:
    """Cruxes of the first strategy against each other one, at each horizon (default: the model's).

    ``inputs`` restricts the analysis to some uncertain inputs (default: all).
    """
    weights = check_objective(objective, utility)
    worlds = check_worlds(worlds)
    if len(strategies) < 2:
        raise ValueError("cruxes need at least two strategies: -s A -s B")
    if worlds < 200:
        raise ValueError(f"cruxes need at least 200 worlds to smooth over, got {worlds}")
    _, models, names = named_models(scenario, list(strategies))
    years = check_horizons(horizons) if horizons else (models[0].horizon,)
    for y in years:
        at_horizon(models[0], y)
    tables = []
    with running(seed, worlds * len(models) * len(years), settings) as runner:
        for y in years:
            values, draws = [], {}
            for model in models:
                res = runner.run(at_horizon(model, y), worlds)
                assert res.records is not None
                values.append(per_world(res, objective, weights))
                draws = {k: v for k, v in res.records.items() if k in model.inputs}
            chosen = _chosen(draws, inputs)
            for k in range(1, len(models)):
                tables.append(
                    cruxes_of(chosen, (names[0], values[0]), (names[k], values[k]), y, bandwidth)
                )
        runner.finish()
    return Cruxes(models[0].name, seed, worlds, objective, names, tuple(tables))


def _chosen(draws: Mapping[str, Array], inputs: Sequence[str] | None) -> dict[str, Array]:
    """The uncertain inputs' draws, restricted to ``inputs`` (each must be uncertain)."""
    if inputs is None:
        return dict(draws)
    missing = [k for k in inputs if k not in draws]
    if missing:
        raise ValueError(
            f"not uncertain in this scenario (or unknown): {', '.join(missing)}; "
            f"uncertain inputs: {', '.join(draws)}"
        )
    return {k: draws[k] for k in inputs}
