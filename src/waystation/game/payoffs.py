"""What each actor gets from a world: outcome values, its own victory and a rival's.

Actor ``a``'s payoff in a world (docs/model.md, "Strategic actors")::

    u_a = V [P(a wins) + (1 - e_a) P(a rival wins)] + own_a P(a wins)
          + c P(costly non-failure) + f P(failure)

with ``V`` the value of victory, ``e_a`` the enmity (Armstrong, Bostrom &
Shulman 2016: the share of a victory's value lost when a rival wins it),
``own_a`` the extra value of being the winner, and ``c``, ``f`` the values of
costly non-failure and failure. With ``e = own = 0`` every actor's payoff is
the world's outcome value: the actors share one goal.

Who wins: a world stops at victory (its state frozen), so the candidates
are the actors whose final frontier is at or past ``C_si`` inside their
final safety range (every actor, should none qualify in the recorded state);
the winner is the candidate at the highest frontier (ties split P(victory)
equally). Several actors often qualify in the same world (a leader that
waited for its safety range to catch up is joined by followers), and the
highest frontier is the one that got there first in most of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from waystation.game.solver import Array
from waystation.model import Model
from waystation.params import PAYOFF_PARAMS

#: Payoff weight names, in registry order.
WEIGHTS: tuple[str, ...] = tuple(p.name for p in PAYOFF_PARAMS)


@dataclass(frozen=True)
class Weights:
    """Payoff weights per actor: each field is an array over actors (registry names)."""

    victory_value: Array
    costly_non_failure_value: Array
    failure_value: Array
    own_advantage: Array
    enmity: Array

    @classmethod
    def of(
        cls,
        actors: tuple[str, ...],
        shared: Mapping[str, float | None] | None = None,
        per_actor: Mapping[str, Mapping[str, float | None]] | None = None,
    ) -> Weights:
        """Registry defaults, overridden by ``shared`` values, then by each actor's own."""
        values: dict[str, list[float]] = {}
        for p in PAYOFF_PARAMS:
            column = []
            for a in actors:
                v = float(p.default)
                if shared and shared.get(p.name) is not None:
                    v = float(shared[p.name])  # type: ignore[arg-type]
                own = (per_actor or {}).get(a, {})
                if own.get(p.name) is not None:
                    v = float(own[p.name])  # type: ignore[arg-type]
                column.append(v)
            values[p.name] = column
        return cls(**{k: np.asarray(v, dtype=np.float64) for k, v in values.items()})

    def replaced(self, name: str, value: float) -> Weights:
        """The same weights with ``name`` set to ``value`` for every actor."""
        if name not in WEIGHTS:
            raise ValueError(f"unknown payoff weight {name!r}; weights: {', '.join(WEIGHTS)}")
        fields = {k: getattr(self, k) for k in WEIGHTS}
        fields[name] = np.full_like(fields[name], float(value))
        return Weights(**fields)

    def to_dict(self, actors: tuple[str, ...]) -> dict[str, dict[str, float]]:
        """``{actor: {weight: value}}``, JSON-ready."""
        return {a: {k: float(getattr(self, k)[i]) for k in WEIGHTS} for i, a in enumerate(actors)}


def _input(records: Mapping[str, Array], model: Model, name: str, n: int) -> Array:
    """Per-world values of an input: recorded if uncertain, else its constant."""
    if name in records:
        return np.asarray(records[name], dtype=np.float64)
    return np.full(n, model.inputs[name].median())


def victory_shares(records: Mapping[str, Array], model: Model) -> Array:
    """(W, A) P(actor ``a`` reaches superintelligence safely) in each world."""
    p_victory = np.asarray(records["p_victory"], dtype=np.float64)
    n = len(p_victory)
    C = np.stack([records[f"{a}.final_capability"] for a in model.actors], axis=1)
    S = np.stack([records[f"{a}.final_safety_range"] for a in model.actors], axis=1)
    C_si = _input(records, model, "C_aar", n) + _input(records, model, "si_gap", n)
    winners = (C_si[:, None] - 1e-9 <= C) & (S >= C - 1e-9)
    pool = np.where(winners.any(axis=1, keepdims=True), winners, True)
    top = np.where(pool, C, -np.inf)
    chosen = (pool & (top >= top.max(axis=1, keepdims=True))).astype(np.float64)
    return np.asarray(p_victory[:, None] * chosen / chosen.sum(axis=1, keepdims=True))


def actor_payoffs(wins: Array, costly: Array, failure: Array, w: Weights) -> Array:
    """(W, A) payoffs from per-actor P(win) (W, A) and per-world P(costly), P(failure) (W,)."""
    victory = wins.sum(axis=1, keepdims=True)
    rivals = victory - wins
    return np.asarray(
        w.victory_value * (wins + (1.0 - w.enmity) * rivals)
        + w.own_advantage * wins
        + w.costly_non_failure_value * costly[:, None]
        + w.failure_value * failure[:, None]
    )
