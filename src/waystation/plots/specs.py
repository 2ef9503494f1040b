"""Draw a figure specification (:mod:`waystation.figspecs`) with matplotlib.

The explorer's page draws the same specifications with plotly
(``web/static/app.js``), and the report draws its outcomes over time,
capability diagram, lever tornado and lever response curves through
:func:`draw`, so a figure built here shows what the page shows: the same
panels, marks, colours, line styles, thresholds and captions. Every mark's
artists carry its :func:`gid` (``"<spec id>:<kind>:<label or group>"``, and
``"@<panel>"`` in a spec with panels) for tests and callers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from waystation.plots._common import FONT, SMALL, _figure, _label_rows, _style, _title

__all__ = ["draw", "gid", "panels_of"]

#: plotly's dash names (the specs') as matplotlib line styles.
_DASH = {
    "solid": "-",
    "dot": ":",
    "dash": "--",
    "dashdot": "-.",
    "longdash": (0, (8, 3)),
    "longdashdot": (0, (8, 3, 2, 3)),
}
#: Height of a panel row of weight 1, inches (rows of four panels are shorter).
ROW_IN = 2.8
ROW_IN_NARROW = 2.3
#: Room for the title, key and caption around the panels, inches.
FRAME_IN = 1.8


def gid(spec: Mapping[str, Any], mark: Mapping[str, Any]) -> str:
    """The gid of a mark's artists: ``"<spec>:<kind>:<label or group>"``, ``"@<panel>"`` added."""
    name = f"{spec['id']}:{mark['kind']}:{mark.get('label') or mark.get('group') or ''}"
    return name if mark.get("panel") is None else f"{name}@{mark['panel']}"


def panels_of(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The spec's panels; a spec without ``panels`` is one panel (id ``None``)."""
    return [dict(p) for p in spec.get("panels") or [{"id": None}]]


def _kept(m: Mapping[str, Any], only: str | None) -> bool:
    return not ((only and m.get("group") not in (None, only)) or (m.get("only") and not only))


def draw(spec: Mapping[str, Any], height: float | None = None, only: str | None = None) -> Figure:
    """A matplotlib figure of ``spec``: its panels and marks, its title, key and caption.

    ``only`` keeps one group's marks (an actor of the diagram) and the marks
    meant for one group alone, as the page's actor filter does; panels left
    without marks are not drawn. ``height`` (inches) defaults to one that
    gives each row of panels :data:`ROW_IN` per unit of its ``height``.
    """
    marks = [m for m in spec["marks"] if _kept(m, only)]
    every = panels_of(spec)
    first = every[0]["id"]
    where = {id(m): m.get("panel", first) for m in marks}
    panels = [p for p in every if any(w == p["id"] for w in where.values())] or every[:1]
    columns = max(1, min(int(spec.get("columns") or 1), len(panels)))
    rows = math.ceil(len(panels) / columns)
    weights = [
        max(float(p.get("height", 1.0)) for p in panels[r * columns : (r + 1) * columns])
        for r in range(rows)
    ]
    if height is None:
        unit = ROW_IN if columns < 4 else ROW_IN_NARROW
        bars = max((len(m["labels"]) for m in marks if m["kind"] == "bars"), default=0)
        height = (
            FRAME_IN + unit * sum(weights) if spec.get("panels") else max(4.6, 1.9 + 0.26 * bars)
        )
    fig = _figure(height)
    grid = fig.add_gridspec(rows, columns, height_ratios=weights)
    shared = set(spec.get("shared") or ())
    axes: dict[Any, Axes] = {}
    for k, p in enumerate(panels):
        r, c = divmod(k, columns)
        base = next(iter(axes.values()), None)
        ax = fig.add_subplot(grid[r, c], sharex=base if "x" in shared else None,
                             sharey=base if "y" in shared else None)  # fmt: skip
        axes[p["id"]] = ax
    for k, p in enumerate(panels):
        _axes(axes[p["id"]], spec, p, k, columns, len(panels))
    labelled: list[bool] = [False]  # the ticks' labels go in the first panel that has ticks
    for m in marks:
        _mark(axes[where[id(m)]], spec, m, labelled)
    for ax in axes.values():
        _spread_end_values(ax)
    handles: list[Any] = []
    labels: list[str] = []
    if spec.get("legend", True):
        for ax in axes.values():
            for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
                if label not in labels:
                    handles.append(h)
                    labels.append(label)
    legend = (handles, labels) if labels else None
    wide = max((len(label) for label in labels), default=0) > 32
    ncols = min(2 if wide else 4, len(labels) or 1)
    _title(fig, spec["title"], spec["caption"], legend, ncols=ncols)
    return fig


def _axes(ax: Axes, spec: Mapping[str, Any], panel: Mapping[str, Any], k: int, columns: int,
          n: int) -> None:  # fmt: skip
    """Ranges, axis titles, panel title; inner tick labels of shared axes left out."""
    shared = set(spec.get("shared") or ())
    x, y = {**spec["x"], **panel.get("x", {})}, {**spec["y"], **panel.get("y", {})}
    bottom = k + columns >= n  # the lowest panel of its column
    left = k % columns == 0
    if x.get("range"):
        ax.set_xlim(*x["range"])
    if y.get("range"):
        ax.set_ylim(*y["range"])
    xtitle = panel.get("x", {}).get("title", spec["x"].get("title", "") if bottom else "")
    ytitle = panel.get("y", {}).get("title", spec["y"].get("title", "") if left else "")
    _style(ax, xtitle, ytitle)
    if "x" in shared and not bottom:
        ax.tick_params(labelbottom=False)
    if "y" in shared and not left:
        ax.tick_params(labelleft=False)
    title, subtitle = panel.get("title") or "", panel.get("subtitle") or ""
    if title or subtitle:
        text = f"{title}\n{subtitle}" if title and subtitle else title or subtitle
        ax.set_title(text, fontsize=FONT if not subtitle else SMALL, loc="left")


def _mark(ax: Axes, spec: Mapping[str, Any], m: Mapping[str, Any], labelled: list[bool]) -> None:
    """Draw one mark on its panel; a kind this renderer does not know is left out."""
    kind, name = m["kind"], gid(spec, m)
    if kind == "line":
        ax.plot(m["x"], m["y"], color=m["colour"], linestyle=_DASH.get(m["dash"], "-"),
                linewidth=1.8, label=m.get("label"), gid=name, zorder=3,
                marker="o" if m.get("markers") else None, markersize=3.5)  # fmt: skip
        if m.get("end_value") and len(m["y"]):
            _end_value(ax, m, name)
    elif kind in ("band", "region"):
        label = m.get("label") if kind == "region" else None
        if m.get("pattern"):
            ax.fill_between(m["x"], m["low"], m["high"], facecolor="none", edgecolor=m["colour"],
                            hatch=m["pattern"] * 2, linewidth=0, alpha=m.get("opacity", 0.45),
                            zorder=2.5, label=label, gid=name)  # fmt: skip
        else:
            ax.fill_between(m["x"], m["low"], m["high"], color=m["colour"],
                            alpha=m.get("opacity", 0.15), linewidth=0, gid=name, label=label,
                            zorder=2.6 if kind == "region" else 1)  # fmt: skip
    elif kind in ("hline", "vline"):
        line = ax.axhline if kind == "hline" else ax.axvline
        line(m["at"], color=m["colour"], linestyle=_DASH.get(m["dash"], ":"), linewidth=1.0,
             gid=name)  # fmt: skip
        if m.get("label"):
            where = (0.99, m["at"]) if kind == "hline" else (m["at"], 0.99)  # off the ticks
            ax.annotate(m["label"], where, xycoords=("axes fraction", "data") if kind == "hline"
                        else ("data", "axes fraction"), fontsize=SMALL, color=m["colour"],
                        rotation=0 if kind == "hline" else 90, va="bottom" if kind == "hline"
                        else "top", ha="right", zorder=4,
                        bbox={"facecolor": "white", "alpha": 0.7, "linewidth": 0,
                              "pad": 0.5})  # fmt: skip
    elif kind == "ticks":
        _ticks(ax, m, name, not labelled[0])
        labelled[0] = True
    elif kind == "bars":
        y = np.arange(len(m["labels"]))[::-1]  # first on top
        est = np.asarray(m["estimate"], dtype=np.float64)
        err = np.maximum([est - np.asarray(m["low"]), np.asarray(m["high"]) - est], 0.0)
        bars = ax.barh(y, est, 0.6, xerr=err, color=m["colour"], capsize=3,
                       error_kw={"elinewidth": 0.8, "capthick": 0.8})  # fmt: skip
        for k, patch in enumerate(bars.patches):
            patch.set_gid(f"{name}:{k}")
        if bars.errorbar is not None:
            bars.errorbar.lines[2][0].set_gid(f"{name}:whiskers")
        ax.set_yticks(y, m["labels"], fontsize=SMALL)
        ax.set_ylim(-0.5, len(y) - 0.5)
        ax.axvline(0.0, color="#999999", linewidth=0.5)
        ax.grid(False, axis="y")


def _end_value(ax: Axes, m: Mapping[str, Any], name: str) -> None:
    """The line's last value written just past its end (:func:`_spread_end_values` places it)."""
    x, y = float(m["x"][-1]), float(m["y"][-1])
    ax.annotate(f"{y:.2f}", (x, y), xytext=(3, 0), textcoords="offset points", fontsize=SMALL,
                color=m["colour"], va="center", annotation_clip=False,
                gid=f"{name}:end")  # fmt: skip


def _spread_end_values(ax: Axes) -> None:
    """Move a panel's end values apart (at least 7% of its height), kept inside it."""
    texts = sorted((t for t in ax.texts if (t.get_gid() or "").endswith(":end")),
                   key=lambda t: t.xy[1])  # type: ignore[attr-defined]  # fmt: skip
    if len(texts) < 2:
        return
    lo, hi = sorted(ax.get_ylim())
    gap = 0.07 * ((hi - lo) or 1.0)
    at = [float(t.xy[1]) for t in texts]  # type: ignore[attr-defined]
    for k in range(1, len(at)):
        at[k] = max(at[k], at[k - 1] + gap)
    over = at[-1] - hi
    if over > 0:  # shift the stack down, but not below the panel
        at = [max(lo, a - over) for a in at]
        for k in range(1, len(at)):
            at[k] = max(at[k], at[k - 1] + gap)
    for t, a in zip(texts, at, strict=True):
        t.xy = (t.xy[0], a)  # type: ignore[attr-defined]


def _ticks(ax: Axes, m: Mapping[str, Any], name: str, labels: bool) -> None:
    """Ticks along the top of the panel; with ``labels``, their names in rows that never overlap.

    Label widths are estimated from the panel's width in inches and each
    label's length.
    """
    trans = ax.get_xaxis_transform()
    at: Sequence[float] = m["at"]
    for k, year in enumerate(at):
        ax.plot([year, year], [0.9, 1.0], transform=trans, color=m["colour"], linewidth=1.5,
                gid=name, label=m.get("label") if k == 0 else None)  # fmt: skip
    if not labels:
        return
    x0, x1 = ax.get_xlim()
    for x, row, text in _label_rows(ax, sorted(zip(at, m["labels"], strict=True)), x0, x1):
        ax.text(x, 0.88 - 0.1 * row, text, transform=trans, fontsize=SMALL, color=m["colour"],
                ha="center", va="top", zorder=4, gid=f"{name}:label",
                bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0, "pad": 0.5})  # fmt: skip
