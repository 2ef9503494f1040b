"""The lever registry: what strategies and actors choose.

A lever is set per actor (``scope="actor"``) or for the whole world
(``scope="global"``). Each has bounds, a default, a meaning, the essay section
it models and a cost per unit, so that analyses can price marginal changes.

Costs are in *budget units*: one unit is one year of 1% of the frontier's
research effort, the currency in which strategies compete. They are
illustrative and documented in ``docs/model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Scope = Literal["actor", "global"]


@dataclass(frozen=True)
class Lever:
    """One strategy lever with its unit, bounds, default and cost per unit."""

    name: str
    scope: Scope
    default: float
    unit: str
    bounds: tuple[float, float]
    cost: float
    meaning: str
    source: str


_L = Lever

LEVERS: tuple[Lever, ...] = (
    _L(
        "ai_safety_share",
        "actor",
        0.03,
        "share",
        (0.0, 1.0),
        20.0,
        "share of the actor's AI labour sent to safety research rather than capabilities",
        "realised safety compute share ~3% (0.5-10%), illustrative; OpenAI pledged 20% in 2023 "
        "(Superalignment) and did not deliver it (Fortune 2024)",
    ),
    _L(
        "caution",
        "actor",
        0.3,
        "share",
        (0.0, 1.0),
        10.0,
        "how strongly the actor pauses when its forecast margin falls below target",
        "illustrative: essay section 4 (capability restraint by individual actors)",
    ),
    _L(
        "margin_target",
        "actor",
        0.25,
        "OOM",
        (-2.0, 5.0),
        4.0,
        "forecast margin below which the actor starts to pause",
        "illustrative",
    ),
    _L(
        "lookahead",
        "actor",
        1.0,
        "yr",
        (0.0, 10.0),
        1.0,
        "how far ahead the actor forecasts its margin",
        "illustrative: essay section 4 (risk evaluation forecasts)",
    ),
    _L(
        "eval_investment",
        "actor",
        0.1,
        "share",
        (0.0, 1.0),
        5.0,
        "share of safety labour spent on evaluations and forecasting",
        "illustrative: essay section 4 (risk evaluation)",
    ),
    _L(
        "wbe_investment",
        "actor",
        0.0,
        "share",
        (0.0, 1.0),
        30.0,
        "share of the actor's research labour sent to whole-brain emulation",
        "illustrative: essay section 5 (enhanced human labour)",
    ),
    _L(
        "hardening_investment",
        "actor",
        0.05,
        "share",
        (0.0, 1.0),
        5.0,
        "share of safety labour spent hardening the world (option control)",
        "illustrative: series overview (option control)",
    ),
    _L(
        "tool_ai_only",
        "actor",
        0.0,
        "share",
        (0.0, 1.0),
        25.0,
        "degree to which the actor builds only tool-like, non-agentic AI",
        "illustrative: essay section 6 (moratorium on autonomous general agents)",
    ),
    _L(
        "covert_rate",
        "actor",
        0.0,
        "share",
        (0.0, 1.0),
        10.0,
        "share of its coordinated pause an actor secretly skips, until detected",
        "illustrative: essay section 6 (a pause must be verified and enforced)",
    ),
    _L(
        "spillover",
        "global",
        0.3,
        "share",
        (0.0, 1.0),
        5.0,
        "share of each actor's safety progress that reaches the others",
        "illustrative: essay section 4 (publicly available safety research)",
    ),
    _L(
        "global_pause",
        "global",
        0.0,
        "share",
        (0.0, 1.0),
        60.0,
        "strength of a coordinated pause on frontier capability growth",
        "illustrative: essay section 6 (global pause waystation)",
    ),
    _L(
        "enforcement",
        "global",
        0.5,
        "share",
        (0.0, 1.0),
        20.0,
        "share of a coordinated pause that is enforced; the rest is left to each actor",
        "illustrative: compliance 0.5-0.9 in the 1974 recombinant-DNA moratorium (Grace 2015)",
    ),
    _L(
        "deterrence",
        "global",
        0.0,
        "share",
        (0.0, 1.0),
        15.0,
        "strength of rivals' sabotage of an actor whose lead passes a threshold",
        "illustrative: 'mutually assured AI malfunction' (essay section 6)",
    ),
)

LEVER_REGISTRY: MappingProxyType[str, Lever] = MappingProxyType({v.name: v for v in LEVERS})
ACTOR_LEVERS: tuple[str, ...] = tuple(v.name for v in LEVERS if v.scope == "actor")
GLOBAL_LEVERS: tuple[str, ...] = tuple(v.name for v in LEVERS if v.scope == "global")
