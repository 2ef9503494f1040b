"""Reading scenario and strategy files, with errors that point at the line.

YAML is read by the bounded safe loader of :mod:`waystation._loader` (no
tags, no code; limits on nesting, size, aliases and numbers; no duplicate
keys), which also maps every key path to its line, so that a validation error
can say ``file:line: path: what was wrong``. :func:`load_document` is the one
entry point for text from outside (YAML files, YAML or JSON request bodies);
:func:`validate` applies the same limits to data decoded elsewhere. Shipped
scenarios are package data, listed by :func:`shipped_scenarios`.
"""

from __future__ import annotations

import difflib
import functools
import stat
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from waystation._loader import LoadError, check_data, load_json, load_yaml
from waystation._text import shown
from waystation.scenario import Scenario, StrategySpec, static_problems, strategy_spec
from waystation.strategies import BUILTIN_STRATEGIES

Path_ = tuple[str | int, ...]
_MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file.

    Its text fields hold what a user file said (a file name, a key, a value),
    so they are kept through :func:`~waystation._text.shown`: a control
    character is stored and displayed as an escape, on the terminal, in the
    report and on the page alike. Only the message keeps its newlines.
    """

    source: str
    line: int | None
    path: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", shown(self.source))
        object.__setattr__(self, "path", shown(self.path))
        object.__setattr__(self, "message", shown(self.message, newlines=True))

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario or strategy that cannot be used; ``problems`` lists every located issue."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def shipped_scenarios() -> dict[str, str]:
    """Names and one-line descriptions of the scenarios shipped with waystation."""
    return dict(_shipped())


@functools.cache
def _shipped() -> dict[str, str]:
    """:func:`shipped_scenarios`, read once: the package's files do not change while it runs."""
    out = {}
    for entry in sorted(resources.files("waystation.scenarios").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
            out[entry.name[:-5]] = str(data.get("description", "")).strip().split("\n")[0]
    return out


def load_document(
    text: str, source: str, kind: Literal["yaml", "json"] = "yaml"
) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML (or JSON) text within the reading limits; return data and key-path lines.

    Refuses, with a located :class:`ScenarioError`: text that is not YAML/JSON,
    nesting deeper than ``MAX_DEPTH``, more than ``MAX_NODES`` nodes after
    alias expansion, more than ``MAX_ALIASES`` aliases, duplicate keys, and
    numbers outside float range (limits in :mod:`waystation._loader`). JSON
    has no line map (an empty dict).
    """
    try:
        if kind == "json":
            return load_json(text), {}
        return load_yaml(text)
    except LoadError as err:
        path = _render_path(err.path)
        raise ScenarioError([Problem(source, err.line, path, err.message)]) from None
    except yaml.reader.ReaderError as err:  # a character YAML forbids: locate it in the text
        raise ScenarioError([_reader_problem(text, source, err)]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err)
        raise ScenarioError([Problem(source, at, "", f"not valid YAML: {problem}")]) from None


def _reader_problem(text: str, source: str, err: yaml.reader.ReaderError) -> Problem:
    """A character YAML does not allow (a control character), with its line and column."""
    line = text.count("\n", 0, err.position) + 1
    column = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
    code = int(err.character) if isinstance(err.character, int) else ord(str(err.character)[:1])
    message = (f"not valid YAML: control character {shown(chr(code))} (U+{code:04X}) in column "
               f"{column} is not allowed; remove it, or write it as an escape such as \\x07 "
               "inside double quotes")  # fmt: skip
    return Problem(source, line, "", message)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text safely and within limits; return the data and key-path lines."""
    return load_document(text, source, "yaml")


def check_document(data: Any, source: str) -> None:
    """Apply the reading limits (nesting, size, number range) to already-decoded data."""
    try:
        check_data(data)
    except LoadError as err:
        raise ScenarioError([Problem(source, None, _render_path(err.path), err.message)]) from None


def _read(path: Path) -> str:
    """Read a text file, refusing missing, oversized or non-UTF-8 files with a located error."""
    source = str(path)
    kind = _not_a_file(path)
    if kind:
        raise ScenarioError([Problem(source, None, "", kind)])
    if path.stat().st_size > _MAX_BYTES:
        raise ScenarioError([Problem(source, None, "", f"file larger than {_MAX_BYTES} bytes")])
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError([Problem(source, None, "", f"not UTF-8 text: {err.reason}")]) from None


def _not_a_file(path: Path) -> str:
    """Why ``path`` cannot be read as a scenario file ("" if it is a regular file)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as err:
        return f"cannot read it: {err.strerror or err}"
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "is a directory; expected a YAML file"
    what = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")  # fmt: skip
    return f"is {what}, not a regular file; expected a YAML file"


def _render_path(loc: Path_) -> str:
    """``actors[0].levers.caution`` from a key path."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _data_path(data: Any, loc: tuple[Any, ...]) -> Path_:
    """The longest prefix of a pydantic location that exists in the data (drops type tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not path_is_tag(part):
            path.append(part)
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def path_is_tag(part: str) -> bool:
    """Whether a pydantic location part is a type tag rather than a key."""
    return "[" in part or part in {"str", "dict", "float", "int", "StrategySpec"}


def _message(err: dict[str, Any], model: type[BaseModel], path: Path_) -> str:
    """A readable message for one pydantic error, with the value and what was expected."""
    kind = err["type"]
    if kind == "extra_forbidden":
        known = _fields_at(model, path[:-1])
        hint = difflib.get_close_matches(str(path[-1]), known, n=1)
        did = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"unknown key {path[-1]!r}{did} expected one of: {', '.join(known)}"
    if kind == "missing":
        return "required key is missing"
    text = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    shown = "" if isinstance(value, dict | list) or value is None else f" (got {value!r})"
    if "\n" in text or "got" in text or (value is not None and repr(value) in text):
        return text
    return f"{text}{shown}"


def _fields_at(model: type[BaseModel], path: Path_) -> list[str]:
    """Field names (aliases) of the sub-model found at ``path`` inside ``model``."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return []
        current = _model_of(fields[part].annotation)
    return [f.alias or k for k, f in getattr(current, "model_fields", {}).items()]


def _model_of(annotation: Any) -> Any:
    """The BaseModel class inside an annotation such as ``list[ActorSpec] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def validate(model: type[BaseModel], data: Any, source: str, lines: dict[Path_, int]) -> BaseModel:
    """Validate data against a model; raise ScenarioError with every located problem.

    Data that did not come through :func:`load_document` is first held to the
    same reading limits (:func:`check_document`).
    """
    if not lines:
        check_document(data, source)
    try:
        result = model.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_problems(err, model, data, source, lines)) from None
    if isinstance(result, Scenario):
        found = static_problems(result)
        if found:
            problems = [Problem(source, _line_of(p, lines), _render_path(p), m) for p, m in found]
            raise ScenarioError(problems)
    return result


def _line_of(path: Path_, lines: dict[Path_, int]) -> int | None:
    """The line of the longest prefix of ``path`` that the file has."""
    return next((lines[path[:i]] for i in range(len(path), -1, -1) if path[:i] in lines), None)


def _problems(
    err: ValidationError, model: type[BaseModel], data: Any, source: str, lines: dict[Path_, int]
) -> list[Problem]:
    """Located problems of a pydantic error, one per distinct message and place."""
    problems = []
    errors = err.errors(include_url=False)
    deep = {tuple(e["loc"][:1]) for e in errors if len(e["loc"]) > 2}
    for e in errors:
        if e["loc"][-1:] == ("str",) and tuple(e["loc"][:1]) in deep:
            continue  # the union's plain-string branch, when the mapping branch went deeper
        path = _data_path(data, tuple(e["loc"]))
        message = _message(dict(e), model, path)
        problems.append(Problem(source, _line_of(path, lines), _render_path(path), message))
    return list(dict.fromkeys(problems))


def scenario_from_text(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and validate a scenario from YAML text."""
    data, lines = parse_yaml(text, source)
    if not isinstance(data, dict):
        got = type(data).__name__
        raise ScenarioError([Problem(source, 1, "", f"expected a mapping of keys, got {got}")])
    result = validate(Scenario, data, source, lines)
    assert isinstance(result, Scenario)
    return result


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load a scenario by shipped name (see ``waystation scenarios``) or by file path."""
    name = str(path_or_name)
    if isinstance(path_or_name, str) and name in shipped_scenarios():
        entry = resources.files("waystation.scenarios").joinpath(f"{name}.yaml")
        return scenario_from_text(entry.read_text(encoding="utf-8"), f"{name}.yaml")
    path = Path(path_or_name)
    if not path.exists() and not name.endswith((".yaml", ".yml")):
        known = list(shipped_scenarios())
        hint = difflib.get_close_matches(name, known, n=1)
        did = f"; did you mean {hint[0]!r}?" if hint else ""
        message = f"no shipped scenario or file of that name{did} shipped: {', '.join(known)}"
        raise ScenarioError([Problem(name, None, "", message)])
    return scenario_from_text(_read(path), str(path))


def load_strategy(name_or_path: str | Path, scenario: Scenario | None = None) -> StrategySpec:
    """A strategy by built-in name or from a YAML file (a strategy, or ``strategy:`` in it)."""
    text = str(name_or_path)
    if isinstance(name_or_path, str) and text in BUILTIN_STRATEGIES:
        return (
            strategy_spec(text, scenario)
            if scenario
            else StrategySpec.model_validate({"name": text, **BUILTIN_STRATEGIES[text]})
        )
    path = Path(name_or_path)
    if not path.exists():
        hint = difflib.get_close_matches(text, list(BUILTIN_STRATEGIES), n=1)
        did = f"; did you mean {hint[0]!r}?" if hint else ""
        message = f"no built-in strategy or file of that name{did}"
        raise ScenarioError([Problem(text, None, "", message)])
    data, lines = parse_yaml(_read(path), str(path))
    if isinstance(data, dict) and set(data) == {"strategy"}:
        data = data["strategy"]
        lines = {k[1:]: v for k, v in lines.items() if k[:1] == ("strategy",)}
    result = validate(StrategySpec, data, str(path), lines)
    assert isinstance(result, StrategySpec)
    return result
