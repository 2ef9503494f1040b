"""The guard between a block's final states and its exact fixed-point tallies.

Tallies are sums of ``rint(x * 2**32)`` as int64 (:func:`waystation.tally.fixed`).
A NaN or infinite ``x`` would be cast to the lowest int64 and wrap the sums
into nonsense or, worse, plausible numbers. :func:`check_finite` refuses such a
block before it is tallied, naming the world, the variable and that world's
drawn inputs, so that a run never reports a number it could not compute.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from waystation.model import Model
from waystation.state import Array

#: State fields summed in fixed point: finite and below 2**31 in every world.
TALLIED_FIELDS = ("p_victory", "survival", "sweet_years", "reach_survival")
#: State fields recorded and histogrammed: finite in every world.
FINITE_FIELDS = ("C", "S", "O")
#: Fields that are NaN by design (never happened) but must never be infinite.
NAN_ALLOWED_FIELDS = ("victory_year", "reached")
#: Fields that are probabilities, allowed this far outside [0, 1] for rounding.
PROBABILITY_FIELDS = ("p_victory", "survival", "reach_survival")
_SLACK = 1e-9
#: Largest magnitude whose fixed-point value (x * 2**32) fits an int64 with room to sum.
_FIXED_MAX = 2.0**31


class NonFiniteError(ValueError):
    """A world whose outcome could not be computed (non-finite or out of range)."""

    def __init__(self, message: str, world: int, variable: str) -> None:
        super().__init__(message)
        self.world = world
        self.variable = variable


def _bad_rows(name: str, values: Array) -> Array:
    """Row mask of worlds where ``values`` (n, k) cannot be tallied."""
    x = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    with np.errstate(invalid="ignore"):
        if name in NAN_ALLOWED_FIELDS:
            bad = np.isinf(x)
        elif name in FINITE_FIELDS:
            bad = ~np.isfinite(x)
        else:
            bad = ~(np.abs(x) < _FIXED_MAX)
        if name in PROBABILITY_FIELDS:
            bad |= (x < -_SLACK) | (x > 1.0 + _SLACK)
    return np.asarray(bad.any(axis=1))


def check_finite(
    state: object, inputs: Mapping[str, Array], model: Model, n: int, first: int
) -> None:
    """Raise NonFiniteError unless the first ``n`` worlds of a block can be tallied exactly.

    ``state`` is the block's final :class:`~waystation.state.State`, ``inputs``
    its drawn inputs and ``first`` the run-wide index of its first world.
    """
    for name in TALLIED_FIELDS + FINITE_FIELDS + NAN_ALLOWED_FIELDS:
        values = getattr(state, name, None)
        if values is None:
            continue
        rows = np.flatnonzero(_bad_rows(name, np.asarray(values)[:n]))
        if rows.size:
            raise _error(name, np.asarray(values)[rows[0]], int(rows[0]), rows.size, inputs, model,
                         first)  # fmt: skip


def _error(
    name: str, value: Array, row: int, count: int, inputs: Mapping[str, Array], model: Model,
    first: int,
) -> NonFiniteError:  # fmt: skip
    world = first + row
    shown = ", ".join(f"{v:.6g}" for v in np.ravel(value))
    drawn = ", ".join(f"{k}={float(inputs[k][row]):.6g}" for k in model.uncertain() if k in inputs)
    expected = "finite values" + (", probabilities in [0, 1]" if name in PROBABILITY_FIELDS else "")
    expected += " below 2**31" if name in TALLIED_FIELDS and name not in PROBABILITY_FIELDS else ""
    message = (
        f"world {world}: {name} is [{shown}] at the end of the run, which cannot be tallied "
        f"(expected {expected}); {count} world(s) of this block are affected. "
        f"Inputs of world {world}: "
        f"{drawn or 'none uncertain (all as the scenario sets them)'}. This is a failure of "
        "the model for these inputs: please report it with the scenario."
    )
    return NonFiniteError(message, world, name)


def check_tallyable(x: Array) -> None:
    """Raise NonFiniteError if any value cannot become an exact fixed-point integer.

    The guard inside :func:`waystation.tally.fixed`, so that no tally,
    per step or final, can ever wrap: values must be finite and below 2**31 in
    magnitude. :func:`check_finite` names the world at the end of a block; this
    catches what goes wrong during the steps.
    """
    arr = np.asarray(x)
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(arr) < _FIXED_MAX)
    if bad.any():
        first = np.flatnonzero(bad.ravel())[0]
        value = arr.ravel()[first]
        raise NonFiniteError(
            f"a value of {value:g} ({int(bad.sum())} in all) reached an exact tally during the "
            "run, which cannot hold it (expected finite values below 2**31); this is a failure "
            "of the model for the scenario's inputs: please report it with the scenario and seed",
            -1,
            "tally",
        )
