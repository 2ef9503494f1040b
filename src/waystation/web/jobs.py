"""The explorer's simulation jobs, as run inside a worker process (:mod:`.workers`).

Each job takes a validated request body and returns the JSON-ready answer, so
only plain data crosses back to the server. :func:`run_job` never raises: it
returns ``("ok", answer)``, ``("problems", [problem records])`` for a fault in
the request, or ``("error", message)`` for anything unexpected.
"""

from __future__ import annotations

import secrets
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from waystation import analyses, present
from waystation.api import compile_scenario, run_model
from waystation.io import Problem, ScenarioError, scenario_from_text
from waystation.web.instrument import edited_comparison
from waystation.web.payloads import (
    CompareRequest,
    CompetenceRequest,
    EditedRequest,
    LeversRequest,
    RunRequest,
    YamlRequest,
    problems_json,
    results_json,
    scenario_json,
    scenario_of,
)

__all__ = ["JOBS", "run_job"]

#: Longest message of an unexpected error sent back to the client.
MAX_MESSAGE = 300


def run(body: RunRequest) -> dict[str, Any]:
    """``POST /api/run``: one run's summary and trajectory bands."""
    model = compile_scenario(scenario_of(body.scenario), body.strategy)
    start = time.perf_counter()
    res = run_model(model, body.worlds, body.seed, keep_worlds=False)
    elapsed = time.perf_counter() - start
    return {**results_json(res), "elapsed_seconds": elapsed}


def compare(body: CompareRequest) -> dict[str, Any]:
    """``POST /api/compare``: strategies on common random numbers, paired differences."""
    names = list(dict.fromkeys(body.strategies))
    found = analyses.compare(scenario_of(body.scenario), names, body.worlds, body.seed)
    return present.jsonable(found.to_dict())


def edited(body: EditedRequest) -> dict[str, Any]:
    """``POST /api/edited``: the edited and the baseline scenario on common worlds."""
    model = compile_scenario(scenario_of(body.scenario), body.strategy)
    base = baseline_model(body.baseline, body.strategy)
    start = time.perf_counter()
    found = edited_comparison(run_model(base, body.worlds, body.seed),
                              run_model(model, body.worlds, body.seed))  # fmt: skip
    return {**found, "elapsed_seconds": time.perf_counter() - start}


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


def levers(body: LeversRequest) -> dict[str, Any]:
    """``POST /api/levers``: the marginal value of each lever."""
    found = analyses.lever_values(scenario_of(body.scenario), strategy=body.strategy,
                                    objective=body.objective, worlds=body.worlds,
                                    seed=body.seed)  # fmt: skip
    return present.jsonable(found.to_dict())


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
}


def run_job(kind: str, body: Any) -> tuple[str, Any]:
    """Run one job; its answer, the request's problems, or an unexpected error's message."""
    try:  # every interval also carries how it is written (``shown``), as the CLI writes it
        return "ok", present.shown(JOBS[kind](body))
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
