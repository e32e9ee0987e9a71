"""Split a node file into YAML front matter and Markdown body, keeping positions.

Authors need errors that point at a line and column of the file they edit, so the
front matter is composed into YAML nodes (which carry marks) and converted by hand;
every value's start position is kept under its JSON path ("scoring.tiers[1].when").
Floats become Decimal from their source text, so `14.5` points are exact.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from methodology._yaml import YamlLoader
from methodology.errors import FormatError
from rules import Origin

__all__ = ["Document", "load_yaml", "split"]

_FLOAT_TAG = "tag:yaml.org,2002:float"


@dataclass
class Document:
    """Parsed front matter (``data``), body and the position of every value."""

    file: str | None
    data: dict[str, Any]
    body: str
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: str) -> Origin | None:
        """Where the value at ``path`` starts, for error messages."""
        pos = self.positions.get(path)
        if pos is None:
            return Origin(file=self.file, line=None, column=None, path=path)
        return Origin(file=self.file, line=pos[0], column=pos[1], path=path)


class _Builder:
    def __init__(self, file: str | None, line_offset: int) -> None:
        self.file = file
        self.line_offset = line_offset
        self.positions: dict[str, tuple[int, int]] = {}
        self.scalars = yaml.constructor.SafeConstructor()

    def position(self, node: yaml.Node) -> tuple[int, int]:
        mark = node.start_mark
        column = mark.column + 1
        if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"'):
            column += 1  # point inside the quotes, where the text starts
        return mark.line + 1 + self.line_offset, column

    def error(self, node: yaml.Node, message: str, path: str) -> FormatError:
        line, column = self.position(node)
        return FormatError(message, file=self.file, line=line, column=column, path=path or None)

    def build(self, node: yaml.Node, path: str) -> Any:
        self.positions[path] = self.position(node)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.build_key(key_node, path)
                if key in result:
                    raise self.error(key_node, f"duplicate key '{key}'", path)
                child = f"{path}.{key}" if path else key
                result[key] = self.build(value_node, child)
                if not isinstance(value_node, yaml.ScalarNode):
                    # A block mapping or list starts on the next line; errors about it
                    # read better at its key.
                    self.positions[child] = self.position(key_node)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        if node.tag == _FLOAT_TAG:
            try:
                return Decimal(node.value.replace("_", ""))
            except InvalidOperation:
                raise self.error(node, f"not a number: {node.value!r}", path) from None
        value = self.scalars.construct_object(node)
        if isinstance(value, str):
            value = unicodedata.normalize("NFC", value)
        return value

    def build_key(self, node: yaml.Node, path: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, "mapping keys must be plain names", path)
        return unicodedata.normalize("NFC", str(node.value))


def load_yaml(
    text: str, *, file: str | None = None, line_offset: int = 0
) -> tuple[Any, dict[str, tuple[int, int]]]:
    """Load YAML ``text`` into plain data and a map of JSON path → (line, column)."""
    try:
        root = yaml.compose(text, Loader=YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        column = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise FormatError(
            f"malformed YAML: {problem}", file=file, line=line, column=column
        ) from None
    if root is None:
        return None, {}
    builder = _Builder(file, line_offset)
    return builder.build(root, ""), builder.positions


def split(text: str, *, file: str | None = None) -> Document:
    """Split a node file into front matter and body.

    >>> doc = split("---\\nid: a\\nmax_points: 1.5\\n---\\nHướng dẫn\\n")
    >>> doc.data["max_points"], doc.body, doc.locate("max_points").line
    (Decimal('1.5'), 'Hướng dẫn\\n', 3)
    """
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff").replace("\r\n", "\n"))
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise FormatError(
            "missing front matter: the file must start with a '---' line",
            file=file,
            line=1,
            column=1,
        )
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        raise FormatError("front matter is not closed by a '---' line", file=file, line=1, column=1)
    data, positions = load_yaml("\n".join(lines[1:end]), file=file, line_offset=1)
    if not isinstance(data, dict):
        raise FormatError(
            "front matter must be a mapping of keys to values", file=file, line=2, column=1
        )
    body = "\n".join(lines[end + 1 :])
    return Document(file=file, data=data, body=body, positions=positions)
