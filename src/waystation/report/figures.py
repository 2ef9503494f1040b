"""The report's figures: a flat list of (section, title, caption, figure) items, sized to read.

Figures come from :mod:`waystation.plots` as they are drawn for a paper
column; the outcomes over time, the capability diagrams, the lever tornadoes
and the lever response curves are the explorer page's figure specifications
(:mod:`waystation.figspecs`) drawn by :func:`waystation.plots.specs.draw`, so
the page and the report show the same figures. :func:`fit` re-sizes each
one to the report's column (10 in, 960 px at the browser's 96 px per inch)
and raises any text below :data:`MIN_PT`, so that every label is legible at
the width the page shows it. The HTML embeds
each figure as inline SVG with its text kept as text (searchable, scalable);
:func:`write_pdfs` writes the same figures as vector PDF for papers and slides.

New figures slot in by adding items to :func:`figure_items`: nothing else
in the report needs to know about them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from waystation import present
from waystation.definitions import define
from waystation.report.data import SECTIONS, ReportData, slug

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from waystation.results import Results

#: Width of the report's text column and of every figure, in CSS pixels (96 per inch).
COLUMN_PX = 960
#: Figure width in inches: the column at 96 px per inch, so SVGs show at their natural size.
WIDTH_IN = COLUMN_PX / 96
#: Smallest text size, in points at the figure's natural (= rendered) width.
MIN_PT = 10.0
#: Text larger than the minimum grows by this factor so headings stay above labels.
TEXT_SCALE = 1.4


@dataclass(frozen=True)
class FigureItem:
    """One figure of the report: the section it belongs to, its strategy (if any), words."""

    id: str
    section: str
    title: str
    caption: str
    figure: Figure
    strategy: str | None = None


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def figure_items(data: ReportData) -> list[FigureItem]:
    """Every figure of the report, in reading order, each sized by :func:`fit`."""
    from waystation import figspecs, plots
    from waystation.plots.decisions import cruxes as crux_figure
    from waystation.plots.specs import draw

    levels = figspecs.thresholds_of(data.model)
    assoc = _cap(define("p_victory_given_reached").text())
    items = [
        FigureItem(
            "fig-outcomes",
            "outcomes",
            "Outcome probabilities by strategy",
            "Bars are P(outcome) by the horizon; whiskers are 95% Monte Carlo intervals.",
            plots.outcomes(data.results),
        )
    ]
    items += [
        FigureItem(
            "fig-over-time",
            "outcomes",
            "Outcomes over time",
            "P(victory by year) and P(failure by year) accumulate over the path; the middle "
            "panel is the share of worlds with neither yet. One line per strategy.",
            draw(figspecs.outcomes_over_time(data.results)),
        ),
        FigureItem(
            "fig-outside",
            "diagram",
            "Worlds beyond their safety range",
            _cap(define("outside_safety_range").text())
            + ", by year and actor, with P(failure by year): what the medians hide.",
            plots.outside_share(data.results),
        ),
        FigureItem(
            "fig-arrivals",
            "waystations",
            "When waystations are reached",
            _cap(define("reached_by").text()) + "; dots mark the median year of arrival.",
            plots.arrivals(data.results),
        ),
    ]
    if len(data.results) > 1:
        items.append(
            FigureItem(
                "fig-comparison",
                "comparison",
                "Paired differences from the first strategy",
                _cap(define("difference").text()) + ". Whiskers are 95% intervals.",
                plots.comparison(data.comparison),
            )
        )
    for name, res in data.results.items():
        per = data.analyses[name]
        s = slug(name)
        items += [
            FigureItem(
                f"fig-diagram-{s}",
                "diagram",
                f"Capability frontier and safety range: {name}",
                "Per actor: median capability frontier and safety range, with bands holding "
                "50% and 90% of worlds; ticks along the top mark the median arrival of the "
                f"waystations reached in at least {figspecs.MARK_SHARE:.0%} of worlds.",
                draw(figspecs.diagram(res, levels)),
                name,
            ),
            *_paths(data, name, res, levels),
            FigureItem(
                f"fig-waystations-{s}",
                "waystations",
                f"Victory with and without each waystation: {name}",
                f"{assoc}. Marker area grows with P(reached).",
                plots.waystation_value(res),
                name,
            ),
            FigureItem(
                f"fig-competence-{s}",
                "competence",
                f"Outcomes against problem hardness: {name}",
                _cap(define("hardness").text())
                + ". "
                + _cap(define("competence_frontier").text())
                + ".",
                plots.competence_profile(per.competence),
                name,
            ),
        ]
        if per.levers is not None and per.levers.rows:
            table = present.jsonable(per.levers.to_dict())
            items.append(
                FigureItem(
                    f"fig-levers-{s}",
                    "levers",
                    f"Value of each free lever per unit cost: {name}",
                    _cap(define("per_cost").text()) + ". Whiskers are 95% intervals; levers the "
                    "strategy fixes are left out (see the table).",
                    draw(figspecs.lever_tornado(table, top=len(per.levers.rows))),
                    name,
                )
            )
            if any(r.curve is not None for r in per.levers.rows):
                items.append(
                    FigureItem(
                        f"fig-lever-curves-{s}",
                        "levers",
                        f"P(victory) across each free lever's range: {name}",
                        _cap(define("response_curve").text()) + "; the dashed line is the "
                        "scenario's setting. " + _cap(define("response_shape").text()) + ".",
                        draw(figspecs.lever_curves(table)),
                        name,
                    )
                )
        items.append(
            FigureItem(
                f"fig-sensitivity-{s}",
                "sensitivity",
                f"Sensitivity of P(victory) to every uncertain input: {name}",
                _cap(define("mu_star").text()) + ". Whiskers are 95% bootstrap intervals.",
                plots.sobol(per.sensitivity),
                name,
            )
        )
    for table in data.cruxes:
        items.append(
            FigureItem(
                f"fig-cruxes-{slug(table.b)}",
                "decision",
                f"Cruxes: {table.a} against {table.b}",
                "The paired difference in P(victory) given each of the inputs that explain "
                "most of it (" + define("metamodel").text() + "), with switch points marked.",
                crux_figure(table),
            )
        )
    order = {sid: k for k, sid in enumerate(SECTIONS)}
    names = {name: k for k, name in enumerate(data.results)}
    items.sort(key=lambda i: (order[i.section], -1 if i.strategy is None else names[i.strategy]))
    for item in items:
        fit(item.figure)
    return items


def _paths(data: ReportData, name: str, res: Results, levels: dict[str, float]) -> list[FigureItem]:
    """A few victory and failure worlds of one strategy, re-simulated year by year.

    Needs the run's per-world records; without them (or without worlds of
    either outcome to show) the figure is left out.
    """
    from waystation import plots
    from waystation.api import compile_scenario
    from waystation.trace import sample_traces

    if res.records is None:
        return []
    try:
        trace = sample_traces(compile_scenario(data.scenario, name), res, per_outcome=3)
    except ValueError:
        return []
    return [
        FigureItem(
            f"fig-paths-{slug(name)}",
            "diagram",
            f"Sampled worlds, year by year: {name}",
            "A few worlds that end in victory and a few that end in failure: capability "
            "frontier (solid) and safety range (dashed) per actor; shading where the frontier "
            "is beyond the safety range.",
            plots.paths(trace, levels=levels),
            name,
        )
    ]


def _texts(fig: Figure) -> Iterator[Any]:
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        if t.get_text().strip():
            yield t


def _grown(size: float, wider: bool) -> float:
    """A text size for the report: at least :data:`MIN_PT`, scaled up if the figure grew."""
    return max(MIN_PT, size * TEXT_SCALE if wider else size)


def _plain_log_ticks(fig: Figure) -> None:
    """Label log axes 0.1, 1, 10 rather than with powers, whose small exponents are illegible."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
                axis.set_minor_formatter(NullFormatter())


def fit(fig: Figure) -> Figure:
    """Size ``fig`` to the report column and make every text at least :data:`MIN_PT`.

    A figure drawn narrower than the column grows to its width; its height
    grows less, since the larger text needs less room relative to the plot.
    Tick labels get their text only when a figure is drawn, so their size is
    set on the axes (and the offset text's on it), which every tick follows:
    the figure is drawn once, when it is saved.
    """
    w, h = fig.get_size_inches()
    wider = bool(w < WIDTH_IN)
    if wider:
        fig.set_size_inches(WIDTH_IN, max(3.2, h * WIDTH_IN / w * 0.5))
    _plain_log_ticks(fig)
    sizes = [(t, _grown(float(t.get_fontsize()), wider)) for t in _texts(fig)]
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = axis.get_major_ticks()  # made now; their labels get text when drawn
            if ticks and axis.get_visible():
                size = _grown(float(ticks[0].label1.get_fontsize()), wider)
                axis.set_tick_params(which="both", labelsize=size)
            axis.offsetText.set_fontsize(_grown(float(axis.offsetText.get_fontsize()), wider))
    for t, size in sizes:
        t.set_fontsize(size)
    return fig


def text_sizes(fig: Figure) -> list[float]:
    """Font sizes (pt) of every non-empty text in ``fig`` as it is drawn."""
    fig.draw_without_rendering()
    return [float(t.get_fontsize()) for t in _texts(fig)]


def svg(fig: Figure) -> str:
    """SVG text of a figure for inline use: text kept as text, no prologue or metadata."""
    import matplotlib

    buf = StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)


def pdf_name(item: FigureItem) -> str:
    """File name of a figure's PDF: its id without the ``fig-`` prefix."""
    return f"{item.id.removeprefix('fig-')}.pdf"


def write_pdfs(items: list[FigureItem], folder: Path) -> list[Path]:
    """Write every figure as vector PDF (fonts embedded) into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for item in items:
        path = folder / pdf_name(item)
        item.figure.savefig(path, format="pdf", metadata={"CreationDate": None})
        paths.append(path)
    return paths
