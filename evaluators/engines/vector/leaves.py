"""Leaves compiled for the vectorised scorer: which rule fires and the points it gives,
over all rows at once, with the rows it cannot decide marked for the exact path.

Three modes per leaf, chosen once by `compile_leaf`:

- ``int``: leaves of a kind whose points depend on the outcome alone
  (`rules.Scoring.constant_points`: tiers, boolean) whose conditions compile and whose
  constants (the outcomes' points, the maximum, bonus and penalty points and caps) are
  exact in scaled integers: the points are integer arithmetic, exactly the Decimal result;
- ``float``: leaves of every other kind with vectorised points
  (`rules.Scoring.vector_score`: ratio, linear, formula, survey, manual, a registered
  kind's `vector_points`), and adjustments with ``per``: the Decimal arithmetic is
  followed in float64 with an error bound (`evaluators.engines.vector.expressions`), and
  a row whose rounding to the methodology's places the bound cannot settle is marked
  unknown;
- ``exact``: a leaf with a construct the compiler does not handle, or of a kind
  without vectorised points: every row goes through the exact path.

An ``int`` leaf without bonus or penalty rules whose conditions each compare one numeric
input with constants (``x >= 90%``, ``x >= 0.7 and x < 0.9``: most criteria) is also a
*ladder*: each condition is an interval of doubles, ``lo <= x < hi`` (``x > c`` is
``x >= nextafter(c)``, the same test on doubles), and the leaf's points are picked with a
few array operations instead of evaluating the conditions as expressions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from evaluators.engines.vector.expressions import (
    Compiled,
    Ctx,
    Unsupported,
    V,
    _or,
    arith,
    choose,
    clamp,
    compare,
    compile_node,
    const,
    is_order_exact,
    minimum,
)
from evaluators.program import Leaf
from evaluators.scoring.points import SCALED
from rules import (
    Adjusts,
    Arithmetic,
    Expression,
    Type,
    VectorBase,
    adjustment_points,
    ast,
    decimal_places,
    leaf_points,
)

__all__ = ["INVALID", "MISSING", "NA", "SCORED", "VLeaf", "compile_leaf", "evaluate_leaf"]

SCORED, NA, MISSING, INVALID = 0, 1, 2, 3
_NO_TIER, _ERR, _UNK = -1, -2, -3
_MAX_INT = 10**15  # scaled constants below this keep the Decimal sums exact at 15 digits


@dataclass
class VLeaf:
    leaf: Leaf
    index: int
    mode: str  # "int", "float" or "exact"
    why: str = ""  # for "exact": what the compiler does not handle
    conditions: list[Compiled | None] = field(default_factory=list)
    adjustments: list[tuple[str, Compiled, Compiled | None, Decimal]] = field(
        default_factory=list
    )  # (bonus|penalty, condition, per, points)
    # float mode without constant points: the columns the kind's vectorised points read
    parts: dict[Expression, Compiled] = field(default_factory=dict)
    # int mode
    scale: int = 0  # constants are held in units of 10**-scale
    tier_points: np.ndarray | None = None  # per tier: its points, scaled
    tier_final: np.ndarray | None = None  # per tier, without adjustments: the quantized points
    adj_points: list[int] = field(default_factory=list)
    caps: dict[str, int] = field(default_factory=dict)
    top_int: int = 0
    # a ladder: the column key, and per condition (lo, hi), None for "otherwise"
    key: str = ""
    ladder: list[tuple[float, float] | None] | None = None


def _scale_of(values: list[Decimal]) -> int:
    return max((decimal_places(v) for v in values), default=0)


def compile_leaf(
    leaf: Leaf,
    index: int,
    types: Mapping[str, Type],
    facts: frozenset[str],
    codes: Mapping[str, int],
    places: int,
) -> VLeaf:
    """The leaf's vector form; ``types`` holds its inputs' and the facts' types."""
    node = leaf.node
    rule = node.scoring
    try:
        if leaf.kind == "missing":
            return VLeaf(leaf, index, "int")  # always invalid: readiness says so
        clash = set(node.inputs) & facts
        if clash:
            raise Unsupported(f"an input named like a fact: {sorted(clash)}")
        keys = {name: ("v:" if name in node.inputs else "f:") + name for name in types}

        def comp(expr: Expression, want: Type) -> Compiled:
            fn, typ = compile_node(expr.ast, types, codes, keys)
            if typ is not want:
                raise Unsupported("unexpected type")
            return fn

        conditions = [None if c is None else comp(c, Type.BOOL) for _, c in leaf.conditions]
        adjustments = []
        per_used = False
        for name in ("bonus", "penalty"):
            adjustment = getattr(node, name)
            if adjustment is None:
                continue
            for r in adjustment.rules:
                per = None if r.per is None else comp(r.per, Type.NUMBER)
                per_used |= per is not None
                adjustments.append((name, comp(r.condition, Type.BOOL), per, r.points))
        v = VLeaf(leaf, index, "float", conditions=conditions, adjustments=adjustments)
        assert rule is not None
        if rule.constant_points and conditions:  # the points of the condition that holds
            if not per_used:
                _integers(v, places)
                if v.tier_final is not None:
                    _ladder(v, types, keys)
            return v
        # a dry run finds the columns the kind's vectorised points read, and whether it has any
        probe = _Probe(lambda e: comp(e, Type.NUMBER))
        if rule.vector_score(node.max_points, probe) is None:
            raise Unsupported(f"scoring kind {leaf.kind} has no vectorised points")
        v.parts = probe.parts
        return v
    except Unsupported as exc:
        return VLeaf(leaf, index, "exact", why=str(exc))


def _bases(leaf: Leaf) -> list[Decimal]:
    """Per condition (tier or true/false): the base points it gives."""
    rule = leaf.node.scoring
    assert rule is not None
    return [rule.base_points(outcome, {}, leaf.node.max_points) for outcome, _ in leaf.conditions]


def _integers(v: VLeaf, places: int) -> None:
    """Switch a tiers/boolean leaf to integer mode when its constants allow it."""
    node = v.leaf.node
    top = node.max_points
    bases = _bases(v.leaf)
    caps = {name: getattr(node, name).cap for name in ("bonus", "penalty") if getattr(node, name)}
    constants = [top, *bases, *caps.values(), *(p for *_, p in v.adjustments)]
    scale = max(_scale_of(constants), places)
    unit = Decimal(10) ** scale
    ints = [int(c * unit) for c in constants]
    if sum(abs(i) for i in ints) * 4 >= _MAX_INT:
        return  # stays in float mode
    v.mode, v.scale = "int", scale
    v.top_int = int(top * unit)
    v.tier_points = np.array([int(b * unit) for b in bases], dtype=np.int64)
    v.adj_points = [int(p * unit) for *_, p in v.adjustments]
    v.caps = {name: int(c * unit) for name, c in caps.items()}
    if not v.adjustments:
        points = leaf_points(v.tier_points, 0, 0, v.top_int, SCALED)
        v.tier_final = _quantize_int(points, scale, places)


def _ladder(v: VLeaf, types: Mapping[str, Type], keys: Mapping[str, str]) -> None:
    """Make ``v`` a ladder when each condition is a conjunction of comparisons of one
    numeric input with order-exact constants (the same input throughout)."""
    names: set[str] = set()
    ladder: list[tuple[float, float] | None] = []
    for _, condition in v.leaf.conditions:
        if condition is None:
            ladder.append(None)
            continue
        bounds = _interval(condition.ast, names)
        if bounds is None:
            return
        ladder.append(bounds)
    if len(names) != 1:
        return
    (name,) = names
    if types.get(name) is not Type.NUMBER or not keys.get(name, "").startswith("v:"):
        return
    # A condition is tested only where the earlier ones did not hold: a bound beyond
    # which an earlier condition holds needs no test (``x >= 0.7 and x < 0.9`` after
    # ``x >= 0.9`` is tested as ``x >= 0.7``).
    above, below = math.inf, -math.inf  # earlier conditions hold from / up to these
    for k, bounds in enumerate(ladder):
        if bounds is None:
            break
        lo, hi = bounds
        ladder[k] = (-math.inf if lo <= below else lo, math.inf if hi >= above else hi)
        if hi == math.inf:
            above = min(above, lo)
        if lo == -math.inf:
            below = max(below, hi)
    v.key, v.ladder = keys[name], ladder


def _interval(node, names: set[str]) -> tuple[float, float] | None:
    """(lo, hi) with ``node`` holding exactly for the doubles ``lo <= x < hi``, or None."""
    if isinstance(node, ast.BoolOp) and node.op == "and":
        left, right = _interval(node.left, names), _interval(node.right, names)
        if left is None or right is None:
            return None
        return max(left[0], right[0]), min(left[1], right[1])
    if not isinstance(node, ast.Compare) or node.op not in _FLIP:
        return None
    op, name, constant = node.op, node.left, _number(node.right)
    if constant is None:
        op, name, constant = _FLIP[op], node.right, _number(node.left)
    if constant is None or not isinstance(name, ast.Name) or not is_order_exact(constant):
        return None
    names.add(name.id)
    c = float(constant)
    above = math.nextafter(c, math.inf)
    return {
        ">=": (c, math.inf),
        ">": (above, math.inf),
        "<": (-math.inf, c),
        "<=": (-math.inf, above),
        "==": (c, above),
    }[op]


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}


def _number(node) -> Decimal | None:
    if isinstance(node, ast.Number):
        return node.value
    if isinstance(node, ast.Unary) and node.op == "-" and isinstance(node.operand, ast.Number):
        return -node.operand.value
    return None


def _climb(v: VLeaf, ctx: Ctx) -> Outcome:
    """A ladder's outcome: as `_select` and `_int_points` decide it, for one input."""
    x, available, odd = ctx.column(v.key)
    n = ctx.n
    assert v.ladder is not None and v.tier_final is not None
    points = v.tier_final
    first = next((k for k, bounds in enumerate(v.ladder) if bounds is None), len(v.ladder))
    # the first condition that holds wins: build from the last one up
    out: Any = points[first] if first < len(v.ladder) else 0
    hit = None
    for k in range(first - 1, -1, -1):
        lo, hi = v.ladder[k]  # type: ignore[misc]  # known bounds: k is before `first`
        if lo == -math.inf:
            cond = x < hi
        elif hi == math.inf:
            cond = x >= lo
        else:
            cond = (x >= lo) & (x < hi)
        out = np.where(cond, points[k], out)
        if first == len(v.ladder):
            hit = cond if hit is None else hit | cond
    out = np.full(n, out, np.int64) if np.ndim(out) == 0 else out
    status = np.zeros(n, np.int8)
    if first == 0:  # "otherwise" comes first: nothing is evaluated
        return Outcome(status=status, points=out, inexact=None)
    if hit is not None:  # no "otherwise": "no tier applies" where nothing held
        status[~hit] = INVALID
    if available is not None:  # a missing value fails the first condition
        status[~available] = INVALID
        if odd is not None:
            odd = odd & available
    # values whose doubles do not order as their decimals: decided the exact way
    inexact = odd if odd is not None and odd.any() else None
    if inexact is not None:
        status[inexact] = SCORED
    return Outcome(status=status, points=out, inexact=inexact)


def _quantize_int(x: np.ndarray, scale: int, places: int) -> np.ndarray:
    """Non-negative values in units of 10**-scale, rounded half-up to 10**-places."""
    if scale == places:
        return x
    step = 10 ** (scale - places)
    return (x + step // 2) // step


@dataclass
class Outcome:
    """A leaf over the rows: status, points in units of 10**-places, and the rows whose
    floats cannot tell the outcome for sure (``inexact``: scored on the exact path)."""

    status: np.ndarray
    points: np.ndarray
    inexact: np.ndarray | None


def _mask(m, n: int) -> np.ndarray:
    if m is None:
        return np.zeros(n, bool)
    if isinstance(m, np.ndarray) and m.shape == (n,) and m.dtype == np.bool_:
        return m
    return np.broadcast_to(np.asarray(m, bool), (n,))


def evaluate_leaf(v: VLeaf, ctx: Ctx, places: int, base_column: V | None = None) -> Outcome:
    """The leaf's decision and points for every row of ``ctx`` (readiness and N/A are
    applied by the caller). ``base_column`` carries survey scores or manual points."""
    n = ctx.n
    if v.ladder is not None:
        return _climb(v, ctx)
    # -- the decision: the first condition that holds, then the adjustments --------------
    decision_failed = decision_inexact = None
    choice = None
    if v.conditions:
        choice, decision_failed, decision_inexact = _select(v.conditions, ctx)
    fired = []
    for _, cond, _, _ in v.adjustments:
        c = cond(ctx)
        fired.append(_mask(c.val, n))
        decision_failed = _or(decision_failed, c.fail)
        decision_inexact = _or(decision_inexact, c.unk)
    status = np.zeros(n, np.int8)
    if v.mode == "int":
        points = _int_points(v, choice, fired, places, n)
        return _finish(
            status, points, decision_failed=decision_failed, decision_inexact=decision_inexact
        )
    # -- float mode ----------------------------------------------------------------------
    node = v.leaf.node
    rule = node.scoring
    assert rule is not None
    top = const(node.max_points)
    points_failed = points_inexact = not_applicable = None
    if rule.constant_points and v.conditions:
        bases = _bases(v.leaf)
        assert choice is not None  # chosen among the conditions above
        safe = np.where(choice >= 0, choice, 0)
        base = V(Type.NUMBER, np.array([float(b) for b in bases])[safe])
        exact = all(const(b).err is None for b in bases)
        if not exact:
            errs = np.array([const(b).bound() for b in bases], dtype=float)
            base = V(Type.NUMBER, base.val, errs[safe], False)
    else:
        scored = rule.vector_score(node.max_points, _Ops(ctx, v.parts, base_column))
        assert scored is not None  # compile_leaf made the leaf exact otherwise
        base, points_failed, points_inexact, not_applicable = _base(scored, n)
    bonus_penalty = {}
    adjustment_failed = adjustment_inexact = None
    bounded = _Bounded(ctx)
    for name in ("bonus", "penalty"):
        adjustment = getattr(node, name)
        total = const(Decimal(0))
        if adjustment is not None:
            terms = (
                (hit, arith("*", const(amount), const(Decimal(1)) if per is None else per(ctx)))
                for (kind, _, per, amount), hit in zip(v.adjustments, fired, strict=True)
                if kind == name
            )
            total = adjustment_points(terms, const(adjustment.cap), bounded)
            adjustment_failed, adjustment_inexact = (
                _or(adjustment_failed, total.fail),
                _or(adjustment_inexact, total.unk),
            )
        bonus_penalty[name] = total
    final = leaf_points(base, bonus_penalty["bonus"], bonus_penalty["penalty"], top, bounded)
    points, rounding_inexact = _quantize(final, places)
    points = np.broadcast_to(points, (n,)).copy()
    rounding_inexact = np.broadcast_to(rounding_inexact, (n,))
    if not_applicable is not None:  # the kind's N/A comes before the adjustments
        na = not_applicable
        adjustment_failed = None if adjustment_failed is None else adjustment_failed & ~na
        adjustment_inexact = None if adjustment_inexact is None else adjustment_inexact & ~na
        rounding_inexact = rounding_inexact & ~na
    points_failed = _or(points_failed, adjustment_failed)
    points_inexact = _or(_or(points_inexact, adjustment_inexact), rounding_inexact)
    return _finish(
        status,
        points,
        decision_failed=decision_failed,
        decision_inexact=decision_inexact,
        points_failed=points_failed,
        points_inexact=points_inexact,
        not_applicable=not_applicable,
    )


def _base(scored: VectorBase, n: int) -> tuple[V, Any, Any, np.ndarray | None]:
    """A kind's vectorised points: (base, rows failed, rows in doubt, rows N/A)."""
    failed = inexact = None
    for read in scored.reads:
        failed, inexact = _or(failed, read.fail), _or(inexact, read.unk)
    for test in (*scored.tests, scored.points):
        inexact = _or(inexact, test.unk)
    if scored.invalid is not None:
        failed = _or(failed, _mask(scored.invalid.val, n))
        inexact = _or(inexact, scored.invalid.unk)
    na = None if scored.not_applicable is None else _mask(scored.not_applicable.val, n)
    return scored.points, failed, inexact, na


def _union(a: V, b: V) -> V:
    return V(
        Type.BOOL, np.logical_or(a.val, b.val), fail=_or(a.fail, b.fail), unk=_or(a.unk, b.unk)
    )


def _finish(
    status: np.ndarray,
    points: np.ndarray,
    *,
    decision_failed: Any = None,
    decision_inexact: Any = None,
    points_failed: Any = None,
    points_inexact: Any = None,
    not_applicable: np.ndarray | None = None,
) -> Outcome:
    """The outcome from the rows where deciding or computing the points raised
    (``*_failed``: invalid), where floats cannot tell the result for sure
    (``*_inexact``: left to the exact path) and where the kind's points make the leaf
    not applicable (a ratio's zero denominator). Each is a row mask, a scalar or None."""
    n = len(status)
    decision_failed = None if decision_failed is None else _mask(decision_failed, n)
    if not_applicable is not None:
        status[not_applicable] = NA
    if points_failed is not None:
        status[_mask(points_failed, n)] = INVALID
    if decision_failed is not None:
        status[decision_failed] = INVALID
    inexact = None if decision_inexact is None else _mask(decision_inexact, n)
    if points_inexact is not None:
        rows = _mask(points_inexact, n)
        if points_failed is not None:
            rows = rows & ~_mask(points_failed, n)
        if not_applicable is not None:
            rows = rows & ~not_applicable
        inexact = _or(inexact, rows)
    if inexact is not None and decision_failed is not None:
        inexact = inexact & ~decision_failed
    return Outcome(
        status=status,
        points=points,
        inexact=inexact if inexact is not None and inexact.any() else None,
    )


def _select(conditions: list[Compiled | None], ctx: Ctx):
    """The index of the first condition that holds; where one fails or cannot be decided
    before one holds: the rows in ``fail`` / ``unk``; where none holds: ``fail``
    ("no tier applies")."""
    n = ctx.n
    evaluated = [None if c is None else c(ctx) for c in conditions]
    clean = all(e is None or (e.fail is None and e.unk is None) for e in evaluated)
    otherwise = evaluated[-1] is None
    if clean:
        conds = [_mask(e.val, n) for e in evaluated if e is not None]
        choice = np.full(n, len(conds) if otherwise else _NO_TIER)
        for k in range(len(conds) - 1, -1, -1):  # the first that holds wins
            choice = np.where(conds[k], k, choice)
        if not otherwise:
            return choice, _some(choice == _NO_TIER), None
        return choice, None, None
    else:
        choice = np.full(n, _NO_TIER)
        free = np.ones(n, bool)
        for k, e in enumerate(evaluated):
            if e is None:
                choice[free] = k
                free[:] = False
                break
            if e.fail is not None:
                hit = free & _mask(e.fail, n)
                choice[hit] = _ERR
                free &= ~hit
            if e.unk is not None:
                hit = free & _mask(e.unk, n)
                choice[hit] = _UNK
                free &= ~hit
            hit = free & _mask(e.val, n)
            choice[hit] = k
            free &= ~hit
    fail = (choice == _NO_TIER) | (choice == _ERR)
    unk = choice == _UNK
    return choice, (fail if fail.any() else None), (unk if unk.any() else None)


def _some(mask: np.ndarray) -> np.ndarray | None:
    return mask if mask.any() else None


def _int_points(v: VLeaf, choice, fired: list[np.ndarray], places: int, n: int) -> np.ndarray:
    if v.tier_points is None:  # a leaf with no scoring rule: never scored
        return np.zeros(n, np.int64)
    safe = np.where(choice >= 0, choice, 0)
    if v.tier_final is not None:
        return v.tier_final[safe]
    base = v.tier_points[safe]
    totals = {}
    for name in ("bonus", "penalty"):
        terms = (
            (hit, pts)
            for (kind, *_), hit, pts in zip(v.adjustments, fired, v.adj_points, strict=True)
            if kind == name
        )
        cap = v.caps.get(name)
        totals[name] = 0 if cap is None else adjustment_points(terms, cap, SCALED)
    x = leaf_points(base, totals["bonus"], totals["penalty"], v.top_int, SCALED)
    return _quantize_int(x, v.scale, places)


def _quantize(v: V, places: int) -> tuple[np.ndarray, np.ndarray]:
    """Round the non-negative points half-up to ``places``: (units of 10**-places, unk)."""
    scale = 10.0**places
    with np.errstate(all="ignore"):
        s = np.asarray(v.val, dtype=float) * scale
        es = v.bound() * scale + 4.8e-16 * np.abs(s) + 1e-290
        q = np.floor(s + 0.5)
        t = s + 0.5 - q
        decided = (t > es) & (t < 1 - es) & np.isfinite(s) & (np.abs(s) < 2.0**52)
        q = np.where(decided, q, 0.0)
    unk = ~np.broadcast_to(decided, np.shape(q))
    if v.unk is not None:
        unk = unk | v.unk
    return q.astype(np.int64), unk


class _Bounded(Arithmetic, Adjusts):
    """`_points`' arithmetic on float values with error bounds, over the rows of ``ctx``."""

    zero = const(Decimal(0))

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    def const(self, value: Decimal) -> V:
        return const(value)

    def add(self, a: V, b: V) -> V:
        return arith("+", a, b)

    def sub(self, a: V, b: V) -> V:
        return arith("-", a, b)

    def mul(self, a: V, b: V) -> V:
        return arith("*", a, b)

    def div(self, a: V, b: V) -> V:
        return arith("/", a, b)

    def clamp(self, x: V, low: V, high: V) -> V:
        return clamp(x, low, high)

    def add_where(self, hit: np.ndarray, total: V, amount: V) -> V:
        return choose([V(Type.BOOL, hit)], [arith("+", total, amount)], total, self.ctx)

    def minimum(self, a: V, b: V) -> V:
        return minimum(a, b)

    def at_most(self, a: V, b: V) -> V:
        return compare("<=", a, b)

    def at_least(self, a: V, b: V) -> V:
        return compare(">=", a, b)

    def between(self, low: V, x: V, high: V) -> V:
        inside, upper = compare("<=", low, x), compare("<=", x, high)
        # The upper test only matters where the lower one holds.
        unk = _or(inside.unk, None if upper.unk is None else np.logical_and(inside.val, upper.unk))
        return V(Type.BOOL, np.logical_and(inside.val, upper.val), unk=unk)

    def first(self, cases, default: V) -> V:
        return choose([c() for c, _ in cases], [v() for _, v in cases], default, self.ctx)


class _Ops(_Bounded):
    """`rules.VectorOps` over the rows of ``ctx``: a kind's vectorised points."""

    def __init__(self, ctx: Ctx, parts: dict[Expression, Compiled], source: V | None) -> None:
        super().__init__(ctx)
        self.parts = parts
        self.submitted = source

    def part(self, expression: Expression) -> V:
        return self.parts[expression](self.ctx)

    def source(self) -> V:
        assert self.submitted is not None  # the batch gives a sourced kind its column
        return self.submitted

    def equal(self, a: V, b: V) -> V:
        return compare("==", a, b)

    def outside(self, x: V, low: V, high: V) -> V:
        return _union(compare("<", x, low), compare(">", x, high))

    def select(self, when: V, then: V, otherwise: V) -> V:
        return choose([V(Type.BOOL, _mask(when.val, self.ctx.n))], [then], otherwise, self.ctx)


class _Probe:
    """`rules.VectorOps` that computes nothing: running a kind's `vector_score` on it
    compiles the columns it reads (`compile_leaf`). Every case of `first` is built, so
    that a column read only in one is found too."""

    zero = None

    def __init__(self, compile_part: Callable[[Expression], Compiled]) -> None:
        self.compile_part = compile_part
        self.parts: dict[Expression, Compiled] = {}

    def part(self, expression: Expression) -> None:
        if expression not in self.parts:
            self.parts[expression] = self.compile_part(expression)

    def first(
        self, cases: Sequence[tuple[Callable[[], Any], Callable[[], Any]]], default: Any
    ) -> None:
        for condition, value in cases:
            condition()
            value()

    def source(self) -> None:
        return None

    def const(self, value: Decimal) -> None:
        return None

    def add(self, a: Any, b: Any) -> None:
        return None

    def sub(self, a: Any, b: Any) -> None:
        return None

    def mul(self, a: Any, b: Any) -> None:
        return None

    def div(self, a: Any, b: Any) -> None:
        return None

    def equal(self, a: Any, b: Any) -> None:
        return None

    def at_most(self, a: Any, b: Any) -> None:
        return None

    def at_least(self, a: Any, b: Any) -> None:
        return None

    def clamp(self, x: Any, low: Any, high: Any) -> None:
        return None

    def between(self, low: Any, x: Any, high: Any) -> None:
        return None

    def outside(self, x: Any, low: Any, high: Any) -> None:
        return None

    def select(self, when: Any, then: Any, otherwise: Any) -> None:
        return None


def describe(v: VLeaf) -> dict[str, Any]:
    return {"leaf": v.leaf.id, "kind": v.leaf.kind, "mode": v.mode, "why": v.why}
