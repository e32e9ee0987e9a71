"""Rankings and evaluations out to Excel and Word: the sheets' structure, and the totals
recalculated by LibreOffice equal to the engine's exact Decimal totals — on the 876
provincial sample cohort (63 provinces, 2023) and on values with tricky decimals."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from evaluators import CompiledEngine, Ranking, rank_path, ranking_chart, render_chart
from methodology import Store
from server.office import results_document, results_workbook
from tests.office.helpers import convert

SAMPLES = Path(__file__).resolve().parents[2] / "methodology/bundled/submissions/par-provincial"
FIRST = 5  # first unit row of the `Xếp hạng` sheet
FIRST_CRITERIA = 6  # … and of `Điểm tiêu chí`


@pytest.fixture(scope="module")
def provinces(template_store: Path) -> Ranking:
    """The 63 provinces' 2023 samples ranked under 876/QĐ-BNV (par-provincial@2022)."""
    return rank_path(
        Store.open(template_store), "par-provincial@2022", SAMPLES / "2023", CompiledEngine()
    )


@pytest.fixture(scope="module")
def workbook_bytes(provinces: Ranking) -> bytes:
    docs = [r.to_json(explain=False) for r in provinces.results]
    return results_workbook(
        docs, provinces.to_json(), title="Xếp hạng các tỉnh năm 2023", about={"Kỳ": "2023"}
    )


def _headers(sheet: Any, row: int = 4) -> dict[str, int]:
    return {c.value: c.column for c in sheet[row] if c.value is not None}


def test_the_ranking_sheet_has_a_row_per_unit_with_ranks_bands_and_formulas(
    provinces, workbook_bytes
):
    book = load_workbook(io.BytesIO(workbook_bytes))
    assert book.sheetnames == ["Xếp hạng", "Điểm tiêu chí", "Thông tin"]
    sheet = book["Xếp hạng"]
    at = _headers(sheet)
    for name in ("Hạng", "Mã đơn vị", "Đơn vị", "Tổng điểm", "Chỉ số", "Xếp loại", "Ghi chú"):
        assert name in at, name
    fields = provinces.results[0].nodes
    field_headers = [h for h in at if h[:2] in {f"{f.code}." for f in fields}]
    assert len(field_headers) == len(fields) == 8
    assert "5. Cải cách chế độ công vụ (tối đa 15,5)" in at  # a decimal comma
    assert [f"Hạng lĩnh vực {f.code}" in at for f in fields] == [True] * 8
    rows = list(sheet.iter_rows(min_row=FIRST, values_only=True))
    assert len(rows) == len(provinces.units) == 63
    for row, unit in zip(rows, provinces.units, strict=True):
        assert row[at["Mã đơn vị"] - 1] == unit.unit
        assert row[at["Hạng"] - 1] == unit.rank
        assert row[at["Xếp loại"] - 1] == unit.band
        total = row[at["Tổng điểm"] - 1]
        assert total.startswith("=ROUND(SUM(") and total.endswith(",2)")
        for f in fields:
            cell = row[at[f"Hạng lĩnh vực {f.code}"] - 1]
            assert cell == unit.field_ranks[f.id]
        field_cells = [row[at[h] - 1] for h in field_headers]
        assert all(c.startswith("=ROUND(SUM('Điểm tiêu chí'!") for c in field_cells)
    criteria = book["Điểm tiêu chí"]
    assert criteria["A3"].value == "Mã đơn vị" and criteria["A5"].value == "Điểm tối đa"
    n_criteria = sum(len(f.children) for f in fields)
    assert criteria.max_column == 2 + n_criteria == 39
    assert criteria.max_row == FIRST_CRITERIA + 63 - 1


def _recalculated(data: bytes, tmp_path: Path, name: str = "book") -> Any:
    """The workbook as LibreOffice recalculates it on load (saved back as xlsx)."""
    source = tmp_path / f"{name}.xlsx"
    source.write_bytes(data)
    out = tmp_path / "recalculated"
    out.mkdir(exist_ok=True)
    converted = convert(source, "xlsx", out)
    return load_workbook(converted, data_only=True)


def _exact(value: Any) -> Decimal | None:
    return None if value is None else Decimal(repr(value))


@pytest.mark.slow  # LibreOffice
def test_libreoffice_recalculates_every_total_to_the_engines_decimal(
    provinces, workbook_bytes, tmp_path
):
    assert load_workbook(io.BytesIO(workbook_bytes), data_only=True)["Xếp hạng"]["D5"].value is None
    sheet = _recalculated(workbook_bytes, tmp_path)["Xếp hạng"]
    at = _headers(sheet)
    checked = 0
    for i, unit in enumerate(provinces.units):
        row = FIRST + i
        result = next(r for r in provinces.results if r.unit == unit.unit)
        assert _exact(sheet.cell(row, at["Tổng điểm"]).value) == result.total, unit.unit
        for f in result.nodes:
            header = next(h for h in at if h.startswith(f"{f.code}. "))
            assert _exact(sheet.cell(row, at[header]).value) == f.points, (unit.unit, f.code)
            checked += 1
    assert checked == 63 * 8


# -- tricky decimals ------------------------------------------------------------------


def _node(id_: str, max_points: str, points: Decimal | None, status: str = "scored", kids=()):
    return {
        "id": id_,
        "code": id_.removeprefix("n"),
        "title": f"Mục {id_}",
        "max_points": float(Decimal(max_points)),
        "points": None if points is None else float(points),
        "applicable_max": float(Decimal(max_points)),
        "status": status,
        "children": list(kids),
    }


def _tricky_results(n: int = 40) -> tuple[list[dict[str, Any]], dict[str, dict[str, Decimal]]]:
    """Results whose criteria points are sums that binary floats get wrong (0.1 + 0.2 …),
    with a capped field, a not applicable criterion and field, and an incomplete unit."""
    rng = random.Random(13)
    tricky = [Decimal(x) for x in ("0.1", "0.2", "0.7", "1.15", "2.675", "0.335", "33.33", "0.01")]
    docs, expected = [], {}
    for u in range(n):
        f1 = [rng.choice(tricky) + Decimal(rng.randint(0, 300)) / 1000 for _ in range(7)]
        f2 = [Decimal(rng.randint(0, 6000)) / 1000 for _ in range(3)]  # capped at 10
        f2_points = min(sum(f2, Decimal(0)), Decimal(10))
        f4 = [rng.choice(tricky) for _ in range(2)]
        fields = [
            _node(
                "n1",
                "60",
                sum(f1, Decimal(0)),
                kids=[_node(f"n1.{i}", "9", p) for i, p in enumerate(f1)],
            ),
            _node("n2", "10", f2_points, kids=[_node(f"n2.{i}", "6", p) for i, p in enumerate(f2)]),
            _node(
                "n3", "5", None, "not_applicable", kids=[_node("n3.1", "5", None, "not_applicable")]
            ),
            _node(
                "n4",
                "5",
                sum(f4, Decimal(0)),
                kids=[
                    _node("n4.1", "2", f4[0]),
                    _node("n4.2", "1", None, "not_applicable"),
                    _node("n4.3", "2", f4[1]),
                ],
            ),
        ]
        total = sum((_dec(f["points"]) for f in fields if f["points"] is not None), Decimal(0))
        incomplete = u == n - 1
        if incomplete:
            fields[0]["points"] = None
            fields[0]["status"] = "missing"
            fields[0]["children"][0].update(points=None, status="missing")
        docs.append(
            {
                "unit": f"u{u:02d}",
                "unit_name": f"Đơn vị {u}",
                "total": None if incomplete else float(total),
                "index": None if incomplete else float(total),
                "applicable_max": 75,
                "complete": not incomplete,
                "nodes": fields,
            }
        )
        expected[f"u{u:02d}"] = {
            "total": None if incomplete else total,
            "n1": None if incomplete else _dec(fields[0]["points"]),
            "n2": f2_points,
            "n4": _dec(fields[3]["points"]),
        }
    return docs, expected


def _dec(value: Any) -> Decimal:
    return Decimal(repr(value))


@pytest.mark.slow  # LibreOffice
def test_tricky_decimals_sum_exactly_after_recalculation(tmp_path):
    docs, expected = _tricky_results()
    # The values are tricky: adding their doubles misses the decimal sum for some units.
    assert any(
        sum(float(k["points"]) for k in d["nodes"][0]["children"])
        != float(expected[d["unit"]]["n1"])
        for d in docs
        if d["complete"]
    )
    data = results_workbook(docs, title="Giá trị khó")
    written = load_workbook(io.BytesIO(data))["Kết quả"]
    at = _headers(written)
    capped = written.cell(FIRST, at["2. Mục n2 (tối đa 10)"]).value
    assert capped.startswith("=ROUND(MIN(SUM(") and ",10)," in capped
    assert written.cell(FIRST, at["3. Mục n3 (tối đa 5)"]).value is None  # not applicable
    last = FIRST + len(docs) - 1
    assert written.cell(last, at["Tổng điểm"]).value is None  # incomplete: no total
    assert written.cell(last, at["Ghi chú"]).value == "thiếu dữ liệu"
    total = written.cell(FIRST, at["Tổng điểm"]).value
    assert total.endswith(",3)")  # rounded to the points' own decimals
    # openpyxl writes no cached values: whatever a formula cell holds later, LibreOffice computed.
    assert (
        load_workbook(io.BytesIO(data), data_only=True)["Kết quả"]
        .cell(FIRST, at["Tổng điểm"])
        .value
        is None
    )

    sheet = _recalculated(data, tmp_path, "tricky")["Kết quả"]
    for i, d in enumerate(docs):
        row, want = FIRST + i, expected[d["unit"]]
        assert _exact(sheet.cell(row, at["Tổng điểm"]).value) == want["total"], d["unit"]
        assert _exact(sheet.cell(row, at["1. Mục n1 (tối đa 60)"]).value) == want["n1"]
        assert _exact(sheet.cell(row, at["2. Mục n2 (tối đa 10)"]).value) == want["n2"]
        assert _exact(sheet.cell(row, at["4. Mục n4 (tối đa 5)"]).value) == want["n4"]


# -- Word -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def document_bytes(provinces: Ranking) -> bytes:
    ranking = provinces.to_json()
    chart = render_chart(ranking_chart(ranking), "png")
    docs = [r.to_json(explain=False) for r in provinces.results]
    return results_document(
        docs, ranking, title="Xếp hạng các tỉnh năm 2023", about={"Kỳ": "2023"}, chart=chart
    )


def test_the_word_report_has_the_tables_and_the_chart(provinces, document_bytes):
    doc = Document(io.BytesIO(document_bytes))
    assert doc.paragraphs[0].text == "Xếp hạng các tỉnh năm 2023"
    assert len(doc.inline_shapes) == 1  # the chart
    blob = doc.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    assert doc.part.related_parts[blob].content_type == "image/png"
    fields, ranking = doc.tables
    assert [c.text for c in fields.rows[0].cells] == [
        "Mã",
        "Lĩnh vực",
        "Điểm tối đa",
        "Số tiêu chí",
    ]
    assert len(fields.rows) == 1 + 8
    header = [c.text for c in ranking.rows[0].cells]
    assert header[:5] == ["Hạng", "Đơn vị", "Tổng điểm", "Chỉ số", "Xếp loại"]
    assert header[5:] == [f"LV {i}" for i in range(1, 9)]
    assert len(ranking.rows) == 1 + 63
    first = provinces.units[0]
    cells = [c.text for c in ranking.rows[1].cells]
    assert cells[0] == str(first.rank) and cells[1] == first.name
    assert cells[3] == f"{first.index:.2f}".replace(".", ",")  # Vietnamese decimals
    section = doc.sections[0]
    assert section.page_width > section.page_height  # landscape A4


@pytest.mark.slow  # LibreOffice
def test_the_word_report_converts_to_pdf(document_bytes, tmp_path):
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(document_bytes)
    pdf = convert(source, "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        words = " ".join(unicodedata.normalize("NFC", text).split())
        assert "Bảng xếp hạng" in words and "Hải Phòng" in words
