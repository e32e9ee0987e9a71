"""Scoring a publication again from what it stored, to show that its ranks reproduce.

A publication keeps, per unit, the scored submission (`PublicationInput.inputs`: values,
facts, claims, the council's appraisals, the survey scores) with its hash and the hash
of its appraisals, and the result as published (`Evaluation`); the ranking's snapshot
and `ranking_hash` are on the `Publication`. `verify` reads the inputs back, scores them
at the stored commit on the compiled engine, ranks them as the cohort was ranked and
compares every hash and number with the stored ones: a row changed after publishing —
an input, a stored total, a rank in the snapshot — is listed as a difference with its
path. Nothing is written.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from evaluators import SubmissionError, parse_submission, score_many
from server.auth import Principal
from server.db import session_scope
from server.deps import Services
from server.errors import Conflict
from server.models import Evaluation, PublicationInput, PublicationResult
from server.services.evaluations import rank_results
from server.services.publications import appraisal_hash, readable_publication
from server.services.submissions import program_for

__all__ = ["verify"]


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _same_number(stored: Any, now: Any) -> bool:
    if stored is None or now is None:
        return stored is None and now is None
    return Decimal(str(stored)) == Decimal(str(now))


def verify(services: Services, principal: Principal, publication_id: int) -> dict[str, Any]:
    """`GET /api/publications/{id}/verify`: the publication scored again from its stored
    inputs at its stored commit; `reproduced` when every hash and number agrees, else
    `differences` lists each one (`path`, `stored`, `recomputed`)."""
    with session_scope(services.db) as session:
        row = readable_publication(session, principal, publication_id)
        inputs = list(
            session.exec(
                select(PublicationInput)
                .where(PublicationInput.publication_id == publication_id)
                .order_by(col(PublicationInput.unit_id))
            ).all()
        )
        stored: dict[str, Evaluation] = {}
        for link in session.exec(
            select(PublicationResult).where(PublicationResult.publication_id == publication_id)
        ).all():
            evaluation = session.get(Evaluation, link.evaluation_id)
            assert evaluation is not None  # a foreign key
            stored[link.unit_id] = evaluation
        session.expunge_all()
    if not inputs:
        raise Conflict(
            f"Lần công bố số {publication_id} không lưu dữ liệu đầu vào (công bố trước khi "
            "có chức năng tái lập), nên không tính lại được.",
            [{"path": "$", "message": "không có dữ liệu đầu vào đã lưu"}],
        )
    differences: list[dict[str, Any]] = []

    def differ(path: str, was: Any, now: Any) -> None:
        differences.append({"path": path, "stored": was, "recomputed": now})

    scored = []
    for item in inputs:
        base = f"$.units.{item.unit_id}"
        try:
            submission = parse_submission(item.inputs)
        except SubmissionError as exc:
            differ(f"{base}.inputs", "đọc được", exc.message)
            continue
        if submission.content_hash() != item.input_hash:
            differ(f"{base}.input_hash", item.input_hash, submission.content_hash())
        if appraisal_hash(submission) != item.appraisal_hash:
            differ(f"{base}.appraisal_hash", item.appraisal_hash, appraisal_hash(submission))
        scored.append(submission)
    program = program_for(services.store, row.methodology, row.commit)
    if program.methodology.commit != row.commit:
        differ("$.commit", row.commit, program.methodology.commit)
    results = score_many(program, scored, services.engine("compiled")) if scored else []
    units: list[dict[str, Any]] = []
    for result in results:
        base = f"$.units.{result.unit}"
        evaluation = stored.get(result.unit)
        if evaluation is None:
            differ(f"{base}.evaluation", None, result.result_hash)
            continue
        if evaluation.result_hash != result.result_hash:
            differ(f"{base}.result_hash", evaluation.result_hash, result.result_hash)
        for name, was, now in (
            ("total", evaluation.total, result.total),
            ("index", evaluation.index, result.index),
        ):
            if not _same_number(was, now):
                differ(f"{base}.{name}", was, None if now is None else str(now))
        # Scored at the commit itself, the result names the commit where the stored one
        # names the ref it was asked for.
        if _plain({**evaluation.result, "ref": None}) != _plain({**result.to_json(), "ref": None}):
            differ(f"{base}.result", "kết quả đã lưu", "khác kết quả tính lại")
        units.append(
            {
                "unit": result.unit,
                "input_hash": result.submission_hash,
                "result_hash": result.result_hash,
                "total": None if result.total is None else str(result.total),
                "index": None if result.index is None else str(result.index),
            }
        )
    for missing in sorted(set(stored) - {r.unit for r in results}):
        differ(f"$.units.{missing}.inputs", "có kết quả đã công bố", None)
    unranked = {i.unit_id for i in inputs if not i.ranked}
    without = list(row.ranking.get("without_submission") or [])
    # Not ranked this period, and why, as the publication said (a reason recorded since
    # does not change what was published).
    reasons = {
        u["unit"]: u["not_ranked_reason"]
        for u in row.ranking.get("units") or []
        if u.get("not_ranked_reason")
    }
    body, _ranking, digest = rank_results(
        program,
        results,
        unranked=unranked,
        without=without,
        reasons=reasons,
        whole=row.ranking.get("not_ranked"),
    )
    if digest != row.ranking_hash:
        differ("$.ranking_hash", row.ranking_hash, digest)
    published = {u["unit"]: u for u in row.ranking.get("units") or []}
    for line in _plain(body)["units"]:
        was = published.pop(line["unit"], None)
        if was is None:
            differ(f"$.ranking.units.{line['unit']}", None, line)
            continue
        for key in ("rank", "band", "total", "index"):
            if key in line and not _equal(was.get(key), line[key]):
                differ(f"$.ranking.units.{line['unit']}.{key}", was.get(key), line[key])
    for unit_id, was in published.items():
        differ(f"$.ranking.units.{unit_id}", was, None)
    ranks = {u["unit"]: u.get("rank") for u in _plain(body)["units"]}
    for entry in units:
        entry["rank"] = ranks.get(str(entry["unit"]))
    return {
        "publication": publication_id,
        "stage": row.stage,
        "commit": row.commit,
        "ranking_hash": row.ranking_hash,
        "recomputed_hash": digest,
        "reproduced": not differences,
        "units": units,
        "differences": differences,
    }


def _equal(stored: Any, now: Any) -> bool:
    if isinstance(stored, int | float | str) and isinstance(now, int | float | str):
        try:
            return Decimal(str(stored)) == Decimal(str(now))
        except ArithmeticError:
            return stored == now
    return bool(stored == now)
