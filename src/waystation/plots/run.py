"""Figures of a run: outcomes, cumulative victory and failure, waystation value.

:func:`diagram` lives in :mod:`waystation.plots.diagram` and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from waystation.definitions import define
from waystation.plots._common import (
    OKABE_ITO,
    OUTCOME_COLOURS,
    PALETTE,
    SMALL,
    YEAR,
    Z95,
    _figure,
    _label,
    _style,
    _title,
    _wrap,
    thresholds,
    thresholds_of,
)
from waystation.plots.diagram import diagram
from waystation.results import OUTCOMES, Results


def outcomes(results: Mapping[str, Results] | Results) -> Figure:
    """Outcome probabilities per strategy with 95% Monte Carlo error bars (1.96 s.e.)."""
    runs = {results.strategy: results} if isinstance(results, Results) else dict(results)
    fig = _figure(4.0)
    ax = fig.add_subplot()
    x = np.arange(len(OUTCOMES))
    width = 0.8 / len(runs)
    for k, (name, res) in enumerate(runs.items()):
        heights = [res.probabilities[o] for o in OUTCOMES]
        errors = [Z95 * res.standard_errors[o] for o in OUTCOMES]
        bars = ax.bar(
            x + (k - (len(runs) - 1) / 2) * width,
            heights,
            width,
            yerr=errors,
            capsize=2,
            color=PALETTE[k % len(PALETTE)],
            label=name,
            error_kw={"elinewidth": 0.8, "capthick": 0.8},
        )
        for patch, outcome in zip(bars.patches, OUTCOMES, strict=True):
            patch.set_gid(f"outcomes:{name}:{outcome}")
    ax.set_xticks(x, [_label(o) for o in OUTCOMES])
    ax.set_ylim(0, 1)
    _style(ax, "outcome by the horizon", "probability")
    ax.legend(fontsize=SMALL, frameon=False, title="strategy", title_fontsize=SMALL)
    return fig


def cumulative(res: Results) -> Figure:
    """P(victory by year t) and P(failure by year t) over simulated time."""
    fig = _figure(3.8)
    ax = fig.add_subplot()
    for name in ("victory", "failure"):
        ax.plot(
            res.times,
            res.cumulative[name],
            color=OUTCOME_COLOURS[name],
            label=f"P({name} by t)",
            gid=f"cumulative:{name}",
        )
    ax.set_ylim(0, 1)
    ax.set_xlim(float(res.times[0]), float(res.times[-1]))
    _style(ax, YEAR, "cumulative probability")
    ax.legend(fontsize=SMALL, frameon=False)
    return fig


def waystation_value(res: Results) -> Figure:
    """P(victory | reached) vs P(victory | not reached) per waystation, 95% bars.

    Marker area grows with P(reached), which is also printed beside each row.
    """
    fig = _figure(1.6 + 0.55 * len(res.waystations))
    ax = fig.add_subplot()
    names = list(res.waystations)
    y = np.arange(len(names))[::-1]
    for yk, name in zip(y, names, strict=True):
        w = res.waystations[name]
        size = 20 + 220 * w.p_reached
        for est, se, colour, key, dy in (
            (
                w.p_victory_given_reached,
                w.p_victory_given_reached_se,
                OKABE_ITO["green"],
                "reached",
                0.12,
            ),
            (
                w.p_victory_given_not_reached,
                w.p_victory_given_not_reached_se,
                OKABE_ITO["vermillion"],
                "not_reached",
                -0.12,
            ),
        ):
            if est is None:
                continue
            ax.errorbar(
                [est],
                [yk + dy],
                xerr=[Z95 * (se or 0.0)],
                fmt="none",
                color=colour,
                linewidth=0.8,
                capsize=2,
            )
            ax.scatter(
                [est],
                [yk + dy],
                s=size if key == "reached" else 25,
                color=colour,
                gid=f"waystation:{name}:{key}",
                zorder=3,
            )
        ax.text(
            1.02,
            yk,
            f"{w.p_reached:.2f}",
            fontsize=SMALL,
            va="center",
            transform=ax.get_yaxis_transform(),
        )
    ax.text(1.02, 1.0, "P(reach)", fontsize=SMALL, va="bottom", transform=ax.transAxes)
    ax.scatter([], [], s=120, color=OKABE_ITO["green"], label="reached")
    ax.scatter([], [], s=25, color=OKABE_ITO["vermillion"], label="not reached")
    ax.set_yticks(y, [_wrap(_label(n), 24) for n in names])
    ax.set_xlim(0, 1)
    _style(ax, "P(victory | waystation reached or not)", "")
    given = define("p_victory_given_reached")
    caption = (
        f"{given.label}: {given.meaning}; P(victory | not reached): "
        f"{define('p_victory_given_not_reached').meaning}. Both are associations across "
        f"worlds, not effects. Bars: 95% intervals. Marker area grows with P(reached), "
        f"printed on the right. Over {res.n_worlds:,} worlds."
    )
    title = f"Victory with and without each waystation · {res.scenario} · strategy {res.strategy}"
    _title(fig, title, caption, ax.get_legend_handles_labels(), ncols=2)
    return fig


__all__ = [
    "cumulative",
    "diagram",
    "outcomes",
    "thresholds",
    "thresholds_of",
    "waystation_value",
]
