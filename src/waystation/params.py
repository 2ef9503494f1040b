"""The parameter registry: every model input as data.

Each :class:`Param` carries a name, unit, bounds, default, source and a
one-line meaning. The same objects feed scenario validation, Monte Carlo
priors, sensitivity analysis, reports and the web page's controls.

Groups:

- ``time`` -- the simulated calendar.
- ``nature`` -- the *problem profile*: technical facts set by nature that no
  strategy can change (essay section 3). Drawn once per world.
- ``world`` -- calibration of the dynamics shared by all actors (growth trends,
  thresholds, feedback strengths). May also be uncertain.
- ``actor`` -- each developer's starting point and labour.
- ``payoff`` -- what each developer values, for strategic actors
  (``waystation equilibrium``): kept apart in :data:`PAYOFF_PARAMS`, since
  they are not inputs of the simulation.

Levers (what strategies set) live in :mod:`waystation.levers`.

A default is a number or a distribution spec (see
:mod:`waystation.distributions`); ``"lo to hi"`` is a 90% interval. A source
that is not a published figure says ``illustrative`` and why. The figures and
their provenance are discussed in ``docs/model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Group = Literal["time", "nature", "world", "actor", "payoff"]
Spec = float | str


@dataclass(frozen=True)
class Param:
    """One model parameter: its meaning, unit, admissible bounds and default."""

    name: str
    group: Group
    default: Spec
    unit: str
    bounds: tuple[float, float]
    meaning: str
    source: str

    @property
    def illustrative(self) -> bool:
        """Whether the default is illustrative rather than a published figure."""
        return self.source.lower().startswith("illustrative")


_EPOCH_COMPUTE = (
    "Sevilla & Roldan, Epoch AI 2024: frontier training compute grew 4-5x/yr "
    "(0.65 OOM/yr); the lower tail allows for a slowdown"
)
_ALGO = (
    "Ho et al. 2024, 'Algorithmic progress in language models' (arXiv 2403.05812): "
    "compute for fixed performance halves every ~8 months (95% CI 5-14) = 0.45 OOM/yr"
)

_P = Param

PARAMS: tuple[Param, ...] = (
    # --- time ---------------------------------------------------------------
    _P("start", "time", 2026.0, "year", (2000.0, 2100.0), "first simulated year", "convention"),
    _P(
        "horizon",
        "time",
        2100.0,
        "year",
        (2027.0, 2100.0),
        "last simulated year; survivors without victory count as costly non-failure",
        "convention: the end of the century, as in the default scenario and the calibration's "
        "P(failure by 2100) (user's choice)",
    ),
    _P(
        "dt",
        "time",
        0.125,
        "year",
        (0.01, 1.0),
        "time step of the simulation",
        "convention: halving it moves no outcome probability by 0.005 (docs/performance.md)",
    ),
    # --- nature: the problem profile -------------------------------------------
    _P(
        "hardness",
        "nature",
        "0.25 to 4",
        "x baseline",
        (0.01, 100.0),
        "labour needed per unit of safety progress, relative to a baseline",
        "illustrative: essay section 3 treats hardness as deeply uncertain; "
        "a 16-fold 90% range centred on 1",
    ),
    _P(
        "edge_width",
        "nature",
        "0.2 to 0.8",
        "OOM",
        (0.01, 5.0),
        "softness of the safety range's edge: width of the hazard logistic",
        "illustrative: essay footnote 14 (differing probabilities of risk)",
    ),
    _P(
        "hazard_rate",
        "nature",
        "0.02 to 0.5",
        "events/yr",
        (0.0, 20.0),
        "loss-of-control events per year for an actor far outside its safety range",
        "illustrative: set so the default run's P(failure) lies near expert estimates "
        "(XPT 2022 experts 12% AI catastrophe by 2100; Carlsmith 2022 >10%)",
    ),
    _P(
        "warning_share",
        "nature",
        "beta(3, 3)",
        "share",
        (0.0, 1.0),
        "share of hazard events near the frontier that are survivable warning shots",
        "illustrative: essay footnote 14 (differing severities of rogue behaviour)",
    ),
    _P(
        "warning_response",
        "nature",
        "beta(1, 3)",
        "share",
        (0.0, 1.0),
        "how strongly societies respond to a survivable incident: 0 normalisation and "
        "confusion, 1 a strong coordinated response (scales will_per_warning)",
        "illustrative: skewed to weak responses, as the 'warning shots will not save us' "
        "literature finds; calibrated to P(coordinated pause before 2035) 0.03-0.25 "
        "(Manifold ~23% by 2033; Good Judgment 2025: coordination more likely 2040s-2050s)",
    ),
    _P(
        "scheming",
        "nature",
        "uniform(0, 0.5)",
        "share (and OOM/OOM)",
        (0.0, 2.0),
        "how far misaligned AI schemes: the share of its uncheckable safety work that is "
        "sabotage undoing progress (clipped to 1; the damage passes for progress except as "
        "far as risk evaluation is credible), and the margin it hides from risk "
        "evaluation, in OOM per OOM beyond C_aar",
        "illustrative: series overview, essays 4-5 (untrusted AI labour is worth less, or "
        "harmful, when scheming is likely; scheming undermines evaluation)",
    ),
    _P(
        "eval_ease",
        "nature",
        "beta(2, 3)",
        "share",
        (0.0, 1.0),
        "share of safety research whose output can be checked (empirical loops, formal methods)",
        "illustrative: series overview, essay 5 (some alignment research is easier to evaluate)",
    ),
    _P(
        "wbe_cost",
        "nature",
        "1e4 to 3e5",
        "FTE-years",
        (1.0, 1e9),
        "research effort needed before whole-brain emulation works",
        "illustrative: chosen so that background neuroscience alone (500 FTE growing 5%/yr) "
        "reaches emulation around 2060 (2040-2120), per State of Brain Emulation Report 2025",
    ),
    _P(
        "ai_safety_edge",
        "nature",
        "0.5 to 2",
        "ratio",
        (0.01, 100.0),
        "AI labour's productivity on safety relative to capabilities (differential acceleration)",
        "illustrative: series overview, essay 4 (AI for AI safety)",
    ),
    # --- world: calibration of the dynamics -------------------------------------
    _P(
        "g_compute",
        "world",
        "0.5 to 0.85",
        "OOM/yr",
        (0.0, 3.0),
        "frontier effective-compute growth from hardware and spending",
        _EPOCH_COMPUTE,
    ),
    _P(
        "g_hardware",
        "world",
        0.15,
        "OOM/yr",
        (0.0, 1.0),
        "effective-compute growth from hardware alone, once spending stops scaling",
        "Epoch AI ML Hardware hub 2024-25: price-performance ~1.4x/yr (~30%/yr cheaper)",
    ),
    _P(
        "scaling_years",
        "world",
        "4 to 16",
        "yr",
        (0.5, 100.0),
        "years for which spending keeps compute growing at g_compute before it falls to g_hardware",
        "illustrative: Epoch AI 2024 ('Can AI scaling continue through 2030?') finds the "
        "trend feasible to about 2030; power and chip supply bound it after",
    ),
    _P(
        "g_algo",
        "world",
        "0.26 to 0.72",
        "OOM/yr",
        (0.0, 3.0),
        "algorithmic progress at 2026 research effort",
        _ALGO,
    ),
    _P(
        "lam_c",
        "world",
        0.6,
        "exponent",
        (0.0, 2.0),
        "returns to research labour in algorithmic progress (parallelisation penalty)",
        "illustrative: between the 0.3-1.0 range used in compute-centric takeoff models "
        "(Davidson 2023)",
    ),
    _P(
        "ideas_harder",
        "world",
        "0.02 to 0.2",
        "OOM/OOM",
        (0.0, 3.0),
        "fall in algorithmic progress (log10 factor) per OOM of capability already gained",
        "illustrative: ideas get harder to find (Bloom et al. 2020); whether AI labour outruns "
        "this (a software intelligence explosion) is deeply uncertain (Davidson 2023)",
    ),
    _P(
        "ai_labor_ratio",
        "world",
        0.17,
        "ratio",
        (0.0, 10.0),
        "AI research labour at the 2026 frontier, as a share of an actor's human researchers",
        "calibrated: an R&D multiplier of ~1.1x in 2026 (AI Futures Dec 2025; METR 2025 RCT)",
    ),
    _P(
        "k_approach",
        "world",
        1.16,
        "OOM/OOM",
        (0.0, 5.0),
        "growth of automated research labour per OOM of capability on the way to C_aar",
        "calibrated: with aar_labor, an R&D multiplier of ~1.1x in 2026 when C_aar is ~3.5 OOM "
        "away (AI Futures Dec 2025; METR 2025 RCT)",
    ),
    _P(
        "k_ai",
        "world",
        1.16,
        "OOM/OOM",
        (0.0, 5.0),
        "growth of automated research labour per OOM beyond C_aar: the capabilities loop's "
        "take-off steepness",
        "calibrated: R&D multiplier ~25x one OOM past C_aar (AI 2027 takeoff forecast: "
        "superhuman coder 5x, superhuman AI researcher 25x)",
    ),
    _P(
        "aar_labor",
        "world",
        13.4,
        "ratio",
        (0.0, 1e4),
        "automated AI research labour at C_aar, per 2026 capabilities researcher of the actor",
        "calibrated: with lam_c 0.6 the AI R&D multiplier is ~5x at C_aar "
        "(AI 2027 takeoff forecast, superhuman coder 5x)",
    ),
    _P(
        "C_aar",
        "world",
        "1.5 to 8",
        "OOM",
        (0.1, 20.0),
        "capability at which AI can do top-human-level alignment research",
        "AI Futures Project 2025-26 and AI 2027 timelines: top-human AI researcher ~2030 "
        "(2027-2045); at 1 OOM/yr about 3.5 OOM above 2026",
    ),
    _P(
        "si_gap",
        "world",
        "1 to 5",
        "OOM",
        (0.1, 20.0),
        "capability distance from C_aar to full-blown superintelligence (C_si = C_aar + si_gap)",
        "illustrative: AI 2027 takeoff forecast puts ASI three milestones beyond a "
        "superhuman coder",
    ),
    _P(
        "max_rate",
        "world",
        5.0,
        "OOM/yr",
        (0.1, 50.0),
        "physical ceiling on the rate of capability growth",
        "illustrative: compute build-out and training time bound even automated R&D",
    ),
    _P(
        "max_safety_rate",
        "world",
        2.0,
        "OOM/yr",
        (0.01, 50.0),
        "ceiling on the growth of a safety range or of hardening",
        "illustrative: safety research iterates serially on systems that exist (series "
        "overview, essay 5: empirical feedback loops), so abundant AI labour speeds it less "
        "than it speeds capabilities",
    ),
    _P(
        "C_max",
        "world",
        20.0,
        "OOM",
        (1.0, 100.0),
        "physical ceiling on capability",
        "illustrative",
    ),
    _P(
        "s_base",
        "world",
        0.7,
        "OOM/yr",
        (0.0, 10.0),
        "safety-range growth per year at 2026 safety labour, hardness 1 and backdrop 1",
        "illustrative: safety progress today lags capability growth (about 1 OOM/yr)",
    ),
    _P(
        "lam_s",
        "world",
        0.6,
        "exponent",
        (0.0, 2.0),
        "returns to labour in safety progress",
        "illustrative: same parallelisation penalty as capabilities",
    ),
    _P(
        "safety_harder",
        "world",
        "0.05 to 0.3",
        "OOM/OOM",
        (0.0, 3.0),
        "fall in safety progress (log10 factor) per OOM of safety range already gained",
        "illustrative: the same diminishing returns as capability research (ideas_harder, "
        "Bloom et al. 2020), so neither feedback loop runs away",
    ),
    _P(
        "beyond_frontier",
        "world",
        1.0,
        "OOM/OOM",
        (0.0, 10.0),
        "fall in motivation-control progress (log10 factor) per OOM the safety range lies "
        "beyond the actor's own frontier",
        "illustrative: series overview, essay 5 (alignment research leans on empirical "
        "feedback loops, which need the systems to study)",
    ),
    _P(
        "oversight",
        "world",
        5.0,
        "FTE/FTE",
        (0.0, 1e6),
        "untrusted AI safety work (FTE) that one trusted safety researcher can check",
        "illustrative: series overview, essay 5 (evaluating AI alignment research is the "
        "bottleneck; checkable work still has to be checked)",
    ),
    _P(
        "sabotage_harm",
        "world",
        1.5,
        "FTE/FTE",
        (0.0, 20.0),
        "honest safety labour undone per unit of sabotaged AI safety labour",
        "illustrative: series overview, essays 4-5 (sabotaged alignment work passes for "
        "progress; others build on it, and finding and undoing it costs more than doing it); "
        "1.5 puts P(failure) by 2100 near mid-band, 0.11 (1 gives 0.06)",
    ),
    _P(
        "ai_outside_share",
        "world",
        0.02,
        "share",
        (0.0, 1.0),
        "AI safety work on each lab's systems done beside the lab (the safety field at large "
        "working with the lab's AI through access programmes, APIs and open weights), as a "
        "share of the lab's AI labour: AI safety labour goes as ai_safety_share + "
        "ai_outside_share, so a lab that sends none still gets some and the first share "
        "sent is worth a finite, not a decisive, amount",
        "illustrative: series overview, essay 4 (AI for AI safety is done across the field, "
        "not only by the labs' own allocations); two thirds of the default ai_safety_share",
    ),
    _P(
        "harden_harder",
        "world",
        0.5,
        "OOM/OOM",
        (0.0, 10.0),
        "fall in hardening progress (log10 factor) per OOM of hardening already gained",
        "illustrative: hardening the world against rogue AI has steeply diminishing returns "
        "(series overview, essay 7)",
    ),
    _P(
        "safety_ref",
        "world",
        250.0,
        "FTE",
        (1.0, 1e7),
        "safety labour at which s_base, o_base and e_base are stated (a fixed reference)",
        "McAleese 2025: ~600-700 technical AI-safety FTE in 2025-26; 250 is the leading "
        "lab's share in the default scenario (illustrative)",
    ),
    _P(
        "safety_growth",
        "world",
        "0.1 to 0.35",
        "1/yr",
        (-0.5, 2.0),
        "growth rate of human safety researchers",
        "McAleese 2025, 'AI Safety Field Growth Analysis': technical FTE grow ~21%/yr",
    ),
    _P(
        "capability_growth",
        "world",
        0.25,
        "1/yr",
        (-0.5, 2.0),
        "growth rate of human capabilities researchers",
        "illustrative: AI Impacts 2023 counts ~21,800 authors at top ML venues",
    ),
    _P(
        "o_base",
        "world",
        0.3,
        "OOM/yr",
        (0.0, 10.0),
        "growth of world hardening if all 2026 safety labour went to it",
        "illustrative: option control (series overview, essays 2, 6, 7)",
    ),
    _P(
        "e_base",
        "world",
        0.3,
        "1/yr",
        (0.0, 10.0),
        "growth of evaluation quality if all 2026 safety labour went to evals",
        "illustrative",
    ),
    _P(
        "outside_share",
        "world",
        0.05,
        "share",
        (1e-4, 1.0),
        "evaluation and hardening work done beside each lab (security institutes, academia, "
        "the security industry), as a share of its safety labour: returns to the evaluation "
        "and hardening shares go as (share + outside_share)**lam_s, finite at a zero share",
        "illustrative: essay section 4 (collective factors: shared tools and practices for "
        "evals, the hardening of the world at large); about half a lab's default share",
    ),
    _P(
        "sigma_eval",
        "world",
        1.0,
        "OOM",
        (0.0, 10.0),
        "error of 2026 risk evaluation: sd of the estimated margin at quality E = 0",
        "illustrative: today's evals cannot place the safety range to better than ~1 OOM",
    ),
    _P(
        "eval_memory",
        "world",
        1.0,
        "yr",
        (0.01, 20.0),
        "correlation time of evaluation errors (an Ornstein-Uhlenbeck process)",
        "illustrative: evaluation mistakes persist for about a model generation",
    ),
    _P(
        "pause_width",
        "world",
        0.25,
        "OOM",
        (0.01, 5.0),
        "softness of an actor's pause response to its forecast margin",
        "illustrative",
    ),
    _P(
        "race_pressure",
        "world",
        0.4,
        "share",
        (0.0, 1.0),
        "largest reduction of an actor's pause when a rival leads",
        "illustrative: essay section 4 (race incentives between actors)",
    ),
    _P(
        "race_scale",
        "world",
        0.5,
        "OOM",
        (0.01, 10.0),
        "capability gap over which race relief saturates",
        "illustrative",
    ),
    _P(
        "will_per_warning",
        "world",
        1.0,
        "evidence",
        (0.0, 10.0),
        "perceived risk one survivable incident adds at full response (warning_response 1); "
        "each unit closes 63% of the gap to full political will",
        "illustrative: a single incident with a strong response moves will most of the way",
    ),
    _P(
        "will_decay",
        "world",
        0.3,
        "1/yr",
        (0.0, 10.0),
        "decay rate of political will (perceived risk fades without new evidence)",
        "illustrative: attention fades within a few years",
    ),
    _P(
        "will_to_pause",
        "world",
        0.5,
        "pause/will",
        (0.0, 10.0),
        "coordinated pause brought about per unit of political will (0..1)",
        "illustrative: essay section 6 (political will, not technology, bounds a pause); "
        "calibrated to P(coordinated pause before 2035) 0.03-0.25",
    ),
    _P(
        "eval_alarm",
        "world",
        0.4,
        "evidence/yr",
        (0.0, 20.0),
        "perceived risk per year that fully credible risk evaluation adds when it shows an "
        "actor certainly past the edge of its range",
        "illustrative: essay section 6 (better understanding of the risks, vastly better evals "
        "and scary demos, could move political will)",
    ),
    _P(
        "C_lethal",
        "world",
        "3 to 9",
        "OOM",
        (-5.0, 20.0),
        "capability at which half of loss-of-control events are unrecoverable",
        "illustrative: essay footnote 14 (severity grows with capability); weaker systems "
        "going rogue are mostly containable",
    ),
    _P(
        "lethal_width",
        "world",
        0.7,
        "OOM",
        (0.01, 10.0),
        "capability range over which loss-of-control events turn from containable to lethal",
        "illustrative",
    ),
    _P(
        "b_gain",
        "world",
        0.05,
        "1/OOM",
        (0.0, 2.0),
        "rise of backdrop capacity per OOM of safely deployed capability",
        "illustrative: essay section 4 (AI may improve backdrop capacity)",
    ),
    _P(
        "b_erosion",
        "world",
        0.15,
        "1/OOM",
        (0.0, 2.0),
        "erosion of backdrop capacity per OOM deployed beyond the safety range, and by racing",
        "illustrative: essay section 4 (AI may also degrade it)",
    ),
    _P(
        "b_tau",
        "world",
        3.0,
        "yr",
        (0.1, 50.0),
        "time for backdrop capacity to adjust",
        "illustrative",
    ),
    _P(
        "wbe_background",
        "world",
        500.0,
        "FTE",
        (0.0, 1e6),
        "researchers working towards emulation without any actor's investment",
        "State of Brain Emulation Report 2025: fewer than 500 people in the field",
    ),
    _P(
        "wbe_background_growth",
        "world",
        0.05,
        "1/yr",
        (-0.5, 2.0),
        "growth of that background effort",
        "illustrative",
    ),
    _P(
        "wbe_lag",
        "world",
        2.0,
        "yr",
        (0.0, 30.0),
        "delay between the emulation breakthrough and usable emulated researchers",
        "illustrative",
    ),
    _P(
        "em_initial",
        "world",
        1000.0,
        "FTE",
        (0.0, 1e9),
        "emulated researchers when emulations become usable",
        "illustrative",
    ),
    _P(
        "em_growth",
        "world",
        1.0,
        "1/yr",
        (0.0, 20.0),
        "e-folding rate of emulated labour (copying)",
        "illustrative: essay section 5 (emulations can be run fast and copied)",
    ),
    _P(
        "em_max",
        "world",
        1e6,
        "FTE",
        (0.0, 1e12),
        "ceiling on emulated labour (compute for emulations)",
        "illustrative: ~1e18 FLOP/s per real-time emulation (Sandberg & Bostrom 2008, U)",
    ),
    _P(
        "verify_rate",
        "world",
        0.03,
        "1/yr",
        (0.0, 5.0),
        "chance per year of a verification breakthrough at 2026 safety labour, full eval ease",
        "illustrative: essay section 6 (formal verification as a waystation)",
    ),
    _P(
        "verify_jump",
        "world",
        1.5,
        "OOM",
        (0.0, 20.0),
        "jump of every actor's safety range at a verification breakthrough",
        "illustrative",
    ),
    _P(
        "tool_labor_cut",
        "world",
        0.5,
        "share",
        (0.0, 1.0),
        "AI labour lost under a tool-AI-only regime",
        "illustrative: essay section 6 (moratorium on autonomous agents)",
    ),
    _P(
        "tool_hazard_cut",
        "world",
        0.7,
        "share",
        (0.0, 1.0),
        "hazard removed under a tool-AI-only regime",
        "illustrative",
    ),
    _P(
        "deterrence_threshold",
        "world",
        0.15,
        "OOM",
        (0.0, 10.0),
        "lead over the nearest rival that triggers sabotage under deterrence",
        "illustrative: 'mutually assured AI malfunction' (essay section 6); the leading lab's "
        "2026 lead, which the default's leader exceeds in 62% of worlds in 2028 and 38% in "
        "2030 (Model v3, 1500 worlds), so deterrence binds in a substantial share of worlds",
    ),
    # --- actor: starting point and labour ---------------------------------------
    _P(
        "frontier",
        "actor",
        0.0,
        "OOM",
        (-10.0, 10.0),
        "starting capability frontier, relative to the 2026 frontier",
        "Epoch 2026: Chinese models trail the US frontier by ~7 months (~0.6 OOM)",
    ),
    _P(
        "safety_range",
        "actor",
        0.5,
        "OOM",
        (-10.0, 20.0),
        "starting safety range: the most capable AI it could deploy safely",
        "illustrative: today's frontier is assumed deployable with a small margin",
    ),
    _P(
        "safety_researchers",
        "actor",
        200.0,
        "FTE",
        (0.0, 1e7),
        "human safety researchers in 2026",
        "McAleese 2025: ~600 technical AI-safety FTE in 2025, 700 (400-1,500) in 2026",
    ),
    _P(
        "capability_researchers",
        "actor",
        4000.0,
        "FTE",
        (1.0, 1e8),
        "human capabilities researchers in 2026",
        "illustrative share of the ~20,000 ML researchers (AI Impacts 2023)",
    ),
    _P(
        "compute_scale",
        "actor",
        1.0,
        "ratio",
        (0.0, 5.0),
        "the actor's compute growth relative to the frontier trend",
        "illustrative; Epoch 2025: open-weight compute grows 4.7x/yr, close to the frontier",
    ),
)

REGISTRY: MappingProxyType[str, Param] = MappingProxyType({p.name: p for p in PARAMS})


def params_in(group: Group) -> tuple[Param, ...]:
    """Return the registry's parameters of one group, in registry order."""
    return tuple(p for p in PARAMS if p.group == group)


#: What a strategic actor values (``waystation equilibrium``, docs/model.md
#: "Strategic actors"): weights of the world's outcomes, of its own victory and
#: of a rival's. Utility units: a safe superintelligence built by someone else
#: without enmity is worth ``victory_value``. Not simulation inputs, so kept out
#: of :data:`PARAMS`; a scenario sets them in its optional ``payoffs:`` block.
PAYOFF_PARAMS: tuple[Param, ...] = (
    _P(
        "victory_value",
        "payoff",
        1.0,
        "utility",
        (0.0, 10.0),
        "value to an actor of a world that reaches superintelligence safely (victory)",
        "convention: the unit of the payoff scale",
    ),
    _P(
        "costly_non_failure_value",
        "payoff",
        0.5,
        "utility",
        (-10.0, 10.0),
        "value to an actor of a world with neither victory nor failure by the horizon",
        "illustrative: half a victory, as in the analyses' default utility",
    ),
    _P(
        "failure_value",
        "payoff",
        0.0,
        "utility",
        (-10.0, 10.0),
        "value to an actor of a lethal loss of control",
        "convention: the zero of the payoff scale",
    ),
    _P(
        "own_advantage",
        "payoff",
        0.5,
        "utility",
        (0.0, 10.0),
        "extra value to an actor when its own system is the one that reaches "
        "superintelligence safely (power, market, its own values)",
        "illustrative: essay section 4 (fear of a rival gaining power or market advantage)",
    ),
    _P(
        "enmity",
        "payoff",
        0.25,
        "share",
        (0.0, 1.0),
        "share of a victory's value an actor loses when a rival, not itself, wins it",
        "illustrative: the enmity e of Armstrong, Bostrom & Shulman 2016, 'Racing to the "
        "precipice' (AI & Society 31), who vary it over [0, 1]",
    ),
)

PAYOFF_REGISTRY: MappingProxyType[str, Param] = MappingProxyType({p.name: p for p in PAYOFF_PARAMS})
