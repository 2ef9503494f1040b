"""What makes the explorer a shareable instrument, beyond single runs.

An edited scenario against its baseline on common worlds, the problem
profile at its percentiles (presets), and which levers a strategy's rules
set, for the page to show them as set. Each reads the same validated
:class:`~waystation.scenario.Scenario` and registries as the CLI.
"""

from __future__ import annotations

from typing import Any

from waystation.analyses.compare import paired_difference
from waystation.distributions import parse_dist
from waystation.levers import LEVER_REGISTRY
from waystation.params import PARAMS
from waystation.present import Z95, jsonable
from waystation.results import OUTCOMES, Results
from waystation.scenario import Scenario, input_specs, strategy_spec
from waystation.web.payloads import results_json

__all__ = ["PRESET_QUANTILES", "edited_comparison", "profile_presets", "strategy_levers"]


def edited_comparison(baseline: Results, edited: Results) -> dict[str, Any]:
    """Both runs' summaries and the paired difference ``edited - baseline`` per outcome.

    The two runs share the seed and world count, so world ``i`` of each draws
    from the same random streams and the difference is paired world by world.
    """
    differences = {}
    for o in OUTCOMES:
        d = paired_difference(baseline, edited, o)
        differences[o] = {**d.to_dict(), "standard_error": (d.high - d.estimate) / Z95}
    return jsonable(
        {
            "baseline": results_json(baseline),
            "edited": results_json(edited),
            "differences": differences,
        }
    )


#: Percentiles of the problem profile offered as presets (key: label).
PRESET_QUANTILES = {"p05": 0.05, "p50": 0.50, "p95": 0.95}


def profile_presets(scenario: Scenario) -> dict[str, Any]:
    """Every nature input at the 5th, 50th and 95th percentile of its prior in ``scenario``.

    Each preset fixes every problem-profile input at that percentile of its
    own distribution (four significant figures), ignoring correlations: a
    corner of the profile, not a joint percentile of any outcome.
    """
    specs = input_specs(scenario)
    nature = [p.name for p in PARAMS if p.group == "nature"]
    presets: dict[str, dict[str, float]] = {k: {} for k in PRESET_QUANTILES}
    for name in nature:
        dist = parse_dist(specs[name])
        for key, q in PRESET_QUANTILES.items():
            presets[key][name] = float(f"{float(dist.ppf(q)):.4g}")
    return {"quantiles": dict(PRESET_QUANTILES), "params": nature, "presets": presets}


def strategy_levers(scenario: Scenario, strategy: str | None) -> dict[str, Any]:
    """Which levers the strategy's rules set, for each actor and globally.

    ``levers[lever][actor]`` (``"*"`` for a global lever) lists the rules that
    set it, in order, each ``{"rule", "when", "value"}`` (``rule`` counts
    from 1); later rules override earlier ones while they hold. ``fallback``
    is the value in force while no conditional rule after it holds: the last
    unconditional rule's value, or None when that is the scenario's own value.
    ``always`` is the fallback when no conditional rule follows it, so the
    lever is fixed at that value throughout.
    """
    spec = strategy_spec(strategy, scenario)
    actors = [a.name for a in scenario.actors]
    levers: dict[str, dict[str, Any]] = {}
    for i, rule in enumerate(spec.rules):
        for name, value in rule.set_.items():
            scope = LEVER_REGISTRY[name].scope
            chosen = ["*"] if scope == "global" else (rule.actors or actors)
            for actor in chosen:
                entry = levers.setdefault(name, {}).setdefault(actor, {"rules": []})
                entry["rules"].append({"rule": i + 1, "when": rule.when, "value": float(value)})
    for per_actor in levers.values():
        for entry in per_actor.values():
            plain = [r for r in entry["rules"] if r["when"] is None]
            entry["fallback"] = plain[-1]["value"] if plain else None
            last = entry["rules"][-1]
            entry["always"] = last["value"] if last["when"] is None else None
    return {"strategy": spec.name, "description": spec.description, "levers": levers}
