"""Rebase: re-apply a derived index's overlay onto a new version of its parent.

`plan_rebase` reports, before anything is written, what moving the pin would do:
overlay entries whose target the parent removed (conflicts), overridden nodes whose
parent definition changed (drift), targets renamed, moved or replaced in the parent
(followed), new parent nodes that will be inherited, and the diff of the effective
tree. `write_rebase` commits the new pin (and the followed ids) when nothing conflicts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from methodology.derive import OVERLAY_FILE, Overlay, parse_overlay
from methodology.diff import Diff, diff
from methodology.errors import MethodologyError
from methodology.manifest import MANIFEST_FILE
from methodology.node import Node
from methodology.store import Change, Move, Person, Put, Store, under
from methodology.tree import Methodology, to_json_value
from methodology.versions import Spec, _assemble, open_methodology, parse_spec

__all__ = ["RebaseConflict", "RebaseReport", "plan_rebase", "write_rebase"]


# Identity and lineage change when a node is followed; they are not drift.
_LINEAGE_KEYS = ("id", "code", "replaces")


class RebaseConflict(MethodologyError):
    """A rebase was asked to write while conflicts remain."""


@dataclass
class RebaseReport:
    derived: str
    base: Spec  # the parent version pinned now
    base_commit: str
    onto: Spec
    onto_commit: str
    head: str  # the derived methodology's commit the plan was made on
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)
    followed: list[dict[str, Any]] = field(default_factory=list)
    inherited: list[dict[str, Any]] = field(default_factory=list)
    effective_diff: Diff | None = None
    renames: dict[str, str] = field(default_factory=dict)  # old id → new id, for the overlay

    @property
    def ok(self) -> bool:
        return not self.conflicts

    def to_json(self) -> dict[str, Any]:
        return {
            "derived": self.derived,
            "from": {"pin": str(self.base), "commit": self.base_commit},
            "onto": {"pin": str(self.onto), "commit": self.onto_commit},
            "ok": self.ok,
            "conflicts": self.conflicts,
            "drift": to_json_value(self.drift),
            "followed": self.followed,
            "inherited": to_json_value(self.inherited),
            "effective_diff": self.effective_diff.to_json() if self.effective_diff else None,
        }

    def to_text(self) -> str:
        lines = [
            f"rebase {self.derived}: {self.base} ({self.base_commit[:7]}) → {self.onto} ({self.onto_commit[:7]})"
        ]
        lines.append(f"\nConflicts ({len(self.conflicts)})")
        for c in self.conflicts:
            lines.append(f"  {c['entry']}: {c['reason']}\n      → {c['resolution']}")
        lines.append(f"\nDrift ({len(self.drift)})")
        for d in self.drift:
            lines.append(f"  {d['code']}  {d['title']} — the parent changed {', '.join(d['keys'])}")
            for key in d["keys"]:
                lines.append(
                    f"      {key}: parent-old {_short(d['parent_old'].get(key))} · "
                    f"parent-new {_short(d['parent_new'].get(key))} · ours {_short(d['ours'].get(key))}"
                )
        lines.append(f"\nFollowed ({len(self.followed)})")
        for f in self.followed:
            lines.append(f"  {f['id']} → {f['to']} ({f['kind']}): {f['summary']}")
        lines.append(f"\nNewly inherited ({len(self.inherited)})")
        for n in self.inherited:
            lines.append(f"  {n['code']}  {n['title']} ({to_json_value(n['max_points'])} points)")
        if self.effective_diff is not None:
            lines.append("\nEffective tree, old → new")
            lines.append("  " + self.effective_diff.to_text().replace("\n", "\n  "))
        verdict = (
            "ready: run with --write to commit the new pin"
            if self.ok
            else "not written: resolve the conflicts by editing overlay.yaml, then run again"
        )
        lines.append(f"\n{verdict}")
        return "\n".join(lines)


def _short(value: Any) -> str:
    text = str(to_json_value(value)) if value is not None else "—"
    return text if len(text) <= 60 else text[:57] + "…"


def plan_rebase(store: Store, derived: str, onto: str) -> RebaseReport:
    """Work out what re-applying ``derived``'s overlay onto ``onto`` would do; write nothing."""
    head = store.resolve(None, derived)
    files = store.list_files(head, derived)
    current = open_methodology(store, Spec(derived, head))
    if not current.extends:
        raise MethodologyError(f"{derived} extends nothing: there is nothing to rebase")
    base = Spec(current.extends["methodology"], current.extends["ref"])
    target = parse_spec(onto) if "@" in onto else Spec(base.methodology, onto)
    if target.methodology != base.methodology:
        raise MethodologyError(f"{derived} extends {base.methodology}, not {target.methodology}")
    old_parent = open_methodology(store, base)
    new_parent = open_methodology(store, target)

    report = RebaseReport(
        derived=derived,
        base=base,
        base_commit=old_parent.commit or "",
        onto=target,
        onto_commit=new_parent.commit or "",
        head=head,
    )
    successors = _successors(new_parent)
    own_overlay = _overlay(store, files)
    for entry, node_id, how in _targets(current, own_overlay):
        if node_id in new_parent.nodes:
            change = _moved_or_renamed(old_parent, new_parent, node_id)
            if change:
                report.followed.append({"entry": entry, "id": node_id, "to": node_id, **change})
        elif node_id in successors:
            new_id = successors[node_id]
            report.renames[node_id] = new_id
            new = new_parent.nodes[new_id]
            report.followed.append(
                {
                    "entry": entry,
                    "id": node_id,
                    "to": new_id,
                    "kind": "replaced",
                    "summary": f"replaced by {new.code} {new.title} (replaces: [{node_id}])",
                }
            )
        elif node_id in old_parent.nodes:
            report.conflicts.append(
                {
                    "entry": entry,
                    "id": node_id,
                    "reason": f"the parent removed '{node_id}' ({old_parent.nodes[node_id].code} "
                    f"{old_parent.nodes[node_id].title})",
                    "resolution": how,
                }
            )
    report.followed = list({(f["entry"], f["id"]): f for f in report.followed}.values())

    for node_id, mark in current.derivation.items():
        if mark.status != "overridden" or node_id not in old_parent.nodes:
            continue
        new_id = report.renames.get(node_id, node_id)
        if new_id not in new_parent.nodes:
            continue
        before = old_parent.nodes[node_id].front_matter()
        after = new_parent.nodes[new_id].front_matter()
        keys = sorted(
            k
            for k in set(before) | set(after)
            if k not in _LINEAGE_KEYS and before.get(k) != after.get(k)
        )
        if old_parent.nodes[node_id].guidance != new_parent.nodes[new_id].guidance:
            keys.append("guidance")
        if not keys:
            continue
        ours = current.nodes[node_id]
        report.drift.append(
            {
                "id": node_id,
                "code": ours.code,
                "title": ours.title,
                "keys": keys,
                "overridden": sorted(mark.parent),
                "parent_old": {k: _value(old_parent.nodes[node_id], k) for k in keys},
                "parent_new": {k: _value(new_parent.nodes[new_id], k) for k in keys},
                "ours": {k: _value(ours, k) for k in keys},
            }
        )

    # A retitled node we override is drift, not something to follow.
    drifted = {d["id"] for d in report.drift}
    report.followed = [
        f for f in report.followed if not (f["kind"] == "renamed" and f["id"] in drifted)
    ]

    replaced = set(successors.values())
    removed = {r.id for r in own_overlay.removals}
    for node in new_parent.walk():
        if node.id in old_parent.nodes or node.id in replaced:
            continue
        if _under_removed(new_parent, node.id, removed):
            continue
        report.inherited.append(
            {"id": node.id, "code": node.code, "title": node.title, "max_points": node.max_points}
        )

    if report.ok:
        new_effective = _effective(store, derived, files, new_parent, report)
        report.effective_diff = diff(current, new_effective)
    return report


def write_rebase(
    store: Store, report: RebaseReport, *, author: Person, message: str | None = None
) -> str:
    """Commit the new pin (and the followed ids); refused while conflicts remain."""
    if not report.ok:
        raise RebaseConflict(
            f"{len(report.conflicts)} conflicts remain; edit {report.derived}/{OVERLAY_FILE} first"
        )
    files = store.list_files(report.head, report.derived)
    changes = _pin_changes(store, report, files)
    message = message or f"{report.derived}: rebase onto {report.onto} (from {report.base})"
    return store.commit(
        under(report.derived, changes),
        message=message,
        author=author,
        base=report.head,
    )


# -- internals --------------------------------------------------------------------


def _overlay(store: Store, files: dict[str, str]) -> Overlay:
    blob = files.get(OVERLAY_FILE)
    overlay, _ = parse_overlay(
        store.read_blob(blob).decode("utf-8") if blob else None, file=OVERLAY_FILE
    )
    return overlay


def _targets(current: Methodology, overlay: Overlay) -> list[tuple[str, str, str]]:
    """(entry, node id, how to resolve a conflict) for everything the overlay points at."""
    out = []
    for entry, node_id in overlay.targets:
        verb = entry.split(" ", 1)[0]
        out.append(
            (entry, node_id, f"delete the `{verb}` entry for '{node_id}' from {OVERLAY_FILE}")
        )
    for node_id, mark in current.derivation.items():
        node = current.nodes[node_id]
        if (
            mark.status == "local"
            and node.parent
            and current.derivation.get(node.parent, mark).status != "local"
        ):
            out.append(
                (
                    f"local {node_id} under {node.parent}",
                    node.parent,
                    f"move the folder '{node.parent}/' of local nodes under another parent node",
                )
            )
    return out


def _successors(parent: Methodology) -> dict[str, str]:
    return {
        old: node.id for node in parent.walk() for old in node.replaces if old not in parent.nodes
    }


def _moved_or_renamed(old: Methodology, new: Methodology, node_id: str) -> dict[str, str] | None:
    a, b = old.nodes.get(node_id), new.nodes.get(node_id)
    if a is None or b is None:
        return None
    if a.parent != b.parent:
        return {
            "kind": "moved",
            "summary": f"moved from {a.code} to {b.code} under {b.parent or 'the top'}",
        }
    if a.title != b.title:
        return {"kind": "renamed", "summary": f"“{a.title}” → “{b.title}”"}
    return None


def _under_removed(m: Methodology, node_id: str, removed: set[str]) -> bool:
    node: str | None = node_id
    while node is not None:
        if node in removed:
            return True
        node = m.nodes[node].parent
    return False


def _value(node: Node, key: str) -> Any:
    return node.guidance if key == "guidance" else node.front_matter().get(key)


def _pin(store: Store, spec: Spec, commit: str) -> str:
    """Pin a tag or a commit as given; a moving ref (branch, date) is pinned to its commit."""
    ref = spec.ref or ""
    tags = {t.name for t in store.repo.tags}
    if ref in tags:
        return f"{spec.methodology}@{ref}"
    if f"{spec.methodology}/{ref}" in tags:
        return f"{spec.methodology}@{spec.methodology}/{ref}"
    return f"{spec.methodology}@{commit}"


def _pin_changes(store: Store, report: RebaseReport, files: dict[str, str]) -> list[Change]:
    manifest = store.read_blob(files[MANIFEST_FILE]).decode("utf-8")
    pin = _pin(store, report.onto, report.onto_commit)
    new_manifest, count = re.subn(r"(?m)^extends:.*$", f"extends: {pin}", manifest)
    if count != 1:
        raise MethodologyError(f"{report.derived}/{MANIFEST_FILE}: cannot find its `extends:` line")
    changes: list[Change] = [Put(MANIFEST_FILE, new_manifest.encode("utf-8"))]
    if report.renames and OVERLAY_FILE in files:
        text = store.read_blob(files[OVERLAY_FILE]).decode("utf-8")
        changes.append(Put(OVERLAY_FILE, _rename_ids(text, report.renames).encode("utf-8")))
    for old, new in report.renames.items():
        if any(path.startswith(f"{old}/") for path in files):
            changes.append(Move(old, new))
    return changes


def _rename_ids(text: str, renames: dict[str, str]) -> str:
    for old, new in renames.items():
        text = re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, text)
    return text


def _effective(
    store: Store, derived: str, files: dict[str, str], new_parent: Methodology, report: RebaseReport
) -> Methodology:
    """The derived tree as it would be on the new parent, without writing anything."""
    contents = {path: store.read_blob(blob) for path, blob in files.items()}
    for change in _pin_changes(store, report, files):
        if isinstance(change, Put):
            contents[change.path] = change.content
        elif isinstance(change, Move):
            for path in [p for p in contents if p.startswith(change.src + "/")]:
                contents[change.dst + path[len(change.src) :]] = contents.pop(path)
    return _assemble(
        derived,
        {p: p for p in contents},
        contents.__getitem__,
        new_parent,
        file_prefix=f"{derived}/",
    )
