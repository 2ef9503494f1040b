"""One registry of meanings: what every output of waystation says.

The CLI tables, the report, the explorer's hover text and every ``--json``
document (its ``definitions`` block) read their wording from here, so a
quantity means the same thing wherever it appears. Waystations, parameters
and levers keep their one-line meanings beside their own registries
(:data:`waystation.state.WAYSTATION_DEFINITIONS`, :data:`waystation.params.PARAMS`,
:data:`waystation.levers.LEVERS`); this module gathers them with the
outcomes, the analyses' quantities and the conventions they share.

Imports only the standard library and the registries above, so any output
path can use it cheaply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Literal

#: The one default world count of every command, analysis, the report and the
#: explorer, so that the same question gives the same number everywhere
#: (Monte Carlo s.e. of a probability near 0.84: 0.0026).
DEFAULT_WORLDS = 20_000

Kind = Literal["outcome", "waystation", "quantity", "convention", "parameter", "lever"]


@dataclass(frozen=True)
class Definition:
    """What one named output means: a short label, one or two sentences, its unit."""

    key: str
    kind: Kind
    label: str
    meaning: str
    unit: str = ""
    #: Whether the figure is an association between worlds, not a causal effect.
    association: bool = False

    def to_dict(self) -> dict[str, object]:
        """Plain dictionary, for ``--json`` and the web API."""
        return asdict(self)

    def text(self) -> str:
        """One line for a table footnote or a hover: label, meaning, unit."""
        unit = f" [{self.unit}]" if self.unit else ""
        note = " (an association across worlds, not an effect)" if self.association else ""
        return f"{self.label}{unit}: {self.meaning}{note}"


_D = Definition

OUTCOME_DEFINITIONS: tuple[Definition, ...] = (
    _D(
        "victory",
        "outcome",
        "victory",
        "some actor reaches superintelligence (C_si) with its frontier inside its safety "
        "range, before any lethal loss of control (essay 1, section 2)",
        "probability",
    ),
    _D(
        "costly_non_failure",
        "outcome",
        "costly non-failure",
        "neither victory nor failure by the horizon: no catastrophe, but no safe "
        "superintelligence either (restrained, still climbing unsafely, or safe below "
        "superintelligence when time runs out)",
        "probability",
    ),
    _D(
        "failure",
        "outcome",
        "failure",
        "a lethal (unrecoverable) loss of control by the horizon; its hazard grows as a "
        "frontier nears and passes the edge of its safety range",
        "probability",
    ),
    _D(
        "non_failure",
        "outcome",
        "non-failure",
        "victory or costly non-failure: 1 - P(failure)",
        "probability",
    ),
)

QUANTITY_DEFINITIONS: tuple[Definition, ...] = (
    _D(
        "standard_error",
        "quantity",
        "standard error (s.e.)",
        "Monte Carlo standard error of an estimate from the simulated worlds: it shrinks "
        "as 1/sqrt(worlds); it is not uncertainty about the model itself",
    ),
    _D(
        "plus_minus",
        "quantity",
        "±",
        "estimate ± the half-width of its 95% interval, which is 1.96 standard errors (in "
        "every table, the report and the explorer alike); a standard error alone is "
        "written s.e.",
    ),
    _D(
        "interval_95",
        "quantity",
        "95% interval",
        "estimate +/- 1.96 standard errors (paired over common worlds where two runs are "
        "compared); an interval that spans zero cannot tell the options apart",
    ),
    _D(
        "p_reached",
        "quantity",
        "P(reached)",
        "share of worlds in which the waystation is reached before the horizon",
        "probability",
    ),
    _D(
        "median_year",
        "quantity",
        "median year",
        "median year of arrival among the worlds that reach the waystation",
        "year",
    ),
    _D(
        "p_victory_given_reached",
        "quantity",
        "P(victory | reached)",
        "share of victories among worlds that reach the waystation",
        "probability",
        association=True,
    ),
    _D(
        "p_victory_given_not_reached",
        "quantity",
        "P(victory | not reached)",
        "share of victories among worlds that do not reach the waystation",
        "probability",
        association=True,
    ),
    _D(
        "difference",
        "quantity",
        "difference",
        "paired difference between two strategies on the same worlds: the later strategy "
        "minus the first one named (positive: the later one gives more of that outcome)",
        "probability",
    ),
    _D(
        "derivative",
        "quantity",
        "marginal value",
        "change in the objective per unit of the lever, by a central difference on common "
        "worlds around the strategy's setting",
        "objective per lever unit",
    ),
    _D(
        "per_cost",
        "quantity",
        "value per budget unit",
        "marginal value divided by the lever's cost per unit: how much of the objective one "
        "budget unit buys at the margin",
        "objective per budget unit",
    ),
    _D(
        "cost",
        "quantity",
        "cost per unit",
        "budget units one unit of the lever costs (illustrative, see docs/model.md)",
        "budget units per lever unit",
    ),
    _D(
        "budget_unit",
        "quantity",
        "budget unit",
        "one year of 1% of the frontier's research effort: the common currency in which "
        "levers are priced (illustrative)",
        "budget unit",
    ),
    _D(
        "objective",
        "quantity",
        "objective",
        "what an analysis maximises per world: 'victory' (1 if victory), 'non_failure' "
        "(1 unless failure) or 'utility' (victory 1, costly non-failure 0.5, failure 0 "
        "unless set otherwise)",
    ),
    _D(
        "first_order",
        "quantity",
        "first-order index (S1)",
        "Sobol: share of the variance of the objective explained by this input alone",
        "share of variance",
    ),
    _D(
        "total_order",
        "quantity",
        "total index (ST)",
        "Sobol: share of the variance involving this input, interactions included",
        "share of variance",
    ),
    _D(
        "mu_star",
        "quantity",
        "mu*",
        "Morris: mean absolute elementary effect of the input over its range (in units of "
        "the objective); ranks influence, not variance",
        "objective",
    ),
    _D(
        "voi",
        "quantity",
        "value of information",
        "expected gain in the objective from learning the input before choosing among the "
        "strategies, compared with choosing the best strategy without knowing it",
        "objective",
    ),
    _D(
        "outside_safety_range",
        "quantity",
        "beyond the safety range",
        "share of worlds in which an actor's capability frontier has passed its effective "
        "safety range (its own range plus any hardening that still covers it), the region "
        "where the hazard of losing control is high",
        "share of worlds",
    ),
    _D(
        "reached_by",
        "quantity",
        "P(reached by year)",
        "share of worlds that have reached the waystation by that year, each counted with "
        "its chance of still being intact on arrival; at the horizon it equals P(reached)",
        "probability",
    ),
    _D(
        "competence_frontier",
        "quantity",
        "50% frontier",
        "the problem hardness at which P(non-failure) falls to one half under the strategy",
        "hardness",
    ),
    _D(
        "hardness",
        "quantity",
        "hardness",
        "labour needed per unit of safety progress, relative to a baseline: part of the "
        "problem profile that nature sets and no strategy can see",
        "x baseline",
    ),
)

CONVENTION_DEFINITIONS: tuple[Definition, ...] = (
    _D(
        "difference_sign",
        "convention",
        "sign of a difference",
        "every difference is 'second minus first': compare -s A -s B reports B - A, and the "
        "explorer reports edited - baseline",
    ),
    _D(
        "default_worlds",
        "convention",
        "default precision",
        f"every command and the explorer simulate {DEFAULT_WORLDS:,} worlds unless told "
        "otherwise, so the same scenario, strategy and seed give the same figures everywhere",
        "worlds",
    ),
    _D(
        "frozen_worlds",
        "convention",
        "won worlds freeze",
        "a world stops changing once it is won, so quantiles taken over all worlds level "
        "off as more worlds are won: the plateau is worlds finishing, not progress stopping",
    ),
    _D(
        "common_worlds",
        "convention",
        "common worlds",
        "runs with the same scenario, seed and world count share nature's draws world by "
        "world, so differences between strategies are paired",
    ),
)


#: Quantities that only the CLI's tables and ``--json`` documents show.
TABLE_DEFINITIONS: tuple[Definition, ...] = (
    _D(
        "costly_non_failure_breakdown",
        "quantity",
        "costly non-failure breakdown",
        "shares of all worlds that end in costly non-failure, by their state at the horizon: "
        "restrained (the actors at least half paused on average), still climbing unsafely "
        "(some frontier outside its safety range), or safe below superintelligence",
        "probability",
    ),
    _D(
        "median_victory_year",
        "quantity",
        "median year of victory",
        "median year in which victory comes, among the worlds that reach it",
        "year",
    ),
    _D(
        "final_state",
        "quantity",
        "final state",
        "each actor's capability frontier and safety range at the horizon (or at victory), "
        "as 5%, 50% and 95% quantiles over worlds, in orders of magnitude above 2026",
        "OOM above 2026",
    ),
    _D(
        "sweet_spot_years",
        "quantity",
        "years in the sweet spot",
        "mean over worlds of the years spent with AI useful for safety (at or past C_aar) yet "
        "below superintelligence and inside the safety range",
        "years",
    ),
    _D(
        "sigma",
        "quantity",
        "sigma",
        "Morris: spread of the input's elementary effects; large next to mu* means the "
        "effect depends on the other inputs (interactions or non-linearity)",
        "objective",
    ),
    _D(
        "gain",
        "quantity",
        "gain",
        "the optimum's objective minus the scenario's own, both re-estimated on fresh worlds "
        "(the next seed) so the search's luck does not inflate it",
        "objective",
    ),
    _D(
        "calibration_band",
        "quantity",
        "calibration band",
        "the range of a published figure (forecasts, surveys, estimates) that the model's "
        "value should fall inside; 'inside' checks the value, not its error",
    ),
)


#: Quantities of ``waystation equilibrium`` (strategic actors).
GAME_DEFINITIONS: tuple[Definition, ...] = (
    _D(
        "payoff",
        "quantity",
        "payoff",
        "what an actor gets from a world: the value of victory (more if its own system "
        "wins, less by its enmity if a rival's does), of costly non-failure or of failure, "
        "weighted by their probabilities",
        "utility",
    ),
    _D(
        "equilibrium",
        "quantity",
        "equilibrium",
        "choices from which no actor gains by changing its own levers alone (a pure Nash "
        "equilibrium on the levers' grid, refined between grid points), found by iterated "
        "best response on common worlds",
    ),
    _D(
        "best_deviation_gain",
        "quantity",
        "best deviation gain",
        "the most an actor's payoff rises by changing its own levers alone; at an "
        "equilibrium it is zero within its paired 95% interval",
        "utility",
    ),
    _D(
        "stable_equilibrium",
        "quantity",
        "stable",
        "best responses from choices moved a little away from the equilibrium come back "
        "towards it; an unstable equilibrium would not be reached by actors adjusting",
    ),
    _D(
        "cooperative_optimum",
        "quantity",
        "cooperative optimum",
        "the choices that maximise the sum of the actors' payoffs, as if they chose "
        "together (searched lever by lever, and for every actor at once)",
    ),
    _D(
        "price_of_anarchy",
        "quantity",
        "price of anarchy",
        "P(failure) at the worst equilibrium divided by P(failure) at the cooperative "
        "optimum: how much riskier the actors' own choices are than a coordinated choice",
        "ratio",
    ),
)


def _registry() -> dict[str, Definition]:
    from waystation.levers import LEVERS
    from waystation.params import PARAMS, PAYOFF_PARAMS
    from waystation.state import WAYSTATION_DEFINITIONS

    out: dict[str, Definition] = {}
    for d in (
        *OUTCOME_DEFINITIONS,
        *QUANTITY_DEFINITIONS,
        *CONVENTION_DEFINITIONS,
        *TABLE_DEFINITIONS,
        *GAME_DEFINITIONS,
    ):
        out[d.key] = d
    for key, meaning in WAYSTATION_DEFINITIONS.items():
        out[key] = _D(key, "waystation", key.replace("_", " "), meaning)
    for p in (*PARAMS, *PAYOFF_PARAMS):
        out.setdefault(p.name, _D(p.name, "parameter", p.name, p.meaning, p.unit))
    for lv in LEVERS:
        cost = f"; costs {lv.cost:g} budget units per {lv.unit}" if lv.cost else ""
        out.setdefault(lv.name, _D(lv.name, "lever", lv.name, lv.meaning + cost, lv.unit))
    return out


DEFINITIONS: MappingProxyType[str, Definition] = MappingProxyType(_registry())


def define(key: str) -> Definition:
    """The definition of ``key``; a KeyError names the keys that exist."""
    try:
        return DEFINITIONS[key]
    except KeyError:
        raise KeyError(
            f"no definition of {key!r}; known: {', '.join(sorted(DEFINITIONS))}"
        ) from None


def definitions_block(*keys: str) -> dict[str, dict[str, object]]:
    """The ``definitions`` block of a ``--json`` document: the named keys (all if none)."""
    chosen = keys or tuple(DEFINITIONS)
    return {k: define(k).to_dict() for k in dict.fromkeys(chosen)}
