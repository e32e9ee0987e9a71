"""The statuses of a submission and the moves between them: the one table of the cycle.

A move is a row of `TRANSITIONS`: from a status, by an action, to a status, allowed to
whoever holds a permission (an action of `server.auth.require`). Services move a
submission only through `server.services.cycle.move`, which finds the row (409 in
Vietnamese, naming the status, when there is none), checks the permission and records
the move (`server.models.SubmissionTransition`). The words people read for statuses and
actions are in `server.labels` (`STATUS_LABELS`, `TRANSITION_LABELS`).

    draft ──submit──▶ submitted ──appraise──▶ appraised ──council──▶ council
                         │  ▲                    ▲
                    return  └─(returned)─submit─▶ resubmitted ──appraise──┘
                         ▼
                      returned (yêu cầu bổ sung: the nodes to supplement, a note)

The council's `reopen` and the administrator's `unlock` leave from any status a unit no
longer edits; `supersede` ends a reopened record once its replacement is submitted. Later
stages (preliminary results, objections, final results) are the period's, not a
submission's; a stage of a submission is added as rows here and labels in
`server.labels`.

Plain data over `server.models`, so `server.auth` and every service read the same groups.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.models import OF_RECORD, SUBMISSION_STATUSES

__all__ = [
    "APPRAISABLE",
    "EDITABLE",
    "FINAL",
    "OF_RECORD",
    "SUBMISSION_STATUSES",
    "TRANSITIONS",
    "Transition",
    "find_transition",
    "transitions_from",
]


@dataclass(frozen=True)
class Transition:
    source: str | None  # None: the submission is being created
    action: str
    target: str
    permission: str


# What the unit edits (a returned one on the nodes to supplement only).
EDITABLE = ("draft", "returned")
# The unit's final answer for the period: ranked, evaluated, appraised.
FINAL = ("submitted", "resubmitted", "appraised", "council")
# What the council may appraise (round 1 on submitted and resubmitted, round 2 in council).
APPRAISABLE = FINAL
# A move the administrator makes back to a draft, from any status the unit no longer edits.
_UNLOCKABLE = ("submitted", "returned", "resubmitted", "appraised", "council")

TRANSITIONS: tuple[Transition, ...] = (
    Transition(None, "create", "draft", "submission.create"),
    Transition("draft", "submit", "submitted", "submission.submit"),
    Transition("returned", "submit", "resubmitted", "submission.submit"),
    Transition("submitted", "return", "returned", "submission.return"),
    Transition("resubmitted", "return", "returned", "submission.return"),
    Transition("submitted", "appraise", "appraised", "appraisal.create"),
    Transition("resubmitted", "appraise", "appraised", "appraisal.create"),
    Transition("appraised", "council", "council", "appraisal.council"),
    *(
        Transition(source, "reopen", "reopened", "submission.reopen")
        for source in ("submitted", "resubmitted", "appraised", "council")
    ),
    # The unit's new submission, once submitted, replaces the reopened record.
    Transition("reopened", "supersede", "superseded", "submission.submit"),
    *(Transition(source, "unlock", "draft", "submission.unlock") for source in _UNLOCKABLE),
)

_BY_MOVE = {(t.source, t.action): t for t in TRANSITIONS}


def find_transition(source: str | None, action: str) -> Transition | None:
    """The move ``action`` makes from ``source``, or None when the status does not allow it."""
    return _BY_MOVE.get((source, action))


def transitions_from(source: str) -> list[Transition]:
    """Every move a submission in ``source`` may make (what a page offers)."""
    return [t for t in TRANSITIONS if t.source == source]
