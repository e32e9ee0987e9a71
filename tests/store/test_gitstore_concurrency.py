"""Concurrent writers: stale bases, threads and processes sharing one store."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from methodology.errors import StaleBaseError
from methodology.store import Delete, Move, Put, Store

from .conftest import ALICE, BOB, git, ls_tree


def seed(store: Store) -> str:
    return store.commit(
        [Put("m/a.md", b"a0"), Put("m/b.md", b"b0"), Put("m/f/_node.md", b"f0")],
        message="seed",
        author=ALICE,
    )


def test_stale_base_with_conflicting_path_raises_and_writes_nothing(store):
    base = seed(store)
    head = store.commit([Put("m/a.md", b"a1")], message="alice", author=ALICE, base=base)
    with pytest.raises(StaleBaseError) as info:
        store.commit(
            [Put("m/a.md", b"a2"), Put("m/b.md", b"b2")], message="bob", author=BOB, base=base
        )
    assert info.value.conflicts == ["m/a.md"]
    assert "m/a.md" in str(info.value)
    assert store.head() == head


def test_stale_base_conflict_through_a_moved_folder(store):
    base = seed(store)
    store.commit([Put("m/f/_node.md", b"f1")], message="alice", author=ALICE)
    with pytest.raises(StaleBaseError) as info:
        store.commit([Move("m/f", "m/g")], message="bob", author=BOB, base=base)
    assert info.value.conflicts == ["m/f"]
    with pytest.raises(StaleBaseError) as info:
        store.commit([Delete("m/f/_node.md")], message="bob", author=BOB, base=base[:10])
    assert info.value.conflicts == ["m/f/_node.md"]


def test_stale_base_without_conflict_lands_on_top_of_head(store):
    base = seed(store)
    alice = store.commit([Put("m/a.md", b"a1")], message="alice", author=ALICE, base=base)
    bob = store.commit([Put("m/b.md", b"b1")], message="bob", author=BOB, base=base)
    assert store.commit_info(bob).parents == (alice,)
    files = ls_tree(store, bob)
    assert files["m/a.md"] == b"a1" and files["m/b.md"] == b"b1"


def _write_many(path: str, who: str, count: int) -> None:
    store = Store.open(path)
    try:
        for i in range(count):
            head = store.head()
            store.commit(
                [Put(f"m/{who}.md", f"{who} {i}\n".encode())],
                message=f"{who} {i}",
                author=ALICE,
                base=head,  # stale bases are fine: each writer touches its own file
            )
    finally:
        store.close()


def _assert_linear(store: Store, expected: int) -> None:
    assert git(store, "rev-list", "--count", "main").strip() == str(expected)
    assert git(store, "rev-list", "--min-parents=2", "main").strip() == ""
    git(store, "fsck", "--strict")


def test_two_threads_write_concurrently(store):
    seed(store)
    threads = [
        threading.Thread(target=_write_many, args=(store.path, who, 20)) for who in ("t1", "t2")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _assert_linear(store, 41)
    files = ls_tree(store, "main")
    assert files["m/t1.md"] == b"t1 19\n" and files["m/t2.md"] == b"t2 19\n"


def test_threads_sharing_one_store_object(store):
    seed(store)
    errors: list[BaseException] = []

    def work(who: str) -> None:
        try:
            for i in range(20):
                store.commit([Put(f"m/{who}.md", str(i).encode())], message=who, author=BOB)
                store.list_files(store.head(), "m")
        except BaseException as exc:  # surfaced below: threads swallow exceptions
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in ("s1", "s2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    _assert_linear(store, 41)


def test_two_processes_write_concurrently(store):
    seed(store)
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(store.path, who, 20)) for who in ("p1", "p2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    _assert_linear(store, 41)
    files = ls_tree(store, "main")
    assert files["m/p1.md"] == b"p1 19\n" and files["m/p2.md"] == b"p2 19\n"
