"""Request bodies of the web API and the JSON the page draws from.

Request fields are strict: a world count must be a JSON integer, not
``"2000"``, ``2000.0`` or ``true``. Every scenario a request carries is
validated by the same pydantic
:class:`~waystation.scenario.Scenario` model as a YAML file, and every number
comes from the public Python API: the page never re-implements the model.
Problems come back as ``{"path", "line", "message"}`` records whose ``path``
(``actors[0].levers.caution``) the page maps to the offending control.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from waystation.definitions import DEFAULT_WORLDS
from waystation.io import Problem, validate
from waystation.present import jsonable
from waystation.results import Results
from waystation.scenario import Scenario
from waystation.strategies import BUILTIN_STRATEGIES

MAX_WORLDS = 200_000
MAX_SEED = 2**53 - 1
#: Request bodies: unknown keys refused, and no coercion (``"2000"`` or ``true`` is no count).
_FORBID = ConfigDict(extra="forbid", strict=True)

Worlds = Field(
    default=DEFAULT_WORLDS, ge=1, le=MAX_WORLDS, description="possible worlds to simulate"
)
Seed = Field(default=0, ge=0, le=MAX_SEED, description="root random seed")
Preview = Field(
    default=False,
    description="answer on the first worlds only (the page's first estimate, marked preliminary)",
)
Channel = Field(
    default=None,
    max_length=100,
    description="a newer request on the same channel stops this one (the page's latest edit)",
)


def _builtin(name: str) -> str:
    """Accept the name of a built-in strategy; suggest the closest otherwise."""
    if name not in BUILTIN_STRATEGIES:
        close = difflib.get_close_matches(name, list(BUILTIN_STRATEGIES), n=1)
        did = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(
            f"unknown strategy {name!r}; {did}built-in: {', '.join(BUILTIN_STRATEGIES)}"
        )
    return name


StrategyName = Annotated[str, Field(max_length=80), AfterValidator(_builtin)]


class RunRequest(BaseModel):
    """``POST /api/run``: a scenario object and a built-in strategy (null: the scenario's own)."""

    model_config = _FORBID
    scenario: dict[str, Any]
    strategy: StrategyName | None = None
    worlds: int = Worlds
    seed: int = Seed
    preview: bool = Preview
    channel: str | None = Channel


class CompareRequest(BaseModel):
    """``POST /api/compare``: two to four strategies on common random numbers."""

    model_config = _FORBID
    scenario: dict[str, Any]
    strategies: list[StrategyName] = Field(min_length=2, max_length=4)
    worlds: int = Worlds
    seed: int = Seed
    channel: str | None = Channel


class CompetenceRequest(BaseModel):
    """``POST /api/competence``: outcome curves over a grid of competence levels."""

    model_config = _FORBID
    scenario: dict[str, Any]
    strategy: StrategyName | None = None
    grid: list[float] | None = Field(default=None, min_length=2, max_length=21)
    worlds: int = Worlds
    seed: int = Seed


class LeversRequest(BaseModel):
    """``POST /api/levers``: the marginal value of each lever for an objective."""

    model_config = _FORBID
    scenario: dict[str, Any]
    strategy: StrategyName | None = None
    objective: str = Field(default="victory", max_length=40)
    worlds: int = Worlds
    seed: int = Seed
    preview: bool = Preview
    channel: str | None = Channel


class WorldsRequest(RunRequest):
    """``POST /api/worlds``: a run's per-world rows as a file, or their data dictionary."""

    format: Literal["csv", "parquet", "dictionary"] = "csv"


class EditedRequest(RunRequest):
    """``POST /api/edited``: a run's request plus its baseline, run on common worlds."""

    baseline: dict[str, Any]


class StrategyLeversRequest(BaseModel):
    """``POST /api/strategy-levers``: which levers a strategy's rules set in a scenario."""

    model_config = _FORBID
    scenario: dict[str, Any]
    strategy: StrategyName | None = None


class YamlRequest(BaseModel):
    """``POST /api/validate-yaml``: scenario YAML text and the file name to cite."""

    model_config = _FORBID
    yaml: str = Field(max_length=1_000_000)
    source: str = Field(default="<upload>", max_length=200)


class ScenarioRequest(BaseModel):
    """``POST /api/yaml``: a scenario object to write as YAML."""

    model_config = _FORBID
    scenario: dict[str, Any]


def scenario_of(data: dict[str, Any]) -> Scenario:
    """Validate a scenario object with the file schema; problems carry key paths."""
    result = validate(Scenario, data, "scenario", {})
    assert isinstance(result, Scenario)
    return result


def scenario_json(scenario: Scenario) -> dict[str, Any]:
    """A scenario as the JSON object the page edits (unset keys omitted)."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=True)


def problems_json(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems as ``{"path", "line", "message"}`` records."""
    return [{"path": p.path, "line": p.line, "message": p.message} for p in problems]


def results_json(res: Results) -> dict[str, Any]:
    """The run summary plus the quantile bands of capability and safety range per actor."""
    traj = res.trajectories
    bands = {
        actor: {
            var: {f"q{round(q * 100):02d}": series for q, series in traj.get(var, actor).items()}
            for var in ("capability", "safety_range")
        }
        for actor in res.actors
    }
    out = res.to_dict()
    out["actors"] = list(res.actors)
    out["trajectories"] = {"years": traj.times, "actors": bands}
    return jsonable(out)
