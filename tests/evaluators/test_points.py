"""The points formula and interpolation, written once (`rules.points`), agree on
every representation of numbers the engines use: exact Decimals, scaled integers and
float values with error bounds."""

from __future__ import annotations

import decimal
import itertools
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluators.engines.vector.expressions import Ctx, V
from evaluators.engines.vector.leaves import _Bounded
from evaluators.scoring.points import SCALED
from rules import EXACT, interpolate, leaf_points
from rules.types import Type

# Points with up to two decimals, some outside [0, max] (a formula's base can be).
POINTS = st.decimals(min_value=-50, max_value=150, places=2, allow_nan=False)
ADJUST = st.decimals(min_value=0, max_value=30, places=2, allow_nan=False)
TOPS = st.decimals(min_value=Decimal("0.25"), max_value=100, places=2, allow_nan=False)
CONTEXT = decimal.Context(prec=28)


class _Rows(Ctx):
    def __init__(self, n: int) -> None:
        self.n = n


def _column(values: list[Decimal]) -> V:
    return V(Type.NUMBER, np.array([float(v) for v in values]))


def _close(v: V, exact: list[Decimal]) -> None:
    """Each row the float path decides is within its error bound of the exact value."""
    vals = np.broadcast_to(v.val, (len(exact),))
    bound = np.broadcast_to(v.bound(), (len(exact),))
    unk = np.zeros(len(exact), bool) if v.unk is None else np.broadcast_to(v.unk, (len(exact),))
    assert v.fail is None or not np.any(v.fail)
    for val, err, u, want in zip(vals, bound, unk, exact, strict=True):
        if not u:
            assert abs(Decimal(float(val)) - want) <= Decimal(float(err)) + Decimal("1e-12")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(POINTS, ADJUST, ADJUST), min_size=1, max_size=8), TOPS)
def test_points_are_the_clamp_bonus_penalty_clamp_on_every_representation(rows, top):
    want = [min(top, max(Decimal(0), min(top, max(Decimal(0), b)) + p - q)) for b, p, q in rows]
    with decimal.localcontext(CONTEXT):
        assert [leaf_points(b, p, q, top, EXACT) for b, p, q in rows] == want

    # Scaled integers (hundredths): exactly the Decimal result.
    ints = [
        np.array([int(x * 100) for x in column], dtype=np.int64)
        for column in zip(*rows, strict=True)
    ]
    scaled = leaf_points(*ints, int(top * 100), SCALED)
    assert [Decimal(int(x)) / 100 for x in scaled] == want

    ar = _Bounded(_Rows(len(rows)))
    columns = [_column(list(column)) for column in zip(*rows, strict=True)]
    _close(leaf_points(*columns, ar.const(top), ar), want)


def _reference(thresholds, x: Decimal) -> Decimal:
    """Linear interpolation as the methodology format defines it (docs/format.md)."""
    (x0, y0), (xn, yn) = thresholds[0], thresholds[-1]
    if x <= x0:
        return y0
    if x >= xn:
        return yn
    for (a, pa), (b, pb) in itertools.pairwise(thresholds):
        if a <= x <= b:
            return pa + (pb - pa) * (x - a) / (b - a)
    raise AssertionError("unreachable")


THRESHOLDS = st.lists(
    st.tuples(
        st.decimals(min_value=-5, max_value=5, places=2, allow_nan=False),
        st.decimals(min_value=0, max_value=10, places=2, allow_nan=False),
    ),
    min_size=2,
    max_size=6,
    unique_by=lambda t: t[0],
).map(lambda rows: tuple(sorted(rows)))


@settings(max_examples=300, deadline=None)
@given(THRESHOLDS, st.lists(st.decimals(-6, 6, places=3, allow_nan=False), min_size=1, max_size=20))
def test_interpolation_agrees_with_its_definition_exactly_and_within_the_float_bound(
    thresholds, xs
):
    # The thresholds themselves are among the values: the boundaries are hit exactly.
    xs = xs + [at for at, _ in thresholds]
    with decimal.localcontext(CONTEXT):
        want = [_reference(thresholds, x) for x in xs]
        assert [interpolate(thresholds, x, EXACT) for x in xs] == want
    _close(interpolate(thresholds, _column(xs), _Bounded(_Rows(len(xs)))), want)


def test_a_base_above_the_maximum_is_cut_before_the_bonus_is_added():
    # 12 of 10 → 10, + 3 bonus − 4 penalty → 9 (not 12 + 3 − 4 = 11 → 10).
    assert leaf_points(Decimal(12), Decimal(3), Decimal(4), Decimal(10), EXACT) == 9
    got = leaf_points(np.array([1200]), np.array([300]), np.array([400]), 1000, SCALED)
    assert got.tolist() == [900]
