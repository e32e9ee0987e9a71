"""Tree-walking evaluator for expression trees (exact Decimal arithmetic)."""

from __future__ import annotations

import datetime
import decimal
import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from rules import ast
from rules._numbers import PRECISION
from rules._source import Source
from rules.errors import EvaluationError
from rules.types import Type

Value = Decimal | bool | str | datetime.date | tuple

# Every signal that means "this result is not the number the rule describes" traps:
# besides overflow and invalid operations, a result too small to keep its digits
# (underflow) or whose exponent had to be changed (clamped) — never a silent zero.
_CONTEXT = decimal.Context(
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
    """The one message for an arithmetic failure under `_CONTEXT`, whichever evaluator
    meets it (this interpreter, compiled closures, durable-rules fields, the scoring of
    proportional rules), so every engine reports it in the same words as an
    `EvaluationError`."""
    if isinstance(exc, decimal.DivisionByZero | ZeroDivisionError):
        return DIVISION_BY_ZERO
    if isinstance(exc, decimal.Overflow | OverflowError):
        return "lỗi tính toán: kết quả quá lớn (vượt quá 1e999999)"
    if isinstance(exc, decimal.Underflow | decimal.Clamped | decimal.Subnormal):
        return "lỗi tính toán: kết quả quá nhỏ (dưới 1e-999999)"
    return "lỗi tính toán: phép tính không xác định"


def evaluate(
    node: ast.Expr,
    values: Mapping[str, object],
    source: Source | None = None,
    types: Mapping[str, Type] | None = None,
) -> Value:
    """Value of ``node`` given input ``values``.

    ``types`` (name → declared type) lets the interpreter reject values of
    the wrong kind with a clear message instead of a confusing result.
    """
    interpreter = _Interpreter(values, source or Source(""), types or {})
    with decimal.localcontext(_CONTEXT):
        try:
            return interpreter.eval(node)
        except ArithmeticError as exc:  # arithmetic maps its own, with the spot; the net
            raise EvaluationError(arithmetic_message(exc)) from None


def coerce(value: object, declared: Type | None) -> Value:
    """Normalise one input value: numbers → Decimal, text → NFC, lists → tuple."""
    if isinstance(value, bool):
        result: Value = value
    elif isinstance(value, int | float):
        result = Decimal(str(value))
    elif isinstance(value, Decimal | datetime.date):
        result = value
    elif isinstance(value, str):
        result = unicodedata.normalize("NFC", value)
    elif isinstance(value, list | tuple | frozenset | set):
        result = tuple(coerce(v, None) for v in value)
    else:
        raise TypeError(type(value).__name__)
    if declared is not None and _type_of(result) is not declared:
        raise TypeError(_type_of(result).value)
    return result


def _type_of(value: Value) -> Type:
    if isinstance(value, bool):
        return Type.BOOL
    if isinstance(value, Decimal):
        return Type.NUMBER
    if isinstance(value, str):
        return Type.STRING
    if isinstance(value, datetime.date):
        return Type.DATE
    return Type.LIST


class _Interpreter:
    def __init__(self, values: Mapping[str, object], source: Source, types: Mapping[str, Type]):
        self.values = values
        self.source = source
        self.types = types

    def fail(self, message: str, node: ast.Expr, token: str | None = None) -> EvaluationError:
        return self.source.error(EvaluationError, message, node.pos, token=token)  # type: ignore[return-value]

    def eval(self, node: ast.Expr) -> Value:
        if isinstance(node, ast.Number | ast.String | ast.Bool | ast.DateLit):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.ListLit):
            return tuple(self.eval(item) for item in node.items)
        if isinstance(node, ast.Unary):
            operand = self.eval(node.operand)
            if node.op == "not":
                return not operand
            try:
                return -operand  # type: ignore[operator]
            except ArithmeticError as exc:  # rounds to the context: may underflow
                raise self.fail(arithmetic_message(exc), node, "-") from None
        if isinstance(node, ast.BoolOp):
            left = self.eval(node.left)
            # Short-circuit: the right side may refer to a value that is
            # legitimately absent when the left side already decides.
            if node.op == "and":
                return self.eval(node.right) if left else False
            return True if left else self.eval(node.right)
        if isinstance(node, ast.Binary):
            return self.binary(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        return self.call(node)

    def name(self, node: ast.Name) -> Value:
        raw = self.values.get(node.id)
        if raw is None:
            raise self.fail(f"missing value for {node.id!r}", node, node.id)
        declared = self.types.get(node.id)
        try:
            return coerce(raw, declared)
        except TypeError as exc:
            expected = f"a {declared.value}" if declared is not None else "a rule value"
            raise self.fail(
                f"value for {node.id!r} must be {expected}, got {exc}", node, node.id
            ) from None

    def binary(self, node: ast.Binary) -> Value:
        left, right = self.eval(node.left), self.eval(node.right)
        try:
            if node.op == "+":
                return left + right  # type: ignore[operator]
            if node.op == "-":
                return left - right  # type: ignore[operator]
            if node.op == "*":
                return left * right  # type: ignore[operator]
            if right == 0:
                raise self.fail(DIVISION_BY_ZERO, node, "/")
            return left / right  # type: ignore[operator]
        except ArithmeticError as exc:
            raise self.fail(arithmetic_message(exc), node, node.op) from None

    def compare(self, node: ast.Compare) -> bool:
        left, right = self.eval(node.left), self.eval(node.right)
        op = node.op
        if op == "in":
            return left in right  # type: ignore[operator]
        if op == "not in":
            return left not in right  # type: ignore[operator]
        if op == "==":
            return left == right
        if op == "!=":
            return left != right
        try:
            if op == "<":
                return left < right  # type: ignore[operator]
            if op == "<=":
                return left <= right  # type: ignore[operator]
            if op == ">":
                return left > right  # type: ignore[operator]
            return left >= right  # type: ignore[operator]
        except TypeError:
            raise self.fail(f"cannot compare values with {op!r}", node, op) from None

    def call(self, node: ast.Call) -> Value:
        if node.func == "if":
            cond, then, other = node.args
            return self.eval(then) if self.eval(cond) else self.eval(other)
        args = [self.eval(arg) for arg in node.args]
        if node.func == "min":
            return min(args)  # type: ignore[type-var]
        if node.func == "max":
            return max(args)  # type: ignore[type-var]
        if node.func == "abs":
            try:
                return abs(args[0])  # type: ignore[arg-type]
            except ArithmeticError as exc:
                raise self.fail(arithmetic_message(exc), node, "abs") from None
        digits = int(args[1]) if len(args) == 2 else 0  # type: ignore[arg-type]
        try:
            return args[0].quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)  # type: ignore[union-attr]
        except ArithmeticError:
            raise self.fail(ROUND_TOO_LARGE, node, "round") from None
