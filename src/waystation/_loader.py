"""Bounded reading of YAML and JSON documents: no code, no bombs, no silent duplicates.

Scenario files and request bodies come from people waystation does not
control, so reading them is bounded before anything walks the data:

- at most :data:`MAX_DEPTH` levels of nested mappings and lists;
- at most :data:`MAX_NODES` keys, values and list items in all, counting what
  aliases expand to (a 332-byte "billion laughs" document is refused while it
  is read, not expanded);
- at most :data:`MAX_ALIASES` alias references (``*name``), and none that
  refers to its own anchor (a recursive structure);
- no key given twice in one mapping;
- no number outside the range of a 64-bit float.

YAML is parsed with libyaml's event parser when it is installed (else
PyYAML's own), composed into nodes by the bounded composer below, and built
with PyYAML's *safe* constructor: tags such as ``!!python/object`` are
refused, so nothing in a document is ever executed. Each refusal is a
:class:`LoadError` with the 1-based line and the key path where it happened;
:mod:`waystation.io` adds the file name.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

#: Deepest nesting of mappings and lists (the top-level mapping is level 1).
MAX_DEPTH = 32
#: Most nodes (keys, values and list items), counted after alias expansion.
MAX_NODES = 10_000
#: Most alias references (``*name``) in one document.
MAX_ALIASES = 100
#: Longest text accepted, in characters.
MAX_CHARS = 1_000_000

Path_ = tuple[str | int, ...]
_MERGE = "tag:yaml.org,2002:merge"
_EXPLICIT_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_FLOAT_MAX = sys.float_info.max
_DIGITS = re.compile(r"[-+]?[0-9][0-9_]*")


class LoadError(Exception):
    """A document refused while reading: what was wrong, with its line and key path."""

    def __init__(self, message: str, line: int | None = None, path: Path_ = ()) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.path = path


def _line(node_or_event: Any) -> int | None:
    mark = getattr(node_or_event, "start_mark", None)
    return None if mark is None else int(mark.line) + 1


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _too_deep(what: str) -> str:
    return f"{what}nested deeper than {MAX_DEPTH} levels; expected a flatter document"


def _too_many(kind: str, limit: int) -> str:
    return f"more than {limit:,} {kind}; expected a smaller document"


_Base: Any = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader


class _BoundedLoader(_Base):  # type: ignore[misc]
    """A safe loader whose composer counts nodes, depth and aliases as it goes."""

    # libyaml's loader composes in C; these Python methods replace it (events still come from C).
    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document
    compose_scalar_node = Composer.compose_scalar_node
    compose_sequence_node = Composer.compose_sequence_node
    compose_mapping_node = Composer.compose_mapping_node

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.anchors: dict[str, Node] = {}
        self.depth = 0
        self.nodes = 0
        self.aliases = 0
        self.path: list[str | int] = []
        self.measure: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)
        self.paths: dict[int, Path_] = {}  # id(node) -> first key path, for constructor errors

    def fail(self, message: str, where: Any) -> LoadError:
        return LoadError(message, _line(where), tuple(self.path))

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if isinstance(parent, MappingNode) and isinstance(index, Node):
            self.path.append(str(index.value) if isinstance(index, ScalarNode) else "?")
        elif isinstance(parent, SequenceNode):
            self.path.append(int(index))
        else:  # the root, or a mapping's key: the path stays that of the mapping
            return self._compose(parent, index)
        try:
            return self._compose(parent, index)
        finally:
            self.path.pop()

    def _compose(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            target = self.anchors.get(str(event.anchor))
            if target is not None:
                self._alias(target, event)
            return self._plain(parent, index)
        if self.depth + 1 > MAX_DEPTH:
            raise self.fail(_too_deep(""), event)
        self._count(1, event)
        self.depth += 1
        try:
            node = self._plain(parent, index)
        finally:
            self.depth -= 1
        children = _children(node)
        size = 1 + sum(self.measure[id(c)][0] for c in children)
        height = 1 + max((self.measure[id(c)][1] for c in children), default=0)
        self.measure[id(node)] = (size, height)
        return node

    def _plain(self, parent: Node | None, index: Any) -> Node:
        node = Composer.compose_node(self, parent, index)
        assert node is not None  # compose_node is only called where an event is due
        return node

    def _alias(self, target: Node, event: Any) -> None:
        measured = self.measure.get(id(target))
        if measured is None:
            raise self.fail(f"alias *{event.anchor} refers to its own anchor (a recursive "
                            "structure); expected a tree", event)  # fmt: skip
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise self.fail(_too_many("alias references (*name)", MAX_ALIASES), event)
        if self.depth + measured[1] > MAX_DEPTH:
            raise self.fail(_too_deep(f"alias *{event.anchor} "), event)
        self._count(measured[0], event)

    def _count(self, added: int, where: Any) -> None:
        self.nodes += added
        if self.nodes > MAX_NODES:
            raise self.fail(_too_many("keys, values and items (after aliases)", MAX_NODES), where)

    def where(self, node: Node) -> tuple[int | None, Path_]:
        return _line(node), self.paths.get(id(node), ())

    def construct_int(self, node: ScalarNode) -> int:
        try:
            value = int(SafeInts.construct_yaml_int(self, node))
        except (ValueError, IndexError):  # IndexError: the empty string
            digits = _DIGITS.fullmatch(str(node.value).strip())  # too many for int(): huge
            message = _out_of_range(node.value) if digits else _malformed("int", node.value)
            raise LoadError(message, *self.where(node)) from None
        if abs(value) > _FLOAT_MAX:
            raise LoadError(_out_of_range(node.value), *self.where(node))
        return value

    def construct_float(self, node: ScalarNode) -> float:
        try:
            value = float(SafeInts.construct_yaml_float(self, node))
        except (ValueError, IndexError):
            raise LoadError(_malformed("float", node.value), *self.where(node)) from None
        if math.isinf(value) and not _EXPLICIT_INF.fullmatch(str(node.value).strip()):
            raise LoadError(_out_of_range(node.value), *self.where(node))
        return value

    def construct_timestamp(self, node: ScalarNode) -> Any:
        try:
            return SafeInts.construct_yaml_timestamp(self, node)
        except (ValueError, OverflowError, AttributeError) as err:  # no match: AttributeError
            detail = "" if isinstance(err, AttributeError) else str(err)
            raise LoadError(_malformed("timestamp", node.value, detail),
                            *self.where(node)) from None  # fmt: skip

    def construct_bool(self, node: ScalarNode) -> bool:
        try:
            return bool(SafeInts.construct_yaml_bool(self, node))
        except (KeyError, AttributeError):
            raise LoadError(_malformed("bool", node.value), *self.where(node)) from None


SafeInts = yaml.constructor.SafeConstructor
_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_int)
_BoundedLoader.add_constructor("tag:yaml.org,2002:float", _BoundedLoader.construct_float)
_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _BoundedLoader.construct_timestamp)
_BoundedLoader.add_constructor("tag:yaml.org,2002:bool", _BoundedLoader.construct_bool)

#: What each YAML 1.1 scalar tag reads, and expects, for messages about a malformed value.
_EXPECTED = {
    "int": ("integer (!!int)", "an integer such as 42, 0x2A or 1_000"),
    "float": ("number (!!float)", "a number such as 0.5, 1e-3 or .inf"),
    "bool": ("true/false value (!!bool)", "true or false (or yes/no, on/off)"),
    "timestamp": ("date or time", "a date such as 2026-01-31 or a time such as "
                  "2026-01-31T12:00:00, or the value in quotes to make it text"),
}  # fmt: skip


def _malformed(tag: str, text: Any, detail: str = "") -> str:
    shown = str(text) if len(str(text)) <= 40 else f"{str(text)[:30]}..."
    noun, expected = _EXPECTED[tag]
    because = f" ({detail})" if detail else ""
    return f"not a valid {noun}: {shown!r}{because}; expected {expected}"


def _out_of_range(text: Any) -> str:
    shown = str(text) if len(str(text)) <= 24 else f"{str(text)[:12]}...{str(text)[-6:]}"
    return f"number {shown} is outside the range of a 64-bit float (about ±1.8e308)"


def _walk(root: Node, loader: _BoundedLoader) -> dict[Path_, int]:
    """Map key paths to lines and refuse duplicate keys, without recursion.

    The tree was bounded while composing, so this visits at most MAX_NODES nodes.
    """
    lines: dict[Path_, int] = {}
    stack: list[tuple[Node, Path_]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        loader.paths.setdefault(id(node), path)
        lines.setdefault(path, int(node.start_mark.line) + 1)
        if isinstance(node, SequenceNode):
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))
        elif isinstance(node, MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if key.tag == _MERGE:
                    stack.append((value, path))
                    continue
                sub = (*path, str(key.value))
                line = int(key.start_mark.line) + 1
                ident = (str(key.tag), str(key.value))
                if isinstance(key, ScalarNode) and ident in seen:
                    raise LoadError(
                        f"duplicate key {key.value!r} (first given on line {seen[ident]}); "
                        "expected each key once in a mapping",
                        line,
                        sub,
                    )
                seen[ident] = line
                lines[sub] = line
                loader.paths.setdefault(id(key), sub)
                stack.append((value, sub))
    return lines


def load_yaml(text: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text within the limits; return the data and the line of every key path.

    Raises :class:`LoadError` for a limit, a duplicate key or an out-of-range
    number, and :class:`yaml.YAMLError` for text that is not YAML.
    """
    _check_length(text)
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines = _walk(node, loader)
        try:
            data = loader.construct_document(node)
        except (ValueError, TypeError, OverflowError, LookupError, AttributeError) as err:
            # a constructor's own error (the scalar tags above are located; this is the rest)
            raise LoadError(f"cannot read a value: {type(err).__name__}: {err}") from None
        return data, lines
    finally:
        loader.dispose()


def _check_length(text: str) -> None:
    if len(text) > MAX_CHARS:
        raise LoadError(f"text longer than {MAX_CHARS:,} characters; expected a smaller document")


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


def _json_depth(text: str) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH before the (recursive) decoder sees it."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        char = match.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise LoadError(_too_deep(""), text.count("\n", 0, match.start()) + 1)
        elif char in "]}":
            depth -= 1


class _Refused:
    """A value the strict JSON reader refuses, kept in place so its key path can be named."""

    def __init__(self, message: str) -> None:
        self.message = message


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key, value in pairs:
        if key in out:  # refused by _json_refused, at the key's path
            out[key] = _Refused(f"duplicate key {key!r}; expected each key once in an object")
            continue
        out[key] = value
    return out


def _json_refused(data: Any) -> None:
    """Refuse the first refused value (in document order), naming its key path."""
    stack: list[tuple[Any, Path_]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Refused):
            raise LoadError(node.message, None, path)
        if isinstance(node, dict):
            stack.extend(reversed([(v, (*path, k)) for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(v, (*path, i)) for i, v in enumerate(node)]))


def _json_int(text: str) -> int | _Refused:
    if len(text.lstrip("-")) > 309:  # 1.8e308 has 309 digits
        return _Refused(_out_of_range(text))
    return int(text)


def _json_float(text: str) -> float | _Refused:
    value = float(text)
    if not math.isfinite(value):
        return _Refused(_out_of_range(text))
    return value


def _json_constant(text: str) -> _Refused:
    return _Refused(f"{text} is not a number JSON allows; expected a finite number")


def load_json(text: str) -> Any:
    """Parse JSON text within the same limits as YAML (no line map: JSON has no comments)."""
    _check_length(text)
    _json_depth(text)
    try:
        data = json.loads(
            text,
            object_pairs_hook=_json_pairs,
            parse_int=_json_int,
            parse_float=_json_float,
            parse_constant=_json_constant,
        )
    except json.JSONDecodeError as err:
        raise LoadError(f"not valid JSON: {err.msg} (column {err.colno})", err.lineno) from None
    check_data(data)  # bounded first: the walk below then visits at most MAX_NODES nodes
    _json_refused(data)
    return data


def check_data(data: Any) -> None:
    """Refuse parsed data beyond the nesting and size limits, or with out-of-range numbers.

    For data that did not come through :func:`load_yaml` (e.g. a JSON body
    already decoded by a web framework). Iterative and stops at the first
    excess, so it is cheap however hostile the data.
    """
    stack: list[tuple[Any, Path_, int]] = [(data, (), 1)]
    nodes = 0
    while stack:
        value, path, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise LoadError(_too_many("keys, values and items", MAX_NODES), None, path)
        if depth > MAX_DEPTH:
            raise LoadError(_too_deep(""), None, path)
        if isinstance(value, dict):
            for key, item in value.items():
                nodes += 1  # the key
                stack.append((item, (*path, str(key)), depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*path, i), depth + 1) for i, item in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _FLOAT_MAX:
            digits = int(value.bit_length() * math.log10(2)) + 1
            raise LoadError(_out_of_range(f"with about {digits} digits"), None, path)
