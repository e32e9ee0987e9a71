"""What an assessment period's schedule allows today: the deadlines a submission meets.

A submission falls under the period of a cohort its unit belongs to, for its period and
methodology (`period_of`); a unit with no such period has no deadline at all, as before
periods existed. Dates are whole days in Vietnam (UTC+7, no daylight saving): a window
opens at 00:00 of its first day and closes at the end of its last day.

- The self-assessment window (`self_assessment_opens` … `self_assessment_closes`, or the
  unit's latest extension) bounds creating, editing and submitting a draft. Past it, the
  period's `late` policy decides: `refuse` (409), or `flag`: the work goes on and the
  submission is stored as late (nộp muộn).
- A returned submission is supplemented until the return's `due` date, else until the
  appraisal window closes; the same policy applies past it.
- The council appraises (round 1 and 2, returns) only within the appraisal window.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from server.errors import Conflict
from server.format import vi_date
from server.models import AssessmentPeriod, CohortMember, PeriodExtension, Submission

__all__ = [
    "VIETNAM",
    "check_appraisal_window",
    "check_self_assessment",
    "extension_of",
    "period_of",
    "today",
]

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


def today() -> dt.date:
    """Today's date in Vietnam, the calendar every deadline is written in."""
    return dt.datetime.now(VIETNAM).date()


def period_of(
    session: Session, unit_id: str, period: str, methodology: str
) -> AssessmentPeriod | None:
    """The assessment period a unit's submission falls under: of a cohort the unit is a
    member of, for ``period``, made under ``methodology`` (the first defined when two
    cohorts of the unit have one)."""
    return session.exec(
        select(AssessmentPeriod)
        .join(CohortMember, col(CohortMember.cohort_id) == col(AssessmentPeriod.cohort_id))
        .where(CohortMember.unit_id == unit_id)
        .where(AssessmentPeriod.period == period, AssessmentPeriod.methodology == methodology)
        .order_by(col(AssessmentPeriod.id))
    ).first()


def extension_of(
    session: Session, period: AssessmentPeriod, unit_id: str
) -> PeriodExtension | None:
    """The unit's extension in force (the latest granted), if any."""
    return session.exec(
        select(PeriodExtension)
        .where(PeriodExtension.period_id == period.id, PeriodExtension.unit_id == unit_id)
        .order_by(col(PeriodExtension.id).desc())
    ).first()


def _name(period: AssessmentPeriod) -> str:
    return f"kỳ đánh giá {period.period} của nhóm {period.cohort_id}"


def check_self_assessment(session: Session, row: Submission, *, submitting: bool = False) -> bool:
    """Whether ``row`` may be written now by its unit (created, edited, submitted or
    resubmitted): 409 when its window is not open and late work is refused; True when
    it is submitted late and the period accepts it flagged."""
    period = period_of(session, row.unit_id, row.period, row.methodology)
    if period is None:
        return False
    now = today()
    if row.status == "returned":
        opens = None
        due = row.supplement.get("due")
        closes = dt.date.fromisoformat(due) if due else period.appraisal_closes
        what = "hạn nộp bổ sung"
    else:
        opens = period.self_assessment_opens
        extension = extension_of(session, period, row.unit_id)
        closes = extension.until if extension is not None else period.self_assessment_closes
        what = "hạn nộp tự đánh giá" + (" (đã gia hạn cho đơn vị)" if extension else "")
    if submitting and opens is not None and now < opens:
        raise Conflict(
            f"{_name(period).capitalize()} mở tự đánh giá từ ngày {vi_date(opens)}: "
            "chưa nộp được hồ sơ",
            [{"path": "$", "message": f"opens {opens.isoformat()}"}],
        )
    if closes is None or now <= closes:
        return False
    if period.late == "flag":
        return submitting
    raise Conflict(
        f"Đã quá {what} của {_name(period)} (ngày {vi_date(closes)}): kỳ này không nhận "
        "hồ sơ nộp muộn; đề nghị quản trị viên gia hạn cho đơn vị",
        [{"path": "$", "message": f"closed {closes.isoformat()}"}],
    )


def check_appraisal_window(session: Session, row: Submission) -> None:
    """409 when the period of ``row`` defines an appraisal window and today is outside it."""
    period = period_of(session, row.unit_id, row.period, row.methodology)
    if period is None:
        return
    now = today()
    opens, closes = period.appraisal_opens, period.appraisal_closes
    if opens is not None and now < opens:
        raise Conflict(
            f"Chưa đến thời gian thẩm định của {_name(period)} (từ ngày {vi_date(opens)})",
            [{"path": "$", "message": f"appraisal opens {opens.isoformat()}"}],
        )
    if closes is not None and now > closes:
        raise Conflict(
            f"Đã hết thời gian thẩm định của {_name(period)} (đến ngày {vi_date(closes)})",
            [{"path": "$", "message": f"appraisal closed {closes.isoformat()}"}],
        )
