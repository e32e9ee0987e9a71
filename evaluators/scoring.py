"""Scoring a submission: clean inputs, let an engine decide each leaf, then turn the
decisions into points, aggregate them and apply the N/A policy.

Everything after the engine's decisions is shared, so the engines can only differ in
which rule they say fired — and the property tests hold them to the same answer.
Points are exact Decimals; leaves are rounded half-up to the methodology's places.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from evaluators._values import clean_value
from evaluators.errors import IncompleteSubmission
from evaluators.program import Case, Decision, Leaf, Program
from evaluators.result import NodeResult, Result
from evaluators.submission import Submission
from methodology import Node
from rules import EvaluationError, Formula, Linear, Ratio, did_you_mean
from rules._interpreter import _CONTEXT
from rules.compile import compile_expression

__all__ = ["Engine", "score", "score_many"]

ZERO = Decimal(0)


class Engine(Protocol):
    name: str

    def decide(self, program: Program, cases: Sequence[Case]) -> list[dict[str, Decision]]: ...


def score(
    program: Program, submission: Submission, engine: Engine, *, strict: bool = False
) -> Result:
    """Score one submission. With ``strict``, missing or invalid inputs raise
    `IncompleteSubmission` listing every one; otherwise they are marked in the result."""
    return score_many(program, [submission], engine, strict=strict)[0]


def score_many(
    program: Program, submissions: Sequence[Submission], engine: Engine, *, strict: bool = False
) -> list[Result]:
    """Score a cohort; the engine gets all cases at once (two per submission)."""
    prepared = [_prepare(program, s) for s in submissions]
    # Without appraisals that change inputs, the self-assessed case is the appraised one:
    # decide it once.
    cases: list[Case] = []
    slots: list[tuple[int, int]] = []
    for p in prepared:
        first = len(cases)
        cases.append(p.self_case)
        if p.self_case != p.appraised_case:
            cases.append(p.appraised_case)
        slots.append((first, len(cases) - 1))
    decisions = engine.decide(program, cases)
    results = []
    for p, (own, final) in zip(prepared, slots, strict=True):
        result = _assemble(program, p, decisions[own], decisions[final], engine.name)
        if strict and result.problems:
            raise IncompleteSubmission(
                f"{p.submission.unit}: the submission is incomplete", result.problems
            )
        results.append(result)
    return results


@dataclass
class _LeafScore:
    points: Decimal | None
    status: str
    rule: str | None
    reason: str | None = None
    bonus: Decimal = ZERO
    penalty: Decimal = ZERO


class _Prepared:
    def __init__(self, submission: Submission) -> None:
        self.submission = submission
        self.problems: list[dict[str, Any]] = []
        self.self_values: dict[str, Any] = {}
        self.appraised_values: dict[str, Any] = {}
        self.facts: dict[str, Any] = {}
        self.claims: set[str] = set()
        self.leaf_problems: dict[
            tuple[str, str], tuple[str, str]
        ] = {}  # (pass, leaf) → (status, reason)
        self.self_case = Case({}, {})
        self.appraised_case = Case({}, {})


def _prepare(program: Program, submission: Submission) -> _Prepared:
    p = _Prepared(submission)
    m = program.methodology
    for input_id, raw in submission.values.items():
        spec = program.inputs.get(input_id)
        if spec is None:
            p.problems.append(
                {
                    "path": f"$.values.{input_id}",
                    "status": "invalid",
                    "message": f"unknown input '{input_id}'"
                    + _hint(did_you_mean(input_id, list(program.inputs))),
                }
            )
            continue
        value, error = clean_value(spec, raw)
        if error:
            p.problems.append(
                {"path": f"$.values.{input_id}", "status": "invalid", "message": error}
            )
            p.self_values[input_id] = _INVALID
        else:
            p.self_values[input_id] = value
    p.appraised_values = dict(p.self_values)
    for key, adjustment in submission.appraisal.items():
        if key in program.inputs and adjustment.value is not None:
            value, error = clean_value(program.inputs[key], adjustment.value)
            if error:
                p.problems.append(
                    {"path": f"$.appraisal.{key}.value", "status": "invalid", "message": error}
                )
                p.appraised_values[key] = _INVALID
            else:
                p.appraised_values[key] = value
        elif key not in m.nodes:
            p.problems.append(
                {
                    "path": f"$.appraisal.{key}",
                    "status": "invalid",
                    "message": f"'{key}' is neither an input nor a node",
                }
            )
    facts_spec = m.manifest.facts if m.manifest else {}
    for fact_id, raw in submission.facts.items():
        spec = facts_spec.get(fact_id)
        if spec is None:
            p.problems.append(
                {
                    "path": f"$.facts.{fact_id}",
                    "status": "invalid",
                    "message": f"unknown fact '{fact_id}'"
                    + _hint(did_you_mean(fact_id, list(facts_spec))),
                }
            )
            continue
        value, error = clean_value(spec, raw)
        if error:
            p.problems.append({"path": f"$.facts.{fact_id}", "status": "invalid", "message": error})
        else:
            p.facts[fact_id] = value
    skip_rules = set()
    for rule in program.na_rules:
        absent = sorted(rule.condition.names - set(p.facts))
        if absent:
            skip_rules.add(rule.id)
            for fact_id in absent:
                problem = {
                    "path": f"$.facts.{fact_id}",
                    "status": "missing",
                    "message": f"missing fact '{fact_id}' ({facts_spec[fact_id].label})"
                    if fact_id in facts_spec
                    else f"missing fact '{fact_id}'",
                }
                if problem not in p.problems:
                    p.problems.append(problem)
    for node_id, _reason in submission.not_applicable.items():
        node = m.nodes.get(node_id)
        if node is None:
            p.problems.append(
                {
                    "path": f"$.not_applicable.{node_id}",
                    "status": "invalid",
                    "message": f"unknown node '{node_id}'"
                    + _hint(did_you_mean(node_id, list(m.nodes))),
                }
            )
        elif not node.applicability.allow_not_applicable:
            p.problems.append(
                {
                    "path": f"$.not_applicable.{node_id}",
                    "status": "invalid",
                    "message": f"{node.code} '{node.title}' does not allow a not-applicable claim",
                }
            )
        else:
            p.claims.add(node_id)
    for pass_name, values in (("self", p.self_values), ("appraised", p.appraised_values)):
        skip = set()
        for leaf in program.leaves:
            status = _leaf_readiness(leaf, values, submission, pass_name)
            if status is not None:
                p.leaf_problems[(pass_name, leaf.id)] = status
                skip.add(leaf.id)
        clean = {k: v for k, v in values.items() if v is not _INVALID}
        case = Case(
            clean, dict(p.facts), frozenset(p.claims), frozenset(skip), frozenset(skip_rules)
        )
        if pass_name == "self":
            p.self_case = case
        else:
            p.appraised_case = case
    return p


_INVALID = object()


def _hint(text: str | None) -> str:
    return f" ({text})" if text else ""


def _leaf_readiness(leaf: Leaf, values: dict[str, Any], submission: Submission, pass_name: str):
    """(status, reason) when the leaf cannot be scored from what was submitted, else None."""
    node = leaf.node
    if leaf.kind == "missing":
        return "invalid", "the node has no scoring rule"
    invalid = [i for i in node.inputs if values.get(i) is _INVALID]
    if invalid:
        return "invalid", "invalid value for " + ", ".join(invalid)
    missing = [
        f"{i} ({spec.label})"
        for i, spec in node.inputs.items()
        if spec.required and i not in values
    ]
    if missing:
        return "missing", "missing " + ", ".join(missing)
    if leaf.kind == "survey" and node.id not in submission.survey:
        return "missing", "no survey result imported"
    if leaf.kind == "manual":
        adjustment = submission.appraisal.get(node.id)
        if adjustment is None or adjustment.points is None:
            return "missing", "no points entered by the appraisal council"
    return None


def _assemble(
    program: Program,
    p: _Prepared,
    self_decisions: dict[str, Decision],
    appraised_decisions: dict[str, Decision],
    engine: str,
) -> Result:
    m = program.methodology
    places = m.manifest.rounding_places if m.manifest else 2
    arith = _arithmetic(program)
    problems = list(p.problems)

    def leaf_result(
        leaf: Leaf, pass_name: str, decisions: dict[str, Decision], values: dict[str, Any]
    ):
        decision = decisions.get(leaf.id)
        if decision is not None and decision.not_applicable:
            return _LeafScore(
                None, "not_applicable", decision.rule, _na_reason(program, p, decision.rule)
            )
        known = p.leaf_problems.get((pass_name, leaf.id))
        if known is not None:
            return _LeafScore(None, known[0], None, known[1])
        assert decision is not None
        if decision.error:
            return _LeafScore(None, "invalid", None, decision.error)
        return _points(leaf, decision, values, p.submission, arith, places)

    env_self = {**p.facts, **p.self_case.values}
    env_appr = {**p.facts, **p.appraised_case.values}
    same = p.self_case == p.appraised_case and self_decisions is appraised_decisions

    def visit(node: Node) -> NodeResult:
        kids = [visit(c) for c in m.children_of(node.id)]
        if not kids:
            leaf = program.leaf(node.id)
            final = leaf_result(leaf, "appraised", appraised_decisions, env_appr)
            own = final if same else leaf_result(leaf, "self", self_decisions, env_self)
            problems.extend(_leaf_problems(node, final, p))
            return NodeResult(
                node.id,
                node.code,
                node.title,
                node.max_points,
                final.points,
                ZERO if final.status == "not_applicable" else node.max_points,
                final.status,
                final.rule,
                values={
                    i: p.appraised_case.values[i]
                    for i in node.inputs
                    if i in p.appraised_case.values
                },
                reason=final.reason,
                bonus=final.bonus,
                penalty=final.penalty,
                self_points=own.points,
                appraisal=_appraisals(node, p.submission),
            )
        return _aggregate(node, kids)

    roots = [visit(n) for n in m.roots()]
    scale = m.manifest.scale if m.manifest else sum((n.max_points for n in m.roots()), ZERO)
    policy = m.manifest.not_applicable_policy if m.manifest else "exclude_and_normalize"
    applicable_max = sum((r.applicable_max for r in roots), ZERO)
    total = _sum([r.points for r in roots if r.status != "not_applicable"])
    self_total = _sum([r.self_points for r in roots if r.status != "not_applicable"])
    return Result(
        unit=p.submission.unit,
        period=p.submission.period,
        methodology=m.name,
        ref=m.ref,
        commit=m.commit,
        engine=engine,
        scale=scale,
        policy=policy,
        total=total,
        applicable_max=applicable_max,
        index=_index(total, applicable_max, scale, policy, places),
        self_total=self_total,
        self_index=_index(self_total, applicable_max, scale, policy, places),
        nodes=roots,
        problems=problems,
        submission_hash=p.submission.content_hash(),
        unit_name=p.submission.unit_name,
    )


def _leaf_problems(node: Node, final: _LeafScore, p: _Prepared) -> list[dict[str, Any]]:
    """Missing inputs one by one, by id and label; other failures once per leaf."""
    if final.status == "missing":
        absent = [
            i for i, spec in node.inputs.items() if spec.required and i not in p.appraised_values
        ]
        if absent:
            return [
                {
                    "path": f"$.values.{i}",
                    "status": "missing",
                    "message": f"missing {node.inputs[i].label} (for {node.code} {node.title})",
                }
                for i in absent
            ]
    if final.status not in ("missing", "invalid"):
        return []
    if final.status == "invalid" and any(
        pr["path"].startswith("$.values.") and pr["path"][9:] in node.inputs for pr in p.problems
    ):
        return []  # the invalid value is already reported at its own path
    return [
        {
            "path": f"$.nodes.{node.id}",
            "status": final.status,
            "message": f"{node.code} {node.title}: {final.reason}",
        }
    ]


def _aggregate(node: Node, kids: list[NodeResult]) -> NodeResult:
    applicable = [k for k in kids if k.status != "not_applicable"]
    if not applicable:
        return NodeResult(
            node.id,
            node.code,
            node.title,
            node.max_points,
            None,
            ZERO,
            "not_applicable",
            reason="every child is not applicable",
            children=kids,
        )
    cap = node.aggregation == "sum_capped"
    applicable_max = sum((k.applicable_max for k in applicable), ZERO)
    points = _sum([k.points for k in applicable])
    self_points = _sum([k.self_points for k in applicable])
    if cap:
        applicable_max = min(applicable_max, node.max_points)
        points = None if points is None else min(points, node.max_points)
        self_points = None if self_points is None else min(self_points, node.max_points)
    bad = [k.status for k in applicable if k.status in ("missing", "invalid")]
    status = ("invalid" if "invalid" in bad else "missing") if bad else "scored"
    return NodeResult(
        node.id,
        node.code,
        node.title,
        node.max_points,
        points,
        applicable_max,
        status,
        self_points=self_points,
        children=kids,
    )


def _sum(values: list[Decimal | None]) -> Decimal | None:
    if any(v is None for v in values):
        return None
    return sum(values, ZERO)  # type: ignore[arg-type]


def _index(
    total: Decimal | None, applicable_max: Decimal, scale: Decimal, policy: str, places: int
):
    if total is None:
        return None
    if policy == "exclude_and_normalize":
        if applicable_max == 0:
            return None
        value = total / applicable_max * scale
    elif policy == "count_as_full":
        value = total + (scale - applicable_max)
    else:
        value = total
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _na_reason(program: Program, p: _Prepared, rule: str) -> str:
    if rule.startswith("na:claim:"):
        node_id = rule.split(":", 2)[2]
        return p.submission.not_applicable.get(node_id) or "không phát sinh"
    rule_id = rule[3:]
    return next((r.reason for r in program.na_rules if r.id == rule_id), rule_id)


def _appraisals(node: Node, submission: Submission) -> list[dict[str, Any]]:
    out = []
    for key in (*node.inputs, node.id):
        adjustment = submission.appraisal.get(key)
        if adjustment is not None:
            before = submission.values.get(key) if key in node.inputs else None
            out.append(
                {
                    "input": key,
                    "from": before,
                    "to": adjustment.value if key in node.inputs else adjustment.points,
                    "reason": adjustment.reason,
                    "by": adjustment.by,
                }
            )
    return out


class _Arithmetic:
    """Closures for the proportional rules, which are computed here for every engine."""

    def __init__(self, program: Program) -> None:
        self.fns: dict[str, dict[str, Callable]] = {}
        for leaf in program.leaves:
            rule = leaf.node.scoring
            fns: dict[str, Callable] = {}
            if isinstance(rule, Ratio):
                fns = {
                    "num": compile_expression(rule.numerator),
                    "den": compile_expression(rule.denominator),
                }
            elif isinstance(rule, Linear):
                fns = {"of": compile_expression(rule.of)}
            elif isinstance(rule, Formula):
                fns = {"value": compile_expression(rule.expression)}
            for name in ("bonus", "penalty"):
                adjustment = getattr(leaf.node, name)
                if adjustment is not None:
                    for i, r in enumerate(adjustment.rules):
                        if r.per is not None:
                            fns[f"{name}:{i}:per"] = compile_expression(r.per)
            self.fns[leaf.id] = fns


_arith_cache: dict[str, _Arithmetic] = {}


def _arithmetic(program: Program) -> _Arithmetic:
    found = _arith_cache.get(program.key)
    if found is None:
        found = _arith_cache[program.key] = _Arithmetic(program)
    return found


def _points(
    leaf: Leaf,
    decision: Decision,
    env: dict[str, Any],
    submission: Submission,
    arith: _Arithmetic,
    places: int,
) -> _LeafScore:
    """The points of a leaf whose rule fired."""
    node, rule, fns = leaf.node, leaf.node.scoring, arith.fns[leaf.id]
    top = node.max_points
    try:
        with decimal.localcontext(_CONTEXT):
            if decision.rule.startswith("tier:"):
                base = rule.tiers[int(decision.rule[5:]) - 1].points
            elif decision.rule == "boolean:true":
                base = top if rule.points is None else rule.points
            elif decision.rule == "boolean:false":
                base = ZERO
            elif isinstance(rule, Ratio):
                num, den = fns["num"](env), fns["den"](env)
                if den == 0:
                    if rule.on_zero == "not_applicable":
                        return _LeafScore(
                            None, "not_applicable", "ratio:zero", "denominator is 0: not applicable"
                        )
                    base = top if rule.on_zero == "full" else ZERO
                    decision = Decision("ratio:zero", decision.adjustments)
                else:
                    base = top * num / den
            elif isinstance(rule, Linear):
                base = _interpolate(rule.thresholds, fns["of"](env))
            elif isinstance(rule, Formula):
                base = fns["value"](env)
            elif leaf.kind == "survey":
                base = submission.survey[node.id]
            elif leaf.kind == "manual":
                base = submission.appraisal[node.id].points
            else:
                return _LeafScore(None, "invalid", decision.rule, f"unknown rule '{decision.rule}'")
            if leaf.kind in ("survey", "manual") and not ZERO <= base <= top:
                return _LeafScore(None, "invalid", decision.rule, f"{base} is outside [0, {top}]")
            bonus = _adjustment(node, "bonus", decision.adjustments, env, fns)
            penalty = _adjustment(node, "penalty", decision.adjustments, env, fns)
            points = min(top, max(ZERO, min(top, max(ZERO, base)) + bonus - penalty))
    except EvaluationError as exc:
        return _LeafScore(None, "invalid", decision.rule, exc.message)
    points = points.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _LeafScore(points, "scored", decision.rule, None, bonus, penalty)


def _interpolate(thresholds, x: Decimal) -> Decimal:
    (x0, y0), (xn, yn) = thresholds[0], thresholds[-1]
    if x <= x0:
        return y0
    if x >= xn:
        return yn
    for (a, pa), (b, pb) in itertools.pairwise(thresholds):
        if a <= x <= b:
            return pa + (pb - pa) * (x - a) / (b - a)
    return yn


def _adjustment(node: Node, name: str, fired: tuple[str, ...], env: dict[str, Any], fns) -> Decimal:
    adjustment = getattr(node, name)
    if adjustment is None:
        return ZERO
    total = ZERO
    for i, r in enumerate(adjustment.rules):
        rule_id = f"{name}:{i}"
        if rule_id in fired:
            per = fns[f"{rule_id}:per"](env) if r.per is not None else Decimal(1)
            total += r.points * per
    return min(total, adjustment.cap)
