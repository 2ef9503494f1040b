"""The explorer's JSON API, driven in-process with FastAPI's TestClient."""

from __future__ import annotations

import copy
import importlib.util
import json
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

import waystation as ws
from waystation import present
from waystation.analyses import Interval
from waystation.definitions import DEFAULT_WORLDS

pytest.importorskip("fastapi", reason="the web extra is not installed")

with warnings.catch_warnings():
    # Starlette asks for the `httpx2` fork behind its TestClient; with plain
    # httpx it warns once at import. Nothing else is silenced.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from waystation.web import ServerLimits, create_app
from waystation.web.app import MAX_BODY, MAX_PROBLEMS
from waystation.web.payloads import MAX_WORLDS

WORLDS = 300


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture(scope="module")
def default_json(client: TestClient) -> dict[str, Any]:
    return client.get("/api/scenarios/default").json()["scenario"]  # type: ignore[no-any-return]


@pytest.fixture
def fast(default_json: dict[str, Any]) -> dict[str, Any]:
    """The default scenario over a short horizon with a coarse step, for speed."""
    sc = copy.deepcopy(default_json)
    sc["time"] = {"start": 2026, "horizon": 2030, "dt": 0.5}
    return sc


def only_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert len(errors) >= 1
    assert set(errors[0]) == {"path", "line", "message"}
    return errors[0]  # type: ignore[no-any-return]


# --- catalogue ---------------------------------------------------------------


def test_scenarios_lists_shipped(client: TestClient) -> None:
    listed = client.get("/api/scenarios").json()
    assert {s["name"]: s["description"] for s in listed} == ws.shipped_scenarios()


def test_scenario_detail_gives_json_and_yaml(client: TestClient) -> None:
    body = client.get("/api/scenarios/default").json()
    assert body["name"] == "default"
    from_yaml = ws.io.scenario_from_text(body["yaml"], "default.yaml")
    assert ws.Scenario.model_validate(body["scenario"]) == from_yaml == ws.load_scenario("default")


def test_unknown_scenario_is_404_naming_the_field(client: TestClient) -> None:
    error = only_error(client.get("/api/scenarios/nope"), 404)
    assert error["path"] == "name"
    assert "default" in error["message"]


def test_strategies_are_the_builtins(client: TestClient) -> None:
    listed = client.get("/api/strategies").json()
    assert [s["name"] for s in listed] == list(ws.BUILTIN_STRATEGIES)
    assert all(s["description"] and isinstance(s["rules"], list) for s in listed)


def test_registry_has_every_param_and_lever_with_metadata(client: TestClient) -> None:
    reg = client.get("/api/registry").json()
    assert [p["name"] for p in reg["params"]] == [p.name for p in ws.PARAMS]
    assert [v["name"] for v in reg["levers"]] == [v.name for v in ws.LEVERS]
    for entry in reg["params"] + reg["levers"]:
        assert {"unit", "bounds", "meaning", "source", "default"} <= set(entry)
        assert entry["bounds"][0] <= entry["bounds"][1]
    assert reg["limits"]["max_worlds"] == MAX_WORLDS


# --- running -------------------------------------------------------------------


def test_run_matches_the_python_api(client: TestClient, fast: dict[str, Any]) -> None:
    response = client.post("/api/run", json={"scenario": fast, "strategy": "race",
                                             "worlds": WORLDS, "seed": 3})  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    res = ws.run(ws.Scenario.model_validate(fast), WORLDS, 3, strategy="race")
    assert body["probabilities"] == res.probabilities
    assert body["standard_errors"] == res.standard_errors
    assert body["strategy"] == "race" and body["worlds"] == WORLDS
    traj = body["trajectories"]
    assert traj["years"] == res.trajectories.times.tolist()
    median = res.trajectories.get("capability", "leading-lab")[0.5].tolist()
    assert traj["actors"]["leading-lab"]["capability"]["q50"] == median
    assert set(body["waystations"]) == set(res.waystations)
    assert body["elapsed_seconds"] >= 0


def test_out_of_bounds_lever_names_its_path(client: TestClient, fast: dict[str, Any]) -> None:
    fast["actors"][0]["levers"]["caution"] = 3
    error = only_error(client.post("/api/run", json={"scenario": fast, "worlds": WORLDS}), 422)
    assert error["path"] == "actors[0].levers.caution"
    assert error["line"] is None
    assert "bounds" in error["message"]


def test_unknown_key_is_refused_with_a_hint(client: TestClient, fast: dict[str, Any]) -> None:
    fast["actors"][1]["levers"]["cuation"] = 0.5
    error = only_error(client.post("/api/run", json={"scenario": fast, "worlds": WORLDS}), 422)
    assert error["path"] == "actors[1].levers.cuation"
    assert "caution" in error["message"]


def test_bad_distribution_names_the_parameter(client: TestClient, fast: dict[str, Any]) -> None:
    fast["nature"]["hardness"] = "4 to 1 to 2"
    error = only_error(client.post("/api/run", json={"scenario": fast, "worlds": WORLDS}), 422)
    assert error["path"] == "nature.hardness"


@pytest.mark.parametrize("worlds", [0, -5, MAX_WORLDS + 1])
def test_world_count_is_capped(client: TestClient, fast: dict[str, Any], worlds: int) -> None:
    error = only_error(client.post("/api/run", json={"scenario": fast, "worlds": worlds}), 422)
    assert error["path"] == "worlds"


def test_unknown_strategy_names_the_field(client: TestClient, fast: dict[str, Any]) -> None:
    body = {"scenario": fast, "strategy": "rase", "worlds": WORLDS}
    error = only_error(client.post("/api/run", json=body), 422)
    assert error["path"] == "strategy"
    assert "race" in error["message"]


def test_unknown_request_key_is_refused(client: TestClient, fast: dict[str, Any]) -> None:
    body = {"scenario": fast, "wolds": 10}
    assert only_error(client.post("/api/run", json=body), 422)["path"] == "wolds"


def test_malformed_json_is_a_json_error(client: TestClient) -> None:
    response = client.post("/api/run", content=b"{not json",
                           headers={"content-type": "application/json"})  # fmt: skip
    only_error(response, 422)


def test_declared_oversized_body_is_refused(client: TestClient) -> None:
    payload = b'{"scenario": {}, "pad": "' + b"x" * MAX_BODY + b'"}'
    response = client.post("/api/run", content=payload,
                           headers={"content-type": "application/json"})  # fmt: skip
    assert "larger than" in only_error(response, 413)["message"]


def test_streamed_oversized_body_is_refused(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY // 10_000 + 2):
            yield b" " * 10_000

    response = client.post("/api/run", content=chunks(),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 413


# --- YAML round trips --------------------------------------------------------------

BAD_YAML = """\
name: bad
actors:
  - name: lab
    levers:
      caution: 2.5
"""


def test_validate_yaml_returns_the_scenario(client: TestClient) -> None:
    text = client.get("/api/scenarios/default").json()["yaml"]
    body = client.post("/api/validate-yaml", json={"yaml": text, "source": "d.yaml"}).json()
    assert ws.Scenario.model_validate(body["scenario"]) == ws.load_scenario("default")


def test_validate_yaml_locates_problems(client: TestClient) -> None:
    response = client.post("/api/validate-yaml", json={"yaml": BAD_YAML, "source": "bad.yaml"})
    error = only_error(response, 422)
    assert error == {"path": "actors[0].levers.caution", "line": 5,
                     "message": error["message"]}  # fmt: skip
    assert "bounds" in error["message"]


def test_validate_yaml_reports_syntax_errors_with_a_line(client: TestClient) -> None:
    response = client.post("/api/validate-yaml", json={"yaml": "name: [x\nactors: 1\n"})
    assert only_error(response, 422)["line"] is not None


def test_yaml_round_trip_keeps_the_scenario(client: TestClient, fast: dict[str, Any]) -> None:
    fast["actors"][0]["levers"]["caution"] = 0.77
    fast["strategy"] = "race"
    text = client.post("/api/yaml", json={"scenario": fast}).json()["yaml"]
    assert yaml.safe_load(text)["actors"][0]["levers"]["caution"] == 0.77
    back = client.post("/api/validate-yaml", json={"yaml": text}).json()["scenario"]
    assert ws.Scenario.model_validate(back) == ws.Scenario.model_validate(fast)


# --- comparisons and analyses -----------------------------------------------------


def test_compare_gives_paired_differences(client: TestClient, fast: dict[str, Any]) -> None:
    body = {"scenario": fast, "strategies": ["default", "race"], "worlds": WORLDS, "seed": 2}
    response = client.post("/api/compare", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert set(out["strategies"]) == {"default", "race"}
    probs = {n: out["strategies"][n]["probabilities"] for n in ("default", "race")}
    single = ws.run(ws.Scenario.model_validate(fast), WORLDS, 2, strategy="race")
    assert probs["race"] == pytest.approx(single.probabilities, abs=1e-12)
    for outcome, diff in out["differences"]["race"].items():
        assert diff["estimate"] == pytest.approx(
            probs["race"][outcome] - probs["default"][outcome], abs=1e-9
        )
        assert diff["low"] <= diff["estimate"] <= diff["high"]


def test_compare_needs_two_strategies(client: TestClient, fast: dict[str, Any]) -> None:
    body = {"scenario": fast, "strategies": ["race"], "worlds": WORLDS}
    assert only_error(client.post("/api/compare", json=body), 422)["path"] == "strategies"


def _has_analysis(name: str) -> bool:
    if importlib.util.find_spec("waystation.analyses") is None:
        return False
    return hasattr(importlib.import_module("waystation.analyses"), name)


@pytest.mark.slow
def test_competence_endpoint(client: TestClient, fast: dict[str, Any]) -> None:
    body = {"scenario": fast, "grid": [0.5, 2.0], "worlds": 200, "seed": 1}
    response = client.post("/api/competence", json=body)
    if not _has_analysis("competence"):
        assert response.status_code == 501
        return
    assert response.status_code == 200, response.text
    assert {"grid", "curves"} <= set(response.json())


def test_competence_grid_is_validated(client: TestClient, fast: dict[str, Any]) -> None:
    body = {"scenario": fast, "grid": [1.0], "worlds": 200}
    assert only_error(client.post("/api/competence", json=body), 422)["path"] == "grid"


@pytest.mark.slow
def test_levers_endpoint(client: TestClient, fast: dict[str, Any]) -> None:
    body = {"scenario": fast, "worlds": 200, "seed": 1}
    response = client.post("/api/levers", json=body)
    if not _has_analysis("lever_values"):
        assert response.status_code == 501
        return
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["objective"] == "victory" and len(out["levers"]) >= 1


# --- page, assets and process hygiene -------------------------------------------


def test_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    ids = ("scenario-select", "strategy-select", "worlds", "seed", "p-victory", "diagram",
           "waystations-table", "compare-table", "upload", "errors")  # fmt: skip
    for element_id in ids:
        assert f'id="{element_id}"' in response.text
    assert "http://" not in response.text and "https://" not in response.text


def test_static_assets(client: TestClient) -> None:
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/app.py").status_code == 404
    assert client.get("/static/..%2Fapp.py").status_code == 404


def test_create_app_binds_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("create_app must not open a socket")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    monkeypatch.setattr(socket.socket, "listen", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert create_app().title == "waystation explorer"


def test_core_and_cli_import_no_web_library() -> None:
    code = ("import sys, waystation, waystation.cli; "
            "print(json.dumps(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'plotly') "
            "if m in sys.modules)))")  # fmt: skip
    found = subprocess.run([sys.executable, "-c", "import json; " + code], check=True,
                           capture_output=True, text=True).stdout  # fmt: skip
    assert json.loads(found) == []


def _serve(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, list[Any]]:
    """Invoke ``waystation serve`` with uvicorn's server stubbed; the output and configs."""
    import uvicorn
    from typer.testing import CliRunner

    from waystation.cli import app

    configs: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *a, **k: configs.append(self.config))
    result = CliRunner().invoke(app, ["serve", "--no-browser", *args])
    assert result.exit_code == 0, result.output
    return result, configs


def test_serve_binds_loopback_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    result, configs = _serve(monkeypatch, "--port", "8123")
    assert len(configs) == 1
    assert configs[0].host == "127.0.0.1" and configs[0].port == 8123
    assert configs[0].limit_concurrency > 0  # uvicorn answers 503 past it: no thread pile-up
    assert "127.0.0.1:8123" in result.output


def test_serve_passes_worker_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    _, configs = _serve(monkeypatch, "--workers", "3", "--queue", "7", "--time-limit", "9")
    limits = TestClient(configs[0].app).get("/api/registry").json()["limits"]
    assert limits["time_limit"] == 9


# --- hardening: strict types, budgets, bounded and JSON-only errors ------------------


@pytest.mark.parametrize("worlds", ["2000", True, 2000.0, [2000], None])
def test_world_count_is_never_coerced(client: TestClient, fast: dict[str, Any],
                                      worlds: Any) -> None:  # fmt: skip
    error = only_error(client.post("/api/run", json={"scenario": fast, "worlds": worlds}), 422)
    assert error["path"] == "worlds"


@pytest.mark.parametrize("seed", ["3", False, 3.0])
def test_seed_is_never_coerced(client: TestClient, fast: dict[str, Any], seed: Any) -> None:
    error = only_error(client.post("/api/run", json={"scenario": fast, "seed": seed}), 422)
    assert error["path"] == "seed"


def test_work_over_the_budget_is_refused_up_front(fast: dict[str, Any]) -> None:
    with TestClient(create_app(ServerLimits(max_work=10_000))) as small:
        error = only_error(small.post("/api/run", json={"scenario": fast, "worlds": 1000}), 422)
        assert error["path"] == "worlds"
        assert "world-actor-steps" in error["message"] and "10,000" in error["message"]
        body = {"scenario": fast, "strategies": ["race", "default"], "worlds": 1000}
        assert "× 2 runs" in only_error(small.post("/api/compare", json=body), 422)["message"]


def test_simulation_past_its_time_limit_is_stopped(fast: dict[str, Any]) -> None:
    fast["time"]["dt"] = 0.05
    with TestClient(create_app(ServerLimits(time_limit=0.5))) as limited:
        start = time.monotonic()
        response = limited.post("/api/run", json={"scenario": fast, "worlds": MAX_WORLDS})
        assert time.monotonic() - start < 20
        assert "time limit" in only_error(response, 503)["message"]


def test_a_megabyte_request_gets_a_small_error(client: TestClient, fast: dict[str, Any]) -> None:
    # 4,500 long keys: under the reader's 10,000-node limit, so every problem is reported
    fast["actors"][0]["levers"] = {f"cuation-{i:05d}-{'x' * 120}": i for i in range(4_500)}
    payload = json.dumps({"scenario": fast, "worlds": WORLDS})
    assert 500_000 < len(payload) < MAX_BODY
    response = client.post("/api/run", content=payload,
                           headers={"content-type": "application/json"})  # fmt: skip
    only_error(response, 422)
    assert len(response.content) < 30_000
    errors = response.json()["errors"]
    assert len(errors) == MAX_PROBLEMS + 1 and "more problems" in errors[-1]["message"]


def test_unexpected_errors_are_json_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import waystation.web.app as web_app

    def broken(name: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(web_app, "load_scenario", broken)
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        response = c.get("/api/scenarios/default")
    error = only_error(response, 500)
    assert "RuntimeError" in error["message"] and "a bug" not in error["message"]


def test_unknown_routes_and_methods_are_json_errors(client: TestClient) -> None:
    assert "Not Found" in only_error(client.get("/api/nope"), 404)["message"]
    only_error(client.get("/api/run"), 405)


def test_yaml_that_fails_inside_the_worker_is_located(client: TestClient) -> None:
    response = client.post("/api/validate-yaml", json={"yaml": "[" * 2000 + "]" * 2000})
    error = only_error(response, 422)
    assert error["message"]


HOSTILE_BODIES = {
    "list": b"[1, 2]",
    "string": b'"x"',
    "null": b"null",
    "empty": b"",
    "deep-json": b"[" * 100_000 + b"]" * 100_000,
    "deep-scenario": b'{"scenario": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}",
    "huge-integer": b'{"scenario": {}, "worlds": 1' + b"0" * 400 + b"}",
    "nan": b'{"scenario": {}, "worlds": NaN}',
    "infinity": b'{"scenario": {}, "grid": [1, Infinity]}',
    "scenario-list": b'{"scenario": [1]}',
    "bad-utf8": b'{"scenario": "\xff\xfe"}',
    "nested-actors": b'{"scenario": {"actors": [[[[[[1]]]]]]}}',
}


@pytest.mark.parametrize("path", ["/api/run", "/api/compare", "/api/competence", "/api/levers",
                                  "/api/yaml", "/api/validate-yaml"])  # fmt: skip
@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_hostile_bodies_get_located_json_errors(client: TestClient, path: str, name: str) -> None:
    response = client.post(path, content=HOSTILE_BODIES[name],
                           headers={"content-type": "application/json"})  # fmt: skip
    assert 400 <= response.status_code < 500, response.text[:300]
    error = only_error(response, response.status_code)
    assert error["message"]


@pytest.mark.parametrize("field", ["dt", "horizon"])
def test_absurd_time_spans_are_refused_not_run(client: TestClient, fast: dict[str, Any],
                                               field: str) -> None:  # fmt: skip
    fast["time"][field] = 1e300
    response = client.post("/api/run", json={"scenario": fast, "worlds": WORLDS})
    assert 400 <= response.status_code < 500, response.text[:300]
    only_error(response, response.status_code)


# --- a shareable instrument: defaults, definitions, strategy levers, presets, baseline -------


def test_default_world_count_is_the_one_default(client: TestClient) -> None:
    from waystation.definitions import DEFAULT_WORLDS
    from waystation.web.payloads import RunRequest

    assert RunRequest(scenario={}).worlds == DEFAULT_WORLDS
    reg = client.get("/api/registry").json()
    assert reg["limits"]["default_worlds"] == DEFAULT_WORLDS
    assert reg["version"] == ws.api.package_version()


def test_definitions_are_the_registry_of_meanings(client: TestClient) -> None:
    from waystation.definitions import DEFINITIONS

    out = client.get("/api/definitions").json()
    assert set(out["definitions"]) == set(DEFINITIONS)
    for key in ("victory", "difference_sign", "interval_95", "caution", "hardness"):
        assert out["definitions"][key]["meaning"] == DEFINITIONS[key].meaning
        assert out["definitions"][key]["text"] == DEFINITIONS[key].text()
    assert "second minus first" in out["definitions"]["difference_sign"]["meaning"]


def test_strategy_levers_name_each_rule_that_sets_a_lever(
    client: TestClient, fast: dict[str, Any]
) -> None:
    body = {"scenario": fast, "strategy": "pause-then-enhanced-labor"}
    out = client.post("/api/strategy-levers", json=body).json()
    pause = out["levers"]["global_pause"]
    assert list(pause) == ["*"]  # a global lever, set once for every actor
    assert pause["*"]["rules"] == [
        {"rule": 2, "when": "not reached.enhanced_human_labor", "value": 1.0}
    ]
    assert pause["*"]["always"] is None  # conditional: the scenario's value applies otherwise
    assert pause["*"]["fallback"] is None
    wbe = out["levers"]["wbe_investment"]["leading-lab"]  # rule 1 always, rule 3 when reached
    assert [r["rule"] for r in wbe["rules"]] == [1, 3]
    assert wbe["fallback"] == 0.3 and wbe["always"] is None
    race = {"scenario": fast, "strategy": "race"}
    caution = client.post("/api/strategy-levers", json=race).json()["levers"]["caution"]
    assert set(caution) == {a["name"] for a in fast["actors"]}
    assert all(entry["always"] == entry["fallback"] == 0.0 for entry in caution.values())
    none = client.post("/api/strategy-levers", json={"scenario": fast, "strategy": "default"})
    assert none.json()["levers"] == {}


def test_strategy_levers_follow_a_rule_for_some_actors(
    client: TestClient, fast: dict[str, Any]
) -> None:
    sc = copy.deepcopy(fast)
    sc["strategy"] = {"name": "mine", "rules": [
        {"set": {"caution": 0.9}, "actors": ["state-project"]},
        {"when": "year >= 2028", "set": {"caution": 0.1}},
    ]}  # fmt: skip
    out = client.post("/api/strategy-levers", json={"scenario": sc}).json()
    caution = out["levers"]["caution"]
    assert out["strategy"] == "mine"
    assert [r["rule"] for r in caution["state-project"]["rules"]] == [1, 2]
    assert [r["rule"] for r in caution["leading-lab"]["rules"]] == [2]
    assert caution["state-project"]["always"] is None


def test_presets_are_percentiles_of_the_scenarios_profile(
    client: TestClient, fast: dict[str, Any]
) -> None:
    sc = copy.deepcopy(fast)
    sc["nature"] = {"hardness": "0.5 to 8", "scheming": 0.3}
    sc["correlations"] = []
    out = client.post("/api/presets", json={"scenario": sc}).json()
    nature = [p.name for p in ws.PARAMS if p.group == "nature"]
    assert out["params"] == nature
    low, mid, high = (out["presets"][k] for k in ("p05", "p50", "p95"))
    assert low["hardness"] == pytest.approx(0.5, rel=1e-3)  # "a to b" is a 90% interval
    assert high["hardness"] == pytest.approx(8.0, rel=1e-3)
    assert mid["hardness"] == pytest.approx(2.0, rel=1e-3)  # lognormal: geometric middle
    assert low["scheming"] == mid["scheming"] == high["scheming"] == 0.3
    for name in nature:
        assert low[name] <= mid[name] <= high[name]
    bad = client.post("/api/presets", json={"scenario": {**sc, "nature": {"hardness": "x"}}})
    assert only_error(bad, 422)["path"] == "nature.hardness"


def test_edited_runs_pair_the_edit_with_its_baseline(
    client: TestClient, fast: dict[str, Any]
) -> None:
    edited = copy.deepcopy(fast)
    edited["actors"][0]["levers"]["ai_safety_share"] = 0.5
    body = {"scenario": edited, "baseline": fast, "strategy": "default",
            "worlds": WORLDS, "seed": 4}  # fmt: skip
    response = client.post("/api/edited", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    alone = {k: body[k] for k in ("scenario", "strategy", "worlds", "seed")}
    assert (
        out["edited"]["probabilities"]
        == client.post("/api/run", json=alone).json()["probabilities"]
    )
    for outcome, diff in out["differences"].items():  # second minus first: edited - baseline
        expected = (out["edited"]["probabilities"][outcome]
                    - out["baseline"]["probabilities"][outcome])  # fmt: skip
        assert diff["estimate"] == pytest.approx(expected, abs=1e-9)
        assert diff["low"] == pytest.approx(diff["estimate"] - present.Z95 * diff["standard_error"])
        written = present.interval(Interval(diff["estimate"], diff["low"], diff["high"]))
        assert diff["shown"] == written  # as the CLI and the report write it
    same = client.post("/api/edited", json={**body, "scenario": fast}).json()
    assert all(d["estimate"] == 0 and d["standard_error"] == 0
               for d in same["differences"].values())  # fmt: skip


def test_edited_locates_problems_in_the_baseline(client: TestClient, fast: dict[str, Any]) -> None:
    bad = copy.deepcopy(fast)
    bad["actors"][0]["levers"]["caution"] = 7
    body = {"scenario": fast, "baseline": bad, "worlds": WORLDS}
    assert only_error(client.post("/api/edited", json=body), 422)["path"] == (
        "baseline.actors[0].levers.caution"
    )
    huge = {"scenario": fast, "baseline": fast, "worlds": MAX_WORLDS}
    app = create_app(ServerLimits(max_work=1_000_000))
    with TestClient(app) as small:
        error = only_error(small.post("/api/edited", json=huge), 422)
    assert error["path"] == "worlds" and "× 2 runs" in error["message"]


def test_lever_plan_fits_the_default_world_count_into_the_work_budget() -> None:
    """At the default 20,000 worlds the default scenario's lever request is within budget."""
    from waystation.levers import LEVERS
    from waystation.web.jobs import lever_plan

    model = ws.compile_scenario("default")
    limit = ServerLimits().max_work
    plan = lever_plan(DEFAULT_WORLDS, len(model.actors), int(model.steps), len(LEVERS), limit)
    assert plan.worlds * len(model.actors) * model.steps <= limit
    assert 2_000 <= plan.forward_worlds <= DEFAULT_WORLDS and plan.curve_worlds >= 200
    assert plan.curve_worlds <= plan.forward_worlds and plan.points >= 4
    small = lever_plan(300, len(model.actors), int(model.steps), len(LEVERS), limit)
    assert small.forward_worlds == 300 and small.curve_worlds == 200  # the smallest curves
