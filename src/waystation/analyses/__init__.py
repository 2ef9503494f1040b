"""Analyses on common random numbers: comparisons, levers, sensitivity, VOI, cruxes, responses.

Each analysis is a function of a scenario (a :class:`~waystation.Scenario`,
a shipped name or a YAML path) returning a frozen result with ``to_dict()``
(JSON-ready) and ``to_frame()`` (pandas, imported on use). They run the
engine through :func:`waystation.run_model`; paired runs share worlds and
shocks, so differences between them carry small Monte Carlo errors::

    from waystation.analyses import compare
    cmp = compare("default", ["race", "cautious-lab"], worlds=20_000)
    cmp.differences["cautious-lab"]["victory"]   # Interval(estimate, low, high)
"""

from waystation.analyses._common import DEFAULT_UTILITY, OBJECTIVES, Interval
from waystation.analyses.compare import Comparison, compare
from waystation.analyses.competence import CompetenceProfile, competence
from waystation.analyses.cruxes import Cruxes, cruxes
from waystation.analyses.decision import Decision, HorizonTable, horizons
from waystation.analyses.levers import LeverTable, LeverValue, lever_values
from waystation.analyses.optimise import Optimum, optimise
from waystation.analyses.response import Response, response
from waystation.analyses.sensitivity import Sensitivity, sensitivity
from waystation.analyses.voi import ValueOfInformation, voi

__all__ = [
    "DEFAULT_UTILITY",
    "OBJECTIVES",
    "Comparison",
    "CompetenceProfile",
    "Cruxes",
    "Decision",
    "HorizonTable",
    "Interval",
    "LeverTable",
    "LeverValue",
    "Optimum",
    "Response",
    "Sensitivity",
    "ValueOfInformation",
    "compare",
    "competence",
    "cruxes",
    "horizons",
    "lever_values",
    "optimise",
    "response",
    "sensitivity",
    "voi",
]
