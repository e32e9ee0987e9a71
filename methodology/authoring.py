"""Editing a methodology node by node, each edit list landing as one commit.

Edits name nodes by id; this module turns them into file changes (a node is
`<id>.md`, or `<id>/_node.md` once it has children) and hands them to the store,
which refuses a stale base when the same files changed since. The edited tree is
validated before anything is written, so an edit that breaks the methodology
writes nothing; when other edits landed since the base, the tree that would result
(theirs and this one together) is validated again under the store's write lock, so
two edits that are each valid but not together (two nodes given one code, one new
id under two parents) cannot both land.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from methodology.derive import OVERLAY_FILE
from methodology.errors import FormatError, MethodologyError, StaleBaseError
from methodology.node import Node, parse_node
from methodology.store import Change, Delete, Move, Person, Put, Store, under
from methodology.tree import NODE_FILE, Methodology
from methodology.validate import Report, validate
from methodology.versions import Spec, _assemble, _parent, open_methodology
from rules import InputSpec

__all__ = [
    "CreateNode",
    "DeleteNode",
    "EditConflict",
    "EditRejected",
    "MoveNode",
    "UpdateNode",
    "WriteOverlay",
    "apply_edits",
    "check_edits",
]


@dataclass(frozen=True)
class CreateNode:
    """Add a node (its full file text) under ``parent`` (None: a new field)."""

    parent: str | None
    text: str


@dataclass(frozen=True)
class UpdateNode:
    """Replace a node's file text; its id must stay the same."""

    id: str
    text: str


@dataclass(frozen=True)
class MoveNode:
    """Move a node, with its children, under another parent (None: top level)."""

    id: str
    parent: str | None


@dataclass(frozen=True)
class DeleteNode:
    """Delete a node and its children."""

    id: str


@dataclass(frozen=True)
class WriteOverlay:
    """Replace a derived index's `overlay.yaml` with ``text``."""

    text: str


Edit = CreateNode | UpdateNode | MoveNode | DeleteNode | WriteOverlay


class EditRejected(MethodologyError):
    """The edits would leave the methodology invalid; ``report`` says why."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


class EditConflict(StaleBaseError):
    """The edits are valid on their base, but not together with what landed since:
    ``conflicts`` are the files changed since the base, ``report`` the problems of
    the combined tree, ``head`` the commit to start again from."""

    def __init__(self, message: str, *, conflicts: list[str], report: Report, head: str) -> None:
        super().__init__(message, conflicts=conflicts)
        self.report = report
        self.head = head


def apply_edits(
    store: Store,
    methodology: str,
    edits: Sequence[Edit],
    *,
    author: Person,
    message: str,
    base: str | None = None,
    check: bool = True,
    branch: str | None = None,
) -> str:
    """Apply ``edits`` to the methodology at ``base`` (default: head) as one commit.

    The commit lands on ``branch`` (default: the store's branch); a branch that does not
    exist yet starts at ``base`` (a draft). Returns the new commit. Raises `StaleBaseError` when a touched node changed since
    ``base``, `EditRejected` when the result would not validate, `FormatError` for
    malformed node text; in every case nothing is written.
    """
    current, changes, after = _edited(store, methodology, edits, base, check=check)
    if after is not None:
        report = validate(after)
        if not report.ok:
            first = report.errors[0]
            raise EditRejected(f"the edit leaves {methodology} invalid: {first.message}", report)

    def verify(commit: str, base: str, head: str) -> None:
        report = validate(open_methodology(store, Spec(methodology, commit)))
        if report.ok:
            return
        before = store.list_files(base, methodology)
        after = store.list_files(head, methodology)
        changed = sorted(
            f"{methodology}/{path}"
            for path in before.keys() | after.keys()
            if before.get(path) != after.get(path)
        )
        raise EditConflict(
            f"the edit is valid on {base[:10]} but not with the changes since "
            f"({', '.join(changed) or 'the parent methodology'}): {report.errors[0].message}",
            conflicts=changed,
            report=report,
            head=head,
        )

    return store.commit(
        under(methodology, changes),
        message=message,
        author=author,
        base=current.commit,
        branch=branch,
        verify=verify if check else None,
    )


def check_edits(
    store: Store, methodology: str, edits: Sequence[Edit], *, base: str | None = None
) -> tuple[Methodology, Report]:
    """The methodology as ``edits`` would leave it from ``base`` (default: head), and
    the report of the whole tree — every problem, on any node, not only the edited
    ones. Nothing is written. Raises as `apply_edits` does for an edit that cannot be
    made at all (an unknown or inherited node, malformed node text)."""
    _, _, after = _edited(store, methodology, edits, base, check=True)
    assert after is not None  # assembled when checked
    return after, validate(after)


def _edited(
    store: Store, methodology: str, edits: Sequence[Edit], base: str | None, *, check: bool
) -> tuple[Methodology, list[Change], Methodology | None]:
    """The methodology at ``base``, the file changes of ``edits``, and (``check``) the
    tree they leave, assembled in memory."""
    current = open_methodology(store, f"{methodology}@{base}" if base else methodology)
    assert current.commit is not None  # opened from the store, so at a commit
    files = dict(store.list_files(current.commit, methodology))
    contents: dict[str, bytes] = {}
    changes: list[Change] = []
    layout = _Layout(current, files)
    for edit in edits:
        changes += layout.apply(edit, contents)
    if not check:
        return current, changes, None
    blobs = {
        path: f"new:{path}" if path in contents else blob for path, blob in layout.files.items()
    }

    def read(blob: str) -> bytes:
        return contents[blob[4:]] if blob.startswith("new:") else store.read_blob(blob)

    # A derived methodology is checked as its effective tree over its parent.
    parent = _parent(store, methodology, blobs, read, 0)
    after = _assemble(methodology, blobs, read, parent, file_prefix=f"{methodology}/")
    return current, changes, after


class _Layout:
    """The methodology's files, kept up to date as edits are applied in order."""

    def __init__(self, m: Methodology, files: dict[str, str]) -> None:
        self.facts = m.manifest.facts if m.manifest else {}
        self.files = files
        # Only the methodology's own files can be edited; a derived index changes the nodes
        # it inherits through overlay.yaml, not by writing into its parent's folder.
        own = f"{m.name}/"
        self.paths = {
            node.id: node.path[len(own) :]
            for node in m.walk()
            if node.path and node.path.startswith(own) and node.path.endswith(".md")
        }
        self.inherited = {node.id for node in m.walk()} - set(self.paths)

    def folder_of(self, node_id: str | None) -> str:
        if node_id is None:
            return ""
        if node_id in self.inherited:
            return node_id  # local nodes under an inherited one live in a folder named after it
        path = self._path(node_id)
        return posixpath.dirname(path) if path.endswith("/" + NODE_FILE) else path[: -len(".md")]

    def _path(self, node_id: str) -> str:
        if node_id in self.inherited:
            raise MethodologyError(
                f"'{node_id}' is inherited from the parent methodology: override it in {OVERLAY_FILE}"
            )
        if node_id not in self.paths:
            raise MethodologyError(f"no node '{node_id}' in this methodology")
        return self.paths[node_id]

    def apply(self, edit: Edit, contents: dict[str, bytes]) -> list[Change]:
        if isinstance(edit, CreateNode):
            node = _parse(edit.text, self.facts)
            if node.id in self.paths:
                raise MethodologyError(f"node '{node.id}' already exists")
            out = self._make_folder(edit.parent)
            path = posixpath.join(self.folder_of(edit.parent), f"{node.id}.md")
            return out + self._put(path, edit.text, contents, node.id)
        if isinstance(edit, UpdateNode):
            node = _parse(edit.text, self.facts)
            if node.id != edit.id:
                raise MethodologyError(
                    f"an update may not change the id ('{edit.id}' → '{node.id}')"
                )
            return self._put(self._path(edit.id), edit.text, contents, node.id)
        if isinstance(edit, MoveNode):
            return self._move(edit)
        if isinstance(edit, WriteOverlay):
            data = edit.text.encode("utf-8")
            contents[OVERLAY_FILE] = data
            self.files[OVERLAY_FILE] = f"new:{OVERLAY_FILE}"
            return [Put(OVERLAY_FILE, data)]
        path = self._path(edit.id)
        target = posixpath.dirname(path) if path.endswith("/" + NODE_FILE) else path
        self._forget(target)
        return [Delete(target)]

    def _put(self, path: str, text: str, contents: dict[str, bytes], node_id: str) -> list[Change]:
        data = text.encode("utf-8")
        contents[path] = data
        self.files[path] = f"new:{path}"
        self.paths[node_id] = path
        return [Put(path, data)]

    def _make_folder(self, parent: str | None) -> list[Change]:
        """A leaf `<id>.md` becomes `<id>/_node.md` before it gets children."""
        if parent is None or parent in self.inherited:
            return []
        path = self._path(parent)
        if path.endswith("/" + NODE_FILE) or path == NODE_FILE:
            return []
        new = posixpath.join(path[: -len(".md")], NODE_FILE)
        self._rename(path, new)
        return [Move(path, new)]

    def _move(self, edit: MoveNode) -> list[Change]:
        path = self._path(edit.id)
        if edit.parent is not None:
            ancestor = self.folder_of(edit.parent)
            own = self.folder_of(edit.id)
            if ancestor == own or ancestor.startswith(own + "/"):
                raise MethodologyError(f"cannot move '{edit.id}' under itself")
        out = self._make_folder(edit.parent)
        src = posixpath.dirname(path) if path.endswith("/" + NODE_FILE) else path
        dst = posixpath.join(self.folder_of(edit.parent), posixpath.basename(src))
        if src == dst:
            return out
        self._rename(src, dst)
        return [*out, Move(src, dst)]

    def _rename(self, src: str, dst: str) -> None:
        for path in [p for p in self.files if p == src or p.startswith(src + "/")]:
            self.files[dst + path[len(src) :]] = self.files.pop(path)
        for node_id, path in list(self.paths.items()):
            if path == src or path.startswith(src + "/"):
                self.paths[node_id] = dst + path[len(src) :]

    def _forget(self, target: str) -> None:
        for path in [p for p in self.files if p == target or p.startswith(target + "/")]:
            del self.files[path]
        for node_id, path in list(self.paths.items()):
            if path == target or path.startswith(target + "/"):
                del self.paths[node_id]


def _parse(text: str, facts: Mapping[str, InputSpec]) -> Node:
    node, problems = parse_node(text, facts=facts)
    errors = [p for p in problems if p.severity == "error"]
    if node is None or errors:
        first = errors[0] if errors else None
        raise FormatError(
            first.message if first else "unusable node text",
            line=first.line if first else None,
            column=first.column if first else None,
            path=first.path if first else None,
            suggestion=first.suggestion if first else None,
        )
    return node
