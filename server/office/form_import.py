"""A filled self-assessment form read back into a submission (`parindex import-form`,
`POST /api/forms`, the upload on /tu-danh-gia).

The workbook is opened by `open_workbook` (size, zip bomb, encryption, macros), then
checked against the form `server.office.form` writes for the version it names: the same
two sheets, the template version, the hidden ids of every row, no merged cells. Each
input cell is read by its declared type — numbers as Excel holds them or as people type
them (`0,5` and `0.5`; a ratio in percent), Có / Không, a choice's label, a date — and
anything else is named by its cell (`Tự đánh giá!G12`). Whether a value is allowed (its
bounds, a whole number) is then the submission's own check, the same as for JSON and
YAML, its paths turned back into cells by `FilledForm.cell_of`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from server.office.errors import OfficeError
from server.office.files import open_workbook
from server.office.form import (
    COL_DOC_DATE,
    COL_DOC_NO,
    COL_DOC_TITLE,
    COL_KEY,
    COL_NA,
    COL_NODE,
    COL_VALUE,
    COL_WHY,
    FIRST_ROW,
    FORM_SHEET,
    HEADERS,
    META_KEYS,
    META_SHEET,
    NO,
    NOT_APPLICABLE,
    TEMPLATE,
    YES,
    FormLine,
    bounds_words,
    form_lines,
)

__all__ = ["FilledForm", "read_form", "value_message"]

# How far below the last row the reader looks for values typed where no row is.
_TRAILING_ROWS = 200


@dataclass
class FilledForm:
    """What a filled form holds: its version, unit and period, the submission's values,
    claims and facts, the evidence per sub-criterion as a submission file lists it (each
    document `{title, number, date}`, a giải trình without a claim `{explanation}`), and
    the cell of every value (by the submission's JSON path)."""

    methodology: str
    ref: str | None
    commit: str
    unit: str
    unit_name: str
    period: str
    values: dict[str, Any] = field(default_factory=dict)
    not_applicable: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)
    specs: dict[str, Any] = field(default_factory=dict)

    def submission(self) -> dict[str, Any]:
        """The submission as a YAML or JSON file holds it (`evaluators.parse_submission`)."""
        out: dict[str, Any] = {
            "unit": self.unit,
            "period": self.period,
            "methodology": self.methodology,
            "ref": self.ref,
            "facts": self.facts,
            "values": self.values,
            "not_applicable": self.not_applicable,
        }
        if self.unit_name:
            out["unit_name"] = self.unit_name
        if self.evidence:
            out["evidence"] = self.evidence
        return out

    def cell_of(self, path: str) -> str:
        """The cell of a submission's JSON path (`$.values.x` → `Tự đánh giá!G12`); the
        nearest known path above it, else the sheet."""
        probe = path
        while probe:
            if probe in self.cells:
                return self.cells[probe]
            probe = probe.rpartition(".")[0]
        return FORM_SHEET

    def problems_at_cells(self, problems: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
        """The submission check's problems, each at its cell and said in Vietnamese."""
        out = []
        for p in problems:
            path = str(p.get("path", "$"))
            spec = self.specs.get(path)
            message = value_message(spec) if spec is not None else str(p.get("message", ""))
            out.append((self.cell_of(path), message))
        return out


def value_message(spec: Any) -> str:
    """Why a value of ``spec`` is refused, in the form's words."""
    from rules import InputType

    if spec.type is InputType.BOOL:
        return f"hãy chọn {YES} hoặc {NO}"
    if spec.type is InputType.ENUM:
        return "hãy chọn một mức trong danh sách: " + ", ".join(_labels(spec))
    if spec.type is InputType.DATE:
        return "ngày không hợp lệ (viết dd/mm/yyyy)"
    return f"giá trị phải là {bounds_words(spec)}"


def _labels(spec: Any) -> list[str]:
    from server.labels import choice_label

    return [choice_label(c) for c in spec.choices]


def read_form(
    data: bytes,
    name: str,
    open_version: Callable[[str, str | None], Any],
    *,
    expect: Mapping[str, str | None] | None = None,
) -> FilledForm:
    """The filled form in ``data`` (a file called ``name``); ``open_version(methodology,
    ref)`` opens the version it names. ``expect`` (methodology, ref, unit, period) refuses
    a form made for another. Raises `OfficeError` listing every problem by its cell."""
    wb = open_workbook(data, name)
    _check_sheets(wb.sheetnames, name)
    ws = wb[FORM_SHEET]
    meta = _meta(wb[META_SHEET], name)
    _check_expected(meta, expect or {})
    methodology = open_version(meta["methodology"], meta["ref"] or None)
    if meta["commit"] and methodology.commit and meta["commit"] != methodology.commit:
        raise OfficeError(
            f"biểu mẫu lập từ một bản khác của {meta['methodology']}@{meta['ref']} "
            f"(commit {meta['commit'][:10]}, nay là {methodology.commit[:10]}); "
            "hãy tải biểu mẫu mới",
            f"{FORM_SHEET}!C2",
        )
    lines = form_lines(methodology)
    if str(meta["rows"]) != str(len(lines)):
        raise _older(name)
    if ws.merged_cells.ranges:
        merged = sorted(str(r) for r in ws.merged_cells.ranges)
        raise OfficeError(
            "biểu mẫu có ô bị gộp (" + ", ".join(merged) + "); hãy bỏ gộp ô",
            f"{FORM_SHEET}!{merged[0]}",
            problems=[(f"{FORM_SHEET}!{r}", "ô bị gộp; hãy bỏ gộp ô") for r in merged],
        )
    _check_ids(ws, lines)
    filled = FilledForm(
        methodology=meta["methodology"],
        ref=meta["ref"] or None,
        commit=meta["commit"],
        unit=meta["unit"],
        unit_name=meta["unit_name"],
        period=meta["period"],
    )
    reader = _Reader(ws, filled)
    reader.read(lines)
    if reader.problems:
        count = len(reader.problems)
        raise OfficeError(
            f"biểu mẫu có {count} ô không hợp lệ; sửa rồi nhập lại",
            reader.problems[0][0],
            problems=reader.problems,
        )
    return filled


def _check_sheets(names: list[str], file: str) -> None:
    expected = [FORM_SHEET, META_SHEET]
    if META_SHEET not in names:
        raise OfficeError(
            "không phải biểu mẫu tự đánh giá do parindex lập (thiếu phần dữ liệu ẩn); "
            "hãy tải biểu mẫu từ parindex",
            file,
        )
    if FORM_SHEET not in names:
        others = [n for n in names if n != META_SHEET]
        raise OfficeError(
            f"không có trang “{FORM_SHEET}” (trang đã bị đổi tên thành "
            f"“{others[0] if others else '?'}”?); hãy giữ nguyên tên trang",
            others[0] if others else file,
        )
    extra = [n for n in names if n not in expected]
    if extra:
        raise OfficeError(
            f"biểu mẫu có thêm trang “{extra[0]}”; hãy xoá các trang thêm vào",
            extra[0],
            problems=[(n, "trang thêm vào biểu mẫu; hãy xoá") for n in extra],
        )


def _meta(sheet: Any, file: str) -> dict[str, str]:
    meta = {}
    for number, key in enumerate(META_KEYS, 1):
        if sheet.cell(number, 1).value != key:
            raise _older(file)
        value = sheet.cell(number, 2).value
        meta[key] = "" if value is None else str(value)
    if meta["template"] != TEMPLATE:
        raise _older(file)
    return meta


def _older(file: str) -> OfficeError:
    return OfficeError(
        f"biểu mẫu theo mẫu cũ hoặc đã bị sửa cấu trúc (cần mẫu {TEMPLATE}); "
        "hãy tải biểu mẫu mới và nhập lại",
        file,
    )


_EXPECT_WORDS = {
    "methodology": ("bộ chỉ số", "C2"),
    "ref": ("phiên bản", "C2"),
    "unit": ("đơn vị", "C3"),
    "period": ("kỳ đánh giá", "C3"),
}


def _check_expected(meta: Mapping[str, str], expect: Mapping[str, str | None]) -> None:
    wrong = []
    for key, (words, cell) in _EXPECT_WORDS.items():
        want = expect.get(key)
        if want is None or str(want) == meta[key]:
            continue
        wrong.append(
            (f"{FORM_SHEET}!{cell}", f"biểu mẫu của {words} “{meta[key]}”, không phải “{want}”")
        )
    if wrong:
        raise OfficeError(
            "biểu mẫu lập cho "
            + ", ".join(m.split(" của ", 1)[1].split(",")[0] for _, m in wrong)
            + ": hãy tải biểu mẫu đúng đơn vị, kỳ và phiên bản",
            wrong[0][0],
            problems=wrong,
        )


def _check_ids(ws: Any, lines: list[FormLine]) -> None:
    for number, line in enumerate(lines, FIRST_ROW):
        for column, want in ((COL_NODE, line.node_id), (COL_KEY, line.key)):
            got = ws[f"{column}{number}"].value
            if (got or "") != want:
                raise OfficeError(
                    "cấu trúc biểu mẫu đã bị thay đổi (dòng bị chèn, xoá hoặc chuyển chỗ); "
                    "hãy tải biểu mẫu mới và nhập lại",
                    f"{FORM_SHEET}!{column}{number}",
                )
    end = FIRST_ROW + len(lines)
    for row in ws.iter_rows(min_row=end, max_row=end + _TRAILING_ROWS, max_col=len(HEADERS)):
        for cell in row:
            if cell.value not in (None, ""):
                raise OfficeError(
                    "có dữ liệu ngoài các dòng của biểu mẫu; hãy xoá",
                    f"{FORM_SHEET}!{cell.coordinate}",
                )


class _Reader:
    def __init__(self, ws: Any, filled: FilledForm) -> None:
        self.ws, self.filled = ws, filled
        self.problems: list[tuple[str, str]] = []

    def where(self, column: str, row: int) -> str:
        return f"{FORM_SHEET}!{column}{row}"

    def cell(self, column: str, row: int) -> Any:
        """The cell's value, None when empty; a formula is a problem."""
        cell = self.ws[f"{column}{row}"]
        value = cell.value
        if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
            self.problems.append(
                (
                    self.where(column, row),
                    "ô chứa công thức; hãy nhập giá trị, không nhập công thức",
                )
            )
            return None
        if isinstance(value, str):
            value = unicodedata.normalize("NFC", value).strip()
            return value or None
        return value

    def read(self, lines: list[FormLine]) -> None:
        f = self.filled
        for row, line in enumerate(lines, FIRST_ROW):
            spec = line.spec
            if spec is not None and line.self_assessed:
                target, part = (f.facts, "facts") if line.kind == "fact" else (f.values, "values")
                path = f"$.{part}.{spec.id}"
                f.cells[path] = self.where(COL_VALUE, row)
                f.specs[path] = spec
                raw = self.cell(COL_VALUE, row)
                if raw is not None:
                    try:
                        target[spec.id] = convert(spec, raw)
                    except ValueError as exc:
                        self.problems.append((self.where(COL_VALUE, row), str(exc)))
            if line.kind == "leaf" and line.self_assessed:
                self._claim(row, line)
            if line.editable_documents:
                self._document(row, line)

    def _claim(self, row: int, line: FormLine) -> None:
        f = self.filled
        node = line.node_id
        why = self.cell(COL_WHY, row)
        f.cells[f"$.not_applicable.{node}"] = self.where(COL_NA, row)
        if why is not None:
            why = str(why)
        claim = self.cell(COL_NA, row) if line.allow_not_applicable else None
        if claim is not None:
            if _folded(str(claim)) != _folded(NOT_APPLICABLE):
                self.problems.append(
                    (
                        self.where(COL_NA, row),
                        f"chọn “{NOT_APPLICABLE}” hoặc để trống, không phải “{claim}”",
                    )
                )
            elif not why:
                self.problems.append(
                    (self.where(COL_WHY, row), "hãy giải trình vì sao nội dung này không phát sinh")
                )
            else:
                f.not_applicable[node] = why
                return
        if why:
            f.evidence.setdefault(node, []).append({"explanation": why})

    def _document(self, row: int, line: FormLine) -> None:
        number = self.cell(COL_DOC_NO, row)
        date = self.cell(COL_DOC_DATE, row)
        title = self.cell(COL_DOC_TITLE, row)
        if number is None and date is None and title is None:
            return
        doc: dict[str, Any] = {}
        if title is not None:
            doc["title"] = _text(title)
        if number is not None:
            doc["number"] = _text(number)
        if date is not None:
            try:
                doc["date"] = _date(date)
            except ValueError as exc:
                self.problems.append((self.where(COL_DOC_DATE, row), str(exc)))
        self.filled.evidence.setdefault(line.node_id, []).append(doc)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def convert(spec: Any, raw: Any) -> Any:
    """A cell's value as a submission holds the input's value; ValueError in Vietnamese
    when it is of another type (bounds are the submission check's)."""
    from rules import InputType

    if spec.type is InputType.BOOL:
        if isinstance(raw, bool):
            return raw
        text = _folded(str(raw))
        if text in (_folded(YES), "co"):
            return True
        if text in (_folded(NO), "khong"):
            return False
        raise ValueError(f"“{raw}” không phải {YES} / {NO}: hãy chọn {YES} hoặc {NO}")
    if spec.type is InputType.ENUM:
        from server.labels import choice_label

        text = _folded(str(raw))
        for code in spec.choices:
            if text in (_folded(choice_label(code)), _folded(code)):
                return code
        raise ValueError(
            f"“{raw}” không có trong danh sách: chọn một trong " + ", ".join(_labels(spec))
        )
    if spec.type is InputType.DATE:
        return _date(raw)
    return _number(spec, raw)


def _date(raw: Any) -> str:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, str):
        from server.format import parse_date

        try:
            return parse_date(raw).isoformat()
        except ValueError:
            pass
    raise ValueError(f"“{_shown(raw)}” không phải là một ngày (viết dd/mm/yyyy)")


def _shown(raw: Any) -> str:
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    return str(raw)


def _number(spec: Any, raw: Any) -> int | float:
    """Excel keeps every number as a double, so the type comes from the declaration, as
    submission files write them: a count as an integer, a ratio as a fraction (a float,
    0.75, 1.0), any other number as the page stores it (an integer when whole)."""
    from rules import InputType
    from server.format import parse_number, stored_number

    if isinstance(raw, bool):
        raise ValueError(f"“{_shown(raw)}” không phải là số")
    if isinstance(raw, dt.date | dt.datetime | dt.time):
        raise ValueError(f"“{_text(raw)}” là ngày giờ, không phải là số")
    if isinstance(raw, int | float):
        number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        if not number.is_finite():
            raise ValueError(f"“{raw}” không phải là số")
    else:
        text = str(raw)
        # A ratio typed as text is in percent, as the form asks ("79,5" or "79,5 %").
        percent = spec.type is InputType.RATIO or text.endswith("%")
        number = parse_number(text.removesuffix("%"))
        if percent:
            number = number / 100
    if spec.type is InputType.RATIO:
        return float(number)
    if spec.type is InputType.COUNT and number == number.to_integral_value():
        return int(number)
    return stored_number(number)
