"""Figures of the analyses: competence profile, lever tornado, Sobol/Morris, comparison."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from waystation.plots._common import (
    OKABE_ITO,
    OUTCOME_COLOURS,
    SMALL,
    Z95,
    ComparisonLike,
    IntervalLike,
    LeverTableLike,
    ProfileLike,
    _figure,
    _label,
    _style,
)
from waystation.results import OUTCOMES


def competence_profile(profile: ProfileLike) -> Figure:
    """Outcome probabilities vs problem hardness (log scale) with the competence frontier.

    Bands are 95% Monte Carlo intervals; the frontier is the hardness at which
    P(non-failure) falls to 50%, with its interval shaded.
    """
    fig = _figure(4.2)
    ax = fig.add_subplot()
    grid = np.asarray(profile.grid, dtype=float)
    for name, curve in profile.curves.items():
        y = np.asarray(curve, dtype=float)
        se = np.asarray(profile.standard_errors.get(name, np.zeros_like(y)), dtype=float)
        colour = OUTCOME_COLOURS.get(name, OKABE_ITO["black"])
        ax.fill_between(grid, y - Z95 * se, y + Z95 * se, color=colour, alpha=0.2, linewidth=0)
        ax.plot(
            grid,
            y,
            color=colour,
            marker="o",
            markersize=4,
            label=_label(name),
            gid=f"competence:{name}",
        )
    frontier = profile.frontier
    if frontier is not None:
        ax.axvspan(
            frontier.low,
            frontier.high,
            color=OKABE_ITO["sky"],
            alpha=0.25,
            linewidth=0,
            gid="competence:frontier:interval",
        )
        ax.axvline(
            frontier.estimate,
            color=OKABE_ITO["black"],
            linestyle="--",
            linewidth=0.8,
            label=f"frontier ≈ {frontier.estimate:.2g}",
            gid="competence:frontier",
        )
    ax.axhline(0.5, color="#999999", linewidth=0.5)
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    _style(ax, "problem hardness (× default safety cost)", "probability")
    ax.legend(fontsize=SMALL, frameon=False)
    return fig


def _interval_bars(
    ax: Axes,
    labels: Sequence[str],
    values: Sequence[IntervalLike],
    gid: str,
    colour: str,
    offset: float = 0.0,
    height: float = 0.6,
) -> None:
    """Horizontal bars of estimates with asymmetric interval whiskers, first row on top."""
    y = np.arange(len(values))[::-1] + offset
    est = np.array([v.estimate for v in values], dtype=float)
    err = np.array(
        [
            [e - v.low for e, v in zip(est, values, strict=True)],
            [v.high - e for e, v in zip(est, values, strict=True)],
        ]
    )
    bars = ax.barh(
        y,
        est,
        height,
        xerr=np.maximum(err, 0.0),
        color=colour,
        capsize=2,
        error_kw={"elinewidth": 0.8, "capthick": 0.8},
    )
    for k, patch in enumerate(bars.patches):
        patch.set_gid(f"{gid}:{k}")
    ax.set_yticks(np.arange(len(values))[::-1], list(labels))
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=0.6)


def tornado(table: LeverTableLike) -> Figure:
    """Marginal value of each lever per unit cost with its interval, ranked (best on top).

    The explorer's and the report's tornado: :func:`waystation.figspecs.lever_tornado`
    drawn by :func:`waystation.plots.specs.draw`.
    """
    from waystation import figspecs
    from waystation.plots.specs import draw

    rows = list(table.rows)
    levers = [{"name": r.name, "scope": r.scope, "per_cost": {"estimate": r.per_cost.estimate,
               "low": r.per_cost.low, "high": r.per_cost.high}} for r in rows]  # fmt: skip
    spec = figspecs.lever_tornado({"objective": table.objective, "levers": levers}, top=len(rows))
    return draw(_titled(spec, table))


def _titled(spec: dict[str, Any], table: Any) -> dict[str, Any]:
    """A spec's title with the table's scenario and strategy, for a figure that stands alone."""
    where = [str(getattr(table, k)) for k in ("scenario", "strategy") if getattr(table, k, None)]
    if len(where) == 2:
        where[1] = f"strategy {where[1]}"
    return {**spec, "title": " · ".join([spec["title"], *where])}


class _Point:
    """A plain interval built from an estimate and a half-width."""

    def __init__(self, estimate: float, half: float) -> None:
        self.estimate, self.low, self.high = estimate, estimate - half, estimate + half


def sobol(sens: Any) -> Figure:
    """Sensitivity indices with confidence intervals: Sobol S1 and ST, or Morris mu*.

    ``sens`` is an ``analyses.Sensitivity``; for ``method="morris"`` the bars
    are mu* (elementary effects on P(victory)) with their confidence interval.
    Inputs are ordered by influence, the most influential at the top.
    """
    # most influential first (top of the chart): mu* for Morris, the total index for Sobol
    key = sens.mu_star if sens.method == "morris" else sens.ST
    names = sorted(sens.names, key=lambda n: -float(key[n]))
    fig = _figure(1.4 + 0.3 * max(1, len(names)))
    ax = fig.add_subplot()
    if sens.method == "morris":
        points = [_Point(sens.mu_star[n], sens.mu_star_conf[n]) for n in names]
        _interval_bars(ax, names, points, "morris:mu_star", OKABE_ITO["blue"], height=0.6)
        _style(ax, "Morris μ* (effect on P(victory))", "")
    else:
        for k, (key, colour) in enumerate((("S1", OKABE_ITO["sky"]), ("ST", OKABE_ITO["blue"]))):
            values, conf = getattr(sens, key), getattr(sens, f"{key}_conf")
            points = [_Point(values[n], conf[n]) for n in names]
            _interval_bars(ax, names, points, f"sobol:{key}", colour, 0.2 - 0.4 * k, 0.4)
        ax.legend(["S1 (first order)", "ST (total)"], fontsize=SMALL, frameon=False)
        _style(ax, "Sobol index (share of variance of P(victory))", "")
    ax.grid(False, axis="y")
    return fig


def comparison(cmp: ComparisonLike) -> Figure:
    """Paired differences in outcome probability vs the first strategy, with intervals."""
    others = [s for s in cmp.strategies[1:] if s in cmp.differences]
    fig = _figure(1.6 + 0.8 * max(1, len(others)))
    ax = fig.add_subplot()
    step = 1.0 / (len(OUTCOMES) + 1)
    for k, outcome in enumerate(OUTCOMES):
        y = np.arange(len(others))[::-1] + 0.5 - (k + 1) * step
        d = [cmp.differences[s][outcome] for s in others]
        est = np.array([v.estimate for v in d], dtype=float)
        err = np.array(
            [
                [max(0.0, e - v.low) for e, v in zip(est, d, strict=True)],
                [max(0.0, v.high - e) for e, v in zip(est, d, strict=True)],
            ]
        )
        bars = ax.errorbar(
            est,
            y,
            xerr=err,
            fmt="o",
            markersize=5,
            capsize=2,
            color=OUTCOME_COLOURS[outcome],
            label=_label(outcome),
        )
        bars.lines[0].set_gid(f"comparison:{outcome}")
    ax.set_yticks(np.arange(len(others))[::-1], others)
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=0.6)
    _style(ax, f"difference in probability vs {cmp.strategies[0]}", "")
    ax.legend(fontsize=SMALL, frameon=False)
    return fig
