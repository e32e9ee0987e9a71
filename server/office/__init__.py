"""Office documents in and out: Word (python-docx) and Excel (openpyxl), never hand-written XML.

Every reader opens uploads with ``open_workbook`` (size, zip bomb, encryption and macro
checks) and raises ``OfficeError`` naming the sheet and cell; every writer starts from
``style`` (A4, Times New Roman). Pages, API routes and CLI commands call these functions
and nothing else of the package.
"""

# Results out (evaluations, rankings, audits, sensitivity runs): xlsx and docx.
from server.office.analyses import (
    audit_document,
    audit_workbook,
    sensitivity_document,
    sensitivity_workbook,
)
from server.office.errors import OfficeError
from server.office.files import open_workbook
from server.office.results import DOCX, XLSX, results_document, results_workbook
from server.office.style import new_document

__all__ = [
    "DOCX",
    "XLSX",
    "OfficeError",
    "audit_document",
    "audit_workbook",
    "new_document",
    "open_workbook",
    "results_document",
    "results_workbook",
    "sensitivity_document",
    "sensitivity_workbook",
]
