"""waystation: a computable version of "Paths and waystations in AI safety".

Run possible worlds of a scenario and learn the probabilities of victory,
costly non-failure and failure, which waystations make the path easier, and
how robust a strategy is to what nature has set::

    import waystation as ws
    res = ws.run("default", worlds=100_000, seed=1)
    res.probabilities

Importing the package is cheap: the names below are loaded on first use
(PEP 562), so ``import waystation.simulate`` or ``waystation.dynamics``
loads numpy and scipy only, not the scenario loader (pydantic, yaml) or the
tables (pandas).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from waystation._version import package_version as package_version
    from waystation.api import compile_scenario, run, run_model
    from waystation.io import ScenarioError, load_scenario, load_strategy, shipped_scenarios
    from waystation.levers import LEVERS, Lever
    from waystation.params import PARAMS, Param
    from waystation.results import Results
    from waystation.scenario import Scenario, StrategySpec
    from waystation.settings import RunSettings
    from waystation.strategies import BUILTIN_STRATEGIES

#: Where each public name lives; imported on first access.
_LAZY: dict[str, str] = {
    "BUILTIN_STRATEGIES": "waystation.strategies",
    "LEVERS": "waystation.levers",
    "PARAMS": "waystation.params",
    "Lever": "waystation.levers",
    "Param": "waystation.params",
    "Results": "waystation.results",
    "RunSettings": "waystation.settings",
    "Scenario": "waystation.scenario",
    "ScenarioError": "waystation.io",
    "StrategySpec": "waystation.scenario",
    "compile_scenario": "waystation.api",
    "load_scenario": "waystation.io",
    "load_strategy": "waystation.io",
    "package_version": "waystation._version",
    "run": "waystation.api",
    "run_model": "waystation.api",
    "shipped_scenarios": "waystation.io",
}

__all__ = [
    "BUILTIN_STRATEGIES",
    "LEVERS",
    "PARAMS",
    "Lever",
    "Param",
    "Results",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "StrategySpec",
    "__version__",
    "compile_scenario",
    "load_scenario",
    "load_strategy",
    "run",
    "run_model",
    "shipped_scenarios",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access (PEP 562) and cache the name here."""
    if name == "__version__":
        from waystation._version import package_version

        value: Any = package_version()
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'waystation' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
