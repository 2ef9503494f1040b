"""Results of a run: outcome probabilities, trajectories and waystations with their errors.

Built from the exact tallies of :mod:`waystation.simulate`. Standard errors
are Monte Carlo errors over worlds; ratio estimates (P(victory | reached))
use the delta method. ``pandas`` is imported only by the ``to_frame``-style
methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from waystation.state import WAYSTATIONS, Array
from waystation.tally import FIX, HISTOGRAMS, BlockOut

if TYPE_CHECKING:
    import pandas as pd

OUTCOMES: tuple[str, ...] = ("victory", "costly_non_failure", "failure")
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Trajectories:
    """Quantiles over worlds of each variable, per actor and recorded time.

    ``values[v, a, t, q]`` is quantile ``levels[q]`` of ``variables[v]`` for
    actor ``actors[a]`` at year ``times[t]``, read from histograms whose bin
    width bounds the error (0.025 OOM for capability and safety range).

    ``outside[a, t]`` is the share of worlds in which actor ``actors[a]``'s
    frontier lies beyond its effective safety range at ``times[t]`` (margin
    S_eff - C below zero), counted exactly from the margin histogram, whose
    bin edge falls on zero; every world counts equally, whatever its chance
    of having failed already, and a world won earlier keeps its frozen
    margin. ``None`` when the histograms were not available.
    """

    times: Array
    actors: tuple[str, ...]
    variables: tuple[str, ...]
    levels: tuple[float, ...]
    values: Array
    outside: Array | None = None

    def get(self, variable: str, actor: str | int = 0) -> dict[float, Array]:
        """Quantile series of one variable for one actor (by name or index), keyed by level."""
        v = self.variables.index(variable)
        a = actor if isinstance(actor, int) else self.actors.index(actor)
        return {q: self.values[v, a, :, k] for k, q in enumerate(self.levels)}

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per variable, actor and year, one column per quantile."""
        import pandas as pd

        rows = []
        for v, var in enumerate(self.variables):
            for a, actor in enumerate(self.actors):
                for t, year in enumerate(self.times):
                    row = {"variable": var, "actor": actor, "year": float(year)}
                    row.update(
                        {
                            f"q{round(q * 100):02d}": float(x)
                            for q, x in zip(self.levels, self.values[v, a, t], strict=True)
                        }
                    )
                    rows.append(row)
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class WaystationStats:
    """How often a waystation is reached and how much easier victory is from there."""

    p_reached: float
    p_reached_se: float
    median_year: float | None
    p_victory_given_reached: float | None
    p_victory_given_reached_se: float | None
    p_victory_given_not_reached: float | None
    p_victory_given_not_reached_se: float | None

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready mapping of the statistics."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Results:
    """Everything a run produced; see the attributes for units."""

    scenario: str
    strategy: str
    seed: int
    n_worlds: int
    actors: tuple[str, ...]
    times: Array
    probabilities: dict[str, float]
    standard_errors: dict[str, float]
    breakdown: dict[str, float]
    median_victory_year: float | None
    cumulative: dict[str, Array]
    trajectories: Trajectories
    waystations: dict[str, WaystationStats]
    mean_sweet_spot_years: float
    records: dict[str, Array] | None = field(default=None, repr=False)
    version: str = ""
    #: Cumulative P(reached by year ``times[t]``) per waystation: the arrival
    #: distribution behind ``waystations`` (weighted like ``p_reached``, so each
    #: curve ends at that waystation's ``p_reached``). ``None`` if not computed.
    reached_by: dict[str, Array] | None = field(default=None, repr=False)
    #: What stepped the worlds (:func:`waystation.simulate.backend_in_use`):
    #: ``"fused-simd8"``, ``"fused-simd"``, ``"fused-exact"``, ``"numpy"`` or ``"jax"``.
    backend: str = ""

    #: Years at which ``failure_by`` reports cumulative P(failure).
    FAILURE_YEARS = (2030.0, 2040.0, 2050.0, 2100.0)

    @property
    def failure_by(self) -> dict[str, float]:
        """Cumulative P(failure) by 2030, 2040, 2050 and 2100 (those within the run)."""
        out = {}
        for year in self.FAILURE_YEARS:
            if self.times[0] < year <= self.times[-1] + 1e-9:
                k = int(np.argmin(np.abs(self.times - year)))
                out[f"{year:g}"] = float(self.cumulative["failure"][k])
        return out

    @property
    def worlds(self) -> pd.DataFrame:
        """Per-world sampled inputs and outcome probabilities (needs ``keep_worlds=True``)."""
        import pandas as pd

        if self.records is None:
            raise ValueError("per-world records were not kept: run with keep_worlds=True")
        return pd.DataFrame(self.records)

    def to_frame(self) -> pd.DataFrame:
        """Outcome table: probability and Monte Carlo standard error per outcome."""
        import pandas as pd

        return pd.DataFrame(
            {
                "outcome": list(OUTCOMES),
                "probability": [self.probabilities[o] for o in OUTCOMES],
                "standard_error": [self.standard_errors[o] for o in OUTCOMES],
            }
        ).set_index("outcome")

    def final_quantiles(self, variable: str) -> dict[str, dict[str, float]]:
        """Quantiles of a variable at the horizon, per actor: ``{actor: {"q05": ...}}``."""
        out = {}
        for actor in self.actors:
            series = self.trajectories.get(variable, actor)
            out[actor] = {f"q{round(q * 100):02d}": float(x[-1]) for q, x in series.items()}
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the ``--json`` output of ``waystation run``)."""
        return {
            "scenario": self.scenario,
            "strategy": self.strategy,
            "seed": self.seed,
            "worlds": self.n_worlds,
            "version": self.version,
            "backend": self.backend,
            "horizon": float(self.times[-1]),
            "probabilities": self.probabilities,
            "standard_errors": self.standard_errors,
            "costly_non_failure_breakdown": self.breakdown,
            "median_victory_year": self.median_victory_year,
            "failure_by": self.failure_by,
            "waystations": {k: w.to_dict() for k, w in self.waystations.items()},
            "mean_sweet_spot_years": self.mean_sweet_spot_years,
            "final": {
                "capability": self.final_quantiles("capability"),
                "safety_range": self.final_quantiles("safety_range"),
            },
            "cumulative": {
                "years": self.times.tolist(),
                "victory": self.cumulative["victory"].tolist(),
                "failure": self.cumulative["failure"].tolist(),
            },
        }


def merge(blocks: Sequence[BlockOut]) -> tuple[dict[str, Array], Array, dict[str, Array] | None]:
    """Add up block tallies and histograms (exact) and concatenate per-world rows in order."""
    tally = {
        k: sum((b.tally[k] for b in blocks[1:]), blocks[0].tally[k].copy()) for k in blocks[0].tally
    }
    hist = sum((b.hist for b in blocks[1:]), blocks[0].hist.copy())
    records = None
    if all(b.records is not None for b in blocks):
        keys = blocks[0].records or {}
        records = {k: np.concatenate([b.records[k] for b in blocks if b.records]) for k in keys}
    return tally, hist, records


def _mean_se(total: float, squares: float, n: int) -> tuple[float, float]:
    """Mean and standard error from a sum and a sum of squares (both in fixed point)."""
    mean = total / FIX / n
    var = max(0.0, squares / FIX / n - mean * mean) * n / max(1, n - 1)
    return mean, float(np.sqrt(var / n))


def _ratio(a: float, aa: float, b: float, bb: float, ab: float, n: int) -> tuple[float, float]:
    """Ratio estimate sum(a)/sum(b) and its delta-method standard error."""
    r = a / b
    ma, mb = a / FIX / n, b / FIX / n
    var = (aa - 2 * r * ab + r * r * bb) / FIX / n - (ma - r * mb) ** 2
    return r, float(np.sqrt(max(0.0, var) * n / max(1, n - 1) / n) / mb)


def _weighted_median(weights: Array, times: Array) -> float | None:
    """Year at which half of the (integer) weight has accumulated, or None without weight."""
    total = int(weights.sum())
    if total == 0:
        return None
    k = int(np.searchsorted(np.cumsum(weights), total / 2.0))
    return float(times[min(k, len(times) - 1)])


def _quantiles(hist: Array, n: int) -> Array:
    """Quantiles from histograms by linear interpolation inside the bin: (V, A, T, Q)."""
    out = []
    offset = 0
    for _, lo, hi, nb in HISTOGRAMS:
        h = hist[:, :, offset : offset + nb].astype(np.float64)  # (T, A, nb)
        offset += nb
        cum = np.cumsum(h, axis=-1)
        width = (hi - lo) / nb
        qs = []
        for q in QUANTILES:
            target = q * n
            k = np.minimum((cum < target).sum(-1), nb - 1)
            before = (
                np.take_along_axis(cum, k[..., None], -1)[..., 0]
                - np.take_along_axis(h, k[..., None], -1)[..., 0]
            )
            inside = np.take_along_axis(h, k[..., None], -1)[..., 0]
            frac = np.clip((target - before) / np.maximum(inside, 1.0), 0.0, 1.0)
            qs.append(lo + (k + frac) * width)
        out.append(np.stack(qs, axis=-1).transpose(1, 0, 2))  # (A, T, Q)
    return np.stack(out)


def _outside(hist: Array, n: int) -> Array:
    """Share of worlds with a negative margin S_eff - C, per actor and record time: (A, T).

    The margin histogram's bins are [lo + k w, lo + (k+1) w); zero is the edge
    of bin ``k0``, so the counts below it are exactly the worlds with margin
    below zero (those clipped at the lower edge included). Margins within one
    rounding error (about 1e-15 OOM) of zero fall on the safe side.
    """
    offset = 0
    for name, lo, hi, nb in HISTOGRAMS:
        if name == "margin":
            k0 = (0.0 - lo) * nb / (hi - lo)
            if k0 != round(k0):  # pragma: no cover - guards a change of HISTOGRAMS
                raise ValueError("the margin histogram has no bin edge at zero")
            below = hist[:, :, offset : offset + round(k0)].sum(-1)  # (T, A)
            return np.asarray(below.T / max(n, 1), dtype=np.float64)
        offset += nb
    raise ValueError("no margin histogram")  # pragma: no cover


def _waystations(t: dict[str, Array], n: int, times: Array) -> dict[str, WaystationStats]:
    """Per-waystation statistics from the tallies (docs/model.md section 8, "Waystations")."""
    out = {}
    for k, name in enumerate(WAYSTATIONS):
        b1 = float(t["ws_b1"][k])
        p_r, p_r_se = _mean_se(b1, float(t["ws_b1b1"][k]), n)
        given_r: tuple[float | None, float | None] = (None, None)
        given_n: tuple[float | None, float | None] = (None, None)
        if b1 > 0:
            given_r = _ratio(
                float(t["ws_a1"][k]),
                float(t["ws_a1a1"][k]),
                b1,
                float(t["ws_b1b1"][k]),
                float(t["ws_a1b1"][k]),
                n,
            )
        b0 = n * FIX - b1
        if b0 > FIX * 1e-9:
            given_n = _ratio(
                float(t["ws_a0"][k]),
                float(t["ws_a0a0"][k]),
                b0,
                float(t["ws_b0b0"][k]),
                float(t["ws_a0b0"][k]),
                n,
            )
        out[name] = WaystationStats(
            p_r,
            p_r_se,
            _weighted_median(t["ws_year"][k], times),
            given_r[0],
            given_r[1],
            given_n[0],
            given_n[1],
        )
    return out


def summarise(
    blocks: Sequence[BlockOut],
    *,
    scenario: str,
    strategy: str,
    seed: int,
    actors: tuple[str, ...],
    times: Array,
    record_times: Array,
    version: str,
    backend: str = "",
) -> Results:
    """Turn the blocks of a run into :class:`Results`.

    Past eight parameters because a run's labels (scenario, strategy, seed,
    actors, times, version, backend) are each a field of :class:`Results`,
    passed by keyword.
    """
    t, hist, records = merge(blocks)
    n = int(t["n"][0])
    probs, ses = {}, {}
    for k, name in enumerate(OUTCOMES):
        probs[name], ses[name] = _mean_se(float(t["outcome"][k]), float(t["outcome_sq"][k]), n)
    cnf = probs["costly_non_failure"]
    breakdown = {
        "restrained": float(t["cnf_restrained"][0]) / FIX / n,
        "unsafe_climbing": float(t["cnf_unsafe"][0]) / FIX / n,
    }
    breakdown["safe_below_superintelligence"] = max(
        0.0, cnf - breakdown["restrained"] - breakdown["unsafe_climbing"]
    )
    cumulative = {
        "victory": np.cumsum(t["victory_t"]) / FIX / n,
        "failure": 1.0 - t["survival_t"] / FIX / n,
    }
    traj = Trajectories(
        record_times,
        actors,
        tuple(h[0] for h in HISTOGRAMS),
        QUANTILES,
        _quantiles(hist, n),
        _outside(hist, n),
    )
    reached_by = {name: np.cumsum(t["ws_year"][k]) / FIX / n for k, name in enumerate(WAYSTATIONS)}
    return Results(
        scenario=scenario,
        strategy=strategy,
        seed=seed,
        n_worlds=n,
        actors=actors,
        times=times,
        probabilities=probs,
        standard_errors=ses,
        breakdown=breakdown,
        median_victory_year=_weighted_median(t["victory_t"], times),
        cumulative=cumulative,
        trajectories=traj,
        waystations=_waystations(t, n, times),
        mean_sweet_spot_years=float(t["sweet_years"][0]) / FIX / n,
        records=records,
        version=version,
        backend=backend,
        reached_by=reached_by,
    )
