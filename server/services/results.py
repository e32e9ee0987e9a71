"""Results as people read them: which cohorts and periods can be ranked, a cohort's
ranking with its fields named, and one unit's result tree with the rule that fired.

Published results (`server.services.publications`) are read by anyone, as published:
the ranking's snapshot and each unit's stored result, their rules worded from the
methodology at the published commit. The people who may read unpublished rankings see
the ranking computed now on asking for it (`live`), marked as not published, and are
told when it differs from the published one (`RankingView.newer`).

The ranking is `server.services.evaluations.ranking` itself (the same scoring, the same
ranks as `GET /api/rankings`); a unit's tree is its latest final submission of the period
scored the same way (the compiled engine, with the council's appraisals and the survey
scores), so its index is the one the ranking shows. Permissions are the API's:
`ranking.read` for the ranking, `evaluation.run` for a unit (so a unit's submitter sees
their own unit's tree, not the others').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from evaluators import NodeResult, Program, Result, score_many
from methodology import Node
from server.auth import Principal, may, require
from server.db import session_scope
from server.deps import Services
from server.errors import NotFound
from server.models import Cohort, CohortMember, Publication, Submission
from server.services.evaluations import cohort_inputs, ranked_cohort, ranking
from server.services.publications import (
    in_force,
    list_publications,
    publication_json,
    published_result,
    result_of,
)
from server.services.submissions import check_slug, program_for
from server.services.units import methodology_owner
from server.transitions import FINAL

__all__ = [
    "CohortPeriods",
    "FieldColumn",
    "PublishedRanking",
    "RankingView",
    "RuleLine",
    "TreeRow",
    "UnitView",
    "cohort_periods",
    "published_rankings",
    "ranking_view",
    "ranking_with_fields",
    "unit_result",
    "unit_view",
]


@dataclass(frozen=True)
class CohortPeriods:
    id: str
    name: str
    methodology: str
    periods: list[str]  # newest first
    published: frozenset[str] = frozenset()  # the periods with a publication in force


def cohort_periods(services: Services, principal: Principal) -> list[CohortPeriods]:
    """Every cohort with the periods for which a member has a final submission."""
    require(principal, "ranking.read")
    with session_scope(services.db) as session:
        cohorts = list(session.exec(select(Cohort).order_by(col(Cohort.id))).all())
        out = []
        for cohort in cohorts:
            periods = session.exec(
                select(Submission.period)
                .join(CohortMember, col(CohortMember.unit_id) == col(Submission.unit_id))
                .where(CohortMember.cohort_id == cohort.id)
                .where(Submission.methodology == cohort.methodology)
                .where(col(Submission.status).in_(FINAL))
                .distinct()
            ).all()
            published = session.exec(
                select(Publication.period)
                .where(Publication.cohort_id == cohort.id)
                .where(col(Publication.withdrawn_at).is_(None))
            ).all()
            out.append(
                CohortPeriods(
                    cohort.id,
                    cohort.name,
                    cohort.methodology,
                    sorted(periods, reverse=True),
                    frozenset(published),
                )
            )
        return out


@dataclass(frozen=True)
class PublishedRanking:
    """A publication (`publication_json`) with its cohort's name."""

    publication: dict[str, Any]
    cohort_name: str


def published_rankings(services: Services, principal: Principal) -> list[PublishedRanking]:
    """The publications, newest first: those in force for anyone, the withdrawn ones too
    for the roles that read unpublished rankings."""
    found = list_publications(services, principal, None, None)
    with session_scope(services.db) as session:
        names = {c.id: c.name for c in session.exec(select(Cohort)).all()}
    return [PublishedRanking(p, names.get(p["cohort"], p["cohort"])) for p in found]


@dataclass(frozen=True)
class FieldColumn:
    id: str
    code: str
    title: str
    max_points: Decimal


def ranking_with_fields(
    services: Services, principal: Principal, cohort: str, period: str, ref: str | None
) -> tuple[dict[str, Any], list[FieldColumn], str]:
    """`GET /api/rankings`' answer for the cohort's own methodology at ``ref`` (None: its
    head), the fields (the tree's top level, in code order) its `fields` columns refer
    to, and the cohort's name."""
    ranked = ranking(services, principal, cohort=cohort, period=period, methodology=None, ref=ref)
    program = program_for(services.store, ranked["methodology"], ref, path="$.query")
    columns = _fields(program)
    with session_scope(services.db) as session:
        row = session.get(Cohort, cohort)
        name = row.name if row else cohort
    return ranked, columns, name


def _fields(program: Program) -> list[FieldColumn]:
    return [FieldColumn(n.id, n.code, n.title, n.max_points) for n in program.methodology.roots()]


@dataclass
class RankingView:
    """What the ranking page shows: the ranking (the published snapshot when
    ``published``, else computed now), its fields, the publication in force, whether the
    ranking computed now differs from it (``newer``, for those who may read it; None
    when not known), and whether the viewer may publish or withdraw."""

    ranked: dict[str, Any]
    fields: list[FieldColumn]
    cohort_name: str
    publication: dict[str, Any] | None
    published: bool
    newer: bool | None
    may_publish: bool


def _cohort(services: Services, cohort: str) -> Cohort:
    """The cohort, or 404."""
    check_slug(cohort, "$.cohort")
    with session_scope(services.db) as session:
        row = session.get(Cohort, cohort)
        if row is None:
            raise NotFound(f"no cohort '{cohort}'")
        return row


def _in_force(services: Services, cohort: str, period: str) -> Publication | None:
    with session_scope(services.db) as session:
        return in_force(session, cohort, period)


def ranking_view(
    services: Services,
    principal: Principal,
    cohort: str,
    period: str,
    ref: str | None,
    *,
    live: bool = False,
) -> RankingView:
    """The published ranking when one is in force (and neither ``live`` nor a ``ref``
    is asked for), to anyone; else the ranking computed now (`ranking.read`)."""
    row = _cohort(services, cohort)
    publication = _in_force(services, cohort, period)
    pub = _publication(services, publication)
    owner = methodology_owner(services, row.methodology)
    may_publish = may(principal, "ranking.publish", province=owner, cohort=cohort)
    if publication is not None and not live and ref is None:
        require(principal, "ranking.read", published=True)
        newer = None
        if may(principal, "ranking.read"):
            now = ranked_cohort(services, cohort, period, None, publication.ref)
            newer = now["ranking_hash"] != publication.ranking_hash
        program = program_for(services.store, publication.methodology, publication.commit)
        ranked = {**publication.ranking, "published": True, "publication": pub}
        return RankingView(ranked, _fields(program), row.name, pub, True, newer, may_publish)
    ranked, fields, name = ranking_with_fields(services, principal, cohort, period, ref)
    newer = publication is not None and ranked["ranking_hash"] != publication.ranking_hash
    return RankingView(ranked, fields, name, pub, False, newer, may_publish)


def _publication(services: Services, row: Publication | None) -> dict[str, Any] | None:
    if row is None:
        return None
    with session_scope(services.db) as session:
        return publication_json(session, row)


@dataclass(frozen=True)
class RuleLine:
    text: str
    fired: bool


@dataclass
class TreeRow:
    """One node of a unit's result, with what the page needs to explain it."""

    node: NodeResult
    depth: int
    leaf: bool
    rule: list[RuleLine] = field(default_factory=list)
    inputs: list[tuple[str, str, Any]] = field(default_factory=list)  # (id, label, value)


def unit_result(
    services: Services,
    principal: Principal,
    cohort: str,
    period: str,
    unit_id: str,
    ref: str | None,
) -> tuple[Result, list[TreeRow], str]:
    """The unit's latest final submission of ``period`` scored as the cohort's ranking
    scores it: the result, its tree in order with each leaf's rule (the line that fired
    marked) and the input values behind it, and the cohort's name. Scoring a unit is
    `evaluation.run`: the roles that read rankings, and a submitter for their own unit."""
    require(principal, "evaluation.run", unit_id=unit_id)
    check_slug(cohort, "$.cohort")
    with session_scope(services.db) as session:
        row = session.get(Cohort, cohort)
        if row is None:
            raise NotFound(f"no cohort '{cohort}'")
        cohort_name, methodology = row.name, row.methodology
        units, _latest, inputs = cohort_inputs(session, cohort, period, methodology)
    if unit_id not in {u.id for u in units}:
        raise NotFound(f"no unit '{unit_id}' in cohort '{cohort}'")
    chosen = [s for s in inputs if s.unit == unit_id]
    if not chosen:
        raise NotFound(f"unit '{unit_id}' has no submitted submission for {period}")
    program = program_for(services.store, methodology, ref, path="$.query")
    (result,) = score_many(program, chosen, services.engine("compiled"))
    services.metrics.evaluations.labels("compiled").inc()
    return result, result_rows(program, result), cohort_name


def result_rows(program: Program, result: Result) -> list[TreeRow]:
    """The result's tree in order, each leaf with its rule as ``program`` words it (the
    line that fired marked) and the input values behind it."""
    nodes = program.methodology.nodes
    rows: list[TreeRow] = []

    def walk(node: NodeResult, depth: int) -> None:
        spec = nodes.get(node.id)
        leaf = not node.children
        row = TreeRow(node, depth, leaf)
        if leaf and spec is not None:
            row.rule = rule_lines(spec, node.rule)
            row.inputs = [
                (key, spec.inputs[key].label if key in spec.inputs else key, value)
                for key, value in node.values.items()
            ]
        rows.append(row)
        for child in node.children:
            walk(child, depth + 1)

    for top in result.nodes:
        walk(top, 0)
    return rows


@dataclass
class UnitView:
    """What a unit's result page shows: the result and its tree, the cohort's name, the
    publication in force and whether this is its published result (``published``)."""

    result: Result
    rows: list[TreeRow]
    cohort_name: str
    publication: dict[str, Any] | None
    published: bool


def unit_view(
    services: Services,
    principal: Principal,
    cohort: str,
    period: str,
    unit_id: str,
    ref: str | None,
    *,
    live: bool = False,
) -> UnitView:
    """The unit's published result when a publication is in force (and neither ``live``
    nor a ``ref`` is asked for), to anyone; else `unit_result`, scored now."""
    row = _cohort(services, cohort)
    publication = _in_force(services, cohort, period)
    pub = _publication(services, publication)
    found = None
    if publication is not None and not live and ref is None:
        require(principal, "ranking.read", published=True)
        found = published_result(services, cohort, period, unit_id)
    if found is not None:  # (None: withdrawn a moment ago)
        published, evaluation = found
        result = result_of(evaluation["result"])
        program = program_for(services.store, published.methodology, published.commit)
        return UnitView(result, result_rows(program, result), row.name, pub, True)
    result, rows, name = unit_result(services, principal, cohort, period, unit_id, ref)
    return UnitView(result, rows, name, pub, False)


def rule_lines(node: Node, fired: str | None) -> list[RuleLine]:
    """The node's rule in plain Vietnamese (`Scoring.describe`), one line per outcome,
    the one that fired marked: ``tier:2`` is the second tier, ``boolean:false`` the
    "otherwise" line; a kind without outcomes (ratio, formula, …) fired as a whole; an
    N/A rule (``na:…``) fired none of them (the node's reason says why)."""
    if node.scoring is None:
        return []
    lines = node.scoring.describe(node.max_points).splitlines()
    kind, _, outcome = (fired or "").partition(":")
    chosen: int | None = None
    if kind == "tier" and outcome.isdigit():
        chosen = int(outcome) - 1
    elif kind == "boolean" and len(lines) == 2:
        chosen = 0 if outcome == "true" else 1
    elif fired is not None and kind != "na":
        return [RuleLine(line, True) for line in lines]
    return [RuleLine(line, i == chosen) for i, line in enumerate(lines)]
