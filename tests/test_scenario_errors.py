"""Malformed scenario files: one located message each, exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import waystation as ws
from waystation.cli import app

BAD = Path(__file__).parent / "scenarios" / "bad"

# file, line the message must name, key path, fragment of what was expected
CASES = [
    ("unknown_key.yaml", 5, "nature.hardnes", "did you mean 'hardness'"),
    ("yaml_syntax.yaml", 5, "", "not valid YAML"),
    ("yes_as_number.yaml", 5, "actors[0].levers.caution", "expected a number"),
    ("out_of_bounds.yaml", 5, "actors[0].levers.caution", "outside its bounds [0, 1]"),
    ("bad_distribution.yaml", 3, "nature.hardness", "lo < hi"),
    ("unknown_distribution.yaml", 3, "nature.scheming", "unknown distribution 'gamma'"),
    ("missing_actors.yaml", 1, "actors", "required key is missing"),
    ("duplicate_actor.yaml", 2, "actors", "must be unique"),
    ("horizon_before_start.yaml", 2, "time", "must come after start"),
    ("bad_condition.yaml", 7, "strategy.rules[0].when", "column 16"),
    ("unknown_condition_name.yaml", 7, "strategy.rules[0].when", "did you mean 'year'"),
    ("code_injection.yaml", 7, "strategy.rules[0].when", "may not start with '__'"),
    ("python_tag.yaml", 1, "", "could not determine a constructor"),
    ("not_a_mapping.yaml", 1, "", "expected a mapping"),
    ("unknown_lever.yaml", 7, "strategy.rules[0].set", "did you mean 'caution'"),
    ("global_lever_per_actor.yaml", 8, "strategy.rules[0].set", "global lever"),
    ("bad_actor_name.yaml", 3, "actors[0].name", "should match pattern"),
    ("bad_correlation.yaml", 4, "correlations", "unknown input 'nosuchinput'"),
]


def test_every_bad_file_is_covered() -> None:
    assert {c[0] for c in CASES} == {p.name for p in BAD.glob("*.yaml")}
    assert len(CASES) >= 10


@pytest.mark.parametrize(("name", "line", "path", "fragment"), CASES)
def test_located_error(name: str, line: int, path: str, fragment: str) -> None:
    with pytest.raises(ws.ScenarioError) as info:
        ws.load_scenario(BAD / name)
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert problem.source.endswith(name)
    assert problem.line == line
    assert problem.path == path
    assert fragment in problem.message
    assert str(problem).startswith(f"{problem.source}:{line}: ")


@pytest.mark.parametrize(("name", "line", "path", "fragment"), CASES)
def test_cli_exit_code_two(name: str, line: int, path: str, fragment: str) -> None:
    result = CliRunner().invoke(app, ["run", str(BAD / name), "--worlds", "10"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert f"{name}:{line}:" in text
    assert "Traceback" not in result.output


def test_missing_file_and_unknown_name() -> None:
    result = CliRunner().invoke(app, ["run", "no-such-scenario"])
    assert result.exit_code == 2
    assert "no shipped scenario or file" in result.output
    result = CliRunner().invoke(app, ["run", "missing.yaml"])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_nothing_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "hacked"
    evil = (BAD / "python_tag.yaml").read_text().replace("echo hacked", f"touch {marker}")
    path = tmp_path / "evil.yaml"
    path.write_text(evil)
    with pytest.raises(ws.ScenarioError):
        ws.load_scenario(path)
    assert not marker.exists()
