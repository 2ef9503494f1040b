"""Pure-strategy equilibria of a game whose payoffs are estimated on common worlds.

A :class:`Game` has actors, each choosing the same :class:`Choice` variables
(levers, each with bounds), and an ``evaluate(profile)`` that returns every
world's payoff to every actor and every world's P(failure) for a profile of
choices (an ``(actors, choices)`` array). Every profile is evaluated on the
*same* worlds, so the comparisons behind a best response are paired
(common random numbers) and their Monte Carlo error is small.

The solver is the same for the simulation model and for the analytic games
that test it (:mod:`waystation.game.examples`):

- **best response** of one actor, one choice at a time (coordinate-wise):
  the coarse grid of ``grid`` points over the choice's bounds, then the
  vertex of the parabola through the best grid point and its neighbours,
  kept if it does better (exact for payoffs quadratic in the choice);
- **iterated best response** (Gauss-Seidel: each actor answers the latest
  choices) with damping ``x <- x + damping * (BR(x) - x)``; an actor moves
  only if its best response gains more than ``epsilon`` and lies more than
  ``tol`` of a range away (a nearer one is taken as it is); converged after
  a round in which no actor moves; the damping halves when the largest
  move grows (oscillation); no convergence within ``max_rounds`` is
  reported, never hidden;
- **multi-start**: the game's own profile, everyone at the lower bounds,
  everyone at the upper bounds, then random profiles; limits within ``2 tol``
  of each other are one equilibrium;
- **checks** of each limit: every actor's best deviation (the grid and its
  best response) gains at most ``epsilon``, or its paired 95% interval
  reaches down to ``epsilon`` (the gain is not distinguishable from it);
  **stability**: from the equilibrium moved by ``perturb`` of each range, up
  and down, undamped best responses return closer than they started (or
  within ``tol``);
- the **cooperative optimum**: coordinate ascent of the welfare (the sum of
  payoffs, or weighted) over every actor's choices (everyone's together,
  then one at a time), from each equilibrium found, keeping the best;
- the **price of anarchy**: P(failure) at the worst equilibrium over P(failure)
  at the optimum, with the paired difference.

Imports numpy only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from waystation.game.types import (
    Array,
    Choice,
    Equilibrium,
    Estimate,
    Evaluation,
    Game,
    Point,
    Solution,
    SolverSettings,
    Trace,
)

__all__ = [
    "Array",
    "Choice",
    "Equilibrium",
    "Estimate",
    "Evaluation",
    "Game",
    "Point",
    "Solution",
    "SolverSettings",
    "Trace",
    "best_response",
    "iterate",
    "measure",
    "optimum",
    "point_of",
    "solve",
]

Progress = Callable[[int], None]


class _Evaluator:
    """Memoised evaluations of profiles (rounded to 1e-9 of each range)."""

    def __init__(self, game: Game, welfare: Array, progress: Progress | None) -> None:
        self.game, self.welfare, self.progress = game, welfare, progress
        self.cache: dict[bytes, Evaluation] = {}

    def __call__(self, profile: Array) -> Evaluation:
        key = np.round(profile, 9).tobytes()
        if key not in self.cache:
            self.cache[key] = self.game.evaluate(np.array(profile, dtype=np.float64))
            if self.progress is not None:
                self.progress(len(self.cache))
        return self.cache[key]

    def payoff(self, profile: Array, actor: int) -> float:
        return float(np.mean(self(profile).payoffs[:, actor]))

    def total(self, profile: Array) -> float:
        return float(np.mean(self(profile).payoffs @ self.welfare))


def _bounds(game: Game) -> tuple[Array, Array]:
    lo = np.array([c.low for c in game.choices])
    hi = np.array([c.high for c in game.choices])
    return lo, hi


def _line_search(
    x: Array, a: int | slice, k: int, f: Callable[[Array], float], lo: float, hi: float, grid: int
) -> float:
    """The value of ``x[a, k]`` maximising ``f`` on the grid, refined by a parabola's vertex.

    The parabola goes through the best grid point and its neighbours (the
    two nearest points inside, at a bound); its vertex, clipped to the
    bounds, is kept if it does better. ``a`` may be a slice: every actor then
    takes the same value.
    """
    points = np.linspace(lo, hi, grid)

    def at(v: float) -> float:
        y = x.copy()
        y[a, k] = v
        return f(y)

    values = [at(float(v)) for v in points]
    i = int(np.argmax(values))
    best, best_value = float(points[i]), values[i]
    j = min(max(i, 1), grid - 2)
    f0, f1, f2 = values[j - 1], values[j], values[j + 1]
    curvature = f0 - 2.0 * f1 + f2
    if curvature < 0.0:
        h = points[1] - points[0]
        vertex = float(np.clip(points[j] + 0.5 * h * (f0 - f2) / curvature, lo, hi))
        if at(vertex) > best_value:
            best = vertex
    return best


def best_response(
    ev: _Evaluator, x: Array, a: int, grid: int, bounds: tuple[Array, Array]
) -> Array:
    """Actor ``a``'s best response to ``x``: one coordinate-wise pass over its choices."""
    y = x.copy()
    for k in range(x.shape[1]):
        y[a, k] = _line_search(y, a, k, lambda z: ev.payoff(z, a), bounds[0][k], bounds[1][k], grid)
    return y[a]


def iterate(
    ev: _Evaluator, x0: Array, s: SolverSettings, start: int, bounds: tuple[Array, Array]
) -> Trace:
    """Damped Gauss-Seidel iterated best response from ``x0``.

    Each actor in turn answers the latest choices. It moves (a ``damping``
    share of the way) only if its best response gains more than ``epsilon``
    (paired estimate on the common worlds) and lies more than ``tol`` of a
    range away; a best response within ``tol`` is taken as it is. A round in which
    no actor moves ends the iteration: no actor then gains beyond
    ``epsilon`` by a deviation it found. Damping halves when the largest
    move grows (an oscillation).
    """
    span = bounds[1] - bounds[0]
    x, damping = x0.copy(), s.damping
    profiles, moves, gains = [x.copy()], [], []
    previous = np.inf
    for _ in range(s.max_rounds):
        move, gain, moved = 0.0, 0.0, False
        for a in range(x.shape[0]):
            br = best_response(ev, x, a, s.grid, bounds)
            y = x.copy()
            y[a] = br
            g = Estimate.of(ev(y).payoffs[:, a] - ev(x).payoffs[:, a])
            step = float(np.max(np.abs(br - x[a]) / span))
            move, gain = max(move, step), max(gain, g.estimate)
            if step <= s.tol:
                x[a] = br
            elif g.estimate > s.epsilon:
                x[a] = x[a] + damping * (br - x[a])
                moved = True
        profiles.append(x.copy())
        moves.append(move)
        gains.append(gain)
        if not moved:
            return Trace(start, tuple(profiles), tuple(moves), tuple(gains), True)
        if move > previous:
            damping = max(damping / 2.0, 0.05)
        previous = move
    return Trace(start, tuple(profiles), tuple(moves), tuple(gains), False)


def _starts(game: Game, s: SolverSettings, bounds: tuple[Array, Array]) -> list[Array]:
    lo, hi = bounds
    a = len(game.actors)
    own = np.clip(np.asarray(game.start(), dtype=np.float64), lo, hi)
    starts = [own, np.tile(lo, (a, 1)), np.tile(hi, (a, 1))]
    rng = np.random.default_rng(s.seed)
    while len(starts) < s.starts:
        starts.append(lo + rng.random((a, len(lo))) * (hi - lo))
    return starts[: s.starts]


def _point(ev: _Evaluator, x: Array) -> Point:
    return point_of(ev(x), x, ev.welfare)


def point_of(e: Evaluation, x: Array, welfare: Array) -> Point:
    """A profile's :class:`Point` from its evaluation, with ``welfare`` weights per actor."""
    return Point(
        x.copy(),
        tuple(Estimate.of(e.payoffs[:, a]) for a in range(e.payoffs.shape[1])),
        Estimate.of(e.payoffs @ welfare),
        Estimate.of(e.failure),
        {k: Estimate.of(v) for k, v in e.outcomes.items()},
    )


def measure(game: Game, x: Array, welfare: Array) -> Point:
    """Evaluate one profile of ``game`` (e.g. at a higher precision than the search)."""
    return point_of(game.evaluate(np.asarray(x, dtype=np.float64)), x, welfare)


def _gains(
    ev: _Evaluator, x: Array, s: SolverSettings, bounds: tuple[Array, Array]
) -> list[Estimate]:
    """Each actor's best deviation: the grid of each choice and its best response."""
    base = ev(x).payoffs
    out = []
    for a in range(x.shape[0]):
        candidates = [best_response(ev, x, a, s.grid, bounds)]
        for k in range(x.shape[1]):
            for v in np.linspace(bounds[0][k], bounds[1][k], s.grid):
                c = x[a].copy()
                c[k] = v
                candidates.append(c)
        best = None
        for c in candidates:
            y = x.copy()
            y[a] = c
            g = Estimate.of(ev(y).payoffs[:, a] - base[:, a])
            if best is None or g.estimate > best.estimate:
                best = g
        assert best is not None
        out.append(best)
    return out


def _stable(ev: _Evaluator, x: Array, s: SolverSettings, bounds: tuple[Array, Array]) -> bool:
    """Undamped best responses from ``x`` moved up and down by ``perturb`` come back.

    Back means closer than the displacement, or within ``tol``.
    """
    lo, hi = bounds
    span = hi - lo
    for sign in (1.0, -1.0):
        y = np.clip(x + sign * s.perturb * span, lo, hi)
        d0 = float(np.max(np.abs(y - x) / span))
        if d0 == 0.0:
            continue
        z = y.copy()
        for a in range(x.shape[0]):
            z[a] = best_response(ev, z, a, s.grid, bounds)
        back = float(np.max(np.abs(z - x) / span))
        if back >= d0 and back > s.tol:
            return False
    return True


def optimum(ev: _Evaluator, x0: Array, s: SolverSettings, bounds: tuple[Array, Array]) -> Array:
    """Coordinate ascent of the welfare over every actor's choices, from ``x0``.

    Each sweep first moves every actor's choice ``k`` together (so that a
    coordinated move is found where single moves do not pay), then each
    actor's choices one at a time.
    """
    span = bounds[1] - bounds[0]
    x = x0.copy()
    everyone = slice(None)
    for _ in range(s.max_rounds):
        before = x.copy()
        for k in range(x.shape[1]):
            v = _line_search(x, everyone, k, ev.total, bounds[0][k], bounds[1][k], s.grid)
            y = x.copy()
            y[:, k] = v
            if ev.total(y) > ev.total(x):
                x = y
        for a in range(x.shape[0]):
            for k in range(x.shape[1]):
                v = _line_search(x, a, k, ev.total, bounds[0][k], bounds[1][k], s.grid)
                y = x.copy()
                y[a, k] = v
                if ev.total(y) >= ev.total(x):
                    x = y
        if float(np.max(np.abs(x - before) / span)) <= s.tol:
            break
    return x


def solve(
    game: Game, settings: SolverSettings | None = None, progress: Progress | None = None
) -> Solution:
    """Equilibria from several starts with their checks, the cooperative optimum, the PoA.

    ``progress(evaluations)`` is called after each new profile is evaluated.
    """
    s = settings or SolverSettings()
    a = len(game.actors)
    weights = np.ones(a) if s.welfare is None else np.asarray(s.welfare, dtype=np.float64)
    if weights.shape != (a,):
        raise ValueError(f"welfare: need one weight per actor ({a}), got {len(weights)}")
    ev = _Evaluator(game, weights, progress)
    bounds = _bounds(game)
    span = bounds[1] - bounds[0]
    traces = [iterate(ev, x0, s, i, bounds) for i, x0 in enumerate(_starts(game, s, bounds))]
    groups: list[tuple[Array, list[int]]] = []
    for t in traces:
        if not t.converged:
            continue
        x = t.profiles[-1]
        for g in groups:
            if np.max(np.abs(g[0] - x) / span) <= 2.0 * s.tol:
                g[1].append(t.start)
                break
        else:
            groups.append((x, [t.start]))
    equilibria = []
    for x, starts in groups:
        gains = _gains(ev, x, s, bounds)
        ok = all(g.low <= s.epsilon for g in gains)
        equilibria.append(
            Equilibrium(_point(ev, x), tuple(gains), ok, _stable(ev, x, s, bounds), tuple(starts))
        )
    found = [e for e in equilibria if e.is_equilibrium]
    seeds = [e.point.profile for e in equilibria] or _starts(game, s, bounds)[:1]
    best = max((_point(ev, optimum(ev, x, s, bounds)) for x in seeds),
               key=lambda p: p.welfare.estimate)  # fmt: skip
    worst = max(found, key=lambda e: e.point.failure.estimate) if found else None
    gap = None
    if worst is not None:
        gap = Estimate.of(ev(worst.point.profile).failure - ev(best.profile).failure)
    return Solution(
        tuple(game.actors), tuple(game.choices), tuple(equilibria), best, tuple(traces),
        len(ev.cache), gap,
    )  # fmt: skip
