"""waystation: a computable version of "Paths and waystations in AI safety".

Run possible worlds of a scenario and learn the probabilities of victory,
costly non-failure and failure, which waystations make the path easier, and
how robust a strategy is to what nature has set::

    import waystation as ws
    res = ws.run("default", worlds=100_000, seed=1)
    res.probabilities
"""

from waystation.api import compile_scenario, package_version, run, run_model
from waystation.io import ScenarioError, load_scenario, load_strategy, shipped_scenarios
from waystation.levers import LEVERS, Lever
from waystation.params import PARAMS, Param
from waystation.results import Results
from waystation.scenario import Scenario, StrategySpec
from waystation.strategies import BUILTIN_STRATEGIES

__version__ = package_version()

__all__ = [
    "BUILTIN_STRATEGIES",
    "LEVERS",
    "PARAMS",
    "Lever",
    "Param",
    "Results",
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
