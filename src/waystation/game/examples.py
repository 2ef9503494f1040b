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

:class:`InformedRace` adds capability to the race and asks what each team
knows of it: team ``i`` draws ``c_i ~ U[0, 1]`` per world and wins with
``p_i = 1/2 + h g_i + k (s_j - s_i)``, ``g_i = c_i - c_j``. Under ``none`` it
chooses one safety; under ``own`` one while its capability is low
(``c_i < 1/2``) and one while high; under ``public`` one while a public
estimate of the gap, ``g + noise z``, says it is ahead and one while behind.
The payoff is linear in ``g``, so in each situation ``σ`` the first-order
condition reads the mean gap there:
``s_iσ = 1/(4k) - e a/(2b) + h E[g_i | σ]/(2k) + (2 - e)/2 E[s_j | σ]`` -- a
linear system whose solution :meth:`InformedRace.closed_form` gives. Its
average is the uninformed ``s* = 1/(2 k e) - a/b``; information spreads it,
the likelier winner taking more safety and the likelier loser less. With
exact public information (gap mean ``m`` when ahead) the spread is
``4 h m / (2 k (4 - e))`` and P(failure) falls by
``2 b h^2 m^2 (2 - e) / (k (4 - e)^2)``: safety moves to the team that will
probably win. Noise in the public estimate shrinks ``m`` and so the spread.

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


#: The situations a team tells apart under each information regime of :class:`InformedRace`.
RACE_SITUATIONS: dict[str, tuple[str, ...]] = {
    "none": ("any",),
    "own": ("low", "high"),
    "public": ("behind", "ahead"),
}


@dataclass(frozen=True)
class InformedRace:
    """Two-team safety race with capabilities and an information regime (module docstring)."""

    enmity: float = 1.0
    information: str = "none"
    noise: float = 0.0
    k: float = 0.3
    h: float = 0.2
    a: float = 0.5
    b: float = 0.5
    worlds: int = 2000
    seed: int = 0
    gap: Array = field(init=False, repr=False)
    situation: Array = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.information not in RACE_SITUATIONS:
            raise ValueError(f"information must be one of {', '.join(RACE_SITUATIONS)}")
        if self.h < 0.0 or self.k <= 0.0 or self.h + self.k > 0.5:
            raise ValueError("need h >= 0, k > 0 and h + k <= 1/2 so that p stays in [0, 1]")
        rng = np.random.default_rng(self.seed)
        c = rng.random((self.worlds, 2))
        z = rng.standard_normal(self.worlds)
        gap = c[:, 0] - c[:, 1]
        if self.information == "none":
            sit = np.zeros((self.worlds, 2), dtype=np.int64)
        elif self.information == "own":
            sit = (c >= 0.5).astype(np.int64)
        else:
            ahead = gap + self.noise * z >= 0.0
            sit = np.stack([ahead, ~ahead], axis=1).astype(np.int64)
        object.__setattr__(self, "gap", gap)
        object.__setattr__(self, "situation", sit)

    @property
    def actors(self) -> tuple[str, ...]:
        """Names of the players."""
        return ("first", "second")

    @property
    def choices(self) -> tuple[Choice, ...]:
        """A safety for each situation the team can tell apart."""
        return tuple(Choice(f"safety@{s}", 0.0, 1.0) for s in RACE_SITUATIONS[self.information])

    def start(self) -> Array:
        """Everyone at 1/2."""
        return np.full((2, len(self.choices)), 0.5)

    def _safety(self, profile: Array) -> tuple[Array, Array]:
        return profile[0, self.situation[:, 0]], profile[1, self.situation[:, 1]]

    def evaluate(self, profile: Array) -> Evaluation:
        """Per-world payoffs and P(failure) of a profile."""
        s1, s2 = self._safety(np.asarray(profile, dtype=np.float64))
        p1 = 0.5 + self.h * self.gap + self.k * (s2 - s1)
        win1, win2 = p1 * (self.a + self.b * s1), (1.0 - p1) * (self.a + self.b * s2)
        e = self.enmity
        payoffs = np.stack([win1 + (1.0 - e) * win2, win2 + (1.0 - e) * win1], axis=1)
        return Evaluation(payoffs, 1.0 - win1 - win2, {"victory": win1 + win2})

    def closed_form(self) -> Array:
        """The equilibrium profile: the first-order conditions' linear system, solved exactly.

        Unknowns ``s[i, σ]``; team ``i``'s condition in situation ``σ`` averages
        over the drawn worlds in that situation (unclipped: an interior solution).
        """
        n = len(self.choices)
        k, h, e = self.k, self.h, self.enmity
        alpha, beta = 1.0 / (4.0 * k) - e * self.a / (2.0 * self.b), (2.0 - e) / 2.0
        lhs, rhs = np.eye(2 * n), np.zeros(2 * n)
        for i in range(2):
            gi = self.gap if i == 0 else -self.gap
            for sigma in range(n):
                here = self.situation[:, i] == sigma
                rhs[i * n + sigma] = alpha + h * gi[here].mean() / (2.0 * k)
                other = self.situation[here, 1 - i]
                for tau in range(n):
                    lhs[i * n + sigma, (1 - i) * n + tau] -= beta * np.mean(other == tau)
        return np.asarray(np.linalg.solve(lhs, rhs), dtype=np.float64).reshape(2, n)
