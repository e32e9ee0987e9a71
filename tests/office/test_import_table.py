"""Criteria tables in: the exported annex read back into a real store, cell by cell."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from methodology import Person, Store, diff, open_methodology
from server.office import annex_xlsx, plan_import, read_table, write_import
from server.office.annex import SHEET
from tests.office.conftest import refs

AUTHOR = Person("Biên tập viên", "bien-tap@parindex.invalid")
SLUG = "par-provincial"


def exported(store: Store, spec: str = SLUG) -> bytes:
    return annex_xlsx(open_methodology(store, spec))


def edited(data: bytes, change: Any) -> bytes:
    """``data`` with ``change(sheet, rows)`` applied; ``rows`` maps a code to its row."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[SHEET]
    rows = {
        c.value: c.row for (c,) in sheet.iter_rows(min_col=1, max_col=1) if isinstance(c.value, str)
    }
    change(sheet, rows)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def kinds(plan) -> list[tuple[str, str]]:
    return [(c.kind, c.id) for c in plan.diff.changes]


def test_the_exported_annex_imports_as_no_change_and_writes_nothing(fresh_store: Store):
    before = refs(fresh_store)
    plan = plan_import(fresh_store, SLUG, read_table(exported(fresh_store), "a.xlsx"))
    assert plan.unchanged and plan.diff.proposals == []
    assert write_import(fresh_store, plan, author=AUTHOR, message="x", branch="nhap/x") is None
    assert refs(fresh_store) == before


def test_an_exported_release_round_trips_too(fresh_store: Store):
    data = exported(fresh_store, f"{SLUG}@{SLUG}/2019")
    plan = plan_import(fresh_store, SLUG, read_table(data, "a.xlsx"), f"{SLUG}/2019")
    assert plan.unchanged


def test_a_title_edited_in_a_cell_is_exactly_one_rename_on_a_draft_branch(fresh_store: Store):
    main = fresh_store.head()

    def retitle(sheet, rows):
        sheet[f"B{rows['1.1.1']}"] = "Ban hành kế hoạch CCHC năm đúng hạn"

    plan = plan_import(fresh_store, SLUG, read_table(edited(exported(fresh_store), retitle)))
    assert kinds(plan) == [("renamed", "ban-hanh-ke-hoach-cchc")]
    commit = write_import(
        fresh_store, plan, author=AUTHOR, message="Đổi tên 1.1.1", branch="nhap/t"
    )
    assert commit is not None and fresh_store.head("nhap/t") == commit
    assert fresh_store.head() == main  # the default branch does not move
    draft = open_methodology(fresh_store, f"{SLUG}@nhap/t")
    assert draft.nodes["ban-hanh-ke-hoach-cchc"].title == "Ban hành kế hoạch CCHC năm đúng hạn"
    # the guidance, the rule and the source of the node are kept
    head = open_methodology(fresh_store, SLUG)
    assert [(c.kind, c.id) for c in diff(head, draft).changes] == kinds(plan)
    old, new = head.nodes["ban-hanh-ke-hoach-cchc"], draft.nodes["ban-hanh-ke-hoach-cchc"]
    assert (old.guidance, old.scoring, old.source) == (new.guidance, new.scoring, new.source)
    assert fresh_store.commit_info(commit).summary.startswith("Đổi tên 1.1.1")


def test_points_typed_with_a_comma_or_a_point_are_exactly_those_reweightings(fresh_store: Store):
    def reweight(sheet, rows):
        sheet[f"C{rows['8.1.1']}"] = "3,0"  # text with a decimal comma
        sheet[f"C{rows['8.1.2']}"] = 4.0

    plan = plan_import(fresh_store, SLUG, read_table(edited(exported(fresh_store), reweight)))
    assert kinds(plan) == [
        ("reweighted", "hai-long-tiep-can-dich-vu"),
        ("reweighted", "hai-long-thu-tuc-hanh-chinh"),
    ]
    assert [c.after["max_points"] for c in plan.diff.changes] == [3, 4]
    assert write_import(fresh_store, plan, author=AUTHOR, message="Điểm 8.1", branch="nhap/d")
    draft = open_methodology(fresh_store, f"{SLUG}@nhap/d")
    assert draft.nodes["hai-long-tiep-can-dich-vu"].max_points == Decimal("3")


def test_a_code_retyped_with_its_id_is_a_renumbering(fresh_store: Store):
    def renumber(sheet, rows):
        sheet[f"A{rows['8.1.3']}"] = "8.1.4"

    plan = plan_import(fresh_store, SLUG, read_table(edited(exported(fresh_store), renumber)))
    assert kinds(plan) == [("renumbered", "hai-long-phuc-vu-cong-chuc")]


def test_a_renamed_code_without_an_id_is_detected_as_a_rename(fresh_store: Store):
    """A table typed by hand has no id column: the code no longer matches, and the
    diff's rename detector pairs the row with the node it continues."""

    def retype(sheet, rows):
        row = rows["8.1.3"]
        sheet[f"A{row}"] = "8.1.4"
        sheet[f"B{row}"] = "Sự hài lòng về sự phục vụ của cán bộ, công chức"
        for (cell,) in sheet.iter_rows(min_col=7, max_col=7):
            cell.value = None if cell.row > 5 else cell.value

    plan = plan_import(fresh_store, SLUG, read_table(edited(exported(fresh_store), retype)))
    assert kinds(plan) == [
        ("renamed", "hai-long-phuc-vu-cong-chuc"),
        ("renumbered", "hai-long-phuc-vu-cong-chuc"),
    ]


def test_a_row_replaced_by_another_criterion_is_one_addition_and_one_removal(fresh_store: Store):
    def replace_row(sheet, rows):
        row = rows["8.1.3"]
        sheet[f"B{row}"] = "Mức độ sử dụng dịch vụ công trực tuyến toàn trình"
        sheet[f"G{row}"] = None
        sheet[f"E{row}"] = "Báo cáo của Cổng dịch vụ công\nẢnh chụp màn hình (không bắt buộc)"

    plan = plan_import(fresh_store, SLUG, read_table(edited(exported(fresh_store), replace_row)))
    assert [k for k, _ in kinds(plan)] == ["added", "removed"]
    new_id = plan.diff.changes[0].id
    assert new_id.startswith("muc-do-su-dung-dich-vu-cong")
    assert plan.diff.changes[1].id == "hai-long-phuc-vu-cong-chuc"
    commit = write_import(fresh_store, plan, author=AUTHOR, message="Thay 8.1.3", branch="nhap/r")
    assert commit
    draft = open_methodology(fresh_store, f"{SLUG}@nhap/r")
    node = draft.nodes[new_id]
    assert (node.code, node.parent, node.max_points) == ("8.1.3", "hai-long-phuc-vu", 3.5)
    assert [(e.title, e.required) for e in node.evidence] == [
        ("Báo cáo của Cổng dịch vụ công", True),
        ("Ảnh chụp màn hình", False),
    ]
    assert "hai-long-phuc-vu-cong-chuc" not in draft.nodes


def test_a_rule_typed_in_the_machine_column_changes_the_rule(fresh_store: Store):
    def rule(sheet, rows):
        sheet[f"H{rows['1.1.1']}"] = (
            'kind: boolean\nwhen: thoi_han_ban_hanh_ke_hoach_cchc == "dung_han"'
        )

    plan = plan_import(fresh_store, SLUG, read_table(edited(exported(fresh_store), rule)))
    assert kinds(plan) == [("rule_changed", "ban-hanh-ke-hoach-cchc")]
    assert plan.candidate.nodes["ban-hanh-ke-hoach-cchc"].scoring.kind == "boolean"


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (lambda s, r: s.__setitem__(f"C{r['8.1.1']}", "ba"), "C", "không phải là một số"),
        (lambda s, r: s.__setitem__(f"C{r['8.1.1']}", 4), "C", "không hợp lệ"),
        (lambda s, r: s.__setitem__(f"H{r['1.1.1']}", "kind: [tiers"), "H", "YAML"),
        (lambda s, r: s.__setitem__(f"H{r['1.1.1']}", "kind: nope"), "H", "1.1.1"),
        (lambda s, r: s.__setitem__(f"A{r['1.1.2']}", "1.1.1"), "A", "trùng"),
        (lambda s, r: s.__setitem__(f"A{r['1.1.2']}", "1.9.2"), "A", "mục cha 1.9"),
    ],
    ids=["points-word", "sum-broken", "yaml", "unknown-kind", "duplicate-code", "orphan"],
)
def test_a_table_the_methodology_would_refuse_names_the_cell_and_writes_nothing(
    fresh_store: Store, change, where: str, words: str
):
    from server.office import OfficeError

    before = refs(fresh_store)
    data = edited(exported(fresh_store), change)
    with pytest.raises(OfficeError) as caught:
        plan_import(fresh_store, SLUG, read_table(data, "bảng.xlsx"))
    assert caught.value.where.startswith(f"{SHEET}!{where}"), str(caught.value)
    assert words in str(caught.value)
    assert refs(fresh_store) == before


def test_a_derived_index_is_refused(fresh_store: Store):
    from server.office import OfficeError

    data = exported(fresh_store, "daklak-so")
    with pytest.raises(OfficeError, match="overlay"):
        plan_import(fresh_store, "daklak-so", read_table(data, "a.xlsx"))


def test_a_draft_branch_is_named_after_the_time_and_never_reused(fresh_store: Store):
    import datetime as dt

    from server.office import draft_branch

    now = dt.datetime(2026, 12, 7, 15, 30, tzinfo=dt.UTC)
    first = draft_branch(fresh_store, SLUG, now)
    assert first == "nhap/par-provincial-20261207-153000"

    def retitle(sheet, rows):
        sheet[f"B{rows['1.1.1']}"] = "Ban hành kế hoạch CCHC năm đúng hạn"

    plan = plan_import(fresh_store, SLUG, read_table(edited(exported(fresh_store), retitle)))
    assert write_import(fresh_store, plan, author=AUTHOR, message="x", branch=first)
    assert draft_branch(fresh_store, SLUG, now) == f"{first}-2"


def test_the_methodologys_refusal_is_said_in_vietnamese(fresh_store: Store):
    """The validator's own message reaches the person in Vietnamese, as on the pages."""
    import re

    from server.office import OfficeError

    data = edited(exported(fresh_store), lambda s, r: s.__setitem__(f"C{r['8.1.1']}", 4))
    with pytest.raises(OfficeError) as caught:
        plan_import(fresh_store, SLUG, read_table(data, "bảng.xlsx"))
    said = caught.value.message
    english = re.findall(r"\b(?:children|points|add up|more than|set|lower|the)\b", said)
    assert not english, said
    assert "gợi ý" in said, said
