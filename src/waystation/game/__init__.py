"""Strategic actors: equilibria of games whose payoffs are estimated on common worlds.

:func:`solve` finds pure-strategy equilibria by damped iterated best response
from several starts, checks each (best deviation, stability), and finds the
cooperative optimum and the price of anarchy. It works on any :class:`Game`:
the simulation model (:mod:`waystation.analyses.equilibrium`) or the analytic
games of :mod:`waystation.game.examples` that test it. Imports numpy only.
"""

from waystation.game.solver import (
    Choice,
    Equilibrium,
    Estimate,
    Evaluation,
    Game,
    Point,
    Solution,
    SolverSettings,
    Trace,
    solve,
)

__all__ = [
    "Choice",
    "Equilibrium",
    "Estimate",
    "Evaluation",
    "Game",
    "Point",
    "Solution",
    "SolverSettings",
    "Trace",
    "solve",
]
