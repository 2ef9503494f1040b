"""A self-contained report of a scenario: runs, analyses and figures in one HTML (or Markdown) file.

:func:`gather` runs what the report needs through the public API and the
analyses; :func:`render_html` and :func:`render_markdown` turn the gathered
:class:`ReportData` into text. The HTML embeds its figures as inline SVG and
its style inline, and refers to nothing outside itself.
"""

from __future__ import annotations

from waystation.report.data import (
    DEFAULT_STRATEGIES,
    SECTIONS,
    STAGES,
    ReportData,
    command_line,
    figure_svgs,
    gather,
)
from waystation.report.render import render_html, render_markdown

__all__ = [
    "DEFAULT_STRATEGIES",
    "SECTIONS",
    "STAGES",
    "ReportData",
    "command_line",
    "figure_svgs",
    "gather",
    "render_html",
    "render_markdown",
]
