"""Figures of a run and of its analyses, as :class:`matplotlib.figure.Figure` objects.

Matplotlib is imported here only, and pyplot never: figures are built from
``Figure`` directly, so no global backend or style is touched and saving
uses the Agg (PNG), SVG or PDF canvas chosen by the file's extension.
Colours are the Okabe-Ito palette, safe for colour-blind readers; figures are
10 in wide (a report's full width, about 960 px) with no text under 9 pt, and
carry their own title and caption (wording from :mod:`waystation.definitions`).
Figures of a run accept several strategies' runs keyed by name where a
comparison makes sense and draw them side by side on shared axes.

Every plotted series carries a ``gid`` such as ``"leading-lab:capability:q50"``
so that tests and callers can find the data behind each line or bar.
"""

from __future__ import annotations

from waystation.plots._common import FORMATS, OKABE_ITO, save
from waystation.plots.analyses import comparison, competence_profile, sobol, tornado
from waystation.plots.paths import paths
from waystation.plots.run import (
    cumulative,
    diagram,
    outcomes,
    thresholds,
    thresholds_of,
    waystation_value,
)
from waystation.plots.time import arrivals, outcomes_over_time, outside_share

__all__ = [
    "FORMATS",
    "OKABE_ITO",
    "arrivals",
    "comparison",
    "competence_profile",
    "cumulative",
    "diagram",
    "outcomes",
    "outcomes_over_time",
    "outside_share",
    "paths",
    "save",
    "sobol",
    "thresholds",
    "thresholds_of",
    "tornado",
    "waystation_value",
]
