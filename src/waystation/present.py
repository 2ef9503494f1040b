"""How numbers are written: one set of rules for the CLI, the report and the explorer page.

One meaning of "±", everywhere: ``a ± b`` is an estimate and the half-width
of its 95% interval, ``b = 1.96`` standard errors (:data:`Z95`; the
``plus_minus`` entry of :mod:`waystation.definitions`). A standard error
is always labelled "s.e.", never written with "±".

- a probability: four decimals, ``0.4123 ± 0.0069``; its interval
  ``[0.4054, 0.4192]``, clipped to [0, 1];
- a difference or any other estimate with a 95% interval: signed, in
  brackets, ``+0.0123 [+0.0010, +0.0236]``, or in words for sentences,
  ``+0.0123 (95% interval +0.0010 to +0.0236)``; at least four decimals,
  more (up to six) where a non-zero value would otherwise read as zero;
- a missing value (no worlds reached a waystation, say): ``—``.

The CLI and the report call these functions; the web API sends the strings
they make (the ``shown`` keys, see :func:`shown`) and :func:`spec` for the
page's own numbers, so the page prints what the CLI and the report print.
This module imports nothing beyond the standard library.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

__all__ = [
    "MISSING",
    "PLACES",
    "Z95",
    "IntervalLike",
    "decimals",
    "half_width",
    "interval",
    "interval_words",
    "jsonable",
    "number",
    "plus_minus",
    "probability",
    "probability_interval",
    "shown",
    "spec",
    "standard_error",
]

#: Two-sided 95% normal quantile: "±" is this many standard errors.
Z95 = 1.959963984540054
#: Decimals of probabilities and of estimates with intervals.
PLACES = 4
#: Most decimals an interval takes to keep a non-zero value from reading as zero.
MOST_PLACES = 6
#: What a missing value reads as.
MISSING = "—"


class IntervalLike(Protocol):
    """An estimate with its 95% interval (e.g. :class:`waystation.analyses.Interval`)."""

    @property
    def estimate(self) -> float:
        """The point estimate."""

    @property
    def low(self) -> float:
        """The interval's lower end."""

    @property
    def high(self) -> float:
        """The interval's upper end."""


def _known(x: float | None) -> float | None:
    """``x`` as a float, or None when it is missing (None or not finite)."""
    return None if x is None or not math.isfinite(x) else float(x)


def decimals(*values: float | None, least: int = PLACES) -> int:
    """Decimals that show every non-zero value as non-zero: ``least``, up to six."""
    shown = [v for v in map(_known, values) if v]
    places = least
    while places < MOST_PLACES and any(round(v, places) == 0 for v in shown):
        places += 1
    return places


def number(x: float | None, places: int = 3, sign: bool = False) -> str:
    """``x`` to ``places`` decimals (with its sign if ``sign``), or ``—`` when missing."""
    value = _known(x)
    return MISSING if value is None else f"{value:{'+' if sign else ''}.{places}f}"


def half_width(se: float) -> float:
    """The "±" of an estimate with standard error ``se``: the 95% interval's half-width."""
    return Z95 * se


def plus_minus(estimate: float | None, half: float | None, places: int = PLACES) -> str:
    """``estimate ± half``, ``half`` being a 95% half-width, e.g. ``0.4123 ± 0.0069``."""
    if _known(estimate) is None or _known(half) is None:
        return number(estimate, places)
    return f"{number(estimate, places)} ± {number(half, places)}"


def probability(p: float | None, se: float | None) -> str:
    """A probability with its "±" (1.96 times its standard error ``se``), four decimals."""
    s = _known(se)
    return plus_minus(p, None if s is None else half_width(s))


def probability_interval(p: float | None, se: float | None) -> str:
    """A probability's 95% interval in brackets, clipped to [0, 1]: ``[0.4054, 0.4192]``."""
    value, s = _known(p), _known(se)
    if value is None or s is None:
        return MISSING
    low, high = max(0.0, value - half_width(s)), min(1.0, value + half_width(s))
    return f"[{number(low, PLACES)}, {number(high, PLACES)}]"


def standard_error(se: float | None) -> str:
    """A standard error, four decimals (labelled "s.e." wherever it is shown)."""
    return number(se, PLACES)


def interval(iv: IntervalLike, sign: bool = True) -> str:
    """An estimate and its 95% interval: ``+0.0123 [+0.0010, +0.0236]``."""
    places = decimals(iv.estimate, iv.low, iv.high)
    low, high = number(iv.low, places, sign), number(iv.high, places, sign)
    return f"{number(iv.estimate, places, sign)} [{low}, {high}]"


def interval_words(iv: IntervalLike, sign: bool = False) -> str:
    """The same in words, for sentences: ``+0.0123 (95% interval +0.0010 to +0.0236)``."""
    places = decimals(iv.estimate, iv.low, iv.high)
    low, high = number(iv.low, places, sign), number(iv.high, places, sign)
    return f"{number(iv.estimate, places, sign)} (95% interval {low} to {high})"


class _Plain:
    """An interval read from a JSON object's ``estimate``, ``low`` and ``high``."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.estimate, self.low, self.high = d["estimate"], d["low"], d["high"]


def shown(data: Any) -> Any:
    """A JSON-ready copy of ``data`` in which every interval also says how it is written.

    Every object with ``estimate``, ``low`` and ``high`` gains ``"shown"``
    (:func:`interval`); every object with ``probabilities`` and
    ``standard_errors`` gains ``"shown"``, mapping each outcome to
    :func:`probability` and ``"<outcome>_interval"`` to
    :func:`probability_interval`. Other values are unchanged.
    """
    if isinstance(data, list | tuple):
        if not any(isinstance(v, dict | list | tuple) for v in data):  # numbers: a series
            return list(data)
        return [shown(v) for v in data]
    if not isinstance(data, dict):
        return data
    out = {k: shown(v) for k, v in data.items()}
    if {"estimate", "low", "high"} <= data.keys() and not any(
        isinstance(data[k], dict | list) for k in ("estimate", "low", "high")
    ):
        out["shown"] = interval(_Plain(data))
    elif isinstance(data.get("probabilities"), dict) and isinstance(
        data.get("standard_errors"), dict
    ):
        ps, ses = data["probabilities"], data["standard_errors"]
        written = {o: probability(p, ses.get(o)) for o, p in ps.items()}
        written |= {f"{o}_interval": probability_interval(p, ses.get(o)) for o, p in ps.items()}
        out["shown"] = written
    return out


def jsonable(x: Any) -> Any:
    """A JSON-ready copy of ``x``: arrays and numpy numbers to Python, non-finite floats to None.

    The one cleaning step before JSON leaves the package, for the CLI's
    ``--json`` and the web API alike (dictionary keys become strings).
    """
    if hasattr(x, "tolist") and not isinstance(x, str | bytes):  # numpy arrays and scalars
        x = x.tolist()
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    return x


def spec() -> dict[str, Any]:
    """The rules for the page's own numbers: what "±" means, decimals, the missing sign."""
    return {
        "z95": Z95,
        "places": PLACES,
        "most_places": MOST_PLACES,
        "missing": MISSING,
        "plus_minus": "the half-width of the 95% interval: 1.96 standard errors",
    }
