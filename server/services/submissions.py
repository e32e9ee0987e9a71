"""Submissions for the API: drafts, merges with revisions, submitting, appraisals.

A submission is a draft while its unit edits it; every change increments `revision`,
and a client that sends `If-Match: <revision>` gets 409 when someone changed it since.
Values are checked against the methodology version whenever they change (unknown
inputs and out-of-bounds values are refused; missing inputs are fine in a draft), and
completely on submit. Submitting locks it: only the appraisal council changes it after
that, through appraisals, which never touch the unit's own values.

Permission checks need the stored row (its unit and status), so these services call
`require` themselves, in the transaction that then writes the change and its audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlmodel import Session, SQLModel, col, select

from evaluators import (
    IncompleteSubmission,
    Program,
    SubmissionError,
    build_program,
    clean_problems,
    parse_submission,
    score,
)
from evaluators import Submission as Scored
from methodology import MethodologyError, Store, open_methodology
from methodology.versions import Spec
from rules import did_you_mean
from server.app import Services
from server.auth import Principal, record, require
from server.db import session_scope
from server.errors import BadRequest, Conflict, NotFound, Unprocessable
from server.models import (
    Appraisal,
    AppraisalCreate,
    Evidence,
    Submission,
    SubmissionCreate,
    SubmissionUpdate,
    SurveyImport,
    SurveyScore,
    Unit,
    User,
    utcnow,
)
from server.services.methodologies import SLUG

__all__ = [
    "add_appraisal",
    "create_submission",
    "ensure_draft",
    "get_submission",
    "json_object",
    "json_path",
    "load_submission",
    "open_version",
    "parse_body",
    "program_for",
    "scoring_input",
    "submission_json",
    "submit",
    "update_submission",
]

M = TypeVar("M", bound=SQLModel)
# Problems a unit can fix in its own submission (not survey or appraisal nodes).
_OWN_PATHS = ("$.values.", "$.facts.", "$.not_applicable.")


# -- shared helpers -------------------------------------------------------------------


def json_path(loc: Iterable[Any], prefix: str = "$") -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _require_object(data: Any, path: str) -> None:
    if not isinstance(data, dict):
        raise BadRequest(
            "the body must be a JSON object", [{"path": path, "message": "not an object"}]
        )


def json_object(data: Any, keys: Sequence[str], path: str = "$") -> dict[str, Any]:
    """``data`` when it is a JSON object with no field outside ``keys``; else 400
    naming every unknown field (with a suggestion)."""
    _require_object(data, path)
    unknown = [k for k in data if k not in keys]
    if unknown:
        raise BadRequest("the body has unknown fields", _unknown(unknown, keys, path))
    return data


def parse_body(model: type[M], data: Any, *, prefix: str = "$") -> M:
    """Validate a JSON body through a Create/Update model; 400 lists every wrong field."""
    _require_object(data, prefix)
    fields = set(model.model_fields)
    unknown = [k for k in data if k not in fields]
    try:
        parsed = model.model_validate({k: v for k, v in data.items() if k in fields})
    except ValidationError as exc:
        errors = [{"path": json_path(e["loc"], prefix), "message": e["msg"]} for e in exc.errors()]
        raise BadRequest(
            "the body is malformed", errors + _unknown(unknown, fields, prefix)
        ) from None
    if unknown:
        raise BadRequest("the body has unknown fields", _unknown(unknown, fields, prefix))
    return parsed


def _unknown(keys: Sequence[str], fields: Collection[str], prefix: str) -> list[dict[str, str]]:
    return [
        {
            "path": f"{prefix}.{k}",
            "message": "unknown field"
            + (f" ({hint})" if (hint := did_you_mean(k, fields)) else ""),
        }
        for k in keys
    ]


def check_slug(value: str | None, path: str) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise BadRequest(
            f"invalid {path.rsplit('.', 1)[-1]} {value!r}",
            [{"path": path, "message": "must match [a-z0-9][a-z0-9_-]*"}],
        )
    return value


def open_version(store: Store, methodology: str, ref: str | None, *, path: str = "$"):
    """The methodology at ``ref`` (the head without one); 422 names the field that is wrong."""
    check_slug(methodology, f"{path}.methodology")
    try:
        return open_methodology(store, Spec(methodology, ref or None))
    except MethodologyError as exc:
        head = store.head()
        names = store.methodologies(head) if head else []
        if methodology not in names:
            hint = did_you_mean(methodology, names)
            raise Unprocessable(
                f"no methodology '{methodology}'",
                [
                    {
                        "path": f"{path}.methodology",
                        "message": "unknown" + (f" ({hint})" if hint else ""),
                    }
                ],
            ) from None
        raise Unprocessable(
            f"no version '{ref}' of {methodology}",
            [{"path": f"{path}.ref", "message": str(exc)}],
        ) from None


def program_for(store: Store, methodology: str, ref: str | None, *, path: str = "$") -> Program:
    return build_program(open_version(store, methodology, ref, path=path))


def load_submission(
    session: Session, principal: Principal, submission_id: int, action: str, *, lock: bool = False
) -> Submission:
    """The row, or 404 (anonymous callers get 401 first: nothing is revealed to them).

    With ``lock`` the row is read `FOR UPDATE` (PostgreSQL), so two concurrent changes
    are serialised and the second sees the first's revision (SQLite serialises writers
    itself)."""
    row = session.get(Submission, submission_id, with_for_update=lock)
    if row is None:
        if principal.anonymous:
            require(principal, action)
        raise NotFound(f"no submission {submission_id}")
    return row


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _state(row: Submission) -> dict[str, Any]:
    """The row as plain JSON: what audit entries record before and after a change."""
    return {
        "id": row.id,
        "unit_id": row.unit_id,
        "period": row.period,
        "methodology": row.methodology,
        "ref": row.ref,
        "values": dict(row.values),
        "not_applicable": dict(row.not_applicable),
        "facts": dict(row.facts),
        "status": row.status,
        "revision": row.revision,
        "created_by": row.created_by,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "submitted_at": _iso(row.submitted_at),
    }


def evidence_json(row: Evidence) -> dict[str, Any]:
    return {
        "id": row.id,
        "submission_id": row.submission_id,
        "node_id": row.node_id,
        "filename": row.filename,
        "media_type": row.media_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": _iso(row.uploaded_at),
    }


def appraisal_json(row: Appraisal) -> dict[str, Any]:
    return {
        "id": row.id,
        "submission_id": row.submission_id,
        "key": row.key,
        "value": row.value,
        "points": row.points,
        "reason": row.reason,
        "by_user": row.by_user,
        "created_at": _iso(row.created_at),
    }


def submission_json(session: Session, row: Submission) -> dict[str, Any]:
    evidence = session.exec(
        select(Evidence).where(Evidence.submission_id == row.id).order_by(col(Evidence.id))
    ).all()
    return {
        **_state(row),
        "evidence": [evidence_json(e) for e in evidence],
        "appraisals": [appraisal_json(a) for a in _appraisals(session, row.id)],
    }


def _appraisals(session: Session, submission_id: int | None) -> list[Appraisal]:
    return list(
        session.exec(
            select(Appraisal)
            .where(Appraisal.submission_id == submission_id)
            .order_by(col(Appraisal.id))
        ).all()
    )


def survey_scores(
    session: Session, methodology: str, period: str, unit_ids: Iterable[str]
) -> dict[str, dict[str, str]]:
    """unit → node → score from the survey imports of a methodology and period; a later
    import replaces an earlier one's score for the same unit and node."""
    rows = session.exec(
        select(SurveyScore)
        .join(SurveyImport, col(SurveyImport.id) == col(SurveyScore.import_id))
        .where(SurveyImport.methodology == methodology, SurveyImport.period == period)
        .where(col(SurveyScore.unit_id).in_(list(unit_ids)))
        .order_by(col(SurveyScore.import_id), col(SurveyScore.id))
    ).all()
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        out.setdefault(r.unit_id, {})[r.node_id] = r.score
    return out


def scoring_input(
    session: Session,
    row: Submission,
    *,
    methodology: str | None = None,
    survey: dict[str, str] | None = None,
    unit_name: str | None = None,
) -> Scored:
    """What an engine scores: the unit's values, the appraisals (the latest per key wins)
    and the survey scores of the unit for the period."""
    appraisal: dict[str, dict[str, Any]] = {}
    names: dict[int | None, str] = {}
    for a in _appraisals(session, row.id):
        if a.by_user not in names:
            user = session.get(User, a.by_user) if a.by_user is not None else None
            names[a.by_user] = user.name if user else "unknown"
        entry: dict[str, Any] = {"reason": a.reason, "by": names[a.by_user]}
        entry.update({"points": a.points} if a.points is not None else {"value": a.value})
        appraisal[a.key] = entry
    if survey is None:
        survey = survey_scores(
            session, methodology or row.methodology, row.period, [row.unit_id]
        ).get(row.unit_id, {})
    if unit_name is None:
        unit = session.get(Unit, row.unit_id)
        unit_name = unit.name if unit else None
    return _scored(row, appraisal=appraisal, survey=survey, unit_name=unit_name)


def _scored(
    row: Submission,
    *,
    appraisal: dict[str, Any] | None = None,
    survey: dict[str, Any] | None = None,
    unit_name: str | None = None,
) -> Scored:
    data = {
        "unit": row.unit_id,
        "unit_name": unit_name,
        "period": row.period,
        "methodology": row.methodology,
        "ref": row.ref,
        "values": row.values,
        "not_applicable": row.not_applicable,
        "facts": row.facts,
        "appraisal": appraisal or {},
        "survey": survey or {},
    }
    try:
        return parse_submission(data)
    except SubmissionError as exc:
        raise Unprocessable(exc.message, exc.problems) from None


def _check_values(services: Services, row: Submission, *, complete: bool = False) -> None:
    """422 for unknown inputs, facts or nodes and for invalid values (every one, with its
    path); with ``complete``, for missing required inputs and facts too."""
    program = program_for(services.store, row.methodology, row.ref)
    scored = _scored(row)
    if not complete:  # a draft: cleaning finds every invalid value, nothing is scored
        problems = [p for p in clean_problems(program, scored) if p.get("status") == "invalid"]
    else:  # which inputs are needed depends on the N/A rules an engine decides
        try:
            result = score(program, scored, services.engine("compiled"), strict=True)
            problems = [p for p in result.problems if p.get("status") == "invalid"]
        except IncompleteSubmission as exc:
            problems = exc.problems
    own = [p for p in problems if str(p.get("path", "")).startswith(_OWN_PATHS)]
    if own:
        what = "is incomplete" if complete else "has invalid values"
        raise Unprocessable(
            f"the submission {what}",
            [{"path": p["path"], "message": p["message"]} for p in own],
        )


def _if_match(header: str | None, row: Submission) -> None:
    if header is None:
        return
    text = header.strip()
    if text == "*":
        return
    text = text.removeprefix("W/").strip('"')
    if not text.isdigit():
        raise BadRequest(
            "If-Match must be the submission's revision",
            [{"path": "$.headers.If-Match", "message": f"not a revision: {header!r}"}],
        )
    if int(text) != row.revision:
        raise Conflict(
            f"submission {row.id} is at revision {row.revision}, not {text}; reload it",
            [{"path": "$.headers.If-Match", "message": f"current revision is {row.revision}"}],
            revision=row.revision,
        )


def ensure_draft(row: Submission) -> None:
    if row.status != "draft":
        raise Conflict(
            f"submission {row.id} is {row.status}: it can no longer be changed",
            [{"path": "$.status", "message": row.status}],
        )


# -- endpoints -----------------------------------------------------------------------


def create_submission(services: Services, principal: Principal, data: Any) -> dict[str, Any]:
    body = parse_body(SubmissionCreate, data)
    require(principal, "submission.create", unit_id=body.unit_id, status="draft")
    _check_period(body.period)
    with session_scope(services.db) as session:
        if session.get(Unit, body.unit_id) is None:
            raise Unprocessable(
                f"no unit '{body.unit_id}'", [{"path": "$.unit_id", "message": "unknown unit"}]
            )
        row = Submission(
            **body.model_dump(),
            status="draft",
            created_by=principal.id,
        )
        _check_values(services, row)
        session.add(row)
        session.flush()
        record(
            session, principal, "submission.create", "submission", str(row.id), None, _state(row)
        )
        return submission_json(session, row)


def _check_period(period: str) -> None:
    if not period.strip():
        raise BadRequest("missing period", [{"path": "$.period", "message": "required"}])


def get_submission(services: Services, principal: Principal, submission_id: int) -> dict[str, Any]:
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "submission.read")
        require(principal, "submission.read", unit_id=row.unit_id)
        return submission_json(session, row)


def update_submission(
    services: Services,
    principal: Principal,
    submission_id: int,
    data: Any,
    if_match: str | None,
) -> dict[str, Any]:
    """Merge ``data`` into a draft (JSON merge patch: a null removes a key)."""
    removed_na, data = _split_removals(data)
    body = parse_body(SubmissionUpdate, data)
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "submission.edit", lock=True)
        require(principal, "submission.edit", unit_id=row.unit_id)
        ensure_draft(row)
        _if_match(if_match, row)
        before = _state(row)
        row.values = _merge(row.values, body.values)
        row.facts = _merge(row.facts, body.facts)
        row.not_applicable = _merge(
            row.not_applicable, {**(body.not_applicable or {}), **dict.fromkeys(removed_na)}
        )
        if "ref" in body.model_fields_set:
            row.ref = body.ref
        if _state(row) == before:
            return submission_json(session, row)  # nothing changed: no new revision
        _check_values(services, row)
        row.revision += 1
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        record(
            session, principal, "submission.edit", "submission", str(row.id), before, _state(row)
        )
        return submission_json(session, row)


def _split_removals(data: Any) -> tuple[list[str], Any]:
    """`not_applicable: {node: null}` removes a claim; the model only takes strings."""
    if not isinstance(data, dict) or not isinstance(data.get("not_applicable"), dict):
        return [], data
    na = data["not_applicable"]
    removed = [k for k, v in na.items() if v is None]
    return removed, {**data, "not_applicable": {k: v for k, v in na.items() if v is not None}}


def _merge(current: dict[str, Any], patch: dict[str, Any] | None) -> dict[str, Any]:
    if not patch:
        return dict(current)
    out = dict(current)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def submit(
    services: Services, principal: Principal, submission_id: int, if_match: str | None
) -> dict[str, Any]:
    """Lock a complete draft; 422 lists every missing or invalid input."""
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "submission.submit", lock=True)
        require(principal, "submission.submit", unit_id=row.unit_id)
        ensure_draft(row)
        _if_match(if_match, row)
        _check_values(services, row, complete=True)
        before = _state(row)
        row.status = "submitted"
        row.submitted_at = row.updated_at = utcnow()
        row.revision += 1
        session.add(row)
        session.flush()
        record(
            session, principal, "submission.submit", "submission", str(row.id), before, _state(row)
        )
        return submission_json(session, row)


def add_appraisal(
    services: Services, principal: Principal, submission_id: int, data: Any
) -> dict[str, Any]:
    """The council's change of one input value, or its points for a manual node."""
    points = data.get("points") if isinstance(data, dict) else None
    if isinstance(points, int | float) and not isinstance(points, bool):
        data = {**data, "points": str(points)}  # points are stored as exact decimal text
    body = parse_body(AppraisalCreate, data)
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "appraisal.create", lock=True)
        require(principal, "appraisal.create", unit_id=row.unit_id, status=row.status)
        if row.status not in ("submitted", "appraised"):
            raise Conflict(
                f"submission {row.id} is a {row.status}: only submitted ones are appraised",
                [{"path": "$.status", "message": row.status}],
            )
        body = _check_appraisal(services, row, body)
        before = {
            **_state(row),
            "appraisals": [appraisal_json(a) for a in _appraisals(session, row.id)],
        }
        appraisal = Appraisal(**body.model_dump(), submission_id=row.id, by_user=principal.id)
        session.add(appraisal)
        row.status = "appraised"
        row.revision += 1
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        after = {
            **_state(row),
            "appraisals": [appraisal_json(a) for a in _appraisals(session, row.id)],
        }
        record(session, principal, "appraisal.create", "submission", str(row.id), before, after)
        return {"appraisal": appraisal_json(appraisal), "submission": submission_json(session, row)}


def _check_appraisal(services: Services, row: Submission, body: AppraisalCreate) -> AppraisalCreate:
    if not body.reason.strip():
        raise BadRequest("give a reason", [{"path": "$.reason", "message": "required"}])
    program = program_for(services.store, row.methodology, row.ref)
    m = program.methodology
    if body.key in program.inputs:
        if body.points is not None or body.value is None:
            raise Unprocessable(
                f"'{body.key}' is an input: give its appraised `value`",
                [
                    {
                        "path": "$.value" if body.value is None else "$.points",
                        "message": "an input takes a value, not points",
                    }
                ],
            )
        scored = _scored(row, appraisal={body.key: {"value": body.value}})
        result = score(program, scored, services.engine("compiled"))
        bad = [p for p in result.problems if p["path"].startswith(f"$.appraisal.{body.key}")]
        if bad:
            raise Unprocessable(
                "invalid appraised value",
                [{"path": "$.value", "message": p["message"]} for p in bad],
            )
        return body
    leaf = next((leaf for leaf in program.leaves if leaf.id == body.key), None)
    if leaf is None or leaf.kind != "manual":
        candidates = [*program.inputs, *(lf.id for lf in program.leaves if lf.kind == "manual")]
        hint = did_you_mean(body.key, candidates)
        message = (
            f"'{body.key}' is a node scored by rules, not by the council"
            if body.key in m.nodes
            else "neither an input nor a manually scored node"
        )
        raise Unprocessable(
            f"cannot appraise '{body.key}'",
            [{"path": "$.key", "message": message + (f" ({hint})" if hint else "")}],
        )
    if body.value is not None or body.points is None:
        raise Unprocessable(
            f"'{body.key}' is scored by the council: give its `points`",
            [{"path": "$.points", "message": "required for a manual node"}],
        )
    points = _decimal(body.points, "$.points")
    top = leaf.node.max_points
    if not Decimal(0) <= points <= top:
        raise Unprocessable(
            f"{points} is outside [0, {top}]",
            [{"path": "$.points", "message": f"must be between 0 and {top}"}],
        )
    return body.model_copy(update={"points": str(points)})


def _decimal(value: Any, path: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if isinstance(value, bool) or not number.is_finite():
        raise Unprocessable(
            f"{value!r} is not a number", [{"path": path, "message": "expected a number"}]
        )
    return number
