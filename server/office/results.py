"""Evaluations and rankings out to Excel and Word (báo cáo kết quả).

The workbook has one sheet per table: the units with their per-field points, total,
index, band and ranks (``Xếp hạng``, or ``Kết quả`` for evaluations without a ranking),
the criteria points behind every field (``Điểm tiêu chí``), and what was scored
(``Thông tin``). Field points and totals are Excel formulas over the cells they sum, so
a person can check them: a field is ``=ROUND(SUM('Điểm tiêu chí'!D7:J7),2)`` (``MIN`` of
that and its maximum when the field is capped), the total ``=ROUND(SUM(H5:O5),2)``.

Points are exact Decimals in the engine, rounded to the methodology's places at each
leaf, so every sum has at most that many decimals. A cell holds the double nearest to
the Decimal; adding doubles can be off in the 15th digit, which ``ROUND`` to the same
places removes, so a spreadsheet's total is the double nearest to the engine's total in
Excel, LibreOffice or any other program (tests/office/test_results_export.py recalculates
them with LibreOffice and compares). Indices, ranks and bands are values: they are the
engine's, not sums.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from server.office.files import DOCX, XLSX
from server.office.style import FONT, TABLE_FONT_PT, add_chart, new_document, xlsx_font

__all__ = [
    "DOCX",
    "XLSX",
    "heading",
    "results_document",
    "results_workbook",
    "table_row",
    "word_table",
]


CRITERIA_SHEET = "Điểm tiêu chí"
NOT_RANKED = "đánh giá, không xếp hạng"
INCOMPLETE = "thiếu dữ liệu"


Doc = Mapping[str, Any]  # a JSON document: `Result.to_json`, `Ranking.to_json`


def _dec(value: Any) -> Decimal | None:
    """A JSON number as the Decimal it was written from (the shortest repr of a float)."""
    if value is None:
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


class NodeResult:
    """A node of a result's JSON tree, read back with Decimal points."""

    def __init__(self, doc: Doc) -> None:
        self.id, self.code, self.title = doc["id"], doc["code"], doc["title"]
        self.max_points: Decimal = _dec(doc["max_points"]) or Decimal(0)
        self.points = _dec(doc.get("points"))
        self.status: str = doc["status"]
        self.children = [NodeResult(c) for c in doc.get("children") or []]

    def walk(self) -> Iterator[NodeResult]:
        yield self
        for child in self.children:
            yield from child.walk()


class Result:
    """A unit's result (`Result.to_json`, as the API stores it) with Decimal totals."""

    def __init__(self, doc: Doc) -> None:
        self.unit: str = doc["unit"]
        self.unit_name: str | None = doc.get("unit_name")
        self.total, self.index = _dec(doc.get("total")), _dec(doc.get("index"))
        self.applicable_max = _dec(doc.get("applicable_max"))
        self.complete: bool = bool(doc.get("complete", True))
        self.nodes = [NodeResult(n) for n in doc["nodes"]]

    def walk(self) -> Iterator[NodeResult]:
        for node in self.nodes:
            yield from node.walk()


class RankedUnit:
    def __init__(self, doc: Doc) -> None:
        self.unit: str = doc["unit"]
        self.rank: int | None = doc.get("rank")
        self.band: str | None = doc.get("band")
        self.ranked: bool = bool(doc.get("ranked", True))
        self.reason: str | None = doc.get("not_ranked_reason")
        self.field_ranks = {k: v.get("rank") for k, v in (doc.get("fields") or {}).items()}


class Ranking:
    """A ranking's JSON (`Ranking.to_json`, `GET /api/rankings`)."""

    def __init__(self, doc: Doc) -> None:
        self.units = [RankedUnit(u) for u in doc["units"]]
        self.bands: dict[str, int] = dict(doc.get("bands") or {})


@dataclass(frozen=True)
class _Column:
    """A field (top-level node) and the criteria (its children) summed into it."""

    node: NodeResult
    criteria: list[NodeResult]


def _layout(results: Sequence[Result]) -> list[_Column]:
    """Fields and criteria in the order of the first result's tree (all share a version)."""
    if not results:
        return []
    return [_Column(f, list(f.children) or [f]) for f in results[0].nodes]


def _places(results: Sequence[Result]) -> int:
    """Decimals of the points written (the methodology's rounding places)."""
    places = 2
    for r in results:
        for node in r.walk():
            if node.points is not None:
                places = max(places, -int(node.points.as_tuple().exponent))
    return places


def _plain(value: Decimal) -> str:
    """``15,5``: a maximum as people write it (no trailing zeros, a decimal comma)."""
    return f"{value.normalize():f}".replace(".", ",")


def _number(value: Decimal | None) -> float | None:
    # float(Decimal) is the correctly rounded nearest double.
    return None if value is None else float(value)


def _read(results: Sequence[Doc], ranking: Doc | None) -> tuple[list[Result], Ranking | None]:
    """The results in the ranking's order (their own without one), and the ranking."""
    read = [Result(r) for r in results]
    if ranking is None:
        return read, None
    ranked = Ranking(ranking)
    by_unit = {r.unit: r for r in read}
    return [by_unit[u.unit] for u in ranked.units if u.unit in by_unit], ranked


def _bands(ranking: Ranking) -> str:
    return ", ".join(f"loại {b}: {n}" for b, n in ranking.bands.items())


def results_workbook(
    results: Sequence[Doc],
    ranking: Doc | None = None,
    *,
    title: str,
    about: Mapping[str, str] | None = None,
) -> bytes:
    """The xlsx of ``results`` (`Result.to_json` documents, one per unit, one
    methodology version), ranked when ``ranking`` (`Ranking.to_json`) is given. ``about``
    lists what was scored (label → value) for the ``Thông tin`` sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname

    rows, ranking_ = _read(results, ranking)
    ranked = {u.unit: u for u in ranking_.units} if ranking_ else {}
    columns = _layout(rows)
    places = _places(rows)
    fmt = "0." + "0" * places if places else "0"
    bold, plain = xlsx_font(bold=True), xlsx_font()
    header_fill = PatternFill("solid", fgColor="DDE7F0")
    wrap = Alignment(wrap_text=True, vertical="top")

    book = Workbook()
    main: Any = book.active
    main.title = "Xếp hạng" if ranking else "Kết quả"
    criteria = book.create_sheet(CRITERIA_SHEET)

    # -- Điểm tiêu chí: rows 1 title, 3 field, 4 criterion, 5 maximum, 6.. units ----------
    first_row = 6
    criteria["A1"] = f"{title} — điểm từng tiêu chí"
    criteria["A1"].font = xlsx_font(bold=True, size=14)
    for where, text in (("A3", "Mã đơn vị"), ("B3", "Đơn vị")):
        criteria[where] = text
    criteria["A5"] = "Điểm tối đa"
    spans: dict[str, tuple[int, int]] = {}  # field id → (first, last) column of its criteria
    col = 3
    for c in columns:
        start = col
        for node in c.criteria:
            criteria.cell(4, col, f"{node.code}. {node.title}")
            criteria.cell(5, col, _number(node.max_points)).number_format = fmt
            col += 1
        spans[c.node.id] = (start, col - 1)
        criteria.cell(3, start, f"{c.node.code}. {c.node.title}")
        if col - 1 > start:
            criteria.merge_cells(start_row=3, start_column=start, end_row=3, end_column=col - 1)
    for i, r in enumerate(rows):
        row = first_row + i
        criteria.cell(row, 1, r.unit)
        criteria.cell(row, 2, r.unit_name or r.unit)
        for c in columns:
            start, _ = spans[c.node.id]
            for j, found in enumerate(_matching(r, c)):
                if found is not None and found.status != "not_applicable":
                    criteria.cell(row, start + j, _number(found.points)).number_format = fmt
    for row in criteria.iter_rows(min_row=3, max_row=5):
        for cell in row:
            cell.font, cell.fill, cell.alignment = bold, header_fill, wrap
    criteria.freeze_panes = criteria.cell(first_row, 3)
    criteria.column_dimensions["A"].width = 16
    criteria.column_dimensions["B"].width = 28
    for index in range(3, col):
        criteria.column_dimensions[get_column_letter(index)].width = 14

    # -- Xếp hạng / Kết quả: row 1 title, 2 about, 4 headers, 5.. units -------------------
    main["A1"] = title
    main["A1"].font = xlsx_font(bold=True, size=14)
    if about:
        main["A2"] = " · ".join(f"{k}: {v}" for k, v in about.items())
    headers: list[str] = []
    if ranking:
        headers.append("Hạng")
    headers += ["Mã đơn vị", "Đơn vị", "Tổng điểm", "Điểm tối đa áp dụng", "Chỉ số"]
    if ranking:
        headers.append("Xếp loại")
    headers.append("Ghi chú")
    field_col = len(headers) + 1
    headers += [
        f"{c.node.code}. {c.node.title} (tối đa {_plain(c.node.max_points)})" for c in columns
    ]
    if ranking:
        headers += [f"Hạng lĩnh vực {c.node.code}" for c in columns]
    for j, text in enumerate(headers, start=1):
        cell = main.cell(4, j, text)
        cell.font, cell.fill, cell.alignment = bold, header_fill, wrap
    at = {h: j for j, h in enumerate(headers, start=1)}
    sheet = quote_sheetname(CRITERIA_SHEET)
    first_field = get_column_letter(field_col)
    last_field = get_column_letter(field_col + len(columns) - 1)
    for i, r in enumerate(rows):
        row, source_row = 5 + i, first_row + i
        unit = ranked.get(r.unit)
        notes = []
        if unit is not None and not unit.ranked:
            notes.append(f"{NOT_RANKED}: {unit.reason}" if unit.reason else NOT_RANKED)
        if not r.complete:
            notes.append(INCOMPLETE)
        values: dict[str, Any] = {
            "Mã đơn vị": r.unit,
            "Đơn vị": r.unit_name or r.unit,
            "Điểm tối đa áp dụng": _number(r.applicable_max),
            "Chỉ số": _number(r.index),
            "Ghi chú": "; ".join(notes) or None,
        }
        if unit is not None:
            values["Hạng"] = unit.rank
            values["Xếp loại"] = unit.band
        for name, value in values.items():
            main.cell(row, at[name], value)
        for k, c in enumerate(columns):
            ref = field_col + k
            formula = _field_formula(r, c, sheet, source_row, spans[c.node.id], places)
            if formula is not None:
                main.cell(row, ref, formula).number_format = fmt
            if unit is not None:
                main.cell(row, ref + len(columns), unit.field_ranks.get(c.node.id))
        if r.total is not None and columns:
            main.cell(
                row, at["Tổng điểm"], f"=ROUND(SUM({first_field}{row}:{last_field}{row}),{places})"
            ).number_format = fmt
        for name in ("Điểm tối đa áp dụng", "Chỉ số"):
            main.cell(row, at[name]).number_format = fmt
    main.freeze_panes = main.cell(5, at["Đơn vị"] + 1)
    for j in range(1, len(headers) + 1):
        main.column_dimensions[get_column_letter(j)].width = 14
    main.column_dimensions[get_column_letter(at["Đơn vị"])].width = 28
    main.column_dimensions[get_column_letter(at["Ghi chú"])].width = 20

    info = book.create_sheet("Thông tin")
    info.append(["Nội dung", "Giá trị"])
    for key, value in (about or {}).items():
        info.append([key, value])
    info.append(["Số đơn vị", len(rows)])
    info.append(
        [
            "Cách tính",
            "Điểm lĩnh vực và tổng điểm là công thức cộng các ô điểm tiêu chí, làm tròn "
            f"{places} chữ số thập phân như điểm của bộ chỉ số; chỉ số, hạng và xếp loại "
            "là kết quả của phần mềm. Ô trống: tiêu chí không áp dụng.",
        ]
    )
    if ranking_:
        info.append(["Xếp hạng", "xếp hạng cạnh tranh: bằng chỉ số thì cùng hạng (1, 2, 2, 4)"])
        info.append(["Số đơn vị theo loại", _bands(ranking_)])
    info.column_dimensions["A"].width = 24
    info.column_dimensions["B"].width = 100
    for sheet_ in book.worksheets:
        for line in sheet_.iter_rows():
            for cell in line:
                if cell.value is not None and not cell.font.b:
                    cell.font = plain
    for cell in info[1]:
        cell.font = bold
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _matching(result: Result, column: _Column) -> list[NodeResult | None]:
    """The result's nodes in the column's criteria order (matched by id)."""
    field = next((n for n in result.nodes if n.id == column.node.id), None)
    if field is None:
        return [None] * len(column.criteria)
    if not field.children:
        return [field]
    kids = {k.id: k for k in field.children}
    return [kids.get(c.id) for c in column.criteria]


def _field_formula(
    result: Result,
    column: _Column,
    sheet: str,
    row: int,
    span: tuple[int, int],
    places: int,
) -> str | float | None:
    """The field's formula over its criteria cells, or None when it has no points
    (not applicable, or missing data): the cell stays empty, as SUM reads it."""
    from openpyxl.utils import get_column_letter

    field = next((n for n in result.nodes if n.id == column.node.id), None)
    if field is None or field.points is None or field.status == "not_applicable":
        return None
    cells = f"{sheet}!{get_column_letter(span[0])}{row}:{get_column_letter(span[1])}{row}"
    kids = [k.points for k in (field.children or [field]) if k.status != "not_applicable"]
    summed = sum((p for p in kids if p is not None), Decimal(0))
    if summed == field.points:
        return f"=ROUND(SUM({cells}),{places})"
    if min(summed, field.max_points) == field.points:  # `sum_capped`: at most the maximum
        return f"=ROUND(MIN(SUM({cells}),{field.max_points.normalize():f}),{places})"
    return _number(field.points)  # not a sum of its criteria: the engine's value


# -- Word ---------------------------------------------------------------------------------


def results_document(
    results: Sequence[Doc],
    ranking: Doc | None = None,
    *,
    title: str,
    about: Mapping[str, str] | None = None,
    chart: bytes | None = None,
) -> bytes:
    """The báo cáo kết quả: what was scored, the chart (a PNG) and the tables — the
    fields with their maxima, then one row per unit with total, index, band, rank and
    every field's points (its rank in brackets)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from evaluators import vn

    rows, ranking_ = _read(results, ranking)
    ranked = {u.unit: u for u in ranking_.units} if ranking_ else {}
    columns = _layout(rows)
    doc = new_document()
    heading(doc, title, 1).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for key, value in (about or {}).items():
        doc.add_paragraph(f"{key}: {value}")
    doc.add_paragraph(f"Số đơn vị: {len(rows)}.")
    if ranking_:
        doc.add_paragraph(
            f"Số đơn vị theo loại: {_bands(ranking_)}. Xếp hạng cạnh tranh: bằng chỉ số thì cùng hạng (1, 2, 2, 4)."
        )
    if chart:
        heading(doc, "Biểu đồ chỉ số", 2)
        add_chart(doc, chart, width_cm=24)

    heading(doc, "Các lĩnh vực", 2)
    fields = word_table(doc, ["Mã", "Lĩnh vực", "Điểm tối đa", "Số tiêu chí"])
    for c in columns:
        table_row(fields, [c.node.code, c.node.title, vn(c.node.max_points), str(len(c.criteria))])

    heading(doc, "Kết quả theo đơn vị" if not ranking else "Bảng xếp hạng", 2)
    head = (["Hạng"] if ranking else []) + ["Đơn vị", "Tổng điểm", "Chỉ số"]
    head += (["Xếp loại"] if ranking else []) + [f"LV {c.node.code}" for c in columns]
    table = word_table(doc, head)
    for r in rows:
        unit = ranked.get(r.unit)
        name = r.unit_name or r.unit
        if unit is not None and not unit.ranked:
            name += f" ({NOT_RANKED}: {unit.reason})" if unit.reason else f" ({NOT_RANKED})"
        if not r.complete:
            name += f" ({INCOMPLETE})"
        cells = [_dash(unit.rank if unit is not None else None)] if ranking else []
        cells += [name, vn(r.total), vn(r.index)]
        if ranking:
            cells.append((unit.band if unit is not None else None) or "—")
        for c in columns:
            field = next((n for n in r.nodes if n.id == c.node.id), None)
            points = None if field is None or field.status == "not_applicable" else field.points
            text = vn(points) if points is not None else "—"
            if unit is not None and unit.field_ranks.get(c.node.id) is not None:
                text += f" ({unit.field_ranks[c.node.id]})"
            cells.append(text)
        table_row(table, cells)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    doc.add_paragraph(
        "“LV” là lĩnh vực; số trong ngoặc là hạng của đơn vị trong lĩnh vực đó. "
        "Dấu “—”: không áp dụng hoặc thiếu dữ liệu."
    )
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def heading(doc: Any, text: str, level: int) -> Any:
    """A heading in the document's font (Word's heading styles default to Calibri)."""
    from docx.shared import RGBColor

    paragraph = doc.add_heading(text, level=level)
    for run in paragraph.runs:
        run.font.name = FONT
        run.font.color.rgb = RGBColor(0, 0, 0)
    return paragraph


def _dash(value: Any) -> str:
    return "—" if value is None else str(value)


def word_table(doc: Any, header: list[str]) -> Any:
    from docx.shared import Pt

    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
            run.font.size = Pt(TABLE_FONT_PT)
    return table


def table_row(table: Any, cells: list[str]) -> None:
    from docx.shared import Pt

    for cell, text in zip(table.add_row().cells, cells, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.font.size = Pt(TABLE_FONT_PT)
