"""Sampled futures: the paths of a few won and a few lost worlds, step by step."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from waystation.definitions import define
from waystation.plots._common import (
    FONT,
    OKABE_ITO,
    OOM,
    PALETTE,
    SMALL,
    YEAR,
    _figure,
    _style,
    _title,
)
from waystation.trace import Trace


def paths(trace: Trace, *, levels: Mapping[str, float] | None = None) -> Figure:
    """Capability and safety range per year in a few traced worlds (:mod:`waystation.trace`).

    One column per label (``victory``, ``failure``), one row per actor; each
    world has its own colour: its frontier solid, its safety range dashed,
    shaded where the frontier is beyond the safety range. A won world's line
    stops at its victory (its state freezes there); a dash-dot line marks the
    year a lost world's chance of failure passes one half. ``levels`` draws
    capability thresholds as horizontal lines.
    """
    groups = list(dict.fromkeys(trace.labels))
    A = len(trace.actors)
    fig = _figure(2.0 + 2.6 * A)
    grid = fig.subplots(A, len(groups), sharex=True, sharey=True, squeeze=False)
    for col, group in enumerate(groups):
        members = [w for w, label in enumerate(trace.labels) if label == group]
        for row, actor in enumerate(trace.actors):
            ax = grid[row, col]
            for k, w in enumerate(members):
                _world(ax, trace, w, row, PALETTE[k % len(PALETTE)], f"{group}:{actor}")
            for (name, y), style in zip((levels or {}).items(), ("--", ":"), strict=False):
                ax.axhline(
                    y,
                    color="#777777",
                    linestyle=style,
                    linewidth=0.9,
                    gid=f"paths:threshold:{name}",
                )
            title = f"{group or 'worlds'} · {actor}" if A > 1 else group or "worlds"
            ax.set_title(title, fontsize=FONT, loc="left")
            _style(ax, YEAR if row == A - 1 else "", "capability, OOM" if col == 0 else "")
    grid[0, 0].set_xlim(float(trace.times[0]), float(trace.times[-1]))
    where = " · ".join(
        x for x in (trace.scenario, trace.strategy and f"strategy {trace.strategy}") if x
    )
    caption = (
        f"Worlds drawn at random among those with P(victory) or P(failure) of at least 1/2, "
        f"re-simulated step by step from the run's seed ({trace.seed}); world numbers in "
        f"the key. Capability and safety range in {OOM}. Shaded: "
        f"{define('outside_safety_range').label} in that world. "
        f"{define('frozen_worlds').label.capitalize()}: a won world's lines stop at its victory."
    )
    key = _legend()
    title = "Sampled worlds, year by year" + (f" · {where}" if where else "")
    _title(fig, title, caption, (key, [str(h.get_label()) for h in key]))
    return fig


def _world(ax: Axes, trace: Trace, w: int, a: int, colour: str, prefix: str) -> None:
    """One world's frontier and safety range for actor ``a``, to its victory if any."""
    t = trace.times
    end = len(t)
    won = trace.victory_year[w]
    if np.isfinite(won):
        end = int(np.searchsorted(t, won)) + 1  # the step at which the world was won
    C, S = trace.capability[w, :end, a], trace.safety_range[w, :end, a]
    world = trace.worlds[w]
    ax.plot(
        t[:end],
        C,
        color=colour,
        linewidth=1.8,
        label=f"world {world}",
        gid=f"paths:{prefix}:{world}:capability",
    )
    ax.plot(
        t[:end],
        S,
        color=colour,
        linewidth=1.4,
        linestyle="--",
        gid=f"paths:{prefix}:{world}:safety_range",
    )
    ax.fill_between(
        t[:end], S, C, where=C > S, interpolate=True, color=colour, alpha=0.22, linewidth=0
    )
    if np.isfinite(won):
        ax.plot(
            [won],
            [C[-1]],
            marker="*",
            markersize=11,
            color=colour,
            gid=f"paths:{prefix}:{world}:victory",
        )
    lost = np.flatnonzero(trace.survival[w] < 0.5)
    if lost.size:
        ax.axvline(
            float(t[lost[0]]),
            color=colour,
            linestyle="-.",
            linewidth=1.0,
            gid=f"paths:{prefix}:{world}:failure",
        )
    ax.text(
        0.01,
        0.97 - 0.11 * _rank(trace, w),
        f"world {world}",
        transform=ax.transAxes,
        fontsize=SMALL,
        color=colour,
        va="top",
    )


def _rank(trace: Trace, w: int) -> int:
    """Position of world ``w`` among the worlds with its label."""
    return [k for k, label in enumerate(trace.labels) if label == trace.labels[w]].index(w)


def _legend() -> list[Line2D | Patch]:
    """Key to the line styles and marks (colours tell worlds apart)."""
    grey = OKABE_ITO["black"]
    return [
        Line2D([], [], color=grey, linewidth=1.8, label="capability frontier"),
        Line2D([], [], color=grey, linewidth=1.4, linestyle="--", label="safety range"),
        Patch(color=grey, alpha=0.22, label="frontier beyond safety range"),
        Line2D([], [], color=grey, marker="*", linestyle="", markersize=11, label="victory"),
        Line2D([], [], color=grey, linestyle="-.", linewidth=1.0, label="P(failure) passes 1/2"),
    ]
