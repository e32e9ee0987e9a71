"""What the store leaves on disk: loose objects are packed by its own housekeeping (not
git's default of 6,700 loose objects), every write is counted by outcome, and the
history reads the same after packing as before."""

from __future__ import annotations

import pytest

from methodology.errors import StaleBaseError, StoreError
from methodology.store import HOUSEKEEPING_EVERY, PACK_LOOSE_OBJECTS, Put, Store

from .conftest import ALICE, git, ls_tree


def loose(store: Store) -> int:
    counts = dict(line.split(": ") for line in git(store, "count-objects", "-v").splitlines())
    return int(counts["count"])


def test_loose_objects_are_packed_every_so_many_commits_and_history_is_kept(tmp_path):
    store = Store.init(tmp_path / "s")
    heads = []
    # Each commit writes a blob, three trees and the commit: five loose objects.
    for n in range(HOUSEKEEPING_EVERY * 2):
        heads.append(
            store.commit(
                [Put(f"m/tieu-chi-{n}/_node.md", f"Tiêu chí {n}\n".encode())],
                message=f"Thêm tiêu chí {n}",
                author=ALICE,
            )
        )
    assert 5 * HOUSEKEEPING_EVERY > PACK_LOOSE_OBJECTS  # packed at each housekeeping
    assert loose(store) == 0
    assert "in-pack: 0" not in git(store, "count-objects", "-v")
    # Everything still reads, through the store and through plain git.
    assert git(store, "rev-list", "--count", "main").strip() == str(len(heads))
    assert ls_tree(store, heads[10])["m/tieu-chi-10/_node.md"] == "Tiêu chí 10\n".encode()
    assert store.read_file(heads[-1], "m/tieu-chi-3/_node.md") == "Tiêu chí 3\n".encode()
    git(store, "fsck", "--strict", "--no-dangling")


def test_writes_are_counted_by_outcome(tmp_path):
    store = Store.init(tmp_path / "s")
    base = store.commit([Put("a.md", b"1\n")], message="Một", author=ALICE)
    store.commit([Put("a.md", b"2\n")], message="Hai", author=ALICE, base=base)
    with pytest.raises(StaleBaseError):
        store.commit([Put("a.md", b"3\n")], message="Ba", author=ALICE, base=base)
    with pytest.raises(StoreError, match="nothing to commit"):
        store.commit([Put("a.md", b"2\n")], message="Không đổi", author=ALICE)
    assert store.writes == {"committed": 2, "conflict": 1, "refused": 1}
