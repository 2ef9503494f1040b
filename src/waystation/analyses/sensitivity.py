"""Global sensitivity of an outcome to the uncertain inputs: Sobol indices or Morris screening.

The model is ``f(X) -> Y`` in the SALib sense: ``X`` holds the uncertain
inputs, each mapped from SALib's unit hypercube through its distribution's
inverse CDF, and ``Y`` is one world's outcome probability (or utility) with
those inputs injected into the engine (``run_model(fixed_inputs=...)``).
Everything not in ``X`` -- other inputs and the world's shocks -- is an
unreported extra input; it is held common between the rows that SALib's
estimators difference (common random numbers), so an input that does nothing
has a total index of exactly zero rather than a share of the shock noise.

Sobol uses SALib's Sobol' sequence sampler and the Saltelli (2010) / Jansen
estimators without second-order terms; inputs are treated as independent
(rank correlations of the scenario are not applied to these samples). Morris
levels span the inputs' 2.5%-97.5% quantiles, so ``mu_star`` is in objective
units per unit of that quantile range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from waystation import definitions
from waystation.analyses._common import (
    Runner,
    ScenarioLike,
    StrategyLike,
    check_objective,
    frame_of,
    paired_models,
    per_world,
    running,
)
from waystation.model import Model
from waystation.settings import RunSettings
from waystation.state import Array

if TYPE_CHECKING:
    import pandas as pd

METHODS: tuple[str, ...] = ("sobol", "morris")
#: Unit samples are kept this far from 0 and 1, where some inverse CDFs are infinite.
_EPS = 1e-9
#: Morris levels map to these quantiles of each input.
_MORRIS_RANGE = (0.025, 0.975)


@dataclass(frozen=True)
class Sensitivity:
    """Sensitivity indices per input name; ``*_conf`` are 95% half-widths.

    Sobol fills ``S1``, ``S1_conf``, ``ST``, ``ST_conf``; Morris fills
    ``mu_star``, ``mu_star_conf``, ``sigma``. The others are None.
    """

    scenario: str
    strategy: str
    method: str
    objective: str
    base_samples: int
    seed: int
    worlds: int
    names: tuple[str, ...]
    S1: dict[str, float] | None = None
    S1_conf: dict[str, float] | None = None
    ST: dict[str, float] | None = None
    ST_conf: dict[str, float] | None = None
    mu_star: dict[str, float] | None = None
    mu_star_conf: dict[str, float] | None = None
    sigma: dict[str, float] | None = None

    def indices(self) -> dict[str, dict[str, float]]:
        """The indices the method filled, by index name."""
        keys = ("S1", "S1_conf", "ST", "ST_conf", "mu_star", "mu_star_conf", "sigma")
        return {k: v for k in keys if (v := getattr(self, k)) is not None}

    def to_frame(self) -> pd.DataFrame:
        """One row per input, one column per index."""
        idx = self.indices()
        rows: list[dict[str, object]] = [
            {"input": n, **{k: v[n] for k, v in idx.items()}} for n in self.names
        ]
        return frame_of(rows, "input")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready indices (the ``--json`` output of ``waystation sensitivity``)."""
        return {
            "scenario": self.scenario,
            "strategy": self.strategy,
            "method": self.method,
            "objective": self.objective,
            "base_samples": self.base_samples,
            "seed": self.seed,
            "worlds": self.worlds,
            "names": list(self.names),
            **self.indices(),
        }


def check_names(model: Model, names: Sequence[str] | None) -> tuple[str, ...]:
    """The inputs to analyse: the model's uncertain inputs, or a subset of them."""
    uncertain = model.uncertain()
    chosen = tuple(uncertain if names is None else names)
    bad = [n for n in chosen if n not in uncertain]
    if bad:
        raise ValueError(
            f"not uncertain inputs of {model.name}: {', '.join(bad)}; "
            f"uncertain: {', '.join(uncertain) or 'none'}"
        )
    if not chosen or len(set(chosen)) != len(chosen):
        raise ValueError("sensitivity needs at least one input, each named once")
    return chosen


def default_base_samples(method: str, inputs: int, worlds: int | None = None) -> int:
    """The default sample size: as many as keep the analysis within ``worlds`` worlds.

    ``worlds`` defaults to :data:`waystation.definitions.DEFAULT_WORLDS`, the
    precision of every other command. Sobol simulates ``n * (inputs + 2)``
    worlds, ``n`` a power of two; Morris ``n * (inputs + 1)``. With the 17
    uncertain inputs of the shipped scenarios that is 1,024 Sobol base samples
    (19,456 worlds) or 1,111 Morris trajectories (19,998 worlds); never fewer
    than 2.
    """
    total = definitions.DEFAULT_WORLDS if worlds is None else worlds
    if method == "sobol":
        return 1 << max(1, (total // (inputs + 2)).bit_length() - 1)
    return max(2, total // (inputs + 1))


def to_inputs(model: Model, names: tuple[str, ...], U: Array) -> dict[str, Array]:
    """Map unit-hypercube rows ``U`` (rows x names) to input values by inverse CDFs."""
    u = np.clip(U, _EPS, 1.0 - _EPS)
    return {n: model.inputs[n].ppf(u[:, k]) for k, n in enumerate(names)}


def sensitivity(
    scenario: ScenarioLike,
    strategy: StrategyLike | None = None,
    method: str = "sobol",
    base_samples: int | None = None,
    seed: int = 0,
    objective: str = "victory",
    names: Sequence[str] | None = None,
    *,
    utility: Mapping[str, float] | None = None,
    settings: RunSettings | None = None,
) -> Sensitivity:
    """Sobol indices (``method="sobol"``) or Morris screening (``"morris"``) of the objective.

    Sobol simulates ``base_samples * (len(names) + 2)`` worlds and needs a
    power of two; Morris simulates ``base_samples`` trajectories of
    ``len(names) + 1`` worlds. ``names`` defaults to every uncertain input.
    ``base_samples`` defaults to :func:`default_base_samples`: as many as keep
    the analysis within the one default precision, ``DEFAULT_WORLDS`` worlds.
    How it runs is ``settings`` (:class:`~waystation.settings.RunSettings`).
    """
    weights = check_objective(objective, utility)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    _, (model,) = paired_models(scenario, [strategy])
    chosen = check_names(model, names)
    if base_samples is None:
        base_samples = default_base_samples(method, len(chosen))
    n = int(base_samples)
    if n < 2 or (method == "sobol" and n & (n - 1)):
        need = "a power of 2, at least 2" if method == "sobol" else "at least 2"
        raise ValueError(f"base_samples must be {need} for {method}; got {base_samples!r}")
    problem = {"num_vars": len(chosen), "names": list(chosen), "bounds": [[0.0, 1.0]] * len(chosen)}
    head = {
        "scenario": model.name,
        "strategy": model.strategy.name,
        "method": method,
        "objective": objective,
        "base_samples": n,
        "seed": seed,
        "names": chosen,
    }
    with running(seed, n * (len(chosen) + 2), settings) as runner:
        analyse = _sobol if method == "sobol" else _morris
        out = analyse(model, chosen, problem, n, runner, lambda r: per_world(r, objective, weights))
    return Sensitivity(**head, worlds=runner.done, **out)  # type: ignore[arg-type]


def _sobol(
    model: Model, names: tuple[str, ...], problem: dict[str, Any], n: int, runner: Runner, f: Any
) -> dict[str, dict[str, float]]:
    """Sobol' first-order and total indices; rows A and AB_i share their world's shocks."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    D = len(names)
    U = sample.sample(problem, n, calc_second_order=False, seed=runner.seed).reshape(n, D + 2, D)
    a_b = np.concatenate([U[:, 0], U[:, D + 1]])
    runner.total = n * (D + 2)
    y_ab = f(runner.run(model, 2 * n, to_inputs(model, names, a_b)))
    Y = np.empty((n, D + 2))
    Y[:, 0], Y[:, D + 1] = y_ab[:n], y_ab[n:]
    for i in range(D):
        Y[:, 1 + i] = f(runner.run(model, n, to_inputs(model, names, U[:, 1 + i])))
    keys = ("S1", "S1_conf", "ST", "ST_conf")
    if np.var(Y) == 0.0:
        return {k: dict.fromkeys(names, 0.0) for k in keys}
    res = analyze.analyze(
        problem,
        Y.ravel(),
        calc_second_order=False,
        num_resamples=200,
        conf_level=0.95,
        print_to_console=False,
        seed=runner.seed,
    )
    return {k: {nm: float(v) for nm, v in zip(names, res[k], strict=True)} for k in keys}


def _morris(
    model: Model, names: tuple[str, ...], problem: dict[str, Any], n: int, runner: Runner, f: Any
) -> dict[str, dict[str, float]]:
    """Morris elementary effects; the points of a trajectory share their world's shocks."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    D = len(names)
    U = sample.sample(problem, n, num_levels=4, seed=runner.seed).reshape(n, D + 1, D)
    lo, hi = _MORRIS_RANGE
    runner.total = n * (D + 1)
    Y = np.empty((n, D + 1))
    for k in range(D + 1):
        Y[:, k] = f(runner.run(model, n, to_inputs(model, names, lo + (hi - lo) * U[:, k])))
    keys = ("mu_star", "mu_star_conf", "sigma")
    if np.var(Y) == 0.0:
        return {k: dict.fromkeys(names, 0.0) for k in keys}
    res = analyze.analyze(
        problem,
        U.reshape(-1, D),
        Y.ravel(),
        num_resamples=200,
        conf_level=0.95,
        print_to_console=False,
        num_levels=4,
        seed=runner.seed,
    )
    return {k: {nm: float(v) for nm, v in zip(names, res[k], strict=True)} for k in keys}
