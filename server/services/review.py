"""The council's and the administrator's moves of a submission, and its history.

- `return_submission`: the council returns a submitted or resubmitted record for
  supplement (yêu cầu bổ sung) with the nodes to supplement, a note and optionally the
  date it is due; the unit edits those nodes only and submits again (resubmitted).
- `send_to_council`: an appraised record (round 1) goes to the Hội đồng thẩm định (round 2).
- `unlock`: an administrator gives a record back to its unit as a draft, with a reason.
- `submission_history`: every move, with who, when and why.

Each is a move of `server.transitions`, made by `server.services.cycle`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from server.auth import Principal, require
from server.db import session_scope
from server.deps import Services
from server.errors import BadRequest, Unprocessable
from server.models import Submission
from server.services.cycle import check_move, history
from server.services.submissions import (
    json_object,
    load_submission,
    move_submission,
    nfc_name,
    program_for,
    submission_json,
    write_submission,
)
from server.services.windows import check_appraisal_window

__all__ = ["return_submission", "send_to_council", "submission_history", "unlock"]

MAX_NODES = 500


def _reason(body: dict[str, Any], key: str = "reason", *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"give a {key}", [{"path": f"$.{key}", "message": "required"}])
    return nfc_name(value)


def return_submission(
    services: Services, principal: Principal, submission_id: int, data: Any
) -> dict[str, Any]:
    """`{nodes, note, due?}`: the nodes to supplement (none: the whole submission), what
    is asked, and the date the supplement is due (else the appraisal window's end)."""
    body = json_object(data, ("nodes", "note", "due"))
    note = _reason(body, "note")
    nodes = body.get("nodes", [])
    if not isinstance(nodes, list) or len(nodes) > MAX_NODES:
        raise BadRequest(
            "nodes must be a list of node ids",
            [{"path": "$.nodes", "message": f"at most {MAX_NODES} node ids"}],
        )
    due = body.get("due")
    if due is not None:
        try:
            due = dt.date.fromisoformat(str(due)).isoformat()
        except ValueError:
            raise BadRequest(
                "invalid date", [{"path": "$.due", "message": "write YYYY-MM-DD"}]
            ) from None

    def change(session: Session, row: Submission) -> dict[str, Any]:
        require(principal, "submission.return", unit_id=row.unit_id)
        move = check_move(principal, row, "return")
        check_appraisal_window(session, row)
        known = program_for(services.store, row.methodology, row.ref).methodology.nodes
        wrong = [
            {"path": f"$.nodes[{i}]", "message": "no such node in this version"}
            for i, node in enumerate(nodes)
            if not isinstance(node, str) or node not in known
        ]
        if wrong:
            raise Unprocessable("unknown nodes to supplement", wrong)
        asked = {"nodes": sorted(set(nodes)), "note": note, "due": due}
        move_submission(
            session,
            principal,
            row,
            "submission.return",
            move,
            reason=note,
            details=asked,
            supplement=asked,
        )
        return submission_json(session, row)

    return write_submission(services, principal, submission_id, "submission.return", change)


def send_to_council(
    services: Services, principal: Principal, submission_id: int, data: Any
) -> dict[str, Any]:
    """`{reason?}`: round 1 is over; the record goes to the council's round 2."""
    body = json_object(data if data is not None else {}, ("reason",))
    reason = _reason(body, required=False)

    def change(session: Session, row: Submission) -> dict[str, Any]:
        require(principal, "appraisal.council", unit_id=row.unit_id)
        move = check_move(principal, row, "council")
        check_appraisal_window(session, row)
        move_submission(session, principal, row, "appraisal.council", move, reason=reason)
        return submission_json(session, row)

    return write_submission(services, principal, submission_id, "appraisal.council", change)


def unlock(
    services: Services, principal: Principal, submission_id: int, data: Any
) -> dict[str, Any]:
    """`{reason}`: an administrator gives the record back to its unit as a draft (whatever
    the deadlines say: extend the unit's deadline for it to be submitted again late)."""
    reason = _reason(json_object(data, ("reason",)))

    def change(session: Session, row: Submission) -> dict[str, Any]:
        require(principal, "submission.unlock", unit_id=row.unit_id)
        move = check_move(principal, row, "unlock")
        move_submission(
            session, principal, row, "submission.unlock", move, reason=reason, supplement={}
        )
        return submission_json(session, row)

    return write_submission(services, principal, submission_id, "submission.unlock", change)


def submission_history(
    services: Services, principal: Principal, submission_id: int
) -> list[dict[str, Any]]:
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "submission.read")
        require(principal, "submission.read", unit_id=row.unit_id)
        return history(session, submission_id)
