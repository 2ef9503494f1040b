"""Hazard of loss-of-control events, lethal and survivable (warning shots).

Essay section 2 (victory, costly non-failure, failure) and section 4 with
its footnote 14 (differing probabilities and severities of risk);
docs/model.md section 6, "Hazard and outcomes". How the hazard is
integrated into survival, and when a world wins, is the step's business
(:mod:`waystation.dynamics.integrate`).
"""

from __future__ import annotations

import numpy as np

from waystation._kernels import elementwise, xp_of
from waystation.dynamics.common import _EXP_CLIP, Levers, Params, sigmoid
from waystation.state import Array

#: Extra hazard of a superintelligence outside its safety range (x hazard_rate).
SI_HAZARD = 10.0


@elementwise
def gompertz(C: Array, S_eff: Array, rate: Array, width: Array) -> Array:
    """Hazard rate of a frontier at ``C`` against its effective safety range ``S_eff``.

    A Gompertz curve in the excess ``(C - S_eff) / width`` -- ``exp(-1)`` of
    ``rate`` at the edge, doubly-exponentially small inside the range -- that
    keeps growing, ``1 + excess`` (OOM), the further the frontier is beyond it.
    """
    z = np.minimum(np.maximum((S_eff - C) / width, -_EXP_CLIP), _EXP_CLIP)
    return rate * np.exp(-np.exp(z)) * (1.0 + np.maximum(C - S_eff, 0.0))


def hazard(C: Array, S_eff: Array, p: Params, lv: Levers) -> tuple[Array, Array]:
    """Lethal and survivable hazard rates per actor, events/yr (section 4, footnote 14).

    The hazard grows with how far the frontier is beyond its safety range and
    is almost nil well inside it (:func:`gompertz`); unsafe superintelligence
    is up to ``1 + SI_HAZARD`` times worse, and tool-only AI cuts it by
    ``tool_hazard_cut``. The share of events that are unrecoverable grows
    with capability itself, on the logit scale: ``1 - warning_share`` at
    ``C_lethal``, tending to none for weak systems and to all for strong ones.
    """
    width = p.edge_width
    h = gompertz(C, S_eff, p.hazard_rate, width)
    h = h * (1.0 + SI_HAZARD * sigmoid((C - p.C_si) / width))
    h = h * (1.0 - lv.tool_ai_only * p.tool_hazard_cut)
    xp = xp_of(C, S_eff)
    ws = xp.clip(p.warning_share, 1e-9, 1.0 - 1e-9)
    lethal_share = sigmoid((C - p.C_lethal) / p.lethal_width + xp.log((1.0 - ws) / ws))
    return h * lethal_share, h * (1.0 - lethal_share)


#: Most survivable incidents counted in one step (the Poisson tail beyond is cut).
MAX_INCIDENTS = 16


def incident_count(u: Array, mean: Array) -> Array:
    """Survivable incidents in a step: a Poisson count of ``mean`` by inverse CDF of ``u``.

    ``u`` is the step's uniform on [0, 1) (:func:`waystation.rng.step_shocks`),
    so every backend gets the same count from the same draw. The count is the
    number of ``k`` in ``0 .. MAX_INCIDENTS - 1`` with ``u >= P(N <= k)``:
    several incidents can happen in one step, and a world's incidents over a
    year do not depend on how the year is cut into steps (beyond the draws
    themselves).
    """
    xp = xp_of(u, mean)
    term = xp.exp(-mean)
    cdf = term
    count = (u >= cdf).astype(np.float64)
    for k in range(1, MAX_INCIDENTS):
        term = term * mean / k
        cdf = cdf + term
        count = count + (u >= cdf)
    return count
