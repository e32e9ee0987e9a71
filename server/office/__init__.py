"""Office documents in and out: Word (python-docx) and Excel (openpyxl), never hand-written XML.

Every reader opens uploads with ``open_workbook`` (size, zip bomb, encryption and macro
checks) and raises ``OfficeError`` naming the sheet and cell; every writer starts from
``style`` (A4, Times New Roman). Pages, API routes and CLI commands call these functions
and nothing else of the package.
"""

from server.office.errors import OfficeError
from server.office.files import open_workbook

# Self-assessment forms (`parindex form`, `parindex import-form`).
from server.office.form import FORM_SHEET, TEMPLATE, write_form
from server.office.form_import import FilledForm, read_form
from server.office.style import new_document

__all__ = [
    "FORM_SHEET",
    "TEMPLATE",
    "FilledForm",
    "OfficeError",
    "new_document",
    "open_workbook",
    "read_form",
    "write_form",
]
