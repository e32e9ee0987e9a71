"""Contributors: a unit's criteria filled in by the units that own them.

A province's file is compiled from its departments "theo lĩnh vực phụ trách" (Sở Tư
pháp fills field 2, Sở Thông tin và Truyền thông the e-government criteria). The unit's
focal point (a submitter of the unit, or the province's editor) assigns node ids of a
draft to other units (`put_assignments`; a node covers its sub-criteria, and no node is
given to two units); each contributor's submitters read the draft, write their nodes
only (values, "không phát sinh", documents and files: `services.requirements`), and
mark their part done (`mark_done`; a later change of theirs to the draft takes the mark
back, `services.requirements.check_scope`). `assignments` shows the focal point every contributor's progress:
its leaves filled in and what evidence or giải trình is still missing. Only the focal
point submits.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from evaluators import score
from methodology import Methodology
from rules import did_you_mean
from server.auth import Principal, record, require
from server.db import session_scope
from server.deps import Services
from server.errors import NotFound, Unprocessable
from server.models import Assignment, Submission, Unit, User, stored_id, utcnow
from server.services.requirements import (
    assigned_units,
    covered_nodes,
    file_nodes,
    missing_requirements,
    require_read,
    statuses_of,
)
from server.services.submissions import (
    ensure_draft,
    json_object,
    load_submission,
    program_for,
    scoring_input,
)

__all__ = [
    "assessment_version",
    "assignable_units",
    "assignments",
    "mark_done",
    "progress",
    "put_assignments",
]

MAX_ASSIGNMENTS = 100


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _unit_province(session: Session, unit_id: str) -> str | None:
    unit = session.get(Unit, unit_id)
    return unit.province if unit is not None else None


def _rows(session: Session, submission_id: int | None) -> list[Assignment]:
    return list(
        session.exec(
            select(Assignment)
            .where(Assignment.submission_id == submission_id)
            .order_by(col(Assignment.unit_id))
        ).all()
    )


def _state(rows: list[Assignment]) -> list[dict[str, Any]]:
    return [
        {
            "unit_id": r.unit_id,
            "nodes": list(r.nodes),
            "assigned_by": r.assigned_by,
            "assigned_at": _iso(r.assigned_at),
            "done_at": _iso(r.done_at),
        }
        for r in rows
    ]


def _parse(data: Any) -> list[tuple[str, list[str]]]:
    """`{assignments: [{unit_id, nodes}]}` as (unit, nodes) pairs; the schema has typed
    them, so only what it cannot say is checked here."""
    body = json_object(data, ("assignments",))
    items = body.get("assignments")
    if not isinstance(items, list):
        raise Unprocessable(
            "give the assignments", [{"path": "$.assignments", "message": "a list"}]
        )
    return [(str(i["unit_id"]), [str(n) for n in i["nodes"]]) for i in items]


def _check(
    session: Session, m: Methodology, row: Submission, items: list[tuple[str, list[str]]]
) -> None:
    """422 naming every unknown or repeated unit, unknown node, and node given twice
    (itself, or below a node given to another unit)."""
    problems: list[dict[str, str]] = []
    owner: dict[str, str] = {}
    seen: set[str] = set()
    for i, (unit_id, nodes) in enumerate(items):
        where = f"$.assignments[{i}]"
        if unit_id in seen:
            problems.append({"path": f"{where}.unit_id", "message": "đơn vị đã được giao ở trên"})
        seen.add(unit_id)
        if unit_id == row.unit_id:
            problems.append(
                {"path": f"{where}.unit_id", "message": "đầu mối không tự giao cho đơn vị mình"}
            )
        elif session.get(Unit, unit_id) is None:
            problems.append({"path": f"{where}.unit_id", "message": f"không có đơn vị '{unit_id}'"})
        if not nodes:
            problems.append({"path": f"{where}.nodes", "message": "giao ít nhất một tiêu chí"})
        for j, node in enumerate(nodes):
            path = f"{where}.nodes[{j}]"
            if node not in m.nodes:
                hint = did_you_mean(node, list(m.nodes))
                problems.append(
                    {
                        "path": path,
                        "message": f"bộ chỉ số không có mục '{node}'"
                        + (f" ({hint})" if hint else ""),
                    }
                )
                continue
            for covered in covered_nodes(m, [node]):
                other = owner.get(covered)
                if other is not None and other != unit_id:
                    problems.append(
                        {
                            "path": path,
                            "message": f"mục {m.nodes[covered].code} đã giao cho đơn vị {other}",
                        }
                    )
                    break
                owner[covered] = unit_id
    # An ancestor given after its descendant was: the loop above saw the descendant first.
    flagged = {p["path"] for p in problems}
    for i, (unit_id, nodes) in enumerate(items):
        for j, node in enumerate(nodes):
            if f"$.assignments[{i}].nodes[{j}]" in flagged:
                continue
            if node in m.nodes and m.nodes[node].parent in owner:
                parent = m.nodes[node].parent
                if parent is not None and owner[parent] != unit_id:
                    problems.append(
                        {
                            "path": f"$.assignments[{i}].nodes[{j}]",
                            "message": f"mục {m.nodes[node].code} nằm trong phần giao cho "
                            f"đơn vị {owner[parent]}",
                        }
                    )
    if problems:
        raise Unprocessable("không giao được các tiêu chí", problems)


def put_assignments(
    services: Services, principal: Principal, submission_id: int, data: Any
) -> dict[str, Any]:
    """Replace who fills which criteria of a draft, for its focal point. A contributor
    whose nodes stay the same keeps its done mark; one whose nodes change loses it."""
    items = _parse(data)
    if len(items) > MAX_ASSIGNMENTS:
        raise Unprocessable(
            "too many assignments",
            [{"path": "$.assignments", "message": f"at most {MAX_ASSIGNMENTS}"}],
        )
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "assignment.manage", lock=True)
        require(
            principal,
            "assignment.manage",
            unit_id=row.unit_id,
            province=_unit_province(session, row.unit_id),
            status=row.status,
        )
        ensure_draft(row)
        m = program_for(services.store, row.methodology, row.ref).methodology
        _check(session, m, row, items)
        current = {r.unit_id: r for r in _rows(session, row.id)}
        before = _state(list(current.values()))
        wanted = dict(items)
        for unit_id, gone in current.items():
            if unit_id not in wanted:
                session.delete(gone)
        for unit_id, nodes in items:
            old = current.get(unit_id)
            if old is None:
                session.add(
                    Assignment(
                        submission_id=stored_id(row),
                        unit_id=unit_id,
                        nodes=nodes,
                        assigned_by=principal.id,
                    )
                )
            elif list(old.nodes) != nodes:
                old.nodes, old.assigned_by, old.assigned_at = nodes, principal.id, utcnow()
                old.done_at = old.done_by = None
                session.add(old)
        session.flush()
        after = _state(_rows(session, row.id))
        record(session, principal, "assignment.manage", "submission", str(row.id), before, after)
        return _answer(services, session, row, m)


def assignments(services: Services, principal: Principal, submission_id: int) -> dict[str, Any]:
    """Who fills which criteria of a submission and how far each has come, for whoever
    may read it (its contributors included)."""
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "submission.read")
        require_read(session, principal, row)
        m = program_for(services.store, row.methodology, row.ref).methodology
        return _answer(services, session, row, m)


def mark_done(
    services: Services, principal: Principal, submission_id: int, unit_id: str
) -> dict[str, Any]:
    """A contributor marks its part done (its submitter, or the focal point for it)."""
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "assignment.done", lock=True)
        require(
            principal,
            "assignment.done",
            unit_id=row.unit_id,
            contributor=unit_id,
            status=row.status,
        )
        ensure_draft(row)
        assignment = session.get(Assignment, (row.id, unit_id))
        if assignment is None:
            raise NotFound(f"hồ sơ {row.id} không giao tiêu chí nào cho đơn vị {unit_id}")
        if assignment.done_at is None:
            before = _state([assignment])
            assignment.done_at, assignment.done_by = utcnow(), principal.id
            session.add(assignment)
            session.flush()
            record(
                session,
                principal,
                "assignment.done",
                "submission",
                str(row.id),
                before,
                _state([assignment]),
            )
        m = program_for(services.store, row.methodology, row.ref).methodology
        return _answer(services, session, row, m)


def progress(services: Services, session: Session, row: Submission, m: Methodology) -> Any:
    """Per contributor: its leaves the unit fills in, how many are filled in (a value
    for every input, or "không phát sinh"), and what evidence or giải trình is missing."""
    program = program_for(services.store, row.methodology, row.ref)
    result = score(program, scoring_input(session, row), services.engine("compiled"))
    statuses = statuses_of(result)
    missing = missing_requirements(
        m, statuses, row.not_applicable, row.documents, file_nodes(session, row.id)
    )
    out: dict[str, dict[str, Any]] = {}
    for unit_id, nodes in assigned_units(session, row.id).items():
        mine = covered_nodes(m, nodes)
        leaves = [n for n in m.walk() if n.id in mine and m.is_leaf(n.id) and n.inputs]
        filled = [n for n in leaves if statuses.get(n.id) not in (None, "missing", "invalid")]
        out[unit_id] = {
            "leaves": len(leaves),
            "filled": len(filled),
            "missing": [
                {"node": p["node"], "path": p["path"], "message": p["message"]}
                for p in missing
                if p["node"] in mine
            ],
        }
    return out


def _answer(
    services: Services, session: Session, row: Submission, m: Methodology
) -> dict[str, Any]:
    rows = _rows(session, row.id)
    done = progress(services, session, row, m)
    names = {
        u.id: u.name
        for u in session.exec(select(Unit).where(col(Unit.id).in_([r.unit_id for r in rows])))
    }
    users = {
        u.id: u.name
        for u in session.exec(
            select(User).where(col(User.id).in_([r.done_by for r in rows if r.done_by]))
        ).all()
    }
    return {
        "submission_id": row.id,
        "unit_id": row.unit_id,
        "status": row.status,
        "assignments": [
            {
                "unit_id": r.unit_id,
                "unit_name": names.get(r.unit_id, r.unit_id),
                "nodes": [
                    {"id": n, "code": m.nodes[n].code, "title": m.nodes[n].title}
                    for n in r.nodes
                    if n in m.nodes
                ],
                "done": r.done_at is not None,
                "done_at": _iso(r.done_at),
                "done_by": users.get(r.done_by) if r.done_by else None,
                **done[r.unit_id],
            }
            for r in rows
        ],
    }


def assessment_version(services: Services, submission: dict[str, Any]) -> Methodology:
    """The methodology version a submission (as `submission_json` gives it) is filled in."""
    return program_for(services.store, submission["methodology"], submission["ref"]).methodology


def assignable_units(services: Services, assessment: Any) -> list[tuple[str, str]]:
    """(id, name) of the units the viewer, the focal point of the assessment's draft, may
    give criteria to: the other units of its province (every other unit without one);
    none for anyone else."""
    if not assessment.focal or assessment.unit is None:
        return []
    province = assessment.unit.province
    with session_scope(services.db) as session:
        query = select(Unit).where(Unit.id != assessment.unit.id).order_by(col(Unit.name))
        if province is not None:
            query = query.where(Unit.province == province)
        return [(u.id, u.name) for u in session.exec(query).all()]
