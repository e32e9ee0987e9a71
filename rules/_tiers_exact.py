"""Exact overlap / gap / reachability analysis of tier conditions.

Applies when the conditions compare at most one numeric (or date) input
with constants, combined with and/or/not, plus any number of bool and enum
inputs — more exactly, with the operators whose entry in the table
(`rules.operators`) says where a condition made with them holds. For every
combination of the finite inputs, each condition's
satisfying set over the numeric input is computed as a union of intervals;
comparing those sets is then exact. Anything else raises NotExact and the
caller falls back to sampling.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rules import ast
from rules._findings import Finding, show_assignment, tier_list
from rules._interpreter import evaluate
from rules._interval_sets import Interval, IntervalSet, describe
from rules._numbers import format_decimal
from rules.errors import EvaluationError
from rules.inputs import InputSpec, InputType
from rules.operators import OPERATOR_NODES, OPERATORS, Operator, key_of
from rules.types import Type

MAX_COMBINATIONS = 4096
_MAX_GAPS = 5  # one per finite-input combination, but don't flood the report
# Dates are analysed as day ordinals, which start at 1.
_DATES = IntervalSet([Interval(Decimal(1), Decimal(datetime.date.max.toordinal()))])


class NotExact(Exception):
    """The conditions are outside what the exact analysis understands."""


@dataclass(frozen=True)
class _Axis:
    """The single continuous input and its domain."""

    name: str | None
    domain: IntervalSet
    integer: bool
    date: bool

    def normal(self, values: IntervalSet) -> IntervalSet:
        values = values.intersect(self.domain)
        return values.integers() if self.integer else values

    def show(self, value: Decimal) -> str:
        if self.date:
            return datetime.date.fromordinal(int(value)).isoformat()
        return format_decimal(value)

    def at(self, value: Decimal) -> str:
        return f"{self.name} = {self.show(value)}" if self.name else ""


def analyse(
    conditions: Sequence[ast.Expr | None], specs: Mapping[str, InputSpec | Type]
) -> list[Finding]:
    """Findings for tiers whose conditions are ``conditions`` (None = otherwise)."""
    names = sorted({n.id for c in conditions if c for n in ast.walk(c) if isinstance(n, ast.Name)})
    axis, finite = _classify(names, specs)
    combos = 1
    for _, choices in finite:
        combos *= len(choices)
    if combos > MAX_COMBINATIONS:
        raise NotExact
    return _Analysis(conditions, axis, finite).run()


def _classify(
    names: list[str], specs: Mapping[str, InputSpec | Type]
) -> tuple[_Axis, list[tuple[str, tuple[object, ...]]]]:
    continuous: list[_Axis] = []
    finite: list[tuple[str, tuple[object, ...]]] = []
    for name in names:
        spec = specs.get(name)
        kind = spec.type if isinstance(spec, InputSpec) else spec
        if kind in (InputType.BOOL, Type.BOOL):
            finite.append((name, (False, True)))
        elif kind is InputType.ENUM:
            finite.append((name, spec.choices))  # type: ignore[union-attr]
        elif kind in (InputType.NUMBER, InputType.RATIO, InputType.COUNT, Type.NUMBER):
            lo = spec.domain_min if isinstance(spec, InputSpec) else None
            hi = spec.domain_max if isinstance(spec, InputSpec) else None
            domain = IntervalSet([Interval(lo, hi, lo is not None, hi is not None)])
            continuous.append(_Axis(name, domain, kind is InputType.COUNT, False))
        elif kind in (InputType.DATE, Type.DATE):
            continuous.append(_Axis(name, _DATES, True, True))
        else:
            raise NotExact
    if len(continuous) > 1:
        raise NotExact
    if not continuous:
        # A one-point axis lets the same machinery enumerate finite inputs.
        return _Axis(None, IntervalSet.point(Decimal(0)), False, False), finite
    return continuous[0], finite


class _Analysis:
    def __init__(
        self,
        conditions: Sequence[ast.Expr | None],
        axis: _Axis,
        finite: list[tuple[str, tuple[object, ...]]],
    ) -> None:
        self.conditions = conditions
        self.axis = axis
        self.finite = finite
        self.findings: list[Finding] = []
        self.overlapping: set[tuple[int, int]] = set()
        self.satisfiable: set[int] = set()
        self.effective: set[int] = set()
        self.gaps = 0

    def run(self) -> list[Finding]:
        names = [name for name, _ in self.finite]
        for values in itertools.product(*(choices for _, choices in self.finite)):
            self.assignment(dict(zip(names, values, strict=True)))
        self.reachability()
        return self.findings

    def assignment(self, env: dict[str, object]) -> None:
        sat = _Sat(self.axis.name, env)
        sets = [self.axis.normal(sat.sat(c)) if c is not None else None for c in self.conditions]
        covered = IntervalSet()
        for index, values in enumerate(sets):
            if values is None:
                continue
            if values:
                self.satisfiable.add(index)
            if self.axis.normal(values.minus(covered)):
                self.effective.add(index)
            for earlier in range(index):
                self.overlap(earlier, index, sets[earlier], values, env)
            covered = covered.union(values)
        rest = self.axis.normal(self.axis.domain.minus(covered))
        if rest and sets[-1] is None:
            self.effective.add(len(sets) - 1)
        elif rest and self.gaps < _MAX_GAPS:
            self.gaps += 1
            self.findings.append(Finding("tier-gap", len(sets) - 1, self.gap(env, rest)))

    def overlap(
        self,
        earlier: int,
        index: int,
        first: IntervalSet | None,
        second: IntervalSet,
        env: dict[str, object],
    ) -> None:
        if first is None or (earlier, index) in self.overlapping:
            return
        both = self.axis.normal(first.intersect(second))
        if not both:
            return
        self.overlapping.add((earlier, index))
        where = ", ".join(p for p in (self.axis.at(both.witness()), show_assignment(env)) if p)
        pair = tier_list([earlier, index])
        text = f"{pair} overlap at {where}" if where else f"{pair} overlap for every value"
        self.findings.append(Finding("tier-overlap", index, text))

    def gap(self, env: dict[str, object], rest: IntervalSet) -> str:
        parts = []
        if self.axis.name is not None:
            parts.append(f"{self.axis.name} {describe(rest, self.axis.show)}")
        if env:
            parts.append(("when " if parts else "") + show_assignment(env))
        return "no tier covers " + (" ".join(parts) if parts else "any value")

    def reachability(self) -> None:
        for index, condition in enumerate(self.conditions):
            if index in self.effective:
                continue
            if condition is None:
                others = list(range(index))
                text = f"the otherwise tier (tier {index + 1}) is unreachable: {tier_list(others)} cover every value"
            elif index not in self.satisfiable:
                text = f"tier {index + 1} can never apply: its condition is false for every allowed value"
            else:
                text = f"tier {index + 1} never applies: earlier tiers already cover every value where it holds"
            self.findings.append(Finding("tier-unreachable", index, text))


class _Sat:
    """Satisfying set of a condition over the axis, for fixed finite inputs."""

    def __init__(self, axis: str | None, env: dict[str, object]) -> None:
        self.axis = axis
        self.env = env

    def depends(self, node: ast.Expr) -> bool:
        return self.axis is not None and any(
            isinstance(n, ast.Name) and n.id == self.axis for n in ast.walk(node)
        )

    def truth(self, node: ast.Expr) -> IntervalSet:
        return IntervalSet.everything() if self.constant(node) else IntervalSet()

    def constant(self, node: ast.Expr) -> object:
        try:
            return evaluate(node, self.env)
        except EvaluationError:
            raise NotExact from None

    def number(self, node: ast.Expr) -> Decimal:
        value = self.constant(node)
        if isinstance(value, datetime.date):
            return Decimal(value.toordinal())
        if not isinstance(value, Decimal):
            raise NotExact
        return value

    def sat(self, node: ast.Expr) -> IntervalSet:
        if not self.depends(node):
            return self.truth(node)
        entry = OPERATORS.get(key_of(node)) if isinstance(node, OPERATOR_NODES) else None
        if entry is not None and entry.where is not None and isinstance(node, ast.Compare):
            return self.compare(node, entry)
        if entry is not None and entry.truth is not None:
            return entry.truth(self, node)
        raise NotExact

    def compare(self, node: ast.Compare, op: Operator) -> IntervalSet:
        left, right = node.left, node.right
        if self.is_axis(right) and not self.depends(left) and op.flipped is not None:
            op, left, right = OPERATORS[op.flipped], right, left
        if not self.is_axis(left) or self.depends(right) or op.where is None:
            raise NotExact
        # one constant, or a list's items (`in`); a list where one constant is meant
        # is not a number, and the analysis stops there
        items = right.items if isinstance(right, ast.ListLit) else (right,)
        return op.where(tuple(self.number(item) for item in items))

    def is_axis(self, node: ast.Expr) -> bool:
        return isinstance(node, ast.Name) and node.id == self.axis
