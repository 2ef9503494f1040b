"""Helpers shared by several test modules (imported by name: ``from helpers import ...``).

Small scenarios built from dictionaries, and the CLI invoked in-process.
Fixtures built from them live in ``conftest.py``; no test module imports
another test module.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from typer.testing import CliRunner

import waystation as ws
from waystation.cli import app
from waystation.scenario import Scenario

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
        "ai_outside_share": 0.0,  # no AI safety labour beside the lab (Model v3)
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

#: One actor, eight yearly steps: cheap even at the default number of worlds.
ONE_LAB: dict[str, Any] = {
    "name": "one-lab",
    "time": {"start": 2026, "horizon": 2034, "dt": 1.0},
    "nature": {"hardness": "0.5 to 8", "hazard_rate": 0.3, "scheming": 0.2, "eval_ease": 0.4,
               "wbe_cost": "1e4 to 3e5"},
    "world": {"C_aar": 3, "si_gap": 1.5, "g_compute": 0.6, "g_algo": 0.45, "scaling_years": 8,
              "ideas_harder": 0.3, "safety_growth": 0.2, "wbe_background": 0.0},
    "actors": [{"name": "lab"}],
}  # fmt: skip


def make(base: dict[str, Any], **changes: Any) -> ws.Scenario:
    """A validated scenario from a base dict with changes by path (``world__g_algo=1``)."""
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[last] = value
    return ws.Scenario.model_validate(data)


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the CLI in this process: exit code, stdout and stderr."""
    res = CliRunner().invoke(app, list(args), env=env)
    return res.exit_code, res.stdout, res.stderr


def run_json(*args: str) -> dict[str, object]:
    """The one JSON document a command prints with ``--json`` (it must succeed)."""
    code, out, err = invoke(*args, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def one_lab(noisy: bool = False, hardness: str = "0.25 to 4", **world: Any) -> Scenario:
    """One actor; only ``hardness``, ``wbe_cost`` and ``em_growth`` are uncertain.

    ``wbe_cost`` and ``em_growth`` provably do nothing: with no background
    WBE research and no WBE investment, WBE progress stays 0 < wbe_cost, so
    emulated labour never appears and its growth rate is never used. Without
    ``noisy`` the evaluation noise, verification jumps and political will (from
    warning shots and, since Model v3, from evaluations' evidence) are switched
    off, so a world's outcome is a function of hardness alone.
    """
    quiet = {} if noisy else {"sigma_eval": 0.0, "verify_rate": 0.0, "will_per_warning": 0.0,
                              "eval_alarm": 0.0}  # fmt: skip
    return Scenario.model_validate(
        {
            "name": "one-lab",
            "time": {"start": 2026, "horizon": 2040, "dt": 1.0},
            "nature": {"hardness": hardness, "edge_width": 0.4, "hazard_rate": 0.3,
                       "warning_share": 0.5, "scheming": 0.2, "eval_ease": 0.4,
                       "wbe_cost": "1e4 to 3e5", "ai_safety_edge": 1.0},
            "world": {"g_compute": 0.6, "scaling_years": 8, "g_algo": 0.45, "ideas_harder": 0.3,
                      "C_aar": 4, "si_gap": 2, "safety_growth": 0.2, "em_growth": "0.5 to 2",
                      "wbe_background": 0.0, "safety_harder": 0.15, "C_lethal": 5.0,
                      **quiet, **world},
            "actors": [{"name": "lab"}],
        }
    )  # fmt: skip


def assert_drawn_from(fig: Any, spec: dict[str, Any]) -> None:
    """``fig`` is ``spec`` drawn by ``plots.specs.draw``: a panel per panel, every mark's data.

    Each mark's artists carry its gid; a line's points and colour, a threshold's
    level and a bar's estimate are the spec's, and the panels' titles are its own.
    """
    from collections import Counter

    from matplotlib.colors import to_hex

    from waystation.plots.specs import gid, panels_of

    gids = Counter(str(a.get_gid()) for a in fig.findobj(lambda a: a.get_gid() is not None))
    wanted = Counter(gid(spec, m) for m in spec["marks"] if m["kind"] != "bars")
    missing = {g: n for g, n in wanted.items() if gids[g] < n}
    assert not missing, f"{spec['id']}: marks not drawn: {sorted(missing)[:5]}"
    by_gid: dict[str, list[Any]] = {}
    for a in fig.findobj(lambda a: a.get_gid() is not None):
        by_gid.setdefault(str(a.get_gid()), []).append(a)
    for m in spec["marks"]:
        name = gid(spec, m)
        if m["kind"] == "line":
            (line,) = by_gid[name]
            assert list(line.get_xdata()) == list(m["x"]), name
            assert list(line.get_ydata()) == list(m["y"]), name
            assert to_hex(line.get_color()) == m["colour"].lower(), name
        elif m["kind"] == "hline":
            assert all(list(a.get_ydata()) == [m["at"]] * 2 for a in by_gid[name]), name
        elif m["kind"] == "ticks":
            years = sorted(float(a.get_xdata()[0]) for a in by_gid[name])
            assert years == sorted(m["at"]), name
        elif m["kind"] == "bars":
            widths = [by_gid[f"{name}:{k}"][0].get_width() for k in range(len(m["labels"]))]
            assert widths == list(m["estimate"]), name
    shown = {m.get("panel", panels_of(spec)[0]["id"]) for m in spec["marks"]}
    panels = [p for p in panels_of(spec) if p["id"] in shown]
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == max(1, len(panels)), spec["id"]
    for ax, p in zip(axes, panels, strict=True):
        title = p.get("title") or p.get("subtitle") or ""
        assert ax.get_title(loc="left").split("\n")[0] == title, spec["id"]
