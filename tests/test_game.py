"""The equilibrium solver against games with analytic answers (waystation.game).

The same :func:`waystation.game.solve` that the ``equilibrium`` analysis
hands the simulation model to is run here on the games of
:mod:`waystation.game.examples`, whose equilibria are known in closed form.
"""

from __future__ import annotations

import numpy as np
import pytest

from waystation.game import SolverSettings, solve
from waystation.game.examples import InformedRace, SafetyRace, StagHunt

FINE = SolverSettings(tol=1e-3, epsilon=1e-7, starts=3)


@pytest.mark.parametrize("enmity", [0.7, 0.8, 0.9, 1.0])
def test_safety_race_recovers_the_closed_form_equilibrium(enmity: float) -> None:
    """Two-team safety race (Racing to the precipice without capability information).

    Team i chooses safety s_i in [0, 1], wins with p_i = 1/2 + k (s_j - s_i),
    its win is safe with q_i = a + b s_i; a safe win is worth 1 to the winner,
    1 - e to the loser; catastrophe 0. Then
    du_i/ds_i = b/2 - e k a + k b (2 - e) s_j - 2 k b s_i (concave in s_i), so
    BR(s_j) = 1/(4k) - e a/(2b) + (2 - e)/2 s_j, a contraction for e > 0 with
    the unique fixed point s* = 1/(2 k e) - a/b (a: the mean over worlds of the
    per-world draw). With k = 1/2, a ~ 0.4, b = 0.5: s* = 1/e - 0.8.
    """
    game = SafetyRace(enmity)
    sol = solve(game, FINE)
    assert sol.found
    assert len(sol.equilibria) == 1  # every start reaches the same, unique equilibrium
    eq = sol.equilibria[0]
    assert eq.stable
    assert eq.starts == (0, 1, 2)
    assert np.allclose(eq.point.profile, game.closed_form(), atol=0.01)
    # the cooperative optimum is full safety: total P(safe victory) is what both maximise together
    assert np.allclose(sol.optimum.profile, 1.0, atol=0.01)
    assert sol.price_of_anarchy > 1.0
    assert sol.failure_gap is not None and sol.failure_gap.low > 0.0


def test_more_enmity_lowers_equilibrium_safety_and_raises_failure() -> None:
    """Racing to the precipice's finding, through the solver: enmity costs safety."""
    results = [solve(SafetyRace(e), FINE) for e in (0.7, 0.85, 1.0)]
    safety = [r.equilibria[0].point.profile.mean() for r in results]
    failure = [r.equilibria[0].point.failure.estimate for r in results]
    assert safety[0] > safety[1] > safety[2]
    assert failure[0] < failure[1] < failure[2]


@pytest.mark.parametrize(
    ("information", "noise"), [("none", 0.0), ("own", 0.0), ("public", 0.0), ("public", 0.5)]
)
def test_informed_race_recovers_each_regimes_equilibrium(information: str, noise: float) -> None:
    """Capability matters (p_i = 1/2 + h g_i + k (s_j - s_i)); what a team knows of it sets
    what it can condition on. The first-order conditions are linear in the situations'
    mean gaps, so each regime's equilibrium is a small linear system (closed_form)."""
    game = InformedRace(information=information, noise=noise)
    sol = solve(game, FINE)
    assert len(sol.equilibria) == 1 and sol.found and sol.equilibria[0].stable
    assert np.allclose(sol.equilibria[0].point.profile, game.closed_form(), atol=0.01)


def test_information_moves_safety_to_the_likely_winner_and_noise_undoes_it() -> None:
    """Between regimes, on the same drawn capabilities (enmity 1, k 0.3, h 0.2, a = b = 0.5).

    Uninformed, both teams take s* = 1/(2ke) - a/b = 2/3. Knowing who leads, the leader
    takes more and the trailer less, averaging s* (spread 4 h m / (2 k (4 - e)) = 0.148
    with m = E[g | ahead] = 1/3), and P(failure) falls by 2 b h^2 m^2 (2 - e) / (k (4 - e)^2)
    = 0.0016: unlike Racing to the precipice's sharp contest, a smooth race rewards the
    likely winner's safety (docs/model.md section 14). Noise in the estimate shrinks the
    spread and the gain towards the uninformed regime; own capability alone spreads too.
    """
    games = {
        "none": InformedRace(),
        "public": InformedRace(information="public"),
        "noisy": InformedRace(information="public", noise=0.5),
        "own": InformedRace(information="own"),
    }
    eq = {k: solve(g, FINE).equilibria[0].point for k, g in games.items()}
    s_none = eq["none"].profile.mean()
    assert s_none == pytest.approx(2.0 / 3.0, abs=0.01)
    behind, ahead = eq["public"].profile[0]
    assert ahead - behind == pytest.approx(4 * 0.2 / 3 / (2 * 0.3 * 3), abs=0.015)
    assert behind < s_none < ahead
    assert eq["public"].profile.mean() == pytest.approx(s_none, abs=0.01)
    spread = {k: float(np.ptp(eq[k].profile[0])) for k in ("public", "noisy", "own")}
    assert 0.02 < spread["noisy"] < spread["public"] - 0.02
    assert spread["own"] > 0.1
    failure = {k: p.failure.estimate for k, p in eq.items()}
    drop = 2 * 0.5 * 0.2**2 / 9 * 1 / (0.3 * 9)
    assert failure["none"] - failure["public"] == pytest.approx(drop, rel=0.25)
    assert failure["public"] < failure["noisy"] < failure["none"]
    assert failure["own"] < failure["none"]


def test_price_of_anarchy_is_one_when_payoffs_are_shared() -> None:
    """Enmity 0: both payoffs are P(safe victory); equilibrium and optimum coincide (s = 1)."""
    sol = solve(SafetyRace(0.0), FINE)
    assert sol.found
    worst = sol.worst
    assert worst is not None
    assert np.allclose(worst.point.profile, 1.0, atol=1e-9)
    assert np.allclose(sol.optimum.profile, worst.point.profile, atol=1e-9)
    assert sol.price_of_anarchy == pytest.approx(1.0, abs=1e-12)
    assert sol.failure_gap is not None
    assert sol.failure_gap.estimate == pytest.approx(0.0, abs=1e-12)
    # with payoffs shared, every actor's payoff is the same number in every world
    assert worst.point.payoffs[0] == worst.point.payoffs[1]


def test_coordination_game_multi_start_finds_both_pure_equilibria() -> None:
    """Stag hunt u_i = 1 + x_i (2 x_j - 1): equilibria (0, 0) and (1, 1), both stable.

    Starting all-low reaches (0, 0); the game's own start (0.3, 0.7) and
    all-high reach (1, 1). The optimum is (1, 1); the price of anarchy compares
    the worse equilibrium's failure (0.5) with the optimum's (0.1): 5.
    """
    sol = solve(StagHunt(), SolverSettings(starts=3))
    found = sorted(tuple(e.point.profile.ravel()) for e in sol.equilibria if e.is_equilibrium)
    assert found == [(0.0, 0.0), (1.0, 1.0)]
    assert all(e.stable for e in sol.equilibria)
    assert np.allclose(sol.optimum.profile, 1.0)
    assert sol.price_of_anarchy == pytest.approx(5.0)


def test_an_unconverged_search_reports_no_pure_equilibrium() -> None:
    """One round cannot settle a race that starts far away: nothing is claimed."""
    sol = solve(SafetyRace(0.8, first=(0.0, 1.0)), SolverSettings(max_rounds=1, starts=1))
    assert not sol.found
    assert sol.equilibria == ()
    assert np.isnan(sol.price_of_anarchy)
    assert not sol.traces[0].converged and len(sol.traces[0].moves) == 1


def test_best_deviation_gain_is_zero_at_the_equilibrium_and_positive_elsewhere() -> None:
    """The check behind is_equilibrium: a profile off the equilibrium has a profitable deviation."""
    from waystation.game.solver import _bounds, _Evaluator, _gains

    game = SafetyRace(0.9)
    ev = _Evaluator(game, np.ones(2), None)
    s = SolverSettings()
    star = np.full((2, 1), game.closed_form())
    at = _gains(ev, star, s, _bounds(game))
    off = _gains(ev, np.full((2, 1), 0.9), s, _bounds(game))
    assert all(abs(g.estimate) < 1e-4 for g in at)
    assert all(g.low > 1e-3 for g in off)


def test_bad_solver_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="grid"):
        SolverSettings(grid=2)
    with pytest.raises(ValueError, match="damping"):
        SolverSettings(damping=0.0)
    with pytest.raises(ValueError, match="welfare"):
        solve(StagHunt(), SolverSettings(welfare=(1.0,)))
