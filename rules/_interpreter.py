"""Tree-walking evaluator for expression trees: the test oracle.

The evaluator engines use is the compiled closure (`rules.compile`). This walker stays
for the type checker's constant folding, for one-off evaluations (`Expression.evaluate`)
and as the oracle the property tests compare every engine with. Both take each
operator's meaning from the one table, `rules.operators`, so they cannot disagree; what
is left here is the walk itself and error positions.
"""

from __future__ import annotations

import datetime
import decimal
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TypeAlias

from rules import ast
from rules._source import Source
from rules.errors import EvaluationError
from rules.operators import CONTEXT as _CONTEXT
from rules.operators import (
    DIVISION_BY_ZERO,
    ROUND_TOO_LARGE,
    arithmetic_message,
    operator_of,
)
from rules.types import Type

__all__ = [
    "DIVISION_BY_ZERO",
    "ROUND_TOO_LARGE",
    "Value",
    "arithmetic_message",
    "coerce",
    "evaluate",
]

Value: TypeAlias = Decimal | bool | str | datetime.date | tuple["Value", ...]


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
        return self.source.error(EvaluationError, message, node.pos, token=token)

    def eval(self, node: ast.Expr) -> Value:
        if isinstance(node, ast.Number | ast.String | ast.Bool | ast.DateLit):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.ListLit):
            return tuple(self.eval(item) for item in node.items)
        op = operator_of(node)
        if op.lazy:  # and, or, if: their own operands' errors only, already placed
            lazy: Value = op.apply(*(_walker(arg) for arg in ast.children(node)))(self)
            return lazy
        args = [self.eval(arg) for arg in ast.children(node)]
        written = node.func if isinstance(node, ast.Call) else node.op
        try:
            result: Value = op.apply(*args)
        except EvaluationError as exc:  # the operator's own error (division by zero, …)
            raise self.fail(exc.message, node, exc.token or written) from None
        except ArithmeticError as exc:  # each operation maps its own, with the spot
            raise self.fail(arithmetic_message(exc), node, written) from None
        except TypeError:  # only an ordering of values the checker would refuse
            raise self.fail(f"cannot compare values with {written!r}", node, written) from None
        return result

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


def _walker(node: ast.Expr) -> Callable[[_Interpreter], Value]:
    return lambda interpreter: interpreter.eval(node)
