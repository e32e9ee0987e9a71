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
from server.office.annex import annex_docx, annex_filename, annex_xlsx
from server.office.changes import changes_docx, changes_filename
from server.office.criteria_table import (
    ImportPlan,
    Table,
    draft_branch,
    plan_import,
    read_table,
    write_import,
)
from server.office.errors import OfficeError
from server.office.files import DOCX, XLSX, open_workbook

# Self-assessment forms (`parindex form`, `parindex import-form`).
from server.office.form import FORM_SHEET, TEMPLATE, write_form
from server.office.form_import import FilledForm, read_form
from server.office.results import results_document, results_workbook
from server.office.style import new_document

__all__ = [
    "DOCX",
    "FORM_SHEET",
    "TEMPLATE",
    "XLSX",
    "FilledForm",
    "ImportPlan",
    "OfficeError",
    "Table",
    "annex_docx",
    "annex_filename",
    "annex_xlsx",
    "audit_document",
    "audit_workbook",
    "changes_docx",
    "changes_filename",
    "draft_branch",
    "new_document",
    "open_workbook",
    "plan_import",
    "read_form",
    "read_table",
    "results_document",
    "results_workbook",
    "sensitivity_document",
    "sensitivity_workbook",
    "write_form",
    "write_import",
]
