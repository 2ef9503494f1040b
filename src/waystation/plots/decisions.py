"""Figures of the decision analyses: lever response curves, response lines and maps, cruxes."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from waystation.plots._common import (
    OKABE_ITO,
    PALETTE,
    SMALL,
    Z95,
    _figure,
    _label,
    _style,
    _title,
)


def lever_curves(table: Any, columns: int = 4) -> Figure:
    """Each lever's response curve (95% band), its setting (dashed) and its shape in words.

    The explorer's and the report's figure: :func:`waystation.figspecs.lever_curves`
    drawn by :func:`waystation.plots.specs.draw`, ``columns`` panels a row.
    """
    from waystation import figspecs, present
    from waystation.plots.analyses import _titled
    from waystation.plots.specs import draw

    spec = figspecs.lever_curves(present.jsonable(table.to_dict()))
    return draw({**_titled(spec, table), "columns": columns})


def response_curves(res: Any) -> Figure:
    """A one-way response: each strategy's curve with its 95% band."""
    fig = _figure(4.2)
    ax = fig.add_subplot()
    axis = res.axes[0]
    x = np.asarray(axis.values, dtype=float)
    for k, s in enumerate(res.strategies):
        m, e = np.asarray(res.mean[s]), np.asarray(res.se[s])
        colour = PALETTE[k % len(PALETTE)]
        ax.fill_between(x, m - Z95 * e, m + Z95 * e, color=colour, alpha=0.2, linewidth=0)
        shape = res.shape[s]
        label = f"{s} ({shape.words()})" if shape is not None else s
        ax.plot(x, m, color=colour, label=label, gid=f"response:{s}")
    if axis.kind == "input" and x.min() > 0 and x.max() / x.min() > 50:
        ax.set_xscale("log")
    _style(ax, _label(axis.name), _label(res.objective))
    ax.legend(fontsize=SMALL, frameon=False)
    _title(
        fig,
        f"{res.scenario} · {_label(res.objective)} against {_label(axis.name)}",
        f"{res.method.capitalize()}; bands are 95% intervals ({res.worlds:,} worlds).",
    )
    return fig


def best_map(res: Any) -> Figure:
    """A two-way map: which strategy is best at each point (one strategy: its objective)."""
    fig = _figure(5.0)
    ax = fig.add_subplot()
    ax0, ax1 = res.axes
    x, y = np.asarray(ax0.values, float), np.asarray(ax1.values, float)
    if len(res.strategies) == 1:
        mesh = ax.pcolormesh(y, x, res.mean[res.strategies[0]], shading="nearest",
                             cmap="viridis", gid="map:mean")  # fmt: skip
        fig.colorbar(mesh, ax=ax, label=_label(res.objective))
        legend = None
    else:
        index = np.vectorize(list(res.strategies).index)(res.best)
        cmap = ListedColormap([PALETTE[k % len(PALETTE)] for k in range(len(res.strategies))])
        ax.pcolormesh(y, x, index, shading="nearest", cmap=cmap, vmin=-0.5,
                      vmax=len(res.strategies) - 0.5, gid="map:best")  # fmt: skip
        handles = [Patch(color=PALETTE[k % len(PALETTE)]) for k in range(len(res.strategies))]
        legend = (handles, list(res.strategies))
    _style(ax, _label(ax1.name), _label(ax0.name))
    ax.grid(False)
    _title(
        fig,
        f"{res.scenario} · best strategy by {_label(res.objective)}"
        if legend
        else f"{res.scenario} · {_label(res.objective)}",
        f"{res.method.capitalize()} ({res.worlds:,} worlds).",
        legend=legend,
    )
    return fig


def cruxes(table: Any, top: int = 4) -> Figure:
    """E[A - B | input] of the top cruxes with 95% bands and switch points (shaded intervals)."""
    shown = table.cruxes[:top]
    fig = _figure(
        3.6,
    )
    axes = fig.subplots(1, max(1, len(shown)), squeeze=False)[0]
    for ax, c in zip(axes, shown, strict=False):
        x, m, e = c.curve.x, c.curve.mean, c.curve.se
        ax.fill_between(x, m - Z95 * e, m + Z95 * e, color=OKABE_ITO["blue"], alpha=0.25,
                        linewidth=0)  # fmt: skip
        ax.plot(x, m, color=OKABE_ITO["blue"], gid=f"crux:{c.input}")
        ax.axhline(0, color=OKABE_ITO["black"], linewidth=0.6)
        for sp in c.switch_points:
            ax.axvspan(sp.low, sp.high, color=OKABE_ITO["orange"], alpha=0.3, linewidth=0)
            ax.axvline(sp.value, color=OKABE_ITO["vermillion"], linewidth=1)
        if x.min() > 0 and x.max() / x.min() > 50:
            ax.set_xscale("log")
        ax.set_title(f"{_label(c.input)} · explains {c.explained:.0%}", fontsize=SMALL)
        _style(ax, _label(c.input), "")
    axes[0].set_ylabel(f"{table.a} − {table.b}", fontsize=SMALL)
    _title(
        fig,
        f"Cruxes: {table.a} against {table.b} by {table.horizon:g}",
        "Paired difference in the objective given each input (kernel metamodel of the worlds, "
        "95% band); above zero favours the first strategy. Red lines: switch points, shaded: "
        "their intervals.",
    )
    return fig
