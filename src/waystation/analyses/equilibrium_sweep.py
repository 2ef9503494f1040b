"""How equilibria move with one quantity: enmity, own advantage, a global lever or the actors.

:func:`equilibrium_sweep` solves the game of :func:`~waystation.analyses.equilibrium.equilibrium`
at each value of one swept quantity, on the same worlds (same seed), and
collects the worst equilibrium's choices and P(failure) beside the
cooperative optimum's. The swept quantity is a payoff weight (set for every
actor), a global lever (a model input such as ``spillover``), or
``actors``: the number of actors, the scenario's first ``n`` (more than the
scenario has repeat its actors in order, named ``<name>-2``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from waystation.analyses._common import ScenarioLike, as_scenario
from waystation.analyses.equilibrium import EquilibriumResult, Question, equilibrium
from waystation.game.payoffs import WEIGHTS
from waystation.levers import GLOBAL_LEVERS, LEVER_REGISTRY
from waystation.scenario import Scenario
from waystation.settings import RunSettings

#: Quantities a sweep may move.
SWEEPABLE: tuple[str, ...] = (*WEIGHTS, *GLOBAL_LEVERS, "detection_rate", "actors")
#: Most values one sweep may take (each is a whole equilibrium search).
MAX_VALUES = 25


def parse_sweep(text: str) -> tuple[str, tuple[float, ...]]:
    """``"enmity=0:1:5"`` (start:stop:count) or ``"enmity=0,0.5,1"`` into a name and values."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not spec.strip():
        raise ValueError(f"--sweep: expected NAME=START:STOP:COUNT or NAME=V1,V2,..., got {text!r}")
    try:
        if ":" in spec:
            start, stop, count = spec.split(":")
            n = int(count)
            if n < 2:
                raise ValueError
            values = tuple(float(v) for v in np.linspace(float(start), float(stop), n))
        else:
            values = tuple(float(v) for v in spec.split(","))
    except ValueError:
        raise ValueError(
            f"--sweep: {spec!r} is not START:STOP:COUNT (COUNT >= 2) or a list of numbers"
        ) from None
    return check_sweep(name, values)


def check_sweep(name: str, values: Sequence[float]) -> tuple[str, tuple[float, ...]]:
    """Raise ValueError for an unknown quantity or a value outside its bounds."""
    if name not in SWEEPABLE:
        raise ValueError(f"--sweep: cannot sweep {name!r}; sweepable: {', '.join(SWEEPABLE)}")
    if not values or len(values) > MAX_VALUES:
        raise ValueError(f"--sweep: give 1 to {MAX_VALUES} values, got {len(values)}")
    from waystation.params import PAYOFF_REGISTRY

    if name == "actors":
        bad = [v for v in values if v != int(v) or not 1 <= v <= 20]
        lo, hi = 1.0, 20.0
    else:
        from waystation.params import REGISTRY

        known: dict[str, Any] = {**REGISTRY, **LEVER_REGISTRY, **PAYOFF_REGISTRY}
        lo, hi = known[name].bounds
        bad = [v for v in values if not (np.isfinite(v) and lo <= v <= hi)]
    if bad:
        raise ValueError(f"--sweep: {name} values must lie in [{lo:g}, {hi:g}]; got {bad[0]:g}")
    return name, tuple(float(v) for v in values)


def with_actors(sc: Scenario, n: int) -> Scenario:
    """The scenario with its first ``n`` actors (repeated in order, renamed, past its own)."""
    actors = []
    for i in range(n):
        base = sc.actors[i % len(sc.actors)]
        copy = i // len(sc.actors)
        actors.append(
            base if copy == 0 else base.model_copy(update={"name": f"{base.name}-{copy + 1}"})
        )
    return sc.model_copy(update={"actors": actors})


@dataclass(frozen=True)
class Sweep:
    """Equilibrium results at each value of one swept quantity."""

    name: str
    values: tuple[float, ...]
    results: tuple[EquilibriumResult, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One row per value: worst equilibrium vs optimum (choices averaged over actors)."""
        rows = []
        for v, r in zip(self.values, self.results, strict=True):
            worst = r.worst
            eqs = [e for e in r.equilibria if e.is_equilibrium]
            best = min(eqs, key=lambda e: e.point.failure.estimate) if eqs else None
            row: dict[str, Any] = {
                "value": v,
                "found": r.found,
                "equilibria": sum(e.is_equilibrium is True for e in r.equilibria),
                "price_of_anarchy": r.price_of_anarchy,
                "optimum_failure": r.optimum.point.failure.to_dict(),
                "optimum_choices": _mean_choices(r.optimum.choices, r.choose),
                "equilibrium_failure": None if worst is None else worst.point.failure.to_dict(),
                "equilibrium_choices": None
                if worst is None
                else _mean_choices(worst.choices, r.choose),
                "equilibrium_by_actor": None if worst is None else worst.choices,
                "best_equilibrium_failure": None if best is None else best.point.failure.to_dict(),
                "best_equilibrium_choices": (
                    None if best is None else _mean_choices(best.choices, r.choose)
                ),
            }
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready sweep (``waystation equilibrium --sweep ... --json``)."""
        return {
            "sweep": self.name,
            "values": list(self.values),
            "rows": self.rows(),
            "results": [r.to_dict() for r in self.results],
        }


def _mean_choices(
    choices: dict[str, dict[str, float]], choose: tuple[str, ...]
) -> dict[str, float]:
    return {c: float(np.mean([v[c] for v in choices.values()])) for c in choose}


def equilibrium_sweep(
    scenario: ScenarioLike,
    name: str,
    values: Sequence[float],
    question: Question | None = None,
    settings: RunSettings | None = None,
) -> Sweep:
    """Solve the game at each value of ``name`` (see :data:`SWEEPABLE`), on common worlds."""
    name, vals = check_sweep(name, values)
    q = question or Question()
    run = settings or RunSettings()
    sc = as_scenario(scenario)
    results = []
    for i, v in enumerate(vals):
        sub = run
        if run.progress is not None:
            sub = run.override(progress=_stage(run.progress, i, len(vals)))
        if name == "actors":
            results.append(equilibrium(with_actors(sc, int(v)), q, sub))
        elif name in WEIGHTS:
            results.append(equilibrium(sc, replace(q, payoffs={**q.payoffs, name: v}), sub))
        else:
            results.append(equilibrium(sc, replace(q, overrides={**q.overrides, name: v}), sub))
    return Sweep(name, vals, tuple(results))


def _stage(progress: Any, stage: int, stages: int) -> Any:
    """Progress of one value's search, as a share of the whole sweep (per mille)."""

    def report(done: int, total: int) -> None:
        share = min(1.0, done / total) if total > 0 else 1.0
        progress(int(1000 * (stage + share) / stages), 1000)

    return report


def findings(res: EquilibriumResult) -> list[str]:
    """What one equilibrium result says, in words (the CLI's and the report's findings)."""
    lines: list[str] = []
    n_eq = sum(e.is_equilibrium is True for e in res.equilibria)
    rounds = [len(t.moves) for t in res.solution.traces]
    if n_eq == 0:
        lines.append(
            f"No pure equilibrium was found: from {len(rounds)} start(s) the best responses "
            f"did not settle (rounds: {', '.join(map(str, rounds))}); the traces show the "
            "iteration, and the cooperative optimum is reported alone."
        )
        return lines
    unstable = sum(e.is_equilibrium is True and not e.stable for e in res.equilibria)
    rejected = sum(e.is_equilibrium is False for e in res.equilibria)
    lines.append(
        f"{n_eq} pure equilibri{'um' if n_eq == 1 else 'a'} found from {len(rounds)} start(s)"
        + (f", {unstable} of them unstable under best responses" if unstable else "")
        + f" ({res.solution.evaluations} candidate runs)."
        + (
            f" {rejected} other limit(s) of the search failed the deviation check "
            "(an actor gains by deviating on the grid) and are shown as such."
            if rejected
            else ""
        )
    )
    worst = res.worst
    assert worst is not None
    opt = res.optimum
    where = "the worst equilibrium" if n_eq > 1 else "equilibrium"
    for c in res.choose:
        eq = float(np.mean([v[c] for v in worst.choices.values()]))
        best = float(np.mean([v[c] for v in opt.choices.values()]))
        each = ", ".join(f"{a} {worst.choices[a][c]:.2f}" for a in res.actors)
        if abs(eq - best) < 0.005:
            lines.append(
                f"At {where} the actors' {c} averages {eq:.2f} ({each}), as at the optimum."
            )
            continue
        rel = f"{abs(eq - best) / best:.0%} " if best > 0 else ""
        lines.append(
            f"At {where} each actor's {c} averages {eq:.2f} ({each}): {rel}"
            f"{'less' if eq < best else 'more'} than at the cooperative optimum ({best:.2f})."
        )
    gap = res.failure_gap
    f_eq, f_opt = worst.point.failure.estimate, opt.point.failure.estimate
    if gap is None:
        text = f"P(failure) is {f_eq:.3f} at {where} against {f_opt:.3f} at the optimum"
    else:
        text = (
            f"Failure is {abs(100 * gap.estimate):.1f} points "
            f"{'higher' if gap.estimate >= 0 else 'lower'} at {where} than at the optimum "
            f"({f_eq:.3f} against {f_opt:.3f}; paired 95% interval {100 * gap.low:+.1f} to "
            f"{100 * gap.high:+.1f} points)"
        )
        if gap.low <= 0.0 <= gap.high:
            text += ", not distinguishable from zero"
    lines.append(text + f"; price of anarchy {res.price_of_anarchy:.2f}.")
    if "covert_rate" in res.choose:
        lines.append(pause_holds(res, worst))
    return lines


#: Largest equilibrium covert rate at which a coordinated pause is said to hold.
HOLDS_BELOW = 0.05


def pause_holds(res: EquilibriumResult, eq: Any) -> str:
    """Whether a coordinated pause holds at an equilibrium where actors choose ``covert_rate``."""
    rates = {a: eq.choices[a]["covert_rate"] for a in res.actors}
    each = ", ".join(f"{a} {v:.2f}" for a, v in rates.items())
    cheats = [a for a, v in rates.items() if v > HOLDS_BELOW]
    if not cheats:
        return (
            f"The coordinated pause holds: at equilibrium no actor secretly skips more than "
            f"{HOLDS_BELOW:.0%} of it ({each}); detection and the full pause imposed on a "
            "detected defector make defection not worth it (covert defection matters only "
            "while a pause is coordinated: global_pause, or political will)."
        )
    return (
        f"The coordinated pause does not hold: at equilibrium {', '.join(cheats)} secretly "
        f"skip{'s' if len(cheats) == 1 else ''} part of it (covert rate {each}); raising "
        "enforcement, AI monitoring labour or detection_rate makes defection costlier."
    )


def sweep_findings(sw: Sweep) -> list[str]:
    """What a sweep says, in words."""
    rows = sw.rows()
    first, last = rows[0], rows[-1]
    lines = []
    missing = [f"{r['value']:g}" for r in rows if not r["found"]]
    if missing:
        lines.append(f"No pure equilibrium was found at {sw.name} = {', '.join(missing)}.")
    if first["equilibrium_failure"] is not None and last["equilibrium_failure"] is not None:
        lines.append(
            f"As {sw.name} goes from {first['value']:g} to {last['value']:g}, P(failure) at the "
            f"worst equilibrium goes from {first['equilibrium_failure']['estimate']:.3f} to "
            f"{last['equilibrium_failure']['estimate']:.3f}; at the cooperative optimum from "
            f"{first['optimum_failure']['estimate']:.3f} to "
            f"{last['optimum_failure']['estimate']:.3f}."
        )
    counts = [f"{r['equilibria']} at {r['value']:g}" for r in rows]
    lines.append(f"Pure equilibria found: {', '.join(counts)}.")
    several = [r for r in rows if r["equilibria"] > 1]
    if several:
        lines.append(
            "Where there are several, the safest has P(failure) "
            + ", ".join(
                f"{r['best_equilibrium_failure']['estimate']:.3f} at {r['value']:g}"
                for r in several
            )
            + ": which equilibrium the actors reach matters as much as the swept value."
        )
    poa = [r["price_of_anarchy"] for r in rows if r["found"]]
    if poa:
        lines.append(f"The price of anarchy ranges from {min(poa):.2f} to {max(poa):.2f}.")
    if "covert_rate" in sw.results[0].choose:
        holds = [
            f"{v:g}"
            for v, r in zip(sw.values, sw.results, strict=True)
            if r.worst is not None
            and pause_holds(r, r.worst).startswith("The coordinated pause holds")
        ]
        lines.append(
            f"The coordinated pause holds (no actor skips more than {HOLDS_BELOW:.0%} of it at the "
            f"worst equilibrium) at {sw.name} = {', '.join(holds)}."
            if holds
            else f"The coordinated pause holds at no value of {sw.name} swept."
        )
    return lines
