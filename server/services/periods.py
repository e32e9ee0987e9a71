"""Assessment periods (kỳ đánh giá): a cohort's year of the cycle.

A period belongs to a cohort and a period name ("2025"): the release its submissions
are made under (`ref`, resolved to its `commit` when pinned, so a later tag or branch
move never changes what the period pinned), its schedule (`server.models.SCHEDULE`:
each date optional, each window ordered) and its late policy (`refuse`, or `flag`:
accepted as nộp muộn). It is managed by whoever manages the cohort's rankings: an
admin, a ministry editor for a national cohort, an editor of the province owning the
cohort's methodology (`period.manage`); an administrator extends one unit's
self-assessment deadline with a reason (`period.extend`). What the schedule allows is
`server.services.windows`.

`OPERATOR` is the person at the command line (`parindex period …`), who holds the
database itself: no permission is asked of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from server.auth import Principal, record, require
from server.db import session_scope
from server.deps import Services
from server.errors import BadRequest, Conflict, NotFound, Unprocessable
from server.models import (
    LATE_POLICIES,
    SCHEDULE,
    AssessmentPeriod,
    Cohort,
    CohortMember,
    PeriodExtension,
    stored_id,
    utcnow,
)
from server.services.submissions import (
    check_period,
    check_slug,
    json_object,
    nfc_name,
    open_version,
)
from server.services.units import methodology_owner

__all__ = [
    "OPERATOR",
    "create_period",
    "extend_deadline",
    "get_period",
    "list_periods",
    "period_json",
    "update_period",
]

OPERATOR = Principal(None, "parindex CLI", "admin")
# The windows of a schedule: each opens on or before it closes.
WINDOWS = (
    ("self_assessment_opens", "self_assessment_closes"),
    ("appraisal_opens", "appraisal_closes"),
    ("objection_opens", "objection_closes"),
)
_SETTINGS = ("ref", *SCHEDULE, "late")
REASON_LENGTH = 2000


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def period_json(session: Session, row: AssessmentPeriod) -> dict[str, Any]:
    extensions = session.exec(
        select(PeriodExtension)
        .where(PeriodExtension.period_id == row.id)
        .order_by(col(PeriodExtension.id))
    ).all()
    return {
        "id": stored_id(row),
        "cohort": row.cohort_id,
        "period": row.period,
        "methodology": row.methodology,
        "ref": row.ref,
        "commit": row.commit,
        **{name: _iso(getattr(row, name)) for name in SCHEDULE},
        "late": row.late,
        "created_by": row.created_by,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "extensions": [
            {
                "unit_id": e.unit_id,
                "until": e.until.isoformat(),
                "reason": e.reason,
                "granted_by": e.granted_by,
                "granted_at": _iso(e.granted_at),
            }
            for e in extensions
        ],
    }


def _cohort(session: Session, principal: Principal, cohort: Any, path: str) -> Cohort:
    if principal.anonymous and principal is not OPERATOR:
        require(principal, "period.manage")
    check_slug(cohort, path)
    row = session.get(Cohort, cohort)
    if row is None:
        raise NotFound(f"no cohort '{cohort}'")
    return row


def _authorize(services: Services, principal: Principal, cohort: Cohort, action: str) -> None:
    if principal is OPERATOR:
        return
    owner = methodology_owner(services, cohort.methodology)
    require(principal, action, province=owner, cohort=cohort.id)


def _date(value: Any, path: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest("invalid date", [{"path": path, "message": "write YYYY-MM-DD"}]) from None


def _apply(services: Services, row: AssessmentPeriod, body: dict[str, Any]) -> None:
    """Set what ``body`` gives (a null clears it) and check the whole period."""
    for name in SCHEDULE:
        if name in body:
            setattr(row, name, _date(body[name], f"$.{name}"))
    if "late" in body:
        if body["late"] not in LATE_POLICIES:
            raise Unprocessable(
                f"unknown late policy {body['late']!r}",
                [{"path": "$.late", "message": f"one of {', '.join(LATE_POLICIES)}"}],
            )
        row.late = body["late"]
    if "ref" in body:
        ref = body["ref"]
        if ref is not None and (not isinstance(ref, str) or not ref.strip()):
            raise BadRequest("invalid ref", [{"path": "$.ref", "message": "a release or null"}])
        m = open_version(services.store, row.methodology, ref) if ref else None
        row.ref, row.commit = (ref, m.commit) if m is not None else (None, None)
    wrong = [
        {"path": f"$.{closes}", "message": f"before {opens} ({getattr(row, opens).isoformat()})"}
        for opens, closes in WINDOWS
        if getattr(row, opens) is not None
        and getattr(row, closes) is not None
        and getattr(row, closes) < getattr(row, opens)
    ]
    if wrong:
        raise Unprocessable("a window of the schedule closes before it opens", wrong)


def create_period(services: Services, principal: Principal, data: Any) -> dict[str, Any]:
    """`{cohort, period, ref?, <schedule dates>?, late?}`; 409 when the cohort has it."""
    body = json_object(data, ("cohort", "period", *_SETTINGS))
    period = body.get("period")
    if not isinstance(period, str):
        raise BadRequest("missing period", [{"path": "$.period", "message": "required"}])
    check_period(period)
    try:
        with session_scope(services.db) as session:
            cohort = _cohort(session, principal, body.get("cohort"), "$.cohort")
            _authorize(services, principal, cohort, "period.manage")
            _refuse_existing(session, cohort.id, period)
            row = AssessmentPeriod(
                cohort_id=cohort.id,
                period=period,
                methodology=cohort.methodology,
                created_by=principal.id,
            )
            _apply(services, row, body)
            session.add(row)
            session.flush()
            after = period_json(session, row)
            record(session, principal, "period.create", "period", str(row.id), None, after)
            return after
    except IntegrityError:  # a concurrent create of the same period won
        with session_scope(services.db) as session:
            _refuse_existing(session, str(body.get("cohort")), period)
        raise


def _refuse_existing(session: Session, cohort: str, period: str) -> None:
    if _find(session, cohort, period) is not None:
        raise Conflict(
            f"nhóm {cohort} đã có kỳ đánh giá {period}: sửa kỳ đó",
            [{"path": "$.period", "message": "exists"}],
        )


def _find(session: Session, cohort: str, period: str) -> AssessmentPeriod | None:
    return session.exec(
        select(AssessmentPeriod).where(
            AssessmentPeriod.cohort_id == cohort, AssessmentPeriod.period == period
        )
    ).first()


def _load(session: Session, principal: Principal, cohort: str, period: str) -> AssessmentPeriod:
    _cohort(session, principal, cohort, "$.path.cohort")
    row = _find(session, cohort, period)
    if row is None:
        raise NotFound(f"cohort {cohort} has no period {period}")
    return row


def get_period(
    services: Services, principal: Principal, cohort: str, period: str
) -> dict[str, Any]:
    if principal is not OPERATOR:
        require(principal, "period.read")
    with session_scope(services.db) as session:
        return period_json(session, _load(session, principal, cohort, period))


def list_periods(
    services: Services, principal: Principal, cohort: str | None = None
) -> list[dict[str, Any]]:
    """Every period (of ``cohort``), the latest first within each cohort."""
    if principal is not OPERATOR:
        require(principal, "period.read")
    with session_scope(services.db) as session:
        query = select(AssessmentPeriod).order_by(
            col(AssessmentPeriod.cohort_id), col(AssessmentPeriod.period).desc()
        )
        if cohort is not None:
            _cohort(session, principal, cohort, "$.query.cohort")
            query = query.where(AssessmentPeriod.cohort_id == cohort)
        return [period_json(session, row) for row in session.exec(query).all()]


def update_period(
    services: Services, principal: Principal, cohort: str, period: str, data: Any
) -> dict[str, Any]:
    """Change what the body gives (`ref`, dates, `late`; a null clears it)."""
    body = json_object(data, _SETTINGS)
    with session_scope(services.db) as session:
        row = _load(session, principal, cohort, period)
        cohort_row = session.get(Cohort, cohort)
        assert cohort_row is not None
        _authorize(services, principal, cohort_row, "period.manage")
        before = period_json(session, row)
        _apply(services, row, body)
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        after = period_json(session, row)
        record(session, principal, "period.update", "period", str(row.id), before, after)
        return after


def extend_deadline(
    services: Services, principal: Principal, cohort: str, period: str, data: Any
) -> dict[str, Any]:
    """`{unit_id, until, reason}`: the unit's self-assessment closes on `until` instead
    (its latest extension is in force; an earlier date shortens it again)."""
    body = json_object(data, ("unit_id", "until", "reason"))
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_LENGTH:
        raise BadRequest(
            "give a reason", [{"path": "$.reason", "message": f"1 to {REASON_LENGTH} characters"}]
        )
    until = _date(body.get("until"), "$.until")
    if until is None:
        raise BadRequest("missing date", [{"path": "$.until", "message": "required"}])
    with session_scope(services.db) as session:
        row = _load(session, principal, cohort, period)
        cohort_row = session.get(Cohort, cohort)
        assert cohort_row is not None
        _authorize(services, principal, cohort_row, "period.extend")
        unit_id = body.get("unit_id")
        if not isinstance(unit_id, str) or session.get(CohortMember, (cohort, unit_id)) is None:
            raise Unprocessable(
                f"no unit '{unit_id}' in cohort '{cohort}'",
                [{"path": "$.unit_id", "message": "not a member of the cohort"}],
            )
        before = period_json(session, row)
        session.add(
            PeriodExtension(
                period_id=stored_id(row),
                unit_id=unit_id,
                until=until,
                reason=nfc_name(reason),
                granted_by=principal.id,
            )
        )
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        after = period_json(session, row)
        record(session, principal, "period.extend", "period", str(row.id), before, after)
        return after
