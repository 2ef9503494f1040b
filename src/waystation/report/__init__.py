"""A self-contained report of a scenario: findings, methods, analyses and figures in one file.

:func:`gather` runs what the report needs through the public API and the
analyses (every analysis for every strategy named); :func:`figure_items`
draws its figures, sized to be read at the report's column width;
:func:`render_html` and :func:`render_markdown` turn the gathered
:class:`ReportData` into text. The HTML embeds its figures as inline SVG and
its style inline, and refers to nothing outside itself; :func:`write_pdfs`
writes each figure as vector PDF.
"""

from __future__ import annotations

from waystation.report.data import (
    DEFAULT_STRATEGIES,
    SECTIONS,
    ReportData,
    Settings,
    StrategyAnalyses,
    command_line,
    fixed_levers,
    gather,
)
from waystation.report.figures import (
    COLUMN_PX,
    MIN_PT,
    FigureItem,
    figure_items,
    svg,
    write_pdfs,
)
from waystation.report.findings import key_findings
from waystation.report.render import render_html, render_markdown

__all__ = [
    "COLUMN_PX",
    "DEFAULT_STRATEGIES",
    "MIN_PT",
    "SECTIONS",
    "FigureItem",
    "ReportData",
    "Settings",
    "StrategyAnalyses",
    "command_line",
    "figure_items",
    "fixed_levers",
    "gather",
    "key_findings",
    "render_html",
    "render_markdown",
    "svg",
    "write_pdfs",
]
