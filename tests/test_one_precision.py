"""One default precision, one sign convention, meanings and progress on every CLI surface.

The same scenario, strategy and seed must give the same P(victory) whether
asked through ``waystation run``, ``waystation compare`` or the Python API at
their defaults (issue 13): :data:`P_VICTORY_AT_DEFAULTS` maps each surface to
a function returning its P(victory), so other surfaces (the report, the
explorer's API) can add themselves and be held to the same number.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import typer.main

import waystation as ws
from helpers import invoke
from helpers import run_json as cli_json
from waystation import analyses
from waystation.analyses.sensitivity import default_base_samples
from waystation.cli import app
from waystation.cli._app import PROGRESS_ENV, stage_progress
from waystation.definitions import DEFAULT_WORLDS, DEFINITIONS
from waystation.state import WAYSTATION_DEFINITIONS

STRATEGY = "safety-coalition"
SEED = 3


# --- one default precision ----------------------------------------------------------------


def _run_cli(one_lab_file: str, strategy: str, seed: int) -> tuple[float, int]:
    d = cli_json("run", one_lab_file, "-s", strategy, "--seed", str(seed))
    return d["probabilities"]["victory"], d["worlds"]


def _compare_cli(one_lab_file: str, strategy: str, seed: int) -> tuple[float, int]:
    d = cli_json("compare", one_lab_file, "-s", "race", "-s", strategy, "--seed", str(seed))
    return d["strategies"][strategy]["probabilities"]["victory"], d["worlds"]


def _python_api(one_lab_file: str, strategy: str, seed: int) -> tuple[float, int]:
    res = ws.run(one_lab_file, seed=seed, strategy=strategy, keep_worlds=False)
    return res.probabilities["victory"], res.n_worlds


def _analyses_compare(one_lab_file: str, strategy: str, seed: int) -> tuple[float, int]:
    cmp = analyses.compare(one_lab_file, [strategy], seed=seed)
    return cmp.results[strategy].probabilities["victory"], cmp.worlds


def _explorer_api(one_lab_file: str, strategy: str, seed: int) -> tuple[float, int]:
    """The explorer's ``POST /api/run`` with no world count, as the page sends it."""
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    from waystation.web import create_app

    scenario_json = ws.load_scenario(one_lab_file).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    body = {"scenario": scenario_json, "strategy": strategy,
            "seed": seed}  # fmt: skip
    with TestClient(create_app()) as client:
        response = client.post("/api/run", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    return data["probabilities"]["victory"], data["worlds"]


#: Surface -> (scenario, strategy, seed) -> (P(victory), worlds), each at its own defaults
#: (no world count passed). Add a surface here to hold it to the same figure.
P_VICTORY_AT_DEFAULTS: dict[str, Callable[[str, str, int], tuple[float, int]]] = {
    "waystation run": _run_cli,
    "waystation compare": _compare_cli,
    "ws.run": _python_api,
    "analyses.compare": _analyses_compare,
    "explorer POST /api/run": _explorer_api,
}


def test_every_surface_gives_the_same_p_victory_at_its_defaults(one_lab_file: str) -> None:
    got = {name: f(one_lab_file, STRATEGY, SEED) for name, f in P_VICTORY_AT_DEFAULTS.items()}
    assert {w for _, w in got.values()} == {DEFAULT_WORLDS}, got
    values = {p for p, _ in got.values()}
    assert len(values) == 1, got  # identical, not merely close
    assert 0.0 < values.pop() < 1.0


def test_the_first_worlds_do_not_depend_on_how_many_are_asked(one_lab_file: str) -> None:
    """World i is the same world in a run of 1,500 and in one of 3,000 (stream blocks)."""
    small = ws.run(one_lab_file, 1_500, SEED, strategy=STRATEGY)
    large = ws.run(one_lab_file, 3_000, SEED, strategy=STRATEGY)
    assert small.records is not None and large.records is not None
    for key in ("p_victory", "p_failure"):
        a, b = np.asarray(small.records[key]), np.asarray(large.records[key])
        np.testing.assert_array_equal(a, b[:1_500])
    assert not np.array_equal(small.records["p_victory"], large.records["p_victory"][1_500:])


COMMANDS_WITH_WORLDS = ("run", "compare", "competence", "levers", "voi", "optimise", "calibration")


@pytest.mark.parametrize("command", COMMANDS_WITH_WORLDS)
def test_every_command_defaults_to_the_one_world_count(command: str) -> None:
    click_app = typer.main.get_command(app)
    cmd = click_app.commands[command]  # type: ignore[attr-defined]
    (param,) = [p for p in cmd.params if p.name == "worlds"]
    assert param.default == DEFAULT_WORLDS


@pytest.mark.parametrize(
    "fn",
    [ws.run, ws.api.run_model, analyses.compare, analyses.competence, analyses.lever_values,
     analyses.voi, analyses.optimise],
)  # fmt: skip
def test_every_python_entry_point_defaults_to_the_one_world_count(fn: Any) -> None:
    assert inspect.signature(fn).parameters["worlds"].default == DEFAULT_WORLDS


def test_web_payload_defaults_to_the_one_world_count() -> None:
    pytest.importorskip("pydantic")
    from waystation.web.payloads import Worlds

    assert Worlds.default == DEFAULT_WORLDS


@pytest.mark.parametrize("method, extra", [("sobol", 2), ("morris", 1)])
@pytest.mark.parametrize("inputs", [1, 5, 17, 40])
def test_sensitivity_default_sample_fills_but_keeps_within_the_default(
    method: str, extra: int, inputs: int
) -> None:
    """n * (inputs + extra) worlds: at most DEFAULT_WORLDS, and doubling n would pass it."""
    n = default_base_samples(method, inputs)
    worlds = n * (inputs + extra)
    assert worlds <= DEFAULT_WORLDS
    if method == "sobol":
        assert n & (n - 1) == 0 and 2 * worlds > DEFAULT_WORLDS
    else:
        assert worlds + inputs + extra > DEFAULT_WORLDS
    assert default_base_samples(method, inputs, worlds=3) == 2  # never fewer than 2


# --- sign convention -----------------------------------------------------------------------


def test_compare_reports_second_minus_first(one_lab_file: str) -> None:
    d = cli_json("compare", one_lab_file, "-s", "race", "-s", STRATEGY, "-n", "400")
    p = {s: d["strategies"][s]["probabilities"] for s in ("race", STRATEGY)}
    for outcome in ("victory", "failure"):
        diff = d["differences"][STRATEGY][outcome]["estimate"]
        assert diff == pytest.approx(p[STRATEGY][outcome] - p["race"][outcome], abs=1e-9)
    assert abs(d["differences"][STRATEGY]["victory"]["estimate"]) > 1e-3  # the sign matters
    code, out, _ = invoke("compare", one_lab_file, "-s", "race", "-s", STRATEGY, "-n", "400")
    assert code == 0 and "strategy minus race" in " ".join(out.split())


# --- meanings and progress on every command -----------------------------------------------

#: Each command with small arguments, and registry keys its --json block must carry.
COMMANDS: dict[str, tuple[list[str], set[str]]] = {
    "run": (["-n", "300"], {"p_victory_given_reached", *WAYSTATION_DEFINITIONS}),
    "compare": (["-s", "race", "-s", STRATEGY, "-n", "300"], {"difference", "difference_sign"}),
    "competence": (["--grid", "0.5,4", "-n", "200"], {"hardness", "competence_frontier"}),
    "levers": (["--lever", "caution", "-n", "200"], {"cost", "budget_unit", "caution"}),
    "sensitivity": (["--method", "morris", "--base-samples", "4", "--input", "hardness"],
                    {"mu_star", "sigma", "hardness"}),
    "voi": (["-s", "race", "-s", STRATEGY, "--part", "hardness", "-n", "200"], {"voi"}),
    "optimise": (["--lever", "caution", "--max-evaluations", "2", "-n", "200"],
                 {"budget_unit", "cost", "gain", "caution"}),
    "calibration": (["-n", "100"], {"calibration_band"}),
}  # fmt: skip
LABELS = {"run": "worlds", "calibration": "calibration"}


@pytest.mark.parametrize("command", COMMANDS)
def test_json_carries_definitions_and_progress_stays_on_stderr(
    one_lab_file: str, command: str
) -> None:
    args, must = COMMANDS[command]
    code, out, err = invoke(command, one_lab_file, *args, "--json", env={PROGRESS_ENV: "1"})
    assert code == 0, err
    data = json.loads(out)  # stdout is one JSON document, no bar in it
    block = data["definitions"]
    assert must <= set(block)
    assert all(block[k] == DEFINITIONS[k].to_dict() for k in block)
    assert LABELS.get(command, command) in err  # the bar is drawn on stderr
    code, _, quiet = invoke(command, one_lab_file, *args, "--json", env={PROGRESS_ENV: "0"})
    assert code == 0 and LABELS.get(command, command) not in quiet


def test_existing_json_keys_are_kept(one_lab_file: str) -> None:
    """The definitions and provenance blocks are added beside the result's own keys, unchanged."""
    data = cli_json("run", one_lab_file, "-n", "300", "-s", STRATEGY)
    res = ws.run(one_lab_file, 300, 0, strategy=STRATEGY, keep_worlds=False)
    assert list(data) == [*res.to_dict(), "definitions", "provenance"]


def test_run_table_defines_waystations_and_marks_associations(one_lab_file: str) -> None:
    code, out, _ = invoke("run", one_lab_file, "-n", "300")
    assert code == 0
    flat = " ".join(out.split())
    cells = "".join(c for c in out if not c.isspace() and c != "│")  # wrapped cells rejoined
    for meaning in WAYSTATION_DEFINITIONS.values():  # each row carries its definition
        assert "".join(meaning.split()) in cells
    assert "associations across worlds, not effects" in flat
    assert "never reached in these worlds" in flat  # emulations cannot arrive by 2034 here


def test_lever_table_defines_cost_and_budget_unit(one_lab_file: str) -> None:
    code, out, _ = invoke("levers", one_lab_file, "--lever", "caution", "-n", "200")
    assert code == 0
    flat = " ".join(out.split())
    assert "cost per unit" in flat
    assert DEFINITIONS["budget_unit"].meaning.split(":")[0] in flat
    assert "value per budget unit" in flat


def test_optimise_counts_its_evaluations(one_lab_file: str) -> None:
    args = ["--lever", "caution", "--max-evaluations", "2", "-n", "200", "--json"]
    code, out, err = invoke("optimise", one_lab_file, *args, env={PROGRESS_ENV: "1"})
    assert code == 0, err
    evaluations = json.loads(out)["evaluations"]
    assert "runs of 200 worlds" in err
    # search runs, 2 held-out runs and the one lever's next step beyond the optimum
    assert f"{evaluations + 3}/{evaluations + 3}" in err


def test_stage_progress_moves_through_each_stage_share() -> None:
    seen: list[tuple[int, int]] = []
    report = stage_progress(lambda done, total: seen.append((done, total)), 1, 4)
    for done in (0, 50, 100):
        report(done, 100)
    report(0, 0)
    assert seen == [(250, 1000), (375, 1000), (500, 1000), (500, 1000)]
