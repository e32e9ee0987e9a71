"""Unions of intervals over the reals (or the integers), with exact endpoints, and the
arithmetic of bounds (lowest, highest) that the operators' range rules use."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from rules._numbers import format_decimal


@dataclass(frozen=True)
class Interval:
    """``lo``..``hi``; None is −∞ / +∞ (never closed)."""

    lo: Decimal | None
    hi: Decimal | None
    lo_closed: bool = True
    hi_closed: bool = True

    @property
    def empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_closed and self.hi_closed))


def _lo_key(part: Interval) -> tuple[int] | tuple[int, Decimal, int]:
    # −∞ first; at equal values a closed start comes before an open one.
    return (0,) if part.lo is None else (1, part.lo, 0 if part.lo_closed else 1)


def _hi_after(a: Interval, b: Interval) -> bool:
    """Whether ``a`` reaches at least as far right as ``b``."""
    if a.hi is None:
        return True
    if b.hi is None:
        return False
    return a.hi > b.hi or (a.hi == b.hi and (a.hi_closed or not b.hi_closed))


class IntervalSet:
    """A normalised (sorted, disjoint, non-empty parts) union of intervals."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[Interval] = ()) -> None:
        self.parts: tuple[Interval, ...] = _merge(p for p in parts if not p.empty)

    @classmethod
    def everything(cls) -> IntervalSet:
        return cls([Interval(None, None, False, False)])

    @classmethod
    def point(cls, value: Decimal) -> IntervalSet:
        return cls([Interval(value, value)])

    def __bool__(self) -> bool:
        return bool(self.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IntervalSet) and self.parts == other.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def __repr__(self) -> str:
        return f"IntervalSet({list(self.parts)!r})"

    def union(self, other: IntervalSet) -> IntervalSet:
        return IntervalSet(self.parts + other.parts)

    def intersect(self, other: IntervalSet) -> IntervalSet:
        return IntervalSet(_meet(a, b) for a in self.parts for b in other.parts)

    def complement(self) -> IntervalSet:
        """Everything on the real line not in this set."""
        gaps: list[Interval] = []
        start: Decimal | None = None
        start_closed = False
        for part in self.parts:
            if part.lo is not None:
                gaps.append(Interval(start, part.lo, start_closed, not part.lo_closed))
            if part.hi is None:
                return IntervalSet(gaps)
            start, start_closed = part.hi, not part.hi_closed
        gaps.append(Interval(start, None, start_closed, False))
        return IntervalSet(gaps)

    def minus(self, other: IntervalSet) -> IntervalSet:
        return self.intersect(other.complement())

    def integers(self) -> IntervalSet:
        """The integer points of this set, as closed integer intervals."""
        parts = []
        for part in self.parts:
            lo = part.lo
            if lo is not None:
                lo = (
                    _ceil(lo) if lo != lo.to_integral_value() else lo + (0 if part.lo_closed else 1)
                )
            hi = part.hi
            if hi is not None:
                hi = (
                    _floor(hi)
                    if hi != hi.to_integral_value()
                    else hi - (0 if part.hi_closed else 1)
                )
            parts.append(Interval(lo, hi, lo is not None, hi is not None))
        result = IntervalSet(parts)
        # Join runs like [1, 2] ∪ [3, 4] that touch only in the integers.
        joined: list[Interval] = []
        for part in result.parts:
            last = joined[-1] if joined else None
            if last is not None and last.hi is not None and part.lo == last.hi + 1:
                joined[-1] = Interval(last.lo, part.hi, last.lo_closed, part.hi_closed)
            else:
                joined.append(part)
        result.parts = tuple(joined)
        return result

    def witness(self) -> Decimal:
        """Some member of this (non-empty) set, preferring an endpoint."""
        part = self.parts[0]
        if part.lo is None:
            if part.hi is None:
                return Decimal(0)
            return part.hi if part.hi_closed else part.hi - 1
        if part.lo_closed:
            return part.lo
        if part.hi is None:
            return part.lo + 1
        if part.hi_closed:
            return part.hi
        return (part.lo + part.hi) / 2


def _ceil(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING)


def _floor(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_FLOOR)


def _meet(a: Interval, b: Interval) -> Interval:
    lo_src = a if _lo_key(a) >= _lo_key(b) else b
    hi_src = b if _hi_after(a, b) else a
    return Interval(lo_src.lo, hi_src.hi, lo_src.lo_closed, hi_src.hi_closed)


def _merge(parts: Iterable[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for part in sorted(parts, key=_lo_key):
        if merged and _touches(merged[-1], part):
            last = merged[-1]
            far = last if _hi_after(last, part) else part
            merged[-1] = Interval(last.lo, far.hi, last.lo_closed, far.hi_closed)
        else:
            merged.append(part)
    return tuple(merged)


def _touches(left: Interval, right: Interval) -> bool:
    if left.hi is None or right.lo is None:
        return True
    if right.lo < left.hi:
        return True
    return right.lo == left.hi and (left.hi_closed or right.lo_closed)


def describe(parts: IntervalSet, show: Callable[[Decimal], str] = format_decimal) -> str:
    """``= 0.9`` or ``in [0.7, 0.8)``; several parts joined with ``or``."""
    texts = []
    for part in parts.parts:
        if part.lo is not None and part.lo == part.hi:
            texts.append(f"= {show(part.lo)}")
            continue
        lo = "-∞" if part.lo is None else show(part.lo)
        hi = "+∞" if part.hi is None else show(part.hi)
        left = "[" if part.lo_closed else "("
        right = "]" if part.hi_closed else ")"
        texts.append(f"in {left}{lo}, {hi}{right}")
    return " or ".join(texts)


# -- bounds ---------------------------------------------------------------------------

Bound = tuple[Decimal | None, Decimal | None]  # (lowest, highest); None: unbounded


def negated(x: Decimal | None) -> Decimal | None:
    return None if x is None else -x


def added(x: Decimal | None, y: Decimal | None) -> Decimal | None:
    return None if x is None or y is None else x + y


def lowest(*xs: Decimal | None) -> Decimal | None:
    """The least of ``xs``; None (−∞) when one of them is."""
    known = [x for x in xs if x is not None]
    return None if len(known) < len(xs) else min(known)


def highest(*xs: Decimal | None) -> Decimal | None:
    """The greatest of ``xs``; None (+∞) when one of them is."""
    known = [x for x in xs if x is not None]
    return None if len(known) < len(xs) else max(known)


def corners(a: Bound, b: Bound, op: Callable[[Decimal, Decimal], Decimal]) -> Bound:
    """The bounds of ``op`` over two boxes whose extremes are at their corners (``*``,
    and ``/`` by a divisor that keeps its sign)."""
    a_lo, a_hi = a
    b_lo, b_hi = b
    if a_lo is None or a_hi is None or b_lo is None or b_hi is None:
        zero = (Decimal(0), Decimal(0))
        if a == zero or b == zero:
            return Decimal(0), Decimal(0)
        return None, None
    values = [op(x, y) for x in (a_lo, a_hi) for y in (b_lo, b_hi)]
    return min(values), max(values)
