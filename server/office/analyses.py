"""Audits (two versions compared) and sensitivity runs out to Excel and Word.

Both read the analysis's JSON document (`Audit.to_json`, `Sensitivity.to_json`, or the
`result` the API stored), so a stored run and one made on the command line give the same
files. Charts come in as PNG bytes (drawn by `evaluators`' chart functions).

In an audit's workbook each unit's change of index is split into amounts per cause and
criterion (sheet ``Phân bổ``); the ``Tổng các khoản`` column and the sheet ``Theo nguyên
nhân`` are ``SUMIFS`` formulas over those amounts, rounded to the amounts' decimals, so a
person can check that the amounts add up to the change.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from server.office.results import heading, table_row, word_table
from server.office.style import add_chart, new_document, xlsx_font

__all__ = ["audit_document", "audit_workbook", "sensitivity_document", "sensitivity_workbook"]

ATTRIBUTION_SHEET = "Phân bổ"
_LEVELS = {
    "field": "trọng số lĩnh vực",
    "criterion": "trọng số tiêu chí trong lĩnh vực",
    "both": "trọng số lĩnh vực và tiêu chí",
}
_METHODS = {"uniform": "phân phối đều", "dirichlet": "phân phối Dirichlet"}
AUDIT_CHARTS = {"slope": "Thay đổi thứ hạng", "waterfall": "Phân tích chênh lệch của một đơn vị"}
SENSITIVITY_CHARTS = {"ranks": "Khoảng thứ hạng khi thay đổi trọng số (5%–95%)"}


def _version(v: Mapping[str, Any]) -> str:
    ref = v.get("ref") or (v.get("commit") or "")[:10]
    label = v.get("label")
    return f"{v.get('methodology')}@{ref}" + (f" ({label})" if label and label != ref else "")


def _source(audit: Mapping[str, Any]) -> str:
    from evaluators import source_name

    return source_name((audit.get("submissions") or {}).get("source")).replace("`", "")


def _decimals(values: list[Any]) -> int:
    places = 2
    for value in values:
        if value is not None:
            places = max(places, -int(Decimal(repr(float(value))).as_tuple().exponent))
    return places


def _fmt(places: int) -> str:
    return "0." + "0" * places if places else "0"


def _note(unit: Mapping[str, Any]) -> str | None:
    notes = []
    if unit.get("ranked") is False:
        notes.append("đánh giá, không xếp hạng")
    if not unit.get("complete", True):
        notes.append("thiếu dữ liệu")
    return "; ".join(notes) or None


def _sheet(book: Any, title: str, header: list[str], rows: list[list[Any]], widths=None) -> Any:
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title) if book.worksheets[0].title != "Sheet" else book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    bold, plain = xlsx_font(bold=True), xlsx_font()
    fill = PatternFill("solid", fgColor="DDE7F0")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.font = plain
    sheet.freeze_panes = "A2"
    for j in range(1, len(header) + 1):
        width = (widths or {}).get(j, 14)
        sheet.column_dimensions[get_column_letter(j)].width = width
    return sheet


def _save(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- audits -------------------------------------------------------------------------------


def audit_workbook(audit: Mapping[str, Any]) -> bytes:
    """Sheets ``Theo đơn vị``, ``Phân bổ``, ``Theo nguyên nhân``, ``Thay đổi bộ chỉ số``
    and ``Thông tin`` of an audit's JSON."""
    from openpyxl import Workbook
    from openpyxl.utils import quote_sheetname

    from methodology import cause_label, change_kind

    units = list(audit.get("units") or [])
    amounts = [e["amount"] for u in units for e in u.get("attribution") or []]
    places = _decimals(amounts + [u.get("delta") for u in units])
    fmt = _fmt(places)
    book = Workbook()
    attribution = quote_sheetname(ATTRIBUTION_SHEET)
    rows = []
    for i, u in enumerate(units, start=2):
        check = (
            f"=ROUND(SUMIFS({attribution}!$F:$F,{attribution}!$A:$A,A{i}),{places})"
            if u.get("complete")
            else None
        )
        rows.append(
            [
                u["unit"],
                u.get("unit_name") or u["unit"],
                u.get("period"),
                u.get("index_from"),
                u.get("index_to"),
                u.get("delta"),
                check,
                u.get("rank_from"),
                u.get("rank_to"),
                u.get("rank_change"),
                _note(u),
            ]
        )
    by_unit = _sheet(
        book,
        "Theo đơn vị",
        [
            "Mã đơn vị",
            "Đơn vị",
            "Kỳ",
            "Chỉ số trước",
            "Chỉ số sau",
            "Chênh lệch",
            "Tổng các khoản",
            "Hạng trước",
            "Hạng sau",
            "Thay đổi hạng",
            "Ghi chú",
        ],
        rows,
        {2: 28, 11: 24},
    )
    for line in by_unit.iter_rows(min_row=2, min_col=4, max_col=7):
        for cell in line:
            cell.number_format = fmt
    entries = [
        [
            u["unit"],
            u.get("unit_name") or u["unit"],
            cause_label(e["cause"]),
            e.get("code"),
            e.get("title"),
            e["amount"],
        ]
        for u in units
        if u.get("complete")
        for e in u.get("attribution") or []
    ]
    detail = _sheet(
        book,
        ATTRIBUTION_SHEET,
        ["Mã đơn vị", "Đơn vị", "Nguyên nhân", "Mã tiêu chí", "Tiêu chí", "Số điểm"],
        entries,
        {2: 28, 3: 30, 5: 50},
    )
    for (cell,) in detail.iter_rows(min_row=2, min_col=6, max_col=6):
        cell.number_format = fmt
    causes = list((audit.get("summary") or {}).get("by_cause") or {})
    cause_rows = [
        [
            cause_label(c),
            f"=ROUND(SUMIFS({attribution}!$F:$F,{attribution}!$C:$C,A{i}),{places})",
        ]
        for i, c in enumerate(causes, start=2)
    ]
    by_cause = _sheet(
        book, "Theo nguyên nhân", ["Nguyên nhân", "Tổng trên các đơn vị"], cause_rows, {1: 40}
    )
    for (cell,) in by_cause.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.number_format = fmt
    changes = [[change_kind(k).vi, n] for k, n in (audit.get("changes") or {}).items()]
    _sheet(book, "Thay đổi bộ chỉ số", ["Loại thay đổi", "Số tiêu chí"], changes, {1: 40})
    summary = audit.get("summary") or {}
    _sheet(
        book,
        "Thông tin",
        ["Nội dung", "Giá trị"],
        [
            ["Phiên bản trước", _version(audit.get("from") or {})],
            ["Phiên bản sau", _version(audit.get("to") or {})],
            ["Hồ sơ", _source(audit)],
            ["Số đơn vị", summary.get("units")],
            ["Đủ dữ liệu để so sánh", summary.get("complete")],
            [
                "Cách tính",
                "Chênh lệch chỉ số của mỗi đơn vị được phân bổ cho từng nguyên nhân và tiêu "
                "chí (sheet Phân bổ); “Tổng các khoản” và sheet “Theo nguyên nhân” là công "
                f"thức cộng các khoản, làm tròn {places} chữ số thập phân.",
            ],
        ],
        {1: 24, 2: 100},
    )
    return _save(book)


def audit_document(audit: Mapping[str, Any], charts: Mapping[str, bytes] | None = None) -> bytes:
    """The audit's báo cáo: versions, the charts (``slope``, ``waterfall`` PNGs) and the
    tables of changes, causes and units."""

    from evaluators import vn
    from methodology import cause_label, change_kind

    units = list(audit.get("units") or [])
    complete = [u for u in units if u.get("complete")]
    doc = new_document()
    heading(doc, "So sánh điểm Chỉ số CCHC giữa hai phiên bản bộ chỉ số", 1)
    doc.add_paragraph(f"Phiên bản trước: {_version(audit.get('from') or {})}")
    doc.add_paragraph(f"Phiên bản sau: {_version(audit.get('to') or {})}")
    doc.add_paragraph(f"Hồ sơ tự đánh giá: {_source(audit)}.")
    doc.add_paragraph(f"Số đơn vị: {len(units)}, đủ dữ liệu để so sánh: {len(complete)}.")
    for name, caption in AUDIT_CHARTS.items():
        if charts and name in charts:
            heading(doc, caption, 2)
            add_chart(doc, charts[name], width_cm=22)
    if audit.get("changes"):
        heading(doc, "Thay đổi của bộ chỉ số", 2)
        table = word_table(doc, ["Loại thay đổi", "Số tiêu chí"])
        for kind, n in audit["changes"].items():
            table_row(table, [change_kind(kind).vi, str(n)])
    heading(doc, "Chênh lệch theo nguyên nhân", 2)
    table = word_table(doc, ["Nguyên nhân", "Tổng trên các đơn vị", "Bình quân mỗi đơn vị"])
    places = _decimals([e["amount"] for u in complete for e in u.get("attribution") or []])
    for cause, total in ((audit.get("summary") or {}).get("by_cause") or {}).items():
        mean = Decimal(repr(total)) / len(complete) if complete else Decimal(0)
        table_row(
            table,
            [cause_label(cause), vn(total, places, sign=True), vn(mean, places, sign=True)],
        )
    heading(doc, "Kết quả theo đơn vị", 2)
    table = word_table(
        doc,
        ["Đơn vị", "Chỉ số trước", "Chỉ số sau", "Chênh lệch", "Hạng trước", "Hạng sau"],
    )
    for u in units:
        name = (u.get("unit_name") or u["unit"]) + (f" ({_note(u)})" if _note(u) else "")
        table_row(
            table,
            [
                name,
                vn(u.get("index_from")),
                vn(u.get("index_to")),
                vn(u.get("delta"), sign=True),
                _dash(u.get("rank_from")),
                _dash(u.get("rank_to")),
            ],
        )
    return _save(doc)


# -- sensitivity ---------------------------------------------------------------------------


def sensitivity_workbook(run: Mapping[str, Any]) -> bytes:
    """Sheets ``Thứ hạng`` (each unit's official rank and its interval), ``Yếu tố ảnh
    hưởng`` (the drivers) and ``Thông số`` of a sensitivity run's JSON."""
    from openpyxl import Workbook

    book = Workbook()
    rows = [
        [
            u.get("rank"),
            u["unit"],
            u.get("unit_name") or u["unit"],
            u.get("index"),
            u.get("rank_median"),
            u.get("rank_p05"),
            u.get("rank_p95"),
            u.get("rank_min"),
            u.get("rank_max"),
            u.get("changed_share"),
            _note(u),
        ]
        for u in run.get("units") or []
    ]
    ranks = _sheet(
        book,
        "Thứ hạng",
        [
            "Hạng chính thức",
            "Mã đơn vị",
            "Đơn vị",
            "Chỉ số",
            "Trung vị",
            "Hạng 5%",
            "Hạng 95%",
            "Thấp nhất",
            "Cao nhất",
            "Tỷ lệ lần đổi hạng",
            "Ghi chú",
        ],
        rows,
        {3: 28, 11: 24},
    )
    for line in ranks.iter_rows(min_row=2, min_col=10, max_col=10):
        for cell in line:
            cell.number_format = "0.0%"
    _sheet(
        book,
        "Yếu tố ảnh hưởng",
        ["Mã", "Lĩnh vực / tiêu chí", "Chỉ số độ nhạy bậc một", "Hệ số tương quan Spearman"],
        [
            [d.get("code"), d.get("title"), d.get("first_order"), d.get("correlation")]
            for d in run.get("drivers") or []
        ],
        {2: 60},
    )
    _sheet(book, "Thông số", ["Nội dung", "Giá trị"], _parameters(run), {1: 30, 2: 60})
    return _save(book)


def _parameters(run: Mapping[str, Any]) -> list[list[Any]]:
    return [
        ["Bộ chỉ số", _version(run.get("methodology") or {})],
        ["Số lần lặp", run.get("replications")],
        ["Hạt giống ngẫu nhiên (seed)", run.get("seed")],
        ["Phân phối", _METHODS.get(str(run.get("method")), run.get("method"))],
        ["Biên độ dao động", run.get("spread")],
        ["Thay đổi", _LEVELS.get(str(run.get("level")), run.get("level"))],
        ["Độ tập trung (Dirichlet)", run.get("concentration")],
        ["Chính sách không áp dụng", run.get("policy")],
    ]


def sensitivity_document(
    run: Mapping[str, Any], charts: Mapping[str, bytes] | None = None
) -> bytes:
    """The run's báo cáo: parameters, the rank-interval chart (``ranks`` PNG), the units'
    intervals and the drivers."""

    from evaluators import vn

    doc = new_document()
    heading(doc, "Độ nhạy của thứ hạng theo trọng số", 1)
    for key, value in _parameters(run):
        doc.add_paragraph(f"{key}: {value}")
    for name, caption in SENSITIVITY_CHARTS.items():
        if charts and name in charts:
            heading(doc, caption, 2)
            add_chart(doc, charts[name], width_cm=20)
    heading(doc, "Thứ hạng", 2)
    table = word_table(
        doc,
        ["Hạng chính thức", "Đơn vị", "Chỉ số", "Trung vị", "Khoảng 5–95%", "Tỷ lệ lần đổi hạng"],
    )
    for u in run.get("units") or []:
        name = (u.get("unit_name") or u["unit"]) + (f" ({_note(u)})" if _note(u) else "")
        ranked = u.get("rank") is not None
        table_row(
            table,
            [
                _dash(u.get("rank")),
                name,
                vn(u.get("index")),
                vn(u.get("rank_median"), 1) if ranked else "—",
                f"{vn(u.get('rank_p05'), 0)}–{vn(u.get('rank_p95'), 0)}" if ranked else "—",
                f"{vn(100 * (u.get('changed_share') or 0), 1)}%" if ranked else "—",
            ],
        )
    if run.get("drivers"):
        heading(doc, "Yếu tố ảnh hưởng nhiều nhất", 2)
        table = word_table(doc, ["Mã", "Lĩnh vực / tiêu chí", "Độ nhạy bậc một", "Tương quan"])
        for d in run["drivers"]:
            table_row(
                table,
                [
                    str(d.get("code")),
                    str(d.get("title")),
                    vn(d.get("first_order"), 3),
                    vn(d.get("correlation"), 3),
                ],
            )
    return _save(doc)


def _dash(value: Any) -> str:
    return "—" if value is None else str(value)
