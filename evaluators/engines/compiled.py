"""The compiled engine: every condition compiled once to a closure, then run per case.

It decides exactly what the durable-rules engine decides (the property tests hold them
to identical result trees) and is the one used for batch scoring, audits and
sensitivity runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from evaluators.program import Case, Decision, Leaf, Program
from rules import EvaluationError, compile_expression

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
        for leaf, conditions, adjustments in self.leaves:
            if leaf.id in na:
                out[leaf.id] = Decision(na[leaf.id])
            elif leaf.id not in case.skip:
                out[leaf.id] = _decide_leaf(leaf, conditions, adjustments, env)
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
