"""The scenario schema: what a scenario file may say, validated by pydantic.

The groups of inputs are generated from the parameter and lever registries,
so every key a scenario accepts has a registry entry with unit, bounds,
default and source, and unknown keys are refused. Values may be numbers or
distribution specs (:mod:`waystation.distributions`). :func:`compile_model`
turns a validated scenario (and a strategy) into the :class:`~waystation.model.Model`
the engine runs. Reading files lives in :mod:`waystation.io`.
"""

from __future__ import annotations

import difflib
import math
import sys
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)

from waystation.checks import (
    SHARE_GROUPS,
    CheckError,
    RuleSetting,
    check_correlations,
    check_rank,
    check_shares,
    top_value,
)
from waystation.conditions import ConditionError, parse_condition
from waystation.distributions import Dist, DistributionError, parse_dist
from waystation.levers import ACTOR_LEVERS, GLOBAL_LEVERS, LEVER_REGISTRY
from waystation.model import ACTOR_PARAMS, WORLD_PARAMS, Model
from waystation.params import PAYOFF_PARAMS, REGISTRY, params_in
from waystation.strategies import BUILTIN_STRATEGIES, CONDITION_NAMES, Rule, Strategy

_FORBID = ConfigDict(extra="forbid")
_VALUE_SCHEMA = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "description": "'lo to hi' (90% interval) or e.g. 'beta(2, 3)'"},
        {"type": "object", "description": "{dist: name, ...parameters, truncate: [lo, hi]}"},
    ]
}


def _as_number(value: Any) -> float:
    """Accept an int or float (never a bool, which YAML makes of 'no' and 'yes')."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    _in_float_range(value)
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return float(value)


def _as_value(value: Any) -> float | str | dict[str, Any]:
    """Accept a number or a distribution spec that parses (bounds are checked per field)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | dict):
        raise ValueError(f"expected a number or a distribution such as '1 to 3', got {value!r}")
    _in_float_range(value)
    try:
        parse_dist(value)
    except DistributionError as err:
        raise ValueError(str(err)) from None
    return value if not isinstance(value, int) else float(value)


def _in_float_range(value: Any) -> None:
    """Refuse an integer too large for a float (as Python data, e.g. from JSON, may hold)."""
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise ValueError("expected a number within the range of a 64-bit float (about ±1.8e308)")


Number = Annotated[float, PlainValidator(_as_number), WithJsonSchema({"type": "number"})]
Value = Annotated[
    float | str | dict[str, Any], PlainValidator(_as_value), WithJsonSchema(_VALUE_SCHEMA)
]


def check_bounds(name: str, value: Any, bounds: tuple[float, float]) -> None:
    """Raise ValueError unless a constant lies in bounds, or a distribution's 90% range does."""
    dist = parse_dist(value)
    lo, hi = bounds
    if dist.is_constant:
        x = dist.median()
        if not lo <= x <= hi:
            raise ValueError(f"{name} = {x:g} is outside its bounds [{lo:g}, {hi:g}]")
        return
    q05, q95 = (float(v) for v in dist.ppf([0.05, 0.95]))
    scale = max(abs(lo), abs(hi), abs(q05), abs(q95))
    if _below(q05, lo, scale) or _below(hi, q95, scale):
        side = f"below {lo:.6g}" if _below(q05, lo, scale) else f"above {hi:.6g}"
        raise ValueError(
            f"{name}: the 90% range [{q05:.6g}, {q95:.6g}] ({dist.kind}) reaches {side}; "
            f"expected a range within the bounds [{lo:g}, {hi:g}]"
        )


def _below(x: float, bound: float, scale: float) -> bool:
    """``x < bound`` beyond rounding: a 90% range given at the bounds exactly is inside them.

    Fitting ``0.01 to 100`` (or ``0 to 1e6``) and reading its quantiles back
    loses a few ulps of the numbers involved (0.010000000000000002,
    -1.75e-10), which must not refuse the range the user wrote; ``scale`` is
    the size of those numbers.
    """
    return x < bound - 1e-9 * scale


def _bounds_validator(registry_bounds: dict[str, tuple[float, float]]) -> Any:
    """A pydantic field validator checking every field against its registry bounds."""

    def check(cls: Any, value: Any, info: Any) -> Any:
        if value is not None:
            check_bounds(info.field_name, value, registry_bounds[info.field_name])
        return value

    return field_validator("*")(check)


def _group(name: str, names: tuple[str, ...], doc: str) -> type[BaseModel]:
    """Build a strict model with one optional ``Value`` field per registry name."""
    fields: dict[str, Any] = {}
    bounds: dict[str, tuple[float, float]] = {}
    for key in names:
        entry = REGISTRY.get(key) or LEVER_REGISTRY[key]
        text = f"{entry.meaning} [{entry.unit}]; default {entry.default}; source: {entry.source}"
        fields[key] = (Value | None, Field(default=None, description=text))
        bounds[key] = entry.bounds
    model: type[BaseModel] = create_model(
        name,
        __config__=_FORBID,
        __doc__=doc,
        __validators__={"bounds": _bounds_validator(bounds)},
        **fields,
    )
    return model


NatureSpec = _group(
    "NatureSpec",
    tuple(p.name for p in params_in("nature")),
    "Priors of the problem profile, drawn once per world.",
)
WorldSpec = _group(
    "WorldSpec", tuple(p.name for p in params_in("world")), "Calibration of the shared dynamics."
)
LeverDefaults = _group(
    "LeverDefaults",
    GLOBAL_LEVERS + ACTOR_LEVERS,
    "Global levers, and defaults of actor levers for every actor.",
)
ActorLevers = _group("ActorLevers", ACTOR_LEVERS, "One actor's levers.")


def _payoff_group(name: str, doc: str, **extra: Any) -> type[BaseModel]:
    """A strict model with one optional number per payoff weight, checked against its bounds."""
    fields: dict[str, Any] = {
        p.name: (
            Number | None,
            Field(default=None, description=f"{p.meaning} [{p.unit}]; default {p.default}; "
                  f"source: {p.source}"),
        )
        for p in PAYOFF_PARAMS
    }  # fmt: skip
    fields.update(extra)
    bounds = {p.name: p.bounds for p in PAYOFF_PARAMS}

    def check(cls: Any, value: Any, info: Any) -> Any:
        if value is not None and info.field_name in bounds:
            check_bounds(info.field_name, value, bounds[info.field_name])
        return value

    model: type[BaseModel] = create_model(
        name, __config__=_FORBID, __doc__=doc,
        __validators__={"bounds": field_validator("*")(check)}, **fields,
    )  # fmt: skip
    return model


PayoffWeights = _payoff_group("PayoffWeights", "One actor's payoff weights (strategic actors).")
PayoffSpec = _payoff_group(
    "PayoffSpec",
    "Payoff weights of every actor, and per-actor overrides (``waystation equilibrium``).",
    actors=(dict[str, PayoffWeights] | None, Field(default=None)),  # type: ignore[valid-type]
)


class TimeSpec(BaseModel):
    """The simulated calendar: start year, horizon and time step (years)."""

    model_config = _FORBID
    #: Defaults are the registry's (``waystation params``, docs/model.md): dt 0.125 years.
    start: Number = float(REGISTRY["start"].default)
    horizon: Number = float(REGISTRY["horizon"].default)
    dt: Number = float(REGISTRY["dt"].default)

    @model_validator(mode="after")
    def _consistent(self) -> TimeSpec:
        for key in ("start", "horizon", "dt"):
            check_bounds(key, getattr(self, key), REGISTRY[key].bounds)
        if self.horizon <= self.start:
            raise ValueError(f"horizon {self.horizon:g} must come after start {self.start:g}")
        return self


class ActorSpec(BaseModel):
    """One AI developer: its starting frontier and safety range, labour and levers."""

    model_config = _FORBID
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
    description: str = ""
    frontier: Value | None = None
    safety_range: Value | None = None
    safety_researchers: Value | None = None
    capability_researchers: Value | None = None
    compute_scale: Value | None = None
    levers: ActorLevers = Field(default_factory=ActorLevers)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _bounds(self) -> ActorSpec:
        for key in ACTOR_PARAMS:
            value = getattr(self, key)
            if value is not None:
                check_bounds(key, value, REGISTRY[key].bounds)
        return self


class RuleSpec(BaseModel):
    """A strategy rule: while ``when`` holds, ``set`` levers for ``actors`` (all if omitted)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    when: str | None = None
    actors: list[str] | None = None
    set_: dict[str, Number] = Field(alias="set", min_length=1)

    @field_validator("when")
    @classmethod
    def _parse(cls, text: str | None) -> str | None:
        if text is not None:
            try:
                parse_condition(text, CONDITION_NAMES)
            except ConditionError as err:
                raise ValueError(str(err)) from None
        return text

    @model_validator(mode="after")
    def _levers(self) -> RuleSpec:
        for name, value in self.set_.items():
            if name not in LEVER_REGISTRY:
                raise ValueError(f"unknown lever {name!r}{_suggest(name, LEVER_REGISTRY)}")
            lever = LEVER_REGISTRY[name]
            if lever.scope == "global" and self.actors is not None:
                raise ValueError(f"{name} is a global lever and cannot be set for some actors")
            check_bounds(name, value, lever.bounds)
        return self


class StrategySpec(BaseModel):
    """A named strategy: a description and rules; later rules override earlier ones."""

    model_config = _FORBID
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    rules: list[RuleSpec] = Field(default_factory=list, max_length=100)


class CorrelationSpec(BaseModel):
    """A rank (Spearman) correlation between two uncertain inputs."""

    model_config = _FORBID
    between: tuple[str, str]
    rank: Number

    @field_validator("rank")
    @classmethod
    def _rank(cls, rank: float) -> float:
        check_rank(rank)
        return rank


class Scenario(BaseModel):
    """A scenario: actors, problem-profile priors, calibration, levers and a strategy."""

    model_config = _FORBID
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    time: TimeSpec = Field(default_factory=TimeSpec)
    nature: NatureSpec = Field(default_factory=NatureSpec)  # type: ignore[valid-type]
    world: WorldSpec = Field(default_factory=WorldSpec)  # type: ignore[valid-type]
    levers: LeverDefaults = Field(default_factory=LeverDefaults)  # type: ignore[valid-type]
    actors: list[ActorSpec] = Field(min_length=1, max_length=20)
    correlations: list[CorrelationSpec] = Field(default_factory=list)
    strategy: str | StrategySpec | None = None
    payoffs: PayoffSpec | None = None  # type: ignore[valid-type]

    @field_validator("actors")
    @classmethod
    def _unique(cls, actors: list[ActorSpec]) -> list[ActorSpec]:
        names = [a.name for a in actors]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"actor names must be unique; repeated: {', '.join(dupes)}")
        return actors

    @field_validator("payoffs")
    @classmethod
    def _payoff_actors(cls, payoffs: Any, info: ValidationInfo) -> Any:
        names = [a.name for a in info.data.get("actors") or []]
        for name in getattr(payoffs, "actors", None) or {}:
            if names and name not in names:
                raise ValueError(f"payoffs name unknown actor {name!r}{_suggest(name, names)}")
        return payoffs

    @field_validator("correlations")
    @classmethod
    def _correlated_inputs(
        cls, correlations: list[CorrelationSpec], info: ValidationInfo
    ) -> list[CorrelationSpec]:
        needed = ("nature", "world", "levers", "actors")
        if not correlations or any(k not in info.data for k in needed):
            return correlations
        inputs = _input_specs(*(info.data[k] for k in needed))
        for corr in correlations:
            for name in corr.between:
                if name not in inputs:
                    hint = _suggest(name, inputs)
                    raise ValueError(f"correlation names unknown input {name!r}{hint}")
                if parse_dist(inputs[name]).is_constant:
                    raise ValueError(f"correlation names {name!r}, which is not uncertain")
        return correlations

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        if isinstance(self.strategy, str) and self.strategy not in BUILTIN_STRATEGIES:
            hint = _suggest(self.strategy, BUILTIN_STRATEGIES)
            raise ValueError(f"unknown strategy {self.strategy!r}{hint}")
        if isinstance(self.strategy, StrategySpec):
            check_rule_actors(self.strategy, [a.name for a in self.actors])
        return self


def check_rule_actors(strategy: StrategySpec, actors: list[str]) -> None:
    """Raise ValueError if a rule selects an actor the scenario does not have."""
    for rule in strategy.rules:
        for name in rule.actors or []:
            if name not in actors:
                raise ValueError(
                    f"strategy {strategy.name!r} selects unknown actor {name!r}"
                    f"{_suggest(name, actors)}"
                )


def _suggest(name: str, known: Any) -> str:
    """A ' (did you mean ...?)' hint from the closest known names, or ''."""
    close = difflib.get_close_matches(name, list(known), n=2)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def input_specs(scenario: Scenario) -> dict[str, Any]:
    """Every model input under its flat name, with the scenario's value or the default."""
    return _input_specs(scenario.nature, scenario.world, scenario.levers, scenario.actors)


def _input_specs(
    nature: BaseModel, world: BaseModel, levers: BaseModel, actors: list[ActorSpec]
) -> dict[str, Any]:
    """Flat input specs from the validated groups of a scenario."""
    specs: dict[str, Any] = {}
    for group in (nature, world):
        for key, value in group:
            specs[key] = REGISTRY[key].default if value is None else value
    shared: dict[str, Any] = dict(levers)
    for key in GLOBAL_LEVERS:
        specs[key] = LEVER_REGISTRY[key].default if shared[key] is None else shared[key]
    for actor in actors:
        for key in ACTOR_PARAMS:
            value = getattr(actor, key)
            specs[f"{actor.name}.{key}"] = REGISTRY[key].default if value is None else value
        own: dict[str, Any] = dict(actor.levers)
        for key in ACTOR_LEVERS:
            value = own[key] if own[key] is not None else shared[key]
            specs[f"{actor.name}.{key}"] = LEVER_REGISTRY[key].default if value is None else value
    assert set(WORLD_PARAMS) <= set(specs)
    return specs


def strategy_spec(strategy: str | StrategySpec | None, scenario: Scenario) -> StrategySpec:
    """Resolve a strategy given by built-in name or spec (default: the scenario's own)."""
    chosen = strategy if strategy is not None else scenario.strategy
    if chosen is None:
        chosen = "default"
    if isinstance(chosen, StrategySpec):
        return chosen
    if chosen not in BUILTIN_STRATEGIES:
        raise ValueError(
            f"unknown strategy {chosen!r}{_suggest(chosen, BUILTIN_STRATEGIES)}; "
            f"built-in: {', '.join(BUILTIN_STRATEGIES)}"
        )
    return StrategySpec.model_validate({"name": chosen, **BUILTIN_STRATEGIES[chosen]})


def compile_strategy(spec: StrategySpec, actors: list[str]) -> Strategy:
    """Turn a validated strategy spec into the engine's :class:`Strategy`."""
    check_rule_actors(spec, actors)
    rules = tuple(
        Rule(
            levers=dict(r.set_),
            when=None if r.when is None else parse_condition(r.when, CONDITION_NAMES),
            actors=None if r.actors is None else tuple(r.actors),
        )
        for r in spec.rules
    )
    return Strategy(spec.name, spec.description, rules)


KeyPath = tuple[str | int, ...]


def static_problems(
    scenario: Scenario, strategy: str | StrategySpec | None = None
) -> list[tuple[KeyPath, str]]:
    """Problems only the whole scenario reveals, with the key path to cite.

    Correlations that cannot be imposed together, and per-actor shares of
    labour that can sum past 1 (``checks.SHARE_GROUPS``) under the strategy
    (default: the scenario's own), rules included.
    """
    problems: list[tuple[KeyPath, str]] = []
    pairs = [(c.between[0], c.between[1], c.rank) for c in scenario.correlations]
    try:
        check_correlations(pairs)
    except CheckError as err:
        problems.append((("correlations", err.item or 0), str(err)))
    spec = strategy_spec(strategy, scenario)
    own_rules = strategy is None and isinstance(scenario.strategy, StrategySpec)
    specs = input_specs(scenario)
    names = [n for group in SHARE_GROUPS for n in group if n in LEVER_REGISTRY]
    for a, actor in enumerate(scenario.actors):
        base = {n: top_value(specs[f"{actor.name}.{n}"], LEVER_REGISTRY[n].bounds) for n in names}
        rules = [
            RuleSetting(i, r.when is None, {k: v for k, v in r.set_.items() if k in base})
            for i, r in enumerate(spec.rules)
            if (r.actors is None or actor.name in r.actors) and set(r.set_) & set(base)
        ]
        try:
            check_shares(actor.name, base, rules)
        except CheckError as err:
            if err.item is None:
                problems.append((("actors", a, "levers"), str(err)))
            elif own_rules:
                problems.append((("strategy", "rules", err.item), str(err)))
            else:
                problems.append((("strategy",), f"strategy {spec.name!r}: {err}"))
    return problems


def compile_model(scenario: Scenario, strategy: str | StrategySpec | None = None) -> Model:
    """The engine's :class:`Model` for a scenario under a strategy.

    Raises ValueError for what :func:`static_problems` finds (e.g. a strategy
    whose rules push an actor's shares of labour past 1).
    """
    problems = static_problems(scenario, strategy)
    if problems:
        raise ValueError("; ".join(message for _, message in problems))
    actors = [a.name for a in scenario.actors]
    inputs: dict[str, Dist] = {k: parse_dist(v) for k, v in input_specs(scenario).items()}
    spec = strategy_spec(strategy, scenario)
    return Model(
        name=scenario.name,
        description=scenario.description,
        actors=tuple(actors),
        inputs=inputs,
        start=scenario.time.start,
        horizon=scenario.time.horizon,
        dt=scenario.time.dt,
        correlations={tuple(c.between): c.rank for c in scenario.correlations},  # type: ignore[misc]
        strategy=compile_strategy(spec, actors),
    )
