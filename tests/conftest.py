"""Shared fixtures: small scenarios built from dictionaries."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import waystation as ws

#: A single actor whose capability grows at exactly 0.5 OOM/yr, far outside a
#: fixed safety range, so the lethal hazard is exactly ``hazard_rate``.
CONSTANT_WORLD: dict[str, Any] = {
    "name": "constant",
    "time": {"start": 2026, "horizon": 2036, "dt": 0.25},
    "nature": {
        "hardness": 1.0,
        "edge_width": 0.01,
        "hazard_rate": 0.2,
        "warning_share": 0.0,
        "scheming": 0.0,
        "eval_ease": 0.5,
        "wbe_cost": 1e9,
        "ai_safety_edge": 1.0,
    },
    "world": {
        "g_compute": 0.5,
        "g_hardware": 0.5,
        "g_algo": 0.0,
        "scaling_years": 10.0,
        "C_aar": 1.0,
        "si_gap": 20.0,
        "C_lethal": -5.0,
        "lethal_width": 0.01,
        "s_base": 0.0,
        "o_base": 0.0,
        "e_base": 0.0,
        "verify_rate": 0.0,
        "safety_growth": 0.0,
        "capability_growth": 0.0,
    },
    "levers": {"spillover": 0.0, "global_pause": 0.0, "deterrence": 0.0},
    "actors": [
        {
            "name": "solo",
            "frontier": 0.0,
            "safety_range": -10.0,
            "safety_researchers": 0.0,
            "capability_researchers": 1000.0,
            "levers": {
                "ai_safety_share": 0.0,
                "caution": 0.0,
                "eval_investment": 0.0,
                "hardening_investment": 0.0,
                "wbe_investment": 0.0,
                "tool_ai_only": 0.0,
            },
        }
    ],
}


def make(base: dict[str, Any], **changes: Any) -> ws.Scenario:
    """A validated scenario from a base dict with dotted-key changes ('world.g_algo': 1)."""
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[last] = value
    return ws.Scenario.model_validate(data)


@pytest.fixture
def constant_world() -> dict[str, Any]:
    return copy.deepcopy(CONSTANT_WORLD)


@pytest.fixture(autouse=True)
def _private_run_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read the user's config or write to the user's run store."""
    root = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("WAYSTATION_CONFIG", str(root / "no-config.toml"))
    monkeypatch.setenv("WAYSTATION_STORE", str(root / "run-store"))
    monkeypatch.delenv("WAYSTATION_KEEP", raising=False)
