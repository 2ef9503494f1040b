"""Presets: shipped scenario files with sources, ``--preset`` in the CLI, the generator's rule."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import waystation as ws
from waystation.analyses import Interval
from waystation.analyses.compare import paired_difference
from waystation.cli import app
from waystation.presets import PRESETS, load_preset, preset_path
from waystation.presets.generate import Swing, presets_text

runner = CliRunner()
#: Short horizon, coarse step: the presets' ordering already shows by 2040.
FAST = {"start": 2026, "horizon": 2040, "dt": 0.25}


def test_every_preset_is_a_valid_scenario_with_public_sources() -> None:
    assert {"pessimistic-worlds", "optimistic-worlds"} <= set(PRESETS)
    viewpoints = [p for p in PRESETS.values() if p.kind == "viewpoint"]
    assert 3 <= len(viewpoints) <= 4
    for p in PRESETS.values():
        sc = load_preset(p.name)
        assert sc.name == p.name and p.title and p.sources
        assert preset_path(p.name).read_text().startswith("#")  # the header states the sources
    for p in viewpoints:
        assert "illustrative" in load_preset(p.name).description
        assert all("(20" in s for s in p.sources)  # each source is dated: a public work


def _short(name: str) -> ws.Scenario:
    sc = load_preset(name) if name in PRESETS else ws.load_scenario(name)
    return sc.model_copy(update={"time": sc.time.model_copy(update=FAST)})


def test_pessimistic_and_optimistic_worlds_bracket_the_default() -> None:
    """On common worlds, P(failure) is higher in the pessimistic preset and lower in the optimistic.

    Both presets fix every input at a tail, so the paired differences are large
    (tenths); 400 worlds resolve them many times over.
    """
    runs = {n: ws.run(_short(n), 400, 3) for n in ("default", "pessimistic-worlds",
                                                    "optimistic-worlds")}  # fmt: skip
    worse = paired_difference(runs["default"], runs["pessimistic-worlds"], "failure")
    better = paired_difference(runs["default"], runs["optimistic-worlds"], "failure")
    assert worse.low > 0 and better.high < 0


def test_a_swing_puts_each_input_at_the_end_that_moves_failure() -> None:
    up = Swing("hardness", 0.25, 4.0, 1.0, Interval(0.3, 0.28, 0.32))  # higher raises failure
    down = Swing("eval_ease", 0.1, 0.75, 0.4, Interval(-0.2, -0.21, -0.19))
    unsure = Swing("hazard_rate", 0.02, 0.5, 0.1, Interval(-0.01, -0.02, 0.001))
    assert (up.value(True), up.value(False)) == (4.0, 0.25)
    assert (down.value(True), down.value(False)) == (0.1, 0.75)
    assert unsure.value(True) == unsure.value(False) == 0.1  # unresolved: the median
    texts = presets_text([up, down, unsure], 100, 0)
    pessimistic = ws.io.scenario_from_text(texts["pessimistic-worlds"], "p.yaml")
    assert pessimistic.nature.hardness == 4.0 and pessimistic.nature.eval_ease == 0.1
    assert "unresolved" in texts["optimistic-worlds"]


def test_the_shipped_tail_presets_follow_their_own_table() -> None:
    """Each input in the pessimistic file sits at the end its swing says raises failure."""
    text = preset_path("pessimistic-worlds").read_text()
    sc = load_preset("pessimistic-worlds")
    rows = [ln[1:].split() for ln in text.splitlines() if ln.startswith("#   ") and "->" in ln]
    assert len(rows) >= 10
    for name, low, _, high, effect, *rest in rows:
        group = sc.nature if name in type(sc.nature).model_fields else sc.world
        value = float(getattr(group, name))
        expected = float(high) if float(effect) > 0 else float(low)
        if rest and "unresolved" in " ".join(rest):
            continue
        assert np.isclose(value, expected), name


def test_run_takes_a_preset() -> None:
    result = runner.invoke(app, ["run", "--preset", "optimistic-worlds", "-n", "200", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["scenario"] == "optimistic-worlds"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "single-lab", "--preset", "optimistic-worlds"], "not both"),
        (["run", "--preset", "nope"], "unknown preset 'nope'; presets: optimistic-worlds"),
    ],
)
def test_a_bad_preset_is_one_clear_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, "-n", "10"])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_every_simulating_command_with_a_scenario_takes_a_preset() -> None:
    import typer.main

    group = typer.main.get_command(app)
    with_scenario = [name for name, command in group.commands.items()  # type: ignore[attr-defined]
                     if "scenario" in {p.name for p in command.params}
                     and "--block-size" in {f for p in command.params for f in p.opts}]  # fmt: skip
    assert {"run", "compare", "levers", "sensitivity", "report"} <= set(with_scenario)
    for name in with_scenario:
        command = group.commands[name]  # type: ignore[attr-defined]
        assert "--preset" in {f for p in command.params for f in p.opts}, name
