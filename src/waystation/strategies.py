"""Strategies: named rule sets that set levers over time and by condition.

A rule holds an optional condition (see :mod:`waystation.conditions`), an
optional selection of actors and lever values; later rules override earlier
ones. Rules are applied at the start of every step, vectorised over worlds and
actors, so a strategy can react to what each world's path has done so far
(essay section 6: strategies aim at waystations).

A condition on a *global* lever that reads per-actor names holds in a world
when it holds for any actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from waystation._kernels import xp_of
from waystation.conditions import Condition
from waystation.dynamics import Levers, Params, rival_max
from waystation.levers import LEVER_REGISTRY
from waystation.state import WAYSTATIONS, Array, State

#: Names a condition may read, with their types (the condition language's vocabulary).
CONDITION_NAMES: MappingProxyType[str, str] = MappingProxyType(
    {
        "year": "number",
        "margin_estimate": "number",
        "capability": "number",
        "safety_range": "number",
        "lead": "number",
        "lead_estimate": "number",
        "warning_shots": "number",
        "trust": "number",
        "backdrop": "number",
        "evaluation": "number",
        "pause": "number",
        "political_will": "number",
        "sweet_spot_years": "number",
        "C_aar": "number",
        "C_si": "number",
        **{f"reached.{w}": "bool" for w in WAYSTATIONS},
    }
)


@dataclass(frozen=True)
class Rule:
    """Set ``levers`` for the selected actors while ``when`` holds (always, if None)."""

    levers: Mapping[str, float]
    when: Condition | None = None
    actors: tuple[str, ...] | None = None
    line: int | None = None


@dataclass(frozen=True)
class Strategy:
    """A named, described list of rules over levers."""

    name: str
    description: str = ""
    rules: tuple[Rule, ...] = field(default_factory=tuple)


def static_levers(strategy: Strategy) -> bool:
    """Whether the strategy sets the same levers at every step: no rule has a condition.

    Only then does :func:`apply_strategy` not depend on the state, so one set
    of levers serves many steps (the fused kernel's segments).
    """
    return all(rule.when is None for rule in strategy.rules)


def condition_env(state: State, p: Params) -> dict[str, Any]:
    """Values of every condition name for the current state, shaped (W, A) or (W, 1)."""
    xp = xp_of(state.C, state.reached)
    S_eff = state.S + state.O
    lead = state.C - rival_max(state.C)
    eval_sd = p.sigma_eval / (1.0 + state.E)  # the risk evaluation's error (section 4)
    reached = ~xp.isnan(state.reached)
    env: dict[str, Any] = {
        "year": state.t,
        "margin_estimate": state.margin_est,
        "capability": state.C,
        "safety_range": S_eff,
        "lead": xp.where(xp.isfinite(lead), lead, 1e6),
        "lead_estimate": xp.where(xp.isfinite(lead), lead + eval_sd * state.noise, 1e6),
        "warning_shots": state.warnings,
        "trust": state.trust,
        "backdrop": state.B,
        "evaluation": state.E,
        "pause": state.pause,
        "political_will": state.will,
        "sweet_spot_years": state.sweet_years,
        "C_aar": p.C_aar,
        "C_si": p.C_si,
    }
    for k, w in enumerate(WAYSTATIONS):
        env[f"reached.{w}"] = reached[:, k : k + 1]
    return env


def apply_strategy(
    strategy: Strategy,
    base: Levers,
    state: State,
    p: Params,
    actors: tuple[str, ...],
) -> Levers:
    """Return the levers in force this step: the base levers with every rule applied in order."""
    if not strategy.rules:
        return base
    env = condition_env(state, p) if any(r.when for r in strategy.rules) else {}
    xp = xp_of(state.C)
    levers: dict[str, Array] = {}  # the levers some rule sets, as set so far
    for rule in strategy.rules:
        holds = None if rule.when is None else xp.asarray(rule.when.evaluate(env, xp), dtype=bool)
        mask = None if rule.actors is None else np.isin(np.array(actors), rule.actors)
        for name, value in rule.levers.items():
            current = levers[name] if name in levers else getattr(base, name)
            levers[name] = _set(current, value, holds, mask, LEVER_REGISTRY[name].scope)
    return base._replace(**levers)


def _set(current: Array, value: float, holds: Any, mask: Any, scope: str) -> Array:
    """Overwrite a lever array where the rule holds (and for the selected actors)."""
    where = np.ones((1, 1), dtype=bool) if holds is None else holds
    if scope == "global":
        if where.ndim == 2 and where.shape[1] > 1:
            where = where.any(axis=1, keepdims=True)
    elif mask is not None:
        where = where & mask[None, :]
    return xp_of(current, where).where(where, value, current)


def _rules(*specs: tuple[str | None, dict[str, float]]) -> tuple[dict[str, Any], ...]:
    """Build plain rule dictionaries (``when``, ``set``) for the built-in strategies."""
    return tuple({"when": w, "set": s} if w else {"set": s} for w, s in specs)


#: Built-in strategies as plain data, validated like user files. Each names
#: the essay section it models.
BUILTIN_STRATEGIES: MappingProxyType[str, dict[str, Any]] = MappingProxyType(
    {
        "default": {
            "description": "The scenario's own levers, unchanged: today's mix of caution "
            "and racing (essay section 4).",
            "rules": (),
        },
        "race": {
            "description": "No restraint by choice: every actor pushes capabilities, with "
            "minimal safety work and no agreed coordination (essay section 4, race "
            "incentives). Assumes nobody pauses voluntarily; political will after warning "
            "shots can still force a pause.",
            "rules": _rules(
                (
                    None,
                    {
                        "caution": 0.0,
                        "global_pause": 0.0,
                        "ai_safety_share": 0.01,
                        "eval_investment": 0.03,
                        "hardening_investment": 0.0,
                        "spillover": 0.1,
                    },
                )
            ),
        },
        "cautious-lab": {
            "description": "Whoever leads is highly cautious: it forecasts further, keeps a "
            "wider margin and puts more AI labour into safety (essay section 4, caution of "
            "individual actors). Assumes the leader accepts losing ground while it pauses.",
            "rules": _rules(
                (
                    "lead >= 0",
                    {
                        "caution": 0.95,
                        "margin_target": 1.0,
                        "lookahead": 2.0,
                        "ai_safety_share": 0.15,
                    },
                )
            ),
        },
        "pause-then-enhanced-labor": {
            "description": "A global, enforced pause while the world invests in whole-brain "
            "emulation; once enhanced human labour is available, resume under caution "
            "(essay section 6, global pause then enhanced human labour). Assumes a pause "
            "is agreed in 2026 and 90% enforced.",
            "rules": _rules(
                (None, {"wbe_investment": 0.3}),
                (
                    "not reached.enhanced_human_labor",
                    {"global_pause": 1.0, "enforcement": 0.9},
                ),
                (
                    "reached.enhanced_human_labor",
                    {"caution": 0.7, "wbe_investment": 0.05},
                ),
            ),
        },
        "automated-alignment-researcher": {
            "description": "Push AI labour into alignment research and slow down in the sweet "
            "spot, where AI is useful for safety but still inside the safety range (essay "
            "section 6; series overview, essays 4-5). Assumes every actor sends 30% of its "
            "AI labour to safety and pauses near C_aar.",
            "rules": _rules(
                (None, {"ai_safety_share": 0.3, "eval_investment": 0.2}),
                (
                    "capability >= C_aar - 0.5",
                    {"caution": 0.95, "margin_target": 1.0, "lookahead": 2.0},
                ),
            ),
        },
        "tool-ai-moratorium": {
            "description": "A moratorium on autonomous general agents: every actor builds "
            "tool-like AI only (essay section 6). Assumes the moratorium is agreed and "
            "observed at 90%.",
            "rules": _rules((None, {"tool_ai_only": 0.9, "enforcement": 0.7})),
        },
        "mutual-sabotage": {
            "description": "Deterrence: rivals sabotage any actor whose lead passes a "
            "threshold, 'mutually assured AI malfunction' (essay section 6). Assumes rivals "
            "can and will sabotage a runaway leader.",
            "rules": _rules((None, {"deterrence": 0.8})),
        },
        "safety-coalition": {
            "description": "A safety-concerned coalition: shared research and evaluations, "
            "coordinated caution and enforcement (essay sections 4 and 6). Assumes every "
            "actor joins.",
            "rules": _rules(
                (
                    None,
                    {
                        "spillover": 0.9,
                        "eval_investment": 0.2,
                        "hardening_investment": 0.1,
                        "caution": 0.6,
                        "enforcement": 0.7,
                        "ai_safety_share": 0.1,
                    },
                )
            ),
        },
        "verification-first": {
            "description": "Invest in evaluation and formal methods, and hold capabilities "
            "near the automated-researcher level until safety is verified (essay section 6, "
            "formal verification). Assumes a 90% global pause can be agreed one OOM below "
            "C_aar.",
            "rules": _rules(
                (None, {"eval_investment": 0.35, "ai_safety_share": 0.1}),
                (
                    "not reached.verified_safety and capability >= C_aar - 1",
                    {"global_pause": 0.9, "enforcement": 0.7},
                ),
            ),
        },
    }
)
