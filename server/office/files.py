"""Opening a workbook someone uploaded, before openpyxl sees a byte of it.

openpyxl trusts its input: an encrypted file, a macro workbook, or a zip that inflates to
gigabytes would each give a traceback or exhaust memory. Every reader of xlsx in parindex
opens files through ``open_workbook``, which refuses those with an ``OfficeError``.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

from server.office.errors import OfficeError

if TYPE_CHECKING:
    from openpyxl import Workbook

__all__ = ["DOCX", "MAX_FILE_BYTES", "MAX_UNPACKED_BYTES", "XLSX", "open_workbook"]

# The media types of what parindex reads and writes.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# A filled 876 form is ~60 KB; a criteria table of 1,000 rows ~150 KB.
MAX_FILE_BYTES = 10 * 1024 * 1024
# Sum of the uncompressed members. Text-heavy sheets compress ~10:1, bombs 1000:1.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_RATIO = 200

# Office files that are not plain OOXML start with the OLE compound-file signature: legacy
# .xls, and every password-protected (encrypted) .xlsx.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def open_workbook(data: bytes, name: str = "tệp") -> Workbook:
    """The workbook in ``data``, or an ``OfficeError`` naming why not (``name`` is the file)."""
    if len(data) > MAX_FILE_BYTES:
        raise OfficeError(
            f"tệp lớn {len(data):,} byte, quá giới hạn {MAX_FILE_BYTES:,} byte".replace(",", "."),
            name,
            unsupported=True,
        )
    if data.startswith(_OLE_MAGIC):
        raise OfficeError(
            "tệp được đặt mật khẩu hoặc là tệp Excel cũ (.xls); "
            "hãy bỏ mật khẩu và lưu lại dưới dạng .xlsx",
            name,
            unsupported=True,
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise OfficeError(
            "không phải tệp Excel .xlsx (tệp hỏng hoặc sai định dạng)", name, unsupported=True
        ) from None
    with archive:
        _check_members(archive, name)
    from openpyxl import load_workbook

    try:
        # keep_vba=False and data_only=False: formulas stay formulas so readers can refuse them.
        return load_workbook(io.BytesIO(data), data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, lxml errors … on bad parts
        raise OfficeError(
            f"không đọc được tệp Excel ({type(exc).__name__})", name, unsupported=True
        ) from None


def _check_members(archive: zipfile.ZipFile, name: str) -> None:
    members = archive.infolist()
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise OfficeError("không phải tệp Excel .xlsx", name, unsupported=True)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise OfficeError(
            "tệp có macro (.xlsm); parindex không nhận tệp chứa macro — "
            "hãy lưu lại dưới dạng .xlsx",
            name,
            unsupported=True,
        )
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_RATIO:
        raise OfficeError(
            "tệp giải nén ra quá lớn (có thể là tệp độc hại); hãy kiểm tra lại tệp",
            name,
            unsupported=True,
        )
