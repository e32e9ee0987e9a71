"""Results as people read them: which cohorts and periods can be ranked, a cohort's
ranking with its fields named, and one unit's result tree with the rule that fired.

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

from evaluators import NodeResult, Result, score_many
from methodology import Node
from server.auth import Principal, require
from server.db import session_scope
from server.deps import Services
from server.errors import NotFound
from server.models import Cohort, CohortMember, Submission
from server.services.evaluations import FINAL, cohort_inputs, ranking
from server.services.submissions import check_slug, program_for

__all__ = [
    "CohortPeriods",
    "FieldColumn",
    "RuleLine",
    "TreeRow",
    "cohort_periods",
    "ranking_with_fields",
    "unit_result",
]


@dataclass(frozen=True)
class CohortPeriods:
    id: str
    name: str
    methodology: str
    periods: list[str]  # newest first


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
            out.append(
                CohortPeriods(
                    cohort.id, cohort.name, cohort.methodology, sorted(periods, reverse=True)
                )
            )
        return out


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
    roots = program.methodology.roots()
    columns = [FieldColumn(n.id, n.code, n.title, n.max_points) for n in roots]
    with session_scope(services.db) as session:
        row = session.get(Cohort, cohort)
        name = row.name if row else cohort
    return ranked, columns, name


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
    return result, rows, cohort_name


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
