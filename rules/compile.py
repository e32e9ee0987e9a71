"""Compilation of expressions to Python closures, for engines that evaluate many times.

A closure is the evaluator: it computes each operator with the one table of their
meanings (`rules.operators`), as the tree-walking oracle `Expression.evaluate` does
(same Decimal context, same short-circuits, same errors), without walking the tree on
every call. Values must
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
from typing import Any

from rules import ast
from rules.errors import EvaluationError
from rules.expression import Expression
from rules.operators import CONTEXT, arithmetic_message, operator_of

__all__ = ["Compiled", "compile_expression"]

Env = Mapping[str, Any]
Compiled = Callable[[Env], Any]


def compile_expression(expression: Expression) -> Compiled:
    """A closure evaluating ``expression`` over a mapping of clean values."""
    inner = _compile(expression.ast)

    def run(env: Env) -> Any:
        with decimal.localcontext(CONTEXT):
            try:
                return inner(env)
            except ArithmeticError as exc:
                # One place for every operation (a `try` per operation costs ~15% here);
                # the message is the oracle's, only the token is not known.
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
    op = operator_of(node)
    args = [_compile(a) for a in ast.children(node)]
    apply = op.apply
    if op.lazy:
        combined: Compiled = apply(*args)
        return combined
    # The common arities spelled out: a generator per call costs ~20% here.
    if len(args) == 1:
        (a,) = args
        return lambda env: apply(a(env))
    if len(args) == 2:
        a, b = args
        return lambda env: apply(a(env), b(env))
    return lambda env: apply(*[f(env) for f in args])
