"""The change list as a Word document: grouped by kind in the table's order, each change
with what it was before and is after, in Vietnamese."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT

from methodology import CHANGE_KINDS, Store, diff, open_methodology
from server.office import changes_docx, changes_filename
from server.office.changes import CHANGE_HEADERS


@pytest.fixture(scope="module")
def versions(shared_store: Store):
    a = open_methodology(shared_store, "par-provincial@par-provincial/2019")
    b = open_methodology(shared_store, "par-provincial@par-provincial/2022")
    return a, b


@pytest.fixture(scope="module")
def document(shared_store: Store, versions):
    a, b = versions
    return Document(io.BytesIO(changes_docx(a, b, shared_store.releases())))


def test_each_kind_is_a_heading_and_a_table_in_the_order_of_the_kinds(document, versions):
    a, b = versions
    found = diff(a, b)
    groups = found.by_kind()
    order = [k.id for k in CHANGE_KINDS if k.id in groups]
    headings = [
        p.text for p in document.paragraphs if p.runs and p.runs[0].bold and p.text[0].isdigit()
    ]
    labels = {k.id: k.vi for k in CHANGE_KINDS}
    assert headings == [
        f"{i}. {labels[kind]} ({len(groups[kind])})" for i, kind in enumerate(order, 1)
    ]
    assert len(document.tables) == len(order)
    for table, kind in zip(document.tables, order, strict=True):
        assert tuple(c.text for c in table.rows[0].cells) == CHANGE_HEADERS
        numbered = [r.cells[0].text for r in table.rows[1:] if r.cells[0].text]
        assert numbered == [str(i) for i in range(1, len(groups[kind]) + 1)]
        codes = [r.cells[1].text for r in table.rows[1:] if r.cells[0].text]
        assert codes == [c.code for c in groups[kind]]
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"Tổng cộng {len(found.changes)} thay đổi" in text
    assert "1149/QĐ-BNV" in text and "876/QĐ-BNV" in text
    assert document.sections[0].orientation == WD_ORIENT.LANDSCAPE


def test_before_and_after_are_in_words(document):
    rows = [[c.text for c in r.cells] for t in document.tables for r in t.rows[1:]]
    added = next(
        r for r in rows if r[2] == "Đối thoại của lãnh đạo tỉnh với người dân, doanh nghiệp"
    )
    assert added[3:] == ["tên", "", "Đối thoại của lãnh đạo tỉnh với người dân, doanh nghiệp"]
    # reweightings read as points with a decimal comma, before and after
    points = [r for r in rows if r[3] == "điểm tối đa" and r[4] and r[5]]
    assert points and all("." not in r[4] + r[5] for r in points)
    assert any("," in r[4] + r[5] for r in points)
    # a changed rule is the scoring kind's own words on both sides
    rules = [r for r in rows if r[3] == "cách chấm điểm" and r[4] and r[5]]
    assert rules and all("điểm" in r[4] and "điểm" in r[5] for r in rules)


def test_two_equal_versions_say_so(shared_store: Store, versions):
    _, b = versions
    document = Document(io.BytesIO(changes_docx(b, b)))
    assert document.tables == []
    assert any("không có thay đổi nào" in p.text for p in document.paragraphs)
    assert changes_filename(b, b) == "Danh sách thay đổi par-provincial 2022 - 2022.docx"
