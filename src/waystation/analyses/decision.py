"""Which strategy to choose, how sure we are, and whether the answer depends on the year.

With per-world values ``f_s(w)`` of each strategy on common random numbers
(the objective of world ``w`` under strategy ``s``):

- **acceptability**: P(s is best) = the share of worlds in which ``s`` has the
  highest value (a tie shares the world equally), with a binomial 95%
  interval -- the point of a cost-effectiveness acceptability curve (dampack,
  BCEA) at one willingness to pay;
- **expected loss** of choosing ``s``: E_w[max_t f_t(w) - f_s(w)], the
  objective forgone against a chooser who knew the world. It is a paired
  per-world mean, so its interval is tight; the smallest expected loss is the
  EVPI (the expected value of perfect information, :mod:`.voi`), and the
  strategy that attains it is the one with the highest mean;
- **horizons**: the same worlds stopped at several years (the model run to
  year ``h`` draws the same shocks up to ``h``), so a ranking can be read by
  2040, 2050 and 2100, and :func:`ranking_changes` says in words when a
  resolved preference between two strategies reverses with the year.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

import numpy as np

from waystation.analyses._common import (
    Z95,
    Interval,
    Runner,
    ScenarioLike,
    StrategyLike,
    check_objective,
    check_worlds,
    named_models,
    per_world,
    running,
)
from waystation.definitions import DEFAULT_WORLDS
from waystation.model import Model
from waystation.results import OUTCOMES, Results
from waystation.settings import RunSettings
from waystation.state import Array

#: Years at which ``--horizons`` reads outcomes unless told otherwise.
DEFAULT_HORIZONS: tuple[float, ...] = (2040.0, 2050.0, 2100.0)


@dataclass(frozen=True)
class Decision:
    """Acceptability and expected loss of each strategy for one objective (one horizon)."""

    objective: str
    strategies: tuple[str, ...]
    means: dict[str, Interval]
    acceptability: dict[str, Interval]
    expected_loss: dict[str, Interval]
    evpi: Interval
    best: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``objective``, ``best``, ``evpi`` and per-strategy intervals."""
        return {
            "objective": self.objective,
            "best": self.best,
            "evpi": self.evpi.to_dict(),
            "means": {k: v.to_dict() for k, v in self.means.items()},
            "acceptability": {k: v.to_dict() for k, v in self.acceptability.items()},
            "expected_loss": {k: v.to_dict() for k, v in self.expected_loss.items()},
        }


def winners(F: Array, tol: float = 1e-12) -> Array:
    """Each world's share of 'best' per strategy (strategies x worlds): ties split equally."""
    top = F.max(axis=0)
    best = (top - tol <= F).astype(np.float64)
    return best / best.sum(axis=0)


def _binomial(p: float, n: int) -> Interval:
    """Proportion with a Wilson 95% interval (sound near 0 and 1)."""
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def decision_of(F: Array, names: Sequence[str], objective: str = "victory") -> Decision:
    """Acceptability, expected loss and EVPI from per-world values ``F`` (strategies x worlds)."""
    F = np.asarray(F, dtype=np.float64)
    if F.ndim != 2 or F.shape[0] != len(names) or F.shape[1] < 2:
        raise ValueError("decision_of needs one row of at least 2 worlds per strategy")
    n = F.shape[1]
    share = winners(F)
    loss = F.max(axis=0)[None, :] - F
    losses = {s: Interval.of_mean(loss[i]) for i, s in enumerate(names)}
    means = {s: Interval.of_mean(F[i]) for i, s in enumerate(names)}
    best = names[int(np.argmin([losses[s].estimate for s in names]))]
    return Decision(
        objective,
        tuple(names),
        means,
        {s: _binomial(float(share[i].mean()), n) for i, s in enumerate(names)},
        losses,
        losses[best],
        best,
    )


def at_horizon(model: Model, year: float) -> Model:
    """The model stopped at ``year`` (same worlds and shocks up to then)."""
    if not (math.isfinite(year) and year > model.start):
        raise ValueError(f"horizon {year:g} must be a year after the start ({model.start:g})")
    return replace(model, horizon=float(year), layout=model.stream_layout())


def check_horizons(years: Sequence[float]) -> tuple[float, ...]:
    """Distinct horizons in increasing order (at least one)."""
    out = tuple(sorted({float(y) for y in years}))
    if not out:
        raise ValueError("give at least one horizon year, e.g. 2040,2050,2100")
    return out


@dataclass(frozen=True)
class HorizonTable:
    """Outcomes of each strategy by several years on the same worlds, and when rankings change.

    ``probabilities[year][strategy][outcome]`` is an interval;
    ``decisions[year]`` the acceptability and expected loss by that year;
    ``changes`` sentences naming each resolved reversal of a pairwise ranking.
    """

    years: tuple[float, ...]
    strategies: tuple[str, ...]
    objective: str
    probabilities: dict[float, dict[str, dict[str, Interval]]]
    decisions: dict[float, Decision]
    changes: tuple[str, ...]

    def best(self, year: float) -> str:
        """The strategy with the highest mean objective by ``year``."""
        return self.decisions[year].best

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``years``, per-year ``probabilities``/``decision``/``best``, ``changes``."""
        return {
            "years": list(self.years),
            "objective": self.objective,
            "by_year": {
                f"{y:g}": {
                    "probabilities": {
                        s: {o: iv.to_dict() for o, iv in p.items()}
                        for s, p in self.probabilities[y].items()
                    },
                    "best": self.best(y),
                    "decision": self.decisions[y].to_dict(),
                }
                for y in self.years
            },
            "changes": list(self.changes),
        }


def ranking_changes(
    years: Sequence[float], names: Sequence[str], values: Mapping[float, Array], label: str
) -> tuple[str, ...]:
    """Sentences for each pair whose resolved order reverses between two horizons.

    ``values[year]`` is the strategies x worlds array by that year (common
    worlds). A preference is resolved when the paired difference's 95%
    interval excludes zero.
    """
    out = []
    for i, j in combinations(range(len(names)), 2):
        signs = {}
        for y in years:
            d = Interval.of_mean(values[y][i] - values[y][j])
            signs[y] = (1 if d.low > 0 else -1 if d.high < 0 else 0, d)
        first = next(((y, s) for y, (s, _) in signs.items() if s), None)
        flip = next(
            (y for y, (s, _) in signs.items() if first is not None and s == -first[1]), None
        )
        if first is None or flip is None:
            continue
        y0, s0 = first
        win0, lose0 = (names[i], names[j]) if s0 > 0 else (names[j], names[i])
        d0, d1 = signs[y0][1], signs[flip][1]
        out.append(
            f"The ranking changes between {y0:g} and {flip:g}: by {y0:g} {win0} beats "
            f"{lose0} on {label} ({_pm(abs(d0.estimate), d0)}), but by {flip:g} {lose0} "
            f"beats {win0} ({_pm(abs(d1.estimate), d1)})."
        )
    return tuple(out)


def _pm(value: float, iv: Interval) -> str:
    """``+0.051 ± 0.004``: a size with its 95% half-width."""
    return f"{value:+.3f} ± {(iv.high - iv.low) / 2:.3f}"


def by_year(
    runner: Runner,
    models: Sequence[Model],
    names: Sequence[str],
    years: Sequence[float],
    worlds: int,
    objective: str,
    weights: Mapping[str, float],
    known: Mapping[str, Results] | None = None,
) -> HorizonTable:
    """Run every model stopped at each year with ``runner`` (common worlds); the table.

    ``known`` are runs of the same worlds to the models' own horizon, used for
    that year instead of running it again.
    """
    probs: dict[float, dict[str, dict[str, Interval]]] = {}
    values: dict[float, Array] = {}
    for y in years:
        rows, probs[y] = [], {}
        for name, model in zip(names, models, strict=True):
            if known is not None and y == model.horizon and name in known:
                res = known[name]
            else:
                res = runner.run(at_horizon(model, y), worlds)
            assert res.records is not None
            probs[y][name] = {
                o: Interval.of_mean(np.asarray(res.records[f"p_{o}"], np.float64)) for o in OUTCOMES
            }
            rows.append(per_world(res, objective, weights))
        values[y] = np.stack(rows)
    decisions = {y: decision_of(values[y], names, objective) for y in years}
    label = f"P({objective.replace('_', ' ')})" if objective != "utility" else "expected utility"
    return HorizonTable(
        tuple(years), tuple(names), objective, probs, decisions,
        ranking_changes(years, names, values, label),
    )  # fmt: skip


def horizons(
    scenario: ScenarioLike,
    strategies: Sequence[StrategyLike],
    years: Sequence[float] = DEFAULT_HORIZONS,
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    objective: str = "victory",
    *,
    utility: Mapping[str, float] | None = None,
    settings: RunSettings | None = None,
) -> HorizonTable:
    """Run every strategy stopped at each year on common worlds; say when rankings change."""
    weights = check_objective(objective, utility)
    worlds = check_worlds(worlds)
    ys = check_horizons(years)
    if not strategies:
        raise ValueError("give at least one strategy")
    _, models, names = named_models(scenario, list(strategies))
    for y in ys:
        at_horizon(models[0], y)  # a clear error before any run
    with running(seed, worlds * len(models) * len(ys), settings) as runner:
        return by_year(runner, models, names, ys, worlds, objective, weights)
