"""YAML loading for SOP authors and the settings file: YAML 1.2 booleans and integers, duplicate
keys refused, line marks kept.

``yes``/``no``/``on``/``off`` stay strings (only ``true``/``false`` are booleans); integers follow
YAML 1.2 (``010`` is ten, not octal eight; ``17:00`` is text, not 1,020 sexagesimal seconds;
``0o17`` and ``0x1F`` are octal and hex); a key repeated in one mapping is an error naming both
lines, and every mapping and list remembers where each of its keys and items stood, so later
checks can say ``file:line:col``. A leaf module: SOPs and the settings file both read through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


@dataclass(frozen=True, slots=True)
class Mark:
    """A 1-based line and column in a file."""

    line: int
    col: int


class MarkedDict(dict[str, Any]):
    """A mapping that knows where each key and value stood."""

    mark: Mark
    key_marks: dict[str, Mark]
    value_marks: dict[str, Mark]


class MarkedList(list[Any]):
    """A list that knows where each item stood."""

    mark: Mark
    item_marks: list[Mark]


class YamlError(Exception):
    """A YAML problem at a place in the file."""

    def __init__(self, message: str, mark: Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


# libyaml's parser when PyYAML was built with it (several times faster), else the pure-Python one
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]  # CSafeLoader or SafeLoader, chosen at import
    """SafeLoader with YAML 1.2 booleans (true/false only) and integers (no 1.1 octal, no
    sexagesimal, no underscores)."""


_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in (_BOOL, _INT)]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_INT_12 = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_Loader.add_implicit_resolver(_INT, _INT_12, list("-+0123456789"))


def _construct_int(loader: Any, node: ScalarNode) -> int:
    """YAML 1.2 core integers: decimal (a leading zero is still decimal), 0o octal, 0x hex."""
    value = str(loader.construct_scalar(node))
    if value.startswith("0o"):
        return int(value[2:], 8)
    if value.startswith("0x"):
        return int(value[2:], 16)
    if _INT_12.match(value) is None:  # an explicit !!int tag on something else
        raise yaml.constructor.ConstructorError(
            None, None, f"{value!r} is not a whole number", node.start_mark
        )
    return int(value, 10)


_Loader.add_constructor(_INT, _construct_int)


def _reader_message(exc: yaml.reader.ReaderError) -> str:
    ch = exc.character
    code = f"U+{ord(ch):04X}" if isinstance(ch, str) else f"byte 0x{ch:02X}"
    return f"the file holds a character YAML does not allow ({code}); is it really a SOP file?"


def _position_mark(text: str, position: int) -> Mark:
    before = text[:position]
    line = before.count("\n") + 1
    return Mark(line, position - (before.rfind("\n") + 1) + 1)


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def load_yaml(text: str) -> Any:
    """Parse one YAML document into MarkedDict / MarkedList / plain scalars."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        raise YamlError(_reader_message(exc), _position_mark(text, exc.position)) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            m = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            raise YamlError(
                f"YAML syntax: {problem}", Mark(m.line + 1, m.column + 1) if m else None
            ) from None
        except yaml.reader.ReaderError as exc:
            raise YamlError(_reader_message(exc), _position_mark(text, exc.position)) from None
        except yaml.YAMLError as exc:
            raise YamlError(f"YAML syntax: {exc}", None) from None
        if node is None:
            return None
        return _convert(loader, node, 0, [MAX_VALUES])
    finally:
        loader.dispose()


#: The most values one file may expand to. Aliases are expanded where they are used, so a small
#: file of aliases nested inside each other ("a billion laughs") would otherwise take minutes and
#: gigabytes; a real SOP, rota or settings file holds a few thousand values at most.
MAX_VALUES = 200_000


def _convert(loader: _Loader, node: Node, depth: int, budget: list[int]) -> Any:
    if depth > 100:
        raise YamlError("the YAML is nested too deeply", _mark(node))
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlError(
            f"the YAML expands to more than {MAX_VALUES:,} values (anchors and aliases used "
            "inside each other?); write the values out, or split the file",
            _mark(node),
        )
    if isinstance(node, MappingNode):
        out = MarkedDict()
        out.mark = _mark(node)
        out.key_marks = {}
        out.value_marks = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError("merge keys (<<) are not allowed in SOP files", _mark(key_node))
            if not isinstance(key_node, ScalarNode):
                raise YamlError("a key must be plain text", _mark(key_node))
            key = loader.construct_object(key_node, deep=True)
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                first = out.key_marks[key]
                raise YamlError(
                    f"duplicate key {key!r}: first on line {first.line}, "
                    f"again on line {_mark(key_node).line}",
                    _mark(key_node),
                )
            out.key_marks[key] = _mark(key_node)
            out.value_marks[key] = _mark(value_node)
            out[key] = _convert(loader, value_node, depth + 1, budget)
        return out
    if isinstance(node, SequenceNode):
        items = MarkedList()
        items.mark = _mark(node)
        items.item_marks = []
        for item in node.value:
            items.item_marks.append(_mark(item))
            items.append(_convert(loader, item, depth + 1, budget))
        return items
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise YamlError(f"cannot read this value: {exc}", _mark(node)) from None
