"""The figure of an equilibrium sweep: choices and P(failure) against the swept value.

One panel per chosen lever (the actors' mean choice at the worst equilibrium,
solid, with each actor's choice as points; at the cooperative optimum,
dashed) and one panel of P(failure) at both (and at the safest equilibrium,
dotted, where there are several), with 95% intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from waystation.plots._common import OKABE_ITO, SMALL, _figure, _label, _style, _title

EQ = OKABE_ITO["vermillion"]
OPT = OKABE_ITO["blue"]


def equilibrium_sweep(sweep: Any) -> Figure:
    """Equilibrium and optimal choices, and P(failure), against the swept quantity.

    ``sweep`` is an :class:`~waystation.analyses.equilibrium_sweep.Sweep`.
    Values without a pure equilibrium leave a gap in the equilibrium lines.
    """
    rows = sweep.rows()
    choose = sweep.results[0].choose
    x = np.array([r["value"] for r in rows], dtype=float)

    def several(r: dict[str, Any]) -> bool:  # the safest equilibrium is drawn only where
        return int(r.get("equilibria") or 0) > 1  # there is more than one

    swept = "number of actors" if sweep.name == "actors" else _label(sweep.name)
    fig = _figure(4.0)
    axes = fig.subplots(1, len(choose) + 1, squeeze=False)[0]
    handles: list[Any] = []
    for ax, c in zip(axes, choose, strict=False):
        eq = np.array([np.nan if r["equilibrium_choices"] is None
                       else r["equilibrium_choices"][c] for r in rows])  # fmt: skip
        opt = np.array([r["optimum_choices"][c] for r in rows])
        for xv, r in zip(x, rows, strict=True):
            by_actor = r["equilibrium_by_actor"] or {}
            ys = [v[c] for v in by_actor.values()]
            ax.scatter([xv] * len(ys), ys, s=12, color=EQ, alpha=0.45, linewidths=0,
                       gid=f"equilibrium:{c}:actors")  # fmt: skip
        eq_label = "worst equilibrium (mean of actors; dots: each)"
        opt_label = "cooperative optimum (mean of actors)"
        safe = np.array([np.nan if r.get("best_equilibrium_choices") is None or not several(r)
                         else r["best_equilibrium_choices"][c] for r in rows])  # fmt: skip
        ax.plot(x, safe, color=OKABE_ITO["orange"], linestyle=":", marker="o", markersize=4,
                gid=f"equilibrium:{c}:best")  # fmt: skip
        (h1,) = ax.plot(x, eq, color=EQ, marker="o", markersize=4, label=eq_label,
                        gid=f"equilibrium:{c}")  # fmt: skip
        (h2,) = ax.plot(x, opt, color=OPT, linestyle="--", marker="s", markersize=4,
                        label=opt_label, gid=f"optimum:{c}")  # fmt: skip
        handles = [h1, h2]
        ax.set_ylim(-0.03, 1.03)
        _style(ax, swept, f"{_label(c)} chosen")
    ax = axes[-1]
    for key, colour, gid, style in (  # the safest first: the worst is drawn over it
        ("best_equilibrium_failure", OKABE_ITO["orange"], "equilibrium:failure:best", ":"),
        ("equilibrium_failure", EQ, "equilibrium:failure", "-"),
        ("optimum_failure", OPT, "optimum:failure", "--"),
    ):
        shown = [r[key] if r[key] is not None and (key != "best_equilibrium_failure"
                                                   or several(r)) else None
                 for r in rows]  # fmt: skip
        est = np.array([np.nan if v is None else v["estimate"] for v in shown])
        lo = np.array([np.nan if v is None else v["low"] for v in shown])
        hi = np.array([np.nan if v is None else v["high"] for v in shown])
        ax.fill_between(x, lo, hi, color=colour, alpha=0.2, linewidth=0)
        line = ax.plot(x, est, color=colour, linestyle=style, marker="o", markersize=4, gid=gid)
        if key == "best_equilibrium_failure":
            handles.append(line[0])
            line[0].set_label("safest equilibrium (where several)")
    ax.set_ylim(bottom=0)
    _style(ax, swept, "P(failure)")
    if sweep.name == "actors":
        for a in axes:
            a.set_xticks(x)
    scenario = sweep.results[0].scenario
    worlds = sweep.results[0].worlds
    _title(
        fig,
        f"{scenario}: what the actors choose as the {swept} changes",
        f"Each actor chooses its own {', '.join(_label(c) for c in choose)} to maximise its "
        "payoff, knowing the others' choices (pure Nash equilibrium, iterated best response "
        "on common worlds); the cooperative optimum maximises the sum of payoffs. Where "
        "several equilibria exist, the one with the highest P(failure) is drawn solid and "
        "the safest dotted. Bands: 95% "
        f"Monte Carlo intervals over {worlds:,} worlds. Payoff weights are illustrative.",
        legend=(handles, [str(h.get_label()) for h in handles]),
        ncols=3,
    )
    for a in axes:
        a.tick_params(labelsize=SMALL)
    return fig
