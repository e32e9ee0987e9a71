"""History of one node of a methodology, across moves, reshapes and replacements.

A node's own file is ``<parent...>/<id>.md`` or ``<parent...>/<id>/_node.md``
anywhere under ``<methodology>/``; its path may change (moved to another parent,
or turned from a file into a folder) while its id stays. A node added with
``replaces: [ids]`` in its front matter continues the history of those ids.
"""

from __future__ import annotations

import dataclasses
import posixpath
from dataclasses import dataclass
from typing import Any

import yaml

from methodology._yaml import yaml_load
from methodology.errors import StoreError
from methodology.store import BlameLine, CommitChanges, CommitInfo, FileChange, Store

__all__ = ["NodeEvent", "guidance_blame", "node_file", "node_history"]

NODE_FILE = "_node.md"


@dataclass(frozen=True)
class NodeEvent:
    """One change to a node's own file.

    ``kind`` is ``added``, ``removed``, ``moved`` or ``modified`` (a change of
    shape under the same parent counts as ``modified``). ``node_id`` is the id the
    event belongs to: the requested node, or a node it ``replaces``.
    """

    commit: CommitInfo
    kind: str
    path: str | None
    old_path: str | None
    old_blob: str | None
    new_blob: str | None
    node_id: str


def node_file(path: str) -> tuple[str, str] | None:
    """``(node id, parent folder)`` if ``path`` is a node's own file, else None."""
    folder, name = posixpath.split(path)
    if name == NODE_FILE:
        parent, node_id = posixpath.split(folder)
        return (node_id, parent) if node_id else None
    if name.endswith(".md") and len(name) > 3:
        return name[:-3], folder
    return None


def node_history(
    store: Store, methodology: str, node_id: str, ref: str | None = None
) -> list[NodeEvent]:
    """Events of ``node_id`` (and of the nodes it replaces), newest first."""
    methodology = methodology.strip("/")
    start = store.resolve(ref, methodology) if ref is not None else store.head()
    if start is None:
        return []
    found: list[NodeEvent] = []
    seen: set[str] = set()
    pending = [(node_id, start)]
    while pending:
        current, tip = pending.pop()
        if current in seen:  # `replaces` cycles must not loop forever
            continue
        seen.add(current)
        # Glob pathspecs let git skip unrelated files: far less output to parse
        # than the whole methodology's log.
        escaped = _glob_escape(current)
        patterns = [f"{methodology}/**/{escaped}.md", f"{methodology}/**/{escaped}/{NODE_FILE}"]
        for entry in store.log(methodology, tip, patterns=patterns):
            event = _event(entry, current)
            if event is None:
                continue
            found.append(event)
            parents = entry.commit.parents
            if event.kind == "added" and event.new_blob and parents:
                for older in _replaces(store, event.new_blob):
                    # Predecessors' history ends strictly before this commit.
                    pending.append((older, parents[0]))
    if len(seen) > 1:
        order = store.first_parent_order(start)
        found.sort(key=lambda e: order.get(e.commit.sha, len(order)))
    return found


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _event(entry: CommitChanges, node_id: str) -> NodeEvent | None:
    own: list[tuple[FileChange, str]] = []
    for change in entry.changes:
        parsed = node_file(change.path)
        if parsed and parsed[0] == node_id:
            own.append((change, parsed[1]))
    if not own:
        return None
    added = [pair for pair in own if pair[0].status == "A"]
    removed = [pair for pair in own if pair[0].status == "D"]
    modified = [pair for pair in own if pair[0].status == "M"]

    def make(kind: str, new: FileChange | None, old: FileChange | None) -> NodeEvent:
        return NodeEvent(
            commit=entry.commit,
            kind=kind,
            path=new.path if new else None,
            old_path=old.path if old else None,
            old_blob=old.old_blob if old else None,
            new_blob=new.new_blob if new else None,
            node_id=node_id,
        )

    if added and removed:
        (new, new_parent), (old, old_parent) = added[0], removed[0]
        return make("moved" if new_parent != old_parent else "modified", new, old)
    if modified:
        change = modified[0][0]
        return make("modified", change, change)
    if added:
        return make("added", added[0][0], None)
    return make("removed", None, removed[0][0])


def _front_matter(text: str) -> tuple[dict[str, Any], int]:
    """(front matter mapping, number of lines it spans) of a node file."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            try:
                meta = yaml_load("\n".join(lines[1:end]))
            except yaml.YAMLError:
                meta = None
            return (meta if isinstance(meta, dict) else {}), end + 1
    return {}, 0


def _replaces(store: Store, blob: str) -> list[str]:
    meta, _ = _front_matter(store.read_blob(blob).decode("utf-8", "replace"))
    value = meta.get("replaces")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item) for item in items if item is not None]


def guidance_blame(
    store: Store, methodology: str, node_id: str, ref: str | None = None
) -> list[BlameLine]:
    """Blame of the node's Markdown body (after the front matter) at ``ref``.

    Line numbers count from 1 at the first line after the closing ``---``.
    Raises :class:`~methodology.errors.StoreError` if the node does not exist.
    """
    methodology = methodology.strip("/")
    commit = store.resolve(ref, methodology)
    path = None
    for rel in store.list_files(commit, methodology):
        parsed = node_file(rel)
        if parsed and parsed[0] == node_id:
            path = f"{methodology}/{rel}"
            break
    if path is None:
        raise StoreError(f"node {node_id!r} not found in {methodology!r} at {commit[:12]}")
    _, skip = _front_matter(store.read_file(commit, path).decode("utf-8", "replace"))
    return [
        dataclasses.replace(line, line=line.line - skip)
        for line in store.blame(commit, path)
        if line.line > skip
    ]
