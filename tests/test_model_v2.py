"""Model v2: the properties the revision was made for (docs/model.md, issue "Model v2").

Paired comparisons run the same worlds (common random numbers) and require
differences beyond three standard errors of the per-world differences.
"""

from __future__ import annotations

import numpy as np
import pytest

import waystation as ws
from waystation import dynamics
from waystation.api import compile_scenario, run_model
from waystation.calibration import TARGETS, check
from waystation.dynamics.inputs import levers_of, params_of
from waystation.model import Model, assemble, draw_inputs


def _paired(model: Model, a: dict[str, float], b: dict[str, float], outcome: str, n: int = 3000):
    """Mean and standard error of per-world P(outcome) under ``b`` minus under ``a``."""
    ra = run_model(model.with_overrides(a), n, 11).worlds[f"p_{outcome}"].to_numpy()
    rb = run_model(model.with_overrides(b), n, 11).worlds[f"p_{outcome}"].to_numpy()
    d = rb - ra
    return d.mean(), d.std(ddof=1) / np.sqrt(n)


@pytest.fixture(scope="module")
def race() -> Model:
    return compile_scenario("default", "race")


@pytest.mark.parametrize(
    ("name", "slow", "fast"), [("ideas_harder", 0.15, 0.05), ("lam_c", 0.5, 0.7)]
)
def test_faster_capabilities_loop_raises_failure_under_race(
    race: Model, name: str, slow: float, fast: float
) -> None:
    """The capabilities loop proper: more capability from the same AI labour (restraint
    from evidence off, as for the take-off target: see the next test)."""
    off = {"eval_alarm": 0.0, "will_per_warning": 0.0}
    diff, se = _paired(race, {**off, name: slow}, {**off, name: fast}, "failure")
    assert diff > 3 * se


def test_steeper_ai_labour_takeoff_raises_failure_under_race(race: Model) -> None:
    """k_ai grows AI labour past C_aar for both loops; trust beyond the safety range
    falls faster than that labour grows, so the safety loop cannot keep pace.

    Restraint from evidence is off, as for the take-off calibration target: under
    Model v3 a steeper take-off shows its danger sooner, and the will it raises
    pauses the race (with it on, k_ai 1.0 -> 1.4 lowers failure by 0.017)."""
    off = {"eval_alarm": 0.0, "will_per_warning": 0.0}
    diff, se = _paired(race, {**off, "k_ai": 1.0}, {**off, "k_ai": 1.4}, "failure")
    assert diff > 3 * se


def test_option_control_alone_cannot_win() -> None:
    model = compile_scenario("default")
    over = {"s_base": 0.0, "verify_rate": 0.0}
    over.update({f"{a}.hardening_investment": 0.3 for a in model.actors})
    res = run_model(model.with_overrides(over), 2000, 3)
    assert res.probabilities["victory"] == 0.0


def _ai_safety_value(scheming: float, ease: float) -> float:
    """Net motivation-control growth that AI safety labour adds to a lab, OOM/yr."""
    W = 1
    p = params_of({
        "scheming": np.array([[scheming]]), "eval_ease": np.array([[ease]]),
        "ai_safety_edge": np.array([[1.0]]), "oversight": np.array([[5.0]]),
        "s_base": np.array([[0.7]]), "hardness": np.array([[1.0]]),
        "safety_ref": np.array([[250.0]]), "lam_s": np.array([[0.6]]),
        "safety_harder": np.array([[0.0]]), "beyond_frontier": np.array([[0.0]]),
        "safety_range": np.array([[0.0]]), "max_safety_rate": np.array([[50.0]]),
        "o_base": np.array([[0.0]]), "harden_harder": np.array([[0.0]]),
        "e_base": np.array([[0.0]]), "sabotage_harm": np.array([[2.0]]),
        "outside_share": np.array([[0.05]]), "ai_outside_share": np.array([[0.0]]),
    })  # fmt: skip
    lv = levers_of({k: np.array([[v]]) for k, v in dict(
        ai_safety_share=0.3, eval_investment=0.0, hardening_investment=0.0, spillover=0.0
    ).items()})  # fmt: skip
    human = np.array([[300.0]])
    tr = np.array([[0.9]])  # inside its safety range
    usable, bad = dynamics.ai_safety_labour(np.array([[5e4]]), tr, human, p, lv)
    z = np.zeros((W, 1))
    rates = dynamics.safety_rates(human + usable, bad, z, z, z, z, np.ones((W, 1)), z, p, lv)
    alone = dynamics.safety_rates(human, z, z, z, z, z, np.ones((W, 1)), z, p, lv)
    return float(rates[0][0, 0] - alone[0][0, 0])


def test_scheming_sabotages_uncheckable_ai_safety_work() -> None:
    honest, scheming = _ai_safety_value(0.0, 0.2), _ai_safety_value(0.5, 0.2)
    assert scheming < 0.5 * honest  # more than half the value of AI safety labour is lost
    # checkable work shields it: the loss is much smaller when most work can be checked
    shielded = _ai_safety_value(0.5, 0.8) / _ai_safety_value(0.0, 0.8)
    assert shielded > 0.6 and shielded > 2 * scheming / honest


# The outcome-level test of scheming moved to tests/test_model_v3.py (Model v3: the
# benefit of ai_safety_share 0.03 -> 0.3 with restraint from evidence switched off).


def test_hardening_fades_towards_superintelligence() -> None:
    p = params_of({"C_si": np.array([[6.0]]), "si_gap": np.array([[2.0]])})
    O = np.array([[3.0]])
    cover = [float(dynamics.hardening_cover(O, np.array([[c]]), p)[0, 0]) for c in (3, 4, 5, 6, 7)]
    assert cover == [3.0, 3.0, 1.5, 0.0, 0.0]


def test_progress_does_not_depend_on_unrelated_actors() -> None:
    """Without spillover, a lab's safety growth is the same whoever else exists."""
    model = compile_scenario("default")
    p, lv = assemble(model, draw_inputs(model, 8, 1))
    W = 8
    I_s = np.full((W, 3), 300.0)
    args = (np.zeros((W, 3)), np.zeros((W, 3)), p.safety_range, np.zeros((W, 1)),
            np.zeros((W, 3)), np.ones((W, 1)), np.zeros((W, 1)))  # fmt: skip
    lv = lv._replace(spillover=np.zeros((W, 1)))
    dS3 = dynamics.safety_rates(I_s, *args[:1], *args[1:], p, lv)[0]
    I_s2 = I_s.copy()
    I_s2[:, 2] = 1e5  # a huge safety institute next door
    dS_big = dynamics.safety_rates(I_s2, *args[:1], *args[1:], p, lv)[0]
    np.testing.assert_array_equal(dS3[:, :2], dS_big[:, :2])


def test_safety_range_stays_near_the_frontier() -> None:
    """Bounded loops: no world's safety range runs far beyond its own frontier."""
    res = ws.run("default", worlds=3000, seed=4)
    w = res.worlds
    for a in ("leading-lab", "close-follower", "state-project"):
        excess = w[f"{a}.final_safety_range"] - w[f"{a}.final_capability"]
        # v1: 95th percentile ~440 OOM. Model v3's pauses can hold a frontier for
        # decades while safety research goes on (slowed by beyond_frontier): 12.0 measured
        assert excess.max() < 15.0
        assert excess.median() < 2.0


def test_a_frontier_held_inside_its_range_is_almost_safe() -> None:
    sc = ws.load_scenario("single-lab").model_copy(deep=True)
    sc.time.horizon = 2100.0
    sc.world.s_base = 0.0  # type: ignore[attr-defined]
    sc.world.verify_rate = 0.0  # type: ignore[attr-defined]
    sc.levers.global_pause = 1.0  # type: ignore[attr-defined]
    sc.levers.enforcement = 1.0  # type: ignore[attr-defined]
    sc.actors[0].safety_range = sc.actors[0].frontier + 1.0  # type: ignore[operator]
    res = ws.run(sc, worlds=2000, seed=2)
    assert res.probabilities["failure"] < 0.01


def test_lethality_grows_with_capability_and_unsafe_si_is_worst() -> None:
    p = params_of({k: np.array([[v]]) for k, v in dict(
        hazard_rate=0.5, edge_width=0.4, C_si=6.0, tool_hazard_cut=0.0, warning_share=0.5,
        C_lethal=4.0, lethal_width=0.7).items()})  # fmt: skip
    lv = levers_of({"tool_ai_only": np.array([[0.0]])})
    lethal = [float(dynamics.hazard(np.array([[c]]), np.array([[c - 0.5]]), p, lv)[0][0, 0])
              for c in (1.0, 3.0, 5.0, 7.0)]  # fmt: skip
    assert lethal == sorted(lethal) and lethal[-1] > 5 * lethal[-2]
    inside = float(dynamics.hazard(np.array([[5.0]]), np.array([[6.0]]), p, lv)[0][0, 0])
    assert inside < 1e-3 * lethal[2]


def test_failure_accrues_over_the_whole_path() -> None:
    res = ws.run("default", worlds=4000, seed=6)
    f = dict(zip(res.times, res.cumulative["failure"], strict=True))
    assert f[2040.0] - f[2030.0] > 0.02
    assert f[2100.0] - f[2050.0] > 0.005


def test_sweet_spot_comes_before_victory() -> None:
    res = ws.run("default", worlds=3000, seed=8)
    w = res.worlds
    won = w.victory_year.notna()
    sweet = w["reached.sweet_spot"]
    assert (sweet[won & sweet.notna()] < w.victory_year[won & sweet.notna()]).all()


@pytest.mark.parametrize("strategy", ["race", "tool-ai-moratorium", "mutual-sabotage"])
def test_automated_researcher_needs_no_share_floor(strategy: str) -> None:
    res = ws.run("default", worlds=2000, seed=9, strategy=strategy)
    assert res.waystations["automated_alignment_researcher"].p_reached > 0.05


def test_warning_shots_can_bring_a_global_pause() -> None:
    res = ws.run("default", worlds=3000, seed=10)  # the default strategy never sets global_pause
    assert res.waystations["global_pause"].p_reached > 0.01


def test_backdrop_multiplies_coordination() -> None:
    p = params_of({"will_to_pause": np.array([[1.5]])})
    lv = levers_of({"global_pause": np.array([[0.6]])})
    full = dynamics.coordination(np.array([[0.0]]), np.array([[1.0]]), p, lv)
    half = dynamics.coordination(np.array([[0.0]]), np.array([[0.5]]), p, lv)
    assert float(half[0, 0]) == pytest.approx(0.5 * float(full[0, 0]))
    willing = dynamics.coordination(
        np.array([[0.4]]), np.array([[1.0]]), p, levers_of({"global_pause": 0})
    )
    assert float(willing[0, 0]) == pytest.approx(0.6)


def _deterministic(strategy: str | None, dt: float, scenario: str = "default") -> dict[str, float]:
    """No sampled shocks: runs at different dt differ only by discretisation."""
    sc = ws.load_scenario(scenario).model_copy(deep=True)
    sc.time.dt = dt
    sc.time.horizon = min(2070.0, sc.time.horizon)
    sc.nature.warning_share = 0.0  # type: ignore[attr-defined]
    sc.world.verify_rate = 0.0  # type: ignore[attr-defined]
    sc.world.sigma_eval = 0.0  # type: ignore[attr-defined]
    return ws.run(sc, worlds=1500, seed=5, strategy=strategy).probabilities


@pytest.mark.parametrize("strategy", [None, "race", "pause-then-enhanced-labor", "cautious-lab"])
def test_halving_dt_moves_no_outcome_by_half_a_percent(strategy: str | None) -> None:
    coarse, fine = _deterministic(strategy, 0.125), _deterministic(strategy, 0.0625)
    for outcome in coarse:
        assert abs(coarse[outcome] - fine[outcome]) < 0.005, outcome


def test_the_hard_problem_pause_hand_over_converges_at_its_scenario_step() -> None:
    """hard-problem's own step (0.0625) halved moves this first-order switch < 0.005."""
    dt = ws.load_scenario("hard-problem").time.dt
    strategy = "pause-then-enhanced-labor"
    coarse = _deterministic(strategy, dt, "hard-problem")
    fine = _deterministic(strategy, dt / 2, "hard-problem")
    for outcome in coarse:
        assert abs(coarse[outcome] - fine[outcome]) < 0.005, outcome


def test_every_waystation_has_a_definition() -> None:
    from waystation.state import WAYSTATION_DEFINITIONS, WAYSTATIONS

    assert set(WAYSTATION_DEFINITIONS) == set(WAYSTATIONS)
    assert all(len(d) > 20 for d in WAYSTATION_DEFINITIONS.values())


def test_default_lands_inside_every_calibration_band() -> None:
    rows = check("default", worlds=3000, seed=0)
    assert [r["target"] for r in rows] == [t.name for t in TARGETS]
    outside = [(r["target"], r["value"], r["band"]) for r in rows if not r["inside"]]
    assert not outside
