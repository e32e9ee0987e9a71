"""Reading from git objects: resolve, list_files, log, blame, releases."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from methodology.errors import RefNotFound, StoreError
from methodology.releases import Release
from methodology.store import Delete, FileChange, Move, Put, Store

from .conftest import ALICE, BOB, at, git

M = "par-provincial"


@pytest.fixture
def history(store: Store) -> dict[str, str]:
    """Three versions: 2019 (seed), 2022 (edit + move), 2023 (delete)."""
    shas = {}
    shas["2019"] = store.commit(
        [
            Put(f"{M}/methodology.yaml", b"name: PAR\n"),
            Put(f"{M}/f1/_node.md", b"one\ntwo\nthree\n"),
            Put(f"{M}/f1/c1.md", b"c1\n"),
            Put(f"{M}/f2/_node.md", b"f2\n"),
            Put("notes/readme.md", b"not a methodology\n"),
        ],
        message="2019",
        author=ALICE,
        date=at(2019, 3, 1),
    )
    shas["2022"] = store.commit(
        [Put(f"{M}/f1/_node.md", b"one\nTWO\nthree\n"), Move(f"{M}/f1/c1.md", f"{M}/f2/c1.md")],
        message="2022",
        author=BOB,
        date=at(2022, 6, 1),
    )
    shas["2023"] = store.commit(
        [Delete(f"{M}/f2/c1.md"), Put("other/x.md", b"x")],
        message="2023",
        author=ALICE,
        date=at(2023, 1, 1),
    )
    return shas


def test_resolve_branch_head_and_default(store, history):
    assert store.resolve(None) == history["2023"]
    assert store.resolve("main") == history["2023"]
    assert store.resolve("refs/heads/main") == history["2023"]


def test_resolve_abbreviated_and_full_sha(store, history):
    sha = history["2019"]
    assert store.resolve(sha) == sha
    assert store.resolve(sha[:8]) == sha


def test_resolve_tag_and_tag_shorthand(store, history):
    store.tag_release(M, "2022", history["2022"], decision="1/QĐ", date=dt.date(2022, 6, 2))
    assert store.resolve(f"{M}/2022") == history["2022"]  # annotated tag peeled
    assert store.resolve("2022", M) == history["2022"]
    git(store, "tag", "light", history["2019"])
    assert store.resolve("light") == history["2019"]


def test_resolve_date_as_of(store, history):
    assert store.resolve("2020-06-01") == history["2019"]
    assert store.resolve("2022-06-01") == history["2022"]  # same day counts
    assert store.resolve("2022-12-31T23:00:00+07:00") == history["2022"]
    assert store.resolve("2023-01-01T12:00:00+07:00") == history["2023"]
    with pytest.raises(RefNotFound, match="as of"):
        store.resolve("2000-01-01")


def test_resolve_unknown_ref_suggests_nearest_names(store, history):
    store.tag_release(M, "2022", history["2022"], decision="1/QĐ", date=dt.date(2022, 6, 2))
    with pytest.raises(RefNotFound) as info:
        store.resolve("mian")
    assert info.value.candidates[0] == "main"
    assert "main" in info.value.suggestion and "mian" in str(info.value)
    with pytest.raises(RefNotFound) as info:
        store.resolve(f"{M}/2021")
    assert f"{M}/2022" in info.value.candidates
    with pytest.raises(RefNotFound):
        store.resolve("../../config")


def test_resolve_on_empty_store(store):
    with pytest.raises(RefNotFound, match="no commits"):
        store.resolve()
    assert store.log(M) == []


def test_list_files_matches_git_ls_tree(store, history):
    for sha in history.values():
        out = git(store, "ls-tree", "-r", "-z", sha, f"{M}/")
        expected = {}
        for line in filter(None, out.split("\0")):
            meta, path = line.split("\t", 1)
            expected[path.removeprefix(f"{M}/")] = meta.split()[2]
        assert store.list_files(sha, M) == expected
        assert store.list_files(sha, f"{M}/") == expected  # folder spelled with a slash
        assert store.tree_id(sha, M) == git(store, "rev-parse", f"{sha}:{M}").strip()
    assert store.list_files(history["2019"], "nowhere") == {}
    assert store.tree_id(history["2019"], "nowhere") is None


def test_list_files_returns_a_copy(store, history):
    listing = store.list_files(history["2019"], M)
    listing.clear()
    assert store.list_files(history["2019"], M)


def test_read_blob_and_methodologies(store, history):
    files = store.list_files(history["2022"], M)
    assert store.read_blob(files["f1/_node.md"]) == b"one\nTWO\nthree\n"
    assert store.read_file(history["2022"], f"{M}/f2/c1.md") == b"c1\n"
    with pytest.raises(StoreError):
        store.read_file(history["2022"], f"{M}/f1/c1.md")
    assert store.methodologies(history["2023"]) == [M]


def test_commit_info(store, history):
    info = store.commit_info(history["2022"])
    assert info.author_name == BOB.name and info.author_email == BOB.email
    assert info.authored_date == at(2022, 6, 1) and info.committed_date == at(2022, 6, 1)
    assert info.parents == (history["2019"],) and info.message == "2022"


def _blob(store: Store, ref: str, path: str) -> str:
    return git(store, "rev-parse", f"{ref}:{path}").strip()


def test_log_lists_commits_with_a_m_d_changes(store, history):
    log = store.log(f"{M}/")
    assert [entry.commit.sha for entry in log] == [history[y] for y in ("2023", "2022", "2019")]
    latest, middle, first = log
    assert latest.changes == (
        FileChange("D", f"{M}/f2/c1.md", _blob(store, history["2022"], f"{M}/f2/c1.md"), None),
    )  # other/x.md is outside the prefix
    assert set(middle.changes) == {
        FileChange(
            "M",
            f"{M}/f1/_node.md",
            _blob(store, history["2019"], f"{M}/f1/_node.md"),
            _blob(store, history["2022"], f"{M}/f1/_node.md"),
        ),
        FileChange("D", f"{M}/f1/c1.md", _blob(store, history["2019"], f"{M}/f1/c1.md"), None),
        FileChange("A", f"{M}/f2/c1.md", None, _blob(store, history["2022"], f"{M}/f2/c1.md")),
    }
    assert {c.status for c in first.changes} == {"A"} and len(first.changes) == 4
    assert middle.commit.author_name == BOB.name
    assert middle.commit.authored_date == at(2022, 6, 1)


def test_log_narrowed_by_paths_and_ref(store, history):
    log = store.log(M, paths=[f"{M}/f1/_node.md"])
    assert [e.commit.message for e in log] == ["2022", "2019"]
    assert all(c.path == f"{M}/f1/_node.md" for e in log for c in e.changes)
    assert [e.commit.message for e in store.log(M, history["2019"])] == ["2019"]
    assert [e.commit.message for e in store.log("other")] == ["2023"]
    with pytest.raises(StoreError):
        store.log(M, paths=["other/x.md"])


def test_blame_attributes_lines(store, history):
    lines = store.blame("main", f"{M}/f1/_node.md")
    assert [(b.line, b.text, b.author_name) for b in lines] == [
        (1, "one", ALICE.name),
        (2, "TWO", BOB.name),
        (3, "three", ALICE.name),
    ]
    assert lines[1].commit == history["2022"] and lines[1].authored_date == at(2022, 6, 1)
    # Blame follows the move of c1.md from f1/ to f2/.
    moved = store.blame(history["2022"], f"{M}/f2/c1.md")
    assert moved[0].commit == history["2019"]
    with pytest.raises(StoreError):
        store.blame("main", f"{M}/f2/c1.md")


def test_releases_round_trip_vietnamese(store, history):
    nfd = unicodedata.normalize("NFD", "876/QĐ-BNV")
    release = store.tag_release(
        M,
        "2022",
        history["2022"],
        decision=nfd,
        date=dt.date(2022, 11, 10),
        tagger=BOB,
        message="Quyết định phê duyệt Đề án",
    )
    assert release == Release(
        methodology=M,
        name="2022",
        tag=f"{M}/2022",
        commit=history["2022"],
        decision="876/QĐ-BNV",
        date=dt.date(2022, 11, 10),
        message="Quyết định phê duyệt Đề án",
        effective=dt.date(2022, 11, 10),  # the decision's date when not given
    )
    raw = git(store, "cat-file", "tag", f"{M}/2022")
    assert "tagger Trần Văn Bình <binh@moha.gov.vn> 1668038400 +0000" in raw
    assert "\n\n876/QĐ-BNV (2022-11-10)\n" in raw
    assert "decision: 876/QĐ-BNV" in raw and "date: 2022-11-10" in raw

    store.tag_release(M, "2019", history["2019"], decision="2/2019/NĐ", date=dt.date(2019, 3, 2))
    store.tag_release("other", "v1", history["2023"], decision="3", date=dt.date(2023, 1, 2))
    git(store, "tag", "-a", "-m", "not a release", "other/plain", history["2023"])
    assert [r.tag for r in store.releases()] == [f"{M}/2019", f"{M}/2022", "other/v1"]
    assert [r.name for r in Store.open(store.path).releases(M)] == ["2019", "2022"]
    assert store.releases(M)[1] == release


def test_tag_release_refuses_existing_tag(store, history):
    store.tag_release(M, "2022", history["2022"], decision="1", date=dt.date(2022, 1, 1))
    with pytest.raises(StoreError, match="already exists"):
        store.tag_release(M, "2022", history["2023"], decision="2", date=dt.date(2023, 1, 1))
    assert store.resolve(f"{M}/2022") == history["2022"]
    with pytest.raises(StoreError):
        store.tag_release(M, "bad name..", history["2022"], decision="1", date=dt.date(2022, 1, 1))


def test_log_patterns_and_first_parent_order(store, history):
    log = store.log(M, patterns=[f"{M}/**/c1.md"])
    assert [e.commit.message for e in log] == ["2023", "2022", "2019"]
    assert {c.path for e in log for c in e.changes} == {f"{M}/f1/c1.md", f"{M}/f2/c1.md"}
    assert store.log(M, patterns=[f"{M}/**/nothing.md"]) == []
    order = store.first_parent_order()
    assert [order[history[y]] for y in ("2023", "2022", "2019")] == [0, 1, 2]


def test_readers_accept_refs_and_short_shas(store, history):
    short = history["2019"][:8]
    assert store.list_files(short, M) == store.list_files(history["2019"], M)
    assert store.commit_info("main").sha == history["2023"]
    with pytest.raises(RefNotFound):
        store.commit_info("nope")
