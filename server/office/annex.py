"""The methodology as the decision's annex (Phụ lục): its criteria table in Word and Excel.

One table, two writers. `annex_rows` lays a version out as the Ministry publishes it —
STT (the code), lĩnh vực / tiêu chí / tiêu chí thành phần, điểm tối đa, cách chấm điểm
(the scoring kind's own `describe`, as the node page shows it), tài liệu kiểm chứng and
ghi chú (the legal source, "minh hoạ"), and for a derived index how each row relates to
the index it extends. `annex_docx` and `annex_xlsx` only typeset those rows.

The workbook is also the form `criteria_table.read_table` reads back: one sheet named
`SHEET`, the header row `HEADERS`, codes stored as text, no formulas and no merged cells,
and three machine columns (`id`, the rule and the inputs as YAML) after the printed ones.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from server.format import vi_date, vi_number
from server.labels import (
    DERIVATION_LABELS,
    NODE_KEY_LABELS,
    OPTIONAL_EVIDENCE,
    provenance_mark,
)
from server.office.style import FONT_PT, TABLE_FONT_PT, new_document, xlsx_font

if TYPE_CHECKING:
    from methodology import Methodology, Node, Release

__all__ = [
    "HEADERS",
    "MACHINE_HEADERS",
    "SHEET",
    "AnnexRow",
    "annex_docx",
    "annex_filename",
    "annex_rows",
    "annex_xlsx",
    "decision_line",
    "rule_text",
    "table_style",
    "title_block",
]

SHEET = "Phụ lục"
# The printed columns, in the Ministry's order; `DERIVED_HEADER` follows them for a derived index.
HEADERS = (
    "STT",
    "Lĩnh vực / tiêu chí / tiêu chí thành phần",
    "Điểm tối đa",
    "Cách chấm điểm",
    "Tài liệu kiểm chứng",
    "Ghi chú",
)
DERIVED_HEADER = "Kế thừa / ghi đè / địa phương"
# Columns for machines (importing the table back), after the printed ones.
MACHINE_HEADERS = ("id", "scoring (YAML)", "inputs (YAML)")
TOTAL_LABEL = "Tổng cộng"

# Widths in centimetres on an A4 landscape page (27.2 cm between the margins).
_DOCX_WIDTHS = (1.6, 7.4, 1.8, 8.0, 4.6, 3.8)
_DOCX_DERIVED_WIDTHS = (1.5, 6.4, 1.7, 7.2, 4.0, 3.2, 3.2)
_XLSX_WIDTHS = (9, 48, 10, 52, 34, 26)


@dataclass(frozen=True)
class AnnexRow:
    """One node as a row of the annex (``depth`` 1 is a field, 2 a criterion, …)."""

    node: Node
    depth: int
    rule: str
    evidence: str
    note: str
    derivation: str | None  # None for an index that extends nothing


def rule_text(node: Node) -> str:
    """How the node is scored, in plain Vietnamese: its scoring kind's ``describe``, the
    words of the node page. A field or a criterion with sub-criteria has none of its own."""
    return node.scoring.describe(node.max_points) if node.scoring is not None else ""


def _evidence(node: Node) -> str:
    return "\n".join(e.title + ("" if e.required else OPTIONAL_EVIDENCE) for e in node.evidence)


def _note(node: Node) -> str:
    source = node.source
    parts: list[str] = []
    if source.decision:
        text = source.decision
        if source.date:
            text += f" ngày {vi_date(source.date)}"
        if source.issuer:
            text += f" của {source.issuer}"
        parts.append(text)
    if source.table or source.row:
        where = source.table or ""
        if source.row:
            where += f" dòng {source.row}"
        parts.append(where.strip())
    if source.illustrative:
        parts.append(provenance_mark(node))
    return "; ".join(parts)


def _derivation(m: Methodology, node: Node) -> str | None:
    if not m.extends:
        return None
    mark = m.derivation.get(node.id)
    if mark is None:
        return ""
    text = DERIVATION_LABELS.get(mark.status, mark.status)
    if mark.status == "overridden" and mark.parent:
        keys = ", ".join(NODE_KEY_LABELS.get(k, k) for k in mark.parent)
        text += f": {keys}"
    return text


def annex_rows(m: Methodology) -> list[AnnexRow]:
    """Every node of ``m`` in code order (fields, then their criteria and sub-criteria)."""
    rows: list[AnnexRow] = []

    def visit(nodes: Sequence[Node], depth: int) -> None:
        for node in nodes:
            rows.append(
                AnnexRow(
                    node=node,
                    depth=depth,
                    rule=rule_text(node),
                    evidence=_evidence(node),
                    note=_note(node),
                    derivation=_derivation(m, node),
                )
            )
            visit(m.children_of(node.id), depth + 1)

    visit(m.roots(), 1)
    return rows


def decision_line(m: Methodology, releases: Sequence[Release] = ()) -> str:
    """ "(Kèm theo Quyết định số … ngày … của …)": the release of this very commit, else
    the decision the manifest names, else a draft's words."""
    issuer = ""
    decision = m.manifest.decision if m.manifest else {}
    if decision.get("issuer"):
        issuer = f" của {decision['issuer']}"
    for release in releases:
        if release.commit == m.commit:
            return (
                f"(Kèm theo Quyết định số {release.decision} ngày {vi_date(release.date)}{issuer})"
            )
    if decision.get("number"):
        date = decision.get("date")
        when = f" ngày {vi_date(date)}" if date else ""
        return f"(Kèm theo Quyết định số {decision['number']}{when}{issuer}; bản chưa ban hành)"
    return "(Bản dự thảo, chưa ban hành)"


def _title(m: Methodology) -> str:
    return m.manifest.title if m.manifest else m.name


def _version(m: Methodology) -> str:
    ref = m.ref or "bản đang soạn"
    commit = f", commit {m.commit[:10]}" if m.commit else ""
    line = f"Bộ chỉ số {m.name}, phiên bản {ref}{commit}"
    if m.extends:
        line += f"; dẫn xuất từ {m.extends['methodology']} ({m.extends.get('ref') or ''})"
    return line


def annex_filename(m: Methodology, extension: str) -> str:
    """``Phụ lục par-provincial 2022.docx``: the methodology and the version read."""
    ref = (m.ref or (m.commit or "")[:10] or "moi-nhat").split("/")[-1]
    return f"Phụ lục {m.name} {ref}.{extension}"


def _points(value: Decimal) -> str:
    return vi_number(value)


# -- Word ---------------------------------------------------------------------------------


def table_style(document: Any) -> None:
    """Body text at the table's size (13 pt), single-spaced with no space after: most of
    an annex is its table, and a run's own size on each of ~800 cells costs python-docx
    more than the rest of the document. The title block is set at 14 pt explicitly."""
    from docx.shared import Pt

    normal = document.styles["Normal"]
    normal.font.size = Pt(TABLE_FONT_PT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0


def title_block(document: Any, lines: Sequence[tuple[str, bool, bool]]) -> None:
    """Centred lines of (text, bold, italic) at 14 pt, then a blank line's space."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = None
    for text, bold, italic in lines:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(3)
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        run.font.size = Pt(FONT_PT)
    if paragraph is not None:
        paragraph.paragraph_format.space_after = Pt(12)


def annex_docx(m: Methodology, releases: Sequence[Release] = ()) -> bytes:
    """The annex as a Word document: A4 landscape, Times New Roman, one table."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    document = new_document(landscape=True)
    table_style(document)
    title_block(
        document,
        [
            (SHEET.upper(), True, False),
            (_title(m).upper(), True, False),
            (decision_line(m, releases), False, True),
            (_version(m), False, True),
        ],
    )

    rows = annex_rows(m)
    derived = bool(m.extends)
    headers = [*HEADERS, DERIVED_HEADER] if derived else list(HEADERS)
    widths = _DOCX_DERIVED_WIDTHS if derived else _DOCX_WIDTHS
    table = document.add_table(rows=len(rows) + 2, cols=len(headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)

    cell_widths = [Cm(w) for w in widths]

    def fill(cells: Sequence[Any], values: Sequence[str], *, bold: bool = False) -> None:
        for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
            cell.width = cell_widths[index]
            paragraph = cell.paragraphs[0]
            if index in (0, 2):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = paragraph.add_run(value)
            if bold:
                run.bold = True

    table_rows = list(table.rows)
    fill(table_rows[0].cells, headers, bold=True)
    for row, table_row in zip(rows, table_rows[1:-1], strict=True):
        values = [
            row.node.code,
            row.node.title,
            _points(row.node.max_points),
            row.rule,
            row.evidence,
            row.note,
        ]
        if derived:
            values.append(row.derivation or "")
        fill(table_row.cells, values, bold=row.depth == 1)
    total = ["", TOTAL_LABEL, _points(m.total), "", "", ""] + ([""] if derived else [])
    fill(table_rows[-1].cells, total, bold=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# -- Excel --------------------------------------------------------------------------------


def annex_xlsx(m: Methodology, releases: Sequence[Release] = ()) -> bytes:
    """The annex as a workbook that `criteria_table.read_table` reads back unchanged."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties

    from methodology import to_json_value, yaml_dump

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    derived = bool(m.extends)
    printed = [*HEADERS, DERIVED_HEADER] if derived else list(HEADERS)
    headers = [*printed, *MACHINE_HEADERS]
    plain, bold = xlsx_font(), xlsx_font(bold=True)
    machine_font = xlsx_font(size=10)
    wrap = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(wrap_text=True, vertical="top", horizontal="center")
    field_fill = PatternFill("solid", fgColor="F2F2F2")

    for text, font in (
        (SHEET.upper(), bold),
        (_title(m).upper(), bold),
        (decision_line(m, releases), plain),
        (_version(m), plain),
    ):
        sheet.append([text])
        sheet.cell(row=sheet.max_row, column=1).font = font
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(headers)
    for column in range(1, len(headers) + 1):
        cell = sheet.cell(row=header_row, column=column)
        cell.font = bold
        cell.alignment = centre

    def dump(value: Any) -> str:
        if not value:
            return ""
        return yaml_dump(to_json_value(value), allow_unicode=True, sort_keys=False).strip()

    for row in annex_rows(m):
        node = row.node
        front = node.front_matter()
        values: list[Any] = [
            node.code,
            node.title,
            node.max_points,
            row.rule,
            row.evidence,
            row.note,
        ]
        if derived:
            values.append(row.derivation or "")
        values += [node.id, dump(front.get("scoring")), dump(front.get("inputs"))]
        sheet.append([_cell_value(v) for v in values])
        number = sheet.max_row
        for column in range(1, len(headers) + 1):
            cell = sheet.cell(row=number, column=column)
            machine = column > len(printed)
            cell.font = machine_font if machine else (bold if row.depth == 1 else plain)
            cell.alignment = centre if column in (1, 3) else wrap
            if row.depth == 1 and not machine:
                cell.fill = field_fill
        sheet.cell(row=number, column=1).number_format = "@"  # "1.10" must stay "1.10"
    sheet.append(["", TOTAL_LABEL, _cell_value(m.total)])
    total_row = sheet.max_row
    for column in (2, 3):
        sheet.cell(row=total_row, column=column).font = bold
    sheet.cell(row=total_row, column=3).alignment = centre

    for index, width in enumerate([*_XLSX_WIDTHS, *([18] if derived else []), 24, 40, 40], 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins = PageMargins(left=1.18, right=0.59, top=0.79, bottom=0.79)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_area = f"A1:{get_column_letter(len(printed))}{total_row}"
    workbook.properties.title = f"{SHEET} {_title(m)}"
    workbook.properties.creator = "parindex"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell_value(value: Any) -> Any:
    """Points as numbers Excel adds up (integers stay integers), text as text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date):
        return vi_date(value)
    return value
