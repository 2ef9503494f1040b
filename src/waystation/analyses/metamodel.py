"""A smooth metamodel of per-world values against an uncertain input (local-linear kernel).

An uncertain input is drawn afresh in every world, so the worlds already
simulated hold the whole response to it: ``E[y | x]`` is read from them
without running anything again (dampack's ``owsa`` does the same with a
regression metamodel of a probabilistic sample). The smoother here is
**local-linear kernel regression on the input's rank** (its prior CDF value
``u`` in (0, 1)) with a Gaussian kernel of bandwidth ``h`` in rank units:

- it assumes no formula, so it follows humps and thresholds that a linear or
  quadratic metamodel would smear;
- working on ranks spreads the worlds evenly, so a lognormal input whose
  prior spans decades (``hardness``) is resolved in every decade, and the
  grid's mass on each side of a point is simply its rank;
- local-*linear* (not local-constant) fitting has no first-order bias at the
  ends of the range or where the curve is sloped, so a zero crossing is not
  pulled sideways.

Its pointwise standard error is the sandwich ``sqrt(sum_i l_i(u)^2 r_i^2)``
over the equivalent-kernel weights ``l_i`` and residuals ``r_i``; the other
inputs vary as under the prior, so the curve is the *one-way conditional
expectation*, not a slice at fixed other values. Splines or a GAM
(statsmodels, pygam) would serve as well but are not dependencies; this
needs numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from waystation.state import Array

#: Default bandwidth in rank units: each fit leans on about a fifth of the worlds.
BANDWIDTH = 0.06
#: Grid of ranks at which curves are evaluated (the outer 2% on each side left out).
RANKS: Array = np.linspace(0.02, 0.98, 49)


def ranks(x: Array) -> Array:
    """Mid-ranks of ``x`` scaled into (0, 1): the empirical prior CDF at each world's draw."""
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    # ties share their mean rank
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=r)
    return np.asarray((sums[inverse] / counts[inverse] + 0.5) / len(x))


@dataclass(frozen=True)
class Smooth:
    """A smoothed curve at grid ranks ``u``: input values ``x``, mean and standard error."""

    u: Array
    x: Array
    mean: Array
    se: Array

    def at(self, u: Array) -> Array:
        """The curve at other ranks (linear interpolation, constant beyond the grid)."""
        return np.asarray(np.interp(u, self.u, self.mean))


def local_linear(
    u: Array, y: Array, grid: Array = RANKS, h: float = BANDWIDTH
) -> tuple[Array, Array]:
    """Local-linear Gaussian-kernel fit of ``y`` on ranks ``u`` at ``grid``: (mean, s.e.)."""
    d = u[None, :] - grid[:, None]
    w = np.exp(-0.5 * (d / h) ** 2)
    s0, s1, s2 = w.sum(axis=1), (w * d).sum(axis=1), (w * d * d).sum(axis=1)
    den = s0 * s2 - s1 * s1
    weights = w * (s2[:, None] - d * s1[:, None]) / den[:, None]
    mean = weights @ y
    resid = y - np.interp(u, grid, mean)
    se = np.sqrt((weights**2) @ (resid**2))
    return np.asarray(mean), np.asarray(se)


def smooth(x: Array, y: Array, grid: Array = RANKS, h: float = BANDWIDTH) -> Smooth:
    """E[y | x] of per-world values ``y`` against draws ``x``, on a grid of the input's ranks."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or len(x) < 20:
        raise ValueError("a metamodel needs one value per world and at least 20 worlds")
    if not 0.0 < h <= 0.5:
        raise ValueError(f"bandwidth must be in (0, 0.5], got {h!r}")
    u = ranks(x)
    mean, se = local_linear(u, y, grid, h)
    return Smooth(grid, np.quantile(x, grid), mean, se)


def smooth2(
    x1: Array, x2: Array, y: Array, points: int = 21, h: float = 0.1
) -> tuple[Array, Array, Array, Array]:
    """E[y | x1, x2] by a product Gaussian kernel on ranks (local constant): grids, mean, s.e.

    Returns the input values along each axis and ``mean[i, j]`` at
    ``(x1_i, x2_j)`` with its standard error.
    """
    u1, u2 = ranks(np.asarray(x1, np.float64)), ranks(np.asarray(x2, np.float64))
    g = np.linspace(0.04, 0.96, points)
    k1 = np.exp(-0.5 * ((u1[None, :] - g[:, None]) / h) ** 2)
    k2 = np.exp(-0.5 * ((u2[None, :] - g[:, None]) / h) ** 2)
    y = np.asarray(y, np.float64)
    wsum = k1 @ k2.T
    mean = (k1 * y[None, :]) @ k2.T / wsum
    resid2 = (y - y.mean()) ** 2
    se = np.sqrt(((k1**2) * resid2[None, :]) @ (k2**2).T) / wsum
    return np.quantile(x1, g), np.quantile(x2, g), mean, se
