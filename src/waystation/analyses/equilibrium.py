"""Strategic actors: what developers choose when each serves its own payoff.

Each actor chooses some of its own levers (``caution``, ``ai_safety_share``,
``eval_investment``, ...) within their bounds; its payoff weighs the world's
outcome, its own victory and a rival's (:mod:`waystation.game.payoffs`, the
scenario's ``payoffs:`` block). :func:`equilibrium` hands the simulation to
the solver of :mod:`waystation.game` as a game: every candidate profile of
choices is run on the *same* worlds (common random numbers), so best
responses compare paired estimates.

Cost: one run per candidate profile. The search runs ``search_worlds``
worlds per candidate (the first worlds of the full run: same seed); each
equilibrium found and the cooperative optimum are then re-run at the full
``worlds``, and their outcomes, payoffs and the price of anarchy are reported
from those runs with 95% intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from waystation.analyses._common import (
    Runner,
    ScenarioLike,
    as_scenario,
    check_worlds,
    running,
)
from waystation.api import compile_scenario
from waystation.conditions import parse_condition
from waystation.definitions import DEFAULT_WORLDS
from waystation.game.payoffs import WEIGHTS, Weights, actor_payoffs, victory_shares
from waystation.game.solver import (
    Array,
    Choice,
    Estimate,
    Evaluation,
    Point,
    Solution,
    SolverSettings,
    measure,
    solve,
)
from waystation.levers import LEVER_REGISTRY
from waystation.model import Model
from waystation.scenario import Scenario
from waystation.settings import RunSettings
from waystation.strategies import CONDITION_NAMES, Rule

#: Levers an actor chooses unless told otherwise.
DEFAULT_CHOOSE: tuple[str, ...] = ("caution",)
#: Worlds per candidate profile during the search (the report re-runs at ``worlds``).
DEFAULT_SEARCH_WORLDS = 1_000
#: What an actor knows of the capabilities when it chooses, and the two
#: situations it can then tell apart (a value of each chosen lever for each,
#: ``<lever>@<situation>``, applied as strategy rules on these conditions):
#: ``none``: nothing (one value per lever for the whole path); ``own``: its own
#: capability only (``early`` below the capability of automated alignment
#: research ``C_aar``, ``late`` from it on); ``public``: everyone's, through
#: the noise of its risk evaluation (``ahead``/``behind`` by its estimated
#: lead, ``lead_estimate``); ``lead``: everyone's, exactly (by the true lead).
INFORMATION_SITUATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "none": (),
    "own": (("early", "capability < C_aar"), ("late", "capability >= C_aar")),
    "public": (("ahead", "lead_estimate >= 0"), ("behind", "lead_estimate < 0")),
    "lead": (("ahead", "lead >= 0"), ("behind", "lead < 0")),
}
INFORMATION: tuple[str, ...] = tuple(INFORMATION_SITUATIONS)
_WHEN = {
    text: parse_condition(text, CONDITION_NAMES)
    for pairs in INFORMATION_SITUATIONS.values()
    for _, text in pairs
}


@dataclass(frozen=True)
class Question:
    """What :func:`equilibrium` asks: which levers are chosen, at what precision, with what payoffs.

    ``choose``: actor levers each actor chooses. ``payoffs``: payoff weights
    set for every actor, over the scenario's ``payoffs:`` block (registry
    names, :data:`waystation.params.PAYOFF_PARAMS`). ``overrides``: model
    inputs set for the whole question (e.g. ``{"spillover": 0.6}``).
    ``information``: one of :data:`INFORMATION`.
    """

    choose: tuple[str, ...] = DEFAULT_CHOOSE
    worlds: int = DEFAULT_WORLDS
    search_worlds: int = DEFAULT_SEARCH_WORLDS
    seed: int = 0
    solver: SolverSettings = field(default_factory=SolverSettings)
    payoffs: Mapping[str, float] = field(default_factory=dict)
    overrides: Mapping[str, float] = field(default_factory=dict)
    information: str = "none"

    def __post_init__(self) -> None:
        if self.information not in INFORMATION:
            raise ValueError(
                f"information must be one of {', '.join(INFORMATION)}, got {self.information!r}"
            )
        object.__setattr__(self, "choose", tuple(self.choose))
        check_choose(self.choose)
        check_worlds(self.worlds)
        check_worlds(self.search_worlds)
        if self.search_worlds > self.worlds:
            object.__setattr__(self, "search_worlds", self.worlds)
        for k in self.payoffs:
            if k not in WEIGHTS:
                raise ValueError(f"unknown payoff weight {k!r}; weights: {', '.join(WEIGHTS)}")


def check_choose(choose: Sequence[str]) -> None:
    """Raise ValueError unless ``choose`` names distinct actor levers."""
    if not choose:
        raise ValueError("choose at least one lever")
    bad = [c for c in choose if c not in LEVER_REGISTRY or LEVER_REGISTRY[c].scope != "actor"]
    if bad:
        actor_levers = [k for k, v in LEVER_REGISTRY.items() if v.scope == "actor"]
        raise ValueError(
            f"cannot choose {', '.join(bad)}: an actor chooses its own levers, one of "
            f"{', '.join(actor_levers)}"
        )
    if len(set(choose)) != len(choose):
        raise ValueError("choose: name each lever once")


class ModelGame:
    """The simulation model as a game: each evaluation is one run on common worlds."""

    def __init__(
        self,
        model: Model,
        choose: tuple[str, ...],
        weights: Weights,
        runner: Runner,
        worlds: int,
        information: str = "none",
    ) -> None:
        self.model, self.weights, self.runner, self.worlds = model, weights, runner, worlds
        self.choose, self.information = choose, information
        self._seen: dict[bytes, Evaluation] = {}
        self._choices = tuple(
            Choice(name, *LEVER_REGISTRY[name.split("@")[0]].bounds)
            for name in choice_names(choose, information)
        )
        for rule in model.strategy.rules:
            held = sorted(set(rule.levers) & set(choose))
            if held:
                raise ValueError(
                    f"strategy {model.strategy.name!r} sets {', '.join(held)} by rule, so no "
                    "actor can choose it: drop it from the choices or use another strategy"
                )

    @property
    def actors(self) -> tuple[str, ...]:
        """The scenario's actors."""
        return self.model.actors

    @property
    def choices(self) -> tuple[Choice, ...]:
        """The chosen levers with their registry bounds."""
        return self._choices

    def start(self) -> Array:
        """The scenario's own lever values (medians, where uncertain), ahead and behind alike."""
        return np.array(
            [[self.model.inputs[f"{a}.{c.name.split('@')[0]}"].median() for c in self.choices]
             for a in self.actors]
        )  # fmt: skip

    def _model_of(self, profile: Array) -> Model:
        """The model with a profile's choices: input overrides, or rules on the lead."""
        if self.information == "none":
            return self.model.with_overrides(self.overrides(profile))
        rules = list(self.model.strategy.rules)
        situations = INFORMATION_SITUATIONS[self.information]
        for i, a in enumerate(self.actors):
            for k, c in enumerate(self.choose):
                for j, (_, when) in enumerate(situations):
                    value = float(profile[i, len(situations) * k + j])
                    rules.append(Rule({c: value}, _WHEN[when], (a,)))
        strategy = replace(self.model.strategy, rules=tuple(rules))
        return self.model.with_strategy(strategy)

    def overrides(self, profile: Array) -> dict[str, float]:
        """Flat model inputs of a profile: ``{"<actor>.<lever>": value}``."""
        return {
            f"{a}.{c.name}": float(profile[i, k])
            for i, a in enumerate(self.actors)
            for k, c in enumerate(self.choices)
        }

    def evaluate(self, profile: Array) -> Evaluation:
        """Run the profile (once: repeated profiles are remembered)."""
        key = np.round(profile, 9).tobytes()
        if key not in self._seen:
            self._seen[key] = self._run(profile)
        return self._seen[key]

    def _run(self, profile: Array) -> Evaluation:
        res = self.runner.run(self._model_of(profile), self.worlds)
        assert res.records is not None
        rec = res.records
        wins = victory_shares(rec, self.model)
        costly = np.asarray(rec["p_costly_non_failure"], dtype=np.float64)
        failure = np.asarray(rec["p_failure"], dtype=np.float64)
        outcomes = {"victory": wins.sum(axis=1), "costly_non_failure": costly, "failure": failure}
        outcomes.update({f"{a}.wins": wins[:, i] for i, a in enumerate(self.actors)})
        return Evaluation(actor_payoffs(wins, costly, failure, self.weights), failure, outcomes)


@dataclass(frozen=True)
class Found:
    """One profile reported at full precision (an equilibrium or the optimum)."""

    choices: dict[str, dict[str, float]]
    point: Point
    stable: bool | None = None
    is_equilibrium: bool | None = None
    gains: tuple[Estimate, ...] = ()
    starts: tuple[int, ...] = ()

    def to_dict(self, actors: tuple[str, ...]) -> dict[str, Any]:
        """JSON-ready profile: choices, payoffs, welfare, outcomes (and checks)."""
        p = self.point
        out: dict[str, Any] = {
            "choices": self.choices,
            "payoffs": {a: p.payoffs[i].to_dict() for i, a in enumerate(actors)},
            "welfare": p.welfare.to_dict(),
            "outcomes": {k: v.to_dict() for k, v in p.outcomes.items()},
        }
        if self.is_equilibrium is not None:
            out.update(
                is_equilibrium=self.is_equilibrium,
                stable=self.stable,
                best_deviation_gain={
                    a: g.to_dict() for a, g in zip(actors, self.gains, strict=True)
                },
                starts=list(self.starts),
            )
        return out


@dataclass(frozen=True)
class EquilibriumResult:
    """Equilibria, cooperative optimum and price of anarchy of one scenario (``--json``).

    ``choose`` names what each actor chose (:func:`choice_names`: the levers,
    or ``<lever>@<situation>`` under an information regime that tells
    situations apart, :data:`INFORMATION_SITUATIONS`).
    """

    scenario: str
    actors: tuple[str, ...]
    choose: tuple[str, ...]
    seed: int
    worlds: int
    search_worlds: int
    weights: dict[str, dict[str, float]]
    equilibria: tuple[Found, ...]
    optimum: Found
    failure_gap: Estimate | None
    solution: Solution
    information: str = "none"
    #: Model inputs fixed for the whole question (``Question.overrides``, ``--set``).
    overrides: dict[str, float] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        """Whether a pure equilibrium was found."""
        return any(e.is_equilibrium for e in self.equilibria)

    @property
    def worst(self) -> Found | None:
        """The equilibrium with the highest P(failure)."""
        eqs = [e for e in self.equilibria if e.is_equilibrium]
        return max(eqs, key=lambda e: e.point.failure.estimate) if eqs else None

    @property
    def price_of_anarchy(self) -> float:
        """P(failure) at the worst equilibrium over P(failure) at the optimum (nan if none)."""
        w = self.worst
        if w is None:
            return float("nan")
        num, den = w.point.failure.estimate, self.optimum.point.failure.estimate
        return (1.0 if num <= 0.0 else float("inf")) if den <= 0.0 else num / den

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result (the ``--json`` output of ``waystation equilibrium``)."""
        s = self.solution
        return {
            "scenario": self.scenario,
            "actors": list(self.actors),
            "choose": list(self.choose),
            "information": self.information,
            "overrides": dict(self.overrides),
            "seed": self.seed,
            "worlds": self.worlds,
            "search_worlds": self.search_worlds,
            "payoff_weights": self.weights,
            "found": self.found,
            "equilibria": [e.to_dict(self.actors) for e in self.equilibria],
            "optimum": self.optimum.to_dict(self.actors),
            "price_of_anarchy": self.price_of_anarchy,
            "failure_gap": None if self.failure_gap is None else self.failure_gap.to_dict(),
            "evaluations": s.evaluations,
            "traces": [
                {
                    "start": t.start,
                    "converged": t.converged,
                    "rounds": len(t.moves),
                    "moves": list(t.moves),
                    "gains": list(t.gains),
                    "profiles": [self._choices_of(p) for p in t.profiles],
                }
                for t in s.traces
            ],
        }

    def _choices_of(self, profile: Array) -> dict[str, dict[str, float]]:
        return choices_of(self.actors, self.choose, profile)


def choice_names(choose: Sequence[str], information: str = "none") -> tuple[str, ...]:
    """What each actor chooses: the levers, or each lever in each situation it can tell apart."""
    situations = INFORMATION_SITUATIONS[information]
    if not situations:
        return tuple(choose)
    return tuple(f"{c}@{side}" for c in choose for side, _ in situations)


def choices_of(
    actors: tuple[str, ...], choose: tuple[str, ...], profile: Array
) -> dict[str, dict[str, float]]:
    """``{actor: {lever: value}}`` of a profile."""
    return {
        a: {c: float(profile[i, k]) for k, c in enumerate(choose)} for i, a in enumerate(actors)
    }


def scenario_weights(
    sc: Scenario, actors: tuple[str, ...], payoffs: Mapping[str, float]
) -> Weights:
    """Payoff weights: registry defaults, the scenario's block, then ``payoffs`` for everyone."""
    block = sc.payoffs
    shared: dict[str, float | None] = (
        {k: getattr(block, k) for k in WEIGHTS} if block is not None else {}
    )
    per_actor = {
        a: {k: getattr(spec, k) for k in WEIGHTS}
        for a, spec in ((getattr(block, "actors", None) or {}).items())
    }
    w = Weights.of(actors, shared, per_actor)
    for k, v in payoffs.items():
        w = w.replaced(k, v)
    return w


def equilibrium(
    scenario: ScenarioLike | Model,
    question: Question | None = None,
    settings: RunSettings | None = None,
) -> EquilibriumResult:
    """Equilibria of the actors' choices, the cooperative optimum and the price of anarchy.

    ``scenario`` is a scenario (object, shipped name or path) or a compiled
    model (whose payoffs then come from the registry and ``question``).
    ``settings.progress(done, total)`` is told of evaluations (runs), the
    total being an estimate that grows if the search takes longer.
    """
    q = question or Question()
    run = settings or RunSettings()
    if isinstance(scenario, Model):
        model, weights = scenario, Weights.of(scenario.actors)
        for k, v in q.payoffs.items():
            weights = weights.replaced(k, v)
    else:
        sc = as_scenario(scenario)
        model = compile_scenario(sc)
        weights = scenario_weights(sc, model.actors, q.payoffs)
    if q.overrides:
        model = model.with_overrides(dict(q.overrides))
    actors = model.actors
    report = run.progress
    names = choice_names(q.choose, q.information)
    estimate = _estimated_evaluations(len(actors), len(names), q.solver)
    with running(q.seed, 0, replace(run, progress=None)) as runner:
        game = ModelGame(model, q.choose, weights, runner, q.search_worlds, q.information)
        tick: Callable[[int], None] | None = None
        if report is not None:
            tick = lambda n: report(n, max(estimate, n + 1))  # noqa: E731
        sol = solve(game, q.solver, tick)
        full = ModelGame(model, q.choose, weights, runner, q.worlds, q.information)
        welfare = np.ones(len(actors)) if q.solver.welfare is None else np.array(q.solver.welfare)
        found = tuple(
            Found(
                choices_of(actors, names, e.point.profile),
                measure(full, e.point.profile, welfare),
                e.stable, e.is_equilibrium, e.gains, e.starts,
            )
            for e in sol.equilibria
        )  # fmt: skip
        best = Found(choices_of(actors, names, sol.optimum.profile),
                     measure(full, sol.optimum.profile, welfare))  # fmt: skip
        gap = None
        eqs = [e for e in found if e.is_equilibrium]
        if eqs:
            worst = max(eqs, key=lambda e: e.point.failure.estimate)
            gap = Estimate.of(
                full.evaluate(worst.point.profile).failure
                - full.evaluate(best.point.profile).failure
            )
    if report is not None:
        report(sol.evaluations, sol.evaluations)
    return EquilibriumResult(
        model.name, actors, names, q.seed, q.worlds, q.search_worlds,
        weights.to_dict(actors), found, best, gap, sol, q.information, dict(q.overrides),
    )  # fmt: skip


def _estimated_evaluations(actors: int, choices: int, s: SolverSettings) -> int:
    """A rough count of the runs a search takes: four rounds per start, then the checks."""
    per_round = actors * choices * (s.grid + 1)
    return s.starts * 4 * per_round + 3 * per_round
