"""A `refs/heads/<branch>.lock` left by a writer that died: detected, reported, cleared.

Before, every later write failed with "moved by another writer; retry" forever. Each
test leaves a real lock file in a real bare repository, as a killed `git update-ref`
does, and writes through the store.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from methodology.errors import StoreError
from methodology.store import STALE_REF_LOCK_SECONDS, Put, Store

from .conftest import ALICE, git

OLD = STALE_REF_LOCK_SECONDS + 60


def _leave_lock(store: Store, age: float) -> Path:
    head = git(store, "rev-parse", store.branch).strip()
    lock = Path(store.path) / "refs" / "heads" / f"{store.branch}.lock"
    lock.write_text(head + "\n")
    then = time.time() - age
    os.utime(lock, (then, then))
    return lock


def _seed(store: Store) -> str:
    return store.commit([Put("m/a.md", b"a0")], message="seed", author=ALICE)


def test_a_stale_lock_is_cleared_and_reported(store: Store, caplog):
    seed = _seed(store)
    lock = _leave_lock(store, OLD)
    with caplog.at_level(logging.WARNING, logger="parindex.store"):
        sha = store.commit([Put("m/a.md", b"a1")], message="after the crash", author=ALICE)
    assert not lock.exists()
    assert git(store, "rev-parse", store.branch).strip() == sha
    assert git(store, "rev-parse", f"{sha}^").strip() == seed
    (record,) = [r for r in caplog.records if "stale lock" in r.getMessage()]
    assert str(lock) in record.getMessage() and "held by no process" in record.getMessage()
    assert subprocess.run(["git", "--git-dir", store.path, "fsck", "--strict"]).returncode == 0


def test_a_young_lock_is_left_alone_and_named(store: Store):
    seed = _seed(store)
    lock = _leave_lock(store, 1)
    with pytest.raises(StoreError) as info:
        store.commit([Put("m/a.md", b"a1")], message="too soon", author=ALICE)
    message = str(info.value)
    assert f"{store.branch}.lock" in message and "held by no process" in message
    assert "retry in a moment" in message
    assert lock.exists() and git(store, "rev-parse", store.branch).strip() == seed


def test_an_old_lock_a_live_process_holds_is_not_taken(store: Store, tmp_path: Path):
    seed = _seed(store)
    lock = _leave_lock(store, OLD)
    holder = subprocess.Popen(
        [sys.executable, "-c", f"f = open({str(lock)!r}); print('open', flush=True); input()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        os.utime(lock, (time.time() - OLD, time.time() - OLD))
        with pytest.raises(StoreError, match="held open by a running process"):
            store.commit([Put("m/a.md", b"a1")], message="while held", author=ALICE)
        assert lock.exists() and git(store, "rev-parse", store.branch).strip() == seed
    finally:
        holder.communicate("\n", timeout=10)
    sha = store.commit([Put("m/a.md", b"a1")], message="once released", author=ALICE)
    assert not lock.exists() and git(store, "rev-parse", store.branch).strip() == sha
