"""Node history across moves, reshapes and `replaces` lineage; guidance blame."""

from __future__ import annotations

import pytest

from methodology.errors import StoreError
from methodology.history import guidance_blame, node_file, node_history
from methodology.store import Delete, Move, Put, Store

from .conftest import ALICE, BOB, at

M = "par-provincial"


def node(body: str, **meta: str) -> bytes:
    front = "".join(f"{k}: {v}\n" for k, v in meta.items())
    return f"---\n{front}---\n{body}".encode()


def test_node_file():
    assert node_file(f"{M}/f1/_node.md") == ("f1", M)
    assert node_file(f"{M}/f1/c1.md") == ("c1", f"{M}/f1")
    assert node_file(f"{M}/methodology.yaml") is None


def test_history_across_move_and_reshape(store: Store):
    c1 = store.commit(
        [
            Put(f"{M}/methodology.yaml", b"name: PAR\n"),
            Put(f"{M}/f1/_node.md", node("field\n")),
            Put(f"{M}/f2/_node.md", node("field 2\n")),
            Put(f"{M}/f1/c1.md", node("criterion\n")),
        ],
        message="seed",
        author=ALICE,
        date=at(2019),
    )
    c2 = store.commit(
        [Put(f"{M}/f1/c1.md", node("criterion, revised\n"))], message="edit", author=BOB
    )
    c3 = store.commit([Move(f"{M}/f1/c1.md", f"{M}/f2/c1.md")], message="move", author=ALICE)
    # Same parent, file -> folder with a child: a change of shape, not a move.
    c4 = store.commit(
        [
            Move(f"{M}/f2/c1.md", f"{M}/f2/c1/_node.md"),
            Put(f"{M}/f2/c1/s1.md", node("sub\n")),
        ],
        message="reshape",
        author=BOB,
    )
    c5 = store.commit([Put(f"{M}/f2/c1/s1.md", node("sub 2\n"))], message="child", author=BOB)
    c6 = store.commit([Delete(f"{M}/f2/c1")], message="remove", author=ALICE)

    events = node_history(store, M, "c1")
    assert [(e.commit.sha, e.kind) for e in events] == [
        (c6, "removed"),
        (c4, "modified"),
        (c3, "moved"),
        (c2, "modified"),
        (c1, "added"),
    ]
    assert c5 not in [e.commit.sha for e in events]  # a child's change is not the node's
    removed, reshaped, moved, modified, added = events
    assert (moved.old_path, moved.path) == (f"{M}/f1/c1.md", f"{M}/f2/c1.md")
    assert moved.old_blob == moved.new_blob
    assert (reshaped.old_path, reshaped.path) == (f"{M}/f2/c1.md", f"{M}/f2/c1/_node.md")
    assert removed.path is None and removed.old_path == f"{M}/f2/c1/_node.md"
    assert added.old_blob is None and store.read_blob(added.new_blob) == node("criterion\n")
    assert store.read_blob(modified.old_blob) == node("criterion\n")
    assert all(e.node_id == "c1" for e in events)
    assert modified.commit.author_name == BOB.name
    assert added.commit.date == at(2019)
    # As of an older ref, later events are not there.
    assert [e.kind for e in node_history(store, M, "c1", c2)] == ["modified", "added"]


def test_history_follows_replaces_lineage(store: Store):
    a1 = store.commit(
        [Put(f"{M}/methodology.yaml", b"x"), Put(f"{M}/f1/old-a.md", node("a\n"))],
        message="old a",
        author=ALICE,
    )
    b1 = store.commit([Put(f"{M}/f1/old-b.md", node("b\n"))], message="old b", author=ALICE)
    a2 = store.commit([Put(f"{M}/f1/old-a.md", node("a2\n"))], message="edit a", author=BOB)
    merge = store.commit(
        [
            Delete(f"{M}/f1/old-a.md"),
            Delete(f"{M}/f1/old-b.md"),
            Put(f"{M}/f1/new.md", node("merged\n", replaces="[old-a, old-b]")),
        ],
        message="merge a and b",
        author=BOB,
    )
    later = store.commit([Put(f"{M}/f1/new.md", node("merged 2\n"))], message="e", author=ALICE)
    # A re-created old-a after the merge belongs to a different lineage.
    store.commit([Put(f"{M}/f1/old-a.md", node("again\n"))], message="again", author=ALICE)

    events = node_history(store, M, "new")
    assert [(e.commit.sha, e.node_id, e.kind) for e in events] == [
        (later, "new", "modified"),
        (merge, "new", "added"),
        (a2, "old-a", "modified"),
        (b1, "old-b", "added"),
        (a1, "old-a", "added"),
    ]


def test_history_replaces_cycle_terminates(store: Store):
    store.commit([Put(f"{M}/x.md", node("x\n", replaces="y"))], message="x", author=ALICE)
    store.commit([Put(f"{M}/y.md", node("y\n", replaces="x"))], message="y", author=ALICE)
    store.commit([Put(f"{M}/x2.md", node("x\n", replaces="[x, x2]"))], message="z", author=ALICE)
    events = node_history(store, M, "y")
    assert [(e.node_id, e.kind) for e in events] == [("y", "added"), ("x", "added")]
    assert [e.node_id for e in node_history(store, M, "x2")] == ["x2", "x"]


def test_history_of_unknown_node_is_empty(store: Store):
    store.commit([Put(f"{M}/x.md", b"x")], message="x", author=ALICE)
    assert node_history(store, M, "nope") == []


def test_guidance_blame_restricted_to_body(store: Store):
    store.commit(
        [Put(f"{M}/f1/c1.md", node("Hướng dẫn\nline two\nline three\n", title="C1"))],
        message="seed",
        author=ALICE,
        date=at(2019),
    )
    edit = store.commit(
        [Put(f"{M}/f1/c1.md", node("Hướng dẫn\nline 2 (sửa)\nline three\n", title="C1 mới"))],
        message="edit",
        author=BOB,
        date=at(2022),
    )
    store.commit([Move(f"{M}/f1/c1.md", f"{M}/f2/c1.md")], message="move", author=BOB)
    lines = guidance_blame(store, M, "c1")
    assert [(b.line, b.text, b.author_name) for b in lines] == [
        (1, "Hướng dẫn", ALICE.name),
        (2, "line 2 (sửa)", BOB.name),
        (3, "line three", ALICE.name),
    ]
    assert lines[1].commit == edit and lines[0].authored_date == at(2019)
    with pytest.raises(StoreError, match="nope"):
        guidance_blame(store, M, "nope")
