"""Moving a submission between statuses by the table of `server.transitions`, and its
history.

`check_move` is the one place that refuses a move: 409, in Vietnamese, naming the
status and what it allows, when the table has no such move; then the move's permission
(`server.auth.require`). `record_move` writes the `SubmissionTransition` row (who, when,
why, and the details: the nodes to supplement, the submission that supersedes another)
in the caller's transaction, beside the caller's audit entry.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from server.auth import Principal, require
from server.errors import Conflict
from server.labels import STATUS_LABELS, TRANSITION_LABELS
from server.models import Submission, SubmissionTransition, User, stored_id
from server.transitions import Transition, find_transition, transitions_from

__all__ = ["check_move", "history", "record_move", "transition_json"]


def _status(status: str) -> str:
    return f"“{STATUS_LABELS.get(status, status)}”"


def check_move(principal: Principal, row: Submission, action: str) -> Transition:
    """The move ``action`` makes from the row's status, if the caller may make it."""
    move = find_transition(row.status, action)
    if move is None:
        can = sorted({TRANSITION_LABELS[t.action].lower() for t in transitions_from(row.status)})
        allowed = f"; ở trạng thái này chỉ có thể: {', '.join(can)}" if can else ""
        raise Conflict(
            f"Hồ sơ số {row.id} đang ở trạng thái {_status(row.status)}: không thể "
            f"{TRANSITION_LABELS[action].lower()}{allowed}",
            [{"path": "$.status", "message": row.status}],
        )
    require(principal, move.permission, unit_id=row.unit_id, status=row.status)
    return move


def record_move(
    session: Session,
    principal: Principal,
    row: Submission,
    move: Transition,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append the move of ``row`` (whose status is ``move.target`` now) to its history."""
    session.add(
        SubmissionTransition(
            submission_id=stored_id(row),
            from_status=move.source,
            to_status=move.target,
            action=move.action,
            user_id=principal.id,
            reason=reason,
            details=details or {},
        )
    )


def transition_json(row: SubmissionTransition, users: dict[int, str]) -> dict[str, Any]:
    return {
        "id": stored_id(row),
        "from_status": row.from_status,
        "to_status": row.to_status,
        "action": row.action,
        "user_id": row.user_id,
        "user": users.get(row.user_id) if row.user_id is not None else None,
        "at": row.at.isoformat(),
        "reason": row.reason,
        "details": dict(row.details),
    }


def history(session: Session, submission_id: int) -> list[dict[str, Any]]:
    """Every move of the submission, oldest first, with the names of who made them."""
    rows = session.exec(
        select(SubmissionTransition)
        .where(SubmissionTransition.submission_id == submission_id)
        .order_by(col(SubmissionTransition.id))
    ).all()
    ids = {r.user_id for r in rows if r.user_id is not None}
    users = {
        stored_id(u): u.name
        for u in (session.exec(select(User).where(col(User.id).in_(ids))).all() if ids else [])
    }
    return [transition_json(r, users) for r in rows]
