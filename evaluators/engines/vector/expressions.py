"""Rule expressions compiled to NumPy over columns, with exactness tracked per row.

The exact semantics are Decimal arithmetic at 15 significant digits (`rules.compile`).
Here every number is a float64 together with what we know about it:

- *order-exact* (``err is None``, or ``ex`` true for the row): the float is the double
  nearest a decimal that is the shortest repr of that double (every decimal of at most
  15 significant digits is one). Such values compare with one another exactly as their
  decimals do, so comparisons, ``min``, ``max``, ``in`` and ``==`` are decided exactly;
- otherwise ``err`` bounds ``|float − Decimal|``: each arithmetic step adds the float
  rounding and the Decimal context's 15-digit rounding, and propagates its operands'
  bounds. A comparison is decided only when the two sides are further apart than their
  bounds; a row that cannot be decided is marked *unknown* (``unk``) and the caller
  scores it with the exact closures instead.

Each evaluated node is a `V`: values, error bound, per-row order-exactness, the rows
where the Decimal evaluation raises (``fail``: a missing value, a division by zero, a
round() too large — exact, since it only depends on decided facts) and the unknown rows.
Short-circuits (``and``, ``or``, ``if``) are followed row by row, so a failure on a
branch not taken is not a failure.

Which operators exist, and their types, is the one table `rules.OPERATORS`; this module
only encodes them (`ENCODED`). Constructs the compiler does not handle — an operator of
the table it has no encoding for included — raise `Unsupported`; the caller then scores
the whole leaf with the exact closures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import numpy as np

from rules import OPERATORS, EvaluationError, Expression, RuleError, Type, ast, key_of
from rules import evaluate as _evaluate

__all__ = [
    "ENCODED",
    "Ctx",
    "U",
    "Unsupported",
    "V",
    "arith",
    "choose",
    "clamp",
    "compare",
    "compile_node",
    "const",
    "is_order_exact",
    "maximum",
    "minimum",
]

U = 1.2e-16  # a double's relative rounding error, rounded up
DEC = 1e-14  # twice the Decimal context's relative rounding (15 significant digits)
TINY = 1e-290  # absolute slack for subnormal results


class Unsupported(Exception):
    """The expression has a construct the vector compiler does not handle."""


def is_order_exact(value: Decimal) -> bool:
    """True when ``value`` is the shortest repr of its double (so doubles order it exactly)."""
    _, digits, exponent = value.as_tuple()
    if len(digits) <= 15 and isinstance(exponent, int) and -300 < exponent < 280:
        return True  # at most 15 significant digits, well inside the normal doubles
    try:
        f = float(value)
    except (OverflowError, ValueError):
        return False
    if not np.isfinite(f) or (f == 0 and value != 0):
        return False
    return Decimal(repr(f)) == value


def _or(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a | b


def _and_not(a, b):
    """a & ~b with None meaning all-false."""
    if a is None:
        return None
    if b is None:
        return a
    return a & ~b


@dataclass
class V:
    """One expression evaluated over the rows (values may be scalars: broadcast)."""

    typ: Type
    val: Any
    err: Any = None  # None: every row order-exact; else a bound on |float − Decimal|
    ex: Any = False  # with err set: the rows that are still order-exact
    fail: Any = None  # rows where the Decimal evaluation raises
    unk: Any = None  # rows this evaluation cannot decide

    def bound(self):
        """The error bound as values (order-exact rows: their conversion error)."""
        if self.err is None:
            return U * np.abs(self.val)
        return self.err

    def exact(self):
        return True if self.err is None else self.ex


def const(value: Any) -> V:
    """A constant (already a clean rule value)."""
    if isinstance(value, bool):
        return V(Type.BOOL, value)
    if isinstance(value, Decimal):
        f = float(value)
        if is_order_exact(value):
            return V(Type.NUMBER, f)
        if not np.isfinite(f):
            raise Unsupported("a constant out of the double range")
        return V(Type.NUMBER, f, U * abs(f) + TINY, False)
    if isinstance(value, dt.date):
        return V(Type.DATE, value.toordinal())
    if isinstance(value, str):
        return V(Type.STRING, value)  # resolved to a code by the compiler
    raise Unsupported(f"constant {value!r}")


class Ctx:
    """What compiled expressions read: a column per name for one pass over n rows.

    ``column(key)`` returns (values, available or None, odd or None): ``available``
    false where the name has no clean value (a missing value); ``odd`` true where a
    number's float is not order-exact (those rows become unknown)."""

    n: int

    def column(self, key: str) -> tuple[Any, Any, Any]:  # pragma: no cover
        raise NotImplementedError


Compiled = Callable[[Ctx], V]


def compile_node(
    node: ast.Expr,
    types: Mapping[str, Type],
    codes: Mapping[str, int],
    keys: Mapping[str, str] | None = None,
) -> tuple[Compiled, Type]:
    """A function of a `Ctx` evaluating ``node``: ``types`` gives each name's type,
    ``keys`` the column it reads (default: the name), ``codes`` enum strings' ints."""
    return _Compiler(types, codes, keys or {}).visit(node)


class _Compiler:
    def __init__(
        self, types: Mapping[str, Type], codes: Mapping[str, int], keys: Mapping[str, str]
    ) -> None:
        self.types = types
        self.codes = codes
        self.keys = keys

    def visit(self, node: ast.Expr) -> tuple[Compiled, Type]:
        if not any(isinstance(n, ast.Name) for n in ast.walk(node)):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.Unary | ast.Binary | ast.Compare | ast.BoolOp | ast.Call):
            key = key_of(node)
            encode = _ENCODINGS.get(key) if key in OPERATORS else None
            if encode is None:
                raise Unsupported(f"operator {key!r}")
            return encode(self, node)
        raise Unsupported(type(node).__name__)

    def negation(self, node: ast.Unary) -> tuple[Compiled, Type]:
        inner, _ = self.visit(node.operand)
        return (lambda ctx: arith("neg", inner(ctx))), Type.NUMBER

    def not_(self, node: ast.Unary) -> tuple[Compiled, Type]:
        inner, _ = self.visit(node.operand)
        return (lambda ctx: _not(inner(ctx))), Type.BOOL

    def boolop(self, node: ast.BoolOp) -> tuple[Compiled, Type]:
        left, _ = self.visit(node.left)
        right, _ = self.visit(node.right)
        if node.op == "and":
            return (lambda ctx: _and(left(ctx), right, ctx)), Type.BOOL
        return (lambda ctx: _orop(left(ctx), right, ctx)), Type.BOOL

    def binary(self, node: ast.Binary) -> tuple[Compiled, Type]:
        left, _ = self.visit(node.left)
        right, _ = self.visit(node.right)
        op = node.op
        return (lambda ctx: arith(op, left(ctx), right(ctx))), Type.NUMBER

    def constant(self, node: ast.Expr) -> tuple[Compiled, Type]:
        if isinstance(node, ast.ListLit):
            raise Unsupported("a list outside 'in'")
        try:
            value = _evaluate(node, {})
        except EvaluationError:
            typ = _static_type(node)
            zero = False if typ is Type.BOOL else 0.0
            return (lambda ctx: V(typ, zero, fail=np.ones(ctx.n, bool))), typ
        v = const(value)
        if isinstance(value, str):
            v = V(Type.STRING, self.code(value))
        return (lambda ctx: v), v.typ

    def code(self, text: str) -> int:
        found = self.codes.get(text)
        if found is None:
            raise Unsupported(f"string {text!r} outside the code table")
        return found

    def name(self, name: str) -> tuple[Compiled, Type]:
        typ = self.types.get(name)
        if typ is None or typ is Type.LIST:
            raise Unsupported(f"name {name!r}")
        key = self.keys.get(name, name)

        def lookup(ctx: Ctx) -> V:
            values, available, odd = ctx.column(key)
            fail = None if available is None else ~available
            unk = odd if fail is None or odd is None else odd & available
            return V(typ, values, fail=fail, unk=unk)

        return lookup, typ

    def compare(self, node: ast.Compare) -> tuple[Compiled, Type]:
        left, typ = self.visit(node.left)
        op = node.op
        if op in ("in", "not in"):
            if not isinstance(node.right, ast.ListLit):
                raise Unsupported("'in' without a list literal")
            items = []
            for item in node.right.items:
                fn, item_typ = self.constant(item)
                if item_typ is not typ:
                    raise Unsupported("mixed types in 'in'")
                items.append(fn)

            def member(ctx: Ctx) -> V:  # the checker refuses an empty list
                subject = left(ctx)
                out = compare("==", subject, items[0](ctx))
                for item in items[1:]:
                    out = _union(out, compare("==", subject, item(ctx)))
                return _not(out) if op == "not in" else out

            return member, Type.BOOL
        right, right_typ = self.visit(node.right)
        if right_typ is not typ:
            raise Unsupported("comparison of different types")
        if typ is Type.STRING and op not in ("==", "!="):
            raise Unsupported("ordering of text")
        if typ is Type.BOOL and op not in ("==", "!="):
            raise Unsupported("ordering of booleans")
        return (lambda ctx: compare(op, left(ctx), right(ctx))), Type.BOOL

    def call(self, node: ast.Call) -> tuple[Compiled, Type]:
        if node.func == "if":
            cond, _ = self.visit(node.args[0])
            then, typ = self.visit(node.args[1])
            other, other_typ = self.visit(node.args[2])
            if other_typ is not typ or typ is Type.LIST:
                raise Unsupported("if() branches")

            def branch(ctx: Ctx) -> V:
                c = cond(ctx)
                return choose([c], [then(ctx)], other, ctx, lazy_default=True)

            return branch, typ
        args = [self.visit(a) for a in node.args]
        if any(t is not Type.NUMBER for _, t in args):
            raise Unsupported(f"{node.func}() of non-numbers")
        fns = [f for f, _ in args]
        if node.func in ("min", "max"):
            pick = minimum if node.func == "min" else maximum

            def extreme(ctx: Ctx) -> V:
                values = [f(ctx) for f in fns]
                out = values[0]
                for v in values[1:]:
                    out = pick(out, v)
                return out

            return extreme, Type.NUMBER
        if node.func == "abs":
            fn = fns[0]
            return (lambda ctx: arith("abs", fn(ctx))), Type.NUMBER
        if node.func == "round":
            digits = 0
            if len(node.args) == 2:
                if any(isinstance(n, ast.Name) for n in ast.walk(node.args[1])):
                    raise Unsupported("round() to a computed number of digits")
                try:
                    # the parser allows only a whole number literal here
                    digits = int(cast(Decimal, _evaluate(node.args[1], {})))
                except EvaluationError:
                    raise Unsupported("round() digits") from None
            if not 0 <= digits <= 15:
                raise Unsupported("round() digits out of range")
            fn = fns[0]
            return (lambda ctx: round_half_up(fn(ctx), digits)), Type.NUMBER
        raise Unsupported(f"function {node.func}")


# The table's operators this compiler encodes; any other raises `Unsupported` (the
# exact closures score the leaf). tests/rules/test_operators.py holds it to the table.
_ENCODINGS: dict[str, Callable[[_Compiler, Any], tuple[Compiled, Type]]] = {
    "neg": _Compiler.negation,
    "not": _Compiler.not_,
    "and": _Compiler.boolop,
    "or": _Compiler.boolop,
    **{op: _Compiler.binary for op in ("+", "-", "*", "/")},
    **{op: _Compiler.compare for op in ("==", "!=", "<", "<=", ">", ">=", "in", "not in")},
    **{f: _Compiler.call for f in ("min", "max", "abs", "round", "if")},
}
ENCODED = frozenset(_ENCODINGS)


def _static_type(node: ast.Expr) -> Type:
    """The type of a constant tree whose value cannot be computed, by the operators'
    own type rules (the type checker)."""
    try:
        return Expression.from_ast(node, {}).type
    except RuleError:
        raise Unsupported("a constant the type checker refuses") from None


# -- booleans --------------------------------------------------------------------------


def _not(v: V) -> V:
    return V(Type.BOOL, np.logical_not(v.val), None, False, v.fail, v.unk)


def _settled(v: V):
    """Rows where ``v`` neither fails nor is unknown (None: all rows)."""
    bad = _or(v.fail, v.unk)
    return None if bad is None else ~bad


def _and(left: V, right_fn: Compiled, ctx: Ctx) -> V:
    # right is evaluated where left is settled and true
    right = right_fn(ctx)
    go = _mask_and(left.val, _settled(left))
    val = np.logical_and(left.val, right.val)
    fail = _or(left.fail, _mask_and_opt(go, right.fail))
    unk = _or(_and_not(left.unk, left.fail), _mask_and_opt(go, right.unk))
    return V(Type.BOOL, val, fail=fail, unk=_and_not(unk, fail))


def _orop(left: V, right_fn: Compiled, ctx: Ctx) -> V:
    right = right_fn(ctx)
    go = _mask_and(np.logical_not(left.val), _settled(left))
    val = np.logical_or(left.val, right.val)
    fail = _or(left.fail, _mask_and_opt(go, right.fail))
    unk = _or(_and_not(left.unk, left.fail), _mask_and_opt(go, right.unk))
    return V(Type.BOOL, val, fail=fail, unk=_and_not(unk, fail))


def _mask_and(a, b):
    return a if b is None else np.logical_and(a, b)


def _mask_and_opt(a, b):
    """a & b where b may be None (all-false)."""
    if b is None:
        return None
    return np.logical_and(a, b)


def _union(a: V, b: V) -> V:
    """``a or b`` evaluating both (for 'in': every item is compared)."""
    fail = _or(a.fail, b.fail)
    unk = _and_not(_or(a.unk, b.unk), fail)
    return V(Type.BOOL, np.logical_or(a.val, b.val), fail=fail, unk=unk)


# -- comparisons -----------------------------------------------------------------------

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def compare(op: str, a: V, b: V) -> V:
    """``a op b`` (both evaluated, as the Decimal evaluation does)."""
    fail = _or(a.fail, b.fail)
    unk = _or(a.unk, b.unk)
    val = _OPS[op](a.val, b.val)
    if a.typ is Type.NUMBER and (a.err is not None or b.err is not None):
        exact = np.logical_and(a.exact(), b.exact())
        with np.errstate(invalid="ignore", over="ignore"):
            tol = a.bound() + b.bound() + 4 * U * (np.abs(a.val) + np.abs(b.val)) + TINY
            close = ~(np.abs(np.subtract(a.val, b.val)) > tol)  # NaN → close
        unk = _or(unk, np.logical_and(close, np.logical_not(exact)))
    return V(Type.BOOL, val, fail=fail, unk=_and_not(unk, fail))


# -- numbers ---------------------------------------------------------------------------


def arith(op: str, a: V, b: V | None = None) -> V:
    """A Decimal operation's result in float with its error bound (see the module doc)."""
    ea = a.bound()
    fail = a.fail if b is None else _or(a.fail, b.fail)
    unk = a.unk if b is None else _or(a.unk, b.unk)
    with np.errstate(all="ignore"):
        if op in ("neg", "abs"):
            r = np.negative(a.val) if op == "neg" else np.abs(a.val)
            prop = ea
        else:
            assert b is not None
            eb = b.bound()
            x, y = a.val, b.val
            if op == "+":
                r, prop = np.add(x, y), ea + eb
            elif op == "-":
                r, prop = np.subtract(x, y), ea + eb
            elif op == "*":
                r = np.multiply(x, y)
                prop = np.abs(x) * eb + np.abs(y) * ea + ea * eb
            else:
                zero = np.logical_and(np.equal(y, 0), b.exact())  # the Decimal divisor is 0
                settled = np.abs(y) > eb
                unk = _or(unk, np.logical_not(np.logical_or(zero, settled)))
                fail = _or(fail, _and_not(zero, _or(a.fail, b.fail)))
                ay = np.abs(y)
                r = np.divide(x, np.where(zero, 1.0, y))
                prop = (np.abs(x) * eb + ay * ea) / np.where(settled, ay * (ay - eb), 1.0)
        ar = np.abs(r)
        err = prop * (1 + 1e-9) + DEC * (ar + prop) + U * ar + TINY
        finite = np.isfinite(r) & np.isfinite(err)
    if not np.all(finite):
        unk = _or(unk, np.logical_not(finite))
    return V(Type.NUMBER, r, err, False, fail, _and_not(unk, fail))


def round_half_up(a: V, digits: int) -> V:
    """Decimal ``quantize(10**-digits, ROUND_HALF_UP)``; the result is order-exact."""
    scale = 10.0**digits
    with np.errstate(all="ignore"):
        s = np.abs(a.val) * scale
        es = a.bound() * scale + 4 * U * s + TINY
        q = np.floor(s + 0.5)
        t = s + 0.5 - q
        decided = (t > es) & (t < 1 - es) & (s + es < 1e15 - 1)
        r = np.copysign(q, a.val) / scale
        big = s - es >= 1e15  # the quantized coefficient has more than 15 digits
    fail = _or(a.fail, _and_not(big, a.fail) if np.any(big) else None)
    unk = _or(a.unk, np.logical_not(decided) & ~big)
    r = np.where(np.isfinite(r), r, 0.0)
    return V(Type.NUMBER, r, U * np.abs(r) + TINY, True, fail, _and_not(unk, fail))


def minimum(a: V, b: V) -> V:
    return _extreme(np.minimum, a, b)


def maximum(a: V, b: V) -> V:
    return _extreme(np.maximum, a, b)


def _extreme(fn, a: V, b: V) -> V:
    fail = _or(a.fail, b.fail)
    unk = _and_not(_or(a.unk, b.unk), fail)
    val = fn(a.val, b.val)
    if a.err is None and b.err is None:
        return V(Type.NUMBER, val, fail=fail, unk=unk)
    exact = np.logical_and(a.exact(), b.exact())
    return V(Type.NUMBER, val, np.maximum(a.bound(), b.bound()), exact, fail, unk)


def clamp(v: V, low: V, high: V) -> V:
    """``min(high, max(low, v))`` as the scoring does it."""
    return minimum(high, maximum(low, v))


def choose(
    conds: list[V], branches: list[V], default: V | Compiled, ctx: Ctx, *, lazy_default=False
) -> V:
    """The branch of the first condition that holds (else ``default``), as if/elif/else:
    a failing or unknown condition makes the row fail or unknown; only the chosen
    branch's failures count."""
    n = ctx.n
    other = default(ctx) if lazy_default and callable(default) else default
    assert isinstance(other, V)
    typ = other.typ
    taken = np.zeros(n, bool)
    fail = np.zeros(n, bool)
    unk = np.zeros(n, bool)
    vals, errs, exs, picks = [], [], [], []
    for c, b in zip(conds, branches, strict=True):
        free = ~taken
        if c.fail is not None:
            fail |= free & c.fail
        if c.unk is not None:
            unk |= free & c.unk & ~fail
        settled = free & ~fail & ~unk
        pick = settled & np.asarray(np.broadcast_to(c.val, (n,)), bool)
        if b.fail is not None:
            fail |= pick & b.fail
        if b.unk is not None:
            unk |= pick & b.unk
        picks.append(pick)
        taken = taken | pick | (free & (fail | unk))
        vals.append(b.val)
        errs.append(b.bound() if typ is Type.NUMBER else 0.0)
        exs.append(b.exact() if typ is Type.NUMBER else True)
    rest = ~taken
    if other.fail is not None:
        fail |= rest & other.fail
    if other.unk is not None:
        unk |= rest & other.unk
    val = np.select(
        picks, [np.broadcast_to(x, (n,)) for x in vals], np.broadcast_to(other.val, (n,))
    )
    if typ is not Type.NUMBER:
        return V(typ, val, fail=_any_or_none(fail), unk=_any_or_none(unk & ~fail))
    if all(b.err is None for b in branches) and other.err is None:
        return V(typ, val, fail=_any_or_none(fail), unk=_any_or_none(unk & ~fail))
    err = np.select(
        picks, [np.broadcast_to(e, (n,)) for e in errs], np.broadcast_to(other.bound(), (n,))
    )
    ex = np.select(
        picks, [np.broadcast_to(e, (n,)) for e in exs], np.broadcast_to(other.exact(), (n,))
    )
    return V(typ, val, err, ex, _any_or_none(fail), _any_or_none(unk & ~fail))


def _any_or_none(mask):
    return mask if mask.any() else None
