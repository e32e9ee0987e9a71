"""What the appraisal council reads: the queue of submissions, and one submission laid
out per criterion with the unit's own points beside the appraised ones.

Reading only: every change goes through `server.services.submissions` (`add_appraisal`,
`finish_appraisal`, `reopen`), as the API's endpoints do. The points come from scoring
the stored submission with its appraisals and survey scores (`scoring_input`), the
engine keeping each criterion's self-assessed points beside them (`self_points`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from evaluators import NodeResult, score
from server.auth import Principal, require
from server.db import session_scope
from server.deps import Services
from server.models import Cohort, CohortMember, Submission, Unit
from server.services.cycle import history
from server.services.submissions import (
    get_submission,
    load_submission,
    program_for,
    scoring_input,
)
from server.transitions import APPRAISABLE

__all__ = [
    "AppraisalView",
    "Criterion",
    "FieldSection",
    "QueueEntry",
    "Target",
    "appraisal_queue",
    "appraisal_view",
    "queue_choices",
]


@dataclass
class QueueEntry:
    id: int
    unit_id: str
    unit_name: str
    period: str
    methodology: str
    status: str
    submitted_at: Any
    updated_at: Any


@dataclass
class Target:
    """One thing the council may change for a criterion: an input's value, or the points
    of a criterion it scores itself (`kind` "points")."""

    key: str
    label: str
    kind: str  # "points", or the input's type: ratio, count, number, bool, enum, date
    current: Any
    unit: str | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    choices: tuple[str, ...] = ()


@dataclass
class Criterion:
    id: str
    code: str
    title: str
    max_points: Decimal
    self_points: Decimal | None
    points: Decimal | None
    status: str
    values: dict[str, Any]
    labels: dict[str, str]
    targets: list[Target]
    appraisals: list[dict[str, Any]]
    evidence: list[dict[str, Any]]


@dataclass
class FieldSection:
    id: str
    code: str
    title: str
    max_points: Decimal
    self_points: Decimal | None
    points: Decimal | None
    criteria: list[Criterion] = field(default_factory=list)


@dataclass
class AppraisalView:
    submission: dict[str, Any]
    unit_name: str
    sections: list[FieldSection]
    total: Decimal | None
    self_total: Decimal | None
    index: Decimal | None
    self_index: Decimal | None
    max_points: Decimal
    # Its moves between statuses (`server.services.cycle.history`), oldest first.
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def appraisable(self) -> bool:
        return self.submission["status"] in APPRAISABLE

    def criterion(self, node_id: str) -> Criterion | None:
        return next((c for s in self.sections for c in s.criteria if c.id == node_id), None)


def _require_council(principal: Principal, unit_id: str | None = None) -> None:
    # The council's pages are for those who may appraise the unit's submitted records
    # (appraisers, and admins), whatever this record's status: a draft then opens
    # read-only with a message saying why, rather than a 403 that blames the role.
    require(principal, "appraisal.create", unit_id=unit_id, status="submitted")


def queue_choices(services: Services, principal: Principal) -> dict[str, list[str]]:
    """The cohorts and periods the queue can be narrowed to."""
    _require_council(principal)
    with session_scope(services.db) as session:
        cohorts = list(session.exec(select(Cohort.id).order_by(col(Cohort.id))).all())
        periods = sorted(set(session.exec(select(Submission.period)).all()), reverse=True)
    return {"cohorts": cohorts, "periods": periods}


def appraisal_queue(
    services: Services,
    principal: Principal,
    *,
    cohort: str | None = None,
    period: str | None = None,
    status: str | None = None,
) -> list[QueueEntry]:
    """Submissions the council sees (all but drafts unless asked for), newest first;
    narrowed to a cohort's units, a period and a status when given."""
    _require_council(principal)
    with session_scope(services.db) as session:
        query = select(Submission, Unit).join(Unit, col(Unit.id) == col(Submission.unit_id))
        if cohort:
            query = query.join(
                CohortMember, col(CohortMember.unit_id) == col(Submission.unit_id)
            ).where(CohortMember.cohort_id == cohort)
        if period:
            query = query.where(Submission.period == period)
        if status:
            query = query.where(Submission.status == status)
        else:
            query = query.where(col(Submission.status) != "draft")
        rows = session.exec(query.order_by(col(Submission.id).desc())).all()
        return [
            QueueEntry(
                id=int(sub.id or 0),
                unit_id=sub.unit_id,
                unit_name=unit.name,
                period=sub.period,
                methodology=sub.methodology,
                status=sub.status,
                submitted_at=sub.submitted_at,
                updated_at=sub.updated_at,
            )
            for sub, unit in rows
        ]


def appraisal_view(services: Services, principal: Principal, submission_id: int) -> AppraisalView:
    """The submission per field and criterion: self-assessed and appraised points, the
    values behind them, the council's changes and the evidence filed for it."""
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "submission.read")
        _require_council(principal, row.unit_id)
        scored = scoring_input(session, row)
        unit = session.get(Unit, row.unit_id)
        unit_name = unit.name if unit else row.unit_id
        moves = history(session, submission_id)
    data = get_submission(services, principal, submission_id)
    program = program_for(services.store, row.methodology, row.ref)
    result = score(program, scored, services.engine("compiled"))
    leaves = {leaf.id: leaf for leaf in program.leaves}
    evidence: dict[str, list[dict[str, Any]]] = {}
    for e in data["evidence"]:
        evidence.setdefault(e["node_id"], []).append(e)
    appraisals: dict[str, list[dict[str, Any]]] = {}
    for a in data["appraisals"]:
        appraisals.setdefault(a["key"], []).append(a)
    sections = []
    for top in result.nodes:
        section = FieldSection(
            top.id, top.code, top.title, top.max_points, top.self_points, top.points
        )
        for node in top.walk():
            leaf = leaves.get(node.id)
            if leaf is None:
                continue
            targets = _targets(program, leaf, node)
            keys = {node.id, *(t.key for t in targets)}
            section.criteria.append(
                Criterion(
                    id=node.id,
                    code=node.code,
                    title=node.title,
                    max_points=node.max_points,
                    self_points=node.self_points,
                    points=node.points,
                    status=node.status,
                    values=dict(node.values),
                    labels={
                        k: program.inputs[k].label if k in program.inputs else k
                        for k in node.values
                    },
                    targets=targets,
                    appraisals=[a for k in sorted(keys) for a in appraisals.get(k, [])],
                    evidence=evidence.get(node.id, []),
                )
            )
        sections.append(section)
    return AppraisalView(
        submission=data,
        unit_name=unit_name,
        sections=sections,
        total=result.total,
        self_total=result.self_total,
        index=result.index,
        self_index=result.self_index,
        max_points=result.applicable_max,
        history=moves,
    )


def _targets(program: Any, leaf: Any, node: NodeResult) -> list[Target]:
    if leaf.kind == "manual":
        return [Target(node.id, "Điểm thẩm định", "points", node.points, maximum=node.max_points)]
    out = []
    for key in leaf.node.inputs or {}:
        spec = program.inputs.get(key)
        if spec is None:
            continue
        out.append(
            Target(
                key=key,
                label=spec.label,
                kind=str(spec.type),
                current=node.values.get(key),
                unit=spec.unit,
                minimum=spec.min,
                maximum=spec.max,
                choices=tuple(spec.choices),
            )
        )
    return out
