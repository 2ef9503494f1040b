"""The shape writer recovers known shapes of synthetic curves, and claims none inside the noise."""

from __future__ import annotations

import numpy as np
import pytest

from waystation.analyses.shapes import Shape, shape_of

X = np.linspace(0.0, 1.0, 6)
SE = np.full(5, 0.005)


def test_monotone_curves_are_increasing_or_decreasing() -> None:
    assert shape_of(X, 0.2 + 0.3 * X, SE) == Shape("increasing")
    assert shape_of(X, 0.9 - 0.4 * X, SE) == Shape("decreasing")


def test_noise_within_the_errors_is_flat() -> None:
    y = 0.5 + np.array([0.0, 0.004, -0.003, 0.005, -0.002, 0.003])
    assert shape_of(X, y, SE).kind == "flat"
    # the same wiggle with tiny errors is resolved, so it is not called flat
    assert shape_of(X, y, SE / 100).kind != "flat"


def test_hump_is_located_at_the_peak() -> None:
    x = np.linspace(0.0, 1.0, 8)
    y = 0.8 - 2.0 * (x - 0.4) ** 2
    shape = shape_of(x, y, np.full(7, 0.005))
    assert shape.kind == "hump" and shape.at == pytest.approx(0.4, abs=0.01)
    dip = shape_of(x, -y, np.full(7, 0.005))
    assert dip.kind == "dip" and dip.at == pytest.approx(0.4, abs=0.01)


def test_step_is_located_at_its_threshold() -> None:
    y = np.where(X > 0.5, 0.7, 0.3)  # the jump lies between 0.4 and 0.6
    shape = shape_of(X, y, SE)
    assert shape.kind == "step" and shape.at == pytest.approx(0.5)
    assert shape.words() == "step near 0.5"


def test_saturation_is_a_kink_where_it_flattens() -> None:
    y = np.minimum(X, 0.4)  # rises to 0.4, then flat
    shape = shape_of(X, y, SE)
    assert shape.kind == "kink" and shape.at == pytest.approx(0.4)
    assert shape.detail == "flattens after" and shape.words() == "kink at 0.4 (flattens after)"


def test_a_hump_inside_the_noise_is_not_claimed() -> None:
    y = np.array([0.50, 0.51, 0.515, 0.51, 0.505, 0.50])
    assert shape_of(X, y, np.full(5, 0.02)).kind == "flat"


def test_bad_curves_are_refused() -> None:
    with pytest.raises(ValueError, match="increasing x"):
        shape_of([0, 0, 1], [1, 2, 3], [0.1, 0.1])
    with pytest.raises(ValueError, match="one error per step"):
        shape_of([0, 1, 2], [1, 2, 3], [0.1])


def test_log_axis_judges_slopes_against_log_x_and_reports_x() -> None:
    x = np.array([0.1, 0.32, 1.0, 3.2, 10.0])
    y = 0.9 - 0.35 * np.log10(x / 0.1)  # straight in log(x)
    assert shape_of(x, y, np.full(4, 0.004)).kind == "kink"  # bent in x
    assert shape_of(x, y, np.full(4, 0.004), log=True) == Shape("decreasing")
    hump = shape_of(x, [0.3, 0.36, 0.4, 0.36, 0.3], np.full(4, 0.004), log=True)
    assert hump.kind == "hump" and hump.at == pytest.approx(1.0, rel=0.05)


def test_a_smooth_bend_is_not_a_kink() -> None:
    z = 0.75 + 0.3 * X - 0.15 * X**2  # gently concave: neighbouring slopes within 3x
    assert shape_of(X, z, SE / 10) == Shape("increasing")
    corner = np.minimum(0.75 + 0.3 * X, 0.87)  # the same rise, then a corner at 0.4
    assert shape_of(X, corner, SE / 10) == Shape("kink", 0.4, "flattens after")
