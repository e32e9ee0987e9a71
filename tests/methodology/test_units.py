"""The unit levels and the bundled succession data: the 2025 provincial merger
(Nghị quyết 202/2025/QH15: 52 provinces into 23, 11 unchanged, 34 in all, 6 centrally-run
cities), the end of the district level, and the illustrative Sơn La indices of
2712/QĐ-UBND derived from the national set."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from methodology import (
    LEVELS,
    FormatError,
    bundled_releases,
    bundled_root,
    check_event,
    combine,
    level_of,
    load_succession,
    open_methodology,
)

ROOT = bundled_root()


def cohort(name: str) -> dict:
    return yaml.safe_load((ROOT / "cohorts" / f"{name}.yaml").read_text(encoding="utf-8"))


def test_levels_have_vietnamese_labels_and_the_district_level_ends_in_2025():
    assert [lv.key for lv in LEVELS] == ["tỉnh", "sở", "huyện", "xã", "bộ", "đơn vị"]
    assert level_of("xã").label == "Xã, phường, đặc khu"
    assert level_of("huyện").until == dt.date(2025, 7, 1)
    assert level_of("bộ").label == "Bộ, cơ quan ngang bộ" and level_of("bộ").until is None
    with pytest.raises(KeyError, match="one of: tỉnh, sở"):
        level_of("province")


def test_the_2025_merger_is_52_provinces_into_23_and_11_unchanged_34_in_all():
    events = load_succession()
    merger = [e for e in events if e.basis == "Nghị quyết 202/2025/QH15"]
    assert {e.kind for e in merger} == {"merge"} and len(merger) == 23
    assert {e.effective for e in merger} == {dt.date(2025, 7, 1)}
    merged = [p for e in merger for p in e.predecessors]
    assert len(merged) == len(set(merged)) == 52
    before = {u["id"] for u in cohort("provinces")["units"]}
    after = {u["id"]: u for u in cohort("provinces-2025")["units"]}
    assert len(before) == 63 and len(after) == 34
    assert set(merged) <= before
    successors = {e.successors[0] for e in merger}
    assert len(successors) == 23 and successors <= set(after)
    # a merged province is a new unit: never the id of one of its predecessors
    assert not successors & before
    unchanged = set(after) - successors
    assert len(unchanged) == 11
    renamed = {e.predecessors[0]: e.successors[0] for e in events if e.kind == "rename"}
    assert renamed == {"thua-thien-hue": "hue"}
    assert unchanged - {"hue"} <= before and before - set(merged) - unchanged == {"thua-thien-hue"}
    names = {after[i]["name"] for i in unchanged}
    assert names == {
        "Hà Nội",
        "Huế",
        "Lai Châu",
        "Điện Biên",
        "Sơn La",
        "Lạng Sơn",
        "Quảng Ninh",
        "Thanh Hóa",
        "Nghệ An",
        "Hà Tĩnh",
        "Cao Bằng",
    }
    cities = {after[i]["name"] for i in after if after[i]["group"].startswith("thành phố")}
    assert cities == {
        "Hà Nội",
        "Hải Phòng",
        "Huế",
        "Đà Nẵng",
        "Cần Thơ",
        "Thành phố Hồ Chí Minh",
    }
    assert sum(1 for u in after.values() if u["group"] == "tỉnh") == 28


def test_the_first_province_named_keeps_the_name():
    names = {u["id"]: u["name"] for u in cohort("provinces")["units"]}
    after = {u["id"]: u["name"] for u in cohort("provinces-2025")["units"]}
    for e in load_succession():
        if e.kind == "merge":
            first = names[e.predecessors[0]]
            assert after[e.successors[0]] in (first, f"Thành phố {first.removeprefix('TP ')}")
    lak = next(e for e in load_succession() if "dak-lak-2025" in e.successors)
    assert lak.predecessors == ("dak-lak", "phu-yen")


def test_every_district_of_dak_lak_is_abolished_on_1_july_2025():
    districts = {u["id"] for u in cohort("daklak-huyen")["units"]}
    abolished = [e for e in load_succession() if e.kind == "abolish"]
    assert {p for e in abolished for p in e.predecessors} == districts
    assert {e.effective for e in abolished} == {dt.date(2025, 7, 1)}


def test_the_dak_lak_departments_are_not_ranked_in_2024_with_the_reason():
    data = yaml.safe_load((ROOT / "succession.yaml").read_text(encoding="utf-8"))
    [entry] = data["not_ranked"]
    assert (entry["cohort"], entry["period"]) == ("daklak-so", "2024")
    assert "sắp xếp" in entry["reason"] and entry["source"].startswith("baodaklak.vn")


@pytest.mark.parametrize(
    ("kind", "before", "after", "problem"),
    [
        ("merge", ["a"], ["b"], "a merge has at least 2 predecessor"),
        ("merge", ["a", "b"], ["c", "d"], "a merge has 1 successor"),
        ("split", ["a"], ["b"], "a split has at least 2 successor"),
        ("rename", ["a"], ["a"], "cannot succeed itself"),
        ("abolish", ["a", "a"], [], "listed twice"),
        ("fold", ["a"], ["b"], "kind 'fold' is not one of"),
    ],
)
def test_a_wrong_event_says_what_is_wrong(kind, before, after, problem):
    assert problem in (check_event(kind, before, after) or "")


def test_a_malformed_succession_file_names_the_entry(tmp_path: Path):
    (tmp_path / "succession.yaml").write_text(
        "groups:\n  - basis: X\n    effective: 2025-07-01\n    events:\n"
        "      - {kind: merge, from: [a], to: b}\n",
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match=r"groups\[0\]\.events\[0\]: a merge has at least 2"):
        load_succession(tmp_path)
    (tmp_path / "succession.yaml").write_text(
        "groups:\n  - basis: X\n    effective: 1/7/2025\n    events:\n"
        "      - {kind: abolish, from: a}\n",
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match="not a date"):
        load_succession(tmp_path)


def test_the_combination_rule_is_a_plain_mean_and_refuses_what_it_does_not_know():
    assert combine("mean", [Decimal("80.88"), Decimal("72.22")]) == Decimal("76.55")
    assert combine("mean", []) is None
    with pytest.raises(KeyError):
        combine("population", [Decimal(1)])


def test_the_son_la_indices_are_derived_with_the_decision_official_and_criteria_illustrative(
    store,
):
    releases = {(r.methodology, r.name): r for r in bundled_releases()}
    for slug, level in (("sonla-so", "sở"), ("sonla-xa", "xã")):
        release = releases[(slug, "2025")]
        assert (release.decision, release.date) == ("2712/QĐ-UBND", dt.date(2025, 10, 31))
        assert "minh hoạ" in release.message and "2712/QĐ-UBND" in release.message
        m = open_methodology(store, f"{slug}@{slug}/2025")
        assert m.manifest.level == level and m.manifest.province == "son-la"
        assert "(tiêu chí minh hoạ)" in m.manifest.title
        assert m.extends["ref"] == "par-provincial/2022"
        assert m.total == 100
        local = [n for n in m.nodes.values() if m.derivation[n.id].status == "local"]
        assert local and all(n.source is not None and n.source.illustrative for n in local)
    xa = open_methodology(store, "sonla-xa@sonla-xa/2025")
    assert "chi-dao-cchc-cap-xa" not in xa.nodes  # a commune directs no lower level
    assert xa.counts() == {"fields": 8, "criteria": 37, "sub_criteria": 81}
