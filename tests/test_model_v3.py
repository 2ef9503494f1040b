"""Model v3: the properties the revision was made for (docs/model.md section 17, issue 21).

Paired comparisons run the same worlds (common random numbers) and require
differences beyond three standard errors of the per-world differences. The
world counts give each test about four standard errors of room at the effect
sizes measured when the model was revised (docs/model.md section 13).
"""

from __future__ import annotations

import numpy as np
import pytest

from waystation import dynamics
from waystation.api import compile_scenario, run_model
from waystation.levers import LEVER_REGISTRY
from waystation.model import Model
from waystation.params import REGISTRY


@pytest.fixture(scope="module")
def default() -> Model:
    return compile_scenario("default")


def _failure(model: Model, over: dict[str, float], n: int, seed: int = 11) -> np.ndarray:
    m = model.with_overrides(over) if over else model
    return run_model(m, n, seed).worlds["p_failure"].to_numpy()


def _diff(model: Model, a: dict[str, float], b: dict[str, float], n: int) -> tuple[float, float]:
    """Mean and standard error of per-world P(failure) under ``b`` minus under ``a``."""
    d = _failure(model, b, n) - _failure(model, a, n)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(n))


def _actors(model: Model, name: str, value: float | None = None, add: float = 0.0):
    """``<actor>.name`` for every actor: ``value``, or the actor's default plus ``add``."""
    return {
        f"{a}.{name}": (model.inputs[f"{a}.{name}"].mean() + add) if value is None else value
        for a in model.actors
    }


# -- 1. evidence of risk, not only disaster, moves restraint ------------------------------


def test_near_perfect_risk_evaluation_lowers_failure(default: Model) -> None:
    """Evaluation quality high from the start (e_base x33) and little error: the
    flashlight shows danger before harm, and will and restraint follow."""
    diff, se = _diff(default, {}, {"e_base": 10.0, "sigma_eval": 0.05}, 1500)
    assert diff < -3 * se


def test_evaluation_evidence_is_a_brake_of_its_own(default: Model) -> None:
    diff, se = _diff(default, {}, {"eval_alarm": 0.0}, 800)
    assert diff > 3 * se and diff > 0.05


def test_tool_ai_without_labour_cut_lowers_failure(default: Model) -> None:
    """Hazard removed at equal labour no longer removes the only brake."""
    over = {**_actors(default, "tool_ai_only", 0.9), "tool_labor_cut": 0.0}
    diff, se = _diff(default, {}, over, 4000)
    assert diff < -3 * se


def test_free_hardening_lowers_failure(default: Model) -> None:
    """Tripling the productivity of world hardening at no cost to anything helps."""
    diff, se = _diff(default, {}, {"o_base": 3 * default.inputs["o_base"].mean()}, 3000)
    assert diff < -3 * se


def test_more_eval_investment_helps_on_the_forward_margin(default: Model) -> None:
    """eval_investment +1 budget unit from its default (every actor +1/15)."""
    diff, se = _diff(default, {}, _actors(default, "eval_investment", add=1 / 15), 4000)
    assert diff < -3 * se


def test_political_will_saturates_and_decays() -> None:
    p = dynamics.Params(**{k: np.float64(np.nan) for k in dynamics.Params._fields})._replace(
        will_decay=np.float64(0.5), warning_response=np.float64(1.0),
        will_per_warning=np.float64(1.0),
    )  # fmt: skip
    z = np.zeros((1, 1))
    will = dynamics.political_will(z, z, np.full((1, 1), 50.0), p, 0.125)
    assert 0.999 < will[0, 0] <= 1.0  # diminishing response: never past full will
    later = dynamics.political_will(will, z, z, p, 2.0)
    assert later[0, 0] == pytest.approx(will[0, 0] * np.exp(-1.0))
    # two incidents in one step equal one incident in each of two instants
    one = dynamics.political_will(z, z, np.ones((1, 1)), p, 0.0)
    two = dynamics.political_will(one, z, np.ones((1, 1)), p, 0.0)
    assert two[0, 0] == pytest.approx(
        dynamics.political_will(z, z, np.full((1, 1), 2.0), p, 0.0)[0, 0]
    )


# -- 2. the response to warning shots is an uncertain nature input ------------------------


def test_warning_response_is_drawn_per_world(default: Model) -> None:
    assert REGISTRY["warning_response"].group == "nature"
    assert "warning_response" in default.uncertain()
    r = run_model(default, 400, 3).worlds["warning_response"]
    assert r.std() > 0.1 and r.min() >= 0.0 and r.max() <= 1.0


def test_warning_shot_will_still_matters(default: Model) -> None:
    diff, se = _diff(default, {}, {"will_per_warning": 0.0}, 1500)
    assert diff > 3 * se


# -- 3. smooth, finite returns on every share ---------------------------------------------


@pytest.mark.parametrize(
    "name", ["eval_investment", "hardening_investment", "caution", "spillover", "enforcement"]
)
def test_first_step_from_zero_is_at_most_three_times_the_step_at_default(
    default: Model, name: str
) -> None:
    """One budget unit from zero against the same step from the default, paired."""
    lever = LEVER_REGISTRY[name]
    n = 1500
    if lever.scope == "actor":
        step = 1.0 / (lever.cost * len(default.actors))
        zero, first = _actors(default, name, 0.0), _actors(default, name, step)
        at, up = {}, _actors(default, name, add=step)
    else:
        step = 1.0 / lever.cost
        zero, first, at = {name: 0.0}, {name: step}, {}
        up = {name: default.inputs[name].mean() + step}
    f0, f1 = _failure(default, zero, n), _failure(default, first, n)
    d0, d1 = _failure(default, at, n), _failure(default, up, n)
    first_gain, default_gain = f0 - f1, d0 - d1
    excess = first_gain - 3.0 * default_gain
    assert excess.mean() < 3.0 * excess.std(ddof=1) / np.sqrt(n)


def test_first_ai_safety_share_step_is_at_most_three_times_the_step_at_default(
    default: Model,
) -> None:
    n = 1500
    step = 1.0 / (LEVER_REGISTRY["ai_safety_share"].cost * len(default.actors))
    f0 = _failure(default, _actors(default, "ai_safety_share", 0.0), n)
    f1 = _failure(default, _actors(default, "ai_safety_share", step), n)
    d0 = _failure(default, {}, n)
    d1 = _failure(default, _actors(default, "ai_safety_share", add=step), n)
    excess = (f0 - f1) - 3.0 * (d0 - d1)
    assert excess.mean() < 3.0 * excess.std(ddof=1) / np.sqrt(n)


def test_share_returns_are_finite_and_concave_at_zero() -> None:
    lam, outside = np.float64(0.6), np.float64(0.05)
    total = np.full((1, 1), 400.0)

    def r(share: float) -> float:
        v = dynamics.share_returns(
            np.ones((1, 1)), share * total, total, np.float64(25.0), lam, outside, 0.1, 0.0, 0.0
        )
        return float(v[0, 0])

    h = 1e-6
    slope0, slope_ref = (r(h) - r(0.0)) / h, (r(0.1 + h) - r(0.1)) / h
    assert np.isfinite(slope0) and slope0 < 2.0 * slope_ref  # (1 + 0.1/0.05)**0.4 = 1.55
    assert r(0.1) == pytest.approx(float((0.1 * 400.0 / 25.0) ** 0.6))  # e_base's reference


# -- 4. scheming sabotages AI safety work -------------------------------------------------


def _share_benefit(model: Model, scheming: float, ease: float, n: int) -> np.ndarray:
    """Per-world fall in P(failure) as every actor's ai_safety_share goes 0.03 -> 0.3,
    restraint from evidence on: sabotage passes for progress, so evaluations do not
    see the damage and restraint does not make up for it."""
    base = {"scheming": scheming, "eval_ease": ease}
    lo = _failure(model, {**base, **_actors(model, "ai_safety_share", 0.03)}, n)
    hi = _failure(model, {**base, **_actors(model, "ai_safety_share", 0.3)}, n)
    return lo - hi


def test_scheming_halves_the_benefit_of_uncheckable_ai_safety_work(default: Model) -> None:
    n = 1200
    honest, scheming = _share_benefit(default, 0.0, 0.2, n), _share_benefit(default, 0.5, 0.2, n)
    excess = scheming - 0.5 * honest
    assert honest.mean() > 3 * honest.std(ddof=1) / np.sqrt(n)
    assert excess.mean() < -3 * excess.std(ddof=1) / np.sqrt(n)


def test_checkable_work_shields_ai_safety_labour_from_scheming(default: Model) -> None:
    n = 1200
    honest, scheming = _share_benefit(default, 0.0, 0.8, n), _share_benefit(default, 0.5, 0.8, n)
    excess = scheming - 0.85 * honest
    assert excess.mean() > -3 * excess.std(ddof=1) / np.sqrt(n)


def test_sabotage_undoes_honest_work_labour_for_labour() -> None:
    """With sabotage as large as the honest labour, motivation control stops."""
    p = dynamics.Params(**{k: np.float64(np.nan) for k in dynamics.Params._fields})._replace(
        s_base=np.float64(0.7), hardness=np.float64(1.0), safety_ref=np.float64(250.0),
        lam_s=np.float64(0.6), safety_harder=np.float64(0.0),
        beyond_frontier=np.float64(0.0), safety_range=np.float64(0.0),
        max_safety_rate=np.float64(50.0), o_base=np.float64(0.0),
        harden_harder=np.float64(0.0), e_base=np.float64(0.0), outside_share=np.float64(0.05),
    )  # fmt: skip
    lv = dynamics.Levers(**{k: np.zeros((1, 1)) for k in dynamics.Levers._fields})
    z, one = np.zeros((1, 1)), np.ones((1, 1))
    dS, _, _, _ = dynamics.safety_rates(np.full((1, 1), 300.0), np.full((1, 1), 300.0), z, z, z,
                                     z, one, z, p, lv)  # fmt: skip
    assert dS[0, 0] == 0.0
    worse, _, _, _ = dynamics.safety_rates(np.full((1, 1), 300.0), np.full((1, 1), 600.0), z, z,
                                        z, z, one, z, p, lv)  # fmt: skip
    assert worse[0, 0] < 0.0


# -- 5. mutual sabotage binds -------------------------------------------------------------


def test_mutual_sabotage_raises_failure() -> None:
    """Sabotaging whoever leads keeps the race neck and neck: race pressure erodes
    everyone's restraint (docs/model.md section 5)."""
    n = 8000  # the effect is small (+0.007, s.e. 0.0012 at 16,000 worlds; ~0.0017 here)
    base = run_model(compile_scenario("default"), n, 0)
    ms = run_model(compile_scenario("default", "mutual-sabotage"), n, 0)
    d = ms.worlds["p_failure"].to_numpy() - base.worlds["p_failure"].to_numpy()
    assert d.mean() > 3 * d.std(ddof=1) / np.sqrt(n)


# -- 6. survivable incidents are a Poisson count ------------------------------------------


def test_incident_count_is_the_poisson_inverse_cdf() -> None:
    from scipy import stats

    u = (np.arange(20000) + 0.5) / 20000
    for mean in (0.01, 0.3, 2.0):
        k = dynamics.incident_count(u[:, None], np.full((u.size, 1), mean))[:, 0]
        assert np.array_equal(k, stats.poisson.ppf(u, mean))
        assert k.mean() == pytest.approx(mean, rel=1e-3)
    assert dynamics.incident_count(np.array([[0.999999]]), np.zeros((1, 1)))[0, 0] == 0.0
