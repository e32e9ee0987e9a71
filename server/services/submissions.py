"""Submissions for the API: drafts, merges with revisions, submitting, appraisals.

A submission is a draft while its unit edits it; every change increments `revision`,
and a client that sends `If-Match: <revision>` gets 409 when someone changed it since.

Values are checked against the methodology version whenever they change (unknown
inputs and out-of-bounds values are refused; missing inputs are fine in a draft), and
completely on submit. Submitting locks it: only the appraisal council changes it after
that, through appraisals, which never touch the unit's own values.

Every change is a compare-and-swap on `revision` (`UPDATE … WHERE revision = :read`,
one row or the change is retried), which SQLite honours as PostgreSQL does: SQLite
reads outside a transaction, so a lock taken at read time would not serialise anything.
A change that loses the race is done again on the fresh row: with `If-Match` that
gives 409 (the revision moved), without it the merge patch lands on top of the
winner's, so every 200 is a revision of its own and no acknowledged write is lost.

One submission of record per unit, period and methodology (a partial unique index
and a check here): a second one is 409 until an appraiser reopens the record, which
stays the record in rankings until the unit's new submission is submitted and
supersedes it.

Statuses change only by the moves of `server.transitions` (`server.services.cycle`):
each is recorded with who, when and why. A submission under an assessment period
(`server.services.windows`) is made under the period's pinned release and meets its
deadlines; one under no period has none.

Permission checks need the stored row (its unit and status), so these services call
`require` themselves, in the transaction that then writes the change and its audit entry.
"""

from __future__ import annotations

import datetime as dt
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, SQLModel, col, select

from evaluators import (
    IncompleteSubmission,
    Program,
    SubmissionError,
    build_program,
    clean_number,
    clean_problems,
    parse_submission,
    score,
)
from evaluators import Submission as Scored
from methodology import MethodologyError, Spec, Store, open_methodology
from rules import did_you_mean, points_problem
from server.auth import Principal, record, require
from server.db import session_scope
from server.deps import Services
from server.errors import BadRequest, Conflict, NotFound, Unprocessable
from server.labels import STATUS_LABELS
from server.models import (
    DOCUMENT_PARTS,
    MAX_DOCUMENTS,
    PERIOD_LENGTH,
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
    stored_id,
    utcnow,
)
from server.services.cycle import check_move, record_move
from server.services.methodologies import SLUG
from server.services.requirements import (
    check_scope,
    check_submittable,
    refuse_contributor,
    require_read,
    require_write,
)
from server.services.windows import check_appraisal_window, check_self_assessment, period_of
from server.transitions import APPRAISABLE, EDITABLE, OF_RECORD, find_transition

__all__ = [
    "OF_RECORD",
    "add_appraisal",
    "add_appraisals",
    "check_period",
    "claim",
    "create_submission",
    "ensure_draft",
    "finish_appraisal",
    "get_submission",
    "json_object",
    "json_path",
    "load_submission",
    "move_submission",
    "nfc_name",
    "open_version",
    "parse_body",
    "program_for",
    "reopen",
    "scoring_input",
    "submission_json",
    "submit",
    "update_submission",
    "write_submission",
]

M = TypeVar("M", bound=SQLModel)
# The statuses the first appraisal moves to `appraised` (round 1).
_ROUND_ONE = ("submitted", "resubmitted")
T = TypeVar("T")
# Each lost compare-and-swap means another writer committed, so n racing writers need
# at most n attempts; this bound only stops a pathological loop.
MAX_ATTEMPTS = 200
LOCK_TIMEOUTS = 3
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


def nfc_name(value: str) -> str:
    """A person's, unit's or file's name as stored: NFC, so the NFC and NFD spellings of
    "Nguyễn Văn Á" are one name (as methodology titles are)."""
    return unicodedata.normalize("NFC", value).strip()


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


# Building a program walks and hashes the whole tree (~15 ms for par-provincial) and
# nearly every request needs one (the self-assessment form on every pause in typing),
# so programs are kept per version, the least recently used forgotten first. A commit
# fixes a methodology's content, and its parent's commit that of a derived one; the ref
# is in the key because the program's methodology carries it as its label.
_PROGRAMS: OrderedDict[tuple[str, str | None, str | None, str | None], Program] = OrderedDict()
_PROGRAMS_LOCK = threading.Lock()
PROGRAMS_KEPT = 64


def program_for(store: Store, methodology: str, ref: str | None, *, path: str = "$") -> Program:
    m = open_version(store, methodology, ref, path=path)
    if m.commit is None:  # not read from a commit: nothing to key it by
        return build_program(m)
    key = (m.name, m.ref, m.commit, (m.extends or {}).get("commit"))
    with _PROGRAMS_LOCK:
        program = _PROGRAMS.get(key)
        if program is not None:
            _PROGRAMS.move_to_end(key)
            return program
    program = build_program(m)
    with _PROGRAMS_LOCK:
        _PROGRAMS[key] = program
        while len(_PROGRAMS) > PROGRAMS_KEPT:
            _PROGRAMS.popitem(last=False)
    return program


def load_submission(
    session: Session, principal: Principal, submission_id: int, action: str, *, lock: bool = False
) -> Submission:
    """The row, or 404 (anonymous callers get 401 first: nothing is revealed to them).

    With ``lock`` the row is read `FOR UPDATE` (PostgreSQL), so two concurrent changes
    are serialised and the second sees the first's revision. SQLite ignores it; there
    `claim` is what keeps a change from being written over a newer revision."""
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
        "documents": dict(row.documents),
        "status": row.status,
        "revision": row.revision,
        "created_by": row.created_by,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "submitted_at": _iso(row.submitted_at),
        "late": row.late,
        "supplement": dict(row.supplement),
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
        **{part: getattr(row, part) for part in ("number", "date", "title", "issuer")},
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


def _program(services: Services, row: Submission) -> Program:
    return program_for(services.store, row.methodology, row.ref)


def _version(services: Services, row: Submission) -> Any:
    return _program(services, row).methodology


def _check_documents(services: Services, row: Submission) -> None:
    """422 for documents named for a node the version does not have, or that say nothing
    or something else than a document's parts (every one, with its path)."""
    if not row.documents:
        return
    nodes = program_for(services.store, row.methodology, row.ref).methodology.nodes
    problems: list[dict[str, str]] = []
    for node, documents in row.documents.items():
        path = f"$.documents.{node}"
        if node not in nodes:
            problems.append({"path": path, "message": "no such node in this version"})
            continue
        if not isinstance(documents, list) or len(documents) > MAX_DOCUMENTS:
            problems.append({"path": path, "message": f"a list of at most {MAX_DOCUMENTS}"})
            continue
        for i, document in enumerate(documents):
            where = f"{path}[{i}]"
            if not isinstance(document, dict) or not document:
                problems.append({"path": where, "message": "a document's parts"})
                continue
            for part, text in document.items():
                limit = DOCUMENT_PARTS.get(part)
                if limit is None:
                    problems.append(
                        {"path": f"{where}.{part}", "message": f"one of {sorted(DOCUMENT_PARTS)}"}
                    )
                elif not isinstance(text, str) or not text.strip() or len(text) > limit:
                    problems.append(
                        {"path": f"{where}.{part}", "message": f"text of 1 to {limit} characters"}
                    )
    if problems:
        raise Unprocessable("invalid documents", problems)


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


class _RevisionMoved(Exception):
    """Another writer changed the row between our read and our write."""


def claim(session: Session, row: Submission, *, bump: bool = True) -> None:
    """Compare-and-swap: take the row from the revision we read to the next one (or,
    without ``bump``, just hold it), or raise `_RevisionMoved`. The UPDATE also takes
    the write lock (SQLite) or row lock (PostgreSQL) until the transaction ends, so
    nothing else changes the row before this change commits."""
    expected = row.revision
    new = expected + 1 if bump else expected
    result = session.execute(
        update(Submission)
        .where(col(Submission.id) == row.id, col(Submission.revision) == expected)
        .values(revision=new)
        .execution_options(synchronize_session=False)
    )
    # An UPDATE's result is a CursorResult; sqlmodel's `execute` is typed as a Result.
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _RevisionMoved
    row.revision = new


def write_submission(
    services: Services,
    principal: Principal,
    submission_id: int,
    action: str,
    change: Callable[[Session, Submission], T],
) -> T:
    """Run ``change`` (which calls `claim` before it writes) in a transaction on the
    freshly read row, again on the new row whenever another writer won the race: the
    retry re-checks status, permissions and `If-Match`, so a stale change is refused
    by the same checks as a late one."""
    timeouts = 0
    for _ in range(MAX_ATTEMPTS):
        try:
            with session_scope(services.db) as session:
                row = load_submission(session, principal, submission_id, action, lock=True)
                return change(session, row)
        except _RevisionMoved:
            continue
        except OperationalError as exc:
            # SQLite gave up waiting for the write lock (its busy timeout); nothing was
            # written, so the change is done again, a few times at most.
            timeouts += 1
            if "database is locked" not in str(exc) or timeouts > LOCK_TIMEOUTS:
                raise
    raise Conflict(
        f"submission {submission_id} is changing too often to apply this change; retry",
        [{"path": "$", "message": "concurrent changes"}],
    )


def ensure_draft(row: Submission) -> None:
    """409 unless the unit still edits ``row`` (a draft, or returned for supplement)."""
    if row.status not in EDITABLE:
        raise Conflict(
            f"submission {row.id} is {row.status}: it can no longer be changed",
            [{"path": "$.status", "message": row.status}],
        )


# -- endpoints -----------------------------------------------------------------------


def create_submission(services: Services, principal: Principal, data: Any) -> dict[str, Any]:
    body = parse_body(SubmissionCreate, data)
    require(principal, "submission.create", unit_id=body.unit_id, status="draft")
    check_period(body.period)
    try:
        with session_scope(services.db) as session:
            if session.get(Unit, body.unit_id) is None:
                raise Unprocessable(
                    f"no unit '{body.unit_id}'",
                    [{"path": "$.unit_id", "message": "unknown unit"}],
                )
            _check_no_record(session, body.unit_id, body.period, body.methodology)
            row = Submission(
                **body.model_dump(),
                status="draft",
                created_by=principal.id,
            )
            _pin(services, session, row, given="ref" in body.model_fields_set)
            check_self_assessment(session, row)
            _check_values(services, row)
            _check_documents(services, row)
            session.add(row)
            session.flush()
            created = find_transition(None, "create")
            assert created is not None
            record_move(session, principal, row, created)
            record(
                session,
                principal,
                "submission.create",
                "submission",
                str(row.id),
                None,
                _state(row),
            )
            return submission_json(session, row)
    except IntegrityError:
        # A concurrent create won the unique index; report it as the check above does.
        with session_scope(services.db) as session:
            _check_no_record(session, body.unit_id, body.period, body.methodology)
        raise


def _record_of(session: Session, unit_id: str, period: str, methodology: str) -> Submission | None:
    return session.exec(
        select(Submission).where(
            Submission.unit_id == unit_id,
            Submission.period == period,
            Submission.methodology == methodology,
            col(Submission.status).in_(OF_RECORD),
        )
    ).first()


def _check_no_record(session: Session, unit_id: str, period: str, methodology: str) -> None:
    existing = _record_of(session, unit_id, period, methodology)
    if existing is not None:
        raise Conflict(
            f"đơn vị {unit_id} đã có hồ sơ {existing.id} ({existing.status}) cho kỳ {period} "
            f"theo {methodology}: sửa hồ sơ đó, hoặc đề nghị tổ thẩm định mở lại hồ sơ "
            "để nộp hồ sơ mới",
            [{"path": "$.period", "message": f"submission {existing.id} is the record"}],
            existing=existing.id,
        )


def check_period(period: str, path: str = "$.period") -> None:
    """A period that can be stored and written into files, workbooks and documents:
    not blank, at most `PERIOD_LENGTH` characters, printable (no control characters)."""
    if not period.strip():
        raise BadRequest("missing period", [{"path": path, "message": "required"}])
    if len(period) > PERIOD_LENGTH or not period.isprintable():
        raise Unprocessable(
            "invalid period",
            [
                {
                    "path": path,
                    "message": f'a period such as "2023": printable, at most {PERIOD_LENGTH}',
                }
            ],
        )


def get_submission(services: Services, principal: Principal, submission_id: int) -> dict[str, Any]:
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "submission.read")
        require_read(session, principal, row)
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

    def change(session: Session, row: Submission) -> dict[str, Any]:
        scope = require_write(session, principal, row, "submission.edit")
        ensure_draft(row)
        _if_match(if_match, row)
        check_self_assessment(session, row)
        before = _state(row)
        values = _merge(row.values, body.values)
        facts = _merge(row.facts, body.facts)
        not_applicable = _merge(
            row.not_applicable, {**(body.not_applicable or {}), **dict.fromkeys(removed_na)}
        )
        documents = _merge(row.documents, body.documents)
        ref = body.ref if "ref" in body.model_fields_set else row.ref
        new = dict(values=values, facts=facts, not_applicable=not_applicable, documents=documents)
        check_scope(session, scope, principal, row, _version(services, row), {**new, "ref": ref})
        if (values, facts, not_applicable, documents, ref) == (
            row.values,
            row.facts,
            row.not_applicable,
            row.documents,
            row.ref,
        ):
            return submission_json(session, row)  # nothing changed: no new revision
        if row.status == "returned":
            _check_supplement(services, row, values, facts, not_applicable, documents, ref)
        claim(session, row)
        row.values, row.facts, row.not_applicable, row.ref = values, facts, not_applicable, ref
        row.documents = documents
        if "ref" in body.model_fields_set:
            _pin(services, session, row, given=ref is not None)
        _check_values(services, row)
        _check_documents(services, row)
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        record(
            session, principal, "submission.edit", "submission", str(row.id), before, _state(row)
        )
        return submission_json(session, row)

    return write_submission(services, principal, submission_id, "submission.edit", change)


def _pin(services: Services, session: Session, row: Submission, *, given: bool) -> None:
    """The release the row's assessment period pins: taken when the client names none,
    and 422 when it names another (the same release by another name is fine)."""
    period = period_of(session, row.unit_id, row.period, row.methodology)
    if period is None or period.ref is None:
        return
    if not given or row.ref is None or row.ref == period.ref:
        row.ref = period.ref
        return
    if open_version(services.store, row.methodology, row.ref).commit == period.commit:
        return
    raise Unprocessable(
        f"Kỳ đánh giá {period.period} của nhóm {period.cohort_id} chấm theo phiên bản "
        f"{period.ref} của bộ chỉ số {row.methodology}: không nhận hồ sơ theo phiên bản {row.ref}",
        [{"path": "$.ref", "message": f"the period pins {period.ref}"}],
    )


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in {*before, *after} if before.get(k) != after.get(k))


def _check_supplement(
    services: Services,
    row: Submission,
    values: dict[str, Any],
    facts: dict[str, Any],
    not_applicable: dict[str, Any],
    documents: dict[str, Any],
    ref: str | None,
) -> None:
    """A returned submission changes only on the nodes the council asked to supplement
    (their inputs, claims and documents, and those of the nodes under them); a return
    naming no node opens the whole submission again. 409 lists every other change."""
    asked = set(row.supplement.get("nodes") or ())
    if not asked:
        return
    program = program_for(services.store, row.methodology, row.ref)
    nodes = program.methodology.nodes

    def within(node_id: str | None) -> bool:
        while node_id is not None:
            if node_id in asked:
                return True
            node = nodes.get(node_id)
            node_id = node.parent if node is not None else None
        return False

    inputs = {key for leaf in program.leaves if within(leaf.id) for key in leaf.node.inputs}
    outside = "not one of the nodes to supplement"
    problems = [
        {"path": f"$.values.{k}", "message": outside}
        for k in _changed(row.values, values)
        if k not in inputs
    ]
    for name, before, after in (
        ("not_applicable", row.not_applicable, not_applicable),
        ("documents", row.documents, documents),
    ):
        problems += [
            {"path": f"$.{name}.{k}", "message": outside}
            for k in _changed(before, after)
            if not within(k)
        ]
    problems += [{"path": f"$.facts.{k}", "message": outside} for k in _changed(row.facts, facts)]
    if ref != row.ref:
        problems.append({"path": "$.ref", "message": "the version stays while supplementing"})
    if problems:
        raise Conflict(
            f"Hồ sơ số {row.id} được trả lại để bổ sung {', '.join(sorted(asked))}: "
            "chỉ sửa được các mục đó",
            problems,
        )


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
    """Lock a complete draft (submitted), or a returned one supplemented (resubmitted);
    422 lists every missing or invalid input. Past the deadline it is refused, or
    flagged late by the period's policy. It supersedes the record an appraiser
    reopened for the same unit, period and methodology."""

    def change(session: Session, row: Submission) -> dict[str, Any]:
        refuse_contributor(session, principal, row)
        require(principal, "submission.submit", unit_id=row.unit_id)
        move = check_move(principal, row, "submit")
        _if_match(if_match, row)
        late = check_self_assessment(session, row, submitting=True)
        before = _state(row)
        claim(session, row)
        _check_values(services, row, complete=True)
        check_submittable(session, row, _program(services, row), services.engine("compiled"))
        asked = dict(row.supplement)
        row.status = move.target
        row.late = row.late or late
        row.supplement = {}
        row.submitted_at = row.updated_at = utcnow()
        session.add(row)
        session.flush()
        record_move(
            session,
            principal,
            row,
            move,
            details={
                **({"late": True} if late else {}),
                **({"supplement": asked} if asked else {}),
            },
        )
        record(
            session, principal, "submission.submit", "submission", str(row.id), before, _state(row)
        )
        _supersede(session, principal, row)
        return submission_json(session, row)

    return write_submission(services, principal, submission_id, "submission.submit", change)


def _supersede(session: Session, principal: Principal, new: Submission) -> None:
    reopened = session.exec(
        select(Submission).where(
            Submission.unit_id == new.unit_id,
            Submission.period == new.period,
            Submission.methodology == new.methodology,
            Submission.status == "reopened",
        )
    ).all()
    # The unit's own submit makes this move: its permission was checked on the new row.
    supersede = find_transition("reopened", "supersede")
    assert supersede is not None
    for old in reopened:
        move_submission(
            session,
            principal,
            old,
            "submission.supersede",
            supersede,
            superseded_by=new.id,
        )


def move_submission(
    session: Session,
    principal: Principal,
    row: Submission,
    action: str,
    move: Any,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    supplement: dict[str, Any] | None = None,
    **why: Any,
) -> None:
    """Claim ``row`` and make ``move`` (from `check_move`), recorded in its history with
    ``reason`` and ``details`` and audited as ``action`` with ``why`` beside its new
    state (the reason, the submission that supersedes it); ``supplement``: what the
    row is returned for, or {} to clear it."""
    before = _state(row)
    claim(session, row)
    row.status = move.target
    if supplement is not None:
        row.supplement = supplement
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_move(session, principal, row, move, reason=reason, details={**why, **(details or {})})
    after = {**_state(row), **({"reason": reason} if reason else {}), **why}
    record(session, principal, action, "submission", str(row.id), before, after)


def reopen(
    services: Services, principal: Principal, submission_id: int, data: Any
) -> dict[str, Any]:
    """`{reason}`: the council reopens a unit's submitted or appraised record, so the
    unit may start a new submission for the period. The reopened one stays the record
    in rankings until the new one is submitted and supersedes it."""
    body = json_object(data, ("reason",))
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise BadRequest("give a reason", [{"path": "$.reason", "message": "required"}])

    def change(session: Session, row: Submission) -> dict[str, Any]:
        require(principal, "submission.reopen", unit_id=row.unit_id)
        move = check_move(principal, row, "reopen")
        move_submission(session, principal, row, "submission.reopen", move, reason=nfc_name(reason))
        return submission_json(session, row)

    return write_submission(services, principal, submission_id, "submission.reopen", change)


def add_appraisal(
    services: Services,
    principal: Principal,
    submission_id: int,
    data: Any,
    *,
    objection: int | None = None,
) -> dict[str, Any]:
    """The council's change of one input value, or its points for a manual node. An
    accepted ``objection`` (kiến nghị) is answered after the appraisal window, in the
    objection window of a preliminary publication: the appraisal window does not apply."""
    made = add_appraisals(services, principal, submission_id, [data], objection=objection)
    return {"appraisal": made["appraisals"][0], "submission": made["submission"]}


def add_appraisals(
    services: Services,
    principal: Principal,
    submission_id: int,
    items: list[Any],
    *,
    objection: int | None = None,
) -> dict[str, Any]:
    """Several appraisals of one submission (as `add_appraisal` makes each: every one
    checked, its own revision and audit entry) in one transaction: all or none. The
    submission's JSON is built once, and its appraisals read once, not per item, which
    was most of the time of loading the samples."""
    if not items:  # nothing to check the caller's right to see the submission by
        raise BadRequest("no appraisal given", [{"path": "$", "message": "empty"}])
    bodies = [parse_body(AppraisalCreate, _exact_points(data)) for data in items]

    def change(session: Session, row: Submission) -> dict[str, Any]:
        made = [appraisal_json(a) for a in _appraisals(session, row.id)]
        added = []
        program: Program | None = None
        for i, parsed in enumerate(bodies):
            # As each would be checked on its own: the first appraisal changes the status.
            require(principal, "appraisal.create", unit_id=row.unit_id, status=row.status)
            if row.status not in APPRAISABLE:
                raise Conflict(
                    f"Hồ sơ số {row.id} đang ở trạng thái “{STATUS_LABELS[row.status]}”: "
                    "chỉ thẩm định hồ sơ đã nộp",
                    [{"path": "$.status", "message": row.status}],
                )
            if objection is None and i == 0:  # the period, and so its window, stays
                check_appraisal_window(session, row)
            # Round 1 begins with the first appraisal; round 2 (council) keeps its status.
            move = check_move(principal, row, "appraise") if row.status in _ROUND_ONE else None
            # The record's version, and so its program, stays: resolved once.
            program = program or program_for(services.store, row.methodology, row.ref)
            body = _check_appraisal(program, row, parsed)
            before = {**_state(row), "appraisals": list(made)}
            claim(session, row)
            appraisal = Appraisal(
                **body.model_dump(), submission_id=stored_id(row), by_user=principal.id
            )
            session.add(appraisal)
            if move is not None:
                row.status = move.target
            row.updated_at = utcnow()
            session.add(row)
            session.flush()
            if move is not None:
                record_move(session, principal, row, move, details={"key": body.key})
            made.append(appraisal_json(appraisal))
            added.append(made[-1])
            after = {**_state(row), "appraisals": list(made)}
            record(session, principal, "appraisal.create", "submission", str(row.id), before, after)
        return {"appraisals": added, "submission": submission_json(session, row)}

    return write_submission(services, principal, submission_id, "appraisal.create", change)


def _exact_points(data: Any) -> Any:
    points = data.get("points") if isinstance(data, dict) else None
    if isinstance(points, int | float) and not isinstance(points, bool):
        return {**data, "points": str(points)}  # points are stored as exact decimal text
    return data


def finish_appraisal(
    services: Services, principal: Principal, submission_id: int
) -> dict[str, Any]:
    """The council closes round 1 of a submitted or resubmitted record: it becomes
    `appraised` (as its first appraisal makes it), also when the council changed
    nothing. An appraised record stays as it is; any other status is 409."""

    def change(session: Session, row: Submission) -> dict[str, Any]:
        require(principal, "appraisal.create", unit_id=row.unit_id, status=row.status)
        if row.status == "appraised":
            return submission_json(session, row)
        move = check_move(principal, row, "appraise")
        check_appraisal_window(session, row)
        move_submission(session, principal, row, "appraisal.finish", move)
        return submission_json(session, row)

    return write_submission(services, principal, submission_id, "appraisal.create", change)


def _check_appraisal(program: Program, row: Submission, body: AppraisalCreate) -> AppraisalCreate:
    if not body.reason.strip():
        raise BadRequest("give a reason", [{"path": "$.reason", "message": "required"}])
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
        # Cleaning alone judges the value: scoring the whole record to check one number
        # was most of an appraisal's time.
        scored = _scored(row, appraisal={body.key: {"value": body.value}})
        problems = clean_problems(program, scored)
        bad = [p for p in problems if p["path"].startswith(f"$.appraisal.{body.key}")]
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
    problem = points_problem(points, top)
    if problem is not None:
        raise Unprocessable(
            problem, [{"path": "$.points", "message": f"must be between 0 and {top}"}]
        )
    return body.model_copy(update={"points": str(points)})


def _decimal(value: Any, path: str) -> Decimal:
    number, error = clean_number(value)
    if number is None:
        raise Unprocessable(f"{value!r} is not a number", [{"path": path, "message": error}])
    return number
