"""`parindex init`: the bundled catalog replayed as real git history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess

import pytest

from methodology import init_store
from methodology.catalog import bundled_releases
from methodology.errors import MethodologyError


def git(store, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(store.path), *args], capture_output=True, text=True, check=True
    ).stdout


def test_history_replays_each_release_on_its_decision_date(store):
    log = git(store, "log", "--format=%cI|%an|%s", "main").splitlines()
    releases = bundled_releases()
    assert len(log) == len(releases)  # one commit per release, oldest first in the catalog
    dates = [line.split("|")[0][:10] for line in reversed(log)]
    assert dates == [r.date.isoformat() for r in releases]
    assert dates == sorted(dates)
    tags = git(
        store, "for-each-ref", "--format=%(objecttype) %(refname:short)", "refs/tags"
    ).split()
    assert {
        "vi-du/2013",
        "vi-du/2014",
        "par-provincial/2017",
        "par-provincial/2019",
        "par-provincial/2022",
    } <= set(tags)
    assert all(kind == "tag" for kind in tags[::2])  # annotated
    tag = git(store, "cat-file", "-p", "par-provincial/2022")
    assert "876/QĐ-BNV" in tag and "date: 2022-11-10" in tag


def test_moves_in_a_release_are_delete_plus_add_in_one_commit(store):
    names = git(
        store, "show", "--no-renames", "--name-status", "--format=", "vi-du/2014^{commit}"
    ).splitlines()
    assert "D\tvi-du/cai-cach-tthc/giai-quyet-tthc/ty-le-truc-tuyen.md" in names
    assert "A\tvi-du/cai-cach-tthc/dich-vu-cong-truc-tuyen/ty-le-truc-tuyen.md" in names
    assert "D\tvi-du/chi-dao-dieu-hanh/bao-cao-cchc/chat-luong-bao-cao.md" in names


def test_init_refuses_an_existing_store(store):
    with pytest.raises(MethodologyError, match="already exists"):
        init_store(store.path)


def test_an_invalid_release_writes_nothing(tmp_path):
    releases = bundled_releases()
    broken = tmp_path / "broken"
    shutil.copytree(releases[1].folder, broken)
    manifest = broken / "methodology.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("scale: 20", "scale: 21"), encoding="utf-8"
    )
    target = tmp_path / "store"
    with pytest.raises(MethodologyError, match="invalid"):
        init_store(target, releases=[releases[0], dataclasses.replace(releases[1], folder=broken)])
    assert not target.exists()


def test_release_dates_are_the_official_dates():
    found = {(r.methodology, r.name): (r.decision, r.date) for r in bundled_releases()}
    assert found[("par-provincial", "2017")] == ("2948/QĐ-BNV", dt.date(2017, 12, 28))
    assert found[("par-provincial", "2019")] == ("1149/QĐ-BNV", dt.date(2019, 12, 30))
    assert found[("par-provincial", "2022")] == ("876/QĐ-BNV", dt.date(2022, 11, 10))
    assert found[("vi-du", "2014")] == ("VD-02/2014", dt.date(2014, 12, 31))


def test_releases_say_when_they_take_effect_and_the_years_they_apply_to():
    found = {f"{r.methodology}/{r.name}": r for r in bundled_releases()}
    r2948, r1149, r876 = (found[f"par-provincial/{n}"] for n in ("2017", "2019", "2022"))
    assert (r2948.effective, r2948.years) == (dt.date(2017, 12, 28), (2018, 2019))
    assert (r1149.effective, r1149.years) == (dt.date(2019, 12, 30), (2020, 2021))
    assert (r876.effective, r876.years) == (dt.date(2022, 11, 10), tuple(range(2022, 2031)))
    assert found["par-ministry/2022"].years == r876.years
    assert found["daklak-so/2022"].effective == dt.date(2022, 12, 20)
    # only the example amends: no national amendment is sourced
    assert {tag: r.amends for tag, r in found.items() if r.amends} == {"vi-du/2014": "vi-du/2013"}
    assert all(r.effective is not None and r.years for r in found.values())


def test_in_the_bundled_store_dates_and_years_name_the_release_in_force(store):
    def commit(ref: str) -> str:
        return store.resolve(ref, "par-provincial")

    r2017, r2019, r2022 = (commit(f"par-provincial/{n}") for n in ("2017", "2019", "2022"))
    assert commit("2019-12-29") == r2017 and commit("2019-12-30") == r2019
    assert commit("2022-11-09") == r2019 and commit("2022-11-10") == r2022
    assert [commit(f"year:{y}") for y in (2018, 2019, 2020, 2021, 2022, 2030)] == [
        r2017,
        r2017,
        r2019,
        r2019,
        r2022,
        r2022,
    ]
    # 2022-12-31 ends on later commits (Đắk Lắk's, MIC's): by commit date it would be one
    assert store.resolve("2023-06-30") != r2022 and commit("2023-06-30") == r2022


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ("years: 2022-2019", "years: 2022-2019 ends before it starts"),
        ("effective: soon", "effective: 'soon' is not a date"),
    ],
)
def test_unreadable_release_metadata_in_the_catalog_names_the_release(tmp_path, extra, said):
    (tmp_path / "catalog.yaml").write_text(
        "releases:\n  - {methodology: vi-du, name: '2013', folder: x, decision: VD,"
        f" date: 2013-12-31, message: m, {extra}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(MethodologyError, match=f"catalog.yaml: release vi-du/2013: {said}"):
        bundled_releases(tmp_path)


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("effective", dt.date(2013, 1, 1), "the effective date 2013-01-01 is before"),
        ("amends", "vi-du/2099", "amends: no release vi-du/2099"),
    ],
)
def test_release_metadata_the_store_refuses_names_the_release_and_writes_nothing(
    tmp_path, key, value, said
):
    first = bundled_releases()[0]
    target = tmp_path / "store"
    with pytest.raises(MethodologyError, match=f"bundled release vi-du/2013: {said}"):
        init_store(target, releases=[dataclasses.replace(first, **{key: value})])
    assert not target.exists()


def test_derived_releases_resolve_with_their_marks(store):
    from methodology import open_methodology

    so = open_methodology(store, "daklak-so@daklak-so/2022")
    assert (
        so.extends["methodology"] == "par-provincial" and so.extends["ref"] == "par-provincial/2022"
    )
    statuses = {d.status for d in so.derivation.values()}
    # rescaled ×100/90, every inherited node's points change: none stays merely inherited
    assert statuses == {"overridden", "local"}
    assert so.total == 100
    assert so.manifest.not_ranked == ["ban-dan-toc", "thanh-tra-tinh"]
    assert "so-von-dang-ky-doanh-nghiep" not in so.nodes
    mic = open_methodology(store, "mic-units@mic-units/2023")
    assert mic.manifest.not_applicable_policy == "exclude_and_normalize"
    assert mic.extends["methodology"] == "par-ministry"
    ministry = open_methodology(store, "par-ministry@2022")
    assert ministry.counts() == {"fields": 7, "criteria": 38, "sub_criteria": 97}
    assert str(sum(n.max_points for n in ministry.leaves() if n.assessed_by == "survey")) == "31.5"


def test_every_node_shows_its_provenance(store):
    from methodology import open_methodology

    for name in ("par-provincial", "par-ministry", "daklak-so", "mic-units"):
        data = open_methodology(store, name).to_json()
        stack = list(data["nodes"])
        while stack:
            node = stack.pop()
            assert node["provenance"] in ("official", "illustrative"), (name, node["id"])
            stack.extend(node["children"])
