"""The inputs named in issue 14, kept as regression tests: refused quickly, located, no traceback.

Each hostile document runs under a generous alarm (a guard against hangs, not
a timing test): before the bounded loader, the alias bomb took 16 s and 1.2 GB
and the nesting gave a RecursionError.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import waystation as ws
from fuzz_strategies import time_limit
from waystation import _loader, simulate, tally
from waystation._finite import NonFiniteError, check_finite
from waystation.cli import app
from waystation.io import ScenarioError, load_document, scenario_from_text, validate
from waystation.scenario import Scenario, compile_model
from waystation.strategies import BUILTIN_STRATEGIES

OK = "name: x\nactors: [{name: a}]\n"


def bomb(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs" document: ``width ** levels`` strings from a few hundred bytes."""
    out = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        out.append(f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(out) + "\n" + OK


def refused(text: str, source: str = "hostile.yaml") -> ScenarioError:
    with time_limit(30), pytest.raises(ScenarioError) as info:
        scenario_from_text(text, source)
    assert "Traceback" not in str(info.value)
    return info.value


def one(err: ScenarioError) -> Any:
    assert len(err.problems) == 1, [str(p) for p in err.problems]
    return err.problems[0]


def test_alias_bomb_is_refused_while_reading() -> None:
    for text in (bomb(9, 9), bomb(10, 10)):  # ~330 and ~380 bytes
        problem = one(refused(text))
        assert problem.line is not None and problem.line <= 10
        assert f"more than {_loader.MAX_NODES:,}" in problem.message


def test_too_many_aliases() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (_loader.MAX_ALIASES + 1)) + "]\n" + OK
    problem = one(refused(text))
    assert problem.path == f"b[{_loader.MAX_ALIASES}]" and problem.line == 2
    assert f"more than {_loader.MAX_ALIASES}" in problem.message


def test_recursive_alias() -> None:
    problem = one(refused("a: &a [1, *a]\n" + OK))
    assert "refers to its own anchor" in problem.message and problem.line == 1


def test_deep_nesting() -> None:
    problem = one(refused("name: n\nactors: " + "[" * 500 + "]" * 500 + "\n"))
    assert problem.line == 2
    assert problem.path.startswith("actors[0][0]")
    assert f"nested deeper than {_loader.MAX_DEPTH} levels" in problem.message


def test_nesting_just_inside_the_limit_is_read() -> None:
    depth = _loader.MAX_DEPTH - 1  # the top-level mapping is one level, the innermost value one
    data, _ = load_document("a: " + "[" * (depth - 1) + "1" + "]" * (depth - 1), "deep.yaml")
    assert isinstance(data["a"], list)


def test_many_keys() -> None:
    text = OK + "".join(f"k{i}: {i}\n" for i in range(50_000))
    problem = one(refused(text))
    assert f"more than {_loader.MAX_NODES:,}" in problem.message
    assert problem.line is not None and problem.line < _loader.MAX_NODES


def test_duplicate_key() -> None:
    problem = one(refused("name: x\nactors: [{name: a}]\nworld: {k_ai: 1, k_ai: 2}\n"))
    assert (problem.line, problem.path) == (3, "world.k_ai")
    assert "duplicate key 'k_ai' (first given on line 3)" in problem.message
    problem = one(refused("name: x\nname: y\nactors: [{name: a}]\n"))
    assert (problem.line, problem.path) == (2, "name")


@pytest.mark.parametrize(
    ("number", "fragment"),
    [("1" + "0" * 400, "outside the range of a 64-bit float"),
     ("1" * 5000, "outside the range of a 64-bit float"),  # past Python's int-string limit
     ("1.0e+400", "outside the range of a 64-bit float"),
     (".inf", "expected a finite number")],
)  # fmt: skip
def test_number_out_of_range(number: str, fragment: str) -> None:
    problem = one(refused(f"name: x\nactors: [{{name: a}}]\ntime:\n  dt: {number}\n"))
    assert (problem.line, problem.path) == (4, "time.dt")
    assert fragment in problem.message


def test_bad_date_is_located() -> None:
    problem = one(refused("name: x\nactors: [{name: a}]\ndescription: 2001-13-45\n"))
    assert problem.line == 3 and "not a valid date" in problem.message


def test_json_documents_share_the_limits() -> None:
    cases = {
        '{"a": ' + "[" * 100 + "]" * 100 + "}": "nested deeper",
        '{"a": 1, "a": 2}': "duplicate key 'a'",
        '{"a": NaN}': "NaN is not a number JSON allows",
        '{"a": 1' + "0" * 400 + "}": "outside the range",
        '{"a": 1e999}': "outside the range",
        '{"a": [' + ",".join(["1"] * 20_000) + "]}": "more than",
        '{"a": ': "not valid JSON",
    }
    for text, fragment in cases.items():
        with pytest.raises(ScenarioError) as info:
            load_document(text, "body.json", "json")
        assert fragment in str(info.value), str(info.value)[:300]
    assert load_document('{"a": [1, 2.5]}', "body.json", "json") == ({"a": [1, 2.5]}, {})


def test_decoded_data_is_held_to_the_limits() -> None:
    deep: Any = 1
    for _ in range(100):
        deep = [deep]
    huge = {"name": "x", "actors": [{"name": "a"}], "time": {"dt": 10**400}}
    for data, fragment in ((
        {"name": "x", "actors": deep}, "nested deeper"), (huge, "64-bit float")
    ):  # fmt: skip
        with pytest.raises(ScenarioError) as info:
            validate(Scenario, data, "request", {})
        assert fragment in str(info.value)


def test_deeply_nested_condition_is_located() -> None:
    text = OK + "strategy:\n  name: s\n  rules:\n    - when: " + "(" * 200 + "year > 2030"
    problem = one(refused(text + ")" * 200 + "\n      set: {caution: 1}\n"))
    assert problem.path == "strategy.rules[0].when" and problem.line == 6
    assert "nested too deeply (limit 64)" in problem.message


CORRELATIONS = [
    ("[{between: [hardness, scheming], rank: 5}]", "correlations[0].rank", "outside [-0.99"),
    ("[{between: [hardness, scheming], rank: 1}]", "correlations[0].rank", "outside [-0.99"),
    ("[{between: [hardness, hardness], rank: 0.5}]", "correlations[0]", "with itself"),
    ("[{between: [hardness, scheming], rank: 0.5}, {between: [scheming, hardness], rank: 0.2}]",
     "correlations[1]", "again (first in correlations[0])"),
    ("[{between: [hardness, scheming], rank: 0.9}, {between: [scheming, eval_ease], rank: 0.9},"
     " {between: [hardness, eval_ease], rank: -0.9}]", "correlations[2]", "not positive definite"),
]  # fmt: skip


@pytest.mark.parametrize(("given", "path", "fragment"), CORRELATIONS)
def test_bad_correlations_fail_validation(given: str, path: str, fragment: str) -> None:
    text = OK + "nature: {eval_ease: 'beta(2, 3)'}\ncorrelations: " + given + "\n"
    problem = one(refused(text))
    assert (problem.line, problem.path) == (4, path)
    assert fragment in problem.message
    if "definite" in fragment:  # names every pair involved
        for i in range(3):
            assert f"correlations[{i}]" in problem.message


def test_shares_of_safety_labour_must_not_exceed_one() -> None:
    problem = one(refused("name: x\nactors:\n  - name: a\n    levers: {eval_investment: 0.999}\n"))
    assert (problem.line, problem.path) == (4, "actors[0].levers")
    assert "eval_investment 0.999 + hardening_investment 0.05 = 1.049 exceeds 1" in problem.message
    uncertain = "levers: {eval_investment: 0.2 to 0.6, hardening_investment: 0.3}\n"
    assert "exceeds 1" in one(refused(OK + uncertain)).message  # its top draw counts
    scenario_from_text(OK + "levers: {eval_investment: 0.6, hardening_investment: 0.4}\n")


def test_strategy_rules_count_towards_shares() -> None:
    rules = (
        "strategy:\n  name: s\n  rules:\n"
        "    - {when: year > 2030, set: {eval_investment: 0.5}}\n"
        "    - {when: year > 2035, set: {hardening_investment: 0.6}}\n"
    )
    problem = one(refused(OK + rules))
    assert (problem.line, problem.path) == (7, "strategy.rules[1]")
    assert "set by strategy rule 0" in problem.message
    always = rules.replace("{when: year > 2035, set:", "{set:").replace("0.6", "0.4")
    scenario_from_text(OK + always)  # 0.5 + 0.4: fine
    override = rules.replace("year > 2035", "year > 2031") + (
        "    - {set: {eval_investment: 0.1, hardening_investment: 0.1}}\n"
    )  # a later unconditional rule overrides both: never more than 0.6 + 0.1
    scenario_from_text(OK + override)


def test_shipped_scenarios_pass_under_every_builtin_strategy() -> None:
    for name in ws.shipped_scenarios():
        scenario = ws.load_scenario(name)
        for strategy in BUILTIN_STRATEGIES:
            compile_model(scenario, strategy)


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [({"worlds": "2000"}, TypeError, "worlds: expected a whole number, got '2000'"),
     ({"worlds": True}, TypeError, "got True (bool)"),
     ({"worlds": 100.0}, TypeError, "(float)"),
     ({"seed": "1"}, TypeError, "seed: expected a whole number"),
     ({"seed": -1}, ValueError, "seed: expected at least 0"),
     ({"workers": False}, TypeError, "workers"),
     ({"worlds": 10**8, "keep_worlds": True}, ValueError, "GiB, more than the 8 GiB limit"),
     ({"worlds": 2**31}, ValueError, "fixed-point sums cannot overflow"),
     ({"worlds": 10**7, "block_size": 10**7}, ValueError, "block_size: a block of 10,000,384")],
)  # fmt: skip
def test_api_refuses_coercion_and_impractical_runs(
    kwargs: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error) as info:
        ws.run("single-lab", **kwargs)
    assert fragment in str(info.value)


def test_cli_refuses_keep_worlds_at_1e8_with_the_estimate() -> None:
    args = ["run", "single-lab", "-n", "100000000", "--keep-worlds"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "GiB" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("name", ["bomb", "nest", "dt", "dup"])
def test_cli_validate_exits_two_with_a_located_message(tmp_path: Path, name: str) -> None:
    texts = {
        "bomb": bomb(),
        "nest": "name: n\nactors: " + "[" * 500 + "]" * 500 + "\n",
        "dt": OK + "time: {dt: 1" + "0" * 400 + "}\n",
        "dup": OK + "name: y\n",
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(texts[name])
    with time_limit(60):
        result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{name}.yaml:" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def _final_state(n: int, bad_row: int, field: str, value: float) -> SimpleNamespace:
    ones = np.ones((n, 1))
    state = SimpleNamespace(
        p_victory=ones * 0.5, survival=ones * 0.5, sweet_years=ones + 0, reach_survival=ones * 0.5,
        C=ones + 0, S=ones + 0, O=ones + 0, victory_year=np.full((n, 1), np.nan),
        reached=np.full((n, 2), np.nan),
    )  # fmt: skip
    getattr(state, field)[bad_row] = value
    return state


@pytest.mark.parametrize(
    ("field", "value"),
    [("p_victory", np.nan), ("survival", np.inf), ("C", -np.inf), ("p_victory", 1.5),
     ("sweet_years", 1e12), ("victory_year", np.inf)],
)  # fmt: skip
def test_check_finite_names_world_variable_and_inputs(field: str, value: float) -> None:
    model = compile_model(ws.load_scenario("single-lab"))
    inputs = {k: np.arange(8.0) for k in model.uncertain()}
    with pytest.raises(NonFiniteError) as info:
        check_finite(_final_state(8, 5, field, value), inputs, model, 8, first=2048)
    err = info.value
    assert (err.world, err.variable) == (2053, field)
    assert f"world 2053: {field} is [" in str(err)
    assert all(f"{k}=5" in str(err) for k in model.uncertain())
    check_finite(_final_state(8, 5, field, value), inputs, model, 5, first=0)  # not a valid row


def test_large_finite_states_are_not_refused() -> None:
    model = compile_model(ws.load_scenario("single-lab"))
    check_finite(_final_state(8, 5, "O", 1e14), {}, model, 8, first=0)  # recorded, not summed


def test_a_nan_world_fails_the_run_instead_of_wrapping(monkeypatch: pytest.MonkeyPatch) -> None:
    real = simulate._run_steps
    calls: list[int] = []

    def poisoned(*args: Any, **kwargs: Any) -> Any:
        s = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 2:  # the second block: its row 7 is world 1031
            s.p_victory[7, 0] = np.nan
        return s

    monkeypatch.setattr(simulate, "_run_steps", poisoned)
    model = compile_model(ws.load_scenario("single-lab"))
    with pytest.raises(NonFiniteError) as info:
        ws.run_model(model, 2048, 0, block_size=1024, keep_worlds=False)
    assert info.value.world == 1031 and info.value.variable == "p_victory"


def test_fixed_point_tallies_never_wrap() -> None:
    assert tally.fixed(np.array([0.0, 0.5, 1.0])).tolist() == [0, 2**31, 2**32]
    for bad in (np.nan, np.inf, -np.inf, 2.0**31):
        with pytest.raises(NonFiniteError, match="reached an exact tally"):
            tally.fixed(np.array([0.5, bad]))


def test_strategy_file_pushing_shares_past_one_fails_validate(tmp_path: Path) -> None:
    path = tmp_path / "greedy.yaml"
    path.write_text(
        "name: greedy\nrules:\n  - {when: year > 2030, set: {eval_investment: 0.7}}\n"
        "  - {set: {hardening_investment: 0.5}}\n"
    )
    result = CliRunner().invoke(app, ["validate", "single-lab", "--strategy", str(path)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "greedy.yaml: strategy:" in text and "= 1.2 exceeds 1" in text
