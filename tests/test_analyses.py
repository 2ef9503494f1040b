"""Analyses recover known truths on small synthetic scenarios (common random numbers)."""

from __future__ import annotations

import numpy as np
import pytest

import waystation as ws
import waystation.analyses as an
from helpers import one_lab
from waystation.analyses import (
    compare,
    competence,
    lever_values,
    optimise,
    sensitivity,
    voi,
)
from waystation.io import load_scenario
from waystation.scenario import TimeSpec


def test_public_surface_is_exact() -> None:
    assert sorted(an.__all__) == sorted(
        ["DEFAULT_UTILITY", "OBJECTIVES", "Comparison", "CompetenceProfile", "Cruxes", "Decision",
         "HorizonTable", "Interval", "LeverTable", "LeverValue", "Optimum", "Response",
         "Sensitivity", "ValueOfInformation", "compare", "competence", "cruxes", "horizons",
         "lever_values", "optimise", "response", "sensitivity", "voi"]
    )  # fmt: skip
    for name in an.__all__:
        assert hasattr(an, name)


def test_fixed_inputs_hook_matches_overrides_and_is_identity_on_draws() -> None:
    model = ws.compile_scenario(one_lab(noisy=True))
    n = 300
    base = ws.run_model(model, n, 3)
    assert base.records is not None
    same = ws.run_model(model, n, 3, fixed_inputs={"hardness": base.records["hardness"]})
    assert same.records is not None
    np.testing.assert_array_equal(same.records["p_victory"], base.records["p_victory"])
    fixed = ws.run_model(model, n, 3, fixed_inputs={"hardness": np.full(n, 2.0)})
    over = ws.run_model(model.with_overrides({"hardness": 2.0}), n, 3)
    assert fixed.records is not None and over.records is not None
    np.testing.assert_allclose(fixed.records["p_failure"], over.records["p_failure"], atol=1e-12)
    with pytest.raises(ValueError, match="not an uncertain input"):
        ws.run_model(model, n, 3, fixed_inputs={"g_hardware": np.ones(n)})


def test_sobol_total_index_of_the_only_input_that_matters_is_one() -> None:
    res = sensitivity(one_lab(), base_samples=256, seed=1)
    assert res.ST is not None and res.ST_conf is not None and res.S1 is not None
    assert res.S1_conf is not None
    assert res.ST["hardness"] == pytest.approx(1.0, abs=0.1)
    assert res.S1["hardness"] == pytest.approx(1.0, abs=0.25)
    for idle in ("wbe_cost", "em_growth"):
        assert abs(res.ST[idle]) <= res.ST_conf[idle] + 1e-12
        assert abs(res.S1[idle]) <= res.S1_conf[idle] + 1e-12
    assert set(res.to_dict()) >= {"method", "names", "S1", "S1_conf", "ST", "ST_conf"}


def test_sobol_holds_shocks_common_so_idle_inputs_get_exactly_zero() -> None:
    res = sensitivity(one_lab(noisy=True), base_samples=128, seed=2)
    assert res.ST is not None and res.S1_conf is not None and res.S1 is not None
    assert res.ST["wbe_cost"] == 0.0 and res.ST["em_growth"] == 0.0
    assert abs(res.S1["wbe_cost"]) <= res.S1_conf["wbe_cost"] + 1e-12
    assert res.ST["hardness"] > 0.5


def test_morris_screens_out_idle_inputs() -> None:
    res = sensitivity(one_lab(), method="morris", base_samples=32, seed=0)
    assert res.mu_star is not None and res.mu_star_conf is not None
    assert res.mu_star["wbe_cost"] == 0.0 and res.mu_star["em_growth"] == 0.0
    assert res.mu_star["hardness"] > 3 * res.mu_star_conf["hardness"]


def test_lever_with_no_effect_contains_zero_and_known_effect_is_recovered() -> None:
    # With one actor, spillover shares progress with nobody; without a global
    # pause (nor political will, which could bring one: off), enforcement enforces
    # nothing. With tool_labor_cut = 0 and
    # tool_hazard_cut = 1, tool_ai_only = x scales the hazard by (1 - x), which
    # is exactly hazard_rate -> hazard_rate * (1 - x): an independent truth.
    sc = one_lab(
        noisy=True,
        s_base=0.3,
        tool_labor_cut=0.0,
        tool_hazard_cut=1.0,
        will_per_warning=0.0,
        eval_alarm=0.0,
    )
    table = lever_values(sc, objective="non_failure", worlds=1000, seed=4, method="central",
                         levers=["spillover", "enforcement", "tool_ai_only"],
                         curve_points=0)  # fmt: skip
    rows = {r.name: r for r in table.rows}
    for idle in ("spillover", "enforcement"):
        assert rows[idle].derivative.contains(0.0)
    model = ws.compile_scenario(sc)
    f0 = ws.run_model(model, 1000, 4).records
    f1 = ws.run_model(model.with_overrides({"hazard_rate": 0.3 * 0.95}), 1000, 4).records
    assert f0 is not None and f1 is not None
    truth = float(np.mean(f0["p_failure"] - f1["p_failure"]) / 0.05)
    tool = rows["tool_ai_only"]
    assert truth > 0.005
    assert tool.derivative.estimate == pytest.approx(truth, rel=1e-6)
    assert tool.per_cost.estimate == pytest.approx(truth / 25.0, rel=1e-6)
    assert table.rows[0].name == "tool_ai_only"


def test_evpi_is_zero_when_one_strategy_is_best_in_every_world() -> None:
    sc = one_lab(noisy=True)
    same = voi(sc, ["cautious-lab", "cautious-lab"], worlds=500, seed=0)
    assert same.evpi == an.Interval(0.0, 0.0, 0.0)
    assert all(v == an.Interval(0.0, 0.0, 0.0) for v in same.evppi.values())
    # A dominated strategy: in this one-lab world the cautious lab never beats the pause.
    # Victory is rare here (about 0.2% under the pause, none under the cautious lab), so
    # the run needs enough worlds to see some: at 500, a third of seeds see none (a tie).
    dominated = voi(sc, ["cautious-lab", "pause-then-enhanced-labor"], worlds=4000, seed=0)
    assert dominated.best_strategy == "pause-then-enhanced-labor"
    assert dominated.evpi.low <= 1e-3


def test_evpi_is_positive_when_the_best_strategy_depends_on_hardness() -> None:
    # Expected utility (victory 1, costly non-failure 0.5): racing wins outright
    # on easy problems, while on hard ones it fails and the pause, which ends in
    # costly non-failure or a later victory, is better.
    sc = one_lab(hardness="0.2 to 8")
    res = voi(sc, ["race", "pause-then-enhanced-labor"], worlds=2000,
              objective="utility", parts=("hardness", "wbe_cost", "scheming"))  # fmt: skip
    assert res.evpi.low > 0.005
    assert res.evppi["hardness"].low > 0.005
    assert res.evppi["hardness"].estimate <= res.evpi.high
    assert res.evppi["wbe_cost"].low == 0.0 and res.evppi["wbe_cost"].estimate < 0.005
    assert res.evppi["scheming"] == an.Interval(0.0, 0.0, 0.0)  # constant: already known
    assert set(res.to_dict()) >= {"evpi", "evppi", "best_strategy", "strategies", "objective"}


def test_common_random_numbers_shrink_the_paired_standard_error_2x() -> None:
    # 3x under Model v2; under v3 (mutual-sabotage binds, restraint from evidence)
    # the paired spread is wider relative to the independent one: 2.2x measured.
    sc = load_scenario("default").model_copy(
        update={"time": TimeSpec(start=2026, horizon=2034, dt=0.5)}
    )
    res = compare(sc, ["default", "mutual-sabotage"], worlds=1000, seed=0)
    independent = ws.run(sc, 1000, seed=1, strategy="mutual-sabotage")
    for o in ("victory", "failure"):
        d = res.differences["mutual-sabotage"][o]
        paired_se = (d.high - d.low) / (2 * 1.959963984540054)
        se = np.hypot(res.results["default"].standard_errors[o], independent.standard_errors[o])
        assert se > 2 * paired_se
    assert res.differences["default"]["victory"] == an.Interval(0.0, 0.0, 0.0)
    assert res.to_dict()["strategies"]["default"]["probabilities"].keys() == {
        "victory", "costly_non_failure", "failure"
    }  # fmt: skip


def test_competence_curve_is_monotone_in_hardness_and_frontier_is_bracketed() -> None:
    # An incautious lab with slow safety progress. Victory falls with hardness;
    # non-failure need not (docs/model.md: hard problems show up early, as
    # survivable warning shots that can bring a pause), so only victory is monotone.
    # Restraint from evaluations' evidence (Model v3) is off: with it, this lab's
    # non-failure stays above 0.5 at every hardness and there is no frontier to find.
    grid = [0.2, 0.5, 1.0, 2.0, 4.0, 8.0]
    sc = one_lab(noisy=True, s_base=0.3, eval_alarm=0.0)
    sc.actors[0].levers.caution = 0.0  # type: ignore[union-attr]
    prof = competence(sc, grid=grid, worlds=600, seed=0)
    nf = prof.curves["non_failure"]
    assert (np.diff(prof.curves["victory"]) <= 2e-3).all()
    np.testing.assert_allclose(nf, 1.0 - prof.curves["failure"])
    total = prof.curves["victory"] + prof.curves["costly_non_failure"] + prof.curves["failure"]
    np.testing.assert_allclose(total, 1.0, atol=1e-9)
    assert prof.frontier is not None
    k = int(np.flatnonzero(nf < 0.5)[0])
    assert grid[k - 1] <= prof.frontier.low <= prof.frontier.estimate <= prof.frontier.high
    assert prof.frontier.high <= grid[k]


def test_competence_rejects_a_bad_grid() -> None:
    with pytest.raises(ValueError, match="increasing"):
        competence(one_lab(), grid=[1.0, 0.5])
    with pytest.raises(ValueError, match="bounds"):
        competence(one_lab(), grid=[0.0, 1.0])


def test_optimise_spends_the_budget_on_the_lever_that_helps() -> None:
    # tool_ai_only only cuts the hazard here (monotone gain in non-failure) and
    # costs 25 per unit, so a budget of 10 buys at most 0.4; spillover does nothing.
    sc = one_lab(tool_labor_cut=0.0, tool_hazard_cut=1.0)
    sc = sc.model_copy(update={"time": TimeSpec(start=2026, horizon=2036, dt=1.0)})
    res = optimise(sc, budget=10.0, objective="non_failure", levers=["tool_ai_only", "spillover"],
                   worlds=500, seed=0, max_evaluations=8)  # fmt: skip
    assert res.cost <= 10.0 + 1e-9
    assert res.levers["lab.tool_ai_only"] == pytest.approx(0.4, abs=0.06)
    assert res.gain.low > 0.0
    assert res.baseline["lab.tool_ai_only"] == 0.0
    assert set(res.to_dict()) >= {"levers", "baseline", "value", "baseline_value", "cost", "budget",
                                  "next_step"}  # fmt: skip
    # beyond the optimum, more tool_ai_only still cuts the hazard; spillover does nothing
    assert res.next_step["tool_ai_only"].low > 0.0
    assert res.next_step["spillover"].contains(0.0)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="objective"):
        lever_values(one_lab(), objective="glory")
    with pytest.raises(ValueError, match="power of 2"):
        sensitivity(one_lab(), base_samples=100)
    with pytest.raises(ValueError, match="two strategies"):
        voi(one_lab(), ["race"])
    with pytest.raises(ValueError, match="unknown levers"):
        optimise(one_lab(), levers=["charm"])


def test_results_are_typed_and_tabular() -> None:
    prof = competence(one_lab(), grid=[0.5, 2.0], worlds=100)
    frame = prof.to_frame()
    assert list(frame.index) == [0.5, 2.0]
    with pytest.raises(AttributeError):
        prof.frontier = None  # type: ignore[misc]
