"""Safe, vectorised condition expressions for strategy rules.

A strategy sets levers while a condition such as
``not reached.enhanced_human_labor and year < 2035`` holds. This module reads such text
with a hand-written tokenizer and a Pratt (precedence-climbing) parser, type-checks it,
and evaluates it over numpy arrays. Python's own evaluator is never involved: a condition
can only read the names it is given and combine them with the operators below.

Grammar (EBNF, lowest precedence first)::

    condition  = or_expr ;
    or_expr    = and_expr { "or" and_expr } ;
    and_expr   = not_expr { "and" not_expr } ;
    not_expr   = "not" not_expr | comparison ;
    comparison = sum { ( "<" | "<=" | ">" | ">=" | "==" | "!=" ) sum } ;
    sum        = product { ( "+" | "-" ) product } ;
    product    = unary { ( "*" | "/" ) unary } ;
    unary      = "-" unary | atom ;
    atom       = NUMBER | "true" | "false" | NAME | "(" or_expr ")" ;
    NUMBER     = ( digits [ "." [ digits ] ] | "." digits ) [ ( "e" | "E" ) [ "+" | "-" ] digits ] ;
    NAME       = ident { "." ident } ;    ident = ( letter | "_" ) { letter | digit | "_" } ;

``+ - * / and or`` are left-associative. Comparisons chain as in Python:
``2030 <= year < 2035`` means ``2030 <= year and year < 2035`` (each operand is
evaluated once), so ``a == b == c`` is a chain; write ``(a == b) == c`` for the other
reading. ``not`` cannot be an operand of a comparison or of ``-``: write
``a == (not b)``. Keywords (``and or not true false``) and names are case-sensitive;
Python words such as ``if``, ``lambda`` or ``True`` are refused, as are names with a
part starting with ``__``.

Types are ``bool`` and ``number``. ``and``/``or``/``not`` take bools; arithmetic and
``< <= > >=`` take numbers; ``==``/``!=`` take two values of the same type. A condition
must be a bool (or a number, with ``expect="number"``). Text is limited to 1,000
characters and nesting to 64 levels. Error columns are 1-based character offsets into
the whole text (a newline counts as one character).

Evaluation uses numpy broadcasting; numbers become float64, and division by zero
quietly gives inf or nan. The result is always an ``np.ndarray`` (0-d for scalars).
With ``xp=jax.numpy`` (the JAX backend, under ``jax.jit``), the same operations run
in that array namespace and the result is a JAX array.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Condition", "ConditionError", "parse_condition"]

_MAX_LENGTH = 1000
_MAX_DEPTH = 64
_TYPES = ("bool", "number")
_KEYWORDS = frozenset({"and", "or", "not", "true", "false"})
_RESERVED = frozenset({"if", "else", "elif", "lambda", "import", "from", "in", "is", "for"})
_RESERVED |= {"while", "def", "class", "return", "yield", "with", "as", "None", "True", "False"}
_CHAR_HINTS = {
    "=": "did you mean '=='?",
    "!": "did you mean '!=' or 'not'?",
    "&": "use 'and'",
    "|": "use 'or'",
    "'": "strings are not supported",
    '"': "strings are not supported",
    "[": "indexing is not supported",
}
_TOKEN = re.compile(
    r"(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
    r"|(?P<sym><=|>=|==|!=|[-+*/<>()])"
)
_LOGIC = {"and": np.logical_and, "or": np.logical_or}
_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}
_COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
_COMPARE |= {"==": np.equal, "!=": np.not_equal}
# Binding powers for the Pratt parser; a higher number binds more tightly.
_BINDING = {"or": 10, "and": 20, **dict.fromkeys(_COMPARE, 40), "+": 50, "-": 50, "*": 60, "/": 60}
_NOT_BP = 30
_NEG_BP = 70
_UFUNCS: dict[str, np.ufunc] = {**_LOGIC, **_ARITH, **_COMPARE}


class ConditionError(ValueError):
    """A condition that cannot be parsed, type-checked or evaluated, located in its text.

    Attributes are ``message``, ``expression``, ``column`` (1-based, within
    ``expression``) and the optional ``source`` (e.g. a file name) and ``line`` that
    :meth:`located` fills in. ``str()`` renders the location, the message and a caret.
    """

    def __init__(
        self,
        message: str,
        expression: str,
        column: int,
        source: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, expression, column, source, line)
        self.message = message
        self.expression = expression
        self.column = column
        self.source = source
        self.line = line

    def located(self, source: str | None, line: int | None = None) -> ConditionError:
        """Return a new error that also names the file (`source`) and `line` of the text."""
        return ConditionError(self.message, self.expression, self.column, source, line)

    def __str__(self) -> str:
        where = "".join(f"{part}:" for part in (self.source, self.line) if part is not None)
        where += " " if where else ""
        head = _flatten(self.expression)
        if len(head) > 60:
            head = head[:57] + "..."
        shown, caret = _excerpt(self.expression, self.column)
        return (
            f"{where}in condition '{head}', column {self.column}: {self.message}\n"
            f"    {shown}\n    {' ' * caret}^"
        )


def _flatten(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def _excerpt(expression: str, column: int, width: int = 80) -> tuple[str, int]:
    """Return the part of `expression` to show and the caret's offset within it."""
    flat, caret = _flatten(expression), column - 1
    if len(flat) <= width:
        return flat, caret
    lo = max(0, min(caret - width // 2, len(flat) - width))
    shown = flat[lo : lo + width]
    if lo > 0:
        shown, caret = "..." + shown, caret - lo + 3
    if lo + width < len(flat):
        shown += "..."
    return shown, caret


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "kw", "sym" or "end"
    text: str
    start: int  # 0-based offset into the text

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def describe(self) -> str:
        if self.kind == "end":
            return "end of expression"
        label = {"num": "number ", "name": "name ", "kw": "keyword "}.get(self.kind, "")
        return f"{label}'{self.text}'"


@dataclass(frozen=True)
class _Const:
    start: int  # nodes span text[start:end]
    end: int
    value: float | bool


@dataclass(frozen=True)
class _Name:
    start: int
    end: int
    name: str


@dataclass(frozen=True)
class _Unary:
    start: int
    end: int
    op: str  # "not" or "-"
    operand: _Node


@dataclass(frozen=True)
class _Op:
    """Operands joined by operators of one precedence level, folded left to right."""

    start: int
    end: int
    operands: tuple[_Node, ...]
    ops: tuple[tuple[str, int], ...]  # (operator, 0-based offset) between operands


_Node = _Const | _Name | _Unary | _Op


class _Parser:
    """Pratt parser over a lazily scanned token stream (so errors come left to right)."""

    def __init__(self, text: str, names: Mapping[str, str] | None) -> None:
        self.text = text
        self.names = names
        self.pos = 0
        self.depth = 0
        self.lookahead: _Token | None = None
        self.seen: dict[str, int] = {}  # name -> offset of its first use

    def error(self, offset: int, message: str) -> ConditionError:
        return ConditionError(message, self.text, offset + 1)

    def scan(self) -> _Token:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            self.pos = pos
            return _Token("end", "", pos)
        match = _TOKEN.match(text, pos)
        if match is None:
            hint = _CHAR_HINTS.get(text[pos])
            message = f"unexpected character {text[pos]!r}" + (f"; {hint}" if hint else "")
            raise self.error(pos, message)
        kind, word, end = match.lastgroup or "sym", match.group(), match.end()
        after = text[end : end + 1]
        if kind == "num" and after and (after.isalnum() or after in "._"):
            while end < len(text) and (text[end].isalnum() or text[end] in "._"):
                end += 1
            raise self.error(pos, f"malformed number '{text[pos:end]}'")
        if kind == "name":
            if after == ".":
                raise self.error(end, f"incomplete name '{word}.'; expected a name after '.'")
            if word in _RESERVED:
                hint = f"; use '{word.lower()}'" if word in ("True", "False") else ""
                raise self.error(pos, f"'{word}' is not part of the condition language{hint}")
            if any(part.startswith("__") for part in word.split(".")):
                raise self.error(pos, f"names may not start with '__' ('{word}')")
            if word in _KEYWORDS:
                kind = "kw"
        self.pos = end
        return _Token(kind, word, pos)

    def peek(self) -> _Token:
        if self.lookahead is None:
            self.lookahead = self.scan()
        return self.lookahead

    def advance(self) -> _Token:
        token = self.peek()
        self.lookahead = None
        return token

    def unexpected(self, token: _Token, expected: str) -> ConditionError:
        if token.text == ")":
            return self.error(token.start, "unmatched ')'")
        if token.text == "(":
            return self.error(token.start, "unexpected '('; function calls are not supported")
        return self.error(token.start, f"unexpected {token.describe()}; expected {expected}")

    def parse(self) -> _Node:
        node = self.expr(0)
        token = self.peek()
        if token.kind != "end":
            raise self.unexpected(token, "an operator or end of expression")
        return node

    def expr(self, min_bp: int) -> _Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            message = f"expression is nested too deeply (limit {_MAX_DEPTH})"
            raise self.error(self.peek().start, message)
        left = self.prefix(min_bp)
        level = 0  # binding power of the _Op built by this call, which may be extended
        while True:
            token = self.peek()
            bp = _BINDING.get(token.text, 0) if token.kind in ("kw", "sym") else 0
            if bp <= min_bp:
                break
            self.advance()
            right = self.expr(bp)
            op = (token.text, token.start)
            if bp == level and isinstance(left, _Op):
                left = _Op(left.start, right.end, (*left.operands, right), (*left.ops, op))
            else:
                left = _Op(left.start, right.end, (left, right), (op,))
            level = bp
        self.depth -= 1
        return left

    def prefix(self, min_bp: int) -> _Node:
        token = self.advance()
        if token.kind == "num":
            return _Const(token.start, token.end, float(token.text))
        if token.kind == "name":
            self.check_name(token)
            return _Name(token.start, token.end, token.text)
        if token.kind == "kw" and token.text in ("true", "false"):
            return _Const(token.start, token.end, token.text == "true")
        if token.text == "(":
            inner = self.expr(0)
            close = self.advance()
            if close.kind == "end":
                raise self.error(
                    close.start, f"missing ')' to close '(' at column {token.start + 1}"
                )
            if close.text != ")":
                raise self.unexpected(close, "an operator or ')'")
            return replace(inner, start=token.start, end=close.end)
        if token.text == "-":
            operand = self.expr(_NEG_BP)
            return _Unary(token.start, operand.end, "-", operand)
        if token.text == "not":
            if min_bp > _NOT_BP:
                raise self.error(token.start, "'not' must be parenthesised here, e.g. '(not x)'")
            operand = self.expr(_NOT_BP)
            return _Unary(token.start, operand.end, "not", operand)
        raise self.error(token.start, f"unexpected {token.describe()}; expected a value")

    def check_name(self, token: _Token) -> None:
        self.seen.setdefault(token.text, token.start)
        if self.names is None or token.text in self.names:
            return
        known = sorted(self.names)
        message = f"unknown name '{token.text}'"
        close = difflib.get_close_matches(token.text, known, n=3)
        if close:
            message += "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        if 0 < len(known) <= 12:
            message += f" (known names: {', '.join(known)})"
        raise self.error(token.start, message)


def _a(kind: str) -> str:
    return "a number" if kind == "number" else "a bool"


def _quote(text: str, node: _Node) -> str:
    shown = " ".join(_flatten(text[node.start : node.end]).split())
    return f"'{shown[:37]}...'" if len(shown) > 40 else f"'{shown}'"


def _require(text: str, node: _Node, kind: str, want: str, op: str) -> None:
    if kind not in (want, "any"):
        message = f"'{op}' expects {want} operands, but {_quote(text, node)} is {_a(kind)}"
        raise ConditionError(message, text, node.start + 1)


def _type_of(text: str, node: _Node, types: Mapping[str, str]) -> str:
    """Return 'bool', 'number' or 'any' (a name of unknown type); raise on type errors."""
    if isinstance(node, _Const):
        return "bool" if isinstance(node.value, bool) else "number"
    if isinstance(node, _Name):
        return types.get(node.name, "any")
    if isinstance(node, _Unary):
        want = "bool" if node.op == "not" else "number"
        _require(text, node.operand, _type_of(text, node.operand, types), want, node.op)
        return want
    kinds = [_type_of(text, operand, types) for operand in node.operands]
    first = node.ops[0][0]
    if first in _LOGIC or first in _ARITH:
        want = "bool" if first in _LOGIC else "number"
        for i, (operand, kind) in enumerate(zip(node.operands, kinds, strict=True)):
            _require(text, operand, kind, want, node.ops[max(i - 1, 0)][0])
        return want
    for i, (op, at) in enumerate(node.ops):
        left, right = node.operands[i], node.operands[i + 1]
        if op not in ("==", "!="):
            _require(text, left, kinds[i], "number", op)
            _require(text, right, kinds[i + 1], "number", op)
        elif "any" not in kinds[i : i + 2] and kinds[i] != kinds[i + 1]:
            message = (
                f"'{op}' needs both sides of the same type, but {_quote(text, left)} is "
                f"{_a(kinds[i])} and {_quote(text, right)} is {_a(kinds[i + 1])}"
            )
            raise ConditionError(message, text, at + 1)
    return "bool"


def _check_types(text: str, root: _Node, types: Mapping[str, str], expect: str) -> None:
    kind = _type_of(text, root, types)
    if kind not in (expect, "any"):
        message = f"the condition must be {_a(expect)}, but {_quote(text, root)} is {_a(kind)}"
        raise ConditionError(message, text, root.start + 1)


def _check_depth(text: str, root: _Node) -> None:
    """Refuse trees deeper than _MAX_DEPTH (iteratively, so it cannot itself recurse)."""
    stack: list[tuple[_Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_DEPTH:
            message = f"expression is nested too deeply (limit {_MAX_DEPTH})"
            raise ConditionError(message, text, node.start + 1)
        if isinstance(node, _Unary):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, _Op):
            stack.extend((operand, depth + 1) for operand in node.operands)


def _apply(text: str, op: str, at: int, left: Any, right: Any, xp: Any = np) -> Any:
    ufunc = _UFUNCS[op] if xp is np else getattr(xp, _UFUNCS[op].__name__)
    try:
        return ufunc(left, right)
    except ValueError as exc:
        shapes = f"{np.shape(left)} and {np.shape(right)}"
        raise ConditionError(f"'{op}' cannot combine shapes {shapes}", text, at + 1) from exc


def _run(text: str, node: _Node, values: Mapping[str, Any], xp: Any = np) -> Any:
    if isinstance(node, _Const):
        return np.asarray(node.value)
    if isinstance(node, _Name):
        return values[node.name]
    if isinstance(node, _Unary):
        operand = _run(text, node.operand, values, xp)
        return xp.logical_not(operand) if node.op == "not" else xp.negative(operand)
    result = _run(text, node.operands[0], values, xp)
    if node.ops[0][0] not in _COMPARE:
        for (op, at), operand in zip(node.ops, node.operands[1:], strict=True):
            result = _apply(text, op, at, result, _run(text, operand, values, xp), xp)
        return result
    left, verdict = result, None
    for (op, at), operand in zip(node.ops, node.operands[1:], strict=True):
        right = _run(text, operand, values, xp)
        test = _apply(text, op, at, left, right, xp)
        verdict = test if verdict is None else _apply(text, "and", at, verdict, test, xp)
        left = right
    return verdict


@dataclass(frozen=True)
class Condition:
    """A parsed, type-checked condition (or numeric expression) ready to evaluate."""

    text: str
    names: frozenset[str]
    _root: _Node = field(repr=False)
    _slots: tuple[tuple[str, int, str], ...] = field(repr=False)  # (name, offset, type|"any")
    _expect: str = field(default="bool", repr=False)

    def evaluate(
        self, env: Mapping[str, npt.NDArray[Any] | float | bool], xp: Any = np
    ) -> npt.NDArray[Any]:
        """Evaluate over the values in `env`, broadcasting arrays with numpy.

        `xp` is the array namespace to compute in (numpy unless given, e.g.
        ``jax.numpy``). Returns a bool or float64 array (0-d when every value is a scalar). Raises
        ConditionError, located at the name, when a name is missing from `env` or its
        value is not of the declared (or, if undeclared, a consistent) type.
        """
        values: dict[str, Any] = {}
        actual: dict[str, str] = {}
        for name, offset, declared in self._slots:
            if name not in env:
                raise ConditionError(f"no value given for name '{name}'", self.text, offset + 1)
            value = xp.asarray(env[name])
            if value.dtype.kind == "b":
                kind = "bool"
            elif value.dtype.kind in "iuf":
                kind = "number"
                if value.dtype != np.float64:
                    value = value.astype(np.float64)
            else:
                message = f"value of '{name}' has dtype {value.dtype}; expected bool or number"
                raise ConditionError(message, self.text, offset + 1)
            if declared not in ("any", kind):
                message = f"'{name}' is declared {_a(declared)} but its value is {_a(kind)}"
                raise ConditionError(message, self.text, offset + 1)
            values[name], actual[name] = value, kind
        if any(declared == "any" for _, _, declared in self._slots):
            _check_types(self.text, self._root, actual, self._expect)
        with np.errstate(all="ignore"):
            return xp.asarray(_run(self.text, self._root, values, xp))


def parse_condition(
    text: str, names: Mapping[str, str] | None = None, expect: str = "bool"
) -> Condition:
    """Parse and type-check `text` into a :class:`Condition`.

    `names` maps every allowed name to ``"bool"`` or ``"number"``; when it is None any
    name is accepted and type-checked against its value at evaluation time. `expect` is
    the type the whole expression must have (``"bool"`` or ``"number"``). Raises
    ConditionError for any malformed, unknown-name, ill-typed, too long or too deeply
    nested text, and ValueError for a bad `names` or `expect` argument.
    """
    if expect not in _TYPES:
        raise ValueError(f"expect must be 'bool' or 'number', not {expect!r}")
    bad = {name: kind for name, kind in (names or {}).items() if kind not in _TYPES}
    if bad:
        raise ValueError(f"name types must be 'bool' or 'number', got {bad}")
    if len(text) > _MAX_LENGTH:
        message = f"condition is too long ({len(text)} characters; limit {_MAX_LENGTH})"
        raise ConditionError(message, text, _MAX_LENGTH + 1)
    if not text.strip():
        raise ConditionError("empty condition", text, 1)
    parser = _Parser(text, names)
    root = parser.parse()
    _check_depth(text, root)
    types = dict(names or {})
    _check_types(text, root, types, expect)
    slots = tuple((name, at, types.get(name, "any")) for name, at in parser.seen.items())
    return Condition(text, frozenset(parser.seen), root, slots, expect)
