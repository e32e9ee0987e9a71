"""Survey imports, evaluations (scored and stored submissions) and cohort rankings.

An evaluation scores what is stored — the unit's values, the council's appraisals and
the survey scores imported for the unit and period — with one engine, and keeps the full
result with its trace. Its `result_hash` depends only on the methodology commit, the
content scored and the engine version, so scoring the same inputs again, on either
engine, gives the same hash.

Rankings and cohort evaluations use each unit's submission of record for the period
made under the methodology, once submitted or appraised (drafts are work in progress);
a record the council reopened stays in until the unit's new one is submitted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from evaluators import (
    DEFAULT_BANDS,
    ENGINE_VERSION,
    ENGINES,
    Program,
    Ranking,
    Result,
    clean_number,
    cohort_scores,
    hash_result,
    rank,
    rank_scores,
    score_many,
)
from evaluators import Submission as Scored
from rules import did_you_mean, points_problem
from server.auth import Principal, record, require
from server.db import session_scope
from server.deps import Services
from server.errors import BadRequest, NotFound, Unprocessable
from server.models import (
    Appraisal,
    Cohort,
    CohortMember,
    Evaluation,
    Publication,
    PublicationResult,
    Submission,
    SurveyImport,
    SurveyScore,
    Unit,
    data_revision,
    stored_id,
)
from server.pool import checkpoint
from server.services.submissions import (
    check_slug,
    json_object,
    program_for,
    scoring_input,
    survey_scores,
)
from server.services.succession import not_ranked_in
from server.transitions import FINAL

__all__ = [
    "ScoredCohort",
    "cohort_inputs",
    "evaluation_body",
    "evaluation_json",
    "get_evaluation",
    "import_survey",
    "rank_results",
    "ranked_cohort",
    "ranking",
    "run_evaluations",
    "scored_cohort",
    "scored_ranking",
]

MAX_SUBMISSIONS = 1000


# -- survey imports ------------------------------------------------------------------


def import_survey(services: Services, principal: Principal, data: Any) -> dict[str, Any]:
    """`{methodology, ref?, period, scores: [{unit_id, node_id, score}]}`: every score is
    checked (a survey-assessed node of the version, a known unit, 0 ≤ score ≤ max)."""
    body = json_object(data, ("methodology", "ref", "period", "scores"))
    methodology = check_slug(body.get("methodology"), "$.methodology")
    period = _text(body.get("period"), "$.period")
    ref = _optional_text(body.get("ref"), "$.ref")
    scores = body.get("scores")
    if not isinstance(scores, list) or not scores:
        raise BadRequest(
            "`scores` is a non-empty list", [{"path": "$.scores", "message": "required"}]
        )
    require(principal, "survey.import")
    program = program_for(services.store, methodology, ref)
    survey_nodes = {leaf.id: leaf.node for leaf in program.leaves if leaf.kind == "survey"}
    errors: list[dict[str, str]] = []
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[Any, Any]] = set()  # as sent: ids are checked, not assumed
    with session_scope(services.db) as session:
        known_units = _existing_units(
            session, {s.get("unit_id") for s in scores if isinstance(s, dict)}
        )
        for i, entry in enumerate(scores):
            path = f"$.scores[{i}]"
            if not isinstance(entry, dict):
                errors.append({"path": path, "message": "expected {unit_id, node_id, score}"})
                continue
            for key in entry.keys() - {"unit_id", "node_id", "score"}:
                errors.append({"path": f"{path}.{key}", "message": "unknown field"})
            unit_id, node_id = entry.get("unit_id"), entry.get("node_id")
            if unit_id not in known_units:
                errors.append({"path": f"{path}.unit_id", "message": f"unknown unit {unit_id!r}"})
            node = survey_nodes.get(node_id) if isinstance(node_id, str) else None
            if node is None:
                errors.append(
                    {
                        "path": f"{path}.node_id",
                        "message": _node_problem(node_id, program, survey_nodes),
                    }
                )
            value, _ = clean_number(entry.get("score"))
            if value is None:
                errors.append(
                    {
                        "path": f"{path}.score",
                        "message": f"expected a number, got {entry.get('score')!r}",
                    }
                )
            elif node is not None and (problem := points_problem(value, node.max_points)):
                errors.append({"path": f"{path}.score", "message": problem})
            if (unit_id, node_id) in seen:
                errors.append(
                    {"path": path, "message": f"a second score for {unit_id} / {node_id}"}
                )
            seen.add((unit_id, node_id))
            if value is not None:
                rows.append((str(unit_id), str(node_id), str(value)))
        if errors:
            raise Unprocessable("the survey scores are invalid", errors)
        survey = SurveyImport(methodology=methodology, period=period, imported_by=principal.id)
        session.add(survey)
        session.flush()
        for unit_id, node_id, score in rows:
            session.add(
                SurveyScore(
                    import_id=stored_id(survey), unit_id=unit_id, node_id=node_id, score=score
                )
            )
        after = {
            "id": survey.id,
            "methodology": methodology,
            "ref": ref,
            "commit": program.methodology.commit,
            "period": period,
            "imported_by": principal.id,
            "imported_at": survey.imported_at.isoformat(),
            "scores": [{"unit_id": u, "node_id": n, "score": s} for u, n, s in rows],
        }
        record(session, principal, "survey.import", "survey_import", str(survey.id), None, after)
        return after


def _node_problem(node_id: Any, program: Any, survey_nodes: dict[str, Any]) -> str:
    if node_id in program.methodology.nodes:
        return f"'{node_id}' is not assessed by the survey"
    hint = did_you_mean(str(node_id), list(survey_nodes))
    return f"unknown node {node_id!r}" + (f" ({hint})" if hint else "")


def _existing_units(session: Session, ids: Iterable[Any]) -> set[str]:
    wanted = [i for i in ids if isinstance(i, str)]
    if not wanted:
        return set()
    return set(session.exec(select(Unit.id).where(col(Unit.id).in_(wanted))).all())


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 20:
        raise BadRequest(
            f"{path[2:]} is required", [{"path": path, "message": "a non-empty string"}]
        )
    return value


def _optional_text(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise BadRequest(f"invalid {path[2:]}", [{"path": path, "message": "a non-empty string"}])
    return value


# -- evaluations ---------------------------------------------------------------------


def evaluation_json(
    row: Evaluation, unit_id: str | None = None, *, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The evaluation as the API shows it; ``body``: its result (`evaluation_body`),
    left out when None."""
    out: dict[str, Any] = {
        "id": row.id,
        "submission_id": row.submission_id,
        "unit_id": unit_id,
        "methodology": row.methodology,
        "ref": row.ref,
        "commit": row.commit,
        "engine": row.engine,
        "engine_version": row.engine_version,
        "input_hash": row.input_hash,
        "result_hash": row.result_hash,
        "total": row.total,
        "index": row.index,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }
    if body is not None:
        out["result"] = body
    return out


# An evaluation whose result equals one already stored but for these fields (what was
# asked for, not what was scored) keeps no copy of it: see `_kept_result`.
_ASKED = ("engine", "ref")


def evaluation_body(session: Session, row: Evaluation) -> dict[str, Any]:
    """The evaluation's result: its own, or, when it keeps none (`{}`), the result of the
    first evaluation with the same `result_hash` with its own `engine` and `ref`; the
    hash is checked either way."""
    body = row.result
    if not body:
        first = session.exec(
            select(Evaluation)
            .where(Evaluation.result_hash == row.result_hash)
            .order_by(col(Evaluation.id))
            .limit(1)
        ).one()
        body = {**first.result, **{name: getattr(row, name) for name in _ASKED}}
    if body.get("result_hash") != row.result_hash:
        raise RuntimeError(
            f"evaluation {row.id}: the stored result's hash {body.get('result_hash')!r} is not"
            f" the evaluation's {row.result_hash!r}"
        )
    return body


def _kept_result(
    session: Session, kept: dict[str, dict[str, Any]], row: Evaluation, body: dict[str, Any]
) -> dict[str, Any]:
    """What ``row`` stores of ``body``: nothing (`{}`) when the first evaluation with the
    same hash holds the same result but for `_ASKED` (scoring the same inputs again, or
    on the other engine), else all of it. ``kept``: those first results, by hash."""
    first = kept.get(row.result_hash)
    if first is None:
        found = session.exec(
            select(Evaluation)
            .where(Evaluation.result_hash == row.result_hash)
            .order_by(col(Evaluation.id))
            .limit(1)
        ).first()
        if found is None:
            kept[row.result_hash] = body
            return body
        first = kept[row.result_hash] = found.result
    same = {**first, **{name: body.get(name) for name in _ASKED}} == body
    return {} if same else body


def run_evaluations(services: Services, principal: Principal, data: Any) -> list[dict[str, Any]]:
    """`{submissions: [ids]} | {cohort: {id, period}}`, with `methodology`, `ref`, `engine`.

    Without `methodology`, a submission is scored by the version it names."""
    body = json_object(data, ("submissions", "cohort", "methodology", "ref", "engine"))
    if ("submissions" in body) == ("cohort" in body):
        raise BadRequest(
            "give either `submissions` or `cohort`",
            [{"path": "$", "message": "exactly one of submissions, cohort"}],
        )
    methodology = body.get("methodology")
    if methodology is not None:
        check_slug(methodology, "$.methodology")
    ref = _optional_text(body.get("ref"), "$.ref")
    engine_name = body.get("engine") or services.settings.default_engine
    if engine_name not in ENGINES:
        raise Unprocessable(
            f"unknown engine {engine_name!r}",
            [{"path": "$.engine", "message": f"one of {', '.join(ENGINES)}"}],
        )
    if principal.anonymous:
        require(principal, "evaluation.run")
    with session_scope(services.db) as session:
        if "submissions" in body:
            rows = _submissions_by_id(session, principal, body["submissions"])
        else:
            rows, methodology = _cohort_submissions(session, principal, body["cohort"], methodology)
        # (methodology, ref) → the rows scored by that version
        groups: dict[tuple[str, str | None], list[Submission]] = {}
        for row in rows:
            slug = methodology or row.methodology
            version = ref if (methodology or "ref" in body) else row.ref
            groups.setdefault((slug, version), []).append(row)
        inputs = {
            key: [scoring_input(session, row, methodology=key[0]) for row in group]
            for key, group in groups.items()
        }
    engine = services.engine(engine_name)
    scored: list[tuple[Submission, tuple[str, str | None], Result]] = []
    for key, group in groups.items():
        checkpoint()  # between versions: an abandoned request stops here
        program = program_for(services.store, key[0], key[1])
        results = score_many(program, inputs[key], engine)
        services.metrics.evaluations.labels(engine.name).inc(len(results))
        scored.extend((row, key, result) for row, result in zip(group, results, strict=True))
    checkpoint()  # nothing is stored for a client that has gone
    with session_scope(services.db) as session:
        out = []
        kept: dict[str, dict[str, Any]] = {}
        for row, (slug, version), result in scored:
            body = result.to_json()
            evaluation = Evaluation(
                submission_id=stored_id(row),
                methodology=slug,
                ref=version,
                commit=result.commit or "",
                engine=engine.name,
                engine_version=ENGINE_VERSION,
                input_hash=result.submission_hash,
                result_hash=result.result_hash,
                total=_plain(result.total),
                index=_plain(result.index),
                created_by=principal.id,
            )
            evaluation.result = _kept_result(session, kept, evaluation, body)
            session.add(evaluation)
            session.flush()
            summary = evaluation_json(evaluation, row.unit_id)
            record(
                session,
                principal,
                "evaluation.run",
                "evaluation",
                str(evaluation.id),
                None,
                summary,
            )
            out.append(evaluation_json(evaluation, row.unit_id, body=body))
        return out


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _submissions_by_id(session: Session, principal: Principal, ids: Any) -> list[Submission]:
    if not isinstance(ids, list) or not ids or len(ids) > MAX_SUBMISSIONS:
        raise BadRequest(
            "`submissions` is a list of submission ids",
            [{"path": "$.submissions", "message": f"1 to {MAX_SUBMISSIONS} ids"}],
        )
    bad = [
        {"path": f"$.submissions[{i}]", "message": "not a submission id"}
        for i, v in enumerate(ids)
        if isinstance(v, bool) or not isinstance(v, int)
    ]
    if bad:
        raise BadRequest("`submissions` holds ids", bad)
    found = {
        r.id: r for r in session.exec(select(Submission).where(col(Submission.id).in_(ids))).all()
    }
    for row in found.values():  # every permission before any work
        require(principal, "evaluation.run", unit_id=row.unit_id)
    missing = [
        {"path": f"$.submissions[{i}]", "message": f"no submission {v}"}
        for i, v in enumerate(ids)
        if v not in found
    ]
    if missing:
        raise Unprocessable("unknown submissions", missing)
    return [found[i] for i in dict.fromkeys(ids)]


def _cohort_submissions(
    session: Session, principal: Principal, cohort: Any, methodology: str | None
) -> tuple[list[Submission], str]:
    if not isinstance(cohort, dict) or set(cohort) - {"id", "period"}:
        raise BadRequest(
            "`cohort` is {id, period}", [{"path": "$.cohort", "message": "expected {id, period}"}]
        )
    cohort_id = check_slug(cohort.get("id"), "$.cohort.id")
    period = _text(cohort.get("period"), "$.cohort.period")
    row = session.get(Cohort, cohort_id)
    if row is None:
        raise Unprocessable(
            f"no cohort '{cohort_id}'", [{"path": "$.cohort.id", "message": "unknown cohort"}]
        )
    methodology = methodology or row.methodology
    _units, latest = latest_submissions(session, cohort_id, period, methodology)
    for sub in latest.values():
        require(principal, "evaluation.run", unit_id=sub.unit_id)
    if not latest:
        raise Unprocessable(
            f"no submitted {methodology} submissions of cohort {cohort_id} for {period}",
            [{"path": "$.cohort", "message": "nothing to evaluate"}],
        )
    return list(latest.values()), methodology


def latest_submissions(
    session: Session, cohort_id: str, period: str, methodology: str
) -> tuple[list[Unit], dict[str, Submission]]:
    """The cohort's units, and per unit its submitted or appraised record (at most one,
    by `uq_submissions_of_record`), else the record the council reopened."""
    units = list(
        session.exec(
            select(Unit)
            .join(CohortMember, col(CohortMember.unit_id) == col(Unit.id))
            .where(CohortMember.cohort_id == cohort_id)
            .order_by(col(Unit.id))
        ).all()
    )
    rows = session.exec(
        select(Submission)
        .where(col(Submission.unit_id).in_([u.id for u in units]))
        .where(Submission.period == period, Submission.methodology == methodology)
        .where(col(Submission.status).in_((*FINAL, "reopened")))
        .order_by(col(Submission.id))
    ).all()
    latest: dict[str, Submission] = {}
    for r in rows:
        if r.status in FINAL or latest.get(r.unit_id, r).status not in FINAL:
            latest[r.unit_id] = r
    return units, latest


def cohort_inputs(session: Session, cohort_id: str, period: str, methodology: str):
    """The cohort's units, their latest final submissions of the period made under
    ``methodology`` (by unit), and those submissions as scored: values with the
    council's appraisals and the survey scores imported for the unit and period."""
    units, latest = latest_submissions(session, cohort_id, period, methodology)
    names = {u.id: u.name for u in units}
    surveys = survey_scores(session, methodology, period, list(latest))
    inputs = [
        scoring_input(
            session,
            sub,
            methodology=methodology,
            survey=surveys.get(unit_id, {}),
            unit_name=names[unit_id],
        )
        for unit_id, sub in latest.items()
    ]
    return units, latest, inputs


def get_evaluation(services: Services, principal: Principal, evaluation_id: int) -> dict[str, Any]:
    with session_scope(services.db) as session:
        row = session.get(Evaluation, evaluation_id)
        if row is None:
            if principal.anonymous:
                require(principal, "submission.read")
            raise NotFound(f"no evaluation {evaluation_id}")
        submission = session.get(Submission, row.submission_id)
        unit_id = submission.unit_id if submission else None
        if not published_evaluation(session, evaluation_id):
            require(principal, "submission.read", unit_id=unit_id)
        return evaluation_json(row, unit_id, body=evaluation_body(session, row))


def published_evaluation(session: Session, evaluation_id: int) -> bool:
    """Whether the evaluation is a unit's result in a publication in force (anyone may
    read it, see `server.services.publications`)."""
    found = session.exec(
        select(PublicationResult.evaluation_id)
        .join(Publication, col(Publication.id) == col(PublicationResult.publication_id))
        .where(PublicationResult.evaluation_id == evaluation_id)
        .where(col(Publication.withdrawn_at).is_(None))
    ).first()
    return found is not None


# -- rankings ------------------------------------------------------------------------


def ranking(
    services: Services,
    principal: Principal,
    *,
    cohort: str | None,
    period: str | None,
    methodology: str | None,
    ref: str | None,
) -> dict[str, Any]:
    """Score the cohort's latest submissions (compiled engine) and rank them with the
    manifest's `not_ranked` (and units stored with `ranked: false`) and bands."""
    require(principal, "ranking.read")
    return ranked_cohort(services, cohort, period, methodology, ref)


def scored_ranking(
    services: Services,
    principal: Principal,
    *,
    cohort: str | None,
    period: str | None,
    methodology: str | None,
    ref: str | None,
) -> tuple[dict[str, Any], Ranking]:
    """`ranking`'s answer and the `evaluators.Ranking` behind it (its `results` are
    every unit's scored tree, as the Excel and Word exports show them)."""
    require(principal, "ranking.read")
    scored = scored_cohort(services, cohort, period, methodology, ref)
    return scored.answer, scored.ranking


def ranked_cohort(
    services: Services,
    cohort: str | None,
    period: str | None,
    methodology: str | None,
    ref: str | None,
    *,
    path: str = "$.query",
) -> dict[str, Any]:
    """`ranking`'s answer, without a permission check (the caller has made it). The
    answer's `ranking_hash` is the SHA-256 of what the ranking was computed from and what
    it says: the commit, the engine version, each unit's `result_hash` (its submission,
    appraisals and survey scores as scored), the ranks, bands and names; equal hashes,
    equal published numbers. ``path``: where the parameters are (`$.query` for a
    ranking's query, `$` for a body).

    The cohort is scored by the vectorised path (the compiled engine's numbers without
    a result tree per unit), and the answer is kept (`Services.rankings`) under the
    methodology commit, the cohort, the period and the database's data revision, which
    every write to what a ranking reads moves on: another request, in any process
    sharing the database, reuses it until the data change."""
    cohort, period = _cohort_period(cohort, period, path)
    with session_scope(services.db) as session:
        methodology = _cohort_methodology(session, cohort, methodology, path)
        revision = data_revision(session)
    program = program_for(services.store, methodology, ref, path=path)
    key = (cohort, period, methodology, program.methodology.commit, revision)
    found = services.rankings.get(key)
    if found is None:
        checkpoint()
        with session_scope(services.db) as session:
            units, latest, inputs = cohort_inputs(session, cohort, period, methodology)
            whole, reasons = not_ranked_in(session, cohort, period, [u.id for u in units])
        checkpoint()
        scores = cohort_scores(program, inputs)
        services.metrics.evaluations.labels("compiled").inc(len(scores))
        commit = program.methodology.commit
        hashes = {s.unit: hash_result(commit, s.content_hash()) for s in inputs}
        unranked = frozenset(u.id for u in units if not u.ranked)
        without = [u.id for u in units if u.id not in latest]
        ranked = rank_scores(scores, **_rank_options(program, unranked, reasons))
        body, digest = _ranking_body(program, ranked, hashes, without, whole)
        found = _answer(cohort, period, methodology, None, program, body, latest, without, digest)
        services.rankings.put(key, found)
    return {**found, "ref": ref}


def _cohort_period(cohort: str | None, period: str | None, path: str) -> tuple[str, str]:
    errors = [
        {"path": f"{path}.{name}", "message": "required"}
        for name, value in (("cohort", cohort), ("period", period))
        if not value
    ]
    if errors:
        raise BadRequest("give the cohort and the period", errors)
    return check_slug(cohort, f"{path}.cohort"), str(period)


def _cohort_methodology(session: Session, cohort: str, methodology: str | None, path: str) -> str:
    row = session.get(Cohort, cohort)
    if row is None:
        raise NotFound(f"no cohort '{cohort}'")
    return check_slug(methodology or row.methodology, f"{path}.methodology")


def _answer(
    cohort: str,
    period: str,
    methodology: str,
    ref: str | None,
    program: Program,
    body: dict[str, Any],
    latest: Mapping[str, Submission],
    without: list[str],
    digest: str,
) -> dict[str, Any]:
    return {
        "cohort": cohort,
        "period": period,
        "methodology": methodology,
        "ref": ref,
        "commit": program.methodology.commit,
        "engine": "compiled",
        **body,
        "submissions": {unit_id: sub.id for unit_id, sub in latest.items()},
        "without_submission": without,
        "ranking_hash": digest,
    }


@dataclass(frozen=True)
class ScoredCohort:
    """A cohort ranked now, with what it was scored from: each unit's scored submission
    (`inputs`), its stored row (`submissions`), the appraisal rows the row held
    (`appraisals`, by unit) and the units not ranked (`unranked`)."""

    answer: dict[str, Any]
    ranking: Ranking
    inputs: list[Scored]
    submissions: dict[str, Submission]
    appraisals: dict[str, list[int]]
    unranked: frozenset[str]


def scored_cohort(
    services: Services,
    cohort: str | None,
    period: str | None,
    methodology: str | None,
    ref: str | None,
    *,
    path: str = "$.query",
) -> ScoredCohort:
    """`ranked_cohort`'s answer with what it scored, every unit's result tree included
    (see `ScoredCohort`): for publishing and exports, never kept."""
    cohort, period = _cohort_period(cohort, period, path)
    with session_scope(services.db) as session:
        methodology = _cohort_methodology(session, cohort, methodology, path)
        units, latest, inputs = cohort_inputs(session, cohort, period, methodology)
        held: dict[str, list[int]] = {unit: [] for unit in latest}
        owner = {sub.id: unit for unit, sub in latest.items()}
        for appraisal in session.exec(
            select(Appraisal)
            .where(col(Appraisal.submission_id).in_(list(owner)))
            .order_by(col(Appraisal.id))
        ).all():
            held[owner[appraisal.submission_id]].append(stored_id(appraisal))
        whole, reasons = not_ranked_in(session, cohort, period, [u.id for u in units])
    program = program_for(services.store, methodology, ref, path=path)
    results = score_many(program, inputs, services.engine("compiled")) if inputs else []
    services.metrics.evaluations.labels("compiled").inc(len(results))
    unranked = frozenset(u.id for u in units if not u.ranked)
    without = [u.id for u in units if u.id not in latest]
    body, ranked, digest = rank_results(
        program, results, unranked=unranked, without=without, reasons=reasons, whole=whole
    )
    answer = _answer(cohort, period, methodology, ref, program, body, latest, without, digest)
    return ScoredCohort(answer, ranked, inputs, latest, held, unranked)


def rank_results(
    program: Program,
    results: list[Result],
    *,
    unranked: Iterable[str],
    without: list[str],
    reasons: Mapping[str, str] | None = None,
    whole: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], Ranking, str]:
    """Rank scored results with the manifest's `not_ranked`, the units stored with
    `ranked: false` (``unranked``) and its bands: the ranking's JSON, the ranking and its
    `ranking_hash` (``without``: the cohort's units without a submission; ``reasons``
    and ``whole``: the units, or the whole cohort, not ranked this period and why, from
    `succession.not_ranked_in`)."""
    ranked = rank(results, **_rank_options(program, frozenset(unranked), reasons))
    hashes = {r.unit: r.result_hash for r in results}
    body, digest = _ranking_body(program, ranked, hashes, without, whole)
    return body, ranked, digest


def _rank_options(
    program: Program, unranked: frozenset[str], reasons: Mapping[str, str] | None
) -> dict[str, Any]:
    manifest = program.methodology.manifest
    group = manifest.ranking.get("group_by_maximum") if manifest else None
    not_ranked = {*(manifest.not_ranked if manifest else ()), *unranked}
    return {
        "not_ranked": sorted(not_ranked),
        "bands": manifest.bands if manifest and manifest.bands else DEFAULT_BANDS,
        "group_by_maximum": Decimal(str(group)) if group else None,
        "reasons": reasons,
    }


def _ranking_body(
    program: Program,
    ranked: Ranking,
    hashes: dict[str, str],
    without: list[str],
    whole: dict[str, Any] | None,
) -> tuple[dict[str, Any], str]:
    body = ranked.to_json()
    if whole is not None:
        body["not_ranked"] = whole
    content = {
        "commit": program.methodology.commit,
        "engine_version": ENGINE_VERSION,
        "results": hashes,
        "ranking": body,
        "without_submission": without,
    }
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()
    return body, digest
