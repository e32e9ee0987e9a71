"""Compilation of expressions to Python closures, for engines that evaluate many times.

A closure computes exactly what `Expression.evaluate` computes (same Decimal context,
same short-circuits, same errors) without walking the tree on every call. Values must
already be clean: Decimals for numbers, real booleans, NFC strings, dates.

>>> from rules import Expression, InputSpec
>>> spec = InputSpec.from_dict("ty_le", {"type": "ratio", "label": "Tỷ lệ"})
>>> fn = compile_expression(Expression.parse("ty_le >= 90%", {"ty_le": spec}))
>>> from decimal import Decimal
>>> fn({"ty_le": Decimal("0.95")})
True
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rules import ast
from rules._interpreter import _CONTEXT, DIVISION_BY_ZERO, ROUND_TOO_LARGE, arithmetic_message
from rules.errors import EvaluationError
from rules.expression import Expression

__all__ = ["Compiled", "compile_expression"]

Env = Mapping[str, Any]
Compiled = Callable[[Env], Any]


def compile_expression(expression: Expression) -> Compiled:
    """A closure evaluating ``expression`` over a mapping of clean values."""
    inner = _compile(expression.ast)

    def run(env: Env) -> Any:
        with decimal.localcontext(_CONTEXT):
            try:
                return inner(env)
            except ArithmeticError as exc:
                # One place for every operation (a `try` per operation costs ~15% here);
                # the message is the interpreter's, only the token is not known.
                raise EvaluationError(arithmetic_message(exc)) from None

    return run


def _compile(node: ast.Expr) -> Compiled:
    if isinstance(node, ast.Number | ast.String | ast.Bool | ast.DateLit):
        value = node.value
        return lambda env: value
    if isinstance(node, ast.Name):
        name = node.id

        def lookup(env: Env) -> Any:
            value = env.get(name)
            if value is None:
                raise EvaluationError(f"missing value for {name!r}", token=name)
            return value

        return lookup
    if isinstance(node, ast.ListLit):
        items = [_compile(i) for i in node.items]
        return lambda env: tuple(i(env) for i in items)
    if isinstance(node, ast.Unary):
        operand = _compile(node.operand)
        if node.op == "not":
            return lambda env: not operand(env)
        return lambda env: -operand(env)
    if isinstance(node, ast.BoolOp):
        left, right = _compile(node.left), _compile(node.right)
        if node.op == "and":
            return lambda env: right(env) if left(env) else False
        return lambda env: True if left(env) else right(env)
    if isinstance(node, ast.Binary):
        return _binary(node.op, _compile(node.left), _compile(node.right))
    if isinstance(node, ast.Compare):
        return _compare(node.op, _compile(node.left), _compile(node.right))
    return _call(node)


def _binary(op: str, left: Compiled, right: Compiled) -> Compiled:
    if op == "+":
        return lambda env: left(env) + right(env)
    if op == "-":
        return lambda env: left(env) - right(env)
    if op == "*":
        return lambda env: left(env) * right(env)

    def divide(env: Env) -> Any:
        a, b = left(env), right(env)
        if b == 0:
            raise EvaluationError(DIVISION_BY_ZERO, token="/")
        return a / b

    return divide


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


def _compare(op: str, left: Compiled, right: Compiled) -> Compiled:
    test = _COMPARE[op]
    return lambda env: test(left(env), right(env))


def _call(node: ast.Call) -> Compiled:
    args = [_compile(a) for a in node.args]
    if node.func == "if":
        cond, then, other = args
        return lambda env: then(env) if cond(env) else other(env)
    if node.func == "min":
        return lambda env: min(a(env) for a in args)
    if node.func == "max":
        return lambda env: max(a(env) for a in args)
    if node.func == "abs":
        return lambda env: abs(args[0](env))
    value = args[0]
    digits = args[1] if len(args) == 2 else (lambda env: Decimal(0))

    def round_half_up(env: Env) -> Any:
        x, places = value(env), int(digits(env))
        try:
            return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        except ArithmeticError:
            raise EvaluationError(ROUND_TOO_LARGE, token="round") from None

    return round_half_up
