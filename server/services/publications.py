"""Publishing a cohort's ranking for a period (công bố kết quả), and withdrawing it.

What is published is frozen. Publishing scores the cohort exactly as `GET /api/rankings`
does (`server.services.evaluations.ranked_cohort`, the compiled engine, the cohort's
methodology at the `ref` given, its head without one) and stores:

- the ranking's answer as a snapshot (`Publication.ranking`), with the methodology
  commit it was scored at and its `ranking_hash` (the commit, the engine version, every
  unit's `result_hash`, the ranks, bands and names);
- every unit's result tree as a stored `Evaluation`, linked by `PublicationResult`.

A later change — a reopened or new submission, an appraisal, new survey scores, a new
commit of the methodology — never changes the published numbers: anyone reads the
snapshot, and the people who may read unpublished rankings are told when the ranking
computed now (at the same `ref`) has another hash than the published one (`newer`).
Publishing those new numbers is a new decision: withdraw the publication (thu hồi, with
a reason) and publish again. Rows are never deleted; at most one publication of a cohort
and period is in force (`uq_publications_in_force`). A publisher may send the
`ranking_hash` of the ranking they looked at: when the ranking has changed since, the
answer is 409 and nothing is published.

A publication has a stage. A preliminary one (kết quả sơ bộ) opens the objection window
until its `objections_close` (inclusive, Vietnam's date): the units file objections
(kiến nghị, `server.services.objections`) per criterion, the appraisers answer them, an
accepted one changing the council's appraisals. A final one (kết quả chính thức) is
scored at its preliminary's commit once the window has closed and every objection is
answered, and closes the cycle of the cohort and period; `difference` shows what the
objections changed. One publication of each stage is in force; readers get the final
one when there is one (`in_force`).

Each publication keeps what every unit's result was scored from (`PublicationInput`:
the scored submission, its hash, the appraisal rows and their hash), so `verify` scores
it again at the stored commit and compares every hash and number with the stored ones.

Who may publish or withdraw: `ranking.publish` in the province owning the cohort's
methodology (None: a national cohort) — admin, ministry editors for national cohorts,
province editors for their own province's. Anyone, signed in or not, reads what is in
force (`ranking.read` with `published=True`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from evaluators import ENGINE_VERSION, EvaluatorError, NodeResult, Result
from evaluators import Submission as Scored
from evaluators import compare_published as compare
from server.auth import Principal, may, record, require
from server.db import session_scope
from server.deps import Services
from server.errors import BadRequest, Conflict, NotFound, Unprocessable
from server.models import (
    PUBLICATION_STAGES,
    AssessmentPeriod,
    Cohort,
    Evaluation,
    Objection,
    Publication,
    PublicationInput,
    PublicationResult,
    stored_id,
)
from server.services.evaluations import (
    ScoredCohort,
    evaluation_body,
    evaluation_json,
    ranked_cohort,
    scored_cohort,
)
from server.services.methodologies import SLUG
from server.services.submissions import check_slug, json_object, nfc_name
from server.services.units import methodology_owner

__all__ = [
    "DOCUMENT_KINDS",
    "appraisal_hash",
    "in_force",
    "in_force_stage",
    "input_json",
    "list_publications",
    "publication_json",
    "publish",
    "published_ranking",
    "published_result",
    "ranking_answer",
    "readable_publication",
    "require_publisher",
    "result_of",
    "today",
    "withdraw",
]

# The kinds of official document a result is published under (labels: server/labels.py).
DOCUMENT_KINDS = ("decision", "official_letter")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> dt.date:
    """Today in Vietnam: an objection window closes at the end of its last day there."""
    return dt.datetime.now(VIETNAM).date()


def publication_json(session: Session, row: Publication) -> dict[str, Any]:
    """The record without its snapshot: who published what, when, under which document."""
    links = session.exec(
        select(PublicationResult).where(PublicationResult.publication_id == row.id)
    ).all()
    return {
        "id": row.id,
        "cohort": row.cohort_id,
        "period": row.period,
        "methodology": row.methodology,
        "ref": row.ref,
        "commit": row.commit,
        "ranking_hash": row.ranking_hash,
        "document_kind": row.document_kind,
        "document_number": row.document_number,
        "document_date": row.document_date.isoformat(),
        "published_by": row.published_by,
        "published_at": row.published_at.isoformat(),
        "in_force": row.withdrawn_at is None,
        "withdrawn_by": row.withdrawn_by,
        "withdrawn_at": row.withdrawn_at.isoformat() if row.withdrawn_at else None,
        "withdrawal_reason": row.withdrawal_reason,
        "evaluations": {link.unit_id: link.evaluation_id for link in links},
        "stage": row.stage,
        "objections_close": row.objections_close.isoformat() if row.objections_close else None,
        "objections_open": row.stage == "preliminary"
        and row.withdrawn_at is None
        and row.objections_close is not None
        and today() <= row.objections_close,
        "preliminary": row.preliminary_id,
    }


def in_force(session: Session, cohort: str, period: str) -> Publication | None:
    """The publication of the cohort and period that readers get: the final one in
    force, else the preliminary one in force, else None."""
    return in_force_stage(session, cohort, period, "final") or in_force_stage(
        session, cohort, period, "preliminary"
    )


def in_force_stage(session: Session, cohort: str, period: str, stage: str) -> Publication | None:
    """The publication of the cohort, period and stage that is in force, if any."""
    return session.exec(
        select(Publication)
        .where(Publication.cohort_id == cohort, Publication.period == period)
        .where(Publication.stage == stage)
        .where(col(Publication.withdrawn_at).is_(None))
    ).first()


def _cohort_owner(services: Services, row: Cohort) -> str | None:
    return methodology_owner(services, row.methodology)


def require_publisher(services: Services, principal: Principal, cohort: str) -> None:
    """`ranking.publish` for the cohort (404 for an unknown one, after a 401)."""
    if principal.anonymous:
        require(principal, "ranking.publish")
    check_slug(cohort, "$.cohort")
    with session_scope(services.db) as session:
        row = session.get(Cohort, cohort)
    if row is None:
        raise NotFound(f"no cohort '{cohort}'")
    require(principal, "ranking.publish", province=_cohort_owner(services, row), cohort=cohort)


def _text(body: dict[str, Any], key: str, limit: int) -> str:
    value = body.get(key)
    text = nfc_name(value) if isinstance(value, str) else ""
    if not text or len(text) > limit:
        raise BadRequest(
            f"`{key}` is required", [{"path": f"$.{key}", "message": f"1 to {limit} characters"}]
        )
    return text


def _date(value: Any, path: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest("invalid date", [{"path": path, "message": "write YYYY-MM-DD"}]) from None


def publish(services: Services, principal: Principal, data: Any) -> dict[str, Any]:
    """`{cohort, period, stage?, objections_close?, ref?, document_kind?, document_number,
    document_date, ranking_hash?}`: rank the cohort now and publish that ranking (see the
    module). `stage` is `preliminary` (the default; `objections_close` today or later,
    by default the period's scheduled `objection_closes`, else required) or `final` (no `ref` nor `objections_close`: it is scored at its
    preliminary's commit)."""
    if principal.anonymous:
        require(principal, "ranking.publish")
    body = json_object(
        data,
        (
            "cohort",
            "period",
            "stage",
            "objections_close",
            "ref",
            "document_kind",
            "document_number",
            "document_date",
            "ranking_hash",
        ),
    )
    cohort = check_slug(body.get("cohort"), "$.cohort")
    period = _text(body, "period", 20)
    number = _text(body, "document_number", 200)
    date = _date(body.get("document_date"), "$.document_date")
    kind = body.get("document_kind") or "decision"
    if kind not in DOCUMENT_KINDS:
        raise BadRequest(
            f"unknown document kind {kind!r}",
            [{"path": "$.document_kind", "message": f"one of {', '.join(DOCUMENT_KINDS)}"}],
        )
    stage = body.get("stage") or "preliminary"
    if stage not in PUBLICATION_STAGES:
        raise BadRequest(
            f"unknown stage {stage!r}",
            [{"path": "$.stage", "message": f"one of {', '.join(PUBLICATION_STAGES)}"}],
        )
    ref = body.get("ref")
    with session_scope(services.db) as session:
        row = session.get(Cohort, cohort)
        if row is None:
            raise Unprocessable(
                f"no cohort '{cohort}'", [{"path": "$.cohort", "message": "unknown cohort"}]
            )
        planned = session.exec(
            select(AssessmentPeriod).where(
                AssessmentPeriod.cohort_id == cohort, AssessmentPeriod.period == period
            )
        ).first()
        scheduled = planned.objection_closes if planned is not None else None
    if stage == "preliminary" and body.get("objections_close") is None and scheduled:
        # The period's schedule names the window's last day (`docs/cycle.md`).
        body["objections_close"] = scheduled.isoformat()
    close = _window(body, stage)
    require(principal, "ranking.publish", province=_cohort_owner(services, row), cohort=cohort)
    preliminary = None
    if stage == "final":
        if ref is not None:
            raise BadRequest(
                "a final publication is scored at its preliminary's commit",
                [{"path": "$.ref", "message": "không dùng cho kết quả chính thức"}],
            )
        preliminary = _ready_for_final(services, cohort, period)
        ref = preliminary.commit
    scored = scored_cohort(services, cohort, period, None, ref, path="$")
    ranked, results = scored.answer, scored.ranking.results
    if preliminary is not None:
        ranked = {**ranked, "ref": preliminary.ref}
    if not results:
        raise Unprocessable(
            f"cohort {cohort} has no submitted {row.methodology} submission for {period}",
            [{"path": "$.period", "message": "nothing to publish"}],
        )
    expected = body.get("ranking_hash")
    if expected is not None and expected != ranked["ranking_hash"]:
        raise Conflict(
            f"the ranking of {cohort} for {period} changed since it was read; "
            "read it again before publishing",
            [{"path": "$.ranking_hash", "message": f"now {ranked['ranking_hash']}"}],
        )
    document = (kind, number, date)
    try:
        return _store(services, principal, ranked, scored, document, stage, close, preliminary)
    except IntegrityError:  # another publication of the cohort and period won the race
        raise _published_already(cohort, period) from None


def _window(body: dict[str, Any], stage: str) -> dt.date | None:
    """The objection window's last day: required for a preliminary publication, today or
    later; refused for a final one."""
    value = body.get("objections_close")
    if stage == "final":
        if value is not None:
            raise BadRequest(
                "only a preliminary publication has an objection window",
                [{"path": "$.objections_close", "message": "chỉ dùng cho kết quả sơ bộ"}],
            )
        return None
    if value is None:
        raise BadRequest(
            "a preliminary publication needs the last day of its objection window",
            [{"path": "$.objections_close", "message": "required (YYYY-MM-DD)"}],
        )
    close = _date(value, "$.objections_close")
    if close < today():
        raise Unprocessable(
            f"Hạn cuối nhận kiến nghị {close:%d/%m/%Y} đã qua.",
            [{"path": "$.objections_close", "message": "hôm nay hoặc muộn hơn"}],
        )
    return close


def _ready_for_final(services: Services, cohort: str, period: str) -> Publication:
    """The preliminary publication a final one follows: in force, its objection window
    closed and every objection to it answered (409 in Vietnamese otherwise)."""
    with session_scope(services.db) as session:
        preliminary = in_force_stage(session, cohort, period, "preliminary")
        if preliminary is None:
            raise Conflict(
                f"Chưa công bố kết quả sơ bộ của nhóm đơn vị '{cohort}' kỳ {period}: "
                "kết quả chính thức chỉ được công bố sau kết quả sơ bộ và thời hạn kiến nghị.",
                [{"path": "$.stage", "message": "chưa có kết quả sơ bộ"}],
            )
        close = preliminary.objections_close
        if close is not None and today() <= close:
            raise Conflict(
                f"Thời hạn kiến nghị về kết quả sơ bộ (lần công bố số {preliminary.id}) "
                f"đến hết ngày {close:%d/%m/%Y} chưa kết thúc; chưa công bố được kết quả "
                "chính thức.",
                [{"path": "$.stage", "message": "thời hạn kiến nghị chưa kết thúc"}],
            )
        unanswered = session.exec(
            select(Objection.id)
            .where(Objection.publication_id == preliminary.id, Objection.status == "open")
            .order_by(col(Objection.id))
        ).all()
        if unanswered:
            listed = ", ".join(str(i) for i in unanswered)
            raise Conflict(
                f"Còn {len(unanswered)} kiến nghị chưa được trả lời (số {listed}); hãy trả lời "
                "mọi kiến nghị trước khi công bố kết quả chính thức.",
                [{"path": "$.stage", "message": f"kiến nghị chưa trả lời: {listed}"}],
            )
        session.expunge(preliminary)
        return preliminary


def _published_already(cohort: str, period: str, existing: int | None = None) -> Conflict:
    return Conflict(
        f"the ranking of {cohort} for {period} is published already; withdraw it first",
        [{"path": "$.period", "message": "published already"}],
        **({"existing": existing} if existing is not None else {}),
    )


def input_json(scored: Scored) -> dict[str, Any]:
    """A scored submission as plain JSON that `evaluators.parse_submission` reads back
    into the same content (`content_hash`)."""
    return json.loads(
        json.dumps(
            {
                "unit": scored.unit,
                "unit_name": scored.unit_name,
                "period": scored.period,
                "methodology": scored.methodology,
                "ref": scored.ref,
                "values": dict(scored.values),
                "not_applicable": dict(scored.not_applicable),
                "facts": dict(scored.facts),
                "appraisal": {
                    key: {
                        **(
                            {"points": str(a.points)}
                            if a.points is not None
                            else {"value": a.value}
                        ),
                        "reason": a.reason,
                        "by": a.by,
                    }
                    for key, a in scored.appraisal.items()
                },
                "survey": {key: str(value) for key, value in scored.survey.items()},
            },
            default=str,
        )
    )


def appraisal_hash(scored: Scored) -> str:
    """SHA-256 of the council's appraisals a submission was scored with (key, value or
    points, reason), in key order."""
    state = {k: [a.value, a.points, a.reason] for k, a in scored.appraisal.items()}
    text = json.dumps(state, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _store(
    services: Services,
    principal: Principal,
    ranked: dict[str, Any],
    scored: ScoredCohort,
    document: tuple[str, str, dt.date],
    stage: str,
    close: dt.date | None,
    preliminary: Publication | None,
) -> dict[str, Any]:
    cohort, period = ranked["cohort"], str(ranked["period"])
    kind, number, date = document
    with session_scope(services.db) as session:
        current = in_force_stage(session, cohort, period, stage)
        if current is not None:
            raise _published_already(cohort, period, current.id)
        if preliminary is not None:
            still = in_force_stage(session, cohort, period, "preliminary")
            if still is None or still.id != preliminary.id:  # withdrawn meanwhile
                raise Conflict(
                    f"Kết quả sơ bộ số {preliminary.id} vừa bị thu hồi; hãy tải lại.",
                    [{"path": "$.stage", "message": "kết quả sơ bộ đã thay đổi"}],
                )
        row = Publication(
            cohort_id=cohort,
            period=period,
            methodology=ranked["methodology"],
            ref=ranked["ref"],
            commit=ranked["commit"] or "",
            ranking_hash=ranked["ranking_hash"],
            ranking=ranked,
            document_kind=kind,
            document_number=number,
            document_date=date,
            published_by=principal.id,
            stage=stage,
            objections_close=close,
            preliminary_id=preliminary.id if preliminary is not None else None,
        )
        session.add(row)
        session.flush()
        inputs = {s.unit: s for s in scored.inputs}
        for result in scored.ranking.results:
            evaluation = Evaluation(
                submission_id=ranked["submissions"][result.unit],
                methodology=ranked["methodology"],
                ref=ranked["ref"],
                commit=result.commit or "",
                engine="compiled",
                engine_version=ENGINE_VERSION,
                input_hash=result.submission_hash,
                result_hash=result.result_hash,
                total=None if result.total is None else str(result.total),
                index=None if result.index is None else str(result.index),
                result=result.to_json(),
                created_by=principal.id,
            )
            session.add(evaluation)
            session.flush()
            session.add(
                PublicationResult(
                    publication_id=stored_id(row),
                    unit_id=result.unit,
                    evaluation_id=stored_id(evaluation),
                )
            )
            source = inputs[result.unit]
            session.add(
                PublicationInput(
                    publication_id=stored_id(row),
                    unit_id=result.unit,
                    submission_id=ranked["submissions"][result.unit],
                    input_hash=source.content_hash(),
                    appraisal_hash=appraisal_hash(source),
                    appraisals=scored.appraisals.get(result.unit, []),
                    inputs=input_json(source),
                    ranked=result.unit not in scored.unranked,
                )
            )
        session.flush()
        after = publication_json(session, row)
        record(session, principal, "ranking.publish", "publication", str(row.id), None, after)
        return after


def withdraw(
    services: Services, principal: Principal, publication_id: int, data: Any
) -> dict[str, Any]:
    """`{reason}`: the publication is no longer in force (kept, with who, when, why)."""
    if principal.anonymous:
        require(principal, "ranking.publish")
    body = json_object(data, ("reason",))
    reason = _text(body, "reason", 2000)
    with session_scope(services.db) as session:
        row = session.get(Publication, publication_id)
        if row is None:
            raise NotFound(f"no publication {publication_id}")
        cohort = session.get(Cohort, row.cohort_id)
        owner = _cohort_owner(services, cohort) if cohort is not None else None
        require(principal, "ranking.publish", province=owner, cohort=row.cohort_id)
        if row.withdrawn_at is not None:
            raise Conflict(
                f"publication {publication_id} was withdrawn on {row.withdrawn_at.date()}",
                [{"path": "$", "message": "withdrawn already"}],
            )
        final = in_force_stage(session, row.cohort_id, row.period, "final")
        if row.stage == "preliminary" and final is not None:
            raise Conflict(
                f"Kết quả chính thức (lần công bố số {final.id}) đang có hiệu lực; hãy thu "
                f"hồi kết quả chính thức trước khi thu hồi kết quả sơ bộ số {row.id}.",
                [{"path": "$", "message": "kết quả chính thức đang có hiệu lực"}],
            )
        before = publication_json(session, row)
        row.withdrawn_at = dt.datetime.now(dt.UTC)
        row.withdrawn_by = principal.id
        row.withdrawal_reason = reason
        session.add(row)
        session.flush()
        after = publication_json(session, row)
        record(session, principal, "ranking.withdraw", "publication", str(row.id), before, after)
        return after


def readable_publication(
    session: Session, principal: Principal, publication_id: int
) -> Publication:
    """The publication, for anyone while it is in force; a withdrawn one for the roles
    that read unpublished rankings (404 for an unknown one)."""
    row = session.get(Publication, publication_id)
    if row is None:
        raise NotFound(f"no publication {publication_id}")
    require(principal, "ranking.read", published=row.withdrawn_at is None)
    return row


def list_publications(
    services: Services, principal: Principal, cohort: str | None, period: str | None
) -> list[dict[str, Any]]:
    """The publications, newest first: those in force for anyone; the withdrawn ones too
    for the roles that read unpublished rankings (the history)."""
    history = may(principal, "ranking.read")
    with session_scope(services.db) as session:
        query = select(Publication).order_by(col(Publication.id).desc())
        if cohort is not None:
            query = query.where(Publication.cohort_id == cohort)
        if period is not None:
            query = query.where(Publication.period == period)
        if not history:
            query = query.where(col(Publication.withdrawn_at).is_(None))
        return [publication_json(session, row) for row in session.exec(query).all()]


def published_result(
    services: Services, cohort: str, period: str, unit_id: str
) -> tuple[Publication, dict[str, Any]] | None:
    """The publication in force and the unit's stored evaluation in it (None: none)."""
    with session_scope(services.db) as session:
        row = in_force(session, cohort, period)
        if row is None:
            return None
        link = session.get(PublicationResult, (row.id, unit_id))
        if link is None:
            raise NotFound(f"unit '{unit_id}' has no published result for {period}")
        evaluation = session.get(Evaluation, link.evaluation_id)
        assert evaluation is not None  # a foreign key
        return row, evaluation_json(evaluation, unit_id, body=evaluation_body(session, evaluation))


def ranking_answer(
    services: Services,
    principal: Principal,
    *,
    cohort: str | None,
    period: str | None,
    methodology: str | None = None,
    ref: str | None = None,
    published: bool = False,
    compare_published: bool = False,
) -> dict[str, Any]:
    """`GET /api/rankings`: the published snapshot (`published: true`) to anyone who may
    not read unpublished rankings, or to anyone asking for it with ``published``, when a
    publication of the cohort and period is in force (and `methodology` and `ref`, when
    given, are the published ones); else the ranking computed now, for `ranking.read`
    (401 or 403 as for any unpublished ranking). `publication` is the one in force either
    way, so a reader compares its `ranking_hash` with the answer's. With
    ``compare_published``, `published_comparison` sets it beside the results the Ministry
    published for that year (bundled reference data; 404 when there are none)."""
    answer = _ranking_answer(services, principal, cohort, period, methodology, ref, published)
    if compare_published:
        try:
            comparison = compare(answer, period or "", cohort)
        except (EvaluatorError, ValueError):
            raise NotFound(f"no published results for {cohort} in {period}") from None
        answer["published_comparison"] = comparison.to_json()
    return answer


def _ranking_answer(
    services: Services,
    principal: Principal,
    cohort: str | None,
    period: str | None,
    methodology: str | None,
    ref: str | None,
    published: bool,
) -> dict[str, Any]:
    live = may(principal, "ranking.read")
    row: Publication | None = None
    pub: dict[str, Any] | None = None
    if cohort and period and SLUG.match(cohort):
        with session_scope(services.db) as session:
            row = in_force(session, cohort, period)
            pub = publication_json(session, row) if row is not None else None
    wanted = row is not None and methodology in (None, row.methodology) and ref in (None, row.ref)
    if row is not None and wanted and (published or not live):
        require(principal, "ranking.read", published=True)
        return {**row.ranking, "published": True, "publication": pub}
    require(principal, "ranking.read")
    if published:
        raise NotFound(f"the ranking of {cohort} for {period} is not published")
    answer = ranked_cohort(services, cohort, period, methodology, ref)
    return {**answer, "published": False, "publication": pub}


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _node_of(data: dict[str, Any]) -> NodeResult:
    points = _number(data.get("points"))
    return NodeResult(
        id=data["id"],
        code=data.get("code") or "",
        title=data.get("title") or "",
        max_points=_number(data.get("max_points")) or Decimal(0),
        points=points,
        applicable_max=_number(data.get("applicable_max")) or Decimal(0),
        status=data.get("status") or "scored",
        rule=data.get("rule"),
        values=dict(data.get("values") or {}),
        reason=data.get("reason"),
        bonus=_number(data.get("bonus")) or Decimal(0),
        penalty=_number(data.get("penalty")) or Decimal(0),
        # `NodeResult.to_json` writes `self_points` only where it differs from `points`.
        self_points=_number(data["self_points"]) if "self_points" in data else points,
        appraisal=list(data.get("appraisal") or []),
        children=[_node_of(child) for child in data.get("children") or []],
    )


def result_of(data: dict[str, Any]) -> Result:
    """A stored result's JSON (`Result.to_json`) read back for showing it: the numbers,
    the tree, the rules that fired and the values behind them, as stored."""
    own = data.get("self_assessed") or {}
    return Result(
        unit=data["unit"],
        period=data["period"],
        methodology=data["methodology"],
        ref=data.get("ref"),
        commit=data.get("commit"),
        engine=data.get("engine") or "compiled",
        scale=Decimal(0),  # not stored; nothing shown reads it
        policy=data.get("policy") or "",
        total=_number(data.get("total")),
        applicable_max=_number(data.get("applicable_max")) or Decimal(0),
        index=_number(data.get("index")),
        self_total=_number(own.get("total")),
        self_index=_number(own.get("index")),
        nodes=[_node_of(node) for node in data.get("nodes") or []],
        problems=list(data.get("problems") or []),
        unit_name=data.get("unit_name"),
    )


def published_ranking(
    services: Services, principal: Principal, publication_id: int
) -> tuple[tuple[Any, ...], bool, dict[str, Any]]:
    """`GET /api/publications/{id}/ranking`: the ranking frozen in the publication (the
    answer `GET /api/rankings` gave while it was in force), its cache key and whether
    anyone may read it. The snapshot never changes; the record beside it changes when
    the publication is withdrawn or its objection window closes, so those are in the key."""
    with session_scope(services.db) as session:
        row = readable_publication(session, principal, publication_id)
        pub = publication_json(session, row)
    key = ("publication", row.id, row.ranking_hash, pub["withdrawn_at"], pub["objections_open"])
    return key, bool(pub["in_force"]), {**row.ranking, "published": True, "publication": pub}
