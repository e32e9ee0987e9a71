"""A methodology as a tree of nodes, built from the files of its folder.

The folder layout is the tree: ``<field>/_node.md`` is a field, ``<field>/<criterion>/``
a criterion, and ``<criterion>/<sub>.md`` a sub-criterion. Children are ordered by their
display code ("1.2" before "1.10").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from methodology.manifest import MANIFEST_FILE, Manifest, parse_manifest
from methodology.node import Node, parse_node, render_guidance
from rules import InputSpec, Problem

__all__ = ["LEVEL_NAMES", "Derivation", "Methodology", "build_tree", "code_key", "to_json_value"]

LEVEL_NAMES = {1: "field", 2: "criterion", 3: "sub_criterion"}
NODE_FILE = "_node.md"
_IGNORED = {"README.md"}

# A parsed node depends only on its file's bytes and on the manifest's facts,
# so (blob id, facts) is a safe cache key across versions.
NodeCache = dict[tuple[str, str], tuple[Node | None, list[Problem]]]


def code_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """Natural sort key for display codes: "1.2" < "1.10" < "2"."""
    parts = re.split(r"[.\s]+", code.strip())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


@dataclass(frozen=True)
class Derivation:
    """How a node of a derived index relates to its parent's tree.

    ``status`` is ``inherited``, ``overridden`` (``parent`` holds the parent's values of
    the keys that differ) or ``local``.
    """

    status: str
    parent: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "parent": to_json_value(dict(self.parent)),
            "reason": self.reason,
        }


@dataclass
class Methodology:
    """A resolved methodology: manifest, nodes in tree order and what was wrong while loading."""

    name: str
    manifest: Manifest | None
    nodes: dict[str, Node]
    children: dict[str | None, list[str]]
    problems: list[Problem] = field(default_factory=list)
    ref: str | None = None
    commit: str | None = None
    # For a derived index: the resolved parent ({"methodology", "ref", "commit"}) and
    # how each node relates to it. Empty for a methodology that extends nothing.
    extends: Mapping[str, Any] | None = None
    derivation: dict[str, Derivation] = field(default_factory=dict)

    def roots(self) -> list[Node]:
        return [self.nodes[i] for i in self.children.get(None, [])]

    def children_of(self, node_id: str) -> list[Node]:
        return [self.nodes[i] for i in self.children.get(node_id, [])]

    def is_leaf(self, node_id: str) -> bool:
        return not self.children.get(node_id)

    def depth(self, node_id: str) -> int:
        depth, node = 1, self.nodes[node_id]
        while node.parent is not None:
            depth, node = depth + 1, self.nodes[node.parent]
        return depth

    def level(self, node_id: str) -> str:
        return LEVEL_NAMES.get(self.depth(node_id), "sub_criterion")

    def walk(self) -> Iterator[Node]:
        """Nodes depth-first in display order."""

        def visit(ids: list[str]) -> Iterator[Node]:
            for node_id in ids:
                yield self.nodes[node_id]
                yield from visit(self.children.get(node_id, []))

        return visit(self.children.get(None, []))

    def leaves(self) -> Iterator[Node]:
        return (n for n in self.walk() if self.is_leaf(n.id))

    def counts(self) -> dict[str, int]:
        counts = {"fields": 0, "criteria": 0, "sub_criteria": 0}
        keys = {1: "fields", 2: "criteria", 3: "sub_criteria"}
        for node in self.walk():
            counts[keys.get(self.depth(node.id), "sub_criteria")] += 1
        return counts

    @property
    def total(self) -> Decimal:
        return sum((n.max_points for n in self.roots()), Decimal(0))

    def to_json(self) -> dict[str, Any]:
        """The document `parindex show --format json` prints and the API serves."""

        def node_json(node: Node) -> dict[str, Any]:
            front = node.front_matter()
            out = {
                "id": node.id,
                "code": node.code,
                "title": node.title,
                "title_en": node.title_en,
                "level": self.level(node.id),
                "max_points": to_json_value(node.max_points),
                "inputs": to_json_value(front.get("inputs", {})),
                "scoring": to_json_value(front.get("scoring")),
                "bonus": to_json_value(front.get("bonus")),
                "penalty": to_json_value(front.get("penalty")),
                "applicability": to_json_value(node.applicability.to_dict()),
                "assessed_by": node.assessed_by,
                "evidence": to_json_value(front.get("evidence", [])),
                "requires": node.requires.to_dict(),
                "provenance": node.provenance,
                "official_parts": list(node.provenance_parts()[0]),
                "illustrative_parts": list(node.provenance_parts()[1]),
                "source": to_json_value(node.source.to_dict()),
                "replaces": list(node.replaces),
                "guidance": node.guidance,
                "guidance_html": render_guidance(node.guidance),
                "path": node.path,
                "children": [node_json(child) for child in self.children_of(node.id)],
            }
            if node.id in self.derivation:
                out["derivation"] = self.derivation[node.id].to_json()
            return out

        return {
            "methodology": self.name,
            "ref": self.ref,
            "commit": self.commit,
            "manifest": self.manifest.to_json() if self.manifest else None,
            "extends": dict(self.extends) if self.extends else None,
            "nodes": [node_json(n) for n in self.roots()],
        }


def to_json_value(value: Any) -> Any:
    """Plain JSON data: Decimals become numbers, dates ISO strings."""
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _node_location(path: str) -> tuple[str, str | None] | None:
    """(node id from the file name, parent folder path) for a node file path, else None."""
    parts = path.split("/")
    if parts[-1] == NODE_FILE:
        if len(parts) < 2:
            return None
        return parts[-2], "/".join(parts[:-2]) or None
    if not parts[-1].endswith(".md") or (len(parts) == 1 and parts[-1] in _IGNORED):
        return None
    return parts[-1][: -len(".md")], "/".join(parts[:-1]) or None


def build_tree(
    name: str,
    files: Mapping[str, str],
    read: Callable[[str], bytes],
    *,
    cache: NodeCache | None = None,
    file_prefix: str = "",
    external_parents: bool = False,
    inherited_facts: Mapping[str, InputSpec] | None = None,
) -> Methodology:
    """Build a methodology from ``files`` ({relative path: blob id}) read through ``read``.

    Never raises for bad content: every problem is recorded on the result, so
    `validate` can report them all. With ``external_parents`` (a derived index's
    overlay), a folder without ``_node.md`` names the inherited node its files attach to.
    """
    cache = {} if cache is None else cache
    problems: list[Problem] = []
    manifest: Manifest | None = None
    facts: Mapping[str, InputSpec] = {}
    manifest_blob = files.get(MANIFEST_FILE)
    if manifest_blob is None:
        problems.append(
            Problem(
                "error",
                "missing-manifest",
                f"no {MANIFEST_FILE} in '{name}'",
                file=f"{file_prefix}{MANIFEST_FILE}",
            )
        )
    else:
        manifest, found = parse_manifest(
            _decode(read(manifest_blob)), file=f"{file_prefix}{MANIFEST_FILE}"
        )
        problems.extend(found)
        if manifest is not None:
            facts = {**(inherited_facts or {}), **manifest.facts}

    # Parsing depends on the declared facts (they are type-checked in rules), not on the
    # rest of the manifest: a manifest edit must not invalidate every parsed node.
    facts_key = repr(sorted((k, sorted(v.to_dict().items(), key=str)) for k, v in facts.items()))
    folder_node: dict[str, str] = {}  # folder path → id of the node it holds
    located: list[tuple[Node, str | None, str]] = []
    seen: dict[str, str] = {}
    for path in sorted(files):
        where = _node_location(path)
        if where is None:
            continue
        file_id, parent_folder = where
        blob = files[path]
        key = (blob, facts_key)
        if key not in cache:
            cache[key] = parse_node(_decode(read(blob)), file=f"{file_prefix}{path}", facts=facts)
        node, found = cache[key]
        problems.extend(_relocate(found, f"{file_prefix}{path}"))
        if node is None:
            continue
        if node.id != file_id:
            problems.append(
                Problem(
                    "error",
                    "id-mismatch",
                    f"id '{node.id}' does not match its file name '{file_id}'",
                    file=f"{file_prefix}{path}",
                    path="id",
                    suggestion=f"rename the file or set id: {file_id}",
                )
            )
        if node.id in seen:
            problems.append(
                Problem(
                    "error",
                    "duplicate-id",
                    f"duplicate id '{node.id}' (also in {seen[node.id]})",
                    file=f"{file_prefix}{path}",
                    path="id",
                )
            )
            continue
        seen[node.id] = f"{file_prefix}{path}"
        if path.endswith("/" + NODE_FILE) or path == NODE_FILE:
            folder_node[path[: -len(NODE_FILE)].rstrip("/")] = node.id
        located.append((node, parent_folder, path))

    nodes: dict[str, Node] = {}
    children: dict[str | None, list[str]] = {None: []}
    for node, parent_folder, path in located:
        parent_id = None
        if parent_folder is not None:
            parent_id = folder_node.get(parent_folder)
            if parent_id is None and external_parents:
                # An overlay's folder named after an inherited node attaches local nodes to it.
                parent_id = parent_folder.rsplit("/", 1)[-1]
            elif parent_id is None:
                problems.append(
                    Problem(
                        "error",
                        "orphan-node",
                        f"folder '{parent_folder}' has no {NODE_FILE}, so '{node.id}' has no parent",
                        file=f"{file_prefix}{path}",
                        suggestion=f"add {parent_folder}/{NODE_FILE}",
                    )
                )
                continue
        nodes[node.id] = node.located(
            path=f"{file_prefix}{path}", parent=parent_id, blob=files[path]
        )
        children.setdefault(parent_id, []).append(node.id)
    for ids in children.values():
        ids.sort(key=lambda i: (code_key(nodes[i].code), i))
    return Methodology(
        name=name, manifest=manifest, nodes=nodes, children=children, problems=problems
    )


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _relocate(problems: list[Problem], file: str) -> list[Problem]:
    # Cached problems carry the file name of the first path the blob was seen at.
    return [p if p.file == file else replace(p, file=file) for p in problems]
