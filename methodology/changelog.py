"""The readable log: commits of a methodology, or of one node, with what changed.

A node's history follows moves and `replaces` (see `history`); for a derived index it
also follows inherited nodes into the parent methodology and shows the overlay edits
that override them, so `parindex log` reads the same for any methodology.
"""

from __future__ import annotations

from typing import Any

from methodology.derive import OVERLAY_FILE
from methodology.diff import diff_nodes
from methodology.history import NodeEvent, node_history
from methodology.node import parse_node
from methodology.store import CommitInfo, Store
from methodology.versions import Spec, open_methodology

__all__ = ["log_entries"]


def log_entries(store: Store, spec: Spec, node_id: str | None = None) -> list[dict[str, Any]]:
    """Newest-first entries `{commit, date, author, message, methodology[, kind, node, changes]}`."""
    if node_id is None:
        return [
            _commit(c.commit, spec.methodology) for c in store.log(spec.methodology + "/", spec.ref)
        ]
    entries = [
        _event(store, spec.methodology, e)
        for e in node_history(store, spec.methodology, node_id, spec.ref)
    ]
    m = open_methodology(store, spec)
    mark = m.derivation.get(node_id)
    if mark is not None and mark.status != "local" and m.extends:
        if mark.status == "overridden":
            for c in store.log(
                spec.methodology + "/", spec.ref, paths=[f"{spec.methodology}/{OVERLAY_FILE}"]
            ):
                entries.append(
                    {**_commit(c.commit, spec.methodology), "kind": "overlay", "node": node_id}
                )
        parent = Spec(m.extends["methodology"], m.extends["commit"])
        entries += log_entries(store, parent, node_id)
    entries.sort(key=lambda e: e["date"], reverse=True)
    return entries


def _commit(info: CommitInfo, methodology: str) -> dict[str, Any]:
    message = info.message.strip()
    return {
        "commit": info.sha,
        "date": info.committed_date.isoformat(),
        "author": info.author_name,
        "message": message.splitlines()[0] if message else "",
        "methodology": methodology,
    }


def _event(store: Store, methodology: str, event: NodeEvent) -> dict[str, Any]:
    entry = _commit(event.commit, methodology)
    entry.update(
        {"kind": event.kind, "node": event.node_id, "path": event.path, "old_path": event.old_path}
    )
    if event.kind in ("modified", "moved") and event.old_blob and event.new_blob:
        before, _ = parse_node(store.read_blob(event.old_blob).decode("utf-8"))
        after, _ = parse_node(store.read_blob(event.new_blob).decode("utf-8"))
        if before is not None and after is not None:
            entry["changes"] = [c.summary for c in diff_nodes(before, after) if c.kind != "moved"]
    return entry
