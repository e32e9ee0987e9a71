"""Scoring a submission: clean inputs, let an engine decide each leaf, then turn the
decisions into points, aggregate them and apply the N/A policy.

Everything after the engine's decisions is shared, so the engines can only differ in
which rule they say fired — and the property tests hold them to the same answer.
Points are exact Decimals; leaves are rounded half-up to the methodology's places.

What does not depend on a submission is worked out once per methodology version
(`_Plan`, kept with the `Program`): a cleaner per input, the tree's shape, the leaves
whose readiness needs more than their inputs, and the points of every tier and boolean
outcome as they are first met. Scoring a submission then mostly looks things up.
"""

from __future__ import annotations

import contextlib
import decimal
import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from evaluators.errors import IncompleteSubmission
from evaluators.program import Case, Decision, Leaf, Program
from evaluators.result import NodeResult, Result
from evaluators.scoring.cleaning import clean_value
from evaluators.submission import Submission
from methodology import Node
from rules import (
    DECIMAL_CONTEXT,
    EXACT,
    EvaluationError,
    Expression,
    InputSpec,
    InputType,
    adjustment_points,
    arithmetic_message,
    compile_expression,
    did_you_mean,
    leaf_points,
)

__all__ = ["Engine", "clean_problems", "score", "score_many"]

ZERO = Decimal(0)
_NA = "not_applicable"
_FAILED = ("missing", "invalid")
CHUNK = 8  # submissions per request when an engine decides chunks while we prepare others


class Engine(Protocol):
    name: str

    def decide(self, program: Program, cases: Sequence[Case]) -> list[dict[str, Decision]]: ...


def score(
    program: Program, submission: Submission, engine: Engine, *, strict: bool = False
) -> Result:
    """Score one submission. With ``strict``, missing or invalid inputs raise
    `IncompleteSubmission` listing every one; otherwise they are marked in the result."""
    return score_many(program, [submission], engine, strict=strict)[0]


def clean_problems(program: Program, submission: Submission) -> list[dict[str, Any]]:
    """The problems cleaning alone finds — unknown inputs, facts and nodes, values that
    are not clean (`evaluators.scoring.cleaning.clean_value`), facts an N/A rule lacks — without
    deciding anything: what checking a draft needs. Each is {path, status, message}."""
    return list(_prepare(program, submission).problems)


def score_many(
    program: Program, submissions: Sequence[Submission], engine: Engine, *, strict: bool = False
) -> list[Result]:
    """Score a cohort; the engine gets one case per submission, two when an appraisal
    changes its inputs. An engine with ``decide_stream`` (the durable one) gets them in
    chunks, and the submissions of one chunk are prepared and assembled while the
    engine's workers decide the others. The garbage collector is left alone: pausing
    it would pause it for every thread of the server."""
    plan = _plan(program)
    results: list[Result] = []
    for prepared, slots, decisions in _decided(plan, submissions, engine):
        plan.collect(prepared, slots, decisions, engine.name, strict, results)
    return results


def _decided(
    plan: _Plan, submissions: Sequence[Submission], engine: Engine
) -> Iterator[tuple[list[_Prepared], list[tuple[int, int]], list[dict[str, Decision]]]]:
    """The submissions prepared, in order, chunk by chunk, with where each one's cases
    are and the engine's decisions. An engine with ``decide_stream`` (the durable one)
    decides the next chunks while the caller uses the decisions of this one."""
    program = plan.program
    stream = getattr(engine, "decide_stream", None)
    if stream is None or len(submissions) <= 1:
        prepared = [plan.prepare(s) for s in submissions]
        cases, slots = _cases(prepared)
        yield prepared, slots, engine.decide(program, cases)
        return
    batches: list[tuple[list[_Prepared], list[tuple[int, int]]] | None] = []

    def chunks() -> Iterator[list[Case]]:
        for start, end in _chunks(len(submissions), getattr(engine, "workers", 1)):
            prepared = [plan.prepare(s) for s in submissions[start:end]]
            cases, slots = _cases(prepared)
            batches.append((prepared, slots))
            yield cases

    with contextlib.closing(stream(program, chunks())) as answers:
        for index, decisions in enumerate(answers):
            batch = batches[index]
            batches[index] = None
            assert batch is not None
            yield *batch, decisions


def _chunks(n: int, workers: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each chunk of ``n`` submissions: 2 for each worker first, so that
    all start at once, then 4, then up to `CHUNK` (fewer when there are few), and smaller
    again towards the end, so that little is left to assemble after the last answer."""
    size = max(1, min(CHUNK, math.ceil(n / (4 * workers))))
    start = k = 0
    while start < n:
        left = n - start
        step = min(size, 2 ** (1 + k // workers), max(min(2, left), left // (2 * workers)))
        yield start, start + step
        start, k = start + step, k + 1


def _cases(prepared: Sequence[_Prepared]) -> tuple[list[Case], list[tuple[int, int]]]:
    """The cases to decide and, per submission, where its self-assessed and appraised
    cases are. Without appraisals that change inputs they are one case, decided once."""
    cases: list[Case] = []
    slots: list[tuple[int, int]] = []
    for p in prepared:
        first = len(cases)
        cases.append(p.self_case)
        if p.appraised_case is not p.self_case and p.appraised_case != p.self_case:
            cases.append(p.appraised_case)
        slots.append((first, len(cases) - 1))
    return cases, slots


@dataclass
class _LeafScore:
    points: Decimal | None
    status: str
    rule: str | None
    reason: str | None = None
    bonus: Decimal = ZERO
    penalty: Decimal = ZERO
    # points in units of 10**-places, when a batch asked for them
    units: int | None = field(default=None, compare=False, repr=False)


class _Prepared:
    """A submission's clean values, facts, claims, problems and cases. Without
    appraisals that change inputs, both passes share one values dict and one case."""

    def __init__(self, submission: Submission) -> None:
        self.submission = submission
        self.problems: list[dict[str, Any]] = []
        self.self_values: dict[str, Any] = {}
        self.appraised_values: dict[str, Any] = self.self_values
        self.facts: dict[str, Any] = {}
        self.claims: set[str] = set()
        # leaf id → (status, reason) of a leaf that cannot be scored, per pass
        self.self_ready: dict[str, tuple[str, str]] = {}
        self.appraised_ready: dict[str, tuple[str, str]] = self.self_ready
        self.self_case = Case({}, {})
        self.appraised_case = self.self_case


def _prepare(program: Program, submission: Submission) -> _Prepared:
    return _plan(program).prepare(submission)


_INVALID = object()


def _unknown(section: str, what: str, key: str, known: list[str]) -> dict[str, Any]:
    """The problem of a key of ``section`` that names no ``what`` (with a suggestion)."""
    hint = did_you_mean(key, known)
    return {
        "path": f"$.{section}.{key}",
        "status": "invalid",
        "message": f"unknown {what} '{key}'" + (f" ({hint})" if hint else ""),
    }


def _leaf_readiness(leaf: Leaf, values: dict[str, Any], submission: Submission):
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
    rule = node.scoring
    if (
        rule is not None
        and rule.source is not None
        and submitted(rule.source, node.id, submission) is None
    ):
        return "missing", rule.missing_source
    return None


def submitted(source: str, node_id: str, submission: Submission) -> Decimal | None:
    """The number a kind's points read from the submission for one criterion
    (`rules.Scoring.source`): an imported survey score or the appraisal's points."""
    if source == "survey":
        return submission.survey.get(node_id)
    adjustment = submission.appraisal.get(node_id)
    return None if adjustment is None else adjustment.points


# -- the plan of a methodology version ---------------------------------------------------


class _LeafPlan:
    __slots__ = ("constant", "id", "inputs", "kind", "leaf", "memo", "node", "one_input", "per")

    def __init__(self, leaf: Leaf) -> None:
        self.leaf = leaf
        self.node = leaf.node
        self.id = leaf.id
        self.kind = leaf.kind
        self.constant = leaf.node.scoring is not None and leaf.node.scoring.constant_points
        inputs = tuple(leaf.node.inputs)
        self.one_input = inputs[0] if len(inputs) == 1 else None
        # a leaf whose readiness is only its inputs being there and clean: its inputs
        rule = leaf.node.scoring
        simple = rule is not None and rule.source is None and leaf.kind != "missing"
        self.inputs = inputs if simple else None
        # bonus and penalty rules whose points are multiplied by a value (`per`)
        self.per = frozenset(
            f"{name}:{i}"
            for name in ("bonus", "penalty")
            if getattr(leaf.node, name) is not None
            for i, r in enumerate(getattr(leaf.node, name).rules)
            if r.per is not None
        )
        # the scores of outcomes that read no value once the rule that fired is known:
        # a kind's constant points by (rule, adjustments) — by rule alone when none
        # fired — and N/A rules on facts by rule
        self.memo: dict[Any, _LeafScore] = {}

    def known(
        self, decision: Decision | None, ready: dict[str, tuple[str, str]]
    ) -> _LeafScore | None:
        """The score of an outcome that reads no value (every leaf's usual case) when
        it has been met before, else None."""
        if (
            decision is None
            or decision.adjustments
            or decision.error is not None
            or (ready and self.id in ready)
        ):
            return None
        return self.memo.get(decision.rule)

    def fixed(self, decision: Decision) -> bool:
        return self.constant and self.per.isdisjoint(decision.adjustments)


class _Shape:
    """A node of the tree as assembly walks it: a leaf's plan or the children."""

    __slots__ = ("children", "leaf", "node")

    def __init__(self, node: Node, leaf: _LeafPlan | None, children: list[_Shape]) -> None:
        self.node = node
        self.leaf = leaf
        self.children = children


def _plan(program: Program) -> _Plan:
    return program.cached("scoring plan", _Plan)


class _Plan:
    def __init__(self, program: Program) -> None:
        m = program.methodology
        self.program = program
        self.methodology = m
        self.places = m.manifest.rounding_places if m.manifest else 2
        self.scale = (
            m.manifest.scale if m.manifest else sum((n.max_points for n in m.roots()), ZERO)
        )
        self.policy = m.manifest.not_applicable_policy if m.manifest else "exclude_and_normalize"
        self.inputs = program.inputs
        self.input_ids = list(program.inputs)
        self.cleaners = {k: _cleaner(spec) for k, spec in program.inputs.items()}
        self.facts_spec = m.manifest.facts if m.manifest else {}
        self.na_names = [(rule.id, rule.condition.names) for rule in program.na_rules]
        self.na_reasons: dict[str, str] = {}
        for rule in program.na_rules:
            self.na_reasons.setdefault(rule.id, rule.reason)
        self.na_scores: dict[str, _LeafScore] = {}
        self.leaves = [_LeafPlan(leaf) for leaf in program.leaves]
        by_id = {lp.id: lp for lp in self.leaves}
        # with every input present and clean, only these can still be unready
        self.special = [
            lp
            for lp in self.leaves
            if lp.node.scoring is None or lp.node.scoring.source is not None
        ]

        def shape(node: Node) -> _Shape:
            children = [shape(c) for c in m.children_of(node.id)]
            return _Shape(node, None if children else by_id[node.id], children)

        self.roots = [shape(node) for node in m.roots()]

    # -- preparing a submission ----------------------------------------------------------

    def prepare(self, submission: Submission) -> _Prepared:
        p = _Prepared(submission)
        m = self.methodology
        problems = p.problems
        cleaners = self.cleaners
        values = p.self_values
        invalid = False
        for input_id, raw in submission.values.items():
            clean = cleaners.get(input_id)
            if clean is None:
                problems.append(_unknown("values", "input", input_id, self.input_ids))
                continue
            value, error = clean(raw)
            if error:
                problems.append(
                    {"path": f"$.values.{input_id}", "status": "invalid", "message": error}
                )
                values[input_id] = _INVALID
                invalid = True
            else:
                values[input_id] = value
        appraised, appraised_invalid = values, invalid
        for key, adjustment in submission.appraisal.items():
            if key in cleaners and adjustment.value is not None:
                if appraised is values:
                    appraised = dict(values)
                value, error = cleaners[key](adjustment.value)
                if error:
                    problems.append(
                        {"path": f"$.appraisal.{key}.value", "status": "invalid", "message": error}
                    )
                    appraised[key] = _INVALID
                    appraised_invalid = True
                else:
                    appraised[key] = value
            elif key not in m.nodes:
                problems.append(
                    {
                        "path": f"$.appraisal.{key}",
                        "status": "invalid",
                        "message": f"'{key}' is neither an input nor a node",
                    }
                )
        p.appraised_values = appraised
        facts_spec = self.facts_spec
        for fact_id, raw in submission.facts.items():
            spec = facts_spec.get(fact_id)
            if spec is None:
                problems.append(_unknown("facts", "fact", fact_id, list(facts_spec)))
                continue
            value, error = clean_value(spec, raw)
            if error:
                problems.append(
                    {"path": f"$.facts.{fact_id}", "status": "invalid", "message": error}
                )
            else:
                p.facts[fact_id] = value
        skip_rules = set()
        if self.na_names:
            known = set(p.facts)
            for rule_id, names in self.na_names:
                absent = sorted(names - known)
                if absent:
                    skip_rules.add(rule_id)
                    for fact_id in absent:
                        problem = {
                            "path": f"$.facts.{fact_id}",
                            "status": "missing",
                            "message": f"missing fact '{fact_id}' ({facts_spec[fact_id].label})"
                            if fact_id in facts_spec
                            else f"missing fact '{fact_id}'",
                        }
                        if problem not in problems:
                            problems.append(problem)
        for node_id, _reason in submission.not_applicable.items():
            node = m.nodes.get(node_id)
            if node is None:
                problems.append(_unknown("not_applicable", "node", node_id, list(m.nodes)))
            elif not node.applicability.allow_not_applicable:
                problems.append(
                    {
                        "path": f"$.not_applicable.{node_id}",
                        "status": "invalid",
                        "message": f"{node.code} '{node.title}' does not allow a not-applicable claim",
                    }
                )
            else:
                p.claims.add(node_id)
        facts = dict(p.facts)
        claims = frozenset(p.claims)
        rules = frozenset(skip_rules)
        p.self_ready, p.self_case = self._case(values, invalid, submission, facts, claims, rules)
        if appraised is values:
            p.appraised_ready, p.appraised_case = p.self_ready, p.self_case
        else:
            p.appraised_ready, p.appraised_case = self._case(
                appraised, appraised_invalid, submission, facts, claims, rules
            )
        return p

    def _case(self, values, invalid, submission, facts, claims, skip_rules):
        """The leaves that cannot be scored from ``values`` (and why), and the case."""
        ready: dict[str, tuple[str, str]] = {}
        # every input present and clean: only a leaf's kind can still stop it
        complete = not invalid and len(values) == len(self.input_ids)
        get = values.get
        for lp in self.special if complete else self.leaves:
            inputs = lp.inputs
            if inputs is not None:  # ready when its inputs are there and clean
                for i in inputs:
                    value = get(i, _INVALID)
                    if value is _INVALID:
                        break
                else:
                    continue
            status = _leaf_readiness(lp.leaf, values, submission)
            if status is not None:
                ready[lp.id] = status
        clean = {k: v for k, v in values.items() if v is not _INVALID} if invalid else values
        return ready, Case(clean, facts, claims, frozenset(ready), skip_rules)

    # -- assembling the results ----------------------------------------------------------

    def collect(self, prepared, slots, decisions, engine, strict, out: list[Result]) -> None:
        for p, (own, final) in zip(prepared, slots, strict=True):
            result = self.assemble(p, decisions[own], decisions[final], engine)
            if strict and result.problems:
                raise IncompleteSubmission(
                    f"{p.submission.unit}: the submission is incomplete", result.problems
                )
            out.append(result)

    def _na(self, rule: str, submission: Submission) -> _LeafScore:
        if rule.startswith("na:claim:"):
            reason = submission.not_applicable.get(rule.split(":", 2)[2]) or "không phát sinh"
            return _LeafScore(None, _NA, rule, reason)
        found = self.na_scores.get(rule)
        if found is None:
            reason = self.na_reasons.get(rule[3:], rule[3:])
            found = self.na_scores[rule] = _LeafScore(None, _NA, rule, reason)
        return found

    def leaf_score(
        self,
        p: _Prepared,
        lp: _LeafPlan,
        decision: Decision | None,
        ready: dict[str, tuple[str, str]],
        appraised: bool,
        envs: dict[bool, dict[str, Any]],
    ) -> _LeafScore:
        """A leaf's score in one pass from the engine's decision (None: not decided) and
        the leaf's readiness; ``envs`` keeps the pass's values for the rules that read
        them (pass a new dict per submission)."""
        found = lp.known(decision, ready)
        if found is not None:
            return found
        submission = p.submission
        if decision is not None and decision.rule.startswith("na:"):
            found = self._na(decision.rule, submission)
            if not decision.rule.startswith("na:claim:") and not decision.adjustments:
                lp.memo[decision.rule] = found
            return found
        known = ready.get(lp.id)
        if known is not None:
            return _LeafScore(None, known[0], None, known[1])
        assert decision is not None
        if decision.error:
            return _LeafScore(None, "invalid", None, decision.error)
        key = (decision.rule, decision.adjustments)
        found = lp.memo.get(key)
        if found is None:
            env = envs.get(appraised)
            if env is None:
                case = p.appraised_case if appraised else p.self_case
                env = envs[appraised] = {**p.facts, **case.values}
            arith = _arithmetic(self.program)
            found = _points(lp.leaf, decision, env, submission, arith, self.places)
            if lp.fixed(decision):
                lp.memo[key] = found
                if not decision.adjustments and decision.error is None:
                    lp.memo[decision.rule] = found
        return found

    def assemble(
        self,
        p: _Prepared,
        self_decisions: dict[str, Decision],
        appraised_decisions: dict[str, Decision],
        engine: str,
    ) -> Result:
        m = self.methodology
        places = self.places
        submission = p.submission
        problems = list(p.problems)
        same = self_decisions is appraised_decisions
        values = p.appraised_case.values
        envs: dict[bool, dict[str, Any]] = {}
        adjusted = bool(submission.appraisal)
        score_leaf = self.leaf_score
        final_get, final_ready = appraised_decisions.get, p.appraised_ready
        own_get, own_ready = self_decisions.get, p.self_ready
        values_get = values.get

        def visit(shape: _Shape) -> NodeResult:
            node = shape.node
            lp = shape.leaf
            if lp is None:
                return _aggregate(node, [visit(c) for c in shape.children])
            leaf_id = lp.id
            decision = final_get(leaf_id)
            # `_LeafPlan.known`, inlined: most leaves of most submissions end here
            final = (
                lp.memo.get(decision.rule)
                if decision is not None
                and not decision.adjustments
                and decision.error is None
                and leaf_id not in final_ready
                else None
            )
            if final is None:
                final = score_leaf(p, lp, decision, final_ready, True, envs)
            if same:
                own = final
            else:
                decision = own_get(lp.id)
                own = lp.known(decision, own_ready) or score_leaf(
                    p, lp, decision, own_ready, False, envs
                )
            status = final.status
            if status in _FAILED:
                problems.extend(_leaf_problems(node, final, p))
            one = lp.one_input
            if one is not None:
                value = values_get(one, _INVALID)
                shown = {} if value is _INVALID else {one: value}
            else:
                shown = {i: values[i] for i in node.inputs if i in values}
            top = node.max_points
            return NodeResult(
                leaf_id,
                node.code,
                node.title,
                top,
                final.points,
                ZERO if status == _NA else top,
                status,
                final.rule,
                shown,
                final.reason,
                final.bonus,
                final.penalty,
                own.points,
                _appraisals(node, submission) if adjusted else _NO_ITEMS,
                _NO_ITEMS,
            )

        roots = [visit(shape) for shape in self.roots]
        scale, policy = self.scale, self.policy
        applicable_max = sum((r.applicable_max for r in roots), ZERO)
        total = _sum([r.points for r in roots if r.status != _NA])
        self_total = _sum([r.self_points for r in roots if r.status != _NA])
        return Result(
            unit=submission.unit,
            period=submission.period,
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
            submission_hash=submission.content_hash(),
            unit_name=submission.unit_name,
        )


# A leaf's children and, without an appraisal, its appraisals: one shared empty list.
# Result trees are read, never grown; a new list per leaf tripled the objects the cyclic
# garbage collector tracks, and the collections it ran then took a third of the time of
# scoring a cohort with explanations.
_NO_ITEMS: list[Any] = []
_KEPT_TYPES = (float, int, str)


def _cleaner(spec: InputSpec) -> Callable[[Any], tuple[Any, str | None]]:
    """`clean_value` for one input. A number's clean value depends only on the raw value
    (and its type), so the clean values of floats, ints and numeric strings are kept:
    cohorts repeat them (ratios with few decimals, small counts)."""
    clean = functools.partial(clean_value, spec)
    if spec.type not in (InputType.NUMBER, InputType.RATIO, InputType.COUNT):
        return clean
    # typed: int 1 and float 1.0 are equal keys but clean to Decimal('1') and ('1.0')
    kept = functools.lru_cache(maxsize=4096, typed=True)(clean)

    def cleaned(raw: Any) -> tuple[Any, str | None]:
        # 0.0 and -0.0 are equal keys with different clean values: not kept
        if type(raw) not in _KEPT_TYPES or raw == 0:
            return clean(raw)
        return kept(raw)

    return cleaned


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
    if final.status not in _FAILED:
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
    applicable_max = ZERO
    points: Decimal | None = ZERO
    self_points: Decimal | None = ZERO
    applicable = missing = invalid = False
    for k in kids:
        status = k.status
        if status == _NA:
            continue
        applicable = True
        # summed in the children's order, as `sum` would
        applicable_max += k.applicable_max
        if points is not None:
            points = None if k.points is None else points + k.points
        if self_points is not None:
            self_points = None if k.self_points is None else self_points + k.self_points
        if status == "invalid":
            invalid = True
        elif status == "missing":
            missing = True
    if not applicable:
        return NodeResult(
            node.id,
            node.code,
            node.title,
            node.max_points,
            None,
            ZERO,
            _NA,
            reason="every child is not applicable",
            children=kids,
        )
    if node.aggregation == "sum_capped":
        applicable_max = min(applicable_max, node.max_points)
        points = None if points is None else min(points, node.max_points)
        self_points = None if self_points is None else min(self_points, node.max_points)
    return NodeResult(
        node.id,
        node.code,
        node.title,
        node.max_points,
        points,
        applicable_max,
        "invalid" if invalid else "missing" if missing else "scored",
        self_points=self_points,
        children=kids,
    )


def _sum(values: list[Decimal | None]) -> Decimal | None:
    total = ZERO
    for v in values:
        if v is None:
            return None
        total += v
    return total


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
    """Closures for what a leaf's points read (its kind's `rules.Scoring.parts` and the
    bonus and penalty rules' ``per``), compiled once per version for every engine."""

    def __init__(self, program: Program) -> None:
        self.parts: dict[str, dict[Expression, Callable[[Any], Any]]] = {}
        self.per: dict[str, dict[str, Callable[[Any], Any]]] = {}
        for leaf in program.leaves:
            rule = leaf.node.scoring
            parts = () if rule is None else rule.parts()
            self.parts[leaf.id] = {e: compile_expression(e) for e in parts}
            per: dict[str, Callable[[Any], Any]] = {}
            for name in ("bonus", "penalty"):
                adjustment = getattr(leaf.node, name)
                if adjustment is not None:
                    for i, r in enumerate(adjustment.rules):
                        if r.per is not None:
                            per[f"{name}:{i}"] = compile_expression(r.per)
            self.per[leaf.id] = per


def _arithmetic(program: Program) -> _Arithmetic:
    return program.cached("arithmetic", _Arithmetic)


class _Given:
    """What a kind's exact points read (`rules.Given`)."""

    __slots__ = ("_parts", "source", "values")

    def __init__(
        self,
        values: dict[str, Any],
        source: Decimal | None,
        parts: dict[Expression, Callable[[Any], Any]],
    ) -> None:
        self.values = values
        self.source = source
        self._parts = parts

    def part(self, expression: Expression) -> Any:
        return self._parts[expression](self.values)


def _points(
    leaf: Leaf,
    decision: Decision,
    env: dict[str, Any],
    submission: Submission,
    arith: _Arithmetic,
    places: int,
) -> _LeafScore:
    """The points of a leaf whose rule fired: its kind's base (`rules.Scoring.score`)
    and the points formula (`rules.leaf_points`)."""
    node, rule = leaf.node, leaf.node.scoring
    outcome = decision.rule
    if rule is None:
        return _LeafScore(None, "invalid", outcome, f"unknown rule '{outcome}'")
    top = node.max_points
    try:
        with decimal.localcontext(DECIMAL_CONTEXT):
            source = None if rule.source is None else submitted(rule.source, node.id, submission)
            base = rule.score(outcome, _Given(env, source, arith.parts[leaf.id]), top)
            outcome = base.outcome
            if base.points is None:
                return _LeafScore(None, _NA, outcome, base.reason)
            per = arith.per[leaf.id]
            bonus = _adjustment(node, "bonus", decision.adjustments, env, per)
            penalty = _adjustment(node, "penalty", decision.adjustments, env, per)
            points = leaf_points(base.points, bonus, penalty, top, EXACT)
    except EvaluationError as exc:
        return _LeafScore(None, "invalid", outcome, exc.message)
    except ArithmeticError as exc:  # the kind's own arithmetic, bonus × per
        return _LeafScore(None, "invalid", outcome, arithmetic_message(exc))
    points = points.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _LeafScore(points, "scored", outcome, None, bonus, penalty)


def _adjustment(
    node: Node,
    name: str,
    fired: tuple[str, ...],
    env: dict[str, Any],
    per: dict[str, Callable[[Any], Any]],
) -> Decimal:
    adjustment = getattr(node, name)
    if adjustment is None:
        return ZERO
    terms = (
        (True, r.points * (per[rule_id](env) if r.per is not None else Decimal(1)))
        for i, r in enumerate(adjustment.rules)
        if (rule_id := f"{name}:{i}") in fired  # only a rule that fired is evaluated
    )
    return Decimal(adjustment_points(terms, adjustment.cap, EXACT))
