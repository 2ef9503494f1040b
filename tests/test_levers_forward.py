"""``levers``: the value of the next budget unit, paired, with response curves and shape flags."""

from __future__ import annotations

import numpy as np
import pytest

import waystation as ws
from helpers import one_lab
from waystation.analyses import Interval, lever_values
from waystation.analyses.levers import _disagree


def test_forward_step_is_the_paired_gain_of_one_budget_unit() -> None:
    # tool_ai_only = x scales the hazard by (1 - x) when tool_labor_cut = 0 and
    # tool_hazard_cut = 1 (an independent truth: hazard_rate -> hazard_rate (1 - x)).
    # One budget unit buys 1/25 of the lever (cost 25 per unit, one actor).
    sc = one_lab(noisy=True, s_base=0.3, tool_labor_cut=0.0, tool_hazard_cut=1.0)
    table = lever_values(sc, objective="non_failure", worlds=800, seed=4,
                         levers=["tool_ai_only", "spillover"], curve_points=0)  # fmt: skip
    assert table.method == "forward"
    tool = {r.name: r for r in table.rows}["tool_ai_only"]
    model = ws.compile_scenario(sc)
    f0 = ws.run_model(model, 800, 4).records
    f1 = ws.run_model(model.with_overrides({"hazard_rate": 0.3 * (1 - 1 / 25)}), 800, 4).records
    assert f0 is not None and f1 is not None
    truth = float(np.mean(f0["p_failure"] - f1["p_failure"]))
    assert tool.step == pytest.approx(1 / 25)
    assert tool.forward is not None and tool.forward.estimate == pytest.approx(truth, rel=1e-6)
    assert tool.per_cost.estimate == pytest.approx(truth, rel=1e-6)  # one unit per step
    assert tool.forward.low > 0  # resolved: the interval is paired and tight
    assert table.rows[0].name == "tool_ai_only"


def test_top_lever_of_the_default_scenario_is_beneficial_beyond_three_se() -> None:
    # The method, not the answer: whatever lever ranks first, its next step's
    # paired gain is resolved. At 1,000 worlds the spillover step (the first
    # at the time of writing) stands ~5.5 s.e. clear.
    table = lever_values("default", worlds=1000, seed=0, curve_points=0, curve_worlds=200)
    top = table.rows[0]
    assert top.forward is not None
    se = (top.forward.high - top.forward.low) / (2 * 1.959963984540054)
    assert top.forward.estimate > 3 * se
    gains = [r.per_cost.estimate for r in table.rows if np.isfinite(r.per_cost.estimate)]
    assert gains == sorted(gains, reverse=True)


def test_response_curve_of_a_known_monotone_lever_is_increasing_and_paired() -> None:
    sc = one_lab(noisy=True, s_base=0.3, tool_labor_cut=0.0, tool_hazard_cut=1.0)
    table = lever_values(sc, objective="non_failure", worlds=600, seed=1,
                         levers=["tool_ai_only"], curve_points=6)  # fmt: skip
    curve = table.rows[0].curve
    assert curve is not None and len(curve.x) == 6 and curve.worlds == 600
    assert np.all(np.diff(curve.mean) > 0)  # less hazard, more non-failure, world by world
    assert curve.shape.kind in {"increasing", "kink"}
    # paired differences are no looser than either point's own interval (equal where a
    # point has no spread: at tool_ai_only 1 no hazard is left and every world survives)
    se = (np.array(curve.high) - np.array(curve.low)) / (2 * 1.959963984540054)
    assert np.all(np.array(curve.diff_se) <= np.maximum(se[:-1], se[1:]) * (1 + 1e-9))


def test_sign_disagreement_needs_opposite_signs_and_one_resolved() -> None:
    assert _disagree(Interval(0.01, 0.005, 0.015), Interval(-0.3, -0.5, -0.1))
    assert _disagree(Interval(-0.01, -0.02, -0.001), Interval(0.9, -0.1, 1.9))
    assert not _disagree(Interval(0.01, -0.01, 0.03), Interval(-0.3, -0.7, 0.1))
    assert not _disagree(Interval(0.01, 0.005, 0.015), Interval(0.3, 0.1, 0.5))


def test_bad_method_and_points_are_refused() -> None:
    with pytest.raises(ValueError, match="method must be one of forward, central"):
        lever_values("default", worlds=10, method="backward")
    with pytest.raises(ValueError, match="curve_points"):
        lever_values("default", worlds=10, curve_points=2)
