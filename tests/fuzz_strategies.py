"""Generators of hostile scenario documents and condition strings, and what must hold of them.

Shared by the fuzz tests (``test_fuzz.py``, a fixed budget in CI) and the
larger campaign (``benchmarks/fuzz.py``). Not collected by pytest itself.

A document is accepted or refused with a located :class:`~waystation.ScenarioError`;
an accepted one compiles and a small run of it (64 worlds, coarse ``dt``,
at most 25 years) gives finite probabilities in [0, 1] that sum to 1. A
condition parses or is refused with a :class:`ConditionError`, and one that
parses evaluates to a bool array.
"""

from __future__ import annotations

import copy
import importlib.util
import math
import re
import signal
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

import numpy as np
import yaml
from hypothesis import strategies as st

from waystation._finite import NonFiniteError
from waystation.api import run_model
from waystation.conditions import ConditionError, parse_condition
from waystation.io import ScenarioError, scenario_from_text
from waystation.levers import LEVER_REGISTRY
from waystation.params import REGISTRY
from waystation.scenario import Scenario, compile_model
from waystation.strategies import BUILTIN_STRATEGIES, CONDITION_NAMES

SHIPPED: dict[str, str] = {
    e.name: e.read_text(encoding="utf-8")
    for e in resources.files("waystation.scenarios").iterdir()
    if e.name.endswith(".yaml")
}
KEYS = sorted({*REGISTRY, *LEVER_REGISTRY, "name", "actors", "time", "nature", "world"} | {
    "levers", "correlations", "strategy", "rules", "when", "set", "between", "rank", "dist",
    "truncate", "description", "frontier", "start", "horizon", "dt", "<<", "bogus", "__class__",
})  # fmt: skip
DIST_TEXT = ["1 to 3", "0.2 to 0.8", "3 to 1", "0 to 0", "beta(2, 3)", "beta(0, 1)",
             "uniform(0, 1)", "uniform(0.9, 1)", "lognormal(0, 1)", "normal(0, 1)",
             "normal(0.5, 10)", "loguniform(1, 1e6)", "truncate(normal(0, 1), 0, 1)",
             "gamma(1, 2)", "1e400 to 1e401", "no", "yes", ".inf", "nan", ""]  # fmt: skip
CONDITION_TOKENS = [*CONDITION_NAMES, "(", ")", "and", "or", "not", "<", "<=", ">", ">=", "==",
                    "!=", "+", "-", "*", "/", "true", "false", "1", "0", "2030", "0.5", "1e400",
                    "1e-400", "__import__", "True", "lambda", "=", "[", "'", "year.", "x",
                    ".5e3", "1..2"]  # fmt: skip
COND_NAME_TYPES = dict(CONDITION_NAMES)

numbers = st.one_of(
    st.integers(-5, 2200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.999, 1.0001, 1e-300, 1e300, 10**400, -(10**400), 2**63]),
)
scalars = st.one_of(
    numbers,
    st.booleans(),
    st.none(),
    st.sampled_from(DIST_TEXT),
    st.text(max_size=12),
)
dist_maps = st.fixed_dictionaries(
    {"dist": st.sampled_from(["normal", "lognormal", "beta", "uniform", "gamma", 3])},
    optional={
        "mean": numbers,
        "sd": numbers,
        "median": numbers,
        "sigma": numbers,
        "a": numbers,
        "b": numbers,
        "lo": numbers,
        "hi": numbers,
        "truncate": st.lists(st.one_of(numbers, st.none()), max_size=3),
    },
)
values = st.one_of(scalars, dist_maps)
structures = st.recursive(
    values,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)
    ),
    max_leaves=40,
)
conditions = st.one_of(
    st.lists(st.sampled_from(CONDITION_TOKENS), min_size=1, max_size=30).map(" ".join),
    st.lists(st.sampled_from(CONDITION_TOKENS), min_size=1, max_size=30).map("".join),
    st.text(max_size=60),
    st.integers(0, 300).map(lambda n: "(" * n + "year > 2030" + ")" * n),
    st.integers(0, 600).map(lambda n: "not " * n + "reached.enhanced_human_labor"),
    st.integers(0, 600).map(lambda n: "- " * n + "year > 0"),
    st.integers(0, 400).map(lambda n: " + ".join(["1"] * n) + " > year" if n else "year"),
)


def _paths(data: Any) -> list[tuple[Any, ...]]:
    """Every key path in nested data (iteratively)."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        out.append(path)
        if isinstance(node, dict):
            stack.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
    return sorted(out, key=repr)


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> str:
    """A shipped scenario with a few edits to its data and, sometimes, to its text."""
    text = SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))]
    data = yaml.safe_load(text)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(data)))
        op = draw(
            st.sampled_from(
                ["tweak"] * 16 + ["extremes"] * 4 + ["set", "delete", "add", "rule", "correlate"]
            )
        )
        if op == "tweak":
            _tweak(draw, data)
        elif op == "extremes" and isinstance(data, dict):
            world = [p for p in REGISTRY.values() if p.group in ("world", "nature")]
            for param in draw(st.lists(st.sampled_from(world), min_size=2, max_size=8)):
                group = data.setdefault(param.group, {})
                if isinstance(group, dict):
                    group[param.name] = draw(st.sampled_from(param.bounds))
        elif op == "set" and path:
            _parent(data, path)[path[-1]] = draw(st.one_of(values, structures))
        elif op == "delete" and path:
            parent = _parent(data, path)
            del parent[path[-1]]
        elif op == "add":
            node = _parent(data, (*path, None))
            if isinstance(node, dict):
                node[draw(st.sampled_from(KEYS))] = draw(values)
            elif isinstance(node, list):
                node.append(copy.deepcopy(draw(st.sampled_from(node))) if node else draw(values))
        elif op == "rule":
            data["strategy"] = draw(_strategies())
        elif op == "correlate":
            data.setdefault("correlations", []).append(draw(_correlations()))
    out = yaml.safe_dump(data, sort_keys=False, default_flow_style=draw(st.booleans()))
    return draw(_text_edit(out)) if draw(st.integers(0, 9)) == 0 else out


def _in_bounds(draw: st.DrawFn, lo: float, hi: float) -> Any:
    """A value inside [lo, hi]: an end, a point, or a 'a to b' interval within it."""
    x = draw(st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi)))
    y = draw(st.floats(lo, hi))
    if draw(st.booleans()) or abs(x - y) < 1e-3 * (hi - lo) or lo <= 0:
        return x
    pad = 1e-6 * (hi - lo)
    return f"{min(x, y) + pad!r} to {max(x, y) - pad!r}"


def _tweak(draw: st.DrawFn, data: Any) -> None:
    """Set one registry input, lever or time field to a value inside its bounds."""
    if not isinstance(data, dict):
        return
    kind = draw(st.sampled_from(["nature", "world", "world", "levers", "actor", "time"]))
    if kind in ("nature", "world", "time"):
        param = draw(st.sampled_from([p for p in REGISTRY.values() if p.group == kind]))
        target, name, bounds = kind, param.name, param.bounds
    elif kind == "levers":
        lever = draw(st.sampled_from(sorted(LEVER_REGISTRY.values(), key=lambda x: x.name)))
        target, name, bounds = "levers", lever.name, lever.bounds
    else:
        actors = data.get("actors")
        if not isinstance(actors, list) or not actors or not isinstance(actors[0], dict):
            return
        actor = actors[draw(st.integers(0, len(actors) - 1))]
        if not isinstance(actor, dict):
            return
        names = [p for p in REGISTRY.values() if p.group == "actor"]
        names += [v for v in LEVER_REGISTRY.values() if v.scope == "actor"]
        entry = draw(st.sampled_from(sorted(names, key=lambda x: x.name)))
        holder = actor.setdefault("levers", {}) if entry.name in LEVER_REGISTRY else actor
        if isinstance(holder, dict):
            holder[entry.name] = _in_bounds(draw, *entry.bounds)
        return
    group = data.setdefault(target, {})
    if isinstance(group, dict):
        group[name] = draw(st.floats(*bounds)) if kind == "time" else _in_bounds(draw, *bounds)


def _strategies() -> st.SearchStrategy[Any]:
    rule = st.fixed_dictionaries(
        {"set": st.dictionaries(st.sampled_from(sorted(LEVER_REGISTRY)), numbers, max_size=3)},
        optional={"when": conditions, "actors": st.lists(st.sampled_from(["lab", "x"]))},
    )
    spec = st.fixed_dictionaries({"name": st.just("fuzz"), "rules": st.lists(rule, max_size=4)})
    return st.one_of(st.sampled_from([*BUILTIN_STRATEGIES, "nope"]), spec)


def _correlations() -> st.SearchStrategy[Any]:
    names = st.sampled_from(["hardness", "scheming", "eval_ease", "g_compute", "C_aar", "x"])
    return st.fixed_dictionaries(
        {"between": st.lists(names, min_size=1, max_size=3), "rank": numbers}
    )


def _text_edit(text: str) -> st.SearchStrategy[str]:
    """Insert, delete or duplicate a piece of the text (duplicate lines make duplicate keys)."""
    lines = text.splitlines(keepends=True)

    @st.composite
    def edit(draw: st.DrawFn) -> str:
        i = draw(st.integers(0, max(0, len(text) - 1)))
        kind = draw(st.sampled_from(["insert", "delete", "dup_line", "truncate"]))
        if kind == "insert":
            piece = draw(st.text(alphabet="&*[]{}:-!|>?#%@`'\" \n\t,.0123456789abc", max_size=8))
            return text[:i] + piece + text[i:]
        if kind == "delete":
            return text[:i] + text[i + draw(st.integers(1, 20)) :]
        if kind == "dup_line" and lines:
            j = draw(st.integers(0, len(lines) - 1))
            return "".join(lines[: j + 1] + lines[j:])
        return text[:i]

    return edit()


def hostile_texts() -> st.SearchStrategy[str]:
    """Alias bombs, deep nesting, key floods and huge numbers of random size."""

    def bomb(levels: int, width: int) -> str:
        out = ['a0: &a0 ["x"]']
        for i in range(1, levels):
            out.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
        return "\n".join(out) + "\nname: bomb\nactors: [{name: a}]\n"

    return st.one_of(
        st.builds(bomb, st.integers(1, 12), st.integers(1, 12)),
        st.integers(1, 700).map(lambda n: "name: n\nactors: " + "[" * n + "]" * n + "\n"),
        st.integers(1, 700).map(lambda n: "name: n\nactors: " + "{a: " * n + "1" + "}" * n),
        st.integers(0, 30_000).map(
            lambda n: "name: n\nactors: [{name: a}]\n" + "".join(f"k{i}: {i}\n" for i in range(n))
        ),
        st.integers(300, 5000).map(
            lambda n: f"name: n\nactors: [{{name: a}}]\ntime: {{dt: 1{'0' * n}}}\n"
        ),
        st.sampled_from(["a: &a [*a]\n", "name: x\nname: y\nactors: [{name: a}]\n", "", "- 1\n"]),
    )


#: Built-in strategies with at least one conditional rule (stepped one step per call).
CONDITIONAL = sorted(
    name
    for name, spec in BUILTIN_STRATEGIES.items()
    if any("when" in rule for rule in spec.get("rules", ()))
)
#: A user strategy whose rules depend on the state.
USER_RULE = {
    "name": "user-rule",
    "rules": [
        {"set": {"eval_investment": 0.2}},
        {"when": "year >= 2028 and lead >= 0", "set": {"caution": 0.9}},
    ],
}
#: Backends installed here (JAX is optional).
AVAILABLE_BACKENDS = ("numpy", "fused") + (("jax",) if importlib.util.find_spec("jax") else ())


def many_actor_document(actors: int, strategy: str | dict[str, Any], years: int = 3) -> str:
    """A valid scenario with ``actors`` default actors running ``strategy`` (dt 0.5)."""
    doc = {
        "name": f"many-{actors}",
        "time": {"start": 2026, "horizon": 2026 + years, "dt": 0.5},
        "actors": [{"name": f"a{i}"} for i in range(actors)],
        "strategy": strategy,
    }
    return yaml.safe_dump(doc, sort_keys=False)


@st.composite
def many_actor_scenarios(draw: st.DrawFn, backends: tuple[str, ...] = ("numpy", "fused")) -> Any:
    """(document, backend): 12 to 20 actors, a conditional strategy, a backend."""
    actors = draw(st.integers(12, 20))
    strategy = draw(st.sampled_from([*CONDITIONAL, USER_RULE]))
    text = many_actor_document(actors, strategy, draw(st.integers(1, 4)))
    return text, draw(st.sampled_from(backends))


#: YAML 1.1 tags (as ``!!name``) and values that are malformed for them, or awkward.
YAML_TAGS = ["null", "bool", "int", "float", "binary", "timestamp", "str", "omap", "pairs",
             "set", "seq", "map", "merge", "value", "yaml", "python/object",
             "python/name:os.system", "unknown"]  # fmt: skip
TAG_VALUES = ["'maybe'", "'bad'", "abc", "''", "'0x'", "'1_0'", "'2026-13-45'", "'1e999'",
              "'zz!'", "[1, 2]", "{a: 1}", "'0b102'", "'.nan'", "'-.inf'", "'0o9'", "'1:2:3'",
              "'2026-01-01T25:00:00'", "'YES'", "'~'", "'+'", "'1__2'", "[[a, 1]]", "[a]",
              "'" + "9" * 400 + "'"]  # fmt: skip
TAG_SITES = ["time: {start: %s}", "time: {dt: %s}", "world: {g_compute: %s}",
             "nature: {hardness: %s}", "name: %s", "description: %s", "levers: {caution: %s}",
             "strategy: %s", "correlations: %s", "%s: 1"]  # fmt: skip


@st.composite
def tagged_documents(draw: st.DrawFn) -> str:
    """A small scenario with one explicitly tagged, usually malformed, value."""
    tag = draw(st.sampled_from(YAML_TAGS))
    value = draw(st.sampled_from(TAG_VALUES))
    site = draw(st.sampled_from(TAG_SITES))
    return "name: t\nactors: [{name: a}]\n" + site % f"!!{tag} {value}" + "\n"


#: Control characters a key may hide: C0 (with ESC sequences), DEL, C1 and format characters.
CONTROL = [*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0)), "\u200b", "\u202e",
           "\u2028", "\u2029", "\ufeff", "\x1b[2J\x1b[1;1H", "\x1b]0;title\x07"]  # fmt: skip


@st.composite
def control_keys(draw: st.DrawFn) -> str:
    """A scenario with a key (double-quoted, escaped in YAML) that holds control characters."""
    parts = draw(st.lists(st.one_of(st.sampled_from(CONTROL), st.text("abc ok", max_size=3)),
                          min_size=1, max_size=4))  # fmt: skip
    key = json_string("".join(parts))
    site = draw(st.sampled_from(["%s: 1", "world: {%s: 1}", "actors: [{name: a, %s: 1}]",
                                 "levers: {%s: 1}", "time: {%s: 1}"]))  # fmt: skip
    actors = "" if "actors" in site else "actors: [{name: a}]\n"
    raw = draw(st.booleans()) and "\x00" not in key  # some keys raw in the text (not escaped)
    shown = key if not raw else '"' + "".join(parts).replace("\\", "") + '"'
    return "name: k\n" + actors + site % shown + "\n"


def json_string(text: str) -> str:
    """``text`` as a double-quoted YAML (JSON) string, every non-printable escaped."""
    import json

    return json.dumps(text)


@st.composite
def bounds_exact_intervals(draw: st.DrawFn) -> str:
    """A scenario setting one registry input to a 90% interval or point at its bounds exactly."""
    param = draw(st.sampled_from([p for p in REGISTRY.values()
                                  if p.group in ("nature", "world", "actor")]))  # fmt: skip
    lo, hi = param.bounds
    form = draw(st.sampled_from(["interval", "lo", "hi", "lo-mid", "mid-hi"]))
    mid = lo + (hi - lo) / 2 if lo <= 0 else math.sqrt(lo * hi)
    value = {"interval": f"{lo!r} to {hi!r}", "lo": lo, "hi": hi,
             "lo-mid": f"{lo!r} to {mid!r}", "mid-hi": f"{mid!r} to {hi!r}"}[form]  # fmt: skip
    if param.group == "actor":
        doc: dict[str, Any] = {"name": "b", "actors": [{"name": "a", param.name: value}]}
    else:
        doc = {"name": "b", "actors": [{"name": "a"}], param.group: {param.name: value}}
    return yaml.safe_dump(doc, sort_keys=False)


def documents() -> st.SearchStrategy[str]:
    """Every kind of generated scenario document."""
    random_docs = structures.map(lambda d: yaml.safe_dump(d, sort_keys=False))
    return st.one_of(mutated_scenarios(), random_docs, hostile_texts())


class PastHorizonError(AssertionError):
    """A run that simulated past its horizon (a model failure, like NonFiniteError)."""


#: Failures of the model's equations or time grid, not of reading or validation.
class ModelWarningError(AssertionError):
    """A run whose numbers stayed finite but whose arithmetic overflowed on the way."""


MODEL_FAILURES: tuple[type[Exception], ...] = (NonFiniteError, PastHorizonError, ModelWarningError)


class TimeLimitError(Exception):
    """An input took longer than the guard allows."""


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise Hang if the block runs longer than ``seconds`` (main thread, Unix)."""

    def alarm(signum: int, frame: Any) -> None:
        raise TimeLimitError(f"took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def small(scenario: Scenario, years: float = 10.0) -> Scenario:
    """The scenario over at most ``years`` at a coarse step (0.5 to 1 year), for a quick run."""
    t = scenario.time
    span = min(years, t.horizon - t.start)
    time = t.model_copy(update={"horizon": t.start + span, "dt": min(1.0, max(t.dt, 0.5))})
    return scenario.model_copy(update={"time": time})


#: What no rendered message may contain: C0/C1 controls but newline, DEL, format characters.
UNSHOWABLE = re.compile(
    "[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ufeff]"
)


def check_document(text: str, years: float = 10.0, backend: str | None = None) -> str:
    """Read, validate and (if accepted) run a document; return "accepted" or "rejected".

    Raises AssertionError when a property fails, and one of MODEL_FAILURES when
    the run gives non-finite numbers, overflows or passes its horizon; any other
    exception is itself a failure.
    """
    try:
        scenario = scenario_from_text(text, "fuzz.yaml")
    except ScenarioError as err:
        assert err.problems, "a ScenarioError without problems"
        for problem in err.problems:
            assert problem.source == "fuzz.yaml" and problem.message, problem
            assert not UNSHOWABLE.search(str(problem)), f"raw control character in {problem!s}"
        return "rejected"
    model = compile_model(small(scenario, years))  # must not fail: it was accepted
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        res = run_model(model, 64, 0, keep_worlds=False, backend=backend)
    probs = np.array(list(res.probabilities.values()))
    assert np.isfinite(probs).all(), res.probabilities
    assert ((probs >= 0) & (probs <= 1)).all(), res.probabilities
    assert math.isclose(probs.sum(), 1.0, abs_tol=1e-9), res.probabilities
    if res.times[-1] > model.horizon + 1e-9:
        raise PastHorizonError(
            f"simulated to {res.times[-1]:g}, past the horizon {model.horizon:g}"
        )
    numpy_warnings = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if numpy_warnings:
        first = numpy_warnings[0]
        raise ModelWarningError(f"{first.filename}:{first.lineno}: {first.message}")
    return "accepted"


def check_condition(text: str) -> str:
    """Parse (and if it parses, evaluate) a condition; return "accepted" or "rejected"."""
    try:
        cond = parse_condition(text, CONDITION_NAMES)
    except ConditionError as err:
        assert err.column >= 1 and err.message, err
        str(err)  # rendering must work too
        return "rejected"
    rng = np.random.default_rng(0)
    env = {
        n: (rng.random((4, 2)) < 0.5) if kind == "bool" else rng.normal(2030, 10, (4, 2))
        for n, kind in COND_NAME_TYPES.items()
    }
    out = cond.evaluate(env)
    assert out.dtype == bool and out.shape in ((), (4, 2)), (out.dtype, out.shape)
    return "accepted"


__all__ = [
    "AVAILABLE_BACKENDS",
    "CONDITIONAL",
    "MODEL_FAILURES",
    "USER_RULE",
    "ModelWarningError",
    "NonFiniteError",
    "PastHorizonError",
    "TimeLimitError",
    "bounds_exact_intervals",
    "check_condition",
    "check_document",
    "conditions",
    "control_keys",
    "documents",
    "hostile_texts",
    "many_actor_document",
    "many_actor_scenarios",
    "mutated_scenarios",
    "tagged_documents",
    "time_limit",
]
