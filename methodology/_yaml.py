"""YAML read and written through libyaml when PyYAML was built with it.

PyYAML's pure-Python parser and emitter are ten times slower than libyaml's; its
marks (line, column) and messages are the same, so errors that name a file and line
read alike either way. Without libyaml (a PyYAML wheel built without it) the
pure-Python classes are used.

Even with libyaml, PyYAML builds Python objects in Python: `YamlLoader` builds the
usual documents (plain mappings, lists and scalars, with or without anchors) in one
recursive pass, and hands any other document (merge keys, ``!!set``, ``!!omap``, keys
that are not scalars) to PyYAML's own constructor, so both give equal data.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = ["YamlDumper", "YamlLoader", "yaml_dump", "yaml_load"]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
# Keys that PyYAML's constructor rewrites before building a mapping.
_SPECIAL_KEYS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


class YamlDumper(_BaseDumper):
    """`yaml.SafeDumper`'s representers with libyaml's emitter: the same text."""


class _Unusual(Exception):
    """A node the single pass does not build; PyYAML's constructor does."""


class YamlLoader(_BaseLoader):
    """`yaml.SafeLoader`'s results, built faster from libyaml's nodes."""

    def construct_document(self, node: yaml.Node) -> Any:
        try:
            return self._build(node, {})
        except _Unusual:
            return super().construct_document(node)

    def _build(self, node: yaml.Node, built: dict[int, Any]) -> Any:
        if type(node) is ScalarNode:
            if node.tag == _STR:
                return node.value
            construct = self.yaml_constructors.get(node.tag)
            if construct is None:  # an unknown tag: PyYAML's constructor says so
                raise _Unusual
            return construct(self, node)
        # An alias is the same node object again: it gets the same object.
        if id(node) in built:
            return built[id(node)]
        if type(node) is MappingNode and node.tag == _MAP:
            mapping: dict[Any, Any] = {}
            built[id(node)] = mapping
            for key_node, value_node in node.value:
                if type(key_node) is not ScalarNode or key_node.tag in _SPECIAL_KEYS:
                    raise _Unusual
                mapping[self._build(key_node, built)] = self._build(value_node, built)
            return mapping
        if type(node) is SequenceNode and node.tag == _SEQ:
            items: list[Any] = []
            built[id(node)] = items
            items.extend(self._build(item, built) for item in node.value)
            return items
        raise _Unusual


def yaml_load(text: str) -> Any:
    """The data of one YAML document, as `yaml.safe_load` gives it, errors included.

    libyaml words some problems differently and marks an unclosed bracket where the
    text ends rather than where it stops making sense, so a text it refuses is read
    again by PyYAML's own parser: the error (its message, line and column) is the one
    people were shown before, and only good documents take the fast path.

    >>> yaml_load("a: [1, 2.5, x]")
    {'a': [1, 2.5, 'x']}
    """
    try:
        return yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError:
        return yaml.safe_load(text)


def yaml_dump(data: Any, **options: Any) -> str:
    """``data`` as YAML, as `yaml.safe_dump` writes it (``options`` are its options).

    >>> yaml_dump({"tên": "Hà Nội"}, allow_unicode=True)
    'tên: Hà Nội\\n'
    """
    text: str = yaml.dump(data, Dumper=YamlDumper, **options)
    return text
