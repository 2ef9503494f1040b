"""The shape of a response curve, in words: flat, increasing, decreasing, hump, dip, step or kink.

A curve is a few points ``(x_i, y_i)`` with the standard error of each
consecutive difference ``y_{i+1} - y_i`` (on common random numbers these are
paired and small). A feature is claimed only when it is resolved: a change
counts when it exceeds ``z`` standard errors (``z`` = 1.96 by default), the
standard error of a change over several segments being the root sum of
squares of theirs (the increments of a paired curve are close to
independent). In order of precedence:

- **hump at x** (**dip at x**): a resolved rise to an interior maximum and a
  resolved fall after it (or the reverse for a minimum); ``x`` is the vertex of
  the parabola through the extreme point and its neighbours;
- **step near x**: a resolved net change of which one segment holds at least
  70% and the other segments resolve no change at all -- a threshold, ``x``
  the segment's midpoint;
- **kink at x**: a resolved net change, and at ``x`` the slopes of the
  segments on either side differ resolvedly, by a factor of at least three
  (a saturation, "flattens after", or an onset, "steepens after"); of
  several such points, the one with the largest change of slope. A smooth
  bend, whose neighbouring slopes differ less, is just increasing or
  decreasing;
- **increasing** / **decreasing**: a resolved net change, none of the above;
- **flat**: no resolved change anywhere on the curve.

Written for the lever table, ``waystation response`` and the report's
findings, which describe a curve by its shape rather than by its endpoints.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from waystation.state import Array

#: The shape kinds, in the order of precedence above.
SHAPES: tuple[str, ...] = ("hump", "dip", "step", "kink", "increasing", "decreasing", "flat")
#: Share of a curve's net change that one segment must hold for a step.
STEP_SHARE = 0.7
#: Ratio of slopes on either side of a kink.
KINK_RATIO = 3.0


@dataclass(frozen=True)
class Shape:
    """A curve's shape: ``kind`` (one of :data:`SHAPES`) and where it happens (``at``)."""

    kind: str
    at: float | None = None
    #: For a kink: ``"flattens after"`` or ``"steepens after"``.
    detail: str = ""

    def words(self, unit: str = "") -> str:
        """The shape as a phrase: ``"hump at 0.42"``, ``"step near 1.5 yr"``, ``"flat"``."""
        if self.at is None:
            return self.kind
        where = {"step": "near"}.get(self.kind, "at")
        text = f"{self.kind} {where} {self.at:.3g}{' ' + unit if unit else ''}"
        return f"{text} ({self.detail})" if self.detail else text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"kind", "at", "detail", "words"}``."""
        return {"kind": self.kind, "at": self.at, "detail": self.detail, "words": self.words()}


def _se(diff_se: Array, i: int, j: int) -> float:
    """Standard error of ``y_j - y_i`` (i < j) from the consecutive differences' errors."""
    return float(math.sqrt(float(np.sum(diff_se[i:j] ** 2))))


def _vertex(x: Array, y: Array, k: int) -> float:
    """Vertex of the parabola through points ``k-1, k, k+1``, kept between them."""
    x0, x1, x2 = x[k - 1], x[k], x[k + 1]
    y0, y1, y2 = y[k - 1], y[k], y[k + 1]
    den = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den if den else 0.0
    b = (x2**2 * (y0 - y1) + x1**2 * (y2 - y0) + x0**2 * (y1 - y2)) / den if den else 0.0
    if a == 0.0:
        return float(x1)
    return float(np.clip(-b / (2 * a), x0, x2))


def _extremum(x: Array, y: Array, se: Array, z: float, sign: float) -> float | None:
    """Where a resolved interior maximum (sign +1) or minimum (-1) sits, else None."""
    s = sign * y
    k = int(np.argmax(s))
    if k == 0 or k == len(y) - 1:
        return None
    i, j = int(np.argmin(s[:k])), k + int(np.argmin(s[k:]))
    if s[k] - s[i] > z * _se(se, i, k) and s[k] - s[j] > z * _se(se, k, j):
        return _vertex(x, y, k)
    return None


def _step(x: Array, y: Array, se: Array, z: float) -> float | None:
    """Midpoint of a segment holding the curve's whole resolved change, else None."""
    d = np.diff(y)
    k = int(np.argmax(np.abs(d)))
    total = y[-1] - y[0]
    if abs(d[k]) < STEP_SHARE * abs(total) or np.sign(d[k]) != np.sign(total):
        return None
    others = [i for i in range(len(d)) if i != k]
    if any(abs(d[i]) > z * se[i] for i in others):
        return None
    return float((x[k] + x[k + 1]) / 2)


def _kink(x: Array, y: Array, se: Array, z: float) -> tuple[float, str] | None:
    """Where the slope changes most between neighbouring segments (resolved, by 3x or more)."""
    best: tuple[float, str] | None = None
    size = 0.0
    slopes = np.diff(y) / np.diff(x)
    errors = se / np.diff(x)
    for k in range(1, len(y) - 1):
        left, right = slopes[k - 1], slopes[k]
        err = math.hypot(errors[k - 1], errors[k])
        small, large = sorted((abs(left), abs(right)))
        if abs(left - right) > max(z * err, size) and small * KINK_RATIO <= large:
            size = abs(left - right)
            best = float(x[k]), "flattens after" if abs(left) > abs(right) else "steepens after"
    return best


def shape_of(
    x: Sequence[float] | Array,
    y: Sequence[float] | Array,
    diff_se: Sequence[float] | Array,
    z: float = 1.959963984540054,
    log: bool = False,
) -> Shape:
    """Classify a curve by the resolved features of its points (see the module docstring).

    ``x`` increasing, ``y`` the curve, ``diff_se[i]`` the standard error of
    ``y[i+1] - y[i]`` (one fewer than the points). With ``log`` the slopes
    are judged against log(x) (for an axis spanning decades, such as
    hardness); the location is still reported in x.
    """
    if log:
        if np.any(np.asarray(x, dtype=np.float64) <= 0):
            raise ValueError("shape_of with log=True needs positive x")
        found = shape_of(np.log(np.asarray(x, dtype=np.float64)), y, diff_se, z)
        at = None if found.at is None else float(np.exp(found.at))
        return Shape(found.kind, at, found.detail)
    xa, ya, sa = (np.asarray(v, dtype=np.float64) for v in (x, y, diff_se))
    if len(xa) != len(ya) or len(sa) != len(ya) - 1 or len(ya) < 2:
        raise ValueError("shape_of needs x and y of one length (>= 2) and one error per step")
    if np.any(np.diff(xa) <= 0):
        raise ValueError("shape_of needs increasing x")
    if len(ya) >= 3:
        hump = _extremum(xa, ya, sa, z, +1.0)
        dip = _extremum(xa, ya, sa, z, -1.0)
        if hump is not None and dip is None:
            return Shape("hump", hump)
        if dip is not None and hump is None:
            return Shape("dip", dip)
        if hump is not None and dip is not None:  # both: name the larger excursion
            up = float(np.max(ya) - max(ya[0], ya[-1]))
            down = float(min(ya[0], ya[-1]) - np.min(ya))
            return Shape("hump", hump) if up >= down else Shape("dip", dip)
    total = ya[-1] - ya[0]
    if abs(total) <= z * _se(sa, 0, len(ya) - 1):
        return Shape("flat")
    if len(ya) >= 3:
        step = _step(xa, ya, sa, z)
        if step is not None:
            return Shape("step", step)
        kink = _kink(xa, ya, sa, z)
        if kink is not None:
            return Shape("kink", kink[0], kink[1])
    return Shape("increasing" if total > 0 else "decreasing")
