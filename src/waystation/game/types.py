"""The data of a game and of its solution: choices, evaluations, settings, results.

Plain frozen dataclasses (and the :class:`Game` protocol) shared by
:mod:`waystation.game.solver`, the analytic games of
:mod:`waystation.game.examples` and the simulation model's game
(:mod:`waystation.analyses.equilibrium`). Imports numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Choice:
    """One variable every actor chooses: a name (a lever) and its bounds."""

    name: str
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"choice {self.name!r}: bounds must be finite with low < high")


@dataclass(frozen=True)
class Evaluation:
    """Per-world results of one profile: ``payoffs`` (W, A) and ``failure`` (W,)."""

    payoffs: Array
    failure: Array
    outcomes: dict[str, Array] = field(default_factory=dict)


class Game(Protocol):
    """What the solver needs: actors, choices, a starting profile and an evaluator."""

    @property
    def actors(self) -> tuple[str, ...]:
        """Names of the actors, in profile order."""
        ...

    @property
    def choices(self) -> tuple[Choice, ...]:
        """What every actor chooses, in profile column order."""
        ...

    def start(self) -> Array:
        """The game's own profile (the first start)."""
        ...

    def evaluate(self, profile: Array) -> Evaluation:
        """Per-world payoffs and P(failure) of a profile, on the same worlds every time."""
        ...


@dataclass(frozen=True)
class SolverSettings:
    """How hard the solver searches (never what the game is).

    ``grid``: coarse points per choice (at least 3). ``damping`` in (0, 1]:
    the share of the way to the best response taken each round at first; it
    halves whenever the largest move grows (an oscillation). ``tol``:
    convergence, as a share of each choice's range. ``starts``: how many
    starting profiles (the game's own, all-low, all-high, then random, drawn
    with ``seed``). ``epsilon``: payoff gain a deviation may have at an
    equilibrium. ``perturb``: size of the stability test's displacement, as
    a share of each range. ``welfare``: weights of each actor's payoff in the
    welfare (default: the plain sum).
    """

    grid: int = 5
    damping: float = 1.0
    tol: float = 0.01
    max_rounds: int = 12
    starts: int = 3
    epsilon: float = 1e-3
    perturb: float = 0.1
    welfare: tuple[float, ...] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.grid < 3:
            raise ValueError(f"grid: need at least 3 points per choice, got {self.grid}")
        if not 0.0 < self.damping <= 1.0:
            raise ValueError(f"damping must be in (0, 1], got {self.damping}")
        if not 0.0 < self.tol < 0.5:
            raise ValueError(f"tol must be in (0, 0.5), got {self.tol}")
        if self.max_rounds < 1 or self.starts < 1:
            raise ValueError("max_rounds and starts must be at least 1")
        if self.epsilon < 0.0 or not 0.0 < self.perturb < 0.5:
            raise ValueError("epsilon must be >= 0 and perturb in (0, 0.5)")


@dataclass(frozen=True)
class Estimate:
    """A mean over worlds with its 95% interval."""

    estimate: float
    low: float
    high: float

    @classmethod
    def of(cls, x: Array) -> Estimate:
        """Mean of per-world values with its Monte Carlo interval."""
        n = len(x)
        se = float(np.std(x, ddof=1) / np.sqrt(n)) if n > 1 else 0.0
        m = float(np.mean(x))
        return cls(m, m - Z95 * se, m + Z95 * se)

    def to_dict(self) -> dict[str, float]:
        """JSON-ready ``{"estimate", "low", "high"}``."""
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Point:
    """A profile with its outcomes: each actor's payoff, welfare and P(failure)."""

    profile: Array
    payoffs: tuple[Estimate, ...]
    welfare: Estimate
    failure: Estimate
    outcomes: dict[str, Estimate]


@dataclass(frozen=True)
class Equilibrium:
    """A limit of iterated best response and what the checks found there.

    ``gains[a]``: actor ``a``'s best unilateral deviation gain (paired), which
    must be at most ``epsilon`` (beyond 2 s.e.) for ``is_equilibrium``;
    ``stable``: perturbed best responses come back; ``starts``: which starts
    led here.
    """

    point: Point
    gains: tuple[Estimate, ...]
    is_equilibrium: bool
    stable: bool
    starts: tuple[int, ...]


@dataclass(frozen=True)
class Trace:
    """One start's iteration: profiles after each round, its largest moves and gains.

    ``moves``: the largest best-response move of each round (share of a
    range); ``gains``: the largest best-response gain (payoff units).
    """

    start: int
    profiles: tuple[Array, ...]
    moves: tuple[float, ...]
    gains: tuple[float, ...]
    converged: bool


@dataclass(frozen=True)
class Solution:
    """Equilibria, the cooperative optimum, the price of anarchy and the iteration traces."""

    actors: tuple[str, ...]
    choices: tuple[Choice, ...]
    equilibria: tuple[Equilibrium, ...]
    optimum: Point
    traces: tuple[Trace, ...]
    evaluations: int
    failure_gap: Estimate | None  #: P(failure) at the worst equilibrium minus the optimum's

    @property
    def found(self) -> bool:
        """Whether any pure equilibrium was found."""
        return any(e.is_equilibrium for e in self.equilibria)

    @property
    def worst(self) -> Equilibrium | None:
        """The equilibrium with the highest P(failure) (None if none was found)."""
        eqs = [e for e in self.equilibria if e.is_equilibrium]
        return max(eqs, key=lambda e: e.point.failure.estimate) if eqs else None

    @property
    def price_of_anarchy(self) -> float:
        """P(failure) at the worst equilibrium over P(failure) at the optimum (nan if none)."""
        worst = self.worst
        if worst is None:
            return float("nan")
        num, den = worst.point.failure.estimate, self.optimum.failure.estimate
        if den <= 0.0:
            return 1.0 if num <= 0.0 else float("inf")
        return num / den
