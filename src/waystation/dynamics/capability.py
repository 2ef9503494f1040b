"""Growth of each actor's capability frontier, and deterrence by sabotage.

Essay section 4 (the capability frontier) and section 6 (deterrence,
"mutually assured AI malfunction"); docs/model.md section 3, "Capability",
and the deterrence paragraph of section 5.
"""

from __future__ import annotations

import numpy as np

from waystation._kernels import xp_of
from waystation.dynamics.common import Levers, Params, logistic, returns, saturate, sigmoid
from waystation.state import Array


def capability_rate(
    t: Array | float, hc: Array, L_ai: Array, C: Array, p: Params, lv: Levers
) -> Array:
    """Unrestrained capability growth in OOM/yr (section 4, capability frontier).

    Compute grows at the actor's share of the frontier trend for
    ``scaling_years``, then at the hardware trend alone; algorithmic progress
    scales with research labour relative to 2026 as ``labour**lam_c`` and gets
    harder per OOM already gained (``ideas_harder``). The total approaches
    ``max_rate`` smoothly (:func:`~waystation.dynamics.common.saturate`).
    """
    scaling = sigmoid(p.start + p.scaling_years - t)
    compute = p.g_hardware + (p.g_compute - p.g_hardware) * scaling
    labour = (hc + (1.0 - lv.ai_safety_share) * L_ai) * (1.0 - lv.wbe_investment)
    ref = p.capability_researchers * (1.0 + p.ai_labor_ratio)
    algo = returns(p.g_algo, labour, ref, p.lam_c, C - p.frontier, p.ideas_harder)
    return saturate(p.compute_scale * compute + algo, p.max_rate)


def sabotage(C: Array, rival: Array, p: Params, lv: Levers) -> Array:
    """Share of an actor's growth lost to rivals' sabotage once its lead passes a threshold.

    Models deterrence by "mutually assured AI malfunction" (section 6).
    """
    xp = xp_of(C, rival)
    lead = xp.where(xp.isfinite(rival), C - rival, -np.inf)  # no rival: nobody to sabotage
    return logistic(lv.deterrence, lead, p.deterrence_threshold, 0.1)
