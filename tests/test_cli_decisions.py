"""``cruxes``, ``response``, ``compare --horizons``: stable --json keys, figures, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import invoke, run_json


def test_compare_json_has_acceptability_expected_loss_and_horizons(one_lab_file: str) -> None:
    data = run_json("compare", one_lab_file, "-s", "race", "-s", "cautious-lab", "-n", "300",
                    "--horizons", "2030,2034")  # fmt: skip
    dec = data["decision"]
    assert set(dec) == {"objective", "best", "evpi", "means", "acceptability", "expected_loss"}
    shares = [dec["acceptability"][s]["estimate"] for s in ("race", "cautious-lab")]
    assert sum(shares) == pytest.approx(1.0)
    assert dec["evpi"] == dec["expected_loss"][dec["best"]]
    hz = data["horizons"]
    assert hz["years"] == [2030.0, 2034.0] and set(hz["by_year"]) == {"2030", "2034"}
    year = hz["by_year"]["2034"]
    assert set(year) == {"probabilities", "best", "decision"}
    # by the scenario's own horizon the outcomes are the main table's, world for world
    main = data["strategies"]["race"]["probabilities"]["victory"]
    assert year["probabilities"]["race"]["victory"]["estimate"] == pytest.approx(main)
    assert isinstance(hz["changes"], list)
    assert "acceptability" in data["definitions"] and "expected_loss" in data["definitions"]
    plain = run_json("compare", one_lab_file, "-s", "race", "-n", "300")
    assert plain["decision"] is None and plain["horizons"] is None


def test_cruxes_json_and_table(one_lab_file: str, tmp_path: Path) -> None:
    data = run_json("cruxes", one_lab_file, "-s", "race", "-s", "cautious-lab", "-n", "400")
    assert set(data) >= {"scenario", "seed", "worlds", "objective", "strategies", "tables"}
    (table,) = data["tables"]
    assert set(table) == {"a", "b", "horizon", "difference", "p_a_better", "cruxes"}
    names = [c["input"] for c in table["cruxes"]]
    assert {"hardness", "wbe_cost"} <= set(names)  # uncertain inputs of one-lab
    crux = table["cruxes"][0]
    assert set(crux) == {"input", "explained", "switch_points", "believe", "curve"}
    assert set(crux["believe"]) == {"race", "cautious-lab"}
    assert set(crux["curve"]) == {"x", "rank", "difference", "low", "high"}
    assert "switch_point" in data["definitions"]
    figure = tmp_path / "cruxes.png"
    code, out, _ = invoke("cruxes", one_lab_file, "-s", "race", "-s", "cautious-lab", "-n", "400",
                          "--plot", str(figure))  # fmt: skip
    assert (code == 0 and "would have to believe" in out) or "whatever" in out
    assert figure.stat().st_size > 10_000
    # with --json and --plot, stdout is still one JSON document
    both = tmp_path / "both.svg"
    code, out, _ = invoke("cruxes", one_lab_file, "-s", "race", "-s", "cautious-lab", "-n", "400",
                          "--json", "--plot", str(both))  # fmt: skip
    assert code == 0 and json.loads(out)["tables"] and both.exists()


def test_response_of_a_lever_and_of_an_input(one_lab_file: str, tmp_path: Path) -> None:
    lever = run_json("response", one_lab_file, "caution", "-s", "race", "-s", "cautious-lab",
                     "-n", "300", "--points", "4")  # fmt: skip
    assert set(lever) >= {"axes", "curves", "best", "margin", "method", "strategies"}
    assert lever["axes"][0]["kind"] == "lever" and len(lever["axes"][0]["values"]) == 4
    assert "re-simulated" in lever["method"]
    assert set(lever["curves"]["race"]) == {"mean", "low", "high", "shape"}
    uncertain = run_json("response", one_lab_file, "hardness", "-n", "300")
    assert uncertain["axes"][0]["kind"] == "input" and "metamodel" in uncertain["method"]
    figure = tmp_path / "map.png"
    code, _, err = invoke("response", one_lab_file, "caution", "--against", "hardness", "-s",
                          "race", "-s", "cautious-lab", "-n", "300", "--points", "3",
                          "--plot", str(figure))  # fmt: skip
    assert code == 0, err
    assert figure.stat().st_size > 10_000


def test_bad_requests_are_one_line_errors(one_lab_file: str) -> None:
    code, _, err = invoke("cruxes", one_lab_file, "-s", "race", "-n", "400")
    assert code == 2 and "two strategies" in err
    code, _, err = invoke("response", one_lab_file, "glory", "-n", "300")
    assert code == 2 and "neither a lever" in err
    code, _, err = invoke("compare", one_lab_file, "-s", "race", "--horizons", "20x0")
    assert code == 2 and "--horizons" in err
    code, _, err = invoke("compare", one_lab_file, "-s", "race", "--horizons", "2000")
    assert code == 2 and "after the start" in err


def test_stopping_at_a_year_reads_the_same_worlds_as_the_full_run(one_lab_file: str) -> None:
    """P(failure by 2030) of the run stopped at 2030 is the full run's cumulative (to rounding)."""
    import numpy as np

    from waystation.analyses import compare
    from waystation.analyses.decision import horizons

    full = compare(one_lab_file, ["race"], 400, 3).results["race"]
    table = horizons(one_lab_file, ["race"], [2030, 2034], 400, 3)
    k = int(np.argmin(np.abs(full.times - 2030)))
    stopped = table.probabilities[2030.0]["race"]["failure"].estimate
    assert stopped == pytest.approx(full.cumulative["failure"][k], abs=1e-9)
    whole = table.probabilities[2034.0]["race"]["victory"].estimate
    assert whole == pytest.approx(full.probabilities["victory"], abs=1e-9)
