"""Sampling check of tier conditions the exact analysis cannot handle.

Used when conditions involve several numeric inputs or arithmetic on them.
Samples are deterministic: domain bounds, every constant in the conditions
and its close neighbours, midpoints between them, then seeded random points.
A problem found this way comes with a concrete witness, so it is certain;
finding nothing proves nothing, so silence is not a guarantee.
"""

from __future__ import annotations

import datetime
import itertools
import random
from collections.abc import Mapping, Sequence
from decimal import Decimal

from rules import ast
from rules._findings import Finding, show_assignment, tier_list
from rules.errors import EvaluationError
from rules.expression import Expression
from rules.inputs import InputSpec, InputType
from rules.types import Type

SAMPLES = 2000
_SEED = 20_240_101
_EPSILON = Decimal("0.0001")
_STEP = Decimal("0.0001")  # granularity of random real values


def analyse(
    conditions: Sequence[Expression | None], specs: Mapping[str, InputSpec | Type]
) -> list[Finding]:
    """Findings with witnesses; unreachable tiers are only warnings here."""
    names = sorted(set().union(*(c.names for c in conditions if c is not None)))
    constants = _constants(conditions)
    axes = {}
    for name in names:
        axis = _axis(specs.get(name), constants)
        if axis is None:
            return []  # a value we cannot sample (free text, undeclared)
        axes[name] = axis
    points = _points(axes)
    return _Tally(conditions).run(points)


def _constants(conditions: Sequence[Expression | None]) -> list[Decimal]:
    found: set[Decimal] = set()
    for condition in conditions:
        if condition is None:
            continue
        for node in ast.walk(condition.ast):
            if isinstance(node, ast.Number):
                found.update((node.value, -node.value))
            elif isinstance(node, ast.DateLit):
                found.add(Decimal(node.value.toordinal()))
    return sorted(found)


class _Axis:
    """Candidate values of one input: boundary-ish ones and a random generator."""

    def __init__(self, candidates: list[object], low: int, high: int, scale: Decimal, date: bool):
        self.candidates = candidates
        self.low, self.high, self.scale, self.date = low, high, scale, date

    def random(self, rng: random.Random) -> object:
        if self.high < self.low:
            return rng.choice(self.candidates)
        value = Decimal(rng.randint(self.low, self.high)) * self.scale
        return datetime.date.fromordinal(int(value)) if self.date else value


def _axis(spec: InputSpec | Type | None, constants: list[Decimal]) -> _Axis | None:
    kind = spec.type if isinstance(spec, InputSpec) else spec
    if kind in (InputType.BOOL, Type.BOOL):
        return _Axis([False, True], 1, 0, Decimal(1), False)
    if kind is InputType.ENUM:
        return _Axis(list(spec.choices), 1, 0, Decimal(1), False)  # type: ignore[union-attr]
    if kind in (InputType.DATE, Type.DATE):
        days = [c for c in constants if 1 <= c <= datetime.date.max.toordinal() - 1]
        first = int(min(days, default=datetime.date(2000, 1, 1).toordinal())) - 366
        last = int(max(days, default=datetime.date(2030, 1, 1).toordinal())) + 366
        ordinals = sorted({int(d + k) for d in days for k in (-1, 0, 1)} | {first, last})
        dates = [datetime.date.fromordinal(v) for v in ordinals]
        return _Axis(list(dates), first, last, Decimal(1), True)
    if kind not in (InputType.NUMBER, InputType.RATIO, InputType.COUNT, Type.NUMBER):
        return None
    lo = spec.domain_min if isinstance(spec, InputSpec) else None
    hi = spec.domain_max if isinstance(spec, InputSpec) else None
    integer = kind is InputType.COUNT
    step = Decimal(1) if integer else _EPSILON
    raw = {c + d for c in constants for d in (-step, Decimal(0), step)}
    span = (max(raw) - min(raw)) if raw else Decimal(10)
    low = lo if lo is not None else min(raw, default=Decimal(0)) - span - 1
    high = hi if hi is not None else max(raw, default=Decimal(0)) + span + 1
    raw |= {low, high}
    ordered = sorted(raw)
    raw |= {(a + b) / 2 for a, b in itertools.pairwise(ordered)}
    if integer:
        raw = {v.to_integral_value() for v in raw}
    values = sorted(v for v in raw if low <= v <= high)
    scale = Decimal(1) if integer else _STEP
    return _Axis(list(values), int(low / scale), int(high / scale), scale, False)


def _points(axes: dict[str, _Axis]) -> list[dict[str, object]]:
    names = list(axes)
    total = 1
    for axis in axes.values():
        total *= len(axis.candidates)
    if total <= SAMPLES:
        grids = (axes[n].candidates for n in names)
        return [dict(zip(names, values, strict=True)) for values in itertools.product(*grids)]
    rng = random.Random(_SEED)
    points = []
    for _ in range(SAMPLES):
        point = {}
        for name, axis in axes.items():
            # Mostly boundary candidates: that is where tier tables go wrong.
            use_candidate = rng.random() < 0.6
            point[name] = rng.choice(axis.candidates) if use_candidate else axis.random(rng)
        points.append(point)
    return points


class _Tally:
    def __init__(self, conditions: Sequence[Expression | None]) -> None:
        self.conditions = conditions
        self.findings: list[Finding] = []
        self.seen_true: set[int] = set()
        self.first: set[int] = set()
        self.pairs: set[tuple[int, int]] = set()
        self.gap_reported = False

    def run(self, points: list[dict[str, object]]) -> list[Finding]:
        checked = 0
        for point in points:
            truths = self.truths(point)
            if truths is not None:
                checked += 1
                self.record(point, truths)
        for index, condition in enumerate(self.conditions):
            if condition is not None and index not in self.first and checked:
                if index in self.seen_true:
                    why = "earlier tiers held wherever it did"
                else:
                    why = "its condition was never true"
                self.findings.append(
                    Finding(
                        "tier-unreachable",
                        index,
                        f"tier {index + 1} may never apply: {why} in {checked} sampled values",
                        severity="warning",
                    )
                )
        return self.findings

    def truths(self, point: dict[str, object]) -> list[bool] | None:
        try:
            return [c is not None and bool(c.evaluate(point)) for c in self.conditions]
        except EvaluationError:
            return None  # e.g. a division by zero at this point: skip it

    def record(self, point: dict[str, object], truths: list[bool]) -> None:
        holding = [i for i, t in enumerate(truths) if t]
        self.seen_true.update(holding)
        if holding:
            self.first.add(holding[0])
        for a, b in itertools.combinations(holding, 2):
            if (a, b) not in self.pairs:
                self.pairs.add((a, b))
                text = f"{tier_list([a, b])} overlap at {show_assignment(point)}"
                self.findings.append(Finding("tier-overlap", b, text))
        has_otherwise = self.conditions[-1] is None
        if not holding and not has_otherwise and not self.gap_reported:
            self.gap_reported = True
            text = f"no tier covers {show_assignment(point)}"
            self.findings.append(Finding("tier-gap", len(self.conditions) - 1, text))
