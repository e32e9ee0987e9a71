"""`validate`: each error and warning the issue lists, on real folders."""

from __future__ import annotations

import shutil
from pathlib import Path

from methodology import load_directory, validate
from methodology.catalog import bundled_releases

from .conftest import edit

TIERS_FILE = "chi-dao-dieu-hanh/ke-hoach-cchc/muc-do-thuc-hien.md"


def codes(folder: Path, severity: str = "error") -> list[str]:
    return [p.code for p in validate(load_directory(folder)).problems if p.severity == severity]


# 2948/QĐ-BNV says 38 criteria, while its per-field list sums to 39: the catalog keeps
# both, and validation says so. No other release may warn.
DOCUMENTED_WARNINGS = {("par-provincial", "2017"): ["38 criteria expected, 39 found"]}


def test_every_bundled_release_is_valid_with_only_documented_warnings(store):
    for release in bundled_releases():
        # derived releases read their parent from the store
        report = validate(load_directory(release.folder, store=store))
        assert report.errors == [], (release.name, [str(p) for p in report.errors])
        expected = DOCUMENTED_WARNINGS.get((release.methodology, release.name), [])
        assert [p.message for p in report.warnings] == expected, release.name


def test_official_counts_of_the_provincial_lineage(store):
    from methodology import open_methodology

    counts = {
        ref: open_methodology(store, f"par-provincial@{ref}").counts()
        for ref in ("2017", "2019", "2022")
    }
    assert counts["2017"] == {"fields": 8, "criteria": 39, "sub_criteria": 81}
    assert counts["2019"] == {"fields": 8, "criteria": 43, "sub_criteria": 95}
    assert counts["2022"] == {"fields": 8, "criteria": 37, "sub_criteria": 88}
    m2017 = open_methodology(store, "par-provincial@2017")
    assert [str(n.max_points) for n in m2017.roots()] == [
        "10",
        "10",
        "14.5",
        "11",
        "16",
        "7",
        "16",
        "15.5",
    ]
    m2022 = open_methodology(store, "par-provincial@2022")
    assert [n.title for n in m2022.roots()][:3] == [
        "Công tác chỉ đạo, điều hành cải cách hành chính",
        "Cải cách thể chế",
        "Cải cách thủ tục hành chính",
    ]
    survey = sum(n.max_points for n in m2022.leaves() if n.assessed_by == "survey")
    assert str(survey) == "30.5"


def test_duplicate_ids(example):
    shutil.copy(example / TIERS_FILE, example / "cai-cach-tthc/giai-quyet-tthc/muc-do-thuc-hien.md")
    report = validate(load_directory(example))
    dup = [p for p in report.errors if p.code == "duplicate-id"]
    assert len(dup) == 1 and "muc-do-thuc-hien" in dup[0].message


def test_duplicate_codes(example):
    edit(
        example / "chi-dao-dieu-hanh/ke-hoach-cchc/ket-qua-ro-rang.md",
        'code: "1.1.3"',
        'code: "1.1.2"',
    )
    assert codes(example).count("duplicate-code") == 2


def test_children_exceeding_their_parent(example):
    edit(example / TIERS_FILE, "max_points: 2", "max_points: 3")
    edit(example / TIERS_FILE, "      points: 2\n", "      points: 3\n")
    report = validate(load_directory(example))
    problem = next(p for p in report.errors if p.code == "children-exceed-parent")
    assert "add up to 6" in problem.message and "max_points 5" in problem.message
    assert "total-not-scale" not in codes(example)  # the field's own max is unchanged


def test_total_differs_from_scale(example):
    edit(example / "methodology.yaml", "scale: 20", "scale: 100")
    report = validate(load_directory(example))
    problem = next(p for p in report.errors if p.code == "total-not-scale")
    assert problem.message == "fields add up to 20, but the manifest's scale is 100"


def test_overlapping_tiers_with_position(example):
    edit(
        example / TIERS_FILE,
        "ty_le_hoan_thanh_ke_hoach >= 70% and",
        "ty_le_hoan_thanh_ke_hoach >= 60% and",
    )
    edit(example / TIERS_FILE, "- otherwise: true", "- when: ty_le_hoan_thanh_ke_hoach < 65%")
    report = validate(load_directory(example))
    overlap = next(p for p in report.errors if p.code == "tier-overlap")
    assert overlap.file.endswith(TIERS_FILE) and overlap.line is not None
    assert "overlap" in overlap.message


def test_ratio_tiers_with_a_gap(example):
    edit(example / TIERS_FILE, "- otherwise: true", "- when: ty_le_hoan_thanh_ke_hoach < 60%")
    assert "tier-gap" in codes(example)


def test_points_outside_range(example):
    edit(example / TIERS_FILE, "      points: 2\n", "      points: 2.5\n")
    assert "points-out-of-range" in codes(example)


def test_unknown_input_suggests_nearest(example):
    edit(
        example / TIERS_FILE,
        "- when: ty_le_hoan_thanh_ke_hoach >= 95%",
        "- when: ty_le_hoan_thanh_kehoach >= 95%",
    )
    report = validate(load_directory(example))
    problem = next(p for p in report.errors if p.code == "bad-scoring")
    assert problem.line is not None and problem.column is not None
    assert problem.suggestion == "did you mean `ty_le_hoan_thanh_ke_hoach`?"


def test_unused_input(example):
    edit(example / TIERS_FILE, "scoring:", "  thua:\n    type: bool\n    label: Thừa\nscoring:")
    report = validate(load_directory(example))
    problem = next(p for p in report.errors if p.code == "unused-input")
    assert "'thua'" in problem.message


def test_unreachable_tier(example):
    edit(
        example / TIERS_FILE,
        "- otherwise: true",
        "- when: ty_le_hoan_thanh_ke_hoach < 70%\n      points: 0\n    - otherwise: true",
    )
    assert "tier-unreachable" in codes(example)


def test_malformed_front_matter(example):
    edit(example / TIERS_FILE, "max_points: 2", "max_points: [2")
    report = validate(load_directory(example))
    problem = next(p for p in report.errors if p.code == "malformed-front-matter")
    assert problem.file.endswith(TIERS_FILE) and problem.line is not None


def test_counts_differing_from_the_manifest_are_warnings(example):
    edit(example / "methodology.yaml", "criteria: 6,", "criteria: 7,")
    report = validate(load_directory(example))
    assert report.ok
    assert [p.message for p in report.warnings] == ["7 criteria expected, 6 found"]


def test_missing_guidance_and_source_are_warnings(example):
    path = example / "chi-dao-dieu-hanh/bao-cao-cchc/bao-cao-dung-han.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text[: text.rindex("---") + 4].replace(
            'source: {decision: 1880/QĐ-UBND, issuer: UBND tỉnh Cà Mau, row: "1.2.1"}\n', ""
        ),
        encoding="utf-8",
    )
    assert sorted(codes(example, "warning")) == ["missing-guidance", "missing-source"]


def test_folder_without_node_file(example):
    (example / "cai-cach-tthc/dich-vu-cong-truc-tuyen/_node.md").unlink()
    assert "orphan-node" in codes(example)


def test_id_must_match_file_name(example):
    edit(example / TIERS_FILE, "id: muc-do-thuc-hien", "id: muc-do")
    assert "id-mismatch" in codes(example)


def test_unknown_node_in_cross_node_rule(example):
    edit(
        example / "methodology.yaml",
        "not_applicable: [cai-cach-tthc]",
        "not_applicable: [cai-cach-tthx]",
    )
    report = validate(load_directory(example))
    problem = next(p for p in report.errors if p.code == "unknown-node")
    assert problem.suggestion == "did you mean `cai-cach-tthc`?"


def test_json_shape(example):
    edit(example / "methodology.yaml", "scale: 20", "scale: 100")
    data = validate(load_directory(example)).to_json()
    assert set(data) == {"methodology", "ref", "commit", "ok", "errors", "warnings", "problems"}
    assert data["ok"] is False and data["errors"] == 1
    assert set(data["problems"][0]) == {
        "severity",
        "code",
        "message",
        "path",
        "file",
        "line",
        "column",
        "suggestion",
    }


# -- reachable points, constants, decimal commas (issue 11 §3) -------------------------


def errors(folder: Path) -> list:
    return validate(load_directory(folder)).errors


def test_a_leaf_whose_rule_cannot_reach_its_max_points_is_one_error_with_the_range(example):
    # as 2.1.1 raised to 2.5 points while its top tier still gives 1.5: here the top tier
    # gives 1.5 of the leaf's 2
    edit(example / TIERS_FILE, "      points: 2\n", "      points: 1.5\n")
    (problem,) = errors(example)
    assert problem.code == "max-unreachable"
    assert problem.file.endswith(TIERS_FILE) and (problem.line, problem.column) == (5, 13)
    assert "max_points 2" in problem.message and "[0, 1.5]" in problem.message
    assert problem.suggestion.startswith("đặt max_points là 1.5")


def test_a_bonus_that_can_make_up_the_difference_reaches_the_maximum(example):
    edit(example / TIERS_FILE, "      points: 2\n", "      points: 1.5\n")
    bonus = "bonus:\n  cap: 0.5\n  rules:\n    - when: ty_le_hoan_thanh_ke_hoach >= 99%\n      points: 0.5\nevidence:"
    edit(example / TIERS_FILE, "evidence:", bonus)
    assert errors(example) == []


def test_a_formula_is_bounded_by_its_inputs_domains(example):
    rule = "  kind: formula\n  expression: ty_le_hoan_thanh_ke_hoach * 1.5\nevidence:"
    text = (example / TIERS_FILE).read_text(encoding="utf-8")
    start, end = text.index("  kind: tiers"), text.index("evidence:")
    (example / TIERS_FILE).write_text(text[:start] + rule + text[end + 9 :], encoding="utf-8")
    (problem,) = errors(example)
    assert problem.code == "max-unreachable" and "[0, 1.5]" in problem.message
    # reaching 2 exactly, or unbounded (a plain number without max): no error
    edit(example / TIERS_FILE, "* 1.5", "* 2")
    assert errors(example) == []
    edit(
        example / TIERS_FILE,
        '    unit: "%"',
        '    unit: "%"\n  so_lan:\n    type: number\n    label: Số lần',
    )
    edit(example / TIERS_FILE, "* 2", "* 1.5 + so_lan")
    assert errors(example) == []


def test_a_divisor_that_is_always_zero_is_an_error_at_its_position(example):
    edit(
        example / TIERS_FILE,
        "- when: ty_le_hoan_thanh_ke_hoach >= 95%",
        "- when: ty_le_hoan_thanh_ke_hoach / (1 - 1) >= 95%",
    )
    (problem,) = errors(example)
    assert problem.code == "bad-scoring" and "chia cho 0" in problem.message
    assert problem.file.endswith(TIERS_FILE) and (problem.line, problem.column) == (14, 39)


def test_a_constant_with_thousands_of_digits_is_an_error_at_its_position(example):
    for constant, words in (("0." + "9" * 3000, "3000 chữ số"), ("1" + "0" * 3000, "quá lớn")):
        folder = example.parent / f"copy-{len(words)}"
        shutil.copytree(example, folder)
        edit(
            folder / TIERS_FILE,
            "- when: ty_le_hoan_thanh_ke_hoach >= 95%",
            f"- when: ty_le_hoan_thanh_ke_hoach >= {constant}",
        )
        (problem,) = errors(folder)
        assert problem.code == "bad-scoring" and words in problem.message
        assert (problem.line, problem.column) == (14, 42)


def test_max_points_with_a_decimal_comma_is_one_error_suggesting_the_point(example):
    edit(example / TIERS_FILE, "max_points: 2", "max_points: 0,5")
    (problem,) = errors(example)
    assert problem.code == "bad-points" and (problem.line, problem.column) == (5, 13)
    assert "'0,5'" in problem.message and problem.suggestion == "max_points: 0.5"


def test_other_numbers_with_a_decimal_comma_are_one_error_each(example):
    edit(example / TIERS_FILE, "      points: 1\n", "      points: 0,5\n")
    edit(example / TIERS_FILE, '    unit: "%"', '    unit: "%"\n    min: 0,1')
    found = errors(example)
    assert [(p.code, p.line) for p in found] == [("bad-inputs", 11), ("bad-scoring", 18)]
    assert "hãy viết 0.1" in found[0].message and "hãy viết 0.5" in found[1].message


def test_a_scale_with_a_decimal_comma_is_one_error(example):
    edit(example / "methodology.yaml", "scale: 20", "scale: 20,5")
    (problem,) = errors(example)
    assert problem.code == "bad-value" and problem.suggestion == "scale: 20.5"
    assert "'20,5'" in problem.message and problem.line is not None
