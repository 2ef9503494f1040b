"""Strategic actors on the simulation model: payoffs, common worlds, the CLI and its errors.

The solver itself is pinned against analytic games in ``tests/test_game.py``;
these tests check what the model adds (who wins, payoff weights, common
worlds between the search and the report) and the command's interface,
without depending on the model's numbers.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from waystation.analyses._common import Runner
from waystation.analyses.equilibrium import ModelGame, Question, equilibrium, scenario_weights
from waystation.analyses.equilibrium_sweep import (
    Sweep,
    findings,
    parse_sweep,
    sweep_findings,
    with_actors,
)
from waystation.api import compile_scenario
from waystation.cli import app
from waystation.game import SolverSettings
from waystation.game.payoffs import Weights, actor_payoffs, victory_shares
from waystation.io import ScenarioError, scenario_from_text
from waystation.settings import RunSettings

TWO_LABS = {
    "name": "two-labs",
    "time": {"start": 2026, "horizon": 2036, "dt": 1.0},
    "nature": {"hardness": "0.5 to 4", "scheming": 0.2, "eval_ease": 0.4},
    "world": {"C_aar": "1.5 to 4", "si_gap": 1.0},
    "actors": [
        {"name": "alpha", "frontier": 0.0, "levers": {"caution": 0.4}},
        {"name": "beta", "frontier": -0.3, "levers": {"caution": 0.2}},
    ],
    "payoffs": {"enmity": 0.5, "actors": {"beta": {"own_advantage": 1.0}}},
}
QUICK = SolverSettings(grid=3, starts=2, max_rounds=4)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = Path(tmp_path_factory.mktemp("game")) / "two-labs.yaml"
    path.write_text(yaml.safe_dump(TWO_LABS), encoding="utf-8")
    return str(path)


def test_payoff_formula_on_hand_made_outcomes() -> None:
    """u_a = V (win_a + (1 - e_a) win_rivals) + own_a win_a + c P(costly) + f P(failure)."""
    w = Weights.of(
        ("a", "b"),
        {"victory_value": 2.0, "costly_non_failure_value": 0.5, "failure_value": -1.0},
        {"a": {"enmity": 0.5, "own_advantage": 1.0}, "b": {"enmity": 0.0, "own_advantage": 0.0}},
    )
    wins = np.array([[0.3, 0.2]])
    u = actor_payoffs(wins, np.array([0.4]), np.array([0.1]), w)
    assert u[0, 0] == pytest.approx(2 * (0.3 + 0.5 * 0.2) + 0.3 + 0.2 - 0.1)
    assert u[0, 1] == pytest.approx(2 * (0.2 + 0.3) + 0.2 - 0.1)


def test_scenario_payoff_block_sets_weights_per_actor(scenario: str) -> None:
    sc = scenario_from_text(Path(scenario).read_text(encoding="utf-8"))
    w = scenario_weights(sc, ("alpha", "beta"), {}).to_dict(("alpha", "beta"))
    assert w["alpha"]["enmity"] == w["beta"]["enmity"] == 0.5
    assert w["alpha"]["own_advantage"] == 0.5  # the registry default
    assert w["beta"]["own_advantage"] == 1.0
    assert scenario_weights(sc, ("alpha", "beta"), {"enmity": 0.0}).enmity.tolist() == [0, 0]


def test_bad_payoff_blocks_get_located_errors() -> None:
    base = yaml.safe_dump({k: v for k, v in TWO_LABS.items() if k != "payoffs"})
    for extra, expected in (
        ("payoffs:\n  enmity: 1.5\n", "payoffs.enmity: enmity = 1.5 is outside its bounds"),
        ("payoffs:\n  enmty: 0.5\n", "did you mean 'enmity'"),
        ("payoffs:\n  actors:\n    gamma: {enmity: 0.1}\n", "unknown actor 'gamma'"),
    ):
        with pytest.raises(ScenarioError) as info:
            scenario_from_text(base + extra, "x.yaml")
        assert any(expected in str(p) and "x.yaml:" in str(p) for p in info.value.problems)


def test_victory_is_shared_out_between_actors_and_search_worlds_are_common(scenario: str) -> None:
    """Per-actor P(win) sums to P(victory); the search's worlds are the report's first worlds."""
    sc = scenario_from_text(Path(scenario).read_text(encoding="utf-8"))
    model = compile_scenario(sc)
    runner = Runner(3, 0, RunSettings())
    res = runner.run(model, 400)
    assert res.records is not None
    wins = victory_shares(res.records, model)
    assert np.allclose(wins.sum(axis=1), res.records["p_victory"])
    assert (wins >= 0).all() and wins.sum() > 0
    w = scenario_weights(sc, model.actors, {})
    small = ModelGame(model, ("caution",), w, runner, 100)
    full = ModelGame(model, ("caution",), w, runner, 400)
    x = np.array([[0.7], [0.1]])
    assert np.array_equal(small.evaluate(x).payoffs, full.evaluate(x).payoffs[:100])


def test_shared_payoffs_make_every_actor_equal_and_the_optimum_no_worse(scenario: str) -> None:
    """Enmity 0, no own advantage: one payoff for all; optimum's welfare >= any equilibrium's."""
    q = Question(("caution",), 150, 150, 1, QUICK, {"enmity": 0.0, "own_advantage": 0.0})
    res = equilibrium(scenario, q)
    for e in (*res.equilibria, res.optimum):
        assert e.point.payoffs[0] == e.point.payoffs[1]
    for e in res.equilibria:
        assert res.optimum.point.welfare.estimate >= e.point.welfare.estimate - 1e-12


def test_equilibrium_json_table_and_sweep_figure(scenario: str, tmp_path: Path) -> None:
    args = ["equilibrium", scenario, "--choose", "caution", "-n", "60", "--search-worlds", "30",
            "--grid", "3", "--starts", "1"]  # fmt: skip
    res = CliRunner().invoke(app, [*args, "--json"], env={"WAYSTATION_PROGRESS": "1"})
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)  # the bar stays on stderr
    assert "equilibrium (candidate runs)" in res.stderr
    assert set(data) >= {
        "scenario", "actors", "choose", "found", "equilibria", "optimum", "price_of_anarchy",
        "failure_gap", "traces", "payoff_weights", "findings", "definitions", "evaluations",
    }  # fmt: skip
    assert data["choose"] == ["caution"] and data["actors"] == ["alpha", "beta"]
    assert set(data["optimum"]["choices"]["alpha"]) == {"caution"}
    assert {"price_of_anarchy", "enmity", "cooperative_optimum"} <= set(data["definitions"])
    assert data["findings"]
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "cooperative optimum" in table.stdout
    png = tmp_path / "sweep.png"
    # one value keeps the test short; test_sweep_values_and_actor_counts parses ranges
    res = CliRunner().invoke(app, [*args, "--sweep", "enmity=1", "--plot", str(png), "--json"])
    assert res.exit_code == 0, res.stderr
    sweep = json.loads(res.stdout)
    assert sweep["sweep"] == "enmity" and sweep["values"] == [1.0]
    assert set(sweep["rows"][0]) >= {"equilibrium_failure", "optimum_failure", "price_of_anarchy"}
    assert sweep["results"][0]["payoff_weights"]["beta"]["enmity"] == 1.0
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--choose", "spillover"], "an actor chooses its own levers"),
        (["--choose", "caution,caution"], "name each lever once"),
        (["--sweep", "hardness=0:1:3"], "cannot sweep 'hardness'"),
        (["--sweep", "enmity=0:2:3"], "must lie in [0, 1]"),
        (["--sweep", "enmity"], "expected NAME=START:STOP:COUNT"),
        (["--plot", "x.png"], "--plot draws a sweep"),
        (["--set", "global_pause"], "expected NAME=NUMBER"),
        (["--set", "nonsense=1"], "unknown inputs: nonsense"),
        (["--sweep", "detection_rate=-1,2"], "must lie in [0, 100]"),
    ],
)
def test_bad_equilibrium_arguments_exit_2_with_one_line(
    scenario: str, extra: list[str], message: str
) -> None:
    res = CliRunner().invoke(app, ["equilibrium", scenario, "-n", "50", *extra])
    assert res.exit_code == 2
    assert message in res.stderr and "Traceback" not in res.stderr


def test_sweep_values_and_actor_counts() -> None:
    assert parse_sweep("enmity=0:1:5")[1] == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_sweep("actors=1,3")[1] == (1.0, 3.0)
    sc = scenario_from_text(yaml.safe_dump(TWO_LABS))
    assert [a.name for a in with_actors(sc, 1).actors] == ["alpha"]
    assert [a.name for a in with_actors(sc, 3).actors] == ["alpha", "beta", "alpha-2"]


def test_a_lever_held_by_the_strategy_cannot_be_chosen(scenario: str) -> None:
    sc = scenario_from_text(Path(scenario).read_text(encoding="utf-8"))
    model = compile_scenario(sc, "race")
    with pytest.raises(ValueError, match="sets caution by rule"):
        equilibrium(model, Question(("caution",), 20, 20))


def test_equilibrium_takes_the_shared_run_options_and_the_one_world_count() -> None:
    import typer.main

    from waystation.analyses.equilibrium import equilibrium as fn
    from waystation.definitions import DEFAULT_WORLDS

    command = typer.main.get_command(app).commands["equilibrium"]  # type: ignore[attr-defined]
    flags = {f for p in command.params for f in p.opts}
    assert {"--workers", "--engine", "--address", "--backend", "--block-size", "--seed"} <= flags
    assert {"--choose", "--sweep", "--json", "--worlds", "--plot", "--information"} <= flags
    (worlds,) = [p for p in command.params if p.name == "worlds"]
    assert worlds.default == DEFAULT_WORLDS
    import inspect

    assert list(inspect.signature(fn).parameters) == ["scenario", "question", "settings"]


@pytest.mark.parametrize(
    ("information", "situations"),
    [("own", ["early", "late"]), ("public", ["ahead", "behind"]), ("lead", ["ahead", "behind"])],
)
def test_informed_choices_equal_across_situations_are_the_constant_choice(
    scenario: str, information: str, situations: list[str]
) -> None:
    """Under an information regime an actor picks a value for each situation it can tell
    apart; equal values are the 'none' regime's single value, world by world (common
    worlds, same numbers), and a different value in the second situation changes outcomes."""
    sc = scenario_from_text(Path(scenario).read_text(encoding="utf-8"))
    model = compile_scenario(sc)
    runner = Runner(5, 0, RunSettings())
    w = scenario_weights(sc, model.actors, {})
    none = ModelGame(model, ("caution",), w, runner, 100)
    informed = ModelGame(model, ("caution",), w, runner, 100, information)
    assert [c.name for c in informed.choices] == [f"caution@{s}" for s in situations]
    assert np.allclose(informed.start(), [[0.4, 0.4], [0.2, 0.2]])
    same = informed.evaluate(np.array([[0.9, 0.9], [0.1, 0.1]]))
    base = none.evaluate(np.array([[0.9], [0.1]]))
    np.testing.assert_allclose(same.payoffs, base.payoffs, atol=1e-9)
    split = informed.evaluate(np.array([[0.9, 0.9], [0.1, 1.0]]))
    assert not np.allclose(split.failure, base.failure)


def test_public_information_is_the_exact_lead_seen_through_evaluation_noise(
    scenario: str,
) -> None:
    """'public' conditions on lead_estimate = lead + sigma_eval/(1+E) * (evaluation error):
    with no evaluation error it is the 'lead' regime, world by world; with error it is not."""
    sc = scenario_from_text(Path(scenario).read_text(encoding="utf-8"))
    w = scenario_weights(sc, compile_scenario(sc).actors, {})
    runner = Runner(5, 0, RunSettings())
    split = np.array([[0.9, 0.0], [0.1, 1.0]])
    failure = {}
    for sigma in (0.0, 1.0):
        model = compile_scenario(sc).with_overrides({"sigma_eval": sigma})
        for info in ("public", "lead"):
            game = ModelGame(model, ("caution",), w, runner, 100, info)
            failure[sigma, info] = game.evaluate(split).failure
    np.testing.assert_array_equal(failure[0.0, "public"], failure[0.0, "lead"])
    assert not np.allclose(failure[1.0, "public"], failure[1.0, "lead"])
    with pytest.raises(ValueError, match="information must be one of"):
        Question(information="gossip")


def test_covert_defection_equilibrium_says_whether_the_pause_holds(scenario: str) -> None:
    """Under a full coordinated pause (half enforced) each lab chooses how much of it to skip
    secretly. Undetectable, skipping all of it is each lab's best response and the pause
    collapses; with fast detection, the whole pause imposed on a detected defector makes
    skipping a loss and the only equilibrium is honest: the pause holds, far safer."""
    q = Question(("covert_rate",), worlds=300, search_worlds=150, solver=QUICK)
    pause = {"global_pause": 1.0, "enforcement": 0.5}
    unseen = equilibrium(scenario, replace(q, overrides={**pause, "detection_rate": 0.0}))
    seen = equilibrium(scenario, replace(q, overrides={**pause, "detection_rate": 20.0}))
    for res, rate in ((unseen, 1.0), (seen, 0.0)):
        eqs = [e for e in res.equilibria if e.is_equilibrium]
        assert eqs and all(
            abs(e.choices[a]["covert_rate"] - rate) < 0.05 for e in eqs for a in res.actors
        )
    assert findings(unseen)[-1].startswith("The coordinated pause does not hold")
    assert findings(seen)[-1].startswith("The coordinated pause holds")
    gap = unseen.worst.point.failure.estimate - seen.worst.point.failure.estimate  # type: ignore[union-attr]
    assert gap > 0.1
    assert unseen.to_dict()["overrides"] == {**pause, "detection_rate": 0.0}
    swept = Sweep("detection_rate", (0.0, 20.0), (unseen, seen))
    assert sweep_findings(swept)[-1].endswith("at detection_rate = 20.")
