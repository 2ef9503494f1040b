"""The explorer's FastAPI application: a JSON API over :mod:`waystation` and one page.

:func:`create_app` builds the application and binds nothing; ``waystation
serve`` hands it to uvicorn on 127.0.0.1. Every scenario a request carries is
validated by the scenario schema, world counts are capped at
:data:`~waystation.web.payloads.MAX_WORLDS`, request bodies at :data:`MAX_BODY`
bytes and the time to send them, and each simulation's work and running time
by :class:`~waystation.web.workers.ServerLimits`. Simulations run in worker
processes (:mod:`waystation.web.workers`), killed when their client leaves or
their time is up; when every worker and queue place is taken the API answers
503 with ``Retry-After``. Every error, even an unexpected one, is JSON naming
the offending field, at most :data:`MAX_PROBLEMS` problems long::

    {"errors": [{"path": "actors[0].levers.caution", "line": null, "message": "..."}]}

The page and plotly.js (its basic bundle, shipped in this package) are
served from memory, gzipped and with cache headers, so the page makes no
request outside this server; every JSON answer over a kilobyte is gzipped
too. Besides runs and analyses, the API
serves what makes the page a shareable instrument: ``GET /api/definitions``
(the registry of meanings, for hover text), ``POST /api/strategy-levers``
(which levers a strategy's rules set, and under which rule), ``POST
/api/presets`` (the problem profile at its 5th/50th/95th percentiles) and
``POST /api/edited`` (an edited scenario against its baseline on common
worlds, with the paired difference edited - baseline).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import anyio
import yaml
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from waystation import present
from waystation.api import compile_scenario, package_version
from waystation.definitions import DEFAULT_WORLDS, define, definitions_block
from waystation.io import Problem, ScenarioError, load_scenario
from waystation.io import shipped_scenarios as _shipped
from waystation.levers import LEVERS
from waystation.params import PARAMS
from waystation.present import jsonable
from waystation.presets import PRESETS, load_preset, preset_path
from waystation.provenance import model_version
from waystation.strategies import BUILTIN_STRATEGIES
from waystation.web.body import BodyLimit
from waystation.web.cache import RunCache
from waystation.web.instrument import profile_presets, strategy_levers
from waystation.web.jobs import (
    LeverPlan,
    baseline_model,
    bug_id,
    bug_message,
    lever_plan,
    worlds_now,
)
from waystation.web.payloads import (
    MAX_SEED,
    MAX_WORLDS,
    CompareRequest,
    CompetenceRequest,
    EditedRequest,
    LeversRequest,
    RunRequest,
    ScenarioRequest,
    StrategyLeversRequest,
    WorldsRequest,
    YamlRequest,
    problems_json,
    scenario_json,
    scenario_of,
)
from waystation.web.workers import (
    BusyError,
    GoneError,
    Lane,
    ServerLimits,
    TimedOutError,
    WorkerFailedError,
    start_forkserver,
)

__all__ = ["MAX_BODY", "MAX_PROBLEMS", "ServerLimits", "create_app"]

MAX_BODY = 1_000_000
#: The server's log: internal errors are logged here with their id and traceback.
LOG = logging.getLogger("waystation.web")
#: Problems listed in one error response (the rest are counted) and the length of each field.
MAX_PROBLEMS = 20
MAX_FIELD = 500
_STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass
class _Workers:
    """The limits, the two lanes of worker processes and the cache of runs of one application.

    ``channels`` maps a request's ``channel`` to the stop signal of the
    latest request on it: a newer request on the same channel (the page's
    latest edit) stops the older one's worker process.
    """

    limits: ServerLimits
    quick: Lane
    heavy: Lane
    cache: RunCache | None = None
    channels: dict[str, anyio.Event] = field(default_factory=dict)

    def take_channel(self, channel: str | None) -> anyio.Event | None:
        """Stop the older request on ``channel`` and return this one's stop signal."""
        if not channel:
            return None
        older = self.channels.get(channel)
        if older is not None:
            older.set()
        self.channels[channel] = stop = anyio.Event()
        if len(self.channels) > 1000:  # forget finished channels (their events are set or idle)
            for key in [k for k, e in self.channels.items() if e.is_set()]:
                del self.channels[key]
        return stop

    def stop_all(self) -> None:
        """Kill every running simulation (the server is shutting down)."""
        self.quick.stop_all()
        self.heavy.stop_all()


def create_app(limits: ServerLimits | None = None) -> FastAPI:
    """The explorer application (API, page and plotly.js); opens no socket.

    ``limits`` sets the worker processes, queues, work budget and time limits
    (default: :class:`ServerLimits`). The workers' forkserver starts with the
    application (or with its first simulation).
    """
    lim = limits or ServerLimits()
    cache = RunCache(lim.cache_bytes) if lim.cache_bytes > 0 else None
    pool = _Workers(lim, Lane("quick", lim.quick_workers, lim.quick_queue, cache=cache),
                    Lane("heavy", lim.workers, lim.queue, nice=lim.heavy_nice, cache=cache),
                    cache)  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(start_forkserver)
        await anyio.to_thread.run_sync(model_version)  # hashed once, before the first edit
        pool.quick.closing = pool.heavy.closing = False
        try:
            yield
        finally:
            pool.stop_all()

    app = FastAPI(
        title="waystation explorer",
        version=package_version(),
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, limit=MAX_BODY, timeout=lim.body_timeout)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN, compresslevel=6)
    _add_error_handlers(app)
    _add_static_routes(app)
    _add_catalogue_routes(app, lim)
    _add_simulation_routes(app, pool)
    app.state.stop_workers = pool.stop_all  # for a server that shuts down (see cli.serve)
    app.state.cache = cache
    return app


def _cut(text: str) -> str:
    """``text`` shortened to :data:`MAX_FIELD` characters."""
    return text if len(text) <= MAX_FIELD else text[: MAX_FIELD - 1] + "…"


def bounded(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most :data:`MAX_PROBLEMS` problem records, fields cut short, the rest counted."""
    out = [
        {"path": _cut(str(r.get("path", ""))), "line": r.get("line"),
         "message": _cut(str(r.get("message", "")))}
        for r in records[:MAX_PROBLEMS]
    ]  # fmt: skip
    if len(records) > MAX_PROBLEMS:
        more = len(records) - MAX_PROBLEMS
        out.append({"path": "", "line": None, "message": f"... and {more} more problems"})
    return out


def errors(
    status: int, problems: list[Problem], headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON error response listing located problems (bounded in size)."""
    return _records(status, problems_json(problems), headers)


def _records(
    status: int, records: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"errors": bounded(records)}, status_code=status, headers=headers)


def _one(
    status: int, path: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON error response with one problem at a request path."""
    return errors(status, [Problem("request", None, path, message)], headers)


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

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _one(exc.status_code, "", str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        """Last resort: a bug gets JSON with a short id; its traceback goes to the log."""
        ident = bug_id()
        LOG.error("internal error %s on %s %s", ident, request.method, request.url.path,
                  exc_info=exc)  # fmt: skip
        return _one(500, "", bug_message(ident, type(exc).__name__))


#: plotly.js's "basic" partial bundle (scatter, bar and pie traces: all the page draws),
#: version 4.1.1 from the npm package ``plotly.js-basic-dist-min`` (MIT, see
#: ``static/plotly-LICENSE.txt``): a quarter of the full bundle's size.
PLOTLY = "plotly-basic.min.js"
#: Static files: media type and cache policy. The plotly bundle never changes under its
#: versioned name (cached for a year); the page's own files are revalidated (ETag).
_ASSETS = {
    "app.js": ("text/javascript", "no-cache"),
    "style.css": ("text/css", "no-cache"),
    PLOTLY: ("text/javascript", "public, max-age=31536000, immutable"),
}
#: ``GET /api/scenarios/preset:NAME`` is the preset NAME (:mod:`waystation.presets`).
PRESET_PREFIX = "preset:"
#: Responses smaller than this are sent uncompressed.
GZIP_MIN = 1000


@dataclass(frozen=True)
class _Asset:
    """A static file held in memory with its gzip form and ETag (compressed once)."""

    body: bytes
    zipped: bytes
    media: str
    cache: str
    etag: str

    @classmethod
    def of(cls, body: bytes, media: str, cache: str) -> _Asset:
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        return cls(body, gzip.compress(body, 9, mtime=0), media, cache, tag)

    def response(self, request: Request, headers: dict[str, str] | None = None) -> Response:
        """The asset, gzipped when the client accepts it, 304 when its ETag matches."""
        head = {"Cache-Control": self.cache, "ETag": self.etag, "Vary": "Accept-Encoding",
                **(headers or {})}  # fmt: skip
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=head)
        if "gzip" in request.headers.get("accept-encoding", ""):
            head["Content-Encoding"] = "gzip"
            return Response(self.zipped, media_type=self.media, headers=head)
        return Response(self.body, media_type=self.media, headers=head)


def _add_static_routes(app: FastAPI) -> None:
    """The page, its script and style, and plotly.js's basic bundle, compressed and cached.

    ``/static/plotly.min.js`` is the same bundle under its older name.
    """
    static = resources.files("waystation.web") / "static"
    assets = {name: _Asset.of((static / name).read_bytes(), media, cache)
              for name, (media, cache) in _ASSETS.items()}  # fmt: skip
    assets["plotly.min.js"] = assets[PLOTLY]
    page = _Asset.of((static / "index.html").read_bytes(), "text/html; charset=utf-8", "no-cache")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> Response:
        return page.response(request, {"Content-Security-Policy": _CSP})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/{name}", include_in_schema=False)
    def asset(name: str, request: Request) -> Response:
        if name not in assets:
            return _one(404, "", f"no static file {name!r}")
        return assets[name].response(request)


def _add_catalogue_routes(app: FastAPI, lim: ServerLimits) -> None:
    """Shipped scenarios, built-in strategies and the parameter and lever registries."""

    @app.get("/api/scenarios")
    def scenarios() -> list[dict[str, str]]:
        return [{"name": k, "description": v} for k, v in _shipped().items()]

    @app.get("/api/scenario-presets")
    def scenario_presets() -> list[dict[str, Any]]:
        """The presets (:mod:`waystation.presets`): kind, beliefs and sources of each."""
        return [{"name": p.name, "kind": p.kind, "title": p.title, "sources": list(p.sources),
                 "description": load_preset(p.name).description}
                for p in PRESETS.values()]  # fmt: skip

    @app.get("/api/scenarios/{name}", response_model=None)
    def scenario(name: str) -> dict[str, Any] | JSONResponse:
        if name.startswith(PRESET_PREFIX) and name[len(PRESET_PREFIX) :] in PRESETS:
            preset = PRESETS[name[len(PRESET_PREFIX) :]]
            text = preset_path(preset.name).read_text("utf-8")
            return {"name": name, "scenario": scenario_json(load_preset(preset.name)),
                    "yaml": text, "sources": list(preset.sources)}  # fmt: skip
        if name not in _shipped():
            return _one(404, "name", f"no shipped scenario {name!r}; shipped: "
                                     f"{', '.join(_shipped())}")  # fmt: skip
        text = (resources.files("waystation.scenarios") / f"{name}.yaml").read_text("utf-8")
        return {"name": name, "scenario": scenario_json(load_scenario(name)), "yaml": text}

    @app.get("/api/strategies")
    def strategies() -> list[dict[str, Any]]:
        return [{"name": k, **jsonable(dict(v))} for k, v in BUILTIN_STRATEGIES.items()]

    @app.get("/api/registry")
    def registry() -> dict[str, Any]:
        params = [{"name": p.name, "group": p.group, "default": p.default, "unit": p.unit,
                   "bounds": list(p.bounds), "meaning": p.meaning, "source": p.source}
                  for p in PARAMS]  # fmt: skip
        levers = [{"name": v.name, "scope": v.scope, "default": v.default, "unit": v.unit,
                   "bounds": list(v.bounds), "cost": v.cost, "meaning": v.meaning,
                   "source": v.source} for v in LEVERS]  # fmt: skip
        limits = {"max_worlds": MAX_WORLDS, "max_seed": MAX_SEED, "max_body": MAX_BODY,
                  "default_worlds": DEFAULT_WORLDS, **lim.to_json()}  # fmt: skip
        return {"params": params, "levers": levers, "limits": limits,
                "version": package_version()}  # fmt: skip

    @app.get("/api/definitions")
    def definitions() -> dict[str, Any]:
        """The registry of meanings (the page's hover text) and how numbers are written.

        ``format`` is :func:`waystation.present.spec`: the page writes its own
        numbers by the same rules as the CLI and the report.
        """
        block = definitions_block()
        for key, entry in block.items():
            entry["text"] = define(key).text()  # the one-line form CLI footnotes use
        return {"definitions": block, "format": present.spec(), "version": package_version()}

    @app.post("/api/strategy-levers")
    def levers_set(body: StrategyLeversRequest) -> dict[str, Any]:
        """Which levers the strategy's rules set, per actor, and under which rule."""
        try:
            return strategy_levers(scenario_of(body.scenario), body.strategy)
        except ValueError as err:  # a scenario's own strategy naming no built-in
            raise ScenarioError([Problem("request", None, "strategy", str(err))]) from None

    @app.post("/api/presets")
    def presets(body: ScenarioRequest) -> dict[str, Any]:
        """The problem profile at its 5th, 50th and 95th percentiles in this scenario."""
        return profile_presets(scenario_of(body.scenario))


def _add_simulation_routes(app: FastAPI, pool: _Workers) -> None:
    """Runs, comparisons, analyses and YAML round trips, each in a worker process."""

    @app.post("/api/run", response_model=None)
    async def run(body: RunRequest, request: Request) -> Response:
        model = await anyio.to_thread.run_sync(_compiled, body.scenario, body.strategy)
        return await _simulate(pool, request, "run", body, _work(model, worlds_now(body)),
                               preview=body.preview)  # fmt: skip

    @app.post("/api/compare", response_model=None)
    async def compare(body: CompareRequest, request: Request) -> Response:
        names = list(dict.fromkeys(body.strategies))
        model = await anyio.to_thread.run_sync(_compiled, body.scenario, names[0])
        for name in names[1:]:
            await anyio.to_thread.run_sync(_compiled, body.scenario, name)
        return await _simulate(pool, request, "compare", body,
                               _work(model, body.worlds, len(names)))  # fmt: skip

    @app.post("/api/edited", response_model=None)
    async def edited(body: EditedRequest, request: Request) -> Response:
        model = await anyio.to_thread.run_sync(_compiled, body.scenario, body.strategy)
        base = await anyio.to_thread.run_sync(baseline_model, body.baseline, body.strategy)
        work = _Work(
            worlds_now(body),
            max(len(model.actors), len(base.actors)),
            int(max(model.steps, base.steps)),
            2,
        )  # an upper bound on the two runs
        return await _simulate(pool, request, "edited", body, work, preview=body.preview)

    @app.post("/api/competence", response_model=None)
    async def competence(body: CompetenceRequest, request: Request) -> Response:
        if not hasattr(_analyses(), "competence"):
            return _missing("competence")
        model = await anyio.to_thread.run_sync(_compiled, body.scenario, body.strategy)
        runs = len(body.grid) if body.grid else len(_analyses().check_grid(None))
        return await _simulate(pool, request, "competence", body, _work(model, body.worlds, runs))

    @app.post("/api/levers", response_model=None)
    async def levers(body: LeversRequest, request: Request) -> Response:
        if not hasattr(_analyses(), "lever_values"):
            return _missing("lever_values")
        model = await anyio.to_thread.run_sync(_compiled, body.scenario, body.strategy)
        lim = pool.limits
        plan = lever_plan(body.worlds, len(model.actors), int(model.steps), len(LEVERS),
                          lim.max_lever_work, body.preview)  # fmt: skip
        job = LeversJob(**body.model_dump(), plan=plan)
        return await _simulate(pool, request, "levers", job, _work(model, plan.worlds),
                               budget=lim.max_lever_work,
                               time_limit=lim.lever_time_limit)  # fmt: skip

    @app.post("/api/worlds", response_model=None)
    async def worlds(body: WorldsRequest, request: Request) -> Response:
        """The run's per-world rows (CSV or Parquet, base64) or their data dictionary."""
        model = await anyio.to_thread.run_sync(_compiled, body.scenario, body.strategy)
        return await _simulate(pool, request, "worlds", body, _work(model, body.worlds))

    @app.post("/api/validate-yaml", response_model=None)
    async def validate_yaml(body: YamlRequest, request: Request) -> Response:
        lim = pool.limits  # YAML is read in a worker too: a hostile file cannot hang the server
        return await _dispatch(pool.quick, lim, request, "validate-yaml", body,
                               lim.parse_time_limit)  # fmt: skip

    @app.post("/api/yaml")
    def to_yaml(body: ScenarioRequest) -> dict[str, Any]:
        data = scenario_json(scenario_of(body.scenario))
        return {"yaml": yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)}


class LeversJob(LeversRequest):
    """A lever request with the plan that fits the server's work budget (built here, not sent)."""

    plan: LeverPlan


def _compiled(scenario: dict[str, Any], strategy: str | None) -> Any:
    """The compiled model of a request's scenario and strategy (ScenarioError if invalid)."""
    return compile_scenario(scenario_of(scenario), strategy)


@dataclass(frozen=True)
class _Work:
    """A request's work in world-actor-steps, and how it is made up (for the message)."""

    worlds: int
    actors: int
    steps: int
    runs: int

    @property
    def total(self) -> int:
        return self.worlds * self.actors * self.steps * self.runs

    def __str__(self) -> str:
        runs = f" × {self.runs} runs" if self.runs > 1 else ""
        return (f"{self.worlds:,} worlds × {self.actors} actors × {self.steps:,} steps{runs} "
                f"= {self.total:,} world-actor-steps")  # fmt: skip


def _work(model: Any, worlds: int, runs: int = 1) -> _Work:
    return _Work(worlds, len(model.actors), int(model.steps), runs)


#: Jobs whose runs use and fill the server's cache of runs (they read only outcome columns).
CACHED_JOBS = frozenset({"run", "edited", "compare", "levers"})


async def _simulate(
    pool: _Workers, request: Request, kind: str, body: BaseModel, work: _Work, *,
    preview: bool = False, budget: int | None = None, time_limit: float | None = None,
) -> Response:  # fmt: skip
    """Refuse work over the budget; run the rest in the quick or the heavy lane.

    A preview (the page's first estimate, at most a few thousand worlds) always
    takes the quick lane. A request with a ``channel`` stops the older request
    on that channel, and is stopped by a newer one.
    """
    lim = pool.limits
    limit = lim.max_work if budget is None else budget
    if work.total > limit:
        message = (f"this request needs {work}, more than the limit of {limit:,}: "
                   "use fewer worlds, a coarser dt or a shorter horizon")  # fmt: skip
        return _one(422, "worlds", message)
    lane = pool.quick if preview or work.total <= lim.quick_work else pool.heavy
    stop = pool.take_channel(getattr(body, "channel", None))
    return await _dispatch(lane, lim, request, kind, body,
                           lim.time_limit if time_limit is None else time_limit, stop)  # fmt: skip


async def _dispatch(
    lane: Lane, lim: ServerLimits, request: Request, kind: str, body: BaseModel, limit: float,
    stop: anyio.Event | None = None,
) -> Response:  # fmt: skip
    """Run a job in ``lane`` and turn its outcome into a response.

    The job stops when its client leaves or when ``stop`` is set (a newer
    request on its channel), answered 499 either way.
    """

    async def gone() -> bool:
        return (stop is not None and stop.is_set()) or await request.is_disconnected()

    try:
        status, value = await lane.run(kind, body, limit, lim.queue_wait, gone,
                                       cached=kind in CACHED_JOBS)  # fmt: skip
    except BusyError as exc:
        return _one(503, "", f"the server is busy ({exc}); try again in {lim.retry_after} s",
                    {"Retry-After": str(lim.retry_after)})  # fmt: skip
    except TimedOutError:
        return _one(503, "", f"stopped after the time limit of {limit:g} s: use fewer worlds, "
                    "a coarser dt or a shorter horizon")  # fmt: skip
    except GoneError:
        if stop is not None and stop.is_set():
            return _one(499, "", "a newer request on this channel replaced this one; "
                        "its simulation was stopped")  # fmt: skip
        return _one(499, "", "the client closed the connection; its simulation was stopped")
    except WorkerFailedError as exc:
        ident = bug_id()
        LOG.error("internal error %s in %s: %s", ident, kind, exc)
        return _one(500, "", bug_message(ident, str(exc)))
    if status == "ok":
        return JSONResponse(value)
    if status == "problems":
        return _records(422, value)
    return _one(500, "", str(value))


def _analyses() -> Any:
    """The :mod:`waystation.analyses` module, or None while it is not available."""
    try:
        return importlib.import_module("waystation.analyses")
    except ImportError:
        return None


def _missing(name: str) -> JSONResponse:
    return _one(501, "", f"waystation.analyses.{name} is not available in this version")
