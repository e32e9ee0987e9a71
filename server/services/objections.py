"""Objections (kiến nghị) to a preliminary result, their answers, and what they changed.

While a preliminary publication's window is open (`Publication.objections_close`, its
last day included, Vietnam's date), a unit's submitter files one objection per
criterion (a node of the published version) of the unit's result: the reason, and
optionally the documents it relies on (số/ký hiệu, ngày, trích yếu, cơ quan ban hành)
and the unit's uploaded evidence files. An appraiser answers each one once: `rejected`
with the answer, or `accepted` with the answer and the changes it makes — the new value
of an input the criterion reads, or the points of a criterion the council scores —
applied through the appraisal service (`server.services.submissions.add_appraisal`)
with the objection as the reason, so the final ranking scores them. Nothing is
deleted: an objection, its answer and the appraisals it made stay, with the audit log.

`difference` compares a final publication with the preliminary one it follows: per
unit, the total, index, rank and band before and after, and the criteria whose points
changed with the accepted objections that changed them.

Who: `objection.file` (the unit's submitter), `objection.answer` (appraisers),
`objection.read` (the roles that read unpublished rankings, and a unit's submitter for
the unit's own objections); see `server.auth`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from evaluators import Program, clean_problems, parse_submission
from rules import did_you_mean, points_problem
from server.auth import Principal, may, record, require
from server.db import session_scope
from server.deps import Services
from server.errors import BadRequest, Conflict, NotFound, Unprocessable
from server.models import (
    DOCUMENT_PARTS,
    MAX_DOCUMENTS,
    Evaluation,
    Evidence,
    Objection,
    Publication,
    PublicationResult,
    Submission,
    stored_id,
    utcnow,
)
from server.services.evaluations import latest_submissions
from server.services.publications import (
    in_force_stage,
    input_json,
    readable_publication,
    today,
)
from server.services.submissions import add_appraisal, json_object, program_for, scoring_input

__all__ = [
    "DECISIONS",
    "ObjectionPanel",
    "answer_objection",
    "criteria_of",
    "difference",
    "file_objection",
    "get_objection",
    "list_objections",
    "objection_json",
    "objection_panel",
]

DECISIONS = ("accepted", "rejected")
MAX_TEXT = 4000
MAX_CHANGES = 50


def objection_json(row: Objection) -> dict[str, Any]:
    return {
        "id": row.id,
        "publication": row.publication_id,
        "unit_id": row.unit_id,
        "node": row.node_id,
        "reason": row.reason,
        "documents": list(row.documents),
        "evidence": list(row.evidence),
        "filed_by": row.filed_by,
        "filed_at": row.filed_at.isoformat(),
        "status": row.status,
        "answer": row.answer,
        "appraisals": list(row.appraisals),
        "answered_by": row.answered_by,
        "answered_at": row.answered_at.isoformat() if row.answered_at else None,
    }


def _text(body: dict[str, Any], key: str, limit: int = MAX_TEXT) -> str:
    value = body.get(key)
    text = unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else ""
    if not text or len(text) > limit:
        raise BadRequest(
            f"`{key}` is required", [{"path": f"$.{key}", "message": f"1 to {limit} characters"}]
        )
    return text


def _documents(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_DOCUMENTS:
        raise BadRequest(
            "`documents` is a list", [{"path": "$.documents", "message": "at most 50"}]
        )
    out = []
    for i, document in enumerate(value):
        path = f"$.documents[{i}]"
        parts = {"number", "date", "title", "issuer"}
        if not isinstance(document, dict) or not document or set(document) - parts:
            raise BadRequest(
                "a document is {number, date, title, issuer}",
                [{"path": path, "message": "số/ký hiệu, ngày, trích yếu, cơ quan ban hành"}],
            )
        clean = {}
        for key, text in document.items():
            if not isinstance(text, str) or len(text) > DOCUMENT_PARTS[key]:
                raise BadRequest(
                    "a document's part is text",
                    [{"path": f"{path}.{key}", "message": f"at most {DOCUMENT_PARTS[key]}"}],
                )
            if text.strip():
                clean[key] = unicodedata.normalize("NFC", text).strip()
        if not clean:
            raise BadRequest(
                "a document says nothing", [{"path": path, "message": "empty document"}]
            )
        out.append(clean)
    return out


def _evidence_ids(value: Any) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_DOCUMENTS:
        raise BadRequest("`evidence` is a list", [{"path": "$.evidence", "message": "ids"}])
    bad = [
        {"path": f"$.evidence[{i}]", "message": "an evidence id"}
        for i, v in enumerate(value)
        if isinstance(v, bool) or not isinstance(v, int)
    ]
    if bad:
        raise BadRequest("`evidence` holds ids", bad)
    return list(dict.fromkeys(value))


def _preliminary(session: Session, publication_id: int) -> Publication:
    row = session.get(Publication, publication_id)
    if row is None:
        raise NotFound(f"no publication {publication_id}")
    return row


def _window_open(row: Publication, path: str) -> None:
    """409 unless the publication is a preliminary one in force whose window is open."""
    if row.stage != "preliminary" or row.withdrawn_at is not None:
        raise Conflict(
            f"Lần công bố số {row.id} không phải kết quả sơ bộ đang có hiệu lực; chỉ kiến "
            "nghị được về kết quả sơ bộ trong thời hạn kiến nghị.",
            [{"path": path, "message": "không phải kết quả sơ bộ đang có hiệu lực"}],
        )
    close = row.objections_close
    if close is None or today() > close:
        when = f" ngày {close:%d/%m/%Y}" if close else ""
        raise Conflict(
            f"Thời hạn kiến nghị về kết quả sơ bộ số {row.id} đã kết thúc{when}.",
            [{"path": path, "message": "hết thời hạn kiến nghị"}],
        )


def file_objection(
    services: Services, principal: Principal, publication_id: int, data: Any
) -> dict[str, Any]:
    """`{node, reason, unit_id?, documents?, evidence?}`: the unit's objection to one
    criterion of its preliminary result (the unit: the submitter's own by default)."""
    if principal.anonymous:
        require(principal, "objection.file")
    body = json_object(data, ("node", "reason", "unit_id", "documents", "evidence"))
    unit_id = body.get("unit_id") or principal.unit_id
    require(principal, "objection.file", unit_id=unit_id)
    if not isinstance(unit_id, str):
        raise BadRequest(
            "name the unit that objects", [{"path": "$.unit_id", "message": "required"}]
        )
    node = body.get("node")
    if not isinstance(node, str) or not node:
        raise BadRequest("`node` is required", [{"path": "$.node", "message": "a node id"}])
    reason = _text(body, "reason")
    documents = _documents(body.get("documents"))
    evidence = _evidence_ids(body.get("evidence"))
    with session_scope(services.db) as session:
        row = _preliminary(session, publication_id)
        methodology, commit = row.methodology, row.commit
        _window_open(row, "$")
        if session.get(PublicationResult, (publication_id, unit_id)) is None:
            raise Unprocessable(
                f"Đơn vị '{unit_id}' không có trong kết quả sơ bộ số {publication_id}.",
                [{"path": "$.unit_id", "message": "không có trong kết quả sơ bộ"}],
            )
    nodes = program_for(services.store, methodology, commit).methodology.nodes
    if node not in nodes:
        hint = did_you_mean(node, list(nodes))
        raise Unprocessable(
            f"Bộ chỉ số {methodology} không có mục '{node}'.",
            [{"path": "$.node", "message": "không có mục này" + (f" ({hint})" if hint else "")}],
        )
    with session_scope(services.db) as session:
        row = _preliminary(session, publication_id)
        _window_open(row, "$")  # again, in the writing transaction
        _check_evidence(session, unit_id, evidence)
        duplicate = session.exec(
            select(Objection).where(
                Objection.publication_id == publication_id,
                Objection.unit_id == unit_id,
                Objection.node_id == node,
            )
        ).first()
        if duplicate is not None:
            raise Conflict(
                f"Đơn vị '{unit_id}' đã kiến nghị về mục '{node}' (kiến nghị số "
                f"{duplicate.id}); mỗi mục chỉ kiến nghị một lần.",
                [{"path": "$.node", "message": f"đã có kiến nghị số {duplicate.id}"}],
            )
        objection = Objection(
            publication_id=publication_id,
            unit_id=unit_id,
            node_id=node,
            reason=reason,
            documents=documents,
            evidence=evidence,
            filed_by=principal.id,
        )
        session.add(objection)
        session.flush()
        after = objection_json(objection)
        record(session, principal, "objection.file", "objection", str(objection.id), None, after)
        return after


def _check_evidence(session: Session, unit_id: str, ids: list[int]) -> None:
    if not ids:
        return
    owned = set(
        session.exec(
            select(Evidence.id)
            .join(Submission, col(Submission.id) == col(Evidence.submission_id))
            .where(col(Evidence.id).in_(ids), Submission.unit_id == unit_id)
        ).all()
    )
    bad = [
        {"path": f"$.evidence[{i}]", "message": "không phải minh chứng của đơn vị"}
        for i, v in enumerate(ids)
        if v not in owned
    ]
    if bad:
        raise Unprocessable("Minh chứng không thuộc hồ sơ của đơn vị.", bad)


def _readable(session: Session, principal: Principal, row: Objection) -> None:
    require(principal, "objection.read", unit_id=row.unit_id)


def get_objection(services: Services, principal: Principal, objection_id: int) -> dict[str, Any]:
    with session_scope(services.db) as session:
        row = session.get(Objection, objection_id)
        if row is None:
            if principal.anonymous:
                require(principal, "objection.read")
            raise NotFound(f"no objection {objection_id}")
        _readable(session, principal, row)
        return objection_json(row)


def list_objections(
    services: Services, principal: Principal, publication_id: int
) -> list[dict[str, Any]]:
    """The objections to a publication in the order filed: every one for the roles that
    read unpublished rankings, the unit's own for a unit's submitter."""
    if principal.anonymous:
        require(principal, "objection.read")
    with session_scope(services.db) as session:
        _preliminary(session, publication_id)
        query = select(Objection).where(Objection.publication_id == publication_id)
        if not may(principal, "objection.read"):
            require(principal, "objection.read", unit_id=principal.unit_id)
            query = query.where(Objection.unit_id == principal.unit_id)
        rows = session.exec(query.order_by(col(Objection.id))).all()
        return [objection_json(r) for r in rows]


def criteria_of(program: Program, node_id: str) -> tuple[set[str], set[str]]:
    """What an accepted objection to ``node_id`` may change: the inputs its leaves read,
    and its leaves the council scores (manual)."""
    inputs: set[str] = set()
    manual: set[str] = set()
    for leaf in program.leaves:
        if leaf.node.id == node_id or node_id in leaf.ancestors:
            inputs.update(leaf.node.inputs)
            if leaf.kind == "manual":
                manual.add(leaf.node.id)
    return inputs, manual


def _changes(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_CHANGES:
        raise BadRequest(
            "`changes` is a list", [{"path": "$.changes", "message": f"at most {MAX_CHANGES}"}]
        )
    out = []
    for i, change in enumerate(value):
        path = f"$.changes[{i}]"
        if (
            not isinstance(change, dict)
            or not isinstance(change.get("key"), str)
            or set(change) - {"key", "value", "points"}
            or ("value" in change) == ("points" in change)
        ):
            raise BadRequest(
                "a change is {key, value} or {key, points}",
                [{"path": path, "message": "{key, value} hoặc {key, points}"}],
            )
        out.append(change)
    return out


def _check_changes(
    program: Program,
    submission: Submission,
    scored_input: dict[str, Any],
    node_id: str,
    changes: list[dict[str, Any]],
) -> None:
    """422 for a change the criterion cannot make or the version refuses, every one with
    its path, before any appraisal is written (the appraisal service checks each again)."""
    inputs, manual = criteria_of(program, node_id)
    problems: list[dict[str, str]] = []
    appraisal: dict[str, Any] = {}
    for i, change in enumerate(changes):
        path, key = f"$.changes[{i}]", change["key"]
        if key in inputs and "value" in change:
            appraisal[key] = {"value": change["value"]}
        elif key in manual and "points" in change:
            top = program.methodology.nodes[key].max_points
            try:
                problem = points_problem(Decimal(str(change["points"])), top)
            except ArithmeticError:
                problem = "not a number"
            if problem is not None:
                problems.append({"path": f"{path}.points", "message": f"0 … {top}"})
        elif key in inputs or key in manual:
            wanted = "value" if key in inputs else "points"
            problems.append({"path": path, "message": f"'{key}' takes `{wanted}`"})
        else:
            hint = did_you_mean(key, sorted(inputs | manual))
            problems.append(
                {
                    "path": f"{path}.key",
                    "message": f"không phải dữ liệu của mục '{node_id}'"
                    + (f" ({hint})" if hint else ""),
                }
            )
    if not problems and appraisal:
        data = {**scored_input, "appraisal": {**scored_input.get("appraisal", {}), **appraisal}}
        index = {c["key"]: i for i, c in enumerate(changes)}
        for p in clean_problems(program, parse_submission(data)):
            key = p["path"].removeprefix("$.appraisal.").split(".")[0]
            if p["path"].startswith("$.appraisal.") and key in index:
                problems.append({"path": f"$.changes[{index[key]}].value", "message": p["message"]})
    if problems:
        raise Unprocessable(
            f"Thay đổi theo kiến nghị chưa hợp lệ (hồ sơ số {submission.id}).", problems
        )


def answer_objection(
    services: Services, principal: Principal, objection_id: int, data: Any
) -> dict[str, Any]:
    """`{decision, answer, changes?}`: `rejected` with the answer, or `accepted` with the
    answer and the changes (`[{key, value} | {key, points}]`, at least one), applied as
    the council's appraisals of the unit's record with the objection as their reason."""
    if principal.anonymous:
        require(principal, "objection.answer")
    body = json_object(data, ("decision", "answer", "changes"))
    require(principal, "objection.answer")
    decision = body.get("decision")
    if decision not in DECISIONS:
        raise BadRequest(
            "`decision` is accepted or rejected",
            [{"path": "$.decision", "message": "accepted hoặc rejected"}],
        )
    answer = _text(body, "answer")
    changes = _changes(body.get("changes"))
    if decision == "rejected" and changes:
        raise BadRequest(
            "a rejected objection changes nothing",
            [{"path": "$.changes", "message": "chỉ dùng khi chấp nhận kiến nghị"}],
        )
    if decision == "accepted" and not changes:
        raise Unprocessable(
            "Chấp nhận kiến nghị thì ghi rõ thay đổi (giá trị dữ liệu hoặc điểm của mục).",
            [{"path": "$.changes", "message": "ít nhất một thay đổi"}],
        )
    with session_scope(services.db) as session:
        row = _open_objection(session, objection_id)
        publication = _preliminary(session, row.publication_id)
        _answerable(session, publication)
        node_id, unit_id = row.node_id, row.unit_id
        submission = None
        source: dict[str, Any] = {}
        if changes:
            _units, latest = latest_submissions(
                session, publication.cohort_id, publication.period, publication.methodology
            )
            submission = latest.get(unit_id)
            if submission is None:
                raise Conflict(
                    f"Đơn vị '{unit_id}' không còn hồ sơ đã nộp của kỳ {publication.period}.",
                    [{"path": "$.changes", "message": "không có hồ sơ để thẩm định"}],
                )
            require(principal, "appraisal.create", unit_id=unit_id, status=submission.status)
            source = input_json(scoring_input(session, submission))
            methodology, ref = publication.methodology, submission.ref
            session.expunge(submission)
    if submission is not None:
        program = program_for(services.store, methodology, ref)
        _check_changes(program, submission, source, node_id, changes)
    reason = f"Chấp nhận kiến nghị số {objection_id} về mục {node_id}: {answer}"[:2000]
    made: list[int] = []
    for change in changes:
        assert submission is not None
        appraised = add_appraisal(
            services,
            principal,
            stored_id(submission),
            {**change, "reason": reason},
            objection=objection_id,
        )
        made.append(appraised["appraisal"]["id"])
    with session_scope(services.db) as session:
        row = _open_objection(session, objection_id, lock=True)
        before = objection_json(row)
        row.status = decision
        row.answer = answer
        row.appraisals = made
        row.answered_by = principal.id
        row.answered_at = utcnow()
        session.add(row)
        session.flush()
        after = objection_json(row)
        record(session, principal, "objection.answer", "objection", str(row.id), before, after)
        return after


def _open_objection(session: Session, objection_id: int, *, lock: bool = False) -> Objection:
    row = session.get(Objection, objection_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"no objection {objection_id}")
    if row.status != "open":
        when = row.answered_at.date() if row.answered_at else None
        raise Conflict(
            f"Kiến nghị số {objection_id} đã được trả lời"
            + (f" ngày {when:%d/%m/%Y}" if when else "")
            + "; mỗi kiến nghị chỉ trả lời một lần.",
            [{"path": "$", "message": "đã trả lời"}],
        )
    return row


def _answerable(session: Session, publication: Publication) -> None:
    if publication.withdrawn_at is not None:
        raise Conflict(
            f"Kết quả sơ bộ số {publication.id} đã bị thu hồi; kiến nghị về nó không "
            "còn được trả lời.",
            [{"path": "$", "message": "kết quả sơ bộ đã thu hồi"}],
        )
    final = in_force_stage(session, publication.cohort_id, publication.period, "final")
    if final is not None:
        raise Conflict(
            f"Kết quả chính thức (lần công bố số {final.id}) đã được công bố.",
            [{"path": "$", "message": "đã có kết quả chính thức"}],
        )


# -- the difference a final publication makes -------------------------------------------


def _unit_rows(row: Publication) -> dict[str, dict[str, Any]]:
    return {u["unit"]: u for u in row.ranking.get("units") or []}


def _points(result: dict[str, Any]) -> dict[str, tuple[Any, dict[str, Any]]]:
    out: dict[str, tuple[Any, dict[str, Any]]] = {}

    def walk(node: dict[str, Any]) -> None:
        out[node["id"]] = (node.get("points"), node)
        for child in node.get("children") or []:
            walk(child)

    for top in result.get("nodes") or []:
        walk(top)
    return out


def _results(session: Session, publication_id: int) -> dict[str, dict[str, Any]]:
    out = {}
    for link in session.exec(
        select(PublicationResult).where(PublicationResult.publication_id == publication_id)
    ).all():
        evaluation = session.get(Evaluation, link.evaluation_id)
        assert evaluation is not None  # a foreign key
        out[link.unit_id] = evaluation.result
    return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(str(a)) == Decimal(str(b))


def difference(services: Services, principal: Principal, publication_id: int) -> dict[str, Any]:
    """`GET /api/publications/{id}/difference`: what the final publication changed from
    its preliminary one (409 for a preliminary publication)."""
    with session_scope(services.db) as session:
        final = readable_publication(session, principal, publication_id)
        if final.stage != "final" or final.preliminary_id is None:
            raise Conflict(
                f"Lần công bố số {publication_id} không phải kết quả chính thức sau kết quả "
                "sơ bộ, nên không có chênh lệch để so.",
                [{"path": "$", "message": "không phải kết quả chính thức"}],
            )
        preliminary = session.get(Publication, final.preliminary_id)
        assert preliminary is not None  # a foreign key
        pre_id = stored_id(preliminary)
        objections = list(
            session.exec(
                select(Objection)
                .where(Objection.publication_id == preliminary.id)
                .order_by(col(Objection.id))
            ).all()
        )
        before, after = _results(session, pre_id), _results(session, stored_id(final))
        ranks_before, ranks_after = _unit_rows(preliminary), _unit_rows(final)
    nodes = program_for(services.store, final.methodology, final.commit).methodology.nodes

    def related(unit: str, node_id: str) -> list[int]:
        """The unit's accepted objections about the node, one above it or one below it."""
        lineage = {node_id}
        parent = nodes[node_id].parent if node_id in nodes else None
        while parent is not None:
            lineage.add(parent)
            parent = nodes[parent].parent
        found = []
        for o in objections:
            if o.unit_id != unit or o.status != "accepted":
                continue
            above = o.node_id in lineage
            below = False
            walk = nodes[o.node_id].parent if o.node_id in nodes else None
            while walk is not None and not below:
                below, walk = walk == node_id, nodes[walk].parent
            if above or below:
                found.append(stored_id(o))
        return found

    units = []
    for unit in sorted(set(ranks_before) | set(ranks_after)):
        was, now = ranks_before.get(unit, {}), ranks_after.get(unit, {})
        old_points, new_points = _points(before.get(unit, {})), _points(after.get(unit, {}))
        criteria = []
        for node_id, (points, node) in new_points.items():
            previous = old_points.get(node_id, (None, {}))[0]
            if _same(previous, points):
                continue
            criteria.append(
                {
                    "node": node_id,
                    "code": node.get("code") or "",
                    "title": node.get("title") or "",
                    "before": None if previous is None else str(previous),
                    "after": None if points is None else str(points),
                    "objections": related(unit, node_id),
                }
            )
        entry = {
            "unit": unit,
            "name": now.get("name") or was.get("name"),
            **{f"{k}_before": _text_of(was.get(k)) for k in ("total", "index", "rank", "band")},
            **{f"{k}_after": _text_of(now.get(k)) for k in ("total", "index", "rank", "band")},
            "criteria": criteria,
        }
        entry["changed"] = bool(criteria) or any(
            entry[f"{k}_before"] != entry[f"{k}_after"] for k in ("total", "index", "rank")
        )
        units.append(entry)
    return {
        "publication": publication_id,
        "preliminary": pre_id,
        "units": units,
        "objections": [objection_json(o) for o in objections],
    }


def _text_of(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass
class ObjectionPanel:
    """What the ranking page shows of a publication's objections: the ones the viewer
    may read, the criteria a unit may object to (id, "code. title"), whether the viewer
    may file (a submitter of a unit in the preliminary result, the window open) or answer
    (an appraiser, before the final result), and a final publication's difference."""

    objections: list[dict[str, Any]]
    criteria: list[tuple[str, str]]
    may_file: bool
    may_answer: bool
    difference: dict[str, Any] | None


def objection_panel(
    services: Services, principal: Principal, publication: dict[str, Any]
) -> ObjectionPanel:
    pub_id = int(publication["id"])
    if publication["stage"] == "final":
        found = difference(services, principal, pub_id) if publication["preliminary"] else None
        return ObjectionPanel([], [], False, False, found)
    readable = may(principal, "objection.read") or (
        principal.unit_id is not None
        and may(principal, "objection.read", unit_id=principal.unit_id)
    )
    listed = list_objections(services, principal, pub_id) if readable else []
    may_file = (
        bool(publication["objections_open"])
        and principal.unit_id in publication["evaluations"]
        and may(principal, "objection.file", unit_id=principal.unit_id)
    )
    with session_scope(services.db) as session:
        final = in_force_stage(session, publication["cohort"], publication["period"], "final")
    may_answer = publication["in_force"] and final is None and may(principal, "objection.answer")
    criteria: list[tuple[str, str]] = []
    if may_file:
        program = program_for(services.store, publication["methodology"], publication["commit"])
        criteria = [
            (node.id, f"{node.code}. {node.title}" if node.code else node.title)
            for node in program.methodology.walk()
        ]
    return ObjectionPanel(listed, criteria, may_file, may_answer, None)
