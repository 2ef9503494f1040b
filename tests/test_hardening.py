"""Hardening, round 2 (issue 24): each case found by trying the tool as a hostile user would.

Every test here feeds the original input of its case and fails on the code
before the fix: a 17-actor scenario with a conditional strategy crashed the
default engine; two malformed YAML tags escaped as tracebacks; terminal
escapes in a key were printed raw; duplicate JSON keys were accepted; a
scenario without a ``time`` block ran at dt 0.25; and five messages misled.
(Signals are in ``test_interrupt.py``; the generated inputs in ``test_fuzz.py``.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import waystation as ws
from fuzz_strategies import (
    AVAILABLE_BACKENDS,
    CONDITIONAL,
    TAG_SITES,
    TAG_VALUES,
    UNSHOWABLE,
    USER_RULE,
    YAML_TAGS,
    many_actor_document,
)
from waystation import simulate as sim
from waystation.cli import app
from waystation.io import Problem, ScenarioError, scenario_from_text
from waystation.params import REGISTRY
from waystation.scenario import compile_model
from webserver import env

runner = CliRunner()
STRATEGIES: list[Any] = [*CONDITIONAL, USER_RULE]
WORLDS = 200


def _model(actors: int, strategy: Any) -> ws.Model:
    return compile_model(scenario_from_text(many_actor_document(actors, strategy), "many.yaml"))


def _strategy_id(strategy: Any) -> str:
    return strategy if isinstance(strategy, str) else "user-rule"


# --- 1. a valid many-actor scenario runs on every backend ------------------------------------


def test_every_builtin_conditional_strategy_is_covered() -> None:
    """The conditional strategies are the ones the kernel's shocks entry point served."""
    assert {"cautious-lab", "pause-then-enhanced-labor", "automated-alignment-researcher"} <= set(
        CONDITIONAL
    )


def test_the_original_seventeen_actor_cautious_lab_runs_from_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    actors = "".join(f"  - name: a{i}\n" for i in range(17))
    short = "time: {horizon: 2029}\n"  # the minimal case, to 2029 to keep the test fast
    path.write_text(f"name: many\nactors:\n{actors}strategy: cautious-lab\n{short}", "utf-8")
    result = runner.invoke(app, ["run", str(path), "-n", "100", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["backend"] == sim.backend_in_use("fused", 17)  # the kernel, or numpy, said
    assert sum(data["probabilities"].values()) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=_strategy_id)
@pytest.mark.parametrize("actors", [17, 20])
def test_many_actors_run_the_same_on_numpy_and_fused(actors: int, strategy: Any) -> None:
    """17 to 20 actors (validation allows 20), a conditional strategy: the same worlds, to
    rounding (the SIMD kernel's vector exp/log), or bit for bit where numpy steps them."""
    model = _model(actors, strategy)
    a = ws.run_model(model, WORLDS, seed=3, backend="numpy")
    b = ws.run_model(model, WORLDS, seed=3, backend="fused")
    assert b.backend == sim.backend_in_use("fused", actors)
    assert a.records is not None and b.records is not None
    for column in ("p_victory", "p_failure", "p_costly_non_failure"):
        np.testing.assert_allclose(b.records[column], a.records[column], rtol=1e-12, atol=1e-12)
    for k, v in a.probabilities.items():
        assert b.probabilities[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


@pytest.mark.slow
@pytest.mark.skipif("jax" not in AVAILABLE_BACKENDS, reason="the jax extra is not installed")
def test_many_actors_with_a_conditional_strategy_run_on_jax() -> None:
    """JAX has no actor limit; one compile (tens of seconds here), agreeing with numpy."""
    model = _model(17, "cautious-lab")
    a = ws.run_model(model, WORLDS, seed=3, backend="numpy")
    b = ws.run_model(model, WORLDS, seed=3, backend="jax")
    assert b.backend == "jax"
    for k, v in a.probabilities.items():
        assert b.probabilities[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


def test_validation_allows_no_more_actors_than_the_kernel_holds() -> None:
    """Scenarios are capped below the kernel's scratch arrays; beyond them numpy would step."""
    from waystation import _fused
    from waystation.scenario import Scenario

    cap = [
        m.max_length for m in Scenario.model_fields["actors"].metadata if hasattr(m, "max_length")
    ]
    assert cap == [20] and cap[0] <= _fused.MAX_ACTORS
    with pytest.raises(ScenarioError, match="at most 20"):
        scenario_from_text(many_actor_document(21, "cautious-lab"), "many.yaml")


def test_every_path_into_the_kernel_respects_its_actor_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the kernel's limit lowered below a 3-actor model, a conditional strategy (one step
    and its shocks per call) and a static one (segments) both step with numpy, exactly."""
    from waystation import _fused

    kernel = _fused.fused_kernel()
    if kernel is None:
        pytest.skip(f"no fused kernel here: {_fused.kernel_problem()}")
    monkeypatch.setattr(kernel, "max_actors", 2)
    default = ws.load_scenario("default")
    short = default.time.model_copy(update={"horizon": 2030.0, "dt": 0.5})
    for strategy in ("cautious-lab", "race"):
        model = compile_model(default.model_copy(update={"time": short, "strategy": strategy}))
        a = sim.simulate_block(model, 5, 0, 1024, 1024, backend="numpy")
        b = sim.simulate_block(model, 5, 0, 1024, 1024, backend="fused")
        assert a.records is not None and b.records is not None
        for column in a.records:
            np.testing.assert_array_equal(a.records[column], b.records[column], err_msg=column)
    assert sim.backend_in_use("fused", 3) == "numpy"
    assert sim.backend_in_use("fused", 2).startswith("fused")


def test_the_kernels_out_of_memory_code_is_a_memory_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one error code left reachable (-3: no working memory) is no RuntimeError either."""
    from waystation import _fused

    kernel = _fused.fused_kernel()
    if kernel is None:
        pytest.skip(f"no fused kernel here: {_fused.kernel_problem()}")

    def no_memory(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("fused kernel failed (-3)")

    monkeypatch.setattr(kernel, "step", no_memory)
    default = ws.load_scenario("default")
    short = default.time.model_copy(update={"horizon": 2028.0, "dt": 0.5})
    model = compile_model(default.model_copy(update={"time": short, "strategy": "cautious-lab"}))
    with pytest.raises(MemoryError, match="could not allocate"):
        sim.simulate_block(model, 5, 0, 1024, 64, backend="fused")


# --- 2. malformed YAML tags are located errors, never tracebacks ------------------------------


@pytest.mark.parametrize(
    ("text", "line", "path", "fragment"),
    [
        ("time: {start: !!timestamp 'bad'}", 3, "time.start", "not a valid date or time: 'bad'"),
        ("nature: {hardness: !!bool 'maybe'}", 3, "nature.hardness", "true/false value"),
    ],
)
def test_the_two_tags_that_escaped_are_located(
    text: str, line: int, path: str, fragment: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text(f"name: t\nactors: [{{name: a}}]\n{text}\n", "t.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (line, path)
    assert fragment in problem.message


def test_every_yaml_tag_with_every_malformed_value_is_accepted_or_located() -> None:
    """All 18 tags x 24 values x 10 places (4,320 documents): a located ScenarioError or a
    scenario, nothing else."""
    lined = 0
    for tag in YAML_TAGS:
        for value in TAG_VALUES:
            for site in TAG_SITES:
                text = "name: t\nactors: [{name: a}]\n" + site % f"!!{tag} {value}" + "\n"
                try:
                    scenario_from_text(text, "t.yaml")
                except ScenarioError as err:
                    assert all(p.source == "t.yaml" and p.message for p in err.problems)
                    lined += all(p.line is not None for p in err.problems)
    assert lined > 0.95 * len(YAML_TAGS) * len(TAG_VALUES) * len(TAG_SITES) * 0.9


def test_the_pages_validate_endpoint_answers_422_for_a_bad_tag(client: Any) -> None:
    text = "name: t\nactors: [{name: a}]\ntime: {start: !!timestamp 'bad'}\n"
    response = client.post("/api/validate-yaml", json={"yaml": text, "source": "t.yaml"})
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["line"] == 3 and "date or time" in error["message"]


def _test_client(app: Any) -> Any:
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    with warnings.catch_warnings():  # as in test_web_api: Starlette's notice about httpx2
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client() -> Any:
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    from waystation.web.app import create_app

    with _test_client(create_app()) as c:
        yield c


# --- 4. text from user files is shown through one escaping function ---------------------------


def test_shown_makes_control_characters_visible() -> None:
    from waystation._text import shown

    assert shown("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert shown("\u202eevil\u200b") == "\\u202eevil\\u200b"
    assert shown("x\ny") == "x\\x0ay" and shown("x\ny", newlines=True) == "x\ny"
    assert shown("é 日本 ok") == "é 日本 ok"  # printable text is unchanged
    assert shown(shown("a\x07")) == shown("a\x07")  # escaping twice changes nothing


ESC_KEY = "\x1b[2J\x1b[1;1Hok"


def test_an_escape_sequence_in_a_key_path_is_not_printed_raw(tmp_path: Path) -> None:
    path = tmp_path / "esc.yaml"
    key = json.dumps(ESC_KEY)  # "\u001b[2J...": escaped in the file, ESC once read
    path.write_text(f"name: t\nactors: [{{name: a}}]\nworld: {{{key}: 1}}\n", "utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "world.\\x1b[2J\\x1b[1;1Hok" in result.output


def test_problems_hold_escaped_text_for_the_cli_report_and_page() -> None:
    problem = Problem("f\x07.yaml", 3, f"world.{ESC_KEY}", f"bad {ESC_KEY}\nnext line")
    assert not UNSHOWABLE.search(problem.source + problem.path + problem.message)
    assert problem.message.endswith("\nnext line")  # the program's own newlines stay


def test_names_from_a_scenario_are_escaped_in_cli_tables(tmp_path: Path) -> None:
    doc = {"name": f"evil{ESC_KEY}", "description": "d\x1b[31m", "actors": [{"name": "a"}],
           "time": {"start": 2026, "horizon": 2027, "dt": 0.5},
           "strategy": {"name": "s\x1b[5m", "rules": [{"set": {"caution": 0.5}}]}}  # fmt: skip
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "-n", "64"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "evil\\x1b[2J" in result.output


def test_the_report_escapes_names_from_user_files() -> None:
    from waystation.report.tables import _e

    assert _e(f"<b>{ESC_KEY}</b>") == "&lt;b&gt;\\x1b[2J\\x1b[1;1Hok&lt;/b&gt;"


# --- 5. the page's API reads bodies with the files' strict loader -----------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('"worlds": 100, "worlds": 300', "duplicate key 'worlds'"),
        ('"worlds": NaN', "NaN is not a number JSON allows"),
        ('"worlds": 1' + "0" * 400, "outside the range of a 64-bit float"),
    ],
    ids=["duplicate", "nan", "huge"],
)
def test_request_bodies_are_read_strictly(client: Any, extra: str, message: str) -> None:
    body = '{"scenario": {"name": "x", "actors": [{"name": "a"}]}, ' + extra + "}"
    response = client.post("/api/run", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["path"] == "worlds" and message in error["message"]


def test_a_duplicate_key_deep_in_a_body_is_located(client: Any) -> None:
    body = b'{"scenario": {"name": "x", "actors": [{"name": "a", "name": "b"}]}, "worlds": 64}'
    response = client.post("/api/run", content=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "scenario.actors[0].name"


# --- 6. the default time step is the documented one -------------------------------------------


def test_a_scenario_without_a_time_block_runs_at_the_documented_dt() -> None:
    model = compile_model(scenario_from_text("name: t\nactors: [{name: a}]\n", "t.yaml"))
    assert REGISTRY["dt"].default == 0.125
    assert model.step_dt(1) == REGISTRY["dt"].default
    assert (model.start, model.horizon) == (REGISTRY["start"].default, REGISTRY["horizon"].default)
    partial = scenario_from_text("name: t\nactors: [{name: a}]\ntime: {horizon: 2030}\n", "t")
    assert partial.time.dt == 0.125
    rows = json.loads(runner.invoke(app, ["params", "--json"]).stdout)
    documented = [r for r in rows if r["name"] == "dt"]
    assert documented and documented[0]["default"] == 0.125
    assert "The default step is 0.125 years" in (
        Path(__file__).parents[1] / "docs" / "model.md"
    ).read_text(encoding="utf-8")


# --- 7. the confusing messages ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["hardness", "edge_width", "hazard_rate", "wbe_cost"])
def test_a_90_percent_range_at_the_bounds_exactly_is_accepted(name: str) -> None:
    param = REGISTRY[name]
    lo, hi = param.bounds
    text = f"name: t\nactors: [{{name: a}}]\nnature: {{{name}: {lo!r} to {hi!r}}}\n"
    scenario_from_text(text, "t.yaml")  # the original: hardness: 0.01 to 100


def test_a_range_beyond_the_bounds_is_still_refused() -> None:
    with pytest.raises(ScenarioError, match=r"reaches below 0.01; expected a range within"):
        scenario_from_text("name: t\nactors: [{name: a}]\nnature: {hardness: 0.0099 to 100}\n")


def test_a_malformed_int_is_not_called_out_of_range() -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text("name: t\nactors: [{name: a}]\nnature: {hardness: !!int abc}\n", "t")
    (problem,) = caught.value.problems
    assert "not a valid integer (!!int): 'abc'" in problem.message
    assert "range" not in problem.message and problem.line == 3


@pytest.mark.parametrize("kind", ["directory", "fifo", "device"])
def test_what_is_not_a_file_is_named(tmp_path: Path, kind: str) -> None:
    if kind == "directory":
        path, said = tmp_path, "is a directory"
    elif kind == "fifo":
        path, said = tmp_path / "pipe.yaml", "is a named pipe (FIFO)"
        os.mkfifo(path)
    else:
        path, said = Path("/dev/null"), "is a device"
    with pytest.raises(ScenarioError) as caught:
        ws.load_scenario(path)
    message = str(caught.value)
    assert said in message and "no such file" not in message
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and said in result.output


def test_a_control_character_error_gives_its_line() -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text("name: t\nactors: [{name: a}]\n\nworld: {x\x07: 1}\n", "t.yaml")
    (problem,) = caught.value.problems
    assert problem.line == 4
    assert "control character \\x07 (U+0007) in column 10" in problem.message
    assert "position" not in problem.message


# --- a bug is one line (CLI) or a 500 with an id (page) ---------------------------------------

BROKEN = """
import sys
import waystation.cli.run as run
def broken(*args, **kwargs):
    raise RuntimeError("fused kernel failed (-1)")
run.run_model = broken
from waystation.cli import main
main()
"""


@pytest.mark.parametrize("debug", [False, True])
def test_an_exception_that_escapes_a_command_is_one_line_about_a_bug(debug: bool) -> None:
    args = ["run", "default", "-n", "64"] + (["--debug"] if debug else [])
    proc = subprocess.run([sys.executable, "-c", BROKEN, *args], capture_output=True, text=True,
                          env=env(), timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert "internal error: RuntimeError: fused kernel failed (-1)" in lines[-1]
    assert "this is a bug in waystation" in lines[-1] and "--debug" in lines[-1]
    if debug:
        assert "Traceback (most recent call last)" in proc.stderr
    else:
        assert len(lines) == 1 and "Traceback" not in proc.stderr


def test_a_bug_on_the_page_is_a_500_with_an_id_and_a_logged_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    import waystation.web.app as web_app

    def broken(name: str) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(web_app, "load_scenario", broken)
    with (
        caplog.at_level("ERROR", logger="waystation.web"),
        _test_client(web_app.create_app()) as c,
    ):
        response = c.get("/api/scenarios/default")
    assert response.status_code == 500
    (error,) = response.json()["errors"]
    ident = re.search(r"internal error ([0-9a-f]{8}) \(RuntimeError\)", error["message"])
    assert ident and "secret internals" not in error["message"]
    logged = [r for r in caplog.records if ident.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the server's log
