"""A leaf's points and a linear rule's interpolation, written once for every engine.

Points: the rule's base clamped to [0, max], plus the bonus, minus the penalty (each the
sum of its rules that fired, capped: `adjustment_points`), clamped to [0, max] again. Interpolation: the thresholds' points outside them,
the straight line between the two thresholds around the value inside.

Each formula is written over an `Arithmetic`: exact Decimals (`EXACT`, the compiled and
durable engines and every kind's exact points), scaled integers in NumPy arrays (the
vectorised engine's integer mode, `evaluators.scoring.points.SCALED`), or the
vectorised engine's float values with error bounds. The engines can then differ in how
they hold numbers, never in the formula.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol

__all__ = [
    "EXACT",
    "Adjusts",
    "Arithmetic",
    "Sums",
    "adjustment_points",
    "interpolate",
    "leaf_points",
]


class Sums(Protocol):
    """What the points formula needs, on one representation of numbers."""

    zero: Any

    def add(self, a: Any, b: Any) -> Any: ...
    def sub(self, a: Any, b: Any) -> Any: ...
    def clamp(self, x: Any, low: Any, high: Any) -> Any:
        """``min(high, max(low, x))``."""


class Adjusts(Sums, Protocol):
    """What a capped bonus or penalty total needs besides (the engines, not the kinds)."""

    def add_where(self, hit: Any, total: Any, amount: Any) -> Any:
        """``total + amount`` where ``hit`` holds, else ``total``."""

    def minimum(self, a: Any, b: Any) -> Any: ...


class Arithmetic(Sums, Protocol):
    """What interpolation and the kinds' points need besides."""

    def const(self, value: Decimal) -> Any: ...
    def mul(self, a: Any, b: Any) -> Any: ...
    def div(self, a: Any, b: Any) -> Any: ...
    def at_most(self, a: Any, b: Any) -> Any: ...
    def at_least(self, a: Any, b: Any) -> Any: ...
    def between(self, low: Any, x: Any, high: Any) -> Any:
        """``low <= x <= high``."""

    def first(
        self, cases: Sequence[tuple[Callable[[], Any], Callable[[], Any]]], default: Any
    ) -> Any:
        """The value of the first case whose condition holds, else ``default``, as
        if/elif/else (each condition and value is built when needed)."""


def leaf_points(base: Any, bonus: Any, penalty: Any, top: Any, ar: Sums) -> Any:
    """The points of a leaf whose rule gave ``base`` (bonus and penalty already capped)."""
    kept = ar.clamp(base, ar.zero, top)
    return ar.clamp(ar.sub(ar.add(kept, bonus), penalty), ar.zero, top)


def adjustment_points(terms: Iterable[tuple[Any, Any]], cap: Any, ar: Adjusts) -> Any:
    """A bonus's or a penalty's points: the ``amount`` of each rule where it fired
    (``terms`` are ``(hit, amount)``), summed, at most ``cap``."""
    total = ar.zero
    for hit, amount in terms:
        total = ar.add_where(hit, total, amount)
    return ar.minimum(total, cap)


def interpolate(thresholds: Sequence[tuple[Decimal, Decimal]], x: Any, ar: Arithmetic) -> Any:
    """A linear rule's base: ``thresholds`` are ``(at, points)`` with ascending ``at``."""
    (x0, y0), (xn, yn) = thresholds[0], thresholds[-1]
    c = ar.const
    cases: list[tuple[Callable[[], Any], Callable[[], Any]]] = [
        (lambda: ar.at_most(x, c(x0)), lambda: c(y0)),
        (lambda: ar.at_least(x, c(xn)), lambda: c(yn)),
    ]

    def segment(
        a: Decimal, pa: Decimal, b: Decimal, pb: Decimal
    ) -> tuple[Callable[[], Any], Callable[[], Any]]:
        """``a <= x <= b``: the straight line from ``(a, pa)`` to ``(b, pb)``."""
        return (
            lambda: ar.between(c(a), x, c(b)),
            lambda: ar.add(
                c(pa), ar.div(ar.mul(ar.sub(c(pb), c(pa)), ar.sub(x, c(a))), ar.sub(c(b), c(a)))
            ),
        )

    for (a, pa), (b, pb) in itertools.pairwise(thresholds):
        cases.append(segment(a, pa, b, pb))
    return ar.first(cases, c(yn))


class _Exact(Arithmetic, Adjusts):
    """Decimals, in the caller's context (its precision and traps)."""

    zero = Decimal(0)

    def const(self, value: Decimal) -> Decimal:
        return value

    def add(self, a: Decimal, b: Decimal) -> Decimal:
        return a + b

    def sub(self, a: Decimal, b: Decimal) -> Decimal:
        return a - b

    def mul(self, a: Decimal, b: Decimal) -> Decimal:
        return a * b

    def div(self, a: Decimal, b: Decimal) -> Decimal:
        return a / b

    def clamp(self, x: Decimal, low: Decimal, high: Decimal) -> Decimal:
        return min(high, max(low, x))

    def add_where(self, hit: bool, total: Decimal, amount: Decimal) -> Decimal:
        return total + amount if hit else total

    def minimum(self, a: Decimal, b: Decimal) -> Decimal:
        return min(a, b)

    def at_most(self, a: Decimal, b: Decimal) -> bool:
        return a <= b

    def at_least(self, a: Decimal, b: Decimal) -> bool:
        return a >= b

    def between(self, low: Decimal, x: Decimal, high: Decimal) -> bool:
        return low <= x <= high

    def first(
        self, cases: Sequence[tuple[Callable[[], Any], Callable[[], Any]]], default: Any
    ) -> Any:
        for condition, value in cases:
            if condition():
                return value()
        return default


EXACT = _Exact()
