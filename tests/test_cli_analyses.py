"""End-to-end runs of the analysis commands: tables, --json keys and exit code 2 on errors."""

from __future__ import annotations

import pytest

from helpers import invoke, run_json


def test_compare_json_and_table(one_lab_file: str) -> None:
    data = run_json("compare", one_lab_file, "-s", "race", "-s", "cautious-lab", "-n", "300")
    assert set(data) >= {"strategies", "differences", "worlds", "seed", "scenario"}
    assert list(data["strategies"]) == ["race", "cautious-lab"]  # type: ignore[call-overload]
    diffs = data["differences"]
    assert diffs["race"]["victory"] == {"estimate": 0.0, "low": 0.0, "high": 0.0}  # type: ignore[index]
    assert set(diffs["cautious-lab"]["failure"]) == {"estimate", "low", "high"}  # type: ignore[index]
    code, out, _ = invoke("compare", one_lab_file, "-s", "race", "-s", "cautious-lab", "-n", "300")
    assert code == 0 and "race" in out and "victory" in out


@pytest.mark.parametrize("engine", ["threads", "dask"])
def test_analyses_run_on_every_engine(one_lab_file: str, engine: str) -> None:
    """--engine and --workers reach the analysis: the same numbers as in this process."""
    if engine == "dask":
        pytest.importorskip("dask.distributed")
    args = ("compare", one_lab_file, "-s", "race", "-s", "cautious-lab", "-n", "2500")
    local = run_json(*args)
    other = run_json(*args, "--engine", engine, "--workers", "2")
    assert other == local


def test_competence_json(one_lab_file: str) -> None:
    data = run_json("competence", one_lab_file, "--grid", "0.3,1,3,10", "-n", "200")
    assert data["grid"] == [0.3, 1.0, 3.0, 10.0]
    assert set(data["curves"]) == {"victory", "costly_non_failure", "failure", "non_failure"}  # type: ignore[arg-type]
    assert "frontier" in data and "standard_errors" in data


def test_levers_json(one_lab_file: str) -> None:
    data = run_json("levers", one_lab_file, "--lever", "caution", "--lever", "spillover",
                    "-n", "200", "--objective", "non_failure")  # fmt: skip
    assert data["objective"] == "non_failure"
    rows = data["levers"]
    assert isinstance(rows, list) and {r["name"] for r in rows} == {"caution", "spillover"}
    assert set(rows[0]) == {"name", "scope", "cost", "derivative", "per_cost"}


def test_sensitivity_json(one_lab_file: str) -> None:
    data = run_json("sensitivity", one_lab_file, "--base-samples", "32", "--input", "hardness",
                    "--input", "wbe_cost")  # fmt: skip
    assert data["method"] == "sobol" and data["names"] == ["hardness", "wbe_cost"]
    assert set(data) >= {"S1", "S1_conf", "ST", "ST_conf"}
    morris = run_json("sensitivity", one_lab_file, "--method", "morris", "--base-samples", "8")
    assert set(morris) >= {"mu_star", "mu_star_conf", "sigma"}


def test_voi_json(one_lab_file: str) -> None:
    data = run_json("voi", one_lab_file, "-s", "race", "-s", "cautious-lab", "--part", "hardness",
                    "-n", "300", "--bins", "5")  # fmt: skip
    assert set(data["evppi"]) == {"hardness"}  # type: ignore[arg-type]
    assert set(data["evpi"]) == {"estimate", "low", "high"}  # type: ignore[arg-type]
    assert data["best_strategy"] in ("race", "cautious-lab")


def test_optimise_json_and_table(one_lab_file: str) -> None:
    args = ("optimise", one_lab_file, "--budget", "5", "--lever", "caution", "-n", "200",
            "--max-evaluations", "3")  # fmt: skip
    data = run_json(*args)
    assert set(data) >= {"levers", "baseline", "value", "baseline_value", "cost", "budget"}
    assert data["budget"] == 5.0 and data["cost"] <= 5.0  # type: ignore[operator]
    code, out, _ = invoke(*args)
    assert code == 0 and "lab.caution" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("compare", "default", "-s", "nosuch"), "nosuch"),
        (("levers", "default", "--objective", "glory"), "objective"),
        (("competence", "default", "--grid", "1,x"), "--grid"),
        (("competence", "default", "--grid", "3,1"), "increasing"),
        (("voi", "default", "-s", "race"), "two strategies"),
        (("sensitivity", "default", "--base-samples", "100"), "power of 2"),
        (("optimise", "default", "--lever", "charm"), "unknown levers"),
        (("compare", "default", "-s", "race", "--engine", "spark"), "--engine must be one of"),
        (("levers", "default", "--address", "tcp://x:1"), "--address needs --engine dask"),
        (
            ("run", "default", "-n", "10", "--engine", "threads", "--address", "tcp://x:1"),
            "--address needs --engine dask",
        ),
    ],
)
def test_errors_exit_2_with_a_message(args: tuple[str, ...], message: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2
    assert message in err and "Traceback" not in err + out
