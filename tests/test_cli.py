"""The command line end to end: flags and JSON keys are a public interface."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import waystation as ws
from waystation.cli import app

runner = CliRunner()


def test_run_json_keys_and_values() -> None:
    result = runner.invoke(app, ["run", "default", "--worlds", "3000", "--seed", "4", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in (
        "probabilities",
        "standard_errors",
        "worlds",
        "seed",
        "scenario",
        "version",
        "strategy",
        "waystations",
        "median_victory_year",
        "backend",
    ):
        assert key in data
    assert data["backend"] in ("fused-simd8", "fused-simd", "fused-exact", "numpy")  # no gcc: numpy
    outcomes = {"victory", "costly_non_failure", "failure"}
    assert set(data["probabilities"]) == outcomes
    assert set(data["standard_errors"]) == outcomes
    assert data["worlds"] == 3000 and data["seed"] == 4 and data["scenario"] == "default"
    assert abs(sum(data["probabilities"].values()) - 1) < 1e-9
    api = ws.run("default", worlds=3000, seed=4)
    assert data["probabilities"] == api.probabilities and data["backend"] == api.backend
    numpy = runner.invoke(app, ["run", "--worlds", "3000", "--seed", "4", "--json",
                                "--backend", "numpy"])  # fmt: skip
    assert json.loads(numpy.stdout)["backend"] == "numpy"
    for name, w in data["waystations"].items():
        assert set(w) >= {
            "p_reached",
            "median_year",
            "p_victory_given_reached",
            "p_victory_given_not_reached",
        }, name


def test_run_table_is_readable() -> None:
    result = runner.invoke(app, ["run", "--worlds", "2000", "--block-size", "4096"])
    assert result.exit_code == 0, result.output
    for text in (
        "victory",
        "costly non failure",
        "failure",
        "median year of victory",
        "leading-lab",
        "Waystations",
    ):
        assert text in result.output


def test_run_with_strategy_and_workers() -> None:
    args = ["run", "--worlds", "2000", "--strategy", "race", "--workers", "2", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["strategy"] == "race"
    assert data["probabilities"] == ws.run(worlds=2000, strategy="race").probabilities


def test_run_from_path(tmp_path: Path) -> None:
    text = "name: tiny\nactors:\n  - name: lab\n"
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["run", str(path), "--worlds", "500", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["scenario"] == "tiny"


def test_bad_flags_exit_two() -> None:
    assert runner.invoke(app, ["run", "--worlds", "0"]).exit_code == 2
    result = runner.invoke(app, ["run", "--strategy", "rase", "--worlds", "10"])
    assert result.exit_code == 2
    assert "did you mean 'race'" in result.output


def test_listings() -> None:
    result = runner.invoke(app, ["scenarios", "--json"])
    assert "default" in json.loads(result.stdout)
    result = runner.invoke(app, ["strategies", "--json"])
    data = json.loads(result.stdout)
    assert set(data) == set(ws.BUILTIN_STRATEGIES)
    assert all(isinstance(v, str) and v for v in data.values())
    result = runner.invoke(app, ["params", "--json"])
    rows = json.loads(result.stdout)
    assert {r["name"] for r in rows} >= {"hardness", "caution", "g_compute"}
    assert all(r["source"] for r in rows)


def test_missing_extra_gets_a_clear_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['matplotlib'] = None; "
        "sys.argv = ['waystation', 'plot', 'diagram', 'default', '-o', 'x.png', '-n', '10']; "
        "from waystation.cli import main; main()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2
    text = " ".join(out.stderr.split())
    assert "needs matplotlib, from the [plot] extra" in text
    assert "Traceback" not in out.stderr


def test_calibration_table_reads_years_as_years() -> None:
    result = runner.invoke(app, ["calibration", "default", "-n", "300"])
    assert result.exit_code == 0, result.output
    assert "e+03" not in result.output  # a median year once printed as 2.03e+03
    rows = [line for line in result.output.splitlines() if "median year" in line]
    assert rows and all("20" in line.split("│")[3] for line in rows), rows
