"""Bad files: each gets a clear `OfficeError` naming the file, the sheet or the cell, and
nothing is written to the store."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook

from methodology import Store, open_methodology
from server.office import OfficeError, annex_xlsx, plan_import, read_table
from server.office.annex import SHEET
from server.office.files import MAX_FILE_BYTES
from tests.office.conftest import refs

NAME = "bảng.xlsx"


@pytest.fixture(scope="module")
def good(shared_store: Store) -> bytes:
    return annex_xlsx(open_methodology(shared_store, "par-provincial"))


def workbook_with(good: bytes, change: Callable[[Any], None]) -> bytes:
    workbook = load_workbook(io.BytesIO(good))
    change(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rezipped(good: bytes, extra: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        for name, data in extra.items():
            target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _sheet(workbook: Any) -> Any:
    return workbook[SHEET]


CASES: dict[str, tuple[Callable[[bytes], bytes], str, str, bool]] = {
    # name: (make the file from a good one, where, words in the message, unsupported)
    "corrupt": (lambda g: g[: len(g) // 2], NAME, "không phải tệp Excel", True),
    "not-a-zip": (lambda g: b"STT;Ten\n1;x\n", NAME, "không phải tệp Excel", True),
    "encrypted": (
        lambda g: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000,
        NAME,
        "mật khẩu",
        True,
    ),
    "macros": (lambda g: rezipped(g, {"xl/vbaProject.bin": b"\0" * 64}), NAME, "macro", True),
    "oversized": (lambda g: g + b"\0" * MAX_FILE_BYTES, NAME, "quá giới hạn", True),
    "zip-bomb": (
        lambda g: rezipped(g, {"xl/media/padding.bin": b"\0" * 20_000_000}),
        NAME,
        "giải nén ra quá lớn",
        True,
    ),
    "formula": (
        lambda g: workbook_with(g, lambda w: _sheet(w).__setitem__("C8", "=1+2")),
        f"{SHEET}!C8",
        "công thức",
        False,
    ),
    "merged": (
        lambda g: workbook_with(g, lambda w: _sheet(w).merge_cells("D9:E9")),
        f"{SHEET}!D9:E9",
        "gộp",
        False,
    ),
    "extra-sheet": (
        lambda g: workbook_with(g, lambda w: w.create_sheet("Sheet2")),
        NAME,
        "'Sheet2'",
        False,
    ),
    "renamed-sheet": (
        lambda g: workbook_with(g, lambda w: setattr(_sheet(w), "title", "Sheet1")),
        "Sheet1",
        f"không phải '{SHEET}'",
        False,
    ),
    "points-as-date": (
        lambda g: workbook_with(g, lambda w: _sheet(w).__setitem__("C8", dt.date(2022, 1, 1))),
        f"{SHEET}!C8",
        "ngày giờ",
        False,
    ),
    "points-as-word": (
        lambda g: workbook_with(g, lambda w: _sheet(w).__setitem__("C8", "1,2,5")),
        f"{SHEET}!C8",
        "'1,2,5' không phải là một số",
        False,
    ),
    "code-as-decimal": (
        lambda g: workbook_with(g, lambda w: _sheet(w).__setitem__("A9", 1.1)),
        f"{SHEET}!A9",
        "Text",
        False,
    ),
    "title-as-number": (
        lambda g: workbook_with(g, lambda w: _sheet(w).__setitem__("B8", 42)),
        f"{SHEET}!B8",
        "tên phải là chữ",
        False,
    ),
    "unknown-column": (
        lambda g: workbook_with(g, lambda w: _sheet(w).__setitem__("J6", "Điểm thưởng")),
        f"{SHEET}!J6",
        "cột lạ",
        False,
    ),
    "missing-column": (
        lambda g: workbook_with(g, lambda w: _sheet(w).delete_cols(3)),
        f"{SHEET}!A6",
        "Điểm tối đa",
        False,
    ),
    "bad-id": (
        lambda g: workbook_with(g, lambda w: _sheet(w).__setitem__("G8", "Kế hoạch")),
        f"{SHEET}!G8",
        "id",
        False,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_file_is_refused_naming_where_and_nothing_is_written(
    case: str, good: bytes, fresh_store: Store
):
    make, where, words, unsupported = CASES[case]
    data = make(good)
    before = refs(fresh_store)
    with pytest.raises(OfficeError) as caught:
        plan_import(fresh_store, "par-provincial", read_table(data, NAME))
    error = caught.value
    assert error.where == where, str(error)
    assert words in error.message, str(error)
    assert error.unsupported is unsupported
    assert str(error).startswith(f"{where}: ")
    assert refs(fresh_store) == before


def test_the_cases_start_from_a_file_that_imports(good: bytes, shared_store: Store):
    """Each case breaks one thing: the file it starts from is fine (rows 8 and 9 are 1.1
    and 1.1.1)."""
    table = read_table(good, NAME)
    assert [(r.row, r.code) for r in table.rows[1:3]] == [(8, "1.1"), (9, "1.1.1")]
    assert plan_import(shared_store, "par-provincial", table).unchanged
