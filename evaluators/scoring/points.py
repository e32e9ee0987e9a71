"""A leaf's points and a linear rule's interpolation, written once for every engine.

Points: the rule's base clamped to [0, max], plus the (capped) bonus, minus the (capped)
penalty, clamped to [0, max] again. Interpolation: the thresholds' points outside them,
the straight line between the two thresholds around the value inside.

Each formula is written over an `Arithmetic`: exact Decimals (`EXACT`, the compiled and
durable engines), scaled integers in NumPy arrays (`SCALED`, the vectorised engine's
integer mode), or the vectorised engine's float values with error bounds (its own
`Arithmetic` in `_vector_leaves`). The engines can then differ in how they hold
numbers, never in the formula.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Protocol

import numpy as np

__all__ = ["EXACT", "SCALED", "Arithmetic", "Sums", "interpolate", "leaf_points"]


class Sums(Protocol):
    """What the points formula needs, on one representation of numbers."""

    zero: Any

    def add(self, a: Any, b: Any) -> Any: ...
    def sub(self, a: Any, b: Any) -> Any: ...
    def clamp(self, x: Any, low: Any, high: Any) -> Any:
        """``min(high, max(low, x))``."""


class Arithmetic(Sums, Protocol):
    """What interpolation needs besides."""

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


def interpolate(thresholds: Sequence[tuple[Decimal, Decimal]], x: Any, ar: Arithmetic) -> Any:
    """A linear rule's base: ``thresholds`` are ``(at, points)`` with ascending ``at``."""
    (x0, y0), (xn, yn) = thresholds[0], thresholds[-1]
    c = ar.const
    Case = tuple[Callable[[], Any], Callable[[], Any]]

    def segment(a: Decimal, pa: Decimal, b: Decimal, pb: Decimal) -> Case:
        return (
            lambda: ar.between(c(a), x, c(b)),
            lambda: ar.add(
                c(pa), ar.div(ar.mul(ar.sub(c(pb), c(pa)), ar.sub(x, c(a))), ar.sub(c(b), c(a)))
            ),
        )

    cases: list[Case] = [
        (lambda: ar.at_most(x, c(x0)), lambda: c(y0)),
        (lambda: ar.at_least(x, c(xn)), lambda: c(yn)),
    ]
    cases += (segment(a, pa, b, pb) for (a, pa), (b, pb) in itertools.pairwise(thresholds))
    return ar.first(cases, c(yn))


class _Exact(Arithmetic):
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

    def at_most(self, a: Decimal, b: Decimal) -> bool:
        return a <= b

    def at_least(self, a: Decimal, b: Decimal) -> bool:
        return a >= b

    def between(self, low: Decimal, x: Decimal, high: Decimal) -> bool:
        return low <= x <= high

    def first(self, cases, default):
        for condition, value in cases:
            if condition():
                return value()
        return default


class _Scaled(Sums):
    """Integers in units of 10**-scale, as NumPy arrays (sums and clamps: the integer
    mode has no products or quotients, so no interpolation)."""

    zero = 0

    def add(self, a: Any, b: Any) -> Any:
        return a + b

    def sub(self, a: Any, b: Any) -> Any:
        return a - b

    def clamp(self, x: Any, low: Any, high: Any) -> Any:
        return np.minimum(high, np.maximum(low, x))


EXACT = _Exact()
SCALED = _Scaled()
