"""Store creation and writes: trees built from git objects, one commit per change list."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from methodology.errors import StoreError, StoreNotFound
from methodology.store import Delete, Move, Put, Store

from .conftest import ALICE, BOB, at, git, ls_tree

M = "par-provincial"


def seed(store: Store) -> str:
    return store.commit(
        [
            Put(f"{M}/methodology.yaml", b"name: PAR\n"),
            Put(f"{M}/f1/_node.md", b"---\ntitle: F1\n---\nfield one\n"),
            Put(f"{M}/f1/c1/_node.md", b"criterion\n"),
            Put(f"{M}/f1/c1/s1.md", b"sub one\n"),
            Put(f"{M}/f1/c1/s2.md", b"sub two\n"),
            Put(f"{M}/f2/_node.md", b"field two\n"),
        ],
        message="Seed",
        author=ALICE,
        date=at(2019),
    )


def test_init_creates_bare_store_with_fallback_identity(tmp_path):
    store = Store.init(tmp_path / "s")
    assert store.repo.bare
    assert store.branch == "main"
    assert store.head() is None
    assert git(store, "config", "user.name").strip() == "parindex"
    assert git(store, "config", "user.email").strip() == "parindex@localhost"
    assert git(store, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert Store.open(tmp_path / "s").branch == "main"
    assert Store(tmp_path / "s").path == str(tmp_path / "s")


def test_open_missing_store_raises_store_not_found(tmp_path):
    with pytest.raises(StoreNotFound, match="no parindex store"):
        Store.open(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(StoreNotFound):
        Store(tmp_path / "plain")


def test_first_commit_on_empty_store(store):
    sha = seed(store)
    assert store.head() == sha
    assert store.commit_info(sha).parents == ()
    assert git(store, "rev-list", "--count", "main").strip() == "1"
    assert ls_tree(store, sha) == {
        f"{M}/methodology.yaml": b"name: PAR\n",
        f"{M}/f1/_node.md": b"---\ntitle: F1\n---\nfield one\n",
        f"{M}/f1/c1/_node.md": b"criterion\n",
        f"{M}/f1/c1/s1.md": b"sub one\n",
        f"{M}/f1/c1/s2.md": b"sub two\n",
        f"{M}/f2/_node.md": b"field two\n",
    }
    git(store, "fsck", "--strict")


def test_put_delete_move_build_exactly_the_expected_tree(store):
    first = seed(store)
    sha = store.commit(
        [
            Put(f"{M}/f2/_node.md", b"field two, revised\n"),
            Move(f"{M}/f1/c1", f"{M}/f2/c1"),  # a whole folder to another parent
            Delete(f"{M}/f2/c1/s2.md"),  # a change may build on an earlier one
            Move(f"{M}/f1/_node.md", f"{M}/f1.md"),
            Put(f"{M}/f3.md", "Tiêu chí mới\n".encode()),
        ],
        message="Restructure",
        author=BOB,
        date=at(2020),
    )
    assert store.commit_info(sha).parents == (first,)
    # f1/ became empty and must disappear: git stores no empty trees.
    assert git(store, "ls-tree", "-r", "--name-only", sha).split() == [
        f"{M}/f1.md",
        f"{M}/f2/_node.md",
        f"{M}/f2/c1/_node.md",
        f"{M}/f2/c1/s1.md",
        f"{M}/f3.md",
        f"{M}/methodology.yaml",
    ]
    files = ls_tree(store, sha)
    assert files[f"{M}/f2/_node.md"] == b"field two, revised\n"
    assert files[f"{M}/f3.md"] == "Tiêu chí mới\n".encode()
    assert files[f"{M}/f2/c1/s1.md"] == b"sub one\n"

    whole = store.commit([Delete(M)], message="Drop", author=BOB)
    assert git(store, "ls-tree", "-r", whole).strip() == ""
    git(store, "fsck", "--strict")


def test_commit_author_committer_and_date_as_given(store):
    seed(store)
    when = dt.datetime(2016, 3, 4, 5, 6, 7, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    sha = store.commit([Put("x.md", b"x")], message="Ghi chú\n\nchi tiết", author=BOB, date=when)
    out = git(store, "log", "-1", "--format=%an|%ae|%aI|%cn|%ce|%cI|%B", sha)
    assert out.strip() == (
        "Trần Văn Bình|binh@moha.gov.vn|2016-03-04T05:06:07+07:00|"
        "Trần Văn Bình|binh@moha.gov.vn|2016-03-04T05:06:07+07:00|Ghi chú\n\nchi tiết"
    )
    info = store.commit_info(sha)
    assert info.authored_date == when and info.committed_date == when
    assert info.author_name == BOB.name and info.message == "Ghi chú\n\nchi tiết"


def test_default_date_is_now(store):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    sha = store.commit([Put("a.md", b"a")], message="a", author=ALICE)
    assert before <= store.commit_info(sha).authored_date <= dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    "change",
    [
        Delete(f"{M}/nope.md"),
        Delete(f"{M}/f1/c1/s1.md/deeper"),
        Move(f"{M}/nope", f"{M}/elsewhere"),
        Move(f"{M}/f1/c1/s1.md", f"{M}/f2/_node.md"),  # dst exists
        Move(f"{M}/f1", f"{M}/f1/inside"),
        Put(f"{M}/f1", b"a file over a folder"),
        Put(f"{M}/f2/_node.md/x.md", b"below a file"),
        Put("/abs.md", b""),
        Put("a/../b.md", b""),
        Put("a//b.md", b""),
        Put("", b""),
        Put("a/.git/x", b""),
    ],
)
def test_invalid_change_moves_nothing(store, change):
    head = seed(store)
    # A valid change before the invalid one must not land either.
    with pytest.raises(StoreError):
        store.commit([Put(f"{M}/f2/_node.md", b"changed"), change], message="bad", author=BOB)
    assert store.head() == head
    assert git(store, "rev-parse", "main").strip() == head
    assert git(store, "rev-list", "--count", "main").strip() == "1"


def test_missing_path_is_named_in_the_error(store):
    seed(store)
    with pytest.raises(StoreError, match=r"nope\.md"):
        store.commit([Delete(f"{M}/nope.md")], message="bad", author=BOB)


def test_nothing_to_commit(store):
    head = seed(store)
    with pytest.raises(StoreError, match="nothing to commit"):
        store.commit([Put(f"{M}/f2/_node.md", b"field two\n")], message="same", author=BOB)
    with pytest.raises(StoreError, match="nothing to commit"):
        store.commit([], message="empty", author=BOB)
    assert store.head() == head


def test_identical_put_alongside_a_real_change_is_fine(store):
    seed(store)
    sha = store.commit(
        [Put(f"{M}/f2/_node.md", b"field two\n"), Put(f"{M}/f4.md", b"new")],
        message="ok",
        author=BOB,
    )
    assert store.head() == sha


def test_paths_are_nfc_normalised(store):
    decomposed = unicodedata.normalize("NFD", "tiêu-chí.md")
    sha = store.commit([Put(decomposed, b"x")], message="nfd", author=ALICE)
    assert git(store, "ls-tree", "-r", "--name-only", "-z", sha).split("\0")[0] == (
        unicodedata.normalize("NFC", "tiêu-chí.md")
    )


def test_commit_on_another_branch(store):
    main = seed(store)
    sha = store.commit([Put("draft.md", b"d")], message="draft", author=ALICE, branch="draft")
    assert store.head() == main
    assert store.head("draft") == sha
    assert store.commit_info(sha).parents == ()


def test_new_branch_starts_at_base(store):
    main = seed(store)
    sha = store.commit(
        [Put("draft.md", b"d")], message="draft", author=ALICE, branch="draft2", base=main
    )
    assert store.commit_info(sha).parents == (main,)
    assert set(ls_tree(store, sha)) == set(ls_tree(store, main)) | {"draft.md"}
