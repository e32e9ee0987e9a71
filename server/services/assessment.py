"""Self-assessment as a unit fills it in: a methodology version laid out as a form
(fields → one row per scored leaf with its inputs), the unit's submissions, and the
points of values not saved yet.

The running points are the evaluation's: the unsaved values with the stored appraisals
and survey scores (`scoring_input`), scored by the engine evaluations use by default, so
the total the form shows as a person types is the total `POST /api/evaluations` gives
for the same values. Saving, submitting and evidence go through the submission and
evidence services unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from evaluators import Result, score
from methodology import Node
from rules import InputSpec
from server.auth import Principal, require
from server.db import session_scope
from server.deps import Services
from server.errors import Forbidden
from server.models import Assignment, Cohort, CohortMember, Submission, Unit
from server.services.cycle import history
from server.services.requirements import assigned_units, covered_nodes, require_read
from server.services.submissions import (
    load_submission,
    open_version,
    program_for,
    scoring_input,
    submission_json,
)
from server.transitions import EDITABLE

__all__ = [
    "Assessment",
    "FormRow",
    "FormSection",
    "UnitAssessments",
    "form_layout",
    "layout_of",
    "open_assessment",
    "partial_points",
    "running_result",
    "unit_assessments",
]


@dataclass(frozen=True)
class FormRow:
    """One scored leaf: the inputs the unit enters, whether "không phát sinh" may be
    claimed, the evidence asked for; survey and appraisal leaves have no inputs."""

    node: Node
    criterion: Node | None  # the criterion above a sub-criterion, shown as its heading
    inputs: tuple[InputSpec, ...]
    allow_not_applicable: bool

    @property
    def self_assessed(self) -> bool:
        return self.node.assessed_by == "self"


@dataclass(frozen=True)
class FormSection:
    """A field (lĩnh vực) and its rows in code order."""

    node: Node
    rows: tuple[FormRow, ...]


@dataclass(frozen=True)
class UnitAssessments:
    """A submitter's unit, the methodology versions its cohorts are assessed by
    (methodology, release tag, release name) and its submissions, newest period first."""

    unit: Unit
    versions: list[tuple[str, str, str]]
    submissions: list[Submission]
    # other units' drafts with criteria assigned to this unit, and those units' names
    assigned: list[tuple[Submission, str]] = field(default_factory=list)


@dataclass
class Assessment:
    """A submission as its form shows it."""

    submission: dict[str, Any]
    unit: Unit | None
    sections: list[FormSection]
    evidence: dict[str | None, list[dict[str, Any]]] = field(default_factory=dict)
    editable: bool = False
    # Its moves between statuses (`server.services.cycle.history`), oldest first.
    history: list[dict[str, Any]] = field(default_factory=list)
    # The nodes the viewer may fill in when it is a contributor (None: every node, when
    # it may edit at all), and whether it is the focal point, who alone submits.
    mine: set[str] | None = None
    focal: bool = False


def form_layout(services: Services, methodology: str, ref: str | None) -> list[FormSection]:
    """The form of a methodology version: one section per field, one row per leaf."""
    return layout_of(open_version(services.store, methodology, ref))


def layout_of(m: Any) -> list[FormSection]:
    """The form of an opened methodology version (the page's and the Excel form's)."""
    return [FormSection(node=root, rows=tuple(_rows(m, root, None))) for root in m.roots()]


def _rows(m: Any, node: Node, criterion: Node | None) -> list[FormRow]:
    """The leaves under ``node`` in order; ``criterion`` is the node above a leaf when
    that node is not the field itself."""
    children = m.children_of(node.id)
    if not children:
        return [
            FormRow(
                node=node,
                criterion=criterion,
                inputs=tuple(node.inputs.values()),
                allow_not_applicable=node.applicability.allow_not_applicable,
            )
        ]
    below = node if node.parent is not None else None
    return [row for child in children for row in _rows(m, child, below)]


def unit_assessments(services: Services, principal: Principal) -> UnitAssessments:
    """The signed-in submitter's unit with what it may start and what it has started."""
    if principal.anonymous or principal.unit_id is None:
        require(principal, "submission.create", unit_id=None)
        raise Forbidden("tài khoản của bạn không gắn với đơn vị nào nên không có hồ sơ tự đánh giá")
    require(principal, "submission.read", unit_id=principal.unit_id)
    with session_scope(services.db) as session:
        unit = session.get(Unit, principal.unit_id)
        if unit is None:
            raise Forbidden(f"đơn vị '{principal.unit_id}' của tài khoản chưa có trong hệ thống")
        methodologies = session.exec(
            select(Cohort.methodology)
            .join(CohortMember, col(CohortMember.cohort_id) == col(Cohort.id))
            .where(CohortMember.unit_id == unit.id)
            .distinct()
        ).all()
        rows = session.exec(
            select(Submission)
            .where(Submission.unit_id == unit.id)
            .order_by(col(Submission.period).desc(), col(Submission.id).desc())
        ).all()
        assigned = session.exec(
            select(Submission, Unit.name)
            .join(Assignment, col(Assignment.submission_id) == col(Submission.id))
            .join(Unit, col(Unit.id) == col(Submission.unit_id))
            .where(Assignment.unit_id == unit.id)
            .order_by(col(Submission.period).desc(), col(Submission.id).desc())
        ).all()
    versions = [
        (r.methodology, r.tag, r.name)
        for slug in sorted(methodologies)
        for r in reversed(services.store.releases(slug))
    ]
    return UnitAssessments(
        unit=unit,
        versions=versions,
        submissions=list(rows),
        assigned=[(row, name) for row, name in assigned],
    )


def open_assessment(services: Services, principal: Principal, submission_id: int) -> Assessment:
    """A submission with its form and evidence, for whoever may read it (the API's
    `submission.read`); ``editable`` when the viewer may change it now."""
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "submission.read")
        require_read(session, principal, row)
        data = submission_json(session, row)
        unit = session.get(Unit, row.unit_id)
        moves = history(session, submission_id)
        assigned = assigned_units(session, row.id).get(principal.unit_id or "")
    m = open_version(services.store, row.methodology, row.ref)
    sections = layout_of(m)
    evidence: dict[str | None, list[dict[str, Any]]] = {}
    for e in data["evidence"]:
        evidence.setdefault(e["node_id"], []).append(e)
    submitter = principal.role == "unit_submitter" and row.status in EDITABLE
    focal = submitter and principal.unit_id == row.unit_id
    mine = None if focal or assigned is None else covered_nodes(m, assigned)
    editable = focal or (submitter and mine is not None)
    return Assessment(data, unit, sections, evidence, editable, moves, mine, focal)


def running_result(
    services: Services,
    principal: Principal,
    submission_id: int,
    values: dict[str, Any],
    not_applicable: dict[str, str],
) -> Result:
    """The stored submission scored with ``values`` and ``not_applicable`` in place of
    its own (nothing is written): the points the form shows while a person types."""
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "submission.read")
        require_read(session, principal, row)
        draft = Submission(
            id=row.id,
            unit_id=row.unit_id,
            period=row.period,
            methodology=row.methodology,
            ref=row.ref,
            values=values,
            not_applicable=not_applicable,
            facts=row.facts,
            status=row.status,
        )
        scored = scoring_input(session, draft)
    return score(program_for(services.store, row.methodology, row.ref), scored, services.engine())


def partial_points(result: Result) -> dict[str, Decimal]:
    """node id → points so far: a node's own points once the engine has them, else the
    sum of its children's points so far (a field with inputs still missing shows what
    its scored rows add up to)."""
    out: dict[str, Decimal] = {}

    def visit(node: Any) -> Decimal:
        below = sum((visit(c) for c in node.children), Decimal(0))
        got = node.points if node.points is not None else below
        out[node.id] = got
        return got

    for node in result.nodes:
        visit(node)
    return out
