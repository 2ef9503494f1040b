"""The public surface: an exact __all__, import hygiene, the registries as data."""

from __future__ import annotations

import subprocess
import sys

import waystation as ws
from waystation.levers import LEVERS
from waystation.params import PARAMS

EXPECTED_ALL = {
    "BUILTIN_STRATEGIES",
    "LEVERS",
    "PARAMS",
    "Lever",
    "Param",
    "Results",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "StrategySpec",
    "__version__",
    "compile_scenario",
    "load_scenario",
    "load_strategy",
    "run",
    "run_model",
    "shipped_scenarios",
}


def test_exact_all() -> None:
    assert set(ws.__all__) == EXPECTED_ALL
    assert len(ws.__all__) == len(EXPECTED_ALL)
    for name in ws.__all__:
        assert hasattr(ws, name)


def test_import_loads_no_heavy_library() -> None:
    code = (
        "import sys, waystation; "
        "bad = [m for m in ('matplotlib', 'fastapi', 'uvicorn', 'plotly', 'SALib', 'dask', "
        "'pandas', 'typer', 'rich') if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_parameter_is_documented() -> None:
    for p in (*PARAMS, *LEVERS):
        assert p.unit and p.meaning and p.source, p.name
        lo, hi = p.bounds
        assert lo < hi, p.name
    names = [p.name for p in PARAMS] + [v.name for v in LEVERS]
    assert len(names) == len(set(names))


def test_results_api() -> None:
    res = ws.run("default", worlds=1000, seed=1)
    frame = res.to_frame()
    assert list(frame.index) == ["victory", "costly_non_failure", "failure"]
    assert frame["probability"].sum() == __import__("pytest").approx(1.0, abs=1e-9)
    worlds = res.worlds
    assert len(worlds) == 1000
    assert {"hardness", "p_victory", "p_failure", "p_costly_non_failure"} <= set(worlds.columns)
    traj = res.trajectories.to_frame()
    assert {"variable", "actor", "year", "q50"} <= set(traj.columns)
    assert set(traj["actor"]) == set(res.actors)


def test_every_parameter_is_in_the_model_doc() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "model.md").read_text()
    names = [p.name for p in PARAMS if p.group != "time"] + [v.name for v in LEVERS]
    missing = [name for name in names if name not in doc]
    assert not missing, missing
