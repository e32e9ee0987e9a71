"""`open_workbook` refuses each kind of file openpyxl must never see, with a Vietnamese
reason naming the file, and opens a real workbook. Each refused file is made for real:
a workbook saved by openpyxl, then cut, padded, zipped with a macro part or a bomb, or
converted by LibreOffice to a legacy .xls, or encrypted with a password by msoffcrypto-tool
(Excel's own agile encryption)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from server.office import OfficeError, open_workbook
from server.office.files import MAX_FILE_BYTES, MAX_RATIO
from tests.office.helpers import convert

NAME = "biểu-mẫu.xlsx"


def _workbook_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "Tiêu chí"
    ws["B1"] = 0.5
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rezip(data: bytes, extra: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The workbook's parts, plus ``extra`` parts, zipped again."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", compression) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename))
        for name, content in extra.items():
            dst.writestr(name, content)
    return out.getvalue()


def _refused(data: bytes) -> OfficeError:
    with pytest.raises(OfficeError) as caught:
        open_workbook(data, NAME)
    error = caught.value
    assert error.where == NAME and error.unsupported
    assert str(error).startswith(f"{NAME}: ")
    return error


def test_a_real_workbook_opens_with_its_values():
    wb = open_workbook(_workbook_bytes(), NAME)
    ws = wb.active
    assert ws is not None and ws["A1"].value == "Tiêu chí" and ws["B1"].value == 0.5


def test_an_oversized_file_is_refused_before_it_is_unzipped():
    data = _workbook_bytes()
    padded = data + b"\0" * (MAX_FILE_BYTES + 1 - len(data))
    error = _refused(padded)
    assert "quá giới hạn" in error.message and "10.485.760" in error.message


def test_a_corrupt_file_is_refused():
    data = _workbook_bytes()
    assert "không phải tệp Excel .xlsx" in _refused(data[: len(data) // 2]).message
    assert "không phải tệp Excel .xlsx" in _refused(b"plain text, not a workbook").message


def test_a_zip_that_is_no_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "xin chào")
    assert _refused(out.getvalue()).message == "không phải tệp Excel .xlsx"


def test_a_workbook_with_broken_parts_is_refused_not_a_traceback():
    data = _workbook_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                content = b"<workbook><not-closed>"
            dst.writestr(item.filename, content)
    assert "không đọc được tệp Excel" in _refused(out.getvalue()).message


def test_a_macro_workbook_is_refused():
    data = _rezip(_workbook_bytes(), {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro code"})
    assert "macro" in _refused(data).message


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    # 60 MB of zeros deflate to ~60 KB: a ratio far beyond MAX_RATIO.
    data = _rezip(_workbook_bytes(), {"xl/media/padding.bin": b"\0" * 60_000_000})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = archive.getinfo("xl/media/padding.bin")
        assert member.file_size / member.compress_size > MAX_RATIO
    assert "giải nén ra quá lớn" in _refused(data).message


def test_a_password_protected_workbook_is_refused():
    """A workbook encrypted as Excel encrypts one with "Protect with password": an OLE
    compound file wrapping the encrypted package."""
    import msoffcrypto.format.ooxml

    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(_workbook_bytes())).encrypt("mật-khẩu", encrypted)
    data = encrypted.getvalue()
    assert data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert "mật khẩu" in _refused(data).message


def test_a_legacy_xls_is_refused(tmp_path: Path):
    """A legacy .xls (converted by LibreOffice) is an OLE compound file too."""
    source = tmp_path / "bieu-mau.xlsx"
    source.write_bytes(_workbook_bytes())
    legacy = convert(source, "xls", tmp_path).read_bytes()
    assert legacy.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    message = _refused(legacy).message
    assert "mật khẩu" in message and ".xls" in message
