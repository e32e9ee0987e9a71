"""What a submission must carry before it is submitted, and who may write which part.

Evidence and giải trình: a node whose front matter says `requires: {evidence: true}`
needs an uploaded file or a named document (số/ký hiệu or trích yếu in
`Submission.documents`), or else a giải trình (a `{explanation}` entry) saying why there
is none; `requires: {explanation: [not_applicable]}` needs a giải trình whenever the
unit claims "không phát sinh" (the claim's own text, as the form and the Excel form
write it, or an `{explanation}` entry); `always` needs one in any case. A node that is
not applicable (claimed, or ruled out by the unit's facts) needs no evidence.
`missing_requirements` lists what is missing, one problem per node; `check_submittable`
refuses a submit with all of them (422).

Contributors: a unit's criteria may be assigned to other units (`Assignment` rows). A
submitter of such a unit reads the draft and writes the assigned nodes only
(`require_write`, then `check_scope` on what a change would write); submitting stays
with the focal point (`refuse_contributor`). These functions take the opened methodology
and the row from `services.submissions`, which calls them, so this module imports none
of the services.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from evaluators import Program, Result, parse_submission, score
from methodology import Methodology
from server.auth import Principal, require
from server.errors import Forbidden, Unprocessable
from server.models import Assignment, Evidence, Submission

__all__ = [
    "NAMING_PARTS",
    "assigned_units",
    "check_node_scope",
    "check_scope",
    "check_submittable",
    "covered_nodes",
    "file_nodes",
    "input_owners",
    "missing_requirements",
    "read_scope",
    "refuse_contributor",
    "require_read",
    "require_write",
    "statuses_of",
]

# The parts of a `documents` entry that name a document (an entry with only a date or an
# issuer does not say which document it is).
NAMING_PARTS = ("number", "title")
MISSING_EVIDENCE = (
    "chưa có minh chứng: tải tệp lên, ghi văn bản (số/ký hiệu hoặc trích yếu) "
    "hoặc giải trình vì sao không có"
)
MISSING_NA_EXPLANATION = "kê khai không phát sinh nhưng chưa giải trình vì sao"
MISSING_EXPLANATION = "chưa giải trình (tiêu chí này luôn phải giải trình)"


# -- evidence and giải trình ----------------------------------------------------------


def _explained(entries: Any) -> bool:
    return isinstance(entries, list) and any(
        isinstance(e, dict) and str(e.get("explanation") or "").strip() for e in entries
    )


def _named(entries: Any) -> bool:
    return isinstance(entries, list) and any(
        isinstance(e, dict) and any(str(e.get(p) or "").strip() for p in NAMING_PARTS)
        for e in entries
    )


def missing_requirements(
    m: Methodology,
    statuses: Mapping[str, str],
    not_applicable: Mapping[str, Any],
    documents: Mapping[str, Any],
    files: Collection[str | None],
) -> list[dict[str, str]]:
    """One problem `{node, path, message, text}` (``text``: the message without the
    node's code and title, as its row on a page says it) per node still missing its evidence or its
    giải trình, in the methodology's order. ``statuses`` are a scored result's (node →
    status); ``files`` the nodes that have an uploaded file."""
    out: list[dict[str, str]] = []
    for node in m.walk():
        needs = node.requires
        if not (needs.evidence or needs.explanation):
            continue
        entries = documents.get(node.id)
        explained = _explained(entries)
        label = f"{node.code} {node.title}".strip()
        if node.id in not_applicable:
            wanted = {"not_applicable", "always"} & set(needs.explanation)
            if wanted and not str(not_applicable[node.id] or "").strip() and not explained:
                out.append(
                    {
                        "node": node.id,
                        "path": f"$.not_applicable.{node.id}",
                        "message": f"{label}: {MISSING_NA_EXPLANATION}",
                        "text": MISSING_NA_EXPLANATION,
                    }
                )
            continue
        if statuses.get(node.id) == "not_applicable":  # ruled out by the unit's facts
            continue
        if needs.evidence and not (explained or node.id in files or _named(entries)):
            out.append(
                {
                    "node": node.id,
                    "path": f"$.documents.{node.id}",
                    "message": f"{label}: {MISSING_EVIDENCE}",
                    "text": MISSING_EVIDENCE,
                }
            )
        elif "always" in needs.explanation and not explained:
            out.append(
                {
                    "node": node.id,
                    "path": f"$.documents.{node.id}",
                    "message": f"{label}: {MISSING_EXPLANATION}",
                    "text": MISSING_EXPLANATION,
                }
            )
    return out


def statuses_of(result: Result) -> dict[str, str]:
    return {n.id: n.status for n in result.walk()}


def file_nodes(session: Session, submission_id: int | None) -> set[str | None]:
    rows = session.exec(select(Evidence.node_id).where(Evidence.submission_id == submission_id))
    return set(rows.all())


def check_submittable(session: Session, row: Submission, program: Program, engine: Any) -> None:
    """422 listing every node whose required evidence or giải trình is missing (each
    with its JSON path and a Vietnamese message); nothing is written."""
    m = program.methodology
    files = file_nodes(session, row.id)
    # Facts only ever excuse a node: when nothing is missing without them, nothing is
    # (and the draft, scored already by the values' check, is not scored again).
    if not missing_requirements(m, {}, row.not_applicable, row.documents, files):
        return
    scored = parse_submission(
        {
            "unit": row.unit_id,
            "period": row.period,
            "methodology": row.methodology,
            "ref": row.ref,
            "values": row.values,
            "not_applicable": row.not_applicable,
            "facts": row.facts,
        }
    )
    statuses = statuses_of(score(program, scored, engine))
    missing = missing_requirements(m, statuses, row.not_applicable, row.documents, files)
    if missing:
        raise Unprocessable(
            f"hồ sơ còn thiếu minh chứng hoặc giải trình ở {len(missing)} tiêu chí",
            [{"path": p["path"], "message": p["message"]} for p in missing],
        )


# -- contributors ---------------------------------------------------------------------


def assigned_units(session: Session, submission_id: int | None) -> dict[str, list[str]]:
    """unit → the node ids assigned to it, for a submission."""
    rows = session.exec(
        select(Assignment)
        .where(Assignment.submission_id == submission_id)
        .order_by(col(Assignment.unit_id))
    ).all()
    return {r.unit_id: list(r.nodes) for r in rows}


def read_scope(session: Session, row: Submission) -> dict[str, Any]:
    """The scope `submission.read` is decided in: the unit and its contributors."""
    return {"unit_id": row.unit_id, "contributors": list(assigned_units(session, row.id))}


def require_read(session: Session, principal: Principal, row: Submission) -> None:
    require(principal, "submission.read", **read_scope(session, row))


def _contributor(session: Session, principal: Principal, row: Submission) -> list[str] | None:
    """The nodes assigned to the principal's unit when it is a contributor (and not the
    submission's own unit); else None."""
    if principal.role != "unit_submitter" or principal.unit_id in (None, row.unit_id):
        return None
    return assigned_units(session, row.id).get(principal.unit_id or "")


def require_write(
    session: Session, principal: Principal, row: Submission, action: str
) -> list[str] | None:
    """`require` for a change of the draft: the focal point's ``action`` (None: it may
    write everything), or a contributor's `submission.contribute` (its assigned nodes,
    which `check_scope` holds the change to)."""
    nodes = _contributor(session, principal, row)
    if nodes is None:
        require(principal, action, unit_id=row.unit_id)
        return None
    require(principal, "submission.contribute", contributors=[principal.unit_id], status=row.status)
    return nodes


def covered_nodes(m: Methodology, nodes: Iterable[str]) -> set[str]:
    """The nodes and every node below them."""
    out: set[str] = set()
    todo = [n for n in nodes if n in m.nodes]
    while todo:
        node = todo.pop()
        if node not in out:
            out.add(node)
            todo.extend(child.id for child in m.children_of(node))
    return out


def input_owners(m: Methodology) -> dict[str, str]:
    return {input_id: node.id for node in m.walk() for input_id in node.inputs}


_PARTS = ("values", "not_applicable", "documents")


def _changed(current: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [k for k in dict.fromkeys([*current, *new]) if current.get(k) != new.get(k)]


def _take_back_done(session: Session, principal: Principal, row: Submission) -> None:
    """A contributor changes its part after marking it done: the mark goes, so "done"
    always means the part as the contributor last left it."""
    assignment = session.get(Assignment, (row.id, principal.unit_id))
    if assignment is not None and assignment.done_at is not None:
        assignment.done_at = assignment.done_by = None
        session.add(assignment)


def check_scope(
    session: Session,
    nodes: list[str] | None,
    principal: Principal,
    row: Submission,
    m: Methodology,
    new: Mapping[str, Any],
) -> None:
    """403 naming every part a contributor's change would write outside its nodes
    (values of other criteria' inputs, their claims and documents, the unit's facts, the
    version); ``nodes`` is what `require_write` returned (None: anything goes). A change
    within them takes back the contributor's done mark."""
    if nodes is None:
        return
    mine = covered_nodes(m, nodes)
    owners = input_owners(m)
    outside: list[dict[str, str]] = []
    for part in _PARTS:
        for key in _changed(getattr(row, part), new.get(part, getattr(row, part))):
            node = owners.get(key) if part == "values" else key
            if node not in mine:
                where = m.nodes[node].code if node in m.nodes else key
                outside.append(
                    {
                        "path": f"$.{part}.{key}",
                        "message": f"tiêu chí {where} không được giao cho đơn vị "
                        f"{principal.unit_id}",
                    }
                )
    if _changed(row.facts, new.get("facts", row.facts)):
        outside.append(
            {"path": "$.facts", "message": "thông tin của đơn vị do đầu mối của đơn vị nhập"}
        )
    if new.get("ref", row.ref) != row.ref:
        outside.append({"path": "$.ref", "message": "phiên bản do đầu mối của đơn vị chọn"})
    if outside:
        raise Forbidden(
            f"đơn vị {principal.unit_id} chỉ được điền các tiêu chí được giao "
            f"({', '.join(nodes)}) trong hồ sơ {row.id}",
            outside,
        )
    if any(_changed(getattr(row, p), new.get(p, getattr(row, p))) for p in _PARTS):
        _take_back_done(session, principal, row)


def check_node_scope(
    session: Session,
    nodes: list[str] | None,
    principal: Principal,
    row: Submission,
    m: Methodology,
    node_id: str | None,
) -> None:
    """403 when a contributor attaches or removes a file outside its nodes (a file of
    the whole submission, without a node, is the focal point's); one within them takes
    back its done mark."""
    if nodes is None:
        return
    if node_id is not None and node_id in covered_nodes(m, nodes):
        _take_back_done(session, principal, row)
        return
    raise Forbidden(
        f"chỉ được tải hoặc xoá minh chứng của các tiêu chí được giao ({', '.join(nodes)})",
        [{"path": "$.node_id", "message": f"'{node_id or ''}' không được giao cho đơn vị này"}],
    )


def refuse_contributor(session: Session, principal: Principal, row: Submission) -> None:
    """A contributor does not submit: 403 saying who does and what it does instead."""
    if _contributor(session, principal, row) is None:
        return
    raise Forbidden(
        f"chỉ đầu mối của đơn vị {row.unit_id} nộp hồ sơ {row.id}; đơn vị "
        f"{principal.unit_id} đánh dấu phần việc được giao là xong "
        f"(POST /api/submissions/{row.id}/assignments/{principal.unit_id}/done)",
        [{"path": "$", "message": "đơn vị được giao tiêu chí không nộp hồ sơ"}],
    )
