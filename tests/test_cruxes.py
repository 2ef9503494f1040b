"""Cruxes, acceptability, expected loss, horizons: synthetic models with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from waystation.analyses.cruxes import cruxes_of
from waystation.analyses.decision import decision_of, ranking_changes
from waystation.analyses.metamodel import smooth

N = 8000


def synthetic(seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """A: better above hardness 1.5 (lognormal); B: better between s = 0.3 and 0.7 of its own.

    D = f_A - f_B = 0.1 tanh(2 log(h / 1.5)) + noise; ``s`` and ``z`` carry nothing
    of D. Known switch point: h = 1.5 (prior mass below: Phi(log 1.5) = 0.657).
    """
    rng = np.random.default_rng(seed)
    x = {"h": np.exp(rng.normal(0, 1, N)), "s": rng.uniform(0, 1, N), "z": rng.normal(size=N)}
    fa = 0.6 + 0.1 * np.tanh(2 * np.log(x["h"] / 1.5)) + 0.05 * rng.normal(size=N)
    fb = 0.6 + 0.05 * rng.normal(size=N)
    return x, fa, fb


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_known_switch_point_is_recovered_within_its_interval(seed: int) -> None:
    x, fa, fb = synthetic(seed)
    table = cruxes_of(x, ("A", fa), ("B", fb))
    top = table.cruxes[0]
    assert top.input == "h" and top.explained > 0.3
    (sp,) = top.switch_points
    assert sp.low <= 1.5 <= sp.high and sp.high / sp.low < 1.4
    assert sp.better_above == "A"
    assert sp.mass_below == pytest.approx(0.657, abs=0.03)
    assert "above" in top.believe["A"] and "below" in top.believe["B"]


def test_inputs_that_carry_nothing_have_no_switch_point() -> None:
    x, fa, fb = synthetic(3)
    table = cruxes_of(x, ("A", fa), ("B", fb))
    for crux in table.cruxes[1:]:
        assert crux.input in {"s", "z"}
        assert crux.switch_points == () and crux.explained < 0.01


def test_two_switch_points_of_a_window_are_both_recovered() -> None:
    rng = np.random.default_rng(7)
    s = rng.uniform(0, 1, N)
    d = np.where((s > 0.3) & (s < 0.7), 0.08, -0.08) + 0.05 * rng.normal(size=N)
    table = cruxes_of({"s": s}, ("A", d), ("B", np.zeros(N)))
    points = table.cruxes[0].switch_points
    assert len(points) == 2
    (lo, hi) = points
    assert lo.low <= 0.3 <= lo.high and hi.low <= 0.7 <= hi.high
    assert lo.better_above == "A" and hi.better_above == "B"
    assert "between" in table.cruxes[0].believe["A"]


def test_metamodel_recovers_a_hump_without_a_formula() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, N)
    y = 0.5 - (x - 0.4) ** 2 + 0.05 * rng.normal(size=N)
    fit = smooth(x, y)
    truth = 0.5 - (fit.x - 0.4) ** 2
    assert np.all(np.abs(fit.mean - truth) < 4 * fit.se + 0.003)
    assert fit.x[int(np.argmax(fit.mean))] == pytest.approx(0.4, abs=0.05)


def test_acceptability_and_expected_loss_decompose_evpi() -> None:
    rng = np.random.default_rng(0)
    F = rng.uniform(0, 1, (3, 4000))
    F[2] = F[0]  # a tie in every world: each gets half of the credit
    dec = decision_of(F, ["a", "b", "c"])
    shares = [dec.acceptability[k].estimate for k in "abc"]
    assert sum(shares) == pytest.approx(1.0)
    assert shares[0] == pytest.approx(shares[2])
    evpi = float(np.mean(F.max(axis=0)) - F.mean(axis=1).max())
    assert dec.evpi.estimate == pytest.approx(evpi)
    assert dec.best == ["a", "b", "c"][int(np.argmax(F.mean(axis=1)))]
    for k, i in zip("abc", range(3), strict=True):  # loss - gain in mean = constant
        loss = dec.expected_loss[k].estimate
        assert loss == pytest.approx(float(np.mean(F.max(axis=0)) - F[i].mean()))
        lo, hi = dec.acceptability[k].low, dec.acceptability[k].high
        assert 0.0 <= lo <= shares[i] <= hi <= 1.0


def test_a_ranking_that_reverses_with_the_horizon_is_named() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(0.3, 0.7, 3000)
    values = {
        2040.0: np.stack([base + 0.05, base]),  # A ahead early
        2050.0: np.stack([base, base + 1e-4 * rng.normal(size=3000)]),  # unresolved
        2100.0: np.stack([base, base + 0.03]),  # B ahead late
    }
    (sentence,) = ranking_changes(list(values), ["A", "B"], values, "P(victory)")
    assert "between 2040 and 2100" in sentence and "by 2040 A beats B" in sentence
    steady = {y: np.stack([base + 0.05, base]) for y in values}
    assert ranking_changes(list(values), ["A", "B"], steady, "P(victory)") == ()
