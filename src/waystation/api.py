"""The Python API: load a scenario, run it, get :class:`~waystation.results.Results`.

Everything the CLI, the report and the web page do goes through these
functions; there is one implementation of the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from waystation._version import package_version
from waystation.checks import check_run_size
from waystation.definitions import DEFAULT_WORLDS
from waystation.engines import opened
from waystation.io import Problem, ScenarioError, load_scenario, load_strategy
from waystation.model import Model
from waystation.results import Results, summarise
from waystation.scenario import Scenario, StrategySpec, compile_model
from waystation.settings import RunSettings, resolve
from waystation.simulate import STREAM_BLOCK, backend_in_use, run_blocks
from waystation.state import WAYSTATIONS, Array
from waystation.strategies import BUILTIN_STRATEGIES

__all__ = ["RunSettings", "compile_scenario", "package_version", "run", "run_model"]


def whole_number(name: str, value: object, minimum: int) -> int:
    """``value`` if it is an integer (not a bool, float or string) of at least ``minimum``.

    Raises TypeError for another type and ValueError below ``minimum``: the API
    never coerces ``"2000"`` or ``True`` into a count.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name}: expected a whole number, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name}: expected at least {minimum}, got {value}")
    return int(value)


def record_columns(model: Model) -> int:
    """Columns of the per-world records a run keeps (see ``simulate._records``)."""
    return len(model.uncertain()) + 6 + len(WAYSTATIONS) + 2 * len(model.actors)


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    """Accept a Scenario, a shipped scenario name or a file path."""
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def compile_scenario(
    scenario: Scenario | str | Path, strategy: str | Path | StrategySpec | None = None
) -> Model:
    """The engine's model for a scenario and strategy (built-in name, file or spec)."""
    sc = _as_scenario(scenario)
    spec = strategy
    if isinstance(strategy, str | Path):
        spec = load_strategy(strategy, sc)
    try:
        return compile_model(sc, spec)  # type: ignore[arg-type]
    except ValueError as err:
        from_file = isinstance(strategy, Path) or (
            isinstance(strategy, str) and strategy not in BUILTIN_STRATEGIES
        )
        source = str(strategy) if from_file else sc.name
        raise ScenarioError([Problem(source, None, "strategy", str(err))]) from None


def run_model(
    model: Model,
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    *,
    settings: RunSettings | None = None,
    fixed_inputs: Mapping[str, Array] | None = None,
    **how: Any,
) -> Results:
    """Simulate a compiled model; see :func:`run`.

    How the run is executed is a :class:`~waystation.settings.RunSettings`
    (``settings``, default ``RunSettings()``); keyword arguments named after
    its fields (``workers=2``, ``backend="numpy"``, ``block_size=...``,
    ``keep_worlds=False``, ``progress=...``) change those fields, for
    notebooks (:func:`waystation.settings.resolve`; ``None`` leaves one as
    it is). ``fixed_inputs`` maps uncertain inputs to per-world values
    (arrays of length ``worlds``) that replace their draws, shocks unchanged:
    the hook behind :func:`waystation.analyses.sensitivity`.

    Counts must be whole numbers (TypeError otherwise, never coerced), and a
    run whose kept records would not fit in memory is refused up front
    (ValueError with the estimate; see :func:`waystation.checks.check_run_size`).
    """
    worlds = whole_number("worlds", worlds, 1)
    seed = whole_number("seed", seed, 0)
    run = resolve(settings, **how)
    block = -(-min(run.block_size, worlds) // STREAM_BLOCK) * STREAM_BLOCK  # as run_blocks rounds
    check_run_size(worlds, record_columns(model), run.keep_worlds, block, len(model.actors))
    with opened(run) as started:
        blocks = run_blocks(model, worlds, seed, started, fixed_inputs=fixed_inputs)
    return summarise(
        blocks,
        scenario=model.name,
        strategy=model.strategy.name,
        seed=seed,
        actors=model.actors,
        times=model.times,
        record_times=model.times[model.record_steps],
        version=package_version(),
        backend=backend_in_use(run.backend, len(model.actors)),
    )


def run(
    scenario: Scenario | str | Path = "default",
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    *,
    strategy: str | Path | StrategySpec | None = None,
    settings: RunSettings | None = None,
    **how: Any,
) -> Results:
    """Run ``worlds`` possible worlds of a scenario under a strategy.

    ``scenario`` is a :class:`Scenario`, a shipped name or a YAML path;
    ``strategy`` a built-in name, a YAML path or a spec (default: the
    scenario's own). The same ``seed`` gives bit-identical results whatever
    the run settings: ``settings`` (a :class:`~waystation.settings.RunSettings`)
    or its fields as keywords -- ``block_size``, ``workers``, ``executor``
    (e.g. a Dask client's ``get_executor()``), ``engine`` (``"local"``,
    ``"threads"`` or ``"dask"``, with ``address`` for an existing cluster),
    ``keep_worlds``. ``progress(done, total)`` is called as blocks finish.
    ``backend``: ``"fused"`` (default) steps the worlds with the compiled C
    kernel of :mod:`waystation._fused` (built with the system's C compiler on
    first use; numpy, said once, where it cannot be); ``"numpy"`` with the
    readable reference step; ``"jax"`` with the optional JAX backend
    (``pip install 'waystation[jax]'``), a whole block per compiled loop.
    All draw the same numbers; per-world results agree within 1e-12.
    """
    model = compile_scenario(scenario, strategy)
    return run_model(model, worlds, seed, settings=resolve(settings, **how))
