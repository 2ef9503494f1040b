"""External calibration targets, as data, and the model's value for each.

Each :class:`Target` names a published figure (source, band) and *how* the
model's comparable value is computed (``metric``, a key of :data:`METRICS`).
``waystation calibration`` prints them; ``tests/test_calibration.py`` checks
that the default scenario lands inside every band. The figures and their
provenance are in ``shared/CALIBRATION.md`` and ``docs/model.md`` section 10.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from waystation.api import compile_scenario, run_model
from waystation.definitions import DEFAULT_WORLDS
from waystation.dynamics import rd_multiplier
from waystation.dynamics.inputs import params_of
from waystation.model import WORLD_PARAMS, Model
from waystation.results import Results
from waystation.settings import RunSettings, resolve
from waystation.state import Array

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TARGETS", "Target", "check"]


@dataclass(frozen=True)
class Target:
    """One external figure the model should reproduce, and how to compute the model's value."""

    name: str
    metric: str  #: key of :data:`METRICS`
    band: tuple[float, float]
    unit: str
    source: str
    how: str  #: one line: how the model's value is computed


TARGETS: tuple[Target, ...] = (
    Target(
        "frontier growth 2026-2028",
        "frontier_growth",
        (0.7, 1.3),
        "OOM/yr",
        "Epoch AI: training compute 4-5x/yr (Sevilla & Roldan 2024), algorithms ~2.8x/yr "
        "(Ho et al. 2024)",
        "mean over worlds of the frontier's (highest actor's) capability gain over the first "
        "two years, divided by 2",
    ),
    Target(
        "median year the leader reaches C_aar",
        "year_aar",
        (2028.0, 2032.0),
        "year",
        "AI Futures Project (Dec 2025 model, Q1 2026 update): automated coder 2028-2031",
        "median over worlds of the first year the frontier reaches C_aar (never = after the "
        "horizon)",
    ),
    Target(
        "median year of superintelligence",
        "year_si",
        (2030.0, 2037.0),
        "year",
        "AI Futures model (Dec 2025): ASI 2031-2034 under the authors' parameters",
        "median over worlds of the first year the frontier reaches C_si, safe or not",
    ),
    Target(
        "AI R&D multiplier at C_aar",
        "multiplier_aar",
        (3.0, 8.0),
        "x",
        "AI 2027 takeoff forecast (Kokotajlo & Lifland 2025): superhuman coder 5x",
        "median over worlds of (1 + L_ai / H_c) ** lam_c at C = C_aar, 2026 human labour",
    ),
    Target(
        "AI R&D multiplier one OOM past C_aar",
        "multiplier_aar1",
        (12.0, 50.0),
        "x",
        "AI 2027 takeoff forecast: superhuman AI researcher 25x",
        "median over worlds of the same multiplier at C = C_aar + 1",
    ),
    Target(
        "P(failure) by 2100",
        "failure_2100",
        (0.05, 0.20),
        "probability",
        "XPT 2022 (Karger et al. 2025): experts 12% AI catastrophe, 3% extinction by 2100; "
        "Carlsmith 2022: >10% by 2070",
        "P(failure) of the scenario run to 2100",
    ),
    Target(
        "P(>3 yr of progress in <1 yr after C_aar)",
        "takeoff",
        (0.3, 0.8),
        "probability",
        "Davidson & Houlden, Forethought 2025: ~60% that a software intelligence explosion "
        "compresses more than 3 years of progress into under 1 year",
        "share of worlds reaching C_aar whose frontier then gains 3 years of its 2026 growth "
        "(or reaches C_si) at 3x that pace or faster, with every restraint off: the race "
        "strategy without political will (the figure is about what the technology allows)",
    ),
    Target(
        "P(coordinated global pause in force before 2035)",
        "pause_2035",
        (0.03, 0.25),
        "probability",
        "Manifold: international moratorium on frontier AGI by end of 2033 ~23%; Good Judgment "
        "superforecasters 2025: meaningful international AI coordination more likely in the "
        "2040s-2050s",
        "share of worlds in which every actor is paused at least 90% for a year in a row "
        "(the global_pause waystation) by 2035",
    ),
    Target(
        "P(at least one warning shot by 2030) [information]",
        "warned_2030",
        (0.0, 1.0),
        "probability",
        "information only: no published band",
        "share of worlds with at least one survivable incident by 2030",
    ),
    Target(
        "median warning shots before the world stops [information]",
        "warnings",
        (0.0, float("inf")),
        "count",
        "information only: no published band",
        "median over worlds of the survivable incidents until victory (safe superintelligence) "
        "or 2100",
    ),
)


@dataclass(frozen=True)
class Runs:
    """The simulations the metrics read, made once per check."""

    model: Model
    main: Results  #: the scenario to 2100
    early: Results  #: the scenario's first two years
    unrestrained: Results  #: race strategy, no political will
    to2030: Results  #: the scenario to 2030
    constants: dict[str, float]  #: world inputs that are the same in every world


def _median(x: Array) -> tuple[float, float]:
    """Median of ``x`` and its standard error from the order statistics of a 95% interval."""
    half = min(0.5, 1.96 * np.sqrt(0.25 / x.size))  # a few values (a constant): whole range
    lo, med, hi = np.quantile(x, [0.5 - half, 0.5, 0.5 + half], method="nearest")
    se = float((hi - lo) / 3.92) if np.isfinite(hi) and np.isfinite(lo) else float("nan")
    return float(med), se


def _median_year(years: pd.Series) -> tuple[float, float]:
    """Median first-passage year over worlds (never = +inf) and its standard error."""
    return _median(np.nan_to_num(years.to_numpy(dtype=float), nan=np.inf))


def _frontier_growth(r: Runs) -> tuple[float, float]:
    w = r.early.worlds
    cols = [f"{a}.final_capability" for a in r.model.actors]
    start = max(r.model.inputs[f"{a}.frontier"].median() for a in r.model.actors)
    gain = (w[cols].max(axis=1) - start) / 2.0
    return float(gain.mean()), float(gain.std(ddof=1) / np.sqrt(len(gain)))


def _multiplier(r: Runs, offset: float) -> tuple[float, float]:
    w = r.main.worlds  # the run's own worlds: drawn inputs, and the constant ones
    p = params_of({k: w[k].to_numpy() if k in w else np.asarray(r.constants[k])
                   for k in WORLD_PARAMS})  # fmt: skip
    return _median(np.ravel(rd_multiplier(p.C_aar + offset, p)))


def _takeoff(r: Runs) -> tuple[float, float]:
    w = r.unrestrained.worlds
    aar, end, g0 = w["frontier_year.C_aar"], w["frontier_year.takeoff"], w["initial_growth"]
    gap = w["si_gap"] if "si_gap" in w else r.constants["si_gap"]  # the same worlds' gaps
    need = np.minimum(3.0 * g0, gap) / (3.0 * g0)  # years allowed at 3x the 2026 pace
    reached = aar.notna().to_numpy()
    fast = ((end - aar) <= need + 1e-9).to_numpy()
    x = fast[reached].astype(float)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(max(1, x.size)))


METRICS: dict[str, Callable[[Runs], tuple[float, float]]] = {
    "frontier_growth": _frontier_growth,
    "year_aar": lambda r: _median_year(r.main.worlds["frontier_year.C_aar"]),
    "year_si": lambda r: _median_year(r.main.worlds["frontier_year.C_si"]),
    "multiplier_aar": lambda r: _multiplier(r, 0.0),
    "multiplier_aar1": lambda r: _multiplier(r, 1.0),
    "failure_2100": lambda r: (r.main.probabilities["failure"], r.main.standard_errors["failure"]),
    "takeoff": _takeoff,
    "pause_2035": lambda r: _share(r.main.worlds["reached.global_pause"].fillna(np.inf) < 2035.0),
    "warned_2030": lambda r: _share(r.to2030.worlds["warning_shots"] > 0),
    "warnings": lambda r: _median(r.main.worlds["warning_shots"].to_numpy(dtype=float)),
}


def _share(x: pd.Series) -> tuple[float, float]:
    """Share of worlds where ``x`` holds, and its standard error."""
    v = x.to_numpy(dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(max(1, v.size)))


def make_runs(
    scenario: Any = "default",
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    settings: RunSettings | None = None,
) -> Runs:
    """Run what the metrics need: the scenario to 2100, its first two years, unrestrained, to 2030.

    How they run is ``settings``; its ``progress(done, total)`` counts worlds
    over the four runs.
    """
    how = resolve(settings)

    def at(k: int) -> RunSettings:  # run k of 4 reports within the whole
        if how.progress is None:
            return how
        report = how.progress
        return how.override(progress=lambda done, _total: report(k * worlds + done, 4 * worlds))

    model = compile_scenario(scenario)
    main = run_model(
        replace(model, horizon=max(model.horizon, 2100.0)), worlds, seed, settings=at(0)
    )
    early = run_model(replace(model, horizon=model.start + 2.0), worlds, seed, settings=at(1))
    free = compile_scenario(scenario, "race")
    free = free.with_overrides({"will_per_warning": 0.0, "eval_alarm": 0.0})
    unrestrained = run_model(free, worlds, seed, settings=at(2))
    to2030 = run_model(replace(model, horizon=2030.0), worlds, seed, settings=at(3))
    constants = {k: d.median() for k, d in model.inputs.items() if d.is_constant}
    return Runs(model, main, early, unrestrained, to2030, constants)


def check(
    scenario: Any = "default",
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    settings: RunSettings | None = None,
) -> list[dict[str, Any]]:
    """Every target with the model's value, its standard error and whether it is inside the band.

    How the runs are executed is ``settings`` (see :func:`make_runs`).
    """
    runs = make_runs(scenario, worlds, seed, settings)
    rows = []
    for t in TARGETS:
        value, se = METRICS[t.metric](runs)
        rows.append(
            {
                "target": t.name,
                "source": t.source,
                "band": list(t.band),
                "unit": t.unit,
                "value": value,
                "se": se,
                "inside": bool(t.band[0] <= value <= t.band[1]),
                "how": t.how,
            }
        )
    return rows
