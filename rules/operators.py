"""The one table of the expression language's operators and functions.

Each `Operator` says, once, what an operator means: its type rule (run by the type
checker, `rules._checker`), its exact semantics over clean values (Decimal at
`PRECISION` digits under `CONTEXT`, bool, NFC text, dates, tuples) run by the compiled
closures (`rules.compile`, the evaluator) and by the tree-walking oracle
(`rules._interpreter`), and the errors it may raise. Arithmetic signals are mapped to
words by `arithmetic_message`, whichever engine meets them.

The vectorised and durable-rules engines keep their own encodings (NumPy with error
bounds, JSON tests), but look operators up here: a key they do not encode is refused
(`Unsupported`, falling back to the exact closures) or computed in Python by the
closures — never guessed. `tests/rules/test_operators.py` runs every entry on every
engine.

Keys: the operator as written (``+``, ``<=``, ``not in``, ``and``), the function name
(``min``, ``round``), and ``neg`` for the unary minus (``-`` is the subtraction).
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from rules import ast
from rules._numbers import PRECISION
from rules.errors import EvaluationError
from rules.types import Type

__all__ = [
    "CONTEXT",
    "DIVISION_BY_ZERO",
    "OPERATORS",
    "OPERATOR_NODES",
    "ROUND_TOO_LARGE",
    "Checking",
    "Operator",
    "Typed",
    "arithmetic_message",
    "key_of",
    "operator_of",
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


@dataclass(frozen=True)
class Operator:
    """One operator or function of the expression language."""

    key: str
    node: type  # the AST node class that spells it
    type_rule: TypeRule
    apply: Callable[..., Any]  # the exact semantics (see above)
    lazy: bool = False  # `apply` is a combinator of operand evaluators (short-circuits)
    # Errors of its own besides the arithmetic signals (which `arithmetic_message`
    # words): an engine computing it must expect these even from clean operands.
    errors: tuple[str, ...] = ()


_TABLE = (
    Operator("neg", ast.Unary, _negation, operator.neg),
    Operator("not", ast.Unary, _not, operator.not_),
    Operator("+", ast.Binary, _arithmetic, operator.add),
    Operator("-", ast.Binary, _arithmetic, operator.sub),
    Operator("*", ast.Binary, _arithmetic, operator.mul),
    Operator("/", ast.Binary, _division, _divide, errors=(DIVISION_BY_ZERO,)),
    Operator("and", ast.BoolOp, _logical, _and, lazy=True),
    Operator("or", ast.BoolOp, _logical, _or, lazy=True),
    Operator("==", ast.Compare, _comparison, operator.eq),
    Operator("!=", ast.Compare, _comparison, operator.ne),
    Operator("<", ast.Compare, _comparison, operator.lt),
    Operator("<=", ast.Compare, _comparison, operator.le),
    Operator(">", ast.Compare, _comparison, operator.gt),
    Operator(">=", ast.Compare, _comparison, operator.ge),
    Operator("in", ast.Compare, _membership, lambda a, b: a in b),
    Operator("not in", ast.Compare, _membership, lambda a, b: a not in b),
    Operator("min", ast.Call, _numeric_call, _min),
    Operator("max", ast.Call, _numeric_call, _max),
    Operator("abs", ast.Call, _numeric_call, operator.abs),
    Operator("round", ast.Call, _numeric_call, _round, errors=(ROUND_TOO_LARGE,)),
    Operator("if", ast.Call, _conditional, _if, lazy=True),
)

OPERATORS: Mapping[str, Operator] = {op.key: op for op in _TABLE}


# The node classes that spell an operator of the table (the others are literals, names
# and lists).
OPERATOR_NODES = (ast.Unary, ast.Binary, ast.Compare, ast.BoolOp, ast.Call)


def key_of(node: ast.Unary | ast.Binary | ast.Compare | ast.BoolOp | ast.Call) -> str:
    """The table key of an operator node."""
    if isinstance(node, ast.Call):
        return node.func
    if isinstance(node, ast.Unary) and node.op == "-":
        return "neg"
    return node.op


def operator_of(node: ast.Unary | ast.Binary | ast.Compare | ast.BoolOp | ast.Call) -> Operator:
    """The table entry of an operator node; a node the table does not know is a bug of
    the parser, refused here rather than evaluated by a guess."""
    found = OPERATORS.get(key_of(node))
    if found is None or not isinstance(node, found.node):
        raise EvaluationError(f"unknown operator {key_of(node)!r}", token=key_of(node))
    return found
