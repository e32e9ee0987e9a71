"""Stores that share a git remote, as several servers do (`Store(remote=...)`).

Two copies of one bare remote, in one process: writes are pushed with a compare-and-swap
of the ref, so twenty parallel edits from one base, spread over both copies, give exactly
one commit; releases likewise; a copy sees the other's commit within its staleness bound.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
import time
from pathlib import Path

import pytest

from methodology.errors import StaleBaseError, StoreError
from methodology.store import Person, Put, Store
from tests.store.conftest import ALICE, BOB

EDITORS = 20
STALENESS = 0.5


def remote_git(remote: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(remote), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare remote holding one commit, published by a first copy."""
    path = tmp_path / "remote.git"
    remote_git(path.parent, "init", "-q", "--bare", "-b", "main", str(path))
    first = Store.init(tmp_path / "first")
    first.commit([Put("m/a.md", b"a"), Put("m/b.md", b"b")], message="đầu tiên", author=ALICE)
    first.remote = str(path)
    assert first.publish()
    first.close()
    return path


def copy_of(remote: Path, folder: Path, staleness: float = STALENESS) -> Store:
    """A server's copy: an empty repository filled from the remote."""
    Store.init(folder).close()
    store = Store.open(folder, remote=str(remote), staleness=staleness)
    store.sync(force=True)
    return store


def test_twenty_parallel_edits_over_two_copies_give_one_commit(remote: Path, tmp_path: Path):
    a, b = copy_of(remote, tmp_path / "a"), copy_of(remote, tmp_path / "b")
    base = a.head()
    assert base == b.head() == remote_git(remote, "rev-parse", "main")
    barrier = threading.Barrier(EDITORS, timeout=30)
    outcomes: list[object] = [None] * EDITORS

    def edit(i: int) -> None:
        store = (a, b)[i % 2]
        barrier.wait()
        try:
            outcomes[i] = store.commit(
                [Put("m/a.md", f"bản {i}".encode())], message=f"sửa {i}", author=BOB, base=base
            )
        except Exception as exc:  # kept, and asserted on below
            outcomes[i] = exc

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(EDITORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    won = [o for o in outcomes if isinstance(o, str)]
    assert len(won) == 1, outcomes
    assert sum(isinstance(o, StaleBaseError) for o in outcomes) == EDITORS - 1, outcomes
    assert remote_git(remote, "rev-list", "--count", "main") == "2"
    assert remote_git(remote, "rev-parse", "main") == won[0]
    # A valid repository; a push that lost on the remote's side leaves its commit dangling.
    fsck = remote_git(remote, "fsck", "--no-progress").splitlines()
    assert all(line.startswith("dangling ") for line in fsck), fsck
    # The copy that wrote sees it at once; both do after a forced look.
    b.sync(force=True)
    assert a.head() == b.head() == won[0]


def test_an_edit_of_other_files_lands_on_the_other_copys_commit(remote: Path, tmp_path: Path):
    a, b = copy_of(remote, tmp_path / "a"), copy_of(remote, tmp_path / "b")
    base = b.head()
    first = a.commit([Put("m/a.md", b"A")], message="a", author=ALICE, base=base)
    # b has not looked since: its write looks, and lands on a's commit, as it would locally.
    second = b.commit([Put("m/b.md", b"B")], message="b", author=BOB, base=base)
    assert b.commit_info(second).parents == (first,)
    assert remote_git(remote, "rev-parse", "main") == second
    with pytest.raises(StaleBaseError):
        a.commit([Put("m/a.md", b"again")], message="a2", author=ALICE, base=base)


def test_a_commit_is_seen_by_the_other_copy_within_the_staleness_bound(
    remote: Path, tmp_path: Path
):
    a, b = copy_of(remote, tmp_path / "a"), copy_of(remote, tmp_path / "b")
    sha = a.commit([Put("m/c.md", b"c")], message="c", author=ALICE)
    written = time.monotonic()
    seen = b.head()
    while seen != sha and time.monotonic() - written < STALENESS + 5:
        time.sleep(0.02)
        seen = b.head()
    assert seen == sha
    # It may be stale (it read within its window), but never past the bound (and the
    # time git takes to answer, well under a second here).
    assert time.monotonic() - written < STALENESS + 1.0
    # A store that asks on every read (staleness 0) sees it on the very next read.
    eager = copy_of(remote, tmp_path / "eager", staleness=0)
    newer = a.commit([Put("m/d.md", b"d")], message="d", author=ALICE)
    assert eager.head() == newer
    assert eager.read_file(newer, "m/d.md") == b"d"


def test_one_release_of_a_name_over_two_copies(remote: Path, tmp_path: Path):
    a, b = copy_of(remote, tmp_path / "a"), copy_of(remote, tmp_path / "b")
    commit = a.head()
    assert commit is not None
    barrier = threading.Barrier(6, timeout=30)
    outcomes: list[object] = [None] * 6

    def release(i: int) -> None:
        store = (a, b)[i % 2]
        barrier.wait()
        try:
            outcomes[i] = store.tag_release(
                "m",
                "2024",
                commit,
                decision=f"QĐ {i}" if i % 3 else "QĐ 1",  # same content twice: still one
                date=dt.date(2024, 1, 1),
                tagger=Person(f"người {i}", "x@moha.gov.vn"),
            )
        except StoreError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=release, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    made = [o for o in outcomes if not isinstance(o, StoreError)]
    assert len(made) == 1, outcomes
    assert all("already exists" in str(o) for o in outcomes if isinstance(o, StoreError))
    assert remote_git(remote, "tag") == "m/2024"
    a.sync(force=True)
    b.sync(force=True)
    assert [r.tag for r in a.releases("m")] == [r.tag for r in b.releases("m")] == ["m/2024"]


def test_publish_fills_an_empty_remote_once(tmp_path: Path):
    remote = tmp_path / "empty.git"
    remote_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    mine = Store.init(tmp_path / "mine")
    mine.commit([Put("m/a.md", b"mine")], message="mine", author=ALICE)
    theirs = Store.init(tmp_path / "theirs")
    theirs.commit([Put("m/a.md", b"theirs")], message="theirs", author=BOB)
    mine.remote = theirs.remote = str(remote)
    assert mine.publish()
    assert not theirs.publish()  # the remote has a history: nothing pushed
    assert remote_git(remote, "rev-parse", "main") == mine.head()
    theirs.sync(force=True)  # the remote's history replaces the local one
    assert theirs.head() == mine.head()
    assert theirs.read_file(theirs.resolve(), "m/a.md") == b"mine"


def test_an_unreachable_remote_refuses_the_write(remote: Path, tmp_path: Path):
    a = copy_of(remote, tmp_path / "a")
    head = a.head()
    a.remote = str(tmp_path / "gone.git")
    with pytest.raises(StoreError, match=r"gone\.git"):
        a.commit([Put("m/a.md", b"x")], message="x", author=ALICE)
    # Reads go on from the copy as it is.
    assert a.head() == head == remote_git(remote, "rev-parse", "main")


def test_a_remote_that_refuses_the_push_is_an_error_not_a_lost_race(remote: Path, tmp_path: Path):
    # A protected branch or a hook refuses every push: that is the remote's answer to
    # report, not a compare-and-swap another server won (retried, then a 409).
    a = copy_of(remote, tmp_path / "a")
    head = a.head()
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'nhánh được bảo vệ' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(StoreError, match="remote rejected"):
        a.commit([Put("m/a.md", b"x")], message="x", author=ALICE)
    assert remote_git(remote, "rev-parse", "main") == head


def test_within_its_window_a_copy_reads_what_it_has(remote: Path, tmp_path: Path):
    # The bound is a window, not a fetch per read: inside it the copy does not ask.
    a, b = copy_of(remote, tmp_path / "a"), copy_of(remote, tmp_path / "b", staleness=60)
    before = b.head()
    sha = a.commit([Put("m/c.md", b"c")], message="c", author=ALICE)
    assert b.head() == before != sha
    b.sync(force=True)
    assert b.head() == sha
