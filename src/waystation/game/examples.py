"""Games with analytic answers, solved by the same solver as the simulation model.

Like SALib's test functions: small games whose equilibria are known in closed
form, so that :func:`waystation.game.solve` can be checked against them.
Each draws a per-world parameter from a fixed seed, so its payoffs vary
across worlds as the model's do and every profile is evaluated on the same
worlds (common random numbers).

:class:`SafetyRace` is a two-team race for a prize with a safety/speed
trade-off, in the spirit of Armstrong, Bostrom & Shulman (2016), "Racing to
the precipice", without information about capabilities. Team ``i`` chooses
its safety ``s_i`` in [0, 1]; it wins the race with probability
``p_i = 1/2 + k (s_j - s_i)`` (``0 < k <= 1/2``: safety costs speed); a winner's
system is safe with probability ``q_i = a + b s_i``; a safe win is worth 1 to
the winner and ``1 - e`` to the loser (``e``: enmity); an unsafe win is a
catastrophe worth 0 to both. So

    u_i = p_i q_i + (1 - e) p_j q_j,    P(failure) = 1 - p_i q_i - p_j q_j.

``du_i/ds_i = b/2 - e k a + k b (2 - e) s_j - 2 k b s_i``, and
``d2u_i/ds_i2 = -2 k b < 0``, so the best response is
``s_i = 1/(4k) - e a/(2b) + (2 - e)/2 s_j`` (clipped to [0, 1]), a
contraction for ``e > 0``: the unique, stable equilibrium is symmetric,

    s* = clip(1/(2 k e) - a/b, 0, 1),

falling as enmity rises. With ``e = 0`` the payoffs are shared (both equal
P(safe victory)), the best response ``s_j + 1/(4k)`` pushes both to ``s = 1``,
which is also the cooperative optimum: the price of anarchy is 1.

:class:`StagHunt` is a coordination game with two pure equilibria:
``u_i = 1 + x_i (2 x_j - 1)``: each does best matching the other, at
(0, 0) (payoffs 1) or (1, 1) (payoffs 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from waystation.game.solver import Array, Choice, Evaluation


def _world_draws(worlds: int, centre: float, spread: float, seed: int) -> Array:
    """A per-world parameter uniform on ``centre +/- spread/2``, the same for every profile."""
    u = np.random.default_rng(seed).random(worlds)
    return np.asarray(centre + spread * (u - 0.5), dtype=np.float64)


@dataclass(frozen=True)
class SafetyRace:
    """Two-team safety race with enmity ``enmity`` (see the module docstring)."""

    enmity: float
    k: float = 0.5
    a: float = 0.4
    b: float = 0.5
    worlds: int = 500
    spread: float = 0.2
    seed: int = 0
    first: tuple[float, float] = (0.5, 0.5)
    draws: Array = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.k <= 0.5:
            raise ValueError("k must be in (0, 1/2] so that win probabilities stay in [0, 1]")
        object.__setattr__(self, "draws", _world_draws(self.worlds, self.a, self.spread, self.seed))

    @property
    def actors(self) -> tuple[str, ...]:
        """Names of the players."""
        return ("first", "second")

    @property
    def choices(self) -> tuple[Choice, ...]:
        """What each player chooses."""
        return (Choice("safety", 0.0, 1.0),)

    def start(self) -> Array:
        """The first starting profile."""
        return np.array([[self.first[0]], [self.first[1]]])

    def closed_form(self) -> float:
        """The equilibrium safety ``clip(1/(2 k e) - a_bar/b, 0, 1)`` for the drawn worlds."""
        if self.enmity <= 0.0:
            return 1.0
        a_bar = float(np.mean(self.draws))
        return float(np.clip(1.0 / (2.0 * self.k * self.enmity) - a_bar / self.b, 0.0, 1.0))

    def evaluate(self, profile: Array) -> Evaluation:
        """Per-world payoffs and P(failure) of a profile."""
        s1, s2 = float(profile[0, 0]), float(profile[1, 0])
        p1 = 0.5 + self.k * (s2 - s1)
        p2 = 1.0 - p1
        win1, win2 = p1 * (self.draws + self.b * s1), p2 * (self.draws + self.b * s2)
        e = self.enmity
        payoffs = np.stack([win1 + (1.0 - e) * win2, win2 + (1.0 - e) * win1], axis=1)
        victory = win1 + win2
        return Evaluation(payoffs, 1.0 - victory, {"victory": victory})


@dataclass(frozen=True)
class StagHunt:
    """Two-player coordination game with pure equilibria at (0, 0) and (1, 1)."""

    worlds: int = 200
    seed: int = 0
    first: tuple[float, float] = (0.3, 0.7)
    draws: Array = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "draws", _world_draws(self.worlds, 1.0, 0.2, self.seed))

    @property
    def actors(self) -> tuple[str, ...]:
        """Names of the players."""
        return ("row", "column")

    @property
    def choices(self) -> tuple[Choice, ...]:
        """What each player chooses."""
        return (Choice("effort", 0.0, 1.0),)

    def start(self) -> Array:
        """The first starting profile."""
        return np.array([[self.first[0]], [self.first[1]]])

    def evaluate(self, profile: Array) -> Evaluation:
        """Per-world payoffs and P(failure) of a profile."""
        x1, x2 = float(profile[0, 0]), float(profile[1, 0])
        payoffs = np.stack(
            [
                self.draws * (1.0 + x1 * (2.0 * x2 - 1.0)),
                self.draws * (1.0 + x2 * (2.0 * x1 - 1.0)),
            ],
            axis=1,
        )
        failure = np.full(self.worlds, 0.5 - 0.4 * x1 * x2)
        return Evaluation(payoffs, failure)
