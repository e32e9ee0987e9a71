"""Fixtures for the git store tests: real bare repositories in tmp_path."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from methodology.store import Person, Store

ALICE = Person("Nguyễn Thị Lan", "lan@moha.gov.vn")
BOB = Person("Trần Văn Bình", "binh@moha.gov.vn")


def at(year: int, month: int = 1, day: int = 1, hour: int = 12) -> dt.datetime:
    """An aware datetime in Vietnam's offset (+07:00)."""
    return dt.datetime(year, month, day, hour, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def git(store: Store, *args: str) -> str:
    """Run plain git against the store, independently of the code under test."""
    return subprocess.run(
        ["git", "--git-dir", store.path, *args], check=True, capture_output=True, text=True
    ).stdout


def ls_tree(store: Store, ref: str) -> dict[str, bytes]:
    """{path: content} of every file at ``ref``, read with plain git."""
    out = git(store, "ls-tree", "-r", "--name-only", "-z", ref)
    return {
        path: subprocess.run(
            ["git", "--git-dir", store.path, "cat-file", "blob", f"{ref}:{path}"],
            check=True,
            capture_output=True,
        ).stdout
        for path in out.split("\0")
        if path
    }


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store.init(tmp_path / "store.git")
    yield s
    s.close()
