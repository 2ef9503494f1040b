"""Shared pieces of the figures: palette, sizes, axis style, protocols and saving."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from waystation import present

# The palette and the thresholds are the presentation layer's (the page draws from it too).
from waystation.figspecs import OKABE_ITO as OKABE_ITO
from waystation.figspecs import OUTCOME_COLOURS as OUTCOME_COLOURS
from waystation.figspecs import PALETTE as PALETTE
from waystation.figspecs import thresholds_of as thresholds_of
from waystation.present import IntervalLike as IntervalLike  # one protocol, re-exported
from waystation.results import Results

#: File formats :func:`save` writes, by extension.
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
#: Figure width, inches: a report's full text width (about 960 px at 96 dpi).
WIDTH = 10.0
#: Axis labels and titles, points.
FONT = 11.0
#: The smallest text of any figure (ticks, legends, notes), points: at least 9 pt.
SMALL = 9.5
#: Characters per line of a caption at :data:`SMALL` across :data:`WIDTH`.
CAPTION_CHARS = 125
Z95 = present.Z95  # error bars span the same 95% interval as every table
YEAR = "year"
OOM = "OOM of effective compute above the 2026 frontier"


class ProfileLike(Protocol):
    """Outcome probabilities against problem hardness (``analyses.CompetenceProfile``)."""

    @property
    def grid(self) -> npt.ArrayLike: ...
    @property
    def curves(self) -> Mapping[str, npt.ArrayLike]: ...
    @property
    def standard_errors(self) -> Mapping[str, npt.ArrayLike]: ...
    @property
    def frontier(self) -> IntervalLike | None: ...


class LeverValueLike(Protocol):
    """One row of a lever table (``analyses.LeverValue``)."""

    @property
    def name(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def per_cost(self) -> IntervalLike: ...


class LeverTableLike(Protocol):
    """Ranked marginal values of the levers (``analyses.LeverTable``)."""

    @property
    def objective(self) -> str: ...
    @property
    def rows(self) -> Sequence[LeverValueLike]: ...


class ComparisonLike(Protocol):
    """Strategies on common random numbers (``analyses.Comparison``)."""

    @property
    def strategies(self) -> Sequence[str]: ...
    @property
    def differences(self) -> Mapping[str, Mapping[str, IntervalLike]]: ...


def _figure(height: float, width: float = WIDTH) -> Figure:
    """A new figure at report width with constrained layout, not registered with pyplot."""
    return Figure(figsize=(width, height), layout="constrained")


def _style(ax: Axes, xlabel: str, ylabel: str) -> None:
    """Label the axes with units in a readable font."""
    ax.set_xlabel(xlabel, fontsize=FONT)
    ax.set_ylabel(ylabel, fontsize=FONT)
    ax.tick_params(labelsize=SMALL)
    ax.grid(True, color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)


def _title(
    fig: Figure,
    title: str,
    caption: str = "",
    legend: tuple[Sequence[Any], Sequence[str]] | None = None,
    ncols: int = 3,
) -> None:
    """Title, key and caption, all inside the constrained layout so that none is clipped.

    With a ``legend`` (handles, labels) the title heads the figure's key above
    the panels (constrained layout does not stack a key under a suptitle);
    without one it is the suptitle. The caption is the figure's ``supxlabel``,
    wrapped, at the bottom.
    """
    if legend is not None:
        fig.legend(
            *legend, loc="outside upper center", ncols=ncols, fontsize=SMALL, frameon=False,
            title=title, title_fontsize=FONT + 1,
        )  # fmt: skip
    else:
        fig.suptitle(title, fontsize=FONT + 1)
    if caption:
        fig.supxlabel(
            textwrap.fill(caption, CAPTION_CHARS), fontsize=SMALL, ha="left", x=0.01,
            color="#333333", multialignment="left",
        )  # fmt: skip


def _failure_by_year(ax: Axes, res: Any, gid: str, linewidth: float) -> None:
    """The dashed black line of P(failure by year) that share-of-worlds panels carry."""
    ax.plot(
        res.times,
        res.cumulative["failure"],
        color=OKABE_ITO["black"],
        linestyle="--",
        linewidth=linewidth,
        label="P(failure by year)",
        gid=gid,
    )


def _label_rows(
    ax: Axes, items: list[tuple[float, str]], x0: float, x1: float
) -> list[tuple[float, int, str]]:
    """Where short labels go along the top of a panel: ``(x, row, text)`` per ``(x, text)``.

    Each label is centred on its x but kept inside ``[x0, x1]``, and goes in
    the first row whose last label ends before it starts, so no two overlap.
    Widths are estimated from the panel's width in inches and the text's length.
    """
    inches = ax.get_position().width * WIDTH  # the panel's width before layout, roughly
    per_char = 0.6 * SMALL / 72.0 * (x1 - x0) / max(inches, 0.5)  # x units per character
    ends: list[float] = []  # right end of the last label in each row
    out = []
    for year, text in items:
        half = per_char * (len(text) + 1) / 2
        x = min(max(year, x0 + half), x1 - half)  # kept inside the panel
        row = next((r for r, end in enumerate(ends) if end < x - half), len(ends))
        if row == len(ends):
            ends.append(-np.inf)
        ends[row] = x + half
        out.append((x, row, text))
    return out


def _wrap(text: str, width: int = 14) -> str:
    """Break a long label once, at the space nearest its middle."""
    if len(text) <= width or " " not in text:
        return text
    spaces = [k for k, c in enumerate(text) if c == " "]
    k = min(spaces, key=lambda k: abs(k - len(text) / 2))
    return text[:k] + "\n" + text[k + 1 :]


def _label(name: str) -> str:
    """Human-readable form of an identifier: underscores become spaces."""
    return name.replace("_", " ")


def save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as PNG, SVG or PDF, chosen by the file extension; return the path."""
    path = Path(path)
    ext = path.suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"cannot save a figure as {path.name!r}: use .png, .svg or .pdf")
    fig.savefig(path, format=ext, dpi=200 if ext == "png" else "figure")
    return path


def thresholds(res: Results) -> dict[str, float]:
    """Median capability thresholds, OOM: automated alignment researcher and superintelligence.

    Read from the scenario compiled by name (``C_aar`` and ``C_aar + si_gap``,
    sum of medians); if it cannot be compiled by name (a file-based scenario),
    from the per-world records, else none.
    """
    from waystation.api import compile_scenario
    from waystation.io import ScenarioError

    try:
        return thresholds_of(compile_scenario(res.scenario, res.strategy))
    except (ScenarioError, OSError, ValueError, KeyError):
        pass
    if res.records is None or "C_aar" not in res.records:
        return {}
    aar = float(np.median(res.records["C_aar"]))
    gap = float(np.median(res.records["si_gap"])) if "si_gap" in res.records else 0.0
    return {"automated alignment researcher": aar, "superintelligence": aar + gap}
