"""Self-assessment forms as Excel workbooks: the blank (or filled-in) form of a version for
a unit and period, and a filled form made into a draft submission.

A form becomes a draft through `create_submission`, or replaces a draft's values through
`update_submission`: the same roles and the same checks as a JSON body, the checks'
paths turned into the form's cells. Nothing is written when any cell is wrong.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from server.auth import Principal, require
from server.db import session_scope
from server.deps import Services
from server.errors import ApiError, Unprocessable, UnsupportedMediaType
from server.models import Unit
from server.office import XLSX, OfficeError, read_form, write_form
from server.services.methodologies import read_version
from server.services.submissions import (
    check_period,
    create_submission,
    get_submission,
    open_version,
    update_submission,
)

__all__ = [
    "XLSX",
    "blank_form",
    "form_filename",
    "form_problem",
    "import_form",
    "submission_form",
]


def form_filename(methodology: str, unit: str, period: str) -> str:
    """`biểu-mẫu-tự-đánh-giá_<unit>_<period>_<methodology>.xlsx`."""
    name = f"biểu-mẫu-tự-đánh-giá_{unit}_{period}_{methodology}.xlsx"
    return unicodedata.normalize("NFC", name)


def blank_form(
    services: Services,
    principal: Principal,
    methodology: str,
    ref: str | None,
    unit: str,
    period: str,
) -> tuple[bytes, str]:
    """The empty form of a version for a unit and period: whoever may read the version
    may download it (it holds nothing of the unit but its name)."""
    m = read_version(services.store, principal, methodology, ref)
    with session_scope(services.db) as session:
        row = session.get(Unit, unit)
        if row is None:
            raise Unprocessable(
                f"no unit '{unit}'", [{"path": "$.query.unit", "message": "unknown unit"}]
            )
        unit_name = row.name
    check_period(period, "$.query.period")  # a workbook cell holds no control character
    data = write_form(m, unit=unit, period=period.strip(), unit_name=unit_name)
    return data, form_filename(methodology, unit, period.strip())


def submission_form(
    services: Services, principal: Principal, submission_id: int
) -> tuple[bytes, str]:
    """The form filled with a submission's values and claims, for whoever may read it."""
    sub = get_submission(services, principal, submission_id)
    m = open_version(services.store, sub["methodology"], sub["ref"])
    with session_scope(services.db) as session:
        unit = session.get(Unit, sub["unit_id"])
        unit_name = unit.name if unit else None
    data = write_form(m, unit=sub["unit_id"], period=sub["period"], unit_name=unit_name, filled=sub)
    return data, form_filename(sub["methodology"], sub["unit_id"], sub["period"])


def form_problem(exc: OfficeError) -> ApiError:
    """415 for a file that is no workbook parindex reads, else 422; every problem at its
    cell (`Tự đánh giá!G12`) as the error's path."""
    errors = [{"path": where or "$", "message": message} for where, message in exc.problems]
    kind = UnsupportedMediaType if exc.unsupported else Unprocessable
    return kind(str(exc), errors)


def import_form(
    services: Services,
    principal: Principal,
    data: bytes,
    filename: str,
    *,
    submission_id: int | None = None,
    unit: str | None = None,
    period: str | None = None,
) -> dict[str, Any]:
    """A filled form as a new draft, or (``submission_id``) as the values of that draft,
    which it must have been made for; ``unit`` and ``period`` refuse a form of another. Raises
    the API's 415 or 422 (`form_problem`) naming each cell."""
    try:
        return _import(services, principal, data, filename, submission_id, unit, period)
    except OfficeError as exc:
        raise form_problem(exc) from None


def _import(
    services: Services,
    principal: Principal,
    data: bytes,
    filename: str,
    submission_id: int | None,
    unit: str | None,
    period: str | None,
) -> dict[str, Any]:
    expect: dict[str, str | None] = {"unit": unit, "period": period}
    if submission_id is not None:
        # Read first: a caller who may not read it learns nothing of the file's problems.
        current = get_submission(services, principal, submission_id)
        require(principal, "submission.edit", unit_id=current["unit_id"], status=current["status"])
        expect = {
            "methodology": current["methodology"],
            "ref": current["ref"] or "",
            "unit": current["unit_id"],
            "period": current["period"],
        }
    filled = read_form(
        data, filename, lambda name, ref: open_version(services.store, name, ref), expect=expect
    )
    try:
        if submission_id is None:
            body = {
                "unit_id": filled.unit,
                "period": filled.period,
                "methodology": filled.methodology,
                "ref": filled.ref,
                "values": filled.values,
                "not_applicable": filled.not_applicable,
                "facts": filled.facts,
                "documents": filled.evidence,
            }
            return create_submission(services, principal, body)
        # The form replaces the draft's values: what it leaves empty is removed.
        patch: dict[str, Any] = {
            part: {
                **dict.fromkeys(current[part]),
                **getattr(filled, part),
            }
            for part in ("values", "not_applicable", "facts")
        }
        patch["documents"] = {**dict.fromkeys(current["documents"]), **filled.evidence}
        return update_submission(services, principal, submission_id, patch, None)
    except Unprocessable as exc:
        problems = filled.problems_at_cells(exc.errors)
        if not problems:
            raise
        raise OfficeError(
            f"biểu mẫu có {len(problems)} ô không hợp lệ; sửa rồi nhập lại",
            problems[0][0],
            problems=problems,
        ) from None
