"""Releases carry when they take effect, the assessment years they apply to and the release
they amend; a date ref names the release in force and a year ref the release for that
year, whatever the commits' dates say. Real stores in tmp dirs; old-style tags are
written with plain git, as an older parindex wrote them."""

from __future__ import annotations

import datetime as dt

import pytest

from methodology import ReleaseError, open_methodology
from methodology.errors import RefNotFound
from methodology.store import Put, Store

from .conftest import ALICE, at, git

M = "m"
D = dt.date


def _commit(store: Store, text: str, when: dt.datetime) -> str:
    return store.commit(
        [Put(f"{M}/methodology.yaml", f"id: {M}\ntitle: {text}\n".encode())],
        message=text,
        author=ALICE,
        date=when,
    )


@pytest.fixture
def lineage(store: Store) -> dict[str, str]:
    """Four versions whose commits are all made in 2020, released later:
    a (in force 2021, years 2021-2022), b (2023, 2023-2025), c amends b (2024,
    2024-2025), d amends c (2025, 2025)."""
    shas = {name: _commit(store, name, at(2020, month)) for month, name in enumerate("abcd", 1)}
    store.tag_release(
        M,
        "a",
        shas["a"],
        decision="1/QĐ",
        date=D(2020, 1, 1),
        effective=D(2021, 1, 1),
        years="2021-2022",
    )
    store.tag_release(
        M,
        "b",
        shas["b"],
        decision="2/QĐ",
        date=D(2020, 2, 1),
        effective=D(2023, 1, 1),
        years="2023–2025",
    )
    store.tag_release(
        M,
        "c",
        shas["c"],
        decision="3/QĐ",
        date=D(2020, 3, 1),
        effective=D(2024, 1, 1),
        years=[2024, 2025],
        amends="b",
    )
    store.tag_release(
        M,
        "d",
        shas["d"],
        decision="4/QĐ",
        date=D(2020, 4, 1),
        effective=D(2025, 1, 1),
        years=2025,
        amends=f"{M}/c",
    )
    return shas


def test_a_date_names_the_release_in_force_not_the_last_commit(store, lineage):
    # every commit is from 2020, so by commit dates each of these days would be `d`
    assert store.resolve("2021-06-30", M) == lineage["a"]
    assert store.resolve("2022-12-31", M) == lineage["a"]
    assert store.resolve("2023-01-01", M) == lineage["b"]  # the effective day itself counts
    assert store.resolve("2024-05-01", M) == lineage["c"]
    assert store.resolve("9999-12-31", M) == lineage["d"]
    # a date and time counts by the day written
    assert store.resolve("2023-01-01T00:30:00+07:00", M) == lineage["b"]
    assert open_methodology(store, f"{M}@2023-06-01").commit == lineage["b"]
    # without a methodology a date is still the last commit by then
    assert store.resolve("2020-02-15") == lineage["b"]


def test_before_the_first_release_is_an_error_naming_the_ref(store, lineage):
    with pytest.raises(RefNotFound) as info:
        store.resolve("2020-12-31", M)
    message = str(info.value)
    assert message.startswith(f"{M}@2020-12-31: no release in force on 2020-12-31")
    assert f"the earliest, {M}/a, takes effect on 2021-01-01" in message
    with pytest.raises(RefNotFound, match="no release in force"):
        store.resolve("0001-01-01", M)


def test_a_year_names_the_release_whose_years_include_it_following_amendments(store, lineage):
    assert store.resolve("year:2021", M) == lineage["a"]
    assert store.resolve("year:2022", M) == lineage["a"]
    assert store.resolve("year:2023", M) == lineage["b"]  # c's years start in 2024
    assert store.resolve("year:2024", M) == lineage["c"]  # b and c: c amends b
    # b, c and d all apply to 2025: d amends c, which amends b
    assert store.resolve("year:2025", M) == lineage["d"]
    assert store.resolve("năm:2025", M) == lineage["d"]
    assert store.resolve("Năm: 2023", M) == lineage["b"]
    with pytest.raises(RefNotFound) as info:
        store.resolve("year:2026", M)
    assert str(info.value).startswith(f"{M}@year:2026: no release applies to assessment year 2026")
    assert f"{M}/a 2021-2022" in str(info.value)
    with pytest.raises(RefNotFound, match="names an assessment year"):
        store.resolve("year:2023")


def test_releases_that_do_not_amend_each_other_are_ambiguous(store, lineage):
    e = _commit(store, "e", at(2020, 5))
    store.tag_release(
        M, "e", e, decision="5/QĐ", date=D(2020, 5, 1), effective=D(2025, 1, 1), years=2025
    )
    with pytest.raises(RefNotFound) as info:
        store.resolve("year:2025", M)
    assert str(info.value).startswith(f"{M}@year:2025 is ambiguous: {M}/d, {M}/e")
    assert info.value.candidates == [f"{M}/d", f"{M}/e"]
    with pytest.raises(RefNotFound, match=r"ambiguous: .* take effect on 2025-01-01"):
        store.resolve("2025-06-01", M)
    # one version released under two names is no ambiguity
    store.tag_release(
        M, "e-2", e, decision="5/QĐ", date=D(2020, 5, 1), effective=D(2026, 1, 1), years=2026
    )
    store.tag_release(
        M, "e-3", e, decision="5/QĐ", date=D(2020, 5, 1), effective=D(2026, 1, 1), years=2026
    )
    assert store.resolve("year:2026", M) == store.resolve("2026-01-01", M) == e


def test_the_release_metadata_is_read_back_and_listed(store, lineage):
    listed = {r.name: r for r in store.releases(M)}
    assert listed["c"].effective == D(2024, 1, 1)
    assert listed["c"].years == (2024, 2025) and listed["c"].years_text == "2024–2025"
    assert listed["c"].amends == f"{M}/b" and listed["d"].amends == f"{M}/c"
    assert listed["a"].to_json() | {"commit": ""} == {
        "methodology": M,
        "name": "a",
        "tag": f"{M}/a",
        "commit": "",
        "decision": "1/QĐ",
        "date": "2020-01-01",
        "effective": "2021-01-01",
        "years": [2021, 2022],
        "amends": None,
    }
    raw = git(store, "cat-file", "tag", f"{M}/c")
    assert raw.endswith(
        "decision: 3/QĐ\ndate: 2020-03-01\neffective: 2024-01-01\nyears: 2024-2025\namends: m/b\n"
    )
    # a fresh Store reads the same from the tags alone
    assert Store.open(store.path).releases(M) == store.releases(M)


@pytest.mark.parametrize(
    ("fields", "path", "message"),
    [
        ({"years": "2030-2022"}, "years", "years: 2030-2022 ends before it starts"),
        ({"years": "0-5"}, "years", "years: 0 is not a year (1 to 9999)"),
        ({"years": "2000-2200"}, "years", "spans more than 100 years"),
        ({"years": "từ 2022"}, "years", "'từ 2022' is not a year or a span of years"),
        ({"years": [2022, True]}, "years", "True is not a year"),
        ({"effective": D(2019, 12, 31)}, "effective", "before the decision date 2020-06-01"),
        ({"amends": "other/a"}, "amends", "other/a is not a release of m"),
        ({"amends": "zz"}, "amends", "no release m/zz (the releases of m: m/a, m/b, m/c, m/d)"),
        ({"amends": "d"}, "amends", "m/d takes effect on 2025-01-01, after this release"),
    ],
)
def test_invalid_metadata_is_refused_naming_the_field_and_nothing_is_written(
    store, lineage, fields, path, message
):
    with pytest.raises(ReleaseError) as info:
        store.tag_release(M, "new", lineage["a"], decision="9/QĐ", date=D(2020, 6, 1), **fields)
    assert info.value.path == path and message in str(info.value)
    assert "m/new" not in git(store, "tag", "--list")


def _old_tag(store: Store, name: str, commit: str, body: str) -> None:
    git(store, "tag", "-a", "-m", body, f"{M}/{name}", commit)


def test_a_store_made_before_releases_carried_metadata_reads_dates_by_commit(store):
    """Tags written as parindex wrote them before: only a decision and a date."""
    first = _commit(store, "one", at(2019, 3, 1))
    second = _commit(store, "two", at(2022, 6, 1))
    draft = _commit(store, "draft", at(2023, 2, 1))
    _old_tag(store, "2019", first, "1/QĐ (2019-03-02)\n\ndecision: 1/QĐ\ndate: 2019-03-02")
    _old_tag(store, "2022", second, "2/QĐ (2022-06-02)\n\ndecision: 2/QĐ\ndate: 2022-06-02")
    old = {r.name: r for r in store.releases(M)}
    assert old["2019"].effective is None and old["2019"].years == () and old["2019"].amends is None
    # as before: the last commit of the branch on or before the day, drafts included
    assert store.resolve("2020-01-01", M) == first
    assert store.resolve("2023-06-01", M) == draft
    assert store.resolve("9999-12-31", M) == draft
    for before_any in ("0001-01-01", "1969-12-31T23:59:59+00:00", "2019-02-28"):
        with pytest.raises(RefNotFound, match="as of"):
            store.resolve(before_any, M)
    with pytest.raises(RefNotFound, match="no release names the assessment years"):
        store.resolve("year:2022", M)
    # a release made now says when it takes effect: the old ones then count from their
    # commits' dates (2019-03-01, 2022-06-01), and drafts are no longer in force
    store.tag_release(M, "2023", draft, decision="3/QĐ", date=D(2023, 3, 1), years="2023-2030")
    assert store.resolve("2020-01-01", M) == first
    assert store.resolve("2022-12-31", M) == second
    assert store.resolve("2023-03-01", M) == draft
    assert store.resolve("year:2024", M) == draft


def test_the_effective_line_the_release_form_wrote_is_read(store):
    """Before the trailer said it, the release form kept `effective:` in the free text."""
    first = _commit(store, "one", at(2019, 3, 1))
    _old_tag(
        store,
        "2019",
        first,
        "1/QĐ (2019-03-02)\n\neffective: 2020-01-01\n\ndecision: 1/QĐ\ndate: 2019-03-02",
    )
    (release,) = store.releases(M)
    assert release.effective == D(2020, 1, 1) and release.message == "effective: 2020-01-01"
    with pytest.raises(RefNotFound, match="takes effect on 2020-01-01"):
        store.resolve("2019-12-31", M)
    assert store.resolve("2020-01-01", M) == first


def test_metadata_a_tag_cannot_have_been_written_with_reads_as_absent(store):
    first = _commit(store, "one", at(2019, 3, 1))
    _old_tag(
        store,
        "x",
        first,
        "x\n\ndecision: 1/QĐ\ndate: 2019-03-02\neffective: someday\nyears: [soon]\namends: ''",
    )
    (release,) = store.releases(M)
    assert (release.effective, release.years, release.amends) == (None, (), None)
