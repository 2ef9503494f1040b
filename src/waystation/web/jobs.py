"""The explorer's simulation jobs, as run inside a worker process (:mod:`.workers`).

Each job takes a validated request body and returns the JSON-ready answer, so
only plain data crosses back to the server. :func:`run_job` never raises: it
returns ``("ok", answer)``, ``("problems", [problem records])`` for a fault in
the request, or ``("error", message)`` for anything unexpected.
"""

from __future__ import annotations

import base64
import secrets
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waystation import analyses, figspecs, present
from waystation.api import compile_scenario, run_model
from waystation.export import dictionary_csv, table_bytes
from waystation.io import Problem, ScenarioError, scenario_from_text
from waystation.keeping import current_keeper
from waystation.levers import LEVERS
from waystation.provenance import cite, provenance
from waystation.settings import RunSettings
from waystation.simulate import STREAM_BLOCK
from waystation.web.cache import PREVIEW_WORLDS, WorkerKeeper
from waystation.web.instrument import edited_comparison
from waystation.web.payloads import (
    CompareRequest,
    CompetenceRequest,
    EditedRequest,
    LeversRequest,
    RunRequest,
    WorldsRequest,
    YamlRequest,
    problems_json,
    results_json,
    scenario_json,
    scenario_of,
)

__all__ = ["JOBS", "run_job"]

#: Longest message of an unexpected error sent back to the client.
MAX_MESSAGE = 300
#: The work budget a lever plan fits when the request does not carry one (ServerLimits').
MAX_WORK = 1_200_000_000


def worlds_now(body: Any) -> int:
    """The worlds a request runs now: the first :data:`PREVIEW_WORLDS` of a preview, else all."""
    worlds = int(body.worlds)
    return min(worlds, PREVIEW_WORLDS) if getattr(body, "preview", False) else worlds


def stage(body: Any, worlds: int) -> dict[str, Any]:
    """Whether an answer is a first estimate: ``preliminary`` and the worlds it will refine to.

    A preliminary answer comes from the first worlds of the requested run,
    which are the same worlds whatever the total: the full answer adds worlds
    to them, and its intervals are narrower.
    """
    return {"preliminary": worlds < body.worlds, "target_worlds": body.worlds}


def halves(worlds: int, keep: bool = False) -> RunSettings:
    """Settings for a run in two blocks on two threads.

    The fused kernel lets go of the GIL, so the explorer's 20,000 default
    worlds take ~0.6 s on two cores instead of ~1.1 s, with the same numbers
    (a run's figures do not depend on its blocks: docs/model.md section 12).
    ``keep``: keep the per-world rows (paired comparisons need them).
    """
    block = max(STREAM_BLOCK, -(-worlds // (2 * STREAM_BLOCK)) * STREAM_BLOCK)
    return RunSettings(engine="threads", workers=2, block_size=block, keep_worlds=keep)


def run(body: RunRequest) -> dict[str, Any]:
    """``POST /api/run``: one run's summary and trajectory bands, with its provenance."""
    model = compile_scenario(scenario_of(body.scenario), body.strategy)
    start = time.perf_counter()
    n = worlds_now(body)
    res = run_model(model, n, body.seed, settings=halves(n))
    elapsed = time.perf_counter() - start
    figures = {"diagram": figspecs.diagram(res, figspecs.thresholds_of(model)),
               "over_time": figspecs.outcomes_over_time({res.strategy: res})}  # fmt: skip
    return {**results_json(res), "elapsed_seconds": elapsed, "provenance": cited(model, res),
            "figures": figures, **stage(body, n)}  # fmt: skip


def cited(model: Any, res: Any) -> dict[str, Any]:
    """The "cite this run" block of a page run, with BibTeX and CFF entries.

    The page fills in the command (it knows whether the scenario was edited)
    and the permalink (its share link).
    """
    block = provenance(model, res.n_worlds, res.seed, res.backend, "", None)
    return {**block, "cite": cite(block)}


def worlds(body: WorldsRequest) -> dict[str, Any]:
    """``POST /api/worlds``: the run's per-world rows as CSV or Parquet, or their dictionary.

    The run is the page's run again (same scenario, strategy, worlds and
    seed): the rows are exactly the worlds behind the page's probabilities.
    The file travels as base64 in the JSON answer.
    """
    model = compile_scenario(scenario_of(body.scenario), body.strategy)
    name = f"{model.name}-{model.strategy.name}-{body.worlds}-worlds-seed{body.seed}"
    if body.format == "dictionary":
        res = run_model(model, 1, body.seed, keep_worlds=True)  # the columns only
        columns = ["world", *(res.records or {})]
        data, media, filename = (
            dictionary_csv(columns).encode(),
            "text/csv",
            f"{name}.dictionary.csv",
        )
    else:
        res = run_model(model, body.worlds, body.seed, keep_worlds=True)
        data = table_bytes(res.records or {}, body.format)
        media = "text/csv" if body.format == "csv" else "application/vnd.apache.parquet"
        filename = f"{name}.{body.format}"
    return {"filename": filename, "media_type": media,
            "base64": base64.b64encode(data).decode("ascii")}  # fmt: skip


def compare(body: CompareRequest) -> dict[str, Any]:
    """``POST /api/compare``: strategies on common random numbers, paired differences."""
    names = list(dict.fromkeys(body.strategies))
    found = analyses.compare(scenario_of(body.scenario), names, body.worlds, body.seed)
    over = figspecs.outcomes_over_time({n: found.results[n] for n in found.strategies})
    return present.jsonable({**found.to_dict(), "figures": {"over_time": over}})


def edited(body: EditedRequest) -> dict[str, Any]:
    """``POST /api/edited``: the edited and the baseline scenario on common worlds."""
    model = compile_scenario(scenario_of(body.scenario), body.strategy)
    base = baseline_model(body.baseline, body.strategy)
    start = time.perf_counter()
    n = worlds_now(body)
    res = run_model(model, n, body.seed, settings=halves(n, keep=True))
    before = run_model(base, n, body.seed, settings=halves(n, keep=True))
    found = edited_comparison(before, res)
    over = figspecs.outcomes_over_time({"edited": res, "baseline": before})
    figures = {"diagram": figspecs.diagram(res, figspecs.thresholds_of(model)), "over_time": over}
    return {**found, "elapsed_seconds": time.perf_counter() - start,
            "provenance": cited(model, res), "figures": figures, **stage(body, n)}  # fmt: skip


def baseline_model(scenario: dict[str, Any], strategy: str | None) -> Any:
    """The baseline's compiled model; its problems' paths start with ``baseline``."""
    try:
        return compile_scenario(scenario_of(scenario), strategy)
    except ScenarioError as err:
        moved = [Problem(p.source, p.line, f"baseline.{p.path}".rstrip("."), p.message)
                 for p in err.problems]  # fmt: skip
        raise ScenarioError(moved) from None


def competence(body: CompetenceRequest) -> dict[str, Any]:
    """``POST /api/competence``: outcome curves over a grid of hardness values."""
    found = analyses.competence(scenario_of(body.scenario), strategy=body.strategy,
                                  grid=body.grid, worlds=body.worlds, seed=body.seed)  # fmt: skip
    return present.jsonable(found.to_dict())


@dataclass(frozen=True)
class LeverPlan:
    """How the explorer spends its work budget on valuing the levers at a requested world count.

    One shared baseline and every lever's next step run on the first
    ``forward_worlds`` worlds (the requested count when the budget allows);
    the central-derivative check and the response curves (``points`` values
    per lever) on the first ``curve_worlds`` (:data:`EXPLORER_CURVE_WORLDS`,
    at most a quarter of the forward worlds, at least 200). Fewer worlds are
    a prefix of the same worlds, so every difference stays paired. A preview
    (the page's first estimate) runs the ranking on the first
    :data:`~.cache.PREVIEW_WORLDS` and the same curves: the full answer then
    adds worlds to the ranking's runs and finds the curves' runs cached.
    """

    requested: int
    forward_worlds: int
    curve_worlds: int
    points: int
    levers: int

    @property
    def worlds(self) -> int:
        """Worlds simulated in all."""
        return self.forward_worlds * (self.levers + 1) + self.curve_worlds * self.levers * (
            2 + self.points
        )

    def to_dict(self) -> dict[str, int]:
        """JSON-ready plan (the answer's ``plan``)."""
        return {
            "requested_worlds": self.requested,
            "forward_worlds": self.forward_worlds,
            "curve_worlds": self.curve_worlds,
            "curve_points": self.points,
            "simulated_worlds": self.worlds,
        }


#: Points of each lever's response curve in the explorer (the CLI draws six).
EXPLORER_POINTS = 4
#: Worlds of the explorer's response curves and derivative checks (at most).
EXPLORER_CURVE_WORLDS = 512


def lever_plan(
    worlds: int, actors: int, steps: int, levers: int, max_work: int, preview: bool = False
) -> LeverPlan:
    """The plan that fits ``max_work`` world-actor-steps (see :class:`LeverPlan`)."""
    budget = max(0, max_work // max(1, actors * steps))
    target = min(worlds, PREVIEW_WORLDS) if preview else worlds
    curve = max(200, min(EXPLORER_CURVE_WORLDS, target // 4))
    forward = min(
        target, max(200, (budget - curve * levers * (2 + EXPLORER_POINTS)) // (levers + 1))
    )
    return LeverPlan(worlds, forward, min(curve, forward), EXPLORER_POINTS, levers)


#: How the explorer values the levers: blocks on two threads (two cores where free).
LEVER_SETTINGS = RunSettings(engine="threads", workers=2, block_size=4096)


def levers(body: LeversRequest) -> dict[str, Any]:
    """``POST /api/levers``: the value of each lever's next budget unit, with its curve."""
    sc = scenario_of(body.scenario)
    model = compile_scenario(sc, body.strategy)
    plan = getattr(body, "plan", None) or lever_plan(
        body.worlds, len(model.actors), int(model.steps), len(LEVERS), MAX_WORK, body.preview
    )
    found = analyses.lever_values(sc, strategy=body.strategy, objective=body.objective,
                                  worlds=plan.forward_worlds, seed=body.seed,
                                  curve_points=plan.points, curve_worlds=plan.curve_worlds,
                                  settings=LEVER_SETTINGS)  # fmt: skip
    preliminary = {"preliminary": bool(body.preview) and plan.forward_worlds < body.worlds,
                   "target_worlds": body.worlds}  # fmt: skip
    table = present.jsonable(found.to_dict())
    bounds = {v.name: v.bounds for v in LEVERS}
    figures = {"tornado": figspecs.lever_tornado(table),
               "curves": figspecs.lever_curves(table, bounds)}  # fmt: skip
    return present.jsonable({**table, "plan": plan.to_dict(), "figures": figures, **preliminary})


def validate_yaml(body: YamlRequest) -> dict[str, Any]:
    """``POST /api/validate-yaml``: the scenario a YAML text describes."""
    sc = scenario_from_text(body.yaml, body.source)
    compile_scenario(sc)
    return {"scenario": scenario_json(sc)}


JOBS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "run": run,
    "compare": compare,
    "edited": edited,
    "competence": competence,
    "levers": levers,
    "validate-yaml": validate_yaml,
    "worlds": worlds,
}


def run_job(kind: str, body: Any) -> tuple[str, Any]:
    """Run one job; its answer, the request's problems, or an unexpected error's message.

    Under the explorer's cache (:class:`~.cache.WorkerKeeper`), the answer's
    ``cache`` says how many worlds were served from earlier runs and how many
    were computed.
    """
    try:  # every interval also carries how it is written (``shown``), as the CLI writes it
        answer = present.shown(JOBS[kind](body))
        keeper = current_keeper()
        if isinstance(keeper, WorkerKeeper) and isinstance(answer, dict):
            answer["cache"] = {"served_worlds": keeper.served, "computed_worlds": keeper.computed}
        return "ok", answer
    except ScenarioError as err:
        return "problems", problems_json(err.problems)
    except ValueError as err:
        return "problems", [{"path": "", "line": None, "message": str(err)[:MAX_MESSAGE]}]
    except RecursionError:
        return "problems", [{"path": "", "line": None, "message": "input nested too deeply"}]
    except Exception as err:  # a bug, not the request: the id answered, the traceback logged
        ident = bug_id()
        print(f"waystation: internal error {ident} in a {kind} job:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)  # the worker's stderr is the server's log
        return "error", bug_message(ident, f"{type(err).__name__} in the simulation")


def bug_id() -> str:
    """A short random id that ties an internal error's answer to its traceback in the log."""
    return secrets.token_hex(4)


def bug_message(ident: str, what: str) -> str:
    """The answer to a request that met a bug: what broke, its id, where to report it."""
    from waystation._version import bug_tracker

    return (f"internal error {ident} ({what}): this is a waystation bug, not a fault in the "
            f"request, which was not run; please report it at {bug_tracker()}, quoting the id "
            f"{ident} (the server's log holds its details)")  # fmt: skip
