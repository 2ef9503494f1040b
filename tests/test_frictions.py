"""Small frictions a new user met (issue 23), each pinned by what the user sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import waystation as ws
from waystation.cli import app
from waystation.definitions import define
from waystation.levers import LEVER_REGISTRY
from waystation.params import REGISTRY

runner = CliRunner()
ONE_LAB = {
    "name": "one-lab",
    "time": {"start": 2026, "horizon": 2032, "dt": 1.0},
    "actors": [{"name": "lab"}],
}
BAD = """name: bad
nature:
  hardness: -3
actors:
  - name: a
strategy:
  name: s
  rules:
    - when: "capabilty > 3"
      set: {caution: 9, nonsense: 1}
    - set: {ai_safety_share: 2}
"""


def invoke(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args), env={"WAYSTATION_KEEP": "0"})
    return res.exit_code, res.stdout, res.stderr


def test_horizon_default_is_the_default_scenarios_horizon() -> None:
    default = ws.load_scenario("default").time.horizon
    assert default == REGISTRY["horizon"].default == 2100.0
    bare = ws.Scenario.model_validate({"name": "x", "actors": [{"name": "a"}]})
    assert bare.time.horizon == 2100.0 and ws.compile_scenario(bare).horizon == 2100.0


def test_validate_json_lists_every_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    code, out, _ = invoke("validate", str(path), "--json")
    assert code == 2
    doc = json.loads(out)
    assert doc["valid"] is False
    found = {(p["path"], p["line"]): p["message"] for p in doc["problems"]}
    assert ("nature.hardness", 3) in found
    assert ("strategy.rules[0].when", 9) in found  # the condition fails ...
    rule0 = found[("strategy.rules[0].set", 10)]  # ... and its levers are still checked
    assert "caution = 9 is outside" in rule0 and "unknown lever 'nonsense'" in rule0
    assert "ai_safety_share = 2" in found[("strategy.rules[1].set", 11)]
    code, out, _ = invoke("validate", "default", "--json")
    assert code == 0 and json.loads(out) == {
        "scenario": "default", "strategy": None, "valid": True, "problems": []
    }  # fmt: skip


def test_params_shows_bounds_source_and_status_uncut_when_piped() -> None:
    code, out, _ = invoke("params")
    assert code == 0
    header = next(line for line in out.splitlines() if "name" in line and "source" in line)
    assert all(col in header for col in ("bounds", "status", "source", "meaning"))
    assert max(len(line) for line in out.splitlines()) > 80  # not cut to 80 columns on a pipe
    rows = json.loads(invoke("params", "--json")[1])
    illustrative = sum(r["status"] == "illustrative" for r in rows)
    assert illustrative == sum(r["source"].startswith("illustrative") for r in rows) > 0
    assert f"{illustrative} of {len(rows)} entries are illustrative" in " ".join(out.split())
    assert "0.01 to 100" in out  # hardness's bounds


def test_compare_marks_the_baseline_and_keeps_names_whole(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(ONE_LAB), encoding="utf-8")
    name = "automated-alignment-researcher"
    code, out, err = invoke("compare", str(path), "-s", name, "-s", "race", "-n", "200")
    assert code == 0, err
    first = next(line for line in out.splitlines() if line.startswith(f"│ {name}"))
    assert "baseline" in first and "+0.0000 [+0.0000" not in first
    assert "…" not in out.split("where:")[0]


def test_help_keeps_bracketed_extras() -> None:
    code, out, _ = invoke("run", "--help")
    assert code == 0 and "waystation[jax]" in out.replace("\n", "").replace("│", "").replace(
        " ", ""
    )


@pytest.mark.parametrize("name", ["global_pause", "caution"])
def test_lever_legends_are_the_levers_own(name: str) -> None:
    lever = LEVER_REGISTRY[name]
    text = define(f"lever.{name}").meaning
    assert text.startswith(lever.meaning)
    if lever.scope == "actor":
        assert "for each actor" in text
    if name == "global_pause":  # the waystation of the same name keeps its own definition
        assert define(name).kind == "waystation" and define(f"lever.{name}").kind == "lever"
