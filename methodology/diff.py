"""What changed between two versions of a methodology, node by node.

Nodes are matched by their stable ``id``. A node of the newer version that lists
``replaces: [<old id>]`` continues that old node: it is reported as renamed (and
moved, reweighted, …) rather than as one removal plus one addition. Several new
nodes replacing one old node is a split (each is paired with it); one new node
replacing several old ones is a merge (paired with the first, the others are
reported removed with ``replaced_by``).

Order of ``Diff.changes``: nodes of the newer version in its display order
(each node's changes in the order of ``KINDS``), then nodes removed from the
older version in its display order. Changes of a child are never repeated on
its parent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from methodology import _diff_render as render
from methodology.change_kinds import KIND_IDS, change_kind
from methodology.node import Node
from methodology.renames import RenameProposal, propose_renames
from methodology.tree import Methodology

__all__ = ["KINDS", "Change", "Diff", "Endpoint", "diff", "diff_nodes", "lineage"]

KINDS = KIND_IDS  # the kinds' ids, in report order (`methodology.change_kinds`)


@dataclass(frozen=True)
class Change:
    """One kind of change to one node.

    ``id``/``code``/``title`` are the newer version's (the older one's for a
    removed node); ``before``/``after`` hold only the keys that changed, as
    plain JSON data.
    """

    kind: str
    id: str
    code: str
    title: str
    before: dict[str, Any] = field(default_factory=dict, hash=False)
    after: dict[str, Any] = field(default_factory=dict, hash=False)
    summary: str = ""

    def __post_init__(self) -> None:
        change_kind(self.kind)  # a kind without words in the table is a mistake here

    def to_json(self) -> dict[str, Any]:
        """The change as a JSON object (keys in a fixed order)."""
        return {
            "kind": self.kind,
            "id": self.id,
            "code": self.code,
            "title": self.title,
            "before": self.before,
            "after": self.after,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class Endpoint:
    """Which methodology version one side of a diff is."""

    methodology: str
    ref: str | None = None
    commit: str | None = None

    @classmethod
    def of(cls, m: Methodology) -> Endpoint:
        return cls(methodology=m.name, ref=m.ref, commit=m.commit)

    def to_json(self) -> dict[str, Any]:
        return {"methodology": self.methodology, "ref": self.ref, "commit": self.commit}


@dataclass
class Diff:
    """The changes from ``source`` to ``target`` and the renames worth confirming."""

    source: Endpoint
    target: Endpoint
    changes: list[Change] = field(default_factory=list)
    proposals: list[RenameProposal] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when the two versions have the same nodes with the same content."""
        return not self.changes and not self.proposals

    @property
    def counts(self) -> dict[str, int]:
        """Number of changes per kind, in ``KINDS`` order; kinds that do not occur are left out."""
        found = Counter(change.kind for change in self.changes)
        return {kind: found[kind] for kind in KINDS if kind in found}

    def by_kind(self) -> dict[str, list[Change]]:
        """Changes grouped by kind, in ``KINDS`` order."""
        groups: dict[str, list[Change]] = {kind: [] for kind in self.counts}
        for change in self.changes:
            groups[change.kind].append(change)
        return groups

    def to_json(self) -> dict[str, Any]:
        """``{"from", "to", "changes", "proposals", "counts"}``, plain JSON data."""
        return {
            "from": self.source.to_json(),
            "to": self.target.to_json(),
            "changes": [c.to_json() for c in self.changes],
            "proposals": [p.to_json() for p in self.proposals],
            "counts": self.counts,
        }

    def to_text(self) -> str:
        """A plain-text report for a terminal, grouped by kind (no trailing newline)."""
        return render.text_report(self)

    def to_markdown(self) -> str:
        """A Markdown report fit for publication (summary table, a table per kind; no trailing newline)."""
        return render.markdown_report(self)


# -- pairing -----------------------------------------------------------------------


@dataclass
class _Pairing:
    """Which node of A each node of B continues, and what A lost to merges."""

    b_to_a: dict[str, str]
    merged_into: dict[str, str]  # removed A id → B id that absorbed it
    split: dict[str, list[str]]  # A id → B ids it was split into (only when > 1)

    @property
    def paired_a(self) -> set[str]:
        return set(self.b_to_a.values())


def _pair(a: Methodology, b: Methodology) -> _Pairing:
    b_to_a: dict[str, str] = {}
    pending_merges: list[tuple[str, str]] = []
    for node in b.walk():
        if node.id in a.nodes:
            b_to_a[node.id] = node.id
            # A kept id that also replaces others absorbed them.
            pending_merges += [
                (r, node.id) for r in node.replaces if r in a.nodes and r not in b.nodes
            ]
            continue
        replaced = [r for r in node.replaces if r in a.nodes and r not in b.nodes]
        if replaced:
            b_to_a[node.id] = replaced[0]
            pending_merges += [(r, node.id) for r in replaced[1:]]
    paired = set(b_to_a.values())
    merged_into: dict[str, str] = {}
    for old, new in pending_merges:
        if old not in paired:
            merged_into.setdefault(old, new)
    continuations: dict[str, list[str]] = {}
    for new, old in b_to_a.items():
        continuations.setdefault(old, []).append(new)
    split = {old: news for old, news in continuations.items() if len(news) > 1}
    return _Pairing(b_to_a=b_to_a, merged_into=merged_into, split=split)


# -- public entry points ------------------------------------------------------------


def diff(a: Methodology, b: Methodology, *, renames: bool = True) -> Diff:
    """Every change from version ``a`` to version ``b`` (see the module docstring).

    With ``renames`` (the default) removed and added nodes that look alike are
    also proposed as renames; they are still reported as removed and added.
    """
    pairing = _pair(a, b)
    changes: list[Change] = []
    added: list[str] = []
    parents = _ParentView(a, b, pairing)
    for node in b.walk():
        old_id = pairing.b_to_a.get(node.id)
        if old_id is None:
            added.append(node.id)
            changes.append(_added(b, node))
            continue
        changes += _compare(
            a.nodes[old_id], node, parents, split_from=old_id if old_id in pairing.split else None
        )
    removed = [n.id for n in a.walk() if n.id not in pairing.paired_a]
    for old_id in removed:
        changes.append(_removed(a, b, a.nodes[old_id], pairing.merged_into.get(old_id)))
    proposals: list[RenameProposal] = []
    if renames:
        unexplained = [i for i in removed if i not in pairing.merged_into]
        proposals = propose_renames(a, b, unexplained, added, paired=pairing.b_to_a)
    return Diff(source=Endpoint.of(a), target=Endpoint.of(b), changes=changes, proposals=proposals)


def lineage(a: Methodology, b: Methodology) -> dict[str, str]:
    """Which node of ``a`` each node of ``b`` continues: the same id, or the first old id
    it ``replaces`` (as the diff pairs them). Nodes of ``b`` without one are new."""
    return dict(_pair(a, b).b_to_a)


def diff_nodes(a: Node, b: Node) -> list[Change]:
    """Changes from node ``a`` to node ``b``, out of any tree (parents compared by raw id).

    Used to summarise what one commit did to one node.
    """
    return _compare(a, b, _RawParents(), split_from=None)


# -- per node -----------------------------------------------------------------------


class _RawParents:
    """Parent comparison without trees: ids compared as written."""

    def same(self, old: Node, new: Node) -> bool:
        return old.parent == new.parent

    def describe_old(self, old: Node) -> tuple[dict[str, Any], str]:
        return {"parent": old.parent}, old.parent or "top level"

    def describe_new(self, new: Node) -> tuple[dict[str, Any], str]:
        return {"parent": new.parent}, new.parent or "top level"


class _ParentView(_RawParents):
    """Parent comparison through the pairing, so a renamed parent is not a move."""

    def __init__(self, a: Methodology, b: Methodology, pairing: _Pairing) -> None:
        self.a, self.b, self.pairing = a, b, pairing

    def same(self, old: Node, new: Node) -> bool:
        if new.parent is None or old.parent is None:
            return new.parent is None and old.parent is None
        return self.pairing.b_to_a.get(new.parent) == old.parent

    def describe_old(self, old: Node) -> tuple[dict[str, Any], str]:
        return _describe_parent(self.a, old.parent)

    def describe_new(self, new: Node) -> tuple[dict[str, Any], str]:
        return _describe_parent(self.b, new.parent)


def _describe_parent(m: Methodology, parent: str | None) -> tuple[dict[str, Any], str]:
    if parent is None:
        return {"parent": None}, "top level"
    node = m.nodes[parent]
    return {"parent": parent, "parent_code": node.code}, f"{node.code} {node.title}"


def _change(
    kind: str, node: Node, before: dict[str, Any], after: dict[str, Any], summary: str
) -> Change:
    return Change(
        kind=kind,
        id=node.id,
        code=node.code,
        title=node.title,
        before=render.jsonable(before),
        after=render.jsonable(after),
        summary=summary,
    )


def _compare(old: Node, new: Node, parents: _RawParents, *, split_from: str | None) -> list[Change]:
    out: list[Change] = []
    for check in _CHECKS:
        result = check(old, new, parents, split_from)
        if result is not None:
            kind, before, after, summary = result
            out.append(_change(kind, new, before, after, summary))
    return out


_Result = tuple[str, dict[str, Any], dict[str, Any], str] | None


def _renamed(old: Node, new: Node, _: _RawParents, split_from: str | None) -> _Result:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    parts: list[str] = []
    if old.title != new.title:
        before["title"], after["title"] = old.title, new.title
        parts.append(f"“{old.title}” → “{new.title}”")
    if old.title_en != new.title_en:
        before["title_en"], after["title_en"] = old.title_en, new.title_en
        parts.append(f"English title “{old.title_en or '—'}” → “{new.title_en or '—'}”")
    if old.id != new.id:
        before["id"], after["id"] = old.id, new.id
        parts.append(f"id {old.id} → {new.id}")
    if not parts:
        return None
    if split_from is not None:
        after["split_from"] = split_from
        parts.append(f"split from {split_from}")
    return "renamed", before, after, "; ".join(parts)


def _moved(old: Node, new: Node, parents: _RawParents, _: str | None) -> _Result:
    if parents.same(old, new):
        return None
    before, was = parents.describe_old(old)
    after, now = parents.describe_new(new)
    return "moved", before, after, f"moved from {was} to {now}"


def _renumbered(old: Node, new: Node, *_: Any) -> _Result:
    if old.code == new.code:
        return None
    return "renumbered", {"code": old.code}, {"code": new.code}, f"{old.code} → {new.code}"


def _reweighted(old: Node, new: Node, *_: Any) -> _Result:
    if old.max_points == new.max_points:
        return None
    return (
        "reweighted",
        {"max_points": old.max_points},
        {"max_points": new.max_points},
        f"points {render.number(old.max_points)} → {render.number(new.max_points)}",
    )


def _rule_changed(old: Node, new: Node, *_: Any) -> _Result:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    parts: list[str] = []
    for name in ("scoring", "bonus", "penalty"):
        was, now = getattr(old, name), getattr(new, name)
        was_dict = None if was is None else was.to_dict()
        now_dict = None if now is None else now.to_dict()
        # The canonical text can differ while the rule does not (``90%`` vs ``0.9``):
        # trees compare by meaning, and only a change of meaning is worth reporting.
        if was_dict == now_dict or was == now:
            continue
        before[name], after[name] = was_dict, now_dict
        if name == "scoring":
            parts += render.scoring_changes(was, now)
        else:
            parts += render.adjustment_changes(name, was, now)
    if not before:
        return None
    return "rule_changed", before, after, "; ".join(parts) or "scoring changed"


def _inputs_changed(old: Node, new: Node, *_: Any) -> _Result:
    was = {k: v.to_dict() for k, v in old.inputs.items()}
    now = {k: v.to_dict() for k, v in new.inputs.items()}
    if was == now:
        return None
    changed = [k for k in [*was, *(k for k in now if k not in was)] if was.get(k) != now.get(k)]
    before = {"inputs": {k: was[k] for k in changed if k in was}}
    after = {"inputs": {k: now[k] for k in changed if k in now}}
    parts = render.input_changes(changed, was, now)
    if not changed:  # only the order differs
        parts = ["inputs reordered"]
        before, after = {"inputs": was}, {"inputs": now}
    return "inputs_changed", before, after, "; ".join(parts)


def _guidance_changed(old: Node, new: Node, *_: Any) -> _Result:
    was, now = render.guidance_lines(old.guidance), render.guidance_lines(new.guidance)
    if was == now:
        return None
    lines = render.unified(was, now)
    added = sum(1 for line in lines if line.startswith("+"))
    removed = sum(1 for line in lines if line.startswith("-"))
    return ("guidance_changed", {}, {"diff": lines}, f"guidance edited (+{added} −{removed} lines)")


def _source_changed(old: Node, new: Node, *_: Any) -> _Result:
    was, now = old.source.to_dict(), new.source.to_dict()
    if was == now:
        return None
    keys = [k for k in [*was, *(k for k in now if k not in was)] if was.get(k) != now.get(k)]
    before = {k: was.get(k) for k in keys}
    after = {k: now.get(k) for k in keys}
    summary = "; ".join(
        f"{k} {render.value(was.get(k))} → {render.value(now.get(k))}" for k in keys
    )
    return "source_changed", before, after, summary


def _applicability_changed(old: Node, new: Node, *_: Any) -> _Result:
    if old.applicability.to_dict() == new.applicability.to_dict():
        return None
    return render.applicability_change(old.applicability, new.applicability)


def _assessed_by_changed(old: Node, new: Node, *_: Any) -> _Result:
    if old.assessed_by == new.assessed_by:
        return None
    return (
        "assessed_by_changed",
        {"assessed_by": old.assessed_by},
        {"assessed_by": new.assessed_by},
        f"assessed by {old.assessed_by} → {new.assessed_by}",
    )


def _evidence_changed(old: Node, new: Node, *_: Any) -> _Result:
    was = [e.to_dict() for e in old.evidence]
    now = [e.to_dict() for e in new.evidence]
    if was == now and old.requires == new.requires:
        return None
    before: dict[str, Any] = {"evidence": was}
    after: dict[str, Any] = {"evidence": now}
    if old.requires != new.requires:  # what must be attached or explained before submit
        before["requires"] = old.requires.to_dict()
        after["requires"] = new.requires.to_dict()
    return ("evidence_changed", before, after, render.evidence_change(old, new))


def _settings_changed(old: Node, new: Node, *_: Any) -> _Result:
    keys = [k for k in ("aggregation", "locked") if getattr(old, k) != getattr(new, k)]
    if not keys:
        return None
    before = {k: getattr(old, k) for k in keys}
    after = {k: getattr(new, k) for k in keys}
    summary = "; ".join(f"{k} {render.value(before[k])} → {render.value(after[k])}" for k in keys)
    return "settings_changed", before, after, summary


_CHECKS: tuple[Callable[[Node, Node, _RawParents, str | None], _Result], ...] = (
    _renamed,
    _moved,
    _renumbered,
    _reweighted,
    _rule_changed,
    _inputs_changed,
    _guidance_changed,
    _source_changed,
    _applicability_changed,
    _assessed_by_changed,
    _evidence_changed,
    _settings_changed,
)


def _added(b: Methodology, node: Node) -> Change:
    parent, where = _describe_parent(b, node.parent)
    level = render.LEVEL_WORDS.get(b.depth(node.id), "node")
    place = "at top level" if node.parent is None else f"under {where}"
    return _change(
        "added",
        node,
        {},
        {**parent, "max_points": node.max_points},
        f"new {level} {place}, {render.points(node.max_points)}",
    )


def _removed(a: Methodology, b: Methodology, node: Node, merged_into: str | None) -> Change:
    parent, _ = _describe_parent(a, node.parent)
    before = {**parent, "max_points": node.max_points}
    if merged_into is not None:
        target = b.nodes[merged_into]
        return _change(
            "removed",
            node,
            before,
            {"replaced_by": merged_into},
            f"merged into {target.code} {target.title}",
        )
    return _change("removed", node, before, {}, f"removed ({render.points(node.max_points)})")
