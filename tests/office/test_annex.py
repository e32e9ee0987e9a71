"""The annex as the Ministry publishes it, read back with python-docx and openpyxl."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt
from openpyxl import load_workbook

from methodology import Methodology, Store, open_methodology
from server.format import vi_number
from server.labels import DERIVATION_LABELS, OPTIONAL_EVIDENCE
from server.office import annex_docx, annex_xlsx
from server.office.annex import (
    DERIVED_HEADER,
    HEADERS,
    MACHINE_HEADERS,
    SHEET,
    TOTAL_LABEL,
)
from tests.office.helpers import convert

NATIONAL = "par-provincial@par-provincial/2022"
DERIVED = "daklak-so@daklak-so/2022"


@pytest.fixture(scope="module")
def national(shared_store: Store) -> Methodology:
    return open_methodology(shared_store, NATIONAL)


@pytest.fixture(scope="module")
def derived(shared_store: Store) -> Methodology:
    return open_methodology(shared_store, DERIVED)


@pytest.fixture(scope="module")
def docx_bytes(shared_store: Store, national: Methodology) -> bytes:
    return annex_docx(national, shared_store.releases())


@pytest.fixture(scope="module")
def xlsx_bytes(shared_store: Store, national: Methodology) -> bytes:
    return annex_xlsx(national, shared_store.releases())


def _cells(row) -> list[str]:
    return [cell.text for cell in row.cells]


def test_the_word_annex_is_a4_landscape_in_times_new_roman(docx_bytes: bytes):
    document = Document(io.BytesIO(docx_bytes))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert abs(section.page_width - Cm(29.7)) < Cm(0.01)
    assert abs(section.page_height - Cm(21)) < Cm(0.01)
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    title = "\n".join(p.text for p in document.paragraphs)
    assert "PHỤ LỤC" in title
    assert "Quyết định số 876/QĐ-BNV ngày 10/11/2022 của Bộ Nội vụ" in title
    assert {r.font.size for p in document.paragraphs for r in p.runs} == {Pt(14)}
    (table,) = document.tables
    runs = [run for row in table.rows for c in row.cells for p in c.paragraphs for run in p.runs]
    assert {run.font.size or normal.font.size for run in runs} == {Pt(13)}
    assert {run.font.name or normal.font.name for run in runs} == {"Times New Roman"}


def test_every_node_is_a_row_in_code_order_with_its_points_rule_and_evidence(
    docx_bytes: bytes, national: Methodology
):
    (table,) = Document(io.BytesIO(docx_bytes)).tables
    rows = [_cells(r) for r in table.rows]
    assert tuple(rows[0]) == HEADERS
    nodes = list(national.walk())
    body = rows[1:-1]
    assert [r[0] for r in body] == [n.code for n in nodes]
    assert len(body) == 133
    assert [r[1] for r in body] == [n.title for n in nodes]
    assert [r[2] for r in body] == [vi_number(n.max_points) for n in nodes]
    for row, node in zip(body, nodes, strict=True):
        if node.scoring is not None:
            assert row[3] == node.scoring.describe(node.max_points)  # the node page's words
        assert row[4] == "\n".join(
            e.title + ("" if e.required else OPTIONAL_EVIDENCE) for e in node.evidence
        )
        assert ("minh hoạ" in row[5]) == (node.provenance == "illustrative")
    # 1.1.1 ends with "0,5 điểm": decimals with a comma, as the page shows them
    tier = next(r for r in body if r[0] == "1.1.1")
    assert "0,5 điểm" in tier[3]
    total = rows[-1]
    assert total[1] == TOTAL_LABEL and total[2] == vi_number(national.total) == "100"
    fields = [n for n in national.roots()]
    assert sum((f.max_points for f in fields), Decimal(0)) == national.total


def test_fields_are_bold_and_nothing_else_is(docx_bytes: bytes, national: Methodology):
    (table,) = Document(io.BytesIO(docx_bytes)).tables
    fields = {n.code for n in national.roots()}
    for row in list(table.rows)[1:-1]:
        runs = [run for c in row.cells for p in c.paragraphs for run in p.runs]
        bold = {bool(run.bold) for run in runs}
        assert bold == ({True} if row.cells[0].text in fields else {False}), row.cells[0].text
    total_runs = [run for c in table.rows[-1].cells for p in c.paragraphs for run in p.runs]
    assert all(run.bold for run in total_runs)


def test_a_derived_index_marks_each_row_inherited_overridden_or_local(
    shared_store: Store, derived: Methodology
):
    document = Document(io.BytesIO(annex_docx(derived, shared_store.releases())))
    (table,) = document.tables
    rows = [_cells(r) for r in table.rows]
    assert rows[0][-1] == DERIVED_HEADER
    statuses = set()
    for row, node in zip(rows[1:-1], derived.walk(), strict=True):
        status = derived.derivation[node.id].status
        statuses.add(status)
        assert row[-1].startswith(DERIVATION_LABELS[status]), (node.id, row[-1])
    assert {"overridden", "local"} <= statuses
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2854/QĐ-UBND" in text and "dẫn xuất từ par-provincial" in text


def test_the_workbook_holds_the_same_table_on_one_sheet(xlsx_bytes: bytes, national: Methodology):
    workbook = load_workbook(io.BytesIO(xlsx_bytes))
    assert workbook.sheetnames == [SHEET]
    sheet = workbook[SHEET]
    assert not sheet.merged_cells.ranges
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == str(sheet.PAPERSIZE_A4)
    header = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "STT")
    assert [c.value for c in sheet[header]] == [*HEADERS, *MACHINE_HEADERS]
    nodes = list(national.walk())
    body = list(sheet.iter_rows(min_row=header + 1, max_row=header + len(nodes)))
    assert [r[0].value for r in body] == [n.code for n in nodes]  # codes are text
    assert all(isinstance(r[0].value, str) for r in body)
    assert [Decimal(str(r[2].value)) for r in body] == [n.max_points for n in nodes]
    assert [r[6].value for r in body] == [n.id for n in nodes]
    fields = {n.code for n in national.roots()}
    for row in body:
        assert row[1].font.name == "Times New Roman"
        assert bool(row[1].font.b) == (row[0].value in fields)
    total = sheet[header + len(nodes) + 1]
    assert total[1].value == TOTAL_LABEL and total[2].value == 100
    formulas = [c for r in sheet.iter_rows() for c in r if c.data_type == "f"]
    assert formulas == []


@pytest.mark.slow  # LibreOffice in a subprocess
def test_libreoffice_opens_the_annex_and_the_workbook(tmp_path: Path, docx_bytes, xlsx_bytes):
    (tmp_path / "annex.docx").write_bytes(docx_bytes)
    pdf = convert(tmp_path / "annex.docx", "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000
    (tmp_path / "annex.xlsx").write_bytes(xlsx_bytes)
    csv = convert(tmp_path / "annex.xlsx", "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path)
    text = csv.read_text(encoding="utf-8")
    assert "Ban hành kế hoạch CCHC năm" in text and "1.1.1" in text
