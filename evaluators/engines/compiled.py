"""The compiled engine: every condition compiled once to a closure, then run per case.

It decides exactly what the durable-rules engine decides (the property tests hold them
to identical result trees) and is the one used for batch scoring, audits and
sensitivity runs.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from evaluators.program import Case, Decision, Leaf, Program
from rules import EvaluationError, compile_expression
from rules import ast as rule_ast

__all__ = ["CompiledEngine", "decide_not_applicable"]


class CompiledEngine:
    """Decides leaves with compiled closures; programs are compiled once and kept."""

    name = "compiled"

    def __init__(self) -> None:
        self._compiled: dict[str, _Compiled] = {}

    def decide(self, program: Program, cases: Sequence[Case]) -> list[dict[str, Decision]]:
        compiled = self._compiled.get(program.key)
        if compiled is None:
            compiled = self._compiled[program.key] = _Compiled(program)
        return [compiled.decide(case) for case in cases]

    def close(self) -> None:
        self._compiled.clear()


class _Compiled:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.na = [(rule, compile_expression(rule.condition)) for rule in program.na_rules]
        self.leaves: list[
            tuple[Leaf, list[tuple[str, Callable | None]], list[tuple[str, Callable]]]
        ] = [
            (
                leaf,
                [
                    (rule_id, None if cond is None else compile_expression(cond))
                    for rule_id, cond in leaf.conditions
                ],
                [(rule_id, compile_expression(cond)) for rule_id, cond in leaf.adjustments],
            )
            for leaf in program.leaves
        ]
        # a leaf whose every condition compares a number input with constants is decided
        # without the general closures (and their Decimal context) when its values are
        # clean Decimals; anything else falls back to them
        self.fast = [_ladder(leaf) for leaf in program.leaves]
        self.na_decisions: dict[str, Decision] = {}

    def decide(self, case: Case) -> dict[str, Decision]:
        fired = set()
        for rule, test in self.na:
            if rule.id in case.skip_rules:
                continue
            try:
                if test(case.facts):
                    fired.add(rule.id)
            except EvaluationError:
                continue  # a rule that cannot be evaluated does not apply; its facts were checked
        na = decide_not_applicable(self.program, fired, case.claims)
        out: dict[str, Decision] = {}
        env = {**case.facts, **case.values}  # closures only read it
        skip = case.skip
        na_decisions = self.na_decisions
        for (leaf, conditions, adjustments), fast in zip(self.leaves, self.fast, strict=True):
            leaf_id = leaf.id
            if leaf_id in na:
                na_rule = na[leaf_id]
                found = na_decisions.get(na_rule)
                if found is None:
                    found = na_decisions[na_rule] = Decision(na_rule)
                out[leaf_id] = found
            elif leaf_id not in skip:
                decided = None if fast is None else fast(env)
                out[leaf_id] = (
                    _decide_leaf(leaf, conditions, adjustments, env) if decided is None else decided
                )
        return out


def decide_not_applicable(
    program: Program, fired: set[str], claims: frozenset[str]
) -> dict[str, str]:
    """Leaf id → the N/A rule that applies to it, in the order every engine uses:
    rules on unit facts (manifest rules, then nodes' own conditions), then claims,
    each from the root down."""
    out: dict[str, str] = {}
    if not fired and not claims:
        return out
    if not fired:  # claims alone: the leaves under each claimed node, the root's first
        under = program.cached("leaves under", _leaves_under)
        for _, node_id in sorted((under[c][0], c) for c in claims if c in under):
            claimed = f"na:claim:{node_id}"
            for leaf_id in under[node_id][1]:
                out.setdefault(leaf_id, claimed)
        return out
    for leaf in program.leaves:
        lineage = leaf.lineage
        for rule in program.na_rules:
            if rule.id in fired and not rule.targets.isdisjoint(lineage):
                out[leaf.id] = f"na:{rule.id}"
                break
        else:
            for node_id in lineage:
                if node_id in claims:
                    out[leaf.id] = f"na:claim:{node_id}"
                    break
    return out


def _leaves_under(program: Program) -> dict[str, tuple[int, list[str]]]:
    """Node id → (its depth, the leaves under it, in the program's order)."""
    out: dict[str, tuple[int, list[str]]] = {}
    for leaf in program.leaves:
        for depth, node_id in enumerate(leaf.lineage):
            out.setdefault(node_id, (depth, []))[1].append(leaf.id)
    return out


def _decide_leaf(
    leaf: Leaf,
    conditions: list[tuple[str, Callable | None]],
    adjustments: list[tuple[str, Callable]],
    env: dict[str, Any],
) -> Decision:
    try:
        rule = leaf.kind
        for rule_id, test in conditions:
            if test is None or test(env):
                rule = rule_id
                break
        else:
            if conditions:
                return Decision("error", error="no tier applies")
        fired = tuple(rule_id for rule_id, test in adjustments if test(env))
    except EvaluationError as exc:
        return Decision("error", error=exc.message)
    return Decision(rule, fired)


# Comparisons of two finite Decimals give the same answer in any Decimal context, and a
# constant on the left is the flipped comparison with it on the right.
_COMPARISONS = {
    "<": (operator.lt, operator.gt),
    "<=": (operator.le, operator.ge),
    ">": (operator.gt, operator.lt),
    ">=": (operator.ge, operator.le),
    "==": (operator.eq, operator.eq),
    "!=": (operator.ne, operator.ne),
}
_Atom = tuple[str, Callable[[Any, Any], bool], Decimal]
_NO_TIER = Decision("error", error="no tier applies")


def _atoms(node: Any) -> list[_Atom] | None:
    """``node`` as the comparisons that must all hold (name, operator, constant), when
    it is a conjunction of comparisons of a name with a number; else None."""
    if isinstance(node, rule_ast.BoolOp) and node.op == "and":
        left, right = _atoms(node.left), _atoms(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, rule_ast.Compare) and node.op in _COMPARISONS:
        ops = _COMPARISONS[node.op]
        if isinstance(node.left, rule_ast.Name) and isinstance(node.right, rule_ast.Number):
            return [(node.left.id, ops[0], node.right.value)]
        if isinstance(node.left, rule_ast.Number) and isinstance(node.right, rule_ast.Name):
            return [(node.right.id, ops[1], node.left.value)]
    return None


def _ladder(leaf: Leaf) -> Callable[[dict[str, Any]], Decision | None] | None:
    """A decider for a leaf whose conditions and bonus and penalty rules are all
    conjunctions of comparisons of number inputs with constants (tier ladders, most
    of all): the same decision as `_decide_leaf` when every name it reads holds a
    Decimal, else None (the caller then asks `_decide_leaf`, which says why not)."""
    tiers: list[tuple[str, list[_Atom] | None]] = []
    for rule_id, condition in leaf.conditions:
        atoms = None if condition is None else _atoms(condition.ast)
        if condition is not None and atoms is None:
            return None
        tiers.append((rule_id, atoms))
    adjustments: list[tuple[str, list[_Atom]]] = []
    for rule_id, condition in leaf.adjustments:
        atoms = _atoms(condition.ast)
        if atoms is None:
            return None
        adjustments.append((rule_id, atoms))
    names = tuple(dict.fromkeys(a[0] for _, atoms in (*tiers, *adjustments) for a in atoms or ()))
    if not tiers and not adjustments:
        return None
    if len(names) == 1 and tiers and not adjustments:
        return _one_input_ladder(names[0], tiers)
    kind = leaf.kind
    made: dict[tuple[str, tuple[str, ...]], Decision] = {}

    def holds(atoms: list[_Atom], env: dict[str, Any]) -> bool:
        return all(op(env[name], constant) for name, op, constant in atoms)

    def decide(env: dict[str, Any]) -> Decision | None:
        for name in names:
            if type(env.get(name)) is not Decimal:
                return None
        rule = kind
        for rule_id, atoms in tiers:
            if atoms is None or holds(atoms, env):
                rule = rule_id
                break
        else:
            if tiers:
                return _NO_TIER
        fired = tuple(rule_id for rule_id, atoms in adjustments if holds(atoms, env))
        key = (rule, fired)
        found = made.get(key)
        if found is None:
            found = made[key] = Decision(rule, fired)
        return found

    return decide


def _one_input_ladder(
    name: str, tiers: list[tuple[str, list[_Atom] | None]]
) -> Callable[[dict[str, Any]], Decision | None]:
    """The common case of `_ladder`: tiers on one input, no bonus or penalty rule; the
    decisions are made once."""
    steps = [
        (Decision(rule_id), () if atoms is None else tuple((op, c) for _, op, c in atoms))
        for rule_id, atoms in tiers
    ]

    def decide(env: dict[str, Any]) -> Decision | None:
        value = env.get(name)
        if type(value) is not Decimal:
            return None
        for decision, tests in steps:
            for op, constant in tests:
                if not op(value, constant):
                    break
            else:
                return decision
        return _NO_TIER

    return decide
