"""Tests for the safe condition language in waystation.conditions."""

from __future__ import annotations

import ast
import contextlib
import math
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from waystation import conditions
from waystation.conditions import Condition, ConditionError, parse_condition

NAMES = {
    "year": "number",
    "lead": "number",
    "capability": "number",
    "warning_shots": "number",
    "margin_estimate": "number",
    "reached.global_pause": "bool",
    "reached.enhanced_human_labor": "bool",
    "a": "number",
    "x": "bool",
    "y": "bool",
    "z": "bool",
}
ENV: dict[str, Any] = {
    "year": 2030.0,
    "lead": 0.5,
    "capability": 3.0,
    "warning_shots": 2,  # an int: evaluation converts it to float64
    "margin_estimate": -0.25,
    "reached.global_pause": False,
    "reached.enhanced_human_labor": True,
    "a": 4.0,
    "x": True,
    "y": False,
    "z": True,
}

# ---------------------------------------------------------------- evaluation table

EVALUATION_CASES: list[tuple[str, bool | float]] = [
    ("1 + 2 * 3 == 7", True),
    ("not true or true", True),
    ("-2 * -3 == 6", True),
    ("(1+2)*3 == 9", True),
    ("1 + 2 * 3", 7.0),
    ("1 + 2 * 3 - 4 / 2", 5.0),
    ("10 - 4 - 3", 3.0),  # left-associative
    ("8 / 4 / 2", 1.0),
    ("-(2 + 3)", -5.0),
    ("- - 3", 3.0),
    ("1 - -1", 2.0),
    ("2 * 3 + 4 * 5 == 26", True),
    ("year - 2000", 30.0),
    ("1e-3 * 1000 == 1", True),
    ("0.5 + .5 == 1", True),
    ("year < 2035", True),
    ("year >= 2030 and year <= 2030", True),
    ("2029 < year < 2031", True),  # chained comparison
    ("1 < 3 < 2", False),
    ("3 > 2 > 1", True),
    ("1 < 2 == 2 != 3", True),
    ("not 1 > 2", True),  # not binds more loosely than comparisons
    ("not not true", True),
    ("false and true or true", True),  # and binds more tightly than or
    ("true or true and false", True),
    ("true and not false or false", True),
    ("not (1 < 2 and 2 < 1)", True),
    ("true == (1 < 2)", True),
    ("false != true", True),
    ("(true == false) == false", True),
    ("not reached.global_pause", True),
    ("reached.enhanced_human_labor and not reached.global_pause", True),
    ("not reached.enhanced_human_labor and year < 2035", False),
    ("false or false or true", True),
    ("true and true and false", False),
    ("lead * 2 == 1", True),
    ("margin_estimate < 0 or lead > 1", True),
    ("warning_shots >= 2 and capability / warning_shots == 1.5", True),
    ("capability - 1 * 2 == 1", True),
    ("1/0 > 1e308", True),  # division by zero is quiet and gives inf
    ("0/0 == 0/0", False),  # ... or nan
    ("-1/0 < -1e308", True),
    ("x and not y and z", True),
    ("\n year\t>\r\n2029 ", True),  # any whitespace separates tokens
]


@pytest.mark.parametrize(("text", "expected"), EVALUATION_CASES)
def test_evaluation_table(text: str, expected: bool | float) -> None:
    expect = "bool" if isinstance(expected, bool) else "number"
    result = parse_condition(text, NAMES, expect=expect).evaluate(ENV)
    assert isinstance(result, np.ndarray)
    assert result.shape == ()
    assert result.dtype == (np.bool_ if expect == "bool" else np.float64)
    assert result.item() == expected
    # Untyped parsing gives the same answer, with types checked against the values.
    assert parse_condition(text, expect=expect).evaluate(ENV).item() == expected


def test_vectorised_broadcasting_worlds_by_actors() -> None:
    year = np.array([2029.0, 2030.0, 2031.0, 2032.0])  # per world, shape (4,)
    capability = np.arange(12.0).reshape(4, 3)  # per world and actor, shape (4, 3)
    paused = np.array([False, True, False, False])
    env = {"year": year[:, None], "capability": capability, "reached.global_pause": paused[:, None]}
    cond = parse_condition("year < 2032 and capability > 4 and not reached.global_pause", NAMES)
    result = cond.evaluate(env)
    expected = (year[:, None] < 2032) & (capability > 4) & ~paused[:, None]
    assert result.shape == (4, 3)
    assert result.dtype == np.bool_
    np.testing.assert_array_equal(result, expected)
    assert result.sum() == 3  # sanity: the table really mixes True and False


def test_vectorised_numbers_and_scalars_mix() -> None:
    env: dict[str, Any] = {"lead": np.array([0.0, 1.0, 2.0]), "capability": 2}
    env["year"] = np.array([[1.0], [2.0]])
    result = parse_condition("lead * capability + year", NAMES, expect="number").evaluate(env)
    np.testing.assert_array_equal(result, [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])
    assert result.dtype == np.float64
    chain = parse_condition("0 < lead <= 1", NAMES).evaluate(env)
    np.testing.assert_array_equal(chain, [False, True, False])


def test_scalar_condition_of_constants_returns_0d_array() -> None:
    result = parse_condition("true").evaluate({})
    assert isinstance(result, np.ndarray)
    assert result.shape == ()
    assert result.dtype == np.bool_
    assert bool(result) is True


def test_division_by_zero_emits_no_warning() -> None:
    # pytest runs with -W error, so any RuntimeWarning would fail this test.
    cond = parse_condition("lead / capability", NAMES, expect="number")
    result = cond.evaluate({"lead": np.array([1.0, 0.0, -1.0]), "capability": 0.0})
    assert result[0] == np.inf
    assert np.isnan(result[1])
    assert result[2] == -np.inf
    assert parse_condition("1e308 * 10 > 1e308 - 1e308 * 10").evaluate({}).item() is True


def test_names_and_condition_value() -> None:
    cond = parse_condition("reached.global_pause or year > 2030 and year < lead", NAMES)
    assert isinstance(cond, Condition)
    assert cond.names == frozenset({"reached.global_pause", "year", "lead"})
    assert cond.text == "reached.global_pause or year > 2030 and year < lead"
    assert parse_condition("1 < 2").names == frozenset()
    with pytest.raises(AttributeError):
        cond.text = "true"  # type: ignore[misc]
    assert hash(cond) == hash(parse_condition(cond.text, NAMES))


# ---------------------------------------------------------------- error table

ERROR_CASES: list[tuple[str, int, str]] = [
    ("year <", 7, "unexpected end of expression; expected a value"),
    ("year < < 3", 8, "unexpected '<'; expected a value"),
    ("(year > 3", 10, "missing ')' to close '(' at column 1"),
    ("year > 3)", 9, "unmatched ')'"),
    ("1 +", 4, "unexpected end of expression"),
    ("and true", 1, "unexpected keyword 'and'; expected a value"),
    ("year >> 3", 7, "unexpected '>'"),
    ("year = 3", 6, "did you mean '=='?"),
    ("yaer > 3", 1, "unknown name 'yaer'; did you mean 'year'?"),
    ("year and true", 1, "'and' expects bool operands, but 'year' is a number"),
    ("not 3", 5, "'not' expects bool operands, but '3' is a number"),
    ("1 < true", 5, "'<' expects number operands, but 'true' is a bool"),
    ("true + 1", 1, "'+' expects number operands, but 'true' is a bool"),
    ("2030", 1, "the condition must be a bool, but '2030' is a number"),
    ("year + 1", 1, "the condition must be a bool, but 'year + 1' is a number"),
    ("1 == true", 3, "'==' needs both sides of the same type"),
    ("1 < 2 < true", 9, "'true' is a bool"),
    ("", 1, "empty condition"),
    ("  \n\t ", 1, "empty condition"),
    ("__import__('os').system('ls')", 1, "may not start with '__'"),
    ("reached.", 8, "expected a name after '.'"),
    ("a[0]", 2, "unexpected character '['"),
    ("lambda: 1", 1, "'lambda' is not part of the condition language"),
    ("x if y else z", 3, "'if' is not part of the condition language"),
    ("True", 1, "use 'true'"),
    ("year < 20 30", 11, "unexpected number '30'; expected an operator or end of expression"),
    ("lead(1)", 5, "function calls are not supported"),
    ("1 < not x", 5, "'not' must be parenthesised"),
    ("x && y", 3, "use 'and'"),
    ("x || y", 3, "use 'or'"),
    ("!x", 1, "did you mean '!=' or 'not'?"),
    ("year == 'x'", 9, "strings are not supported"),
    ("1..2 < 3", 1, "malformed number '1..2'"),
    ("2030abc > 1", 1, "malformed number '2030abc'"),
    ("1e > 0", 1, "malformed number '1e'"),
    ("()", 2, "unexpected ')'; expected a value"),
    ("(1 2) > 0", 4, "unexpected number '2'; expected an operator or ')'"),
    ("x and", 6, "unexpected end of expression"),
    ("year > 3 x", 10, "unexpected name 'x'"),
    ("x.__class__", 1, "may not start with '__'"),
    ("year @ 3", 6, "unexpected character '@'"),
    ("YEAR > 1", 1, "unknown name 'YEAR'"),
    ("x == 3", 3, "'x' is a bool and '3' is a number"),
    ("(1 + 2) and x", 1, "but '(1 + 2)' is a number"),
    ("x and (1 + 2) * 3", 7, "but '(1 + 2) * 3' is a number"),
]


@pytest.mark.parametrize(("text", "column", "fragment"), ERROR_CASES)
def test_error_table(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition(text, NAMES)
    err = info.value
    assert fragment in err.message
    assert err.column == column
    assert err.expression == text
    assert err.source is None
    assert err.line is None
    rendered = str(err)
    assert f"column {column}: " in rendered
    assert rendered.splitlines()[-1] == " " * (3 + column) + "^"


def test_error_rendering_exact() -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition("year < 20 30", NAMES)
    err = info.value
    assert str(err) == (
        "in condition 'year < 20 30', column 11: unexpected number '30'; "
        "expected an operator or end of expression\n"
        "    year < 20 30\n"
        "              ^"
    )
    located = err.located("strategy.yaml", 12)
    assert isinstance(located, ConditionError)
    assert isinstance(located, ValueError)
    assert (located.source, located.line, located.column) == ("strategy.yaml", 12, 11)
    assert located.message == err.message
    assert str(located) == "strategy.yaml:12: " + str(err)
    assert str(err.located("s.yaml", 12)).startswith("s.yaml:12: in condition 'year < 20 30'")
    assert str(err.located("s.yaml")).startswith("s.yaml: in condition")
    assert err.source is None  # located() returns a new error


def test_error_survives_pickling() -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition("yaer > 3", NAMES)
    err = info.value.located("s.yaml", 3)
    copy = pickle.loads(pickle.dumps(err))
    assert str(copy) == str(err)
    assert (copy.message, copy.column, copy.source, copy.line) == (err.message, 1, "s.yaml", 3)


def test_long_expression_is_rendered_as_a_window() -> None:
    text = " and ".join(["x"] * 40) + " and 3"
    with pytest.raises(ConditionError) as info:
        parse_condition(text, NAMES)
    err = info.value
    assert err.column == len(text)
    lines = str(err).splitlines()
    assert len(lines[1]) < 100
    assert lines[1][lines[2].index("^")] == "3"


def test_unknown_name_lists_known_names_only_when_short() -> None:
    with pytest.raises(ConditionError, match=r"known names: lead, year\)"):
        parse_condition("yr > 1", {"year": "number", "lead": "number"})
    many = {f"name_{i}": "number" for i in range(30)}
    with pytest.raises(ConditionError) as info:
        parse_condition("name_x > 1", many)
    assert "known names" not in info.value.message


def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="expect"):
        parse_condition("true", expect="string")
    with pytest.raises(ValueError, match="name types"):
        parse_condition("true", {"year": "int"})


def test_expect_number() -> None:
    assert parse_condition("year / 10", NAMES, expect="number").evaluate(ENV).item() == 203.0
    with pytest.raises(ConditionError, match="must be a number, but 'year > 1' is a bool"):
        parse_condition("year > 1", NAMES, expect="number")


# ---------------------------------------------------------------- evaluation errors


def test_missing_name_is_located() -> None:
    cond = parse_condition("lead > 0 and year > 2030", NAMES)
    with pytest.raises(ConditionError) as info:
        cond.evaluate({"lead": 1.0})
    assert info.value.column == 14
    assert "year" in info.value.message


def test_value_of_wrong_type_is_refused() -> None:
    cond = parse_condition("x and lead > 0", NAMES)
    with pytest.raises(ConditionError, match="'x' is declared a bool") as info:
        cond.evaluate({"x": 1.0, "lead": 1.0})
    assert info.value.column == 1
    with pytest.raises(ConditionError, match="dtype"):
        cond.evaluate({"x": np.array(["yes"]), "lead": 1.0})
    untyped = parse_condition("year and true")  # no names: types come from the values
    assert untyped.evaluate({"year": True}).item() is True
    with pytest.raises(ConditionError, match="'and' expects bool operands") as info:
        untyped.evaluate({"year": 2030.0})
    assert info.value.column == 1
    with pytest.raises(ConditionError, match="must be a bool"):
        parse_condition("year").evaluate({"year": np.arange(3)})


def test_shape_mismatch_is_located() -> None:
    cond = parse_condition("lead < capability", NAMES)
    with pytest.raises(ConditionError, match="cannot combine shapes") as info:
        cond.evaluate({"lead": np.zeros(4), "capability": np.zeros(3)})
    assert info.value.column == 6


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10000,
        "(" * 500 + "1" + ")" * 500,
        "(" * 100 + "x" + ")" * 100,
        "-" * 900 + "1 > 0",
        "not " * 200 + "true",
        "x and " * 300 + "x",
        # 40 parentheses stay within the parser's limit, but each level nests a '*'
        # inside a '+', so the tree is 80 levels deep.
        "(" * 40 + "1" + " * 2 + 1)" * 40 + " > 0",
    ],
)
def test_limits_raise_condition_error(text: str) -> None:
    with pytest.raises(ConditionError, match=r"too long|too deeply"):
        parse_condition(text)


def test_long_flat_chains_are_fine() -> None:
    text = " + ".join(["1"] * 200) + " == 200"  # 803 characters, one level of nesting
    assert parse_condition(text).evaluate({}).item() is True
    assert parse_condition("(" * 60 + "true" + ")" * 60).evaluate({}).item() is True


# ---------------------------------------------------------------- security


SECURITY_CASES = [
    "__import__('os').system('ls')",
    "__import__",
    "os.system('ls')",
    "open('/etc/passwd')",
    "open(",
    "exec('1')",
    "eval('1 + 1')",
    "compile('1', 'f', 'eval')",
    "globals()",
    "year.__class__",
    "lead.__class__.__mro__",
    "().__class__.__bases__[0].__subclasses__()",
    "x.real()",
    "[c for c in ()]",
    "lambda: 0",
    "f'{year}'",
    "year; import os",
    "import os",
    "year if true else 0",
    "year\x00 > 0",
    "`ls`",
    "year > 0 # comment",
]


@pytest.mark.parametrize("text", SECURITY_CASES)
@pytest.mark.parametrize("names", [None, NAMES])
def test_dangerous_text_is_refused(text: str, names: dict[str, str] | None) -> None:
    with pytest.raises(ConditionError):
        parse_condition(text, names)


def test_module_never_uses_python_evaluation() -> None:
    source = Path(conditions.__file__).read_text(encoding="utf-8")
    assert "eval(" not in source
    assert "exec(" not in source
    assert re.search(r"(?<![\w.])(eval|exec|compile|__import__)\s*\(", source) is None
    assert "literal_eval" not in source
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    allowed = {"__future__", "collections", "dataclasses", "difflib", "numpy", "re", "typing"}
    assert imported <= allowed


# ---------------------------------------------------------------- properties

TOKENS = [
    "(", ")", "not", "and", "or", "true", "false", "<", "<=", ">", ">=", "==", "!=",
    "+", "-", "*", "/", "=", "!", "1", "0", "2.5", "1e3", ".5", "1.", "year", "lead",
    "reached.global_pause", "reached.", ".", "[", "]", "'", "__x", "if", "True", "x", "a",
    "2030", "yaer",
]  # fmt: skip


def _parse_or_error(text: str, names: dict[str, str] | None, expect: str) -> Condition | None:
    try:
        return parse_condition(text, names, expect=expect)
    except ConditionError as err:
        assert 1 <= err.column <= len(text) + 1
        assert isinstance(str(err), str)
        return None


def _check_total(text: str) -> None:
    for names in (None, NAMES):
        for expect in ("bool", "number"):
            cond = _parse_or_error(text, names, expect)
            if cond is None:
                continue
            assert cond.names <= set(NAMES) or names is None
            if names is not None:  # well typed and fully bound: evaluation cannot fail
                result = cond.evaluate(ENV)
                assert result.dtype == (np.bool_ if expect == "bool" else np.float64)
            else:
                with contextlib.suppress(ConditionError):
                    cond.evaluate(ENV)


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_arbitrary_text_parses_or_raises_condition_error(text: str) -> None:
    _check_total(text)


@settings(max_examples=300)
@given(st.text(alphabet="()<>=!+-*/. _aeyrnotdufls0123456789\t\n[]'x", max_size=80))
def test_language_characters_parse_or_raise_condition_error(text: str) -> None:
    _check_total(text)


@settings(max_examples=500)
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.sampled_from([" ", "", "  "]))
def test_token_soup_parses_or_raises_condition_error(tokens: list[str], sep: str) -> None:
    _check_total(sep.join(tokens))


@given(st.sampled_from(["(", "-", "not ", "(-", "not (", "- -"]), st.integers(1, 3000))
def test_deep_prefixes_never_escape_as_recursion_error(prefix: str, count: int) -> None:
    _check_total(prefix * count + "1")


# Round trip: random well-typed trees, rendered with minimal parentheses, evaluate to the
# same value as a reference computation in plain Python floats and bools.

Rendered = tuple[str, int, Any]  # (text, precedence of the outermost operator, value)
NUMBER_LEAVES = ["0", "1", "2", "3", "10", "0.5", "2.5", ".25", "1e-3", "2030"]
BOOL_NAMES = ["x", "y", "reached.global_pause", "reached.enhanced_human_labor"]
NUMBER_NAMES = ["year", "lead", "capability", "warning_shots", "margin_estimate", "a"]
ATOM, NEG, MUL, ADD, CMP, NOT, AND, OR = 8, 7, 6, 5, 4, 3, 2, 1


def _divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


ARITH: dict[str, tuple[int, Callable[[float, float], float]]] = {
    "+": (ADD, lambda a, b: a + b),
    "-": (ADD, lambda a, b: a - b),
    "*": (MUL, lambda a, b: a * b),
    "/": (MUL, _divide),
}
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _wrap(item: Rendered, need: int) -> str:
    text, prec, _ = item
    return f"({text})" if prec < need else text


@st.composite
def numbers(draw: st.DrawFn, depth: int = 3) -> Rendered:
    choice = draw(st.integers(0, 3 if depth > 0 else 1))
    if choice == 0:
        leaf = draw(st.sampled_from(NUMBER_LEAVES))
        return leaf, ATOM, float(leaf)
    if choice == 1:
        name = draw(st.sampled_from(NUMBER_NAMES))
        return name, ATOM, float(ENV[name])
    if choice == 2:
        inner = draw(numbers(depth - 1))
        return "-" + _wrap(inner, NEG), NEG, -inner[2]
    op = draw(st.sampled_from(sorted(ARITH)))
    prec, fn = ARITH[op]
    left, right = draw(numbers(depth - 1)), draw(numbers(depth - 1))
    text = f"{_wrap(left, prec)} {op} {_wrap(right, prec + 1)}"
    return text, prec, fn(left[2], right[2])


@st.composite
def bools(draw: st.DrawFn, depth: int = 3) -> Rendered:
    choice = draw(st.integers(0, 5 if depth > 0 else 1))
    if choice == 0:
        word = draw(st.sampled_from(["true", "false"]))
        return word, ATOM, word == "true"
    if choice == 1:
        name = draw(st.sampled_from(BOOL_NAMES))
        return name, ATOM, bool(ENV[name])
    if choice == 2:
        inner = draw(bools(depth - 1))
        return "not " + _wrap(inner, NOT), NOT, not inner[2]
    if choice == 3:
        op = draw(st.sampled_from(["and", "or"]))
        prec = AND if op == "and" else OR
        left, right = draw(bools(depth - 1)), draw(bools(depth - 1))
        value = (left[2] and right[2]) if op == "and" else (left[2] or right[2])
        return f"{_wrap(left, prec)} {op} {_wrap(right, prec + 1)}", prec, value
    if choice == 4:  # a comparison chain of numbers
        items = draw(st.lists(numbers(depth - 1), min_size=2, max_size=3))
        ops = draw(st.lists(st.sampled_from(sorted(COMPARE)), min_size=len(items) - 1,
                            max_size=len(items) - 1))  # fmt: skip
    else:  # equality of bools
        items = [draw(bools(depth - 1)), draw(bools(depth - 1))]
        ops = [draw(st.sampled_from(["==", "!="]))]
    text = _wrap(items[0], CMP + 1)
    for op, item in zip(ops, items[1:], strict=True):
        text += f" {op} {_wrap(item, CMP + 1)}"
    value = all(COMPARE[op](a[2], b[2]) for op, a, b in zip(ops, items, items[1:], strict=False))
    return text, CMP, value


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float) and math.isnan(want):
        return bool(np.isnan(got))
    return bool(got == want)


@settings(max_examples=400)
@given(st.one_of(bools(), numbers()))
def test_round_trip_matches_python_reference(item: Rendered) -> None:
    text, _, want = item
    assume(len(text) <= 1000)
    expect = "bool" if isinstance(want, bool) else "number"
    cond = parse_condition(text, NAMES, expect=expect)
    assert _same(cond.evaluate(ENV).item(), want), text
    # Vectorised: the same values broadcast over (2, 3) arrays give the same answer.
    env = {name: np.full((2, 3), ENV[name]) for name in cond.names}
    result = cond.evaluate(env)
    assert result.shape == ((2, 3) if cond.names else ())
    assert all(_same(v, want) for v in np.ravel(result)), text
    assert _same(parse_condition(text, expect=expect).evaluate(ENV).item(), want), text
