"""The report's prose sections, as plain text: methods, assumptions, definitions, limitations.

Meanings come from :mod:`waystation.definitions`; assumptions are read from
the scenario and from each strategy's compiled rules, so the words always say
what was simulated.
"""

from __future__ import annotations

from waystation.definitions import DEFINITIONS, Definition
from waystation.levers import LEVER_REGISTRY
from waystation.model import Model
from waystation.report.data import COMPETENCE_GRID, ReportData
from waystation.state import WAYSTATIONS
from waystation.strategies import BUILTIN_STRATEGIES, Rule

#: Definition keys the report's sections use, in the order the glossary lists them.
GLOSSARY: tuple[str, ...] = (
    "victory",
    "costly_non_failure",
    "failure",
    "non_failure",
    *WAYSTATIONS,
    "standard_error",
    "interval_95",
    "common_worlds",
    "difference",
    "difference_sign",
    "p_reached",
    "median_year",
    "p_victory_given_reached",
    "p_victory_given_not_reached",
    "hardness",
    "competence_frontier",
    "derivative",
    "per_cost",
    "cost",
    "budget_unit",
    "mu_star",
    "default_worlds",
)


def glossary() -> list[Definition]:
    """The definitions the report uses (conditional waystation figures are associations)."""
    return [DEFINITIONS[k] for k in GLOSSARY if k in DEFINITIONS]


def strategy_text(name: str, model: Model) -> str:
    """A strategy's own description (built-in) or the name of its file."""
    spec = BUILTIN_STRATEGIES.get(name)
    if spec:
        return str(spec["description"])
    return model.strategy.description or "a strategy read from a file"


def when_text(rule: Rule) -> str:
    """When and for whom a rule applies, in words."""
    who = "" if rule.actors is None else f" for {', '.join(rule.actors)}"
    when = "always" if rule.when is None else f"while {rule.when.text}"
    return when + who


def setting_text(name: str, value: float) -> str:
    """``lever = value unit``, e.g. ``global_pause = 1 (fraction of development paused)``."""
    unit = LEVER_REGISTRY[name].unit if name in LEVER_REGISTRY else ""
    return f"{name} = {value:g}" + (f" ({unit})" if unit else "")


def rules_text(model: Model) -> list[str]:
    """One sentence per rule of the strategy: when it applies and what it sets."""
    if not model.strategy.rules:
        return ["No rules: every lever keeps the scenario's value."]
    out = []
    for rule in model.strategy.rules:
        sets = ", ".join(setting_text(n, v) for n, v in rule.levers.items())
        out.append(f"{when_text(rule).capitalize()}: sets {sets}.")
    return out


def strategy_settings(model: Model) -> dict[str, str]:
    """What the strategy sets for each lever it touches, by lever, in rule order."""
    out: dict[str, list[str]] = {}
    for rule in model.strategy.rules:
        for name, value in rule.levers.items():
            out.setdefault(name, []).append(f"{value:g} {when_text(rule)}")
    return {k: "; then ".join(v) for k, v in out.items()}


def scenario_levers(model: Model) -> dict[str, str]:
    """The scenario's own value of every lever, before any rule (per actor where they differ)."""
    from waystation.levers import LEVERS

    out = {}
    for lv in LEVERS:
        if lv.name in model.inputs:
            out[lv.name] = f"{model.inputs[lv.name].median():g}"
            continue
        per = {a: model.inputs[f"{a}.{lv.name}"].median() for a in model.actors}
        vals = set(per.values())
        out[lv.name] = (
            f"{vals.pop():g}"
            if len(vals) == 1
            else "; ".join(f"{a}: {v:g}" for a, v in per.items())
        )
    return out


def execution(data: ReportData) -> str:
    """How the report's runs were executed, from its results and run settings.

    The backend is the one that stepped the worlds (a result records it: the
    fused kernel's variant, or numpy where the kernel could not be built);
    where they ran is the run settings' engine and workers. None of it
    changes a number beyond the backend's last bits.
    """
    how = data.run
    stepped = sorted({r.backend for r in data.results.values() if r.backend}) or [how.backend]
    if how.executor is not None:
        where = f"on a given executor, {how.workers} blocks at a time"
    elif how.engine == "dask":
        cluster = f"at {how.address}" if how.address else f"of {how.workers} local workers"
        where = f"on a Dask cluster {cluster}"
    elif how.engine == "threads":
        where = f"on {how.workers} threads in one process"
    else:
        where = "in one process" if how.workers == 1 else f"in {how.workers} worker processes"
    return (
        f"stepped by the {' and '.join(stepped)} backend {where}, in blocks of up to "
        f"{how.block_size:,} worlds"
    )


def methods(data: ReportData) -> list[str]:
    """What was simulated, how much, how it was executed and how the intervals are computed."""
    st, m = data.settings, data.model
    n = len(data.results)
    inputs = len(m.uncertain())
    return [
        f"Every strategy was simulated on the same {st.worlds:,} possible worlds (seed "
        f"{st.seed}), from {m.start:g} to {m.horizon:g} in steps of {m.dt:g} years, "
        f"{execution(data)} (waystation {data.version}). Each world draws its "
        f"problem profile and calibration ({inputs} uncertain inputs) from the scenario's "
        "priors; with common worlds, world i has the same draws and shocks under each of the "
        f"{n} strategies, so differences between strategies are paired world by world.",
        f"Every analysis was run for every strategy, on the same seed. Competence profile: "
        f"hardness fixed at {', '.join(f'{h:g}' for h in COMPETENCE_GRID)} x baseline, "
        f"{st.analysis_worlds:,} worlds each. Levers: central differences of 5% of each "
        f"lever's range on {st.analysis_worlds:,} worlds, for every lever the strategy's "
        "rules leave free. Sensitivity: Morris screening of every uncertain input with "
        f"{st.trajectories} trajectories, levels spanning each input's 2.5% to 97.5% "
        "quantiles. Calibration: the scenario without strategy rules, "
        f"{st.calibration_worlds:,} worlds.",
        "Intervals are 95% Monte Carlo intervals (1.96 standard errors over worlds; "
        "bootstrap for the competence frontier and Morris μ*), and ± is always the "
        "half-width of one. They measure simulation noise only, not uncertainty about the "
        "model's structure or its priors.",
    ]


LIMITATIONS: tuple[str, ...] = (
    "Parameters are illustrative. A few inputs are calibrated to published forecasts "
    "(see the calibration table and docs/model.md section 10); most priors and every "
    "lever cost are judgement calls meant to make the essay's argument computable, not "
    "estimates of the world.",
    "The model is a deliberately small abstraction: a handful of actors, one capability "
    "number and one safety range per actor, a hazard that grows near the range's edge. "
    "It leaves out, among much else, the content of alignment techniques, misuse by "
    "humans, multipolar dynamics beyond a lead and sabotage, economic and political "
    "feedbacks other than political will, and any benefit or harm after the horizon.",
    "Strategies are rule sets that are followed as written: the model assumes that what "
    "a strategy sets (a pause, a share of labour, a moratorium) is agreed and kept to "
    "the stated degree. Whether such agreements are achievable is outside the model.",
    "Probabilities are conditional on the scenario's priors; the sensitivity section "
    "shows which of them matter most, and changing them can reorder the strategies.",
    "Waystation figures are associations across worlds: worlds that reach a waystation "
    "differ from worlds that do not in many ways, so P(victory | reached) is not the "
    "effect of reaching it.",
    "Analyses use fewer worlds than the main runs and a coarse hardness grid to keep the "
    "report's cost bounded; their intervals are correspondingly wider.",
)
