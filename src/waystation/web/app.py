"""The explorer's FastAPI application: a JSON API over :mod:`waystation` and one page.

:func:`create_app` builds the application and binds nothing; ``waystation
serve`` hands it to uvicorn on 127.0.0.1. Every scenario a request carries is
validated by the scenario schema, world counts are capped at
:data:`~waystation.web.payloads.MAX_WORLDS` and request bodies at
:data:`MAX_BODY` bytes. Errors are JSON naming the offending field::

    {"errors": [{"path": "actors[0].levers.caution", "line": null, "message": "..."}]}

The page and plotly.js are served from the installed packages, so the page
makes no request outside this server.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waystation.api import compile_scenario, package_version, run_model
from waystation.io import Problem, ScenarioError, load_scenario, scenario_from_text
from waystation.io import shipped_scenarios as _shipped
from waystation.levers import LEVERS
from waystation.params import PARAMS
from waystation.strategies import BUILTIN_STRATEGIES
from waystation.web.payloads import (
    MAX_SEED,
    MAX_WORLDS,
    CompareRequest,
    CompetenceRequest,
    LeversRequest,
    RunRequest,
    ScenarioRequest,
    YamlRequest,
    clean,
    paired_comparison,
    problems_json,
    results_json,
    scenario_json,
    scenario_of,
)

__all__ = ["MAX_BODY", "create_app"]

MAX_BODY = 1_000_000
_STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def create_app() -> FastAPI:
    """The explorer application (API, page and plotly.js); opens no socket."""
    app = FastAPI(
        title="waystation explorer",
        version=package_version(),
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.add_middleware(_BodyLimit, limit=MAX_BODY)
    _add_error_handlers(app)
    _add_static_routes(app)
    _add_catalogue_routes(app)
    _add_simulation_routes(app, threading.Lock())
    return app


def errors(status: int, problems: list[Problem]) -> JSONResponse:
    """A JSON error response listing located problems."""
    return JSONResponse({"errors": problems_json(problems)}, status_code=status)


def _one(status: int, path: str, message: str) -> JSONResponse:
    """A JSON error response with one problem at a request path."""
    return errors(status, [Problem("request", None, path, message)])


def _loc_path(loc: tuple[Any, ...]) -> str:
    """``worlds`` or ``strategies[2]`` from a request-validation location (``body`` dropped)."""
    out = ""
    for part in loc[1:] if loc[:1] == ("body",) else loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _add_error_handlers(app: FastAPI) -> None:
    """Turn request-validation and scenario errors into ``{"errors": [...]}`` JSON."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        found = []
        for e in exc.errors():
            message = str(e.get("msg", "invalid")).removeprefix("Value error, ")
            value = e.get("input")
            if e.get("type") != "missing" and isinstance(value, int | float | str):
                message += f" (got {value!r:.60})"
            found.append(Problem("request", None, _loc_path(tuple(e.get("loc", ()))), message))
        return errors(422, found)

    @app.exception_handler(ScenarioError)
    async def bad_scenario(request: Request, exc: ScenarioError) -> JSONResponse:
        return errors(422, exc.problems)


def _add_static_routes(app: FastAPI) -> None:
    """The page, its script and style, and plotly.js from the installed plotly package."""
    static = resources.files("waystation.web") / "static"
    headers = {"Content-Security-Policy": _CSP, "Cache-Control": "no-cache"}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse((static / "index.html").read_text(encoding="utf-8"), headers=headers)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name == "plotly.min.js":
            path = plotly_js()
            if path is None:
                return _one(404, "", "plotly is not installed: pip install 'waystation[web]'")
            return FileResponse(path, media_type="text/javascript",
                                headers={"Cache-Control": "max-age=86400"})  # fmt: skip
        if name not in _STATIC:
            return _one(404, "", f"no static file {name!r}")
        text = (static / name).read_text(encoding="utf-8")
        return Response(text, media_type=_STATIC[name], headers={"Cache-Control": "no-cache"})


def plotly_js() -> Path | None:
    """Path of ``plotly.min.js`` shipped in the plotly package (found without importing it)."""
    spec = importlib.util.find_spec("plotly")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "package_data" / "plotly.min.js"
        if path.is_file():
            return path
    return None


def _add_catalogue_routes(app: FastAPI) -> None:
    """Shipped scenarios, built-in strategies and the parameter and lever registries."""

    @app.get("/api/scenarios")
    def scenarios() -> list[dict[str, str]]:
        return [{"name": k, "description": v} for k, v in _shipped().items()]

    @app.get("/api/scenarios/{name}", response_model=None)
    def scenario(name: str) -> dict[str, Any] | JSONResponse:
        if name not in _shipped():
            return _one(404, "name", f"no shipped scenario {name!r}; shipped: "
                                     f"{', '.join(_shipped())}")  # fmt: skip
        text = (resources.files("waystation.scenarios") / f"{name}.yaml").read_text("utf-8")
        return {"name": name, "scenario": scenario_json(load_scenario(name)), "yaml": text}

    @app.get("/api/strategies")
    def strategies() -> list[dict[str, Any]]:
        return [{"name": k, **clean(dict(v))} for k, v in BUILTIN_STRATEGIES.items()]

    @app.get("/api/registry")
    def registry() -> dict[str, Any]:
        params = [{"name": p.name, "group": p.group, "default": p.default, "unit": p.unit,
                   "bounds": list(p.bounds), "meaning": p.meaning, "source": p.source}
                  for p in PARAMS]  # fmt: skip
        levers = [{"name": v.name, "scope": v.scope, "default": v.default, "unit": v.unit,
                   "bounds": list(v.bounds), "cost": v.cost, "meaning": v.meaning,
                   "source": v.source} for v in LEVERS]  # fmt: skip
        limits = {"max_worlds": MAX_WORLDS, "max_seed": MAX_SEED, "max_body": MAX_BODY}
        return {"params": params, "levers": levers, "limits": limits}


def _add_simulation_routes(app: FastAPI, lock: threading.Lock) -> None:
    """Runs, comparisons, analyses and YAML round trips; one simulation at a time."""

    @app.post("/api/run")
    def run(body: RunRequest) -> dict[str, Any]:
        model = compile_scenario(scenario_of(body.scenario), body.strategy)
        with lock:
            start = time.perf_counter()
            res = run_model(model, body.worlds, body.seed, keep_worlds=False)
            elapsed = time.perf_counter() - start
        return {**results_json(res), "elapsed_seconds": elapsed}

    @app.post("/api/compare")
    def compare(body: CompareRequest) -> dict[str, Any]:
        sc = scenario_of(body.scenario)
        models = {name: compile_scenario(sc, name) for name in dict.fromkeys(body.strategies)}
        analyses = _analyses()
        with lock:
            if analyses is not None and hasattr(analyses, "compare"):
                found = analyses.compare(sc, list(models), worlds=body.worlds, seed=body.seed)
                return clean(found.to_dict())
            runs = {n: run_model(m, body.worlds, body.seed) for n, m in models.items()}
        return paired_comparison(runs)

    @app.post("/api/competence", response_model=None)
    def competence(body: CompetenceRequest) -> dict[str, Any] | JSONResponse:
        sc = scenario_of(body.scenario)
        compile_scenario(sc, body.strategy)
        return _analysis("competence", lock, sc, strategy=body.strategy, grid=body.grid,
                         worlds=body.worlds, seed=body.seed)  # fmt: skip

    @app.post("/api/levers", response_model=None)
    def levers(body: LeversRequest) -> dict[str, Any] | JSONResponse:
        sc = scenario_of(body.scenario)
        compile_scenario(sc, body.strategy)
        return _analysis("lever_values", lock, sc, strategy=body.strategy,
                         objective=body.objective, worlds=body.worlds, seed=body.seed)  # fmt: skip

    @app.post("/api/validate-yaml")
    def validate_yaml(body: YamlRequest) -> dict[str, Any]:
        sc = scenario_from_text(body.yaml, body.source)
        compile_scenario(sc)
        return {"scenario": scenario_json(sc)}

    @app.post("/api/yaml")
    def to_yaml(body: ScenarioRequest) -> dict[str, Any]:
        data = scenario_json(scenario_of(body.scenario))
        return {"yaml": yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)}


def _analyses() -> Any:
    """The :mod:`waystation.analyses` module, or None while it is not available."""
    try:
        return importlib.import_module("waystation.analyses")
    except ImportError:
        return None


def _analysis(name: str, lock: threading.Lock, *args: Any, **kwargs: Any) -> Any:
    """Call ``waystation.analyses.<name>`` under the lock; 501 if it does not exist."""
    func: Callable[..., Any] | None = getattr(_analyses(), name, None)
    if func is None:
        return _one(501, "", f"waystation.analyses.{name} is not available in this version")
    try:
        with lock:
            found = func(*args, **kwargs)
    except ValueError as err:
        return _one(422, "", str(err))
    return clean(found.to_dict())


class _BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
        body, sent = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _one(413, "", f"request body larger than {self.limit} bytes")
        await response(scope, receive, send)
