"""Each kind of change, pairing through ``replaces``, and the report formats on small cases."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from methodology.diff import KINDS, Change, diff, diff_nodes
from methodology.node import parse_node

from .diff_cases import V2014, example_versions, node, version_maker


@pytest.fixture
def versions(tmp_path):
    return example_versions(tmp_path)


@pytest.fixture
def make_version(tmp_path):
    return version_maker(tmp_path)


FIELD = node("""
id: linh-vuc
code: "1"
title: Lĩnh vực một
max_points: 10
""")
OTHER_FIELD = node("""
id: linh-vuc-hai
code: "2"
title: Lĩnh vực hai
max_points: 10
""")


def criterion(front: str, body: str = "", **fields: str) -> str:
    """A criterion under `linh-vuc` with defaults for id/code/title/max_points."""
    base = {"id": "tieu-chi", "code": '"1.1"', "title": "Tiêu chí thử", "max_points": "2"}
    base.update(fields)
    head = "\n".join(f"{k}: {v}" for k, v in base.items())
    return node(f"{head}\n{front}", body)


def one(front_a: str, front_b: str, body_a: str = "", body_b: str = "", **fields_b: str):
    """Diff of a one-criterion methodology whose criterion changes from A to B."""
    return {"linh-vuc/_node.md": FIELD, "linh-vuc/tieu-chi.md": criterion(front_a, body_a)}, {
        "linh-vuc/_node.md": FIELD,
        "linh-vuc/tieu-chi.md": criterion(front_b, body_b, **fields_b),
    }


def changes_of(make_version, files_a, files_b, kind=None) -> list[Change]:
    result = diff(make_version(files_a), make_version(files_b))
    return [c for c in result.changes if kind is None or c.kind == kind]


TIERS = """
inputs:
  ty_le: {type: ratio, label: Tỷ lệ}
scoring:
  kind: tiers
  tiers:
    - {when: ty_le >= 90%, points: 2}
    - {when: ty_le >= 50%, points: 1}
    - {otherwise: true, points: 0}
"""


# -- identity ----------------------------------------------------------------------


def test_same_version_is_empty(versions):
    a, _ = versions
    result = diff(a, a)
    assert result.is_empty
    assert result.changes == [] and result.proposals == []
    assert result.to_text() == "No differences."
    assert "No differences." in result.to_markdown()
    assert result.to_json()["counts"] == {}


def test_same_files_in_two_folders_is_empty(make_version):
    assert diff(make_version(V2014), make_version(V2014)).is_empty


def test_percent_and_fraction_spelling_is_not_a_rule_change(make_version):
    a, b = one(TIERS, TIERS.replace("90%", "0.9"))
    assert changes_of(make_version, a, b) == []


def test_trailing_blank_lines_in_guidance_are_not_a_change(make_version):
    a, b = one("", "", body_a="Hướng dẫn.\n", body_b="Hướng dẫn.\n\n\n")
    assert changes_of(make_version, a, b) == []


# -- one kind at a time --------------------------------------------------------------


def test_reweighted(make_version):
    a, b = one("", "", max_points="1.5")
    [change] = changes_of(make_version, a, b)
    assert change.kind == "reweighted"
    assert (change.before, change.after) == ({"max_points": 2}, {"max_points": 1.5})
    assert change.summary == "points 2 → 1.5"
    assert isinstance(change.before["max_points"], int)


def test_tier_condition_and_points(make_version):
    changed = TIERS.replace("ty_le >= 90%, points: 2", "ty_le >= 95%, points: 1.5").replace(
        "points: 1}", "points: 0.5}"
    )
    [change] = changes_of(make_version, *one(TIERS, changed))
    assert change.kind == "rule_changed"
    assert (
        change.summary == "tier 1: ty_le ≥ 90% → ty_le ≥ 95%, points 2 → 1.5; tier 2 points 1 → 0.5"
    )
    assert change.before["scoring"]["tiers"][0] == {"when": "ty_le >= 90%", "points": 2}
    assert change.after["scoring"]["tiers"][0] == {"when": "ty_le >= 95%", "points": 1.5}


def test_tier_added(make_version):
    more = TIERS.replace(
        "    - {otherwise", "    - {when: ty_le >= 20%, points: 0.5}\n    - {otherwise"
    )
    [change] = changes_of(make_version, *one(TIERS, more))
    assert change.summary == "3 → 4 tiers; tier 3 added (ty_le ≥ 20% → 0.5 points)"
    [back] = changes_of(make_version, *one(more, TIERS))
    assert back.summary == "4 → 3 tiers; tier 3 removed (ty_le ≥ 20% → 0.5 points)"


def test_scoring_kind_changed(make_version):
    ratio = """
inputs:
  ty_le: {type: ratio, label: Tỷ lệ}
  so: {type: count, label: Số}
  tong: {type: count, label: Tổng}
scoring: {kind: ratio, numerator: so, denominator: tong, on_zero: full}
"""
    kinds = [c.kind for c in changes_of(make_version, *one(TIERS, ratio))]
    assert kinds == ["rule_changed", "inputs_changed"]
    [rule] = changes_of(make_version, *one(TIERS, ratio), kind="rule_changed")
    assert rule.summary == "tiers → ratio"


def test_ratio_denominator_and_on_zero(make_version):
    ratio = """
inputs:
  so: {type: count, label: Số}
  tong: {type: count, label: Tổng}
  tong_moi: {type: count, label: Tổng mới}
scoring: {kind: ratio, numerator: so, denominator: tong, on_zero: full}
"""
    changed = ratio.replace("denominator: tong,", "denominator: tong_moi,").replace("full", "zero")
    [change] = changes_of(make_version, *one(ratio, changed))
    assert change.summary == "denominator: tong → tong_moi; on_zero: full → zero"
    assert change.before == {
        "scoring": {"kind": "ratio", "numerator": "so", "denominator": "tong", "on_zero": "full"}
    }


def test_linear_thresholds_and_formula(make_version):
    linear = """
inputs:
  ty_le: {type: ratio, label: Tỷ lệ}
scoring: {kind: linear, of: ty_le, thresholds: [{at: 0, points: 0}, {at: 100%, points: 2}]}
"""
    [change] = changes_of(make_version, *one(linear, linear.replace("at: 0,", "at: 30%,")))
    assert change.summary == "thresholds: [at 0: 0, at 1: 2] → [at 0.3: 0, at 1: 2]"
    formula = """
inputs:
  a: {type: number, label: A}
scoring: {kind: formula, expression: a * 2}
"""
    [change] = changes_of(make_version, *one(formula, formula.replace("a * 2", "a * 2 + 1")))
    assert change.summary == "expression: a * 2 → a * 2 + 1"


def test_bonus_added_and_cap_changed(make_version):
    bonus = TIERS + "bonus: {cap: 0.5, rules: [{when: ty_le >= 99%, points: 0.5}]}\n"
    [change] = changes_of(make_version, *one(TIERS, bonus))
    assert (change.kind, change.summary) == ("rule_changed", "bonus added (cap 0.5)")
    assert change.before == {"bonus": None}
    assert change.after == {
        "bonus": {"cap": 0.5, "rules": [{"when": "ty_le >= 99%", "points": 0.5}]}
    }
    [change] = changes_of(make_version, *one(bonus, bonus.replace("cap: 0.5", "cap: 1")))
    assert change.summary == "bonus cap 0.5 → 1"


def test_inputs_changed(make_version):
    changed = TIERS.replace(
        "{type: ratio, label: Tỷ lệ}",
        "{type: ratio, label: Tỷ lệ hoàn thành, min: 10%}\n  ghi_chu: {type: bool, label: Ghi chú}",
    )
    [change] = changes_of(make_version, *one(TIERS, changed))
    assert change.kind == "inputs_changed"
    assert change.summary == (
        "ty_le: label “Tỷ lệ” → “Tỷ lệ hoàn thành”, min — → 0.1; added ghi_chu (bool, “Ghi chú”)"
    )
    assert change.before == {"inputs": {"ty_le": {"type": "ratio", "label": "Tỷ lệ"}}}
    assert set(change.after["inputs"]) == {"ty_le", "ghi_chu"}


def test_input_retyped_and_removed(make_version):
    a = """
inputs:
  so: {type: count, label: Số}
  cu: {type: bool, label: Cũ}
scoring: {kind: formula, expression: so}
"""
    b = """
inputs:
  so: {type: number, label: Số}
scoring: {kind: formula, expression: so}
"""
    [change] = changes_of(make_version, *one(a, b))
    assert change.summary == "so: type count → number; removed cu"


def test_guidance_changed_has_unified_diff(make_version):
    body_a = "Dòng một.\nDòng hai.\nDòng ba.\nDòng bốn.\n"
    body_b = "Dòng một.\nDòng hai đã sửa.\nDòng ba.\nDòng bốn.\n"
    [change] = changes_of(make_version, *one("", "", body_a=body_a, body_b=body_b))
    assert change.kind == "guidance_changed"
    assert change.after["diff"] == [
        "@@ -1,3 +1,3 @@",
        " Dòng một.",
        "-Dòng hai.",
        "+Dòng hai đã sửa.",
        " Dòng ba.",
    ]
    assert change.summary == "guidance edited (+1 −1 lines)"


def test_source_changed_only_lists_changed_keys(make_version):
    src = 'source: {decision: 1880/QĐ-UBND, date: 2013-10-31, row: "1.1"}'
    [change] = changes_of(make_version, *one(src, src.replace("2013-10-31", "2014-01-02")))
    assert (change.before, change.after) == ({"date": "2013-10-31"}, {"date": "2014-01-02"})
    ill = changes_of(make_version, *one(src, "source: {illustrative: true}"))
    assert ill[0].after == {"decision": None, "date": None, "row": None, "illustrative": True}
    assert "illustrative — → yes" in ill[0].summary


def test_assessed_by_and_applicability(make_version):
    a, b = one("", "assessed_by: survey\napplicability: {allow_not_applicable: true}")
    kinds = [c.kind for c in changes_of(make_version, a, b)]
    # A survey node gets the survey scoring kind implicitly: that is a rule change too.
    assert kinds == ["rule_changed", "applicability_changed", "assessed_by_changed"]
    [assessed] = changes_of(make_version, a, b, kind="assessed_by_changed")
    assert assessed.summary == "assessed by self → survey"


def test_added_and_removed(make_version):
    files_a = {"linh-vuc/_node.md": FIELD, "linh-vuc/tieu-chi.md": criterion("")}
    files_b = {
        "linh-vuc/_node.md": FIELD,
        "linh-vuc/moi.md": criterion("", id="moi", code='"1.2"', title="Tiêu chí mới"),
    }
    result = diff(make_version(files_a), make_version(files_b))
    assert [(c.kind, c.id) for c in result.changes] == [("added", "moi"), ("removed", "tieu-chi")]
    added, removed = result.changes
    assert added.after == {"parent": "linh-vuc", "parent_code": "1", "max_points": 2}
    assert removed.code == "1.1" and removed.title == "Tiêu chí thử"
    assert removed.summary == "removed (2 points)"


# -- pairing --------------------------------------------------------------------------


def test_no_propagation_to_parents(make_version):
    a, b = one(TIERS, TIERS.replace("90%", "80%"))
    result = diff(make_version(a), make_version(b))
    assert [c.id for c in result.changes] == ["tieu-chi"]


def test_moved_between_fields(make_version):
    files_a = {
        "linh-vuc/_node.md": FIELD,
        "linh-vuc-hai/_node.md": OTHER_FIELD,
        "linh-vuc/tieu-chi.md": criterion(""),
    }
    files_b = {
        "linh-vuc/_node.md": FIELD,
        "linh-vuc-hai/_node.md": OTHER_FIELD,
        "linh-vuc-hai/tieu-chi.md": criterion("", code='"2.1"'),
    }
    kinds = [(c.kind, c.before, c.after) for c in changes_of(make_version, files_a, files_b)]
    assert kinds == [
        (
            "moved",
            {"parent": "linh-vuc", "parent_code": "1"},
            {"parent": "linh-vuc-hai", "parent_code": "2"},
        ),
        ("renumbered", {"code": "1.1"}, {"code": "2.1"}),
    ]


def test_parent_renamed_through_replaces_is_not_a_move(make_version):
    renamed_field = node("""
id: linh-vuc-moi
code: "1"
title: Lĩnh vực một (sửa đổi)
max_points: 10
replaces: [linh-vuc]
""")
    files_a = {"linh-vuc/_node.md": FIELD, "linh-vuc/tieu-chi.md": criterion("")}
    files_b = {"linh-vuc-moi/_node.md": renamed_field, "linh-vuc-moi/tieu-chi.md": criterion("")}
    result = diff(make_version(files_a), make_version(files_b))
    [change] = result.changes
    assert change.kind == "renamed" and change.id == "linh-vuc-moi"
    assert change.before == {"title": "Lĩnh vực một", "id": "linh-vuc"}
    assert change.after == {"title": "Lĩnh vực một (sửa đổi)", "id": "linh-vuc-moi"}


def test_merge_pairs_first_and_reports_others_removed(versions):
    result = diff(*versions)
    merged = [c for c in result.changes if c.id in ("bao-cao-cchc-dinh-ky", "thong-tin-bao-cao")]
    assert [(c.kind, c.id) for c in merged] == [
        ("renamed", "bao-cao-cchc-dinh-ky"),
        ("reweighted", "bao-cao-cchc-dinh-ky"),
        ("removed", "thong-tin-bao-cao"),
    ]
    assert merged[-1].after == {"replaced_by": "bao-cao-cchc-dinh-ky"}
    assert merged[-1].summary == "merged into 1.3 Báo cáo CCHC định kỳ"
    assert "bao-cao-cchc" not in {c.id for c in result.changes}


def test_split_pairs_each_part(make_version):
    files_a = {"linh-vuc/_node.md": FIELD, "linh-vuc/tieu-chi.md": criterion("")}
    files_b = {
        "linh-vuc/_node.md": FIELD,
        "linh-vuc/phan-a.md": criterion(
            "replaces: [tieu-chi]", id="phan-a", title="Tiêu chí thử (a)", max_points="1"
        ),
        "linh-vuc/phan-b.md": criterion(
            "replaces: [tieu-chi]",
            id="phan-b",
            code='"1.2"',
            title="Tiêu chí thử (b)",
            max_points="1",
        ),
    }
    result = diff(make_version(files_a), make_version(files_b))
    assert [(c.kind, c.id) for c in result.changes] == [
        ("renamed", "phan-a"),
        ("reweighted", "phan-a"),
        ("renamed", "phan-b"),
        ("renumbered", "phan-b"),
        ("reweighted", "phan-b"),
    ]
    assert result.changes[0].after["split_from"] == "tieu-chi"
    assert result.changes[0].summary.endswith("; split from tieu-chi")


def test_kept_id_that_replaces_another_absorbs_it(make_version):
    files_a = {
        "linh-vuc/_node.md": FIELD,
        "linh-vuc/tieu-chi.md": criterion(""),
        "linh-vuc/cu.md": criterion("", id="cu", code='"1.2"', title="Cũ"),
    }
    files_b = {"linh-vuc/_node.md": FIELD, "linh-vuc/tieu-chi.md": criterion("replaces: [cu]")}
    [change] = changes_of(make_version, files_a, files_b)
    assert (change.kind, change.id, change.after) == ("removed", "cu", {"replaced_by": "tieu-chi"})


def test_changes_are_ordered_by_target_then_removed_by_source(versions):
    result = diff(*versions)
    a, b = versions
    order_b = [n.id for n in b.walk()]
    order_a = [n.id for n in a.walk()]
    kept = [c for c in result.changes if c.kind != "removed"]
    removed = [c for c in result.changes if c.kind == "removed"]
    assert result.changes == kept + removed
    assert [order_b.index(c.id) for c in kept] == sorted(order_b.index(c.id) for c in kept)
    assert [order_a.index(c.id) for c in removed] == sorted(order_a.index(c.id) for c in removed)
    for node_id in {c.id for c in kept}:
        kinds = [KINDS.index(c.kind) for c in kept if c.id == node_id]
        assert kinds == sorted(kinds)


# -- diff_nodes --------------------------------------------------------------------------


def parsed(text: str):
    result, problems = parse_node(text)
    assert result is not None and not problems, problems
    return result


def test_diff_nodes_compares_one_node():
    old = parsed(criterion(TIERS))
    new = parsed(criterion(TIERS.replace("90%", "95%"), max_points="2.5"))
    changes = diff_nodes(old, new)
    assert [c.kind for c in changes] == ["reweighted", "rule_changed"]
    assert changes[1].summary == "tier 1: ty_le ≥ 90% → ty_le ≥ 95%"
    assert diff_nodes(old, old) == []


def test_diff_nodes_compares_raw_parent_ids():
    old = dataclasses.replace(parsed(criterion("")), parent="a")
    new = dataclasses.replace(old, parent="b", max_points=Decimal(3))
    changes = diff_nodes(old, new)
    assert [(c.kind, c.before, c.after) for c in changes] == [
        ("moved", {"parent": "a"}, {"parent": "b"}),
        ("reweighted", {"max_points": 2}, {"max_points": 3}),
    ]


# -- reports ------------------------------------------------------------------------------


def test_text_groups_by_kind(versions):
    text = diff(*versions).to_text()
    assert "\nRemoved (3)\n" in text
    assert "  1.1.3  Kiểm tra công tác CCHC — removed (1 point)" in text
    assert text.index("Added (") < text.index("Removed (") < text.index("Renamed (")


def test_markdown_escapes_pipes(make_version):
    a, b = one("", "", title="Tiêu chí | có gạch")
    md = diff(make_version(a), make_version(b)).to_markdown()
    assert "| 1.1 | Tiêu chí \\| có gạch |" in md
