"""The self-assessment form as an Excel workbook (`parindex form`, `GET /api/forms/…`).

One sheet, "Tự đánh giá": the unit's facts, then every field and criterion as a heading
row and every sub-criterion as a row with its first input (a sub-criterion with more
inputs continues on the rows below it). The unit types only into the yellow cells —
values, "không phát sinh", giải trình and the evidence documents (số/ký hiệu, ngày ban
hành, trích yếu) — each held by Excel data validation built from the input's declared
type and bounds; the guidance of each sub-criterion is the comment on its title. The
sheet and the workbook structure are protected, so rows cannot be inserted, moved or
removed, nor sheets added.

Two hidden columns carry each row's node and input ids, and a very hidden sheet the
form's methodology version, unit, period and template version, so `server.office.
form_import` reads a filled form back exactly (and refuses one for another version,
unit or period, or from an older template).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from server.office.style import xlsx_font

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from rules import InputSpec

__all__ = [
    "FORM_SHEET",
    "META_SHEET",
    "TEMPLATE",
    "FormLine",
    "form_lines",
    "form_workbook",
    "write_form",
]

# A new template version whenever the layout changes: a form from an older one is refused.
TEMPLATE = "parindex-bieu-mau-tu-danh-gia/1"
FORM_SHEET = "Tự đánh giá"
META_SHEET = "_parindex"

# Columns of the form sheet.
COL_NODE, COL_KEY = "A", "B"  # hidden: node id; "input:<id>" or "fact:<id>"
COL_CODE, COL_TITLE, COL_MAX, COL_WHAT = "C", "D", "E", "F"
COL_VALUE, COL_NA, COL_WHY = "G", "H", "I"
COL_DOC_NO, COL_DOC_DATE, COL_DOC_TITLE = "J", "K", "L"
HEADERS = {
    COL_NODE: "mã mục",
    COL_KEY: "mã dữ liệu",
    COL_CODE: "STT",
    COL_TITLE: "Lĩnh vực / tiêu chí / tiêu chí thành phần",
    COL_MAX: "Điểm tối đa",
    COL_WHAT: "Nội dung cần nhập",
    COL_VALUE: "Giá trị tự đánh giá",
    COL_NA: "Không phát sinh",
    COL_WHY: "Giải trình",
    COL_DOC_NO: "Số, ký hiệu văn bản kiểm chứng",
    COL_DOC_DATE: "Ngày ban hành",
    COL_DOC_TITLE: "Trích yếu nội dung",
}
WIDTHS = {
    COL_CODE: 8,
    COL_TITLE: 48,
    COL_MAX: 9,
    COL_WHAT: 40,
    COL_VALUE: 18,
    COL_NA: 16,
    COL_WHY: 36,
    COL_DOC_NO: 20,
    COL_DOC_DATE: 14,
    COL_DOC_TITLE: 36,
}
HEADER_ROW = 6
FIRST_ROW = HEADER_ROW + 1
NOT_APPLICABLE = "Không phát sinh"
YES, NO = "Có", "Không"
DATE_FORMAT = "dd/mm/yyyy"
PERCENT_FORMAT = "0.00%"
INPUT_FILL = "FFF2CC"  # the pale yellow of cells to fill in
HEADING_FILL = "D9E1F2"
META_KEYS = ("template", "methodology", "ref", "commit", "unit", "unit_name", "period", "rows")
# Lists of choices on the hidden sheet start in this column (one column per input).
LIST_FIRST_COLUMN = 4


@dataclass(frozen=True)
class FormLine:
    """One row of the form sheet below the header: what it shows and what it reads.

    ``kind``: ``field`` / ``criterion`` (headings), ``leaf`` (a sub-criterion's first
    row), ``more`` (its next inputs), ``fact`` (a fact about the unit)."""

    kind: str
    node_id: str
    key: str  # "input:<id>", "fact:<id>" or ""
    code: str = ""
    title: str = ""
    max_points: Decimal | None = None
    spec: InputSpec | None = None
    allow_not_applicable: bool = False
    self_assessed: bool = False
    guidance: str = ""
    evidence: tuple[str, ...] = ()
    assessed_by: str = "self"

    @property
    def editable_documents(self) -> bool:
        return self.self_assessed and self.kind in ("leaf", "more")


def form_lines(methodology: Any) -> list[FormLine]:
    """The rows of the form of an opened methodology version, in order."""
    from server.services.assessment import layout_of

    lines: list[FormLine] = []
    manifest = methodology.manifest
    for fact in (manifest.facts if manifest else {}).values():
        lines.append(
            FormLine("fact", "", f"fact:{fact.id}", spec=fact, title=fact.label, self_assessed=True)
        )
    for section in layout_of(methodology):
        field = section.node
        lines.append(
            FormLine("field", field.id, "", field.code, field.title, field.max_points, guidance="")
        )
        shown: set[str] = set()
        for row in section.rows:
            criterion = row.criterion
            if criterion is not None and criterion.id not in shown:
                shown.add(criterion.id)
                lines.append(
                    FormLine(
                        "criterion",
                        criterion.id,
                        "",
                        criterion.code,
                        criterion.title,
                        criterion.max_points,
                    )
                )
            node = row.node
            specs = list(row.inputs) if row.self_assessed else []
            na = row.allow_not_applicable and row.self_assessed
            lines.append(
                FormLine(
                    "leaf",
                    node.id,
                    f"input:{specs[0].id}" if specs else "",
                    node.code,
                    node.title,
                    node.max_points,
                    specs[0] if specs else None,
                    allow_not_applicable=na,
                    self_assessed=row.self_assessed,
                    guidance=node.guidance,
                    evidence=tuple(e.title for e in node.evidence),
                    assessed_by=node.assessed_by,
                )
            )
            for spec in specs[1:]:
                lines.append(
                    FormLine(
                        "more",
                        node.id,
                        f"input:{spec.id}",
                        spec=spec,
                        allow_not_applicable=na,
                        self_assessed=row.self_assessed,
                        assessed_by=node.assessed_by,
                    )
                )
    return lines


def write_form(
    methodology: Any,
    *,
    unit: str,
    period: str,
    unit_name: str | None = None,
    filled: Mapping[str, Any] | None = None,
) -> bytes:
    """The form as .xlsx bytes; ``filled`` (a submission's values, not_applicable and
    facts) fills it in."""
    out = io.BytesIO()
    form_workbook(methodology, unit=unit, period=period, unit_name=unit_name, filled=filled).save(
        out
    )
    return out.getvalue()


def form_workbook(
    methodology: Any,
    *,
    unit: str,
    period: str,
    unit_name: str | None = None,
    filled: Mapping[str, Any] | None = None,
) -> Workbook:
    from openpyxl import Workbook
    from openpyxl.workbook.protection import WorkbookProtection

    lines = form_lines(methodology)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = FORM_SHEET
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "veryHidden"
    values = {
        "template": TEMPLATE,
        "methodology": methodology.name,
        "ref": methodology.ref or "",
        "commit": methodology.commit or "",
        "unit": unit,
        "unit_name": unit_name or "",
        "period": period,
        "rows": len(lines),
    }
    for number, key in enumerate(META_KEYS, 1):
        meta.cell(number, 1, key)
        meta.cell(number, 2, values[key])
    meta.protection.sheet = True
    _title_block(ws, methodology, unit, unit_name, period)
    _header(ws)
    validations = _Validations(ws, meta)
    # A node's documents go on its rows in order, as the reader collects them.
    documents = {
        node: list(entries) for node, entries in ((filled or {}).get("documents") or {}).items()
    }
    for number, line in enumerate(lines, FIRST_ROW):
        _line(ws, number, line, validations, filled or {})
        if line.editable_documents and documents.get(line.node_id):
            _documents(ws, number, documents[line.node_id])
    validations.attach()
    ws.freeze_panes = f"{COL_CODE}{FIRST_ROW}"
    for column, width in WIDTHS.items():
        ws.column_dimensions[column].width = width
    for column in (COL_NODE, COL_KEY):
        ws.column_dimensions[column].hidden = True
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widening a column stays allowed
    ws.protection.formatRows = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    wb.security = WorkbookProtection(lockStructure=True)
    return wb


def _title_block(ws: Worksheet, m: Any, unit: str, unit_name: str | None, period: str) -> None:
    title = m.manifest.title if m.manifest else m.name
    rows = [
        ("BIỂU TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH", True),
        (f"Bộ chỉ số: {title} ({m.name}@{m.ref or 'mới nhất'})", False),
        (f"Đơn vị: {unit_name or unit} ({unit}) — Kỳ đánh giá: năm {period}", False),
        (
            "Chỉ nhập vào các ô màu vàng. Tỷ lệ nhập theo phần trăm (79,5 %), số thập phân "
            "dùng dấu phẩy, ngày theo dd/mm/yyyy. Chọn “Không phát sinh” khi đơn vị không có "
            "nhiệm vụ này trong năm và ghi giải trình. Xem hướng dẫn chấm ở ghi chú của từng "
            "tiêu chí.",
            False,
        ),
    ]
    for number, (text, bold) in enumerate(rows, 1):
        cell = ws.cell(number, 3, text)
        cell.font = xlsx_font(bold=bold, size=14 if bold else 12)


def _header(ws: Worksheet) -> None:
    from openpyxl.styles import Alignment, PatternFill

    for column, text in HEADERS.items():
        cell = ws[f"{column}{HEADER_ROW}"]
        cell.value = text
        cell.font = xlsx_font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.fill = PatternFill("solid", fgColor=HEADING_FILL)


def _documents(ws: Worksheet, row: int, entries: list[dict[str, str]]) -> None:
    """The next giải trình and the next document of a node on its row ``row`` (taken from
    ``entries``); a node with more documents than rows shows as many as it has rows."""
    if entries and set(entries[0]) == {"explanation"} and ws[f"{COL_WHY}{row}"].value is None:
        ws[f"{COL_WHY}{row}"].value = entries.pop(0)["explanation"]
    if entries and "explanation" not in entries[0]:
        document = entries.pop(0)
        ws[f"{COL_DOC_NO}{row}"].value = document.get("number")
        ws[f"{COL_DOC_TITLE}{row}"].value = document.get("title")
        if document.get("date"):
            try:
                ws[f"{COL_DOC_DATE}{row}"].value = dt.date.fromisoformat(document["date"])
            except ValueError:  # a date the API took as text: shown as it is
                ws[f"{COL_DOC_DATE}{row}"].value = document["date"]


def _line(
    ws: Worksheet, row: int, line: FormLine, v: _Validations, filled: Mapping[str, Any]
) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Protection

    heading = line.kind in ("field", "criterion")
    put = {
        COL_NODE: line.node_id,
        COL_KEY: line.key,
        COL_CODE: line.code or None,
        COL_TITLE: line.title or None,
        COL_MAX: float(line.max_points) if line.max_points is not None else None,
    }
    if line.kind == "fact":
        put[COL_TITLE] = "Thông tin về đơn vị"
    spec = line.spec
    if spec is not None:
        put[COL_WHAT] = what_to_enter(spec)
    elif line.kind == "leaf":
        put[COL_WHAT] = {
            "survey": "Điểm do điều tra xã hội học (đơn vị không nhập)",
            "appraisal": "Điểm do Hội đồng thẩm định chấm (đơn vị không nhập)",
        }.get(line.assessed_by, "")
    for column, value in put.items():
        cell = ws[f"{column}{row}"]
        cell.value = value
        cell.font = xlsx_font(bold=heading)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if line.guidance or line.evidence:
        text = line.guidance.strip()
        if line.evidence:
            docs = "\n".join(f"- {t}" for t in line.evidence)
            text = f"{text}\n\nTài liệu kiểm chứng:\n{docs}".strip()
        comment = Comment(text, "parindex")
        comment.width, comment.height = 420, 260
        ws[f"{COL_TITLE}{row}"].comment = comment
    if heading:
        from openpyxl.styles import PatternFill

        for column in HEADERS:
            ws[f"{column}{row}"].fill = PatternFill("solid", fgColor=HEADING_FILL)
        return
    editable: list[str] = []
    if spec is not None:
        editable.append(COL_VALUE)
        v.value(f"{COL_VALUE}{row}", spec)
        source = filled.get("facts" if line.kind == "fact" else "values") or {}
        _fill_value(ws[f"{COL_VALUE}{row}"], spec, source.get(spec.id))
    if line.kind == "leaf" and line.allow_not_applicable:
        editable.append(COL_NA)
        v.add("na", f"{COL_NA}{row}")
        claims = filled.get("not_applicable") or {}
        if line.node_id in claims:
            ws[f"{COL_NA}{row}"].value = NOT_APPLICABLE
            ws[f"{COL_WHY}{row}"].value = claims[line.node_id] or None
    if line.editable_documents:
        editable += [COL_WHY, COL_DOC_NO, COL_DOC_DATE, COL_DOC_TITLE]
        v.add("text", f"{COL_WHY}{row}", f"{COL_DOC_NO}{row}", f"{COL_DOC_TITLE}{row}")
        v.add("date", f"{COL_DOC_DATE}{row}")
        ws[f"{COL_DOC_DATE}{row}"].number_format = DATE_FORMAT
    from openpyxl.styles import PatternFill

    for column in editable:
        cell = ws[f"{column}{row}"]
        cell.protection = Protection(locked=False)
        cell.fill = PatternFill("solid", fgColor=INPUT_FILL)
        cell.font = xlsx_font()
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _fill_value(cell: Any, spec: InputSpec, value: Any) -> None:
    """A stored value as the cell holds it (a form downloaded from a draft)."""
    from rules import InputType

    if value is None:
        return
    if spec.type is InputType.BOOL and isinstance(value, bool):
        cell.value = YES if value else NO
    elif spec.type is InputType.ENUM:
        from server.labels import choice_label

        cell.value = choice_label(str(value))
    elif spec.type is InputType.DATE:
        cell.value = dt.date.fromisoformat(str(value)) if not isinstance(value, dt.date) else value
    else:
        cell.value = value


def what_to_enter(spec: InputSpec) -> str:
    """The input's label with what it takes: "Tỷ lệ … (%, từ 0 đến 100)"."""
    from rules import InputType

    kind = {
        InputType.BOOL: "chọn Có / Không",
        InputType.ENUM: "chọn một mức",
        InputType.DATE: "ngày, dd/mm/yyyy",
    }.get(spec.type)
    if kind is None:
        kind = bounds_words(spec)
    return f"{spec.label} ({kind})" if kind else spec.label


def bounds_words(spec: InputSpec) -> str:
    """What a number may be: "số, %, từ 0 đến 100", "số nguyên, từ 0 trở lên"."""
    from rules import InputType
    from server.format import vi_number as _vi

    percent = spec.type is InputType.RATIO
    low, high = spec.domain_min, spec.domain_max
    scale = Decimal(100) if percent else Decimal(1)
    unit = "%" if percent else (spec.unit or "")
    whole = "số nguyên" if spec.type is InputType.COUNT else "số"
    parts = [whole + (f", {unit}" if unit else "")]
    if low is not None and high is not None:
        parts.append(f"từ {_vi(low * scale)} đến {_vi(high * scale)}")
    elif low is not None:
        parts.append(f"từ {_vi(low * scale)} trở lên")
    elif high is not None:
        parts.append(f"không quá {_vi(high * scale)}")
    return ", ".join(parts)


class _Validations:
    """Excel data validations, one per distinct rule, each over all its cells."""

    def __init__(self, ws: Worksheet, lists: Worksheet) -> None:
        self.ws, self.lists = ws, lists
        self.rules: dict[Any, Any] = {}
        self.list_columns: dict[tuple[str, ...], str] = {}

    def add(self, rule: str, *cells: str) -> None:
        dv = self.rules.get(rule)
        if dv is None:
            dv = self.rules[rule] = self._make(rule)
        for cell in cells:
            dv.add(cell)

    def value(self, cell: str, spec: InputSpec) -> None:
        from rules import InputType

        if spec.type is InputType.ENUM:
            key: Any = ("enum", spec.choices)
        elif spec.type in (InputType.BOOL, InputType.DATE):
            key = spec.type.value
        else:
            key = (spec.type.value, spec.domain_min, spec.domain_max)
        dv = self.rules.get(key)
        if dv is None:
            dv = self.rules[key] = self._for_spec(spec)
        dv.add(cell)
        if spec.type is InputType.RATIO:
            self.ws[cell].number_format = PERCENT_FORMAT
        elif spec.type is InputType.DATE:
            self.ws[cell].number_format = DATE_FORMAT
        elif spec.type is InputType.COUNT:
            self.ws[cell].number_format = "0"

    def attach(self) -> None:
        for dv in self.rules.values():
            self.ws.add_data_validation(dv)

    def _make(self, rule: str) -> Any:
        from openpyxl.worksheet.datavalidation import DataValidation

        if rule == "na":
            return _dv(
                DataValidation(type="list", formula1=f'"{NOT_APPLICABLE}"', allow_blank=True),
                "Chọn “Không phát sinh” hoặc để trống",
            )
        if rule == "date":
            return _date_dv()
        return _dv(
            DataValidation(type="textLength", operator="lessThanOrEqual", formula1="2000"),
            "Tối đa 2.000 ký tự",
        )

    def _for_spec(self, spec: InputSpec) -> Any:
        from openpyxl.worksheet.datavalidation import DataValidation

        from rules import InputType

        if spec.type is InputType.BOOL:
            return _dv(
                DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True),
                "Chọn Có hoặc Không",
            )
        if spec.type is InputType.ENUM:
            return _dv(
                DataValidation(type="list", formula1=self._list(spec.choices), allow_blank=True),
                "Chọn một mức trong danh sách",
            )
        if spec.type is InputType.DATE:
            return _date_dv()
        low, high = spec.domain_min, spec.domain_max
        lo = str(low) if low is not None else "-1E+100"
        hi = str(high) if high is not None else "1E+100"
        whole = spec.type is InputType.COUNT
        return _dv(
            DataValidation(
                type="whole" if whole else "decimal", operator="between", formula1=lo, formula2=hi
            ),
            "Nhập " + bounds_words(spec),
        )

    def _list(self, choices: tuple[str, ...]) -> str:
        """A range of the hidden sheet holding the choices' labels: a list typed into the
        rule itself cannot hold a label with a comma ("Đầy đủ, đúng hạn")."""
        from openpyxl.utils import get_column_letter

        from server.labels import choice_label

        column = self.list_columns.get(choices)
        if column is None:
            column = get_column_letter(LIST_FIRST_COLUMN + len(self.list_columns))
            self.list_columns[choices] = column
            for number, code in enumerate(choices, 1):
                self.lists[f"{column}{number}"] = choice_label(code)
        return f"'{META_SHEET}'!${column}$1:${column}${len(choices)}"


def _date_dv() -> Any:
    from openpyxl.worksheet.datavalidation import DataValidation

    # Dates from 01/01/1900 to 31/12/2199, as Excel's serial numbers.
    return _dv(
        DataValidation(type="date", operator="between", formula1="1", formula2="109574"),
        "Nhập ngày theo dd/mm/yyyy",
    )


def _dv(dv: Any, message: str) -> Any:
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.errorTitle = "Giá trị không hợp lệ"
    dv.error = message
    dv.showInputMessage = True
    dv.promptTitle = "Nhập liệu"
    dv.prompt = message
    return dv
