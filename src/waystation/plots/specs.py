"""Draw a figure specification (:mod:`waystation.figspecs`) with matplotlib.

The explorer's page draws the same specifications with plotly, so a figure
built here for a report shows what the page shows: the same marks, colours,
line styles, thresholds and captions. Every mark carries a ``gid``
(``"<spec id>:<kind>:<label or group>"``) for tests and callers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from waystation.plots._common import SMALL, _figure, _style, _title

__all__ = ["draw"]

#: plotly's dash names (the specs') as matplotlib line styles.
_DASH = {
    "solid": "-",
    "dot": ":",
    "dash": "--",
    "dashdot": "-.",
    "longdash": (0, (8, 3)),
    "longdashdot": (0, (8, 3, 2, 3)),
}


def draw(spec: Mapping[str, Any], height: float = 4.6, only: str | None = None) -> Figure:
    """A matplotlib figure of ``spec``: its marks on one panel, its title and caption.

    ``only`` keeps one group's marks (an actor of the diagram) and the marks
    meant for one group alone (the 90% bands), as the page's actor filter does.
    """
    fig = _figure(height)
    ax = fig.add_subplot()
    name = spec["id"]
    for m in spec["marks"]:
        if (only and m.get("group") not in (None, only)) or (m.get("only") and not only):
            continue
        kind = m["kind"]
        gid = f"{name}:{kind}:{m.get('label') or m.get('group') or ''}"
        if kind == "line":
            ax.plot(m["x"], m["y"], color=m["colour"], linestyle=_DASH.get(m["dash"], "-"),
                    linewidth=1.8, label=m.get("label"), gid=gid)  # fmt: skip
        elif kind in ("band", "region"):
            ax.fill_between(m["x"], m["low"], m["high"], color=m["colour"],
                            alpha=m.get("opacity", 0.15), linewidth=0, gid=gid,
                            label=m.get("label") if kind == "region" else None)  # fmt: skip
        elif kind in ("hline", "vline"):
            line = ax.axhline if kind == "hline" else ax.axvline
            line(m["at"], color=m["colour"], linestyle=_DASH.get(m["dash"], ":"), linewidth=1.0,
                 gid=gid)  # fmt: skip
            where = (0.01, m["at"]) if kind == "hline" else (m["at"], 0.99)
            ax.annotate(m["label"], where, xycoords=("axes fraction", "data") if kind == "hline"
                        else ("data", "axes fraction"), fontsize=SMALL, color=m["colour"],
                        rotation=0 if kind == "hline" else 90, va="bottom" if kind == "hline"
                        else "top", ha="left" if kind == "hline" else "right")  # fmt: skip
        elif kind == "bars":
            y = np.arange(len(m["labels"]))
            est = np.asarray(m["estimate"], dtype=np.float64)
            err = [est - np.asarray(m["low"]), np.asarray(m["high"]) - est]
            ax.barh(y, est, xerr=err, color=m["colour"], gid=gid, capsize=3)
            ax.set_yticks(y, m["labels"], fontsize=SMALL)
            ax.invert_yaxis()
            ax.axvline(0.0, color="#999999", linewidth=0.5)
    x, y = spec["x"], spec["y"]
    if x.get("range"):
        ax.set_xlim(*x["range"])
    if y.get("range"):
        ax.set_ylim(*y["range"])
    _style(ax, x.get("title", ""), y.get("title", ""))
    handles, labels = ax.get_legend_handles_labels()
    legend = (handles, labels) if labels else None
    wide = max((len(label) for label in labels), default=0) > 32
    _title(
        fig, spec["title"], spec["caption"], legend, ncols=min(2 if wide else 4, len(labels) or 1)
    )
    return fig
