"""The one table of the expression language's operators and functions.

Each `Operator` says, once, everything parindex knows about an operator:

- how it is written: its spelling, binding power or number of arguments, the symbol
  shown to people — read by the lexer, the parser and the renderer
  (`rules._lexer`, `rules._parser`, `rules._render`);
- its type rule, run by the type checker (`rules._checker`);
- its exact semantics over clean values (Decimal at `PRECISION` digits under
  `CONTEXT`, bool, NFC text, dates, tuples), run by the compiled closures
  (`rules.compile`, the evaluator) and by the tree-walking oracle
  (`rules._interpreter`), and the errors it may raise. Arithmetic signals are mapped to
  words by `arithmetic_message`, whichever engine meets them;
- optionally, what the static analyses know of it: the bounds of its value from its
  operands' (`rules._intervals`), and where a condition made with it holds
  (`rules._tiers_exact`). Without these an analysis knows nothing of the operator and
  says so (no range; the tier check samples instead) — never a wrong answer.

The vectorised and durable-rules engines keep their own encodings (NumPy with error
bounds, JSON tests), but look operators up here: a key they do not encode is refused
(`Unsupported`, falling back to the exact closures) or computed in Python by the
closures — never guessed. `tests/evaluators/test_operators.py` runs every entry on every
engine, and registers a new operator and a new function with `register_operator` to show
that one entry is all the language needs.

Keys: the operator as written (``+``, ``<=``, ``not in``, ``and``), the function name
(``min``, ``round``), and ``neg`` for the unary minus (``-`` is the subtraction).
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Protocol

from rules import ast
from rules._interval_sets import (
    Bound,
    Interval,
    IntervalSet,
    added,
    corners,
    highest,
    lowest,
    negated,
)
from rules._numbers import PRECISION
from rules.errors import EvaluationError
from rules.types import Type

__all__ = [
    "ADD",
    "AND",
    "BUILT_IN",
    "COMPARE",
    "CONTEXT",
    "DIVISION_BY_ZERO",
    "LITERAL_FUNCTIONS",
    "MUL",
    "NEG",
    "NOT",
    "OPERATORS",
    "OPERATOR_NODES",
    "OR",
    "ROUND_TOO_LARGE",
    "Checking",
    "Operator",
    "Ranging",
    "Satisfying",
    "Typed",
    "arithmetic_message",
    "functions",
    "infix_operators",
    "key_of",
    "operator_of",
    "prefix_operators",
    "register_operator",
    "registered_in",
]

# Every signal that means "this result is not the number the rule describes" traps:
# besides overflow and invalid operations, a result too small to keep its digits
# (underflow) or whose exponent had to be changed (clamped) — never a silent zero.
CONTEXT = decimal.Context(
    prec=PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.Underflow,
        decimal.Clamped,
    ],
)

DIVISION_BY_ZERO = "division by zero"
ROUND_TOO_LARGE = "round() result is too large"


def arithmetic_message(exc: ArithmeticError) -> str:
    """The one message for an arithmetic failure under `CONTEXT`, whichever evaluator
    meets it (the compiled closures, the oracle, durable-rules fields, the scoring of
    proportional rules), so every engine reports it in the same words as an
    `EvaluationError`."""
    if isinstance(exc, decimal.DivisionByZero | ZeroDivisionError):
        return DIVISION_BY_ZERO
    if isinstance(exc, decimal.Overflow | OverflowError):
        return "lỗi tính toán: kết quả quá lớn (vượt quá 1e999999)"
    if isinstance(exc, decimal.Underflow | decimal.Clamped | decimal.Subnormal):
        return "lỗi tính toán: kết quả quá nhỏ (dưới 1e-999999)"
    return "lỗi tính toán: phép tính không xác định"


# -- types ---------------------------------------------------------------------------

_ORDERED = (Type.NUMBER, Type.DATE)


@dataclass(frozen=True)
class Typed:
    """A type plus, for lists, the element type (None when unknown)."""

    type: Type
    elem: Type | None = None

    def __str__(self) -> str:
        if self.type is Type.LIST and self.elem is not None:
            return f"list of {self.elem}"
        return str(self.type)


class Checking(Protocol):
    """What a type rule asks of the type checker walking the tree."""

    def visit(self, node: ast.Expr) -> Typed: ...

    def want(self, node: ast.Expr, expected: Type, message: str) -> None: ...

    def fail(
        self,
        message: str,
        node: ast.Expr,
        *,
        token: str | None = None,
        suggestion: str | None = None,
    ) -> Exception: ...

    def check_membership(self, node: ast.Compare, left: Typed, right: Typed) -> None: ...

    def check_choice(self, subject: ast.Expr, literal: ast.Expr) -> None: ...

    def check_divisor(self, node: ast.Binary) -> None: ...


TypeRule = Callable[[Checking, Any], Typed]

# The node classes that spell an operator of the table (the others are literals, names
# and lists): the shape of its syntax — prefix (Unary), infix (Binary, Compare, which
# never chains, and BoolOp) or a function call (Call).
OperatorNode = ast.Unary | ast.Binary | ast.Compare | ast.BoolOp | ast.Call
OPERATOR_NODES = (ast.Unary, ast.Binary, ast.Compare, ast.BoolOp, ast.Call)


def _negation(c: Checking, node: ast.Unary) -> Typed:
    c.want(node.operand, Type.NUMBER, "unary '-' needs a number operand, got {got}")
    return Typed(Type.NUMBER)


def _not(c: Checking, node: ast.Unary) -> Typed:
    c.want(node.operand, Type.BOOL, "'not' needs a bool operand, got {got}")
    return Typed(Type.BOOL)


def _arithmetic(c: Checking, node: ast.Binary) -> Typed:
    message = f"{node.op!r} needs number operands, got {{got}}"
    c.want(node.left, Type.NUMBER, message)
    c.want(node.right, Type.NUMBER, message)
    return Typed(Type.NUMBER)


def _division(c: Checking, node: ast.Binary) -> Typed:
    result = _arithmetic(c, node)
    c.check_divisor(node)
    return result


def _logical(c: Checking, node: ast.BoolOp) -> Typed:
    message = f"{node.op!r} needs bool operands, got {{got}}"
    c.want(node.left, Type.BOOL, message)
    c.want(node.right, Type.BOOL, message)
    return Typed(Type.BOOL)


def _comparison(c: Checking, node: ast.Compare) -> Typed:
    left, right = c.visit(node.left), c.visit(node.right)
    if Type.LIST in (left.type, right.type):
        raise c.fail(f"cannot compare {left} with {right} using {node.op!r}", node)
    if left.type is not right.type:
        raise c.fail(f"cannot compare {left} with {right}", node, token=node.op)
    if node.op not in ("==", "!=") and left.type not in _ORDERED:
        raise c.fail(
            f"{node.op!r} needs numbers or dates, got {left}",
            node,
            token=node.op,
            suggestion="use == or != for text and true/false values",
        )
    if left.type is Type.STRING:
        c.check_choice(node.left, node.right)
        c.check_choice(node.right, node.left)
    return Typed(Type.BOOL)


def _membership(c: Checking, node: ast.Compare) -> Typed:
    c.check_membership(node, c.visit(node.left), c.visit(node.right))
    return Typed(Type.BOOL)


def _numeric_call(c: Checking, node: ast.Call) -> Typed:
    for arg in node.args:
        got = c.visit(arg)
        if got.type is not Type.NUMBER:
            raise c.fail(f"{node.func}() needs number arguments, got {got}", arg)
    return Typed(Type.NUMBER)


def _conditional(c: Checking, node: ast.Call) -> Typed:
    cond, then, other = node.args
    c.want(cond, Type.BOOL, "if() condition must be bool, got {got}")
    a, b = c.visit(then), c.visit(other)
    if a != b:
        raise c.fail(f"if() branches must have the same type, got {a} and {b}", node)
    return a


# -- semantics -----------------------------------------------------------------------
# Strict operators take their operands' values. Lazy ones (and, or, if) are combinators:
# they take one evaluator per operand (a function of the evaluation's context) and
# return the evaluator of the whole, calling only the operands they need — the compiled
# closures pass their closures (so the result is itself a closure, at no extra cost),
# the oracle functions that walk the operand's tree.
# Both may raise ArithmeticError (the caller maps it with `arithmetic_message`) or an
# `EvaluationError` carrying the operator's own token.

Evaluator = Callable[[Any], Any]


def _divide(a: Decimal, b: Decimal) -> Decimal:
    if b == 0:
        raise EvaluationError(DIVISION_BY_ZERO, token="/")
    return a / b


def _round(x: Decimal, digits: Decimal = Decimal(0)) -> Decimal:
    try:
        return x.quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)
    except ArithmeticError:
        raise EvaluationError(ROUND_TOO_LARGE, token="round") from None


def _and(left: Evaluator, right: Evaluator) -> Evaluator:
    # Short-circuit: the right side may refer to a value that is legitimately absent
    # when the left side already decides.
    return lambda ctx: right(ctx) if left(ctx) else False


def _or(left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda ctx: True if left(ctx) else right(ctx)


def _if(cond: Evaluator, then: Evaluator, other: Evaluator) -> Evaluator:
    return lambda ctx: then(ctx) if cond(ctx) else other(ctx)


def _min(*args: Any) -> Any:
    return min(args)


def _max(*args: Any) -> Any:
    return max(args)


# -- syntax --------------------------------------------------------------------------
# Binding powers, low → high: an operator holds operands that bind tighter than itself
# without brackets. `not` sits between `and` and comparisons. Spaced out, so that a new
# operator can be put between two of them.
OR, AND, NOT, COMPARE, ADD, MUL, NEG = 10, 20, 30, 40, 50, 60, 70

# Functions the parser reads as literals, not operators: `date("2024-12-31")`.
LITERAL_FUNCTIONS: dict[str, tuple[int, int | None]] = {"date": (1, 1)}

ArgumentsRule = Callable[[tuple[ast.Expr, ...]], tuple[ast.Expr, str] | None]


def _round_digits(args: tuple[ast.Expr, ...]) -> tuple[ast.Expr, str] | None:
    # a number of digits that varies would make the result's precision vary by unit
    if len(args) < 2:
        return None
    digits = args[1]
    number = digits.value if isinstance(digits, ast.Number) and not digits.percent else None
    if number is None or number < 0 or number != number.to_integral_value():
        return digits, "round() digits must be a whole number literal ≥ 0"
    return None


# -- ranges --------------------------------------------------------------------------
# The bounds of an operator's value from its operands' (interval arithmetic, under a
# wide context set by the walk): the true range lies within them.


class Ranging(Protocol):
    """What a range rule asks of the walk (`rules._intervals`): the bounds of an
    operand, raising when they are unknown."""

    def bounds(self, node: ast.Expr) -> Bound: ...


RangeRule = Callable[[Ranging, Any], Bound]


def _negation_bounds(r: Ranging, node: ast.Unary) -> Bound:
    lo, hi = r.bounds(node.operand)
    return negated(hi), negated(lo)


def _sum_bounds(r: Ranging, node: ast.Binary) -> Bound:
    (a_lo, a_hi), (b_lo, b_hi) = r.bounds(node.left), r.bounds(node.right)
    return added(a_lo, b_lo), added(a_hi, b_hi)


def _difference_bounds(r: Ranging, node: ast.Binary) -> Bound:
    (a_lo, a_hi), (b_lo, b_hi) = r.bounds(node.left), r.bounds(node.right)
    return added(a_lo, negated(b_hi)), added(a_hi, negated(b_lo))


def _product_bounds(r: Ranging, node: ast.Binary) -> Bound:
    return corners(r.bounds(node.left), r.bounds(node.right), operator.mul)


def _quotient_bounds(r: Ranging, node: ast.Binary) -> Bound:
    a, b = r.bounds(node.left), r.bounds(node.right)
    lo, hi = b
    if (lo is None or lo <= 0) and (hi is None or hi >= 0):
        return None, None  # a divisor that can be 0 makes the quotient unbounded
    return corners(a, b, operator.truediv)


def _min_bounds(r: Ranging, node: ast.Call) -> Bound:
    args = [r.bounds(arg) for arg in node.args]
    his = [hi for _, hi in args]
    known = [hi for hi in his if hi is not None]
    return lowest(*(lo for lo, _ in args)), (None if len(known) < len(his) else min(known))


def _max_bounds(r: Ranging, node: ast.Call) -> Bound:
    args = [r.bounds(arg) for arg in node.args]
    los = [lo for lo, _ in args]
    known = [lo for lo in los if lo is not None]
    return (None if len(known) < len(los) else max(known)), highest(*(hi for _, hi in args))


def _abs_bounds(r: Ranging, node: ast.Call) -> Bound:
    lo, hi = r.bounds(node.args[0])
    if lo is not None and lo >= 0:
        return lo, hi
    if hi is not None and hi <= 0:
        return negated(hi), negated(lo)
    return Decimal(0), None if lo is None or hi is None else max(-lo, hi)


def _round_bounds(r: Ranging, node: ast.Call) -> Bound:
    lo, hi = r.bounds(node.args[0])
    digits = node.args[1] if len(node.args) == 2 else None
    places = int(digits.value) if isinstance(digits, ast.Number) else 0
    half = Decimal(5).scaleb(-places - 1)  # half-up moves a value at most this far
    return added(lo, -half), added(hi, half)


def _if_bounds(r: Ranging, node: ast.Call) -> Bound:
    (a_lo, a_hi), (b_lo, b_hi) = r.bounds(node.args[1]), r.bounds(node.args[2])
    return lowest(a_lo, b_lo), highest(a_hi, b_hi)


# -- where a condition holds ---------------------------------------------------------
# The exact tier analysis (`rules._tiers_exact`) computes, for a condition over one
# numeric input (the axis), the set of the axis's values where it holds. Connectives
# combine their operands' sets (`truth`); a comparison of the axis with constants says
# where ``x op constants`` holds (`where`: one constant, or a list's items), and
# ``flipped`` is the comparison with its sides swapped (``c < x`` is ``x > c``).


class Satisfying(Protocol):
    """What a truth rule asks of the analysis: where an operand holds."""

    def sat(self, node: ast.Expr) -> IntervalSet: ...


TruthRule = Callable[[Satisfying, Any], IntervalSet]
WhereRule = Callable[[tuple[Decimal, ...]], IntervalSet]


def _not_truth(s: Satisfying, node: ast.Unary) -> IntervalSet:
    return s.sat(node.operand).complement()


def _and_truth(s: Satisfying, node: ast.BoolOp) -> IntervalSet:
    return s.sat(node.left).intersect(s.sat(node.right))


def _or_truth(s: Satisfying, node: ast.BoolOp) -> IntervalSet:
    return s.sat(node.left).union(s.sat(node.right))


def _if_truth(s: Satisfying, node: ast.Call) -> IntervalSet:
    cond, then, other = (s.sat(arg) for arg in node.args)
    return cond.intersect(then).union(cond.complement().intersect(other))


def _points(values: tuple[Decimal, ...]) -> IntervalSet:
    return IntervalSet(Interval(v, v) for v in values)


def _below(closed: bool) -> WhereRule:
    return lambda values: IntervalSet([Interval(None, values[0], False, closed)])


def _above(closed: bool) -> WhereRule:
    return lambda values: IntervalSet([Interval(values[0], None, closed, False)])


# -- the table -----------------------------------------------------------------------


@dataclass(frozen=True)
class Operator:
    """One operator or function of the expression language. The first four facets are
    needed; the others have defaults that mean "nothing special" or "not known"."""

    key: str
    node: type[OperatorNode]  # the shape of its syntax (see OPERATOR_NODES)
    type_rule: TypeRule
    apply: Callable[..., Any]  # the exact semantics (see above)
    lazy: bool = False  # `apply` is a combinator of operand evaluators (short-circuits)
    # The errors it may raise from clean operands, as engines report them (its own, or
    # `arithmetic_message`'s words for a Decimal signal, as ``x mod 0`` would raise): an
    # engine that decides beforehand what may fail (durable-rules) expects only these.
    errors: tuple[str, ...] = ()
    # How it is written. An operator's spelling is its key unless `symbol` says
    # otherwise (the unary minus is keyed "neg", written "-"); words are keywords,
    # several words are written as several tokens ("not in").
    symbol: str | None = None
    precedence: int = 0  # binding power of a prefix or infix operator (OR … NEG)
    arity: tuple[int, int | None] = (1, 1)  # a function's least and most arguments
    display: str | None = None  # the symbol people read (≥), read back as a synonym
    check_arguments: ArgumentsRule | None = None  # a function's own syntax rules
    # What the static analyses know of it (see the sections above).
    bounds: RangeRule | None = None
    truth: TruthRule | None = None
    where: WhereRule | None = None
    flipped: str | None = None

    @property
    def spelling(self) -> str:
        """As written in a rule (a function: its name)."""
        return self.symbol or self.key

    @property
    def word(self) -> bool:
        """Whether it is written with letters (keywords, set apart by spaces)."""
        return _is_word(self.spelling)


def _is_word(text: str) -> bool:
    return text[:1].isalpha() or text[:1] == "_"


_TABLE = (
    Operator(
        "neg",
        ast.Unary,
        _negation,
        operator.neg,
        symbol="-",
        precedence=NEG,
        bounds=_negation_bounds,
    ),
    Operator("not", ast.Unary, _not, operator.not_, precedence=NOT, truth=_not_truth),
    Operator("+", ast.Binary, _arithmetic, operator.add, precedence=ADD, bounds=_sum_bounds),
    Operator("-", ast.Binary, _arithmetic, operator.sub, precedence=ADD, bounds=_difference_bounds),
    Operator("*", ast.Binary, _arithmetic, operator.mul, precedence=MUL, bounds=_product_bounds),
    Operator(
        "/",
        ast.Binary,
        _division,
        _divide,
        errors=(DIVISION_BY_ZERO,),
        precedence=MUL,
        bounds=_quotient_bounds,
    ),
    Operator("and", ast.BoolOp, _logical, _and, lazy=True, precedence=AND, truth=_and_truth),
    Operator("or", ast.BoolOp, _logical, _or, lazy=True, precedence=OR, truth=_or_truth),
    Operator(
        "==",
        ast.Compare,
        _comparison,
        operator.eq,
        precedence=COMPARE,
        where=_points,
        flipped="==",
    ),
    Operator(
        "!=",
        ast.Compare,
        _comparison,
        operator.ne,
        precedence=COMPARE,
        display="≠",
        where=lambda values: _points(values).complement(),
        flipped="!=",
    ),
    Operator(
        "<",
        ast.Compare,
        _comparison,
        operator.lt,
        precedence=COMPARE,
        where=_below(closed=False),
        flipped=">",
    ),
    Operator(
        "<=",
        ast.Compare,
        _comparison,
        operator.le,
        precedence=COMPARE,
        display="≤",
        where=_below(closed=True),
        flipped=">=",
    ),
    Operator(
        ">",
        ast.Compare,
        _comparison,
        operator.gt,
        precedence=COMPARE,
        where=_above(closed=False),
        flipped="<",
    ),
    Operator(
        ">=",
        ast.Compare,
        _comparison,
        operator.ge,
        precedence=COMPARE,
        display="≥",
        where=_above(closed=True),
        flipped="<=",
    ),
    Operator(
        "in",
        ast.Compare,
        _membership,
        lambda a, b: a in b,
        precedence=COMPARE,
        where=_points,
    ),
    Operator(
        "not in",
        ast.Compare,
        _membership,
        lambda a, b: a not in b,
        precedence=COMPARE,
        where=lambda values: _points(values).complement(),
    ),
    Operator("min", ast.Call, _numeric_call, _min, arity=(2, None), bounds=_min_bounds),
    Operator("max", ast.Call, _numeric_call, _max, arity=(2, None), bounds=_max_bounds),
    Operator("abs", ast.Call, _numeric_call, operator.abs, bounds=_abs_bounds),
    Operator(
        "round",
        ast.Call,
        _numeric_call,
        _round,
        errors=(ROUND_TOO_LARGE,),
        arity=(1, 2),
        check_arguments=_round_digits,
        bounds=_round_bounds,
    ),
    Operator(
        "if",
        ast.Call,
        _conditional,
        _if,
        lazy=True,
        arity=(3, 3),
        bounds=_if_bounds,
        truth=_if_truth,
    ),
)

# The language: every part reads its operators from here when it runs, so an operator
# registered later (`register_operator`) is known everywhere at once.
OPERATORS: dict[str, Operator] = {op.key: op for op in _TABLE}
BUILT_IN: Mapping[str, Operator] = MappingProxyType(dict(OPERATORS))

_LITERAL_WORDS = ("true", "false")


def register_operator(op: Operator, *, replace: bool = False) -> Operator:
    """Add ``op`` to the language — lexer, parser, renderer, type checker, every engine
    (an engine without an encoding of its own computes it with the exact closures) and,
    if ``op`` says how, the static analyses. Returns ``op``; refuses an entry that
    cannot be written unambiguously."""
    if op.key in OPERATORS and OPERATORS[op.key] is not op and not replace:
        raise ValueError(f"operator {op.key!r} is already registered")
    problem = _problem(op)
    if problem is not None:
        raise ValueError(f"operator {op.key!r}: {problem}")
    OPERATORS[op.key] = op
    return op


def registered_in(tree: ast.Expr) -> tuple[Operator, ...]:
    """The registered entries beyond the built-in table that ``tree`` uses: a process
    that receives the tree (an engine's worker) must learn them with it."""
    found: dict[str, Operator] = {}
    for node in ast.walk(tree):
        if isinstance(node, OPERATOR_NODES):
            op = OPERATORS.get(key_of(node))
            if op is not None and op is not BUILT_IN.get(op.key):
                found[op.key] = op
    return tuple(found.values())


def _problem(op: Operator) -> str | None:
    if op.node not in OPERATOR_NODES:
        return "its node must be one of " + ", ".join(n.__name__ for n in OPERATOR_NODES)
    if op.node is ast.Call:
        low, high = op.arity
        if not op.key.isidentifier() or op.key != op.key.lower() or op.symbol is not None:
            return "a function is named by a lower-case identifier, its key"
        if op.key in LITERAL_FUNCTIONS or op.key in _LITERAL_WORDS or low < 0:
            return "a function needs a free name and a number of arguments ≥ 0"
        if high is not None and high < low:
            return "a function's most arguments cannot be fewer than its least"
        return None
    if op.precedence < 1:
        return "a prefix or infix operator needs a binding power (precedence ≥ 1)"
    if any(word in _LITERAL_WORDS for word in op.spelling.split(" ")):
        return "true and false are values, not operators"
    if op.display is not None and _is_word(op.display):
        return "a display symbol is not a word"
    same_shape = prefix_operators() if op.node is ast.Unary else infix_operators()
    clash = same_shape.get(op.spelling)
    if clash is not None and clash.key != op.key:
        return f"{op.spelling!r} already spells {clash.key!r}"
    return None


def prefix_operators() -> dict[str, Operator]:
    """Prefix operators by spelling (``-``, ``not``)."""
    return {op.spelling: op for op in OPERATORS.values() if op.node is ast.Unary}


def infix_operators() -> dict[str, Operator]:
    """Infix operators by spelling (``+``, ``<=``, ``not in``, ``and``)."""
    return {
        op.spelling: op
        for op in OPERATORS.values()
        if op.node is not ast.Unary and op.node is not ast.Call
    }


def functions() -> dict[str, Operator]:
    """Functions by name, in the table's order."""
    return {op.key: op for op in OPERATORS.values() if op.node is ast.Call}


def key_of(node: OperatorNode) -> str:
    """The table key of an operator node."""
    if isinstance(node, ast.Call):
        return node.func
    if isinstance(node, ast.Unary):
        # the first prefix entry so spelled (no dict built: the oracle asks per node)
        for op in OPERATORS.values():
            if op.node is ast.Unary and op.spelling == node.op:
                return op.key
    return node.op


def operator_of(node: OperatorNode) -> Operator:
    """The table entry of an operator node; a node the table does not know is a bug of
    the parser, refused here rather than evaluated by a guess."""
    found = OPERATORS.get(key_of(node))
    if found is None or not isinstance(node, found.node):
        raise EvaluationError(f"unknown operator {key_of(node)!r}", token=key_of(node))
    return found
