"""Figures over simulated time: outcomes by year, worlds beyond their safety range, arrivals.

Each takes one run or several strategies' runs keyed by name; several are
drawn side by side (one line or panel each) on shared axes.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from waystation import figspecs
from waystation.definitions import define
from waystation.figspecs import over_time as over_time
from waystation.plots._common import (
    FONT,
    PALETTE,
    YEAR,
    _failure_by_year,
    _figure,
    _label,
    _style,
    _title,
)
from waystation.plots.diagram import Runs, runs_of
from waystation.results import Results
from waystation.state import WAYSTATIONS

#: Line styles of the waystations in :func:`arrivals`, so that coinciding curves show.
_DASHES: tuple[str, ...] = ("-", "-", "-", "--", "-", "-.")


def _where(runs: dict[str, Results]) -> str:
    first = next(iter(runs.values()))
    return first.scenario + (f" · strategy {first.strategy}" if len(runs) == 1 else "")


def outcomes_over_time(results: Runs) -> Figure:
    """One panel per outcome: cumulative P(victory) and P(failure) by year, and the rest.

    One line per strategy, its value at the horizon written at its end: the
    figure specification the report and the explorer's page draw
    (:func:`waystation.figspecs.outcomes_over_time`), drawn by
    :func:`waystation.plots.specs.draw`.
    """
    from waystation.plots.specs import draw

    return draw(figspecs.outcomes_over_time(runs_of(results)))


def outside_share(results: Runs) -> Figure:
    """Share of worlds beyond each actor's safety range by year, with P(failure by year).

    One panel per strategy, one line per actor; needs trajectories with
    ``outside`` (every run of this version has them).
    """
    runs = runs_of(results)
    fig = _figure(4.0)
    axes = fig.subplots(1, len(runs), sharey=True, squeeze=False)[0]
    for ax, (name, res) in zip(axes, runs.items(), strict=True):
        traj = res.trajectories
        if traj.outside is None:
            raise ValueError(f"strategy {name!r}: the run has no share beyond the safety range")
        for a, actor in enumerate(traj.actors):
            ax.plot(
                traj.times,
                traj.outside[a],
                color=PALETTE[a % len(PALETTE)],
                linewidth=2.0,
                label=actor,
                gid=f"outside:{name}:{actor}",
            )
        _failure_by_year(ax, res, f"outside:{name}:failure", 1.5)
        ax.set_ylim(0, 1)
        ax.set_xlim(float(traj.times[0]), float(traj.times[-1]))
        if len(runs) > 1:
            ax.set_title(name, fontsize=FONT, loc="left")
        _style(ax, YEAR, "share of worlds" if ax is axes[0] else "")
    first = next(iter(runs.values()))
    caption = (
        f"Lines: {define('outside_safety_range').meaning}, per actor, over {first.n_worlds:,} "
        "worlds, all counted alike (a world already won keeps its final state). "
        "Dashed: P(failure by year), from any actor."
    )
    title = f"Worlds beyond their safety range · {_where(runs)}"
    _title(fig, title, caption, axes[0].get_legend_handles_labels(), ncols=4)
    return fig


def arrivals(results: Runs) -> Figure:
    """When waystations are reached: P(reached by year) per waystation, a panel per strategy.

    Each curve is a cumulative arrival distribution that ends at the
    waystation's P(reached); a dot marks its median arrival year.
    """
    runs = runs_of(results)
    fig = _figure(4.4)
    axes = fig.subplots(1, len(runs), sharey=True, squeeze=False)[0]
    top = 0.0
    for ax, (name, res) in zip(axes, runs.items(), strict=True):
        if res.reached_by is None:
            raise ValueError(f"strategy {name!r}: the run has no arrival distributions")
        for k, w in enumerate(WAYSTATIONS):
            y = res.reached_by[w]
            top = max(top, float(y[-1]))
            colour = PALETTE[k % len(PALETTE)]
            ax.plot(
                res.times,
                y,
                color=colour,
                linestyle=_DASHES[k % len(_DASHES)],
                linewidth=2.0,
                label=_label(w),
                gid=f"arrivals:{name}:{w}",
            )
            year = res.waystations[w].median_year
            if year is not None:
                at = float(np.interp(year, res.times, y))
                ax.plot(
                    [year], [at], "o", color=colour, markersize=6, gid=f"arrivals:{name}:{w}:median"
                )
        ax.set_xlim(float(res.times[0]), float(res.times[-1]))
        if len(runs) > 1:
            ax.set_title(name, fontsize=FONT, loc="left")
        _style(ax, YEAR, define("reached_by").label if ax is axes[0] else "")
    for ax in axes:
        ax.set_ylim(0, min(1.0, max(0.05, top * 1.1)))
    first = next(iter(runs.values()))
    caption = (
        f"{define('reached_by').label}: {define('reached_by').meaning}. Dots: "
        f"{define('median_year').meaning}. Over {first.n_worlds:,} worlds. Line styles differ "
        "so that curves that coincide stay visible."
    )
    title = f"When the waystations are reached · {_where(runs)}"
    _title(fig, title, caption, axes[0].get_legend_handles_labels())
    return fig
