"""The range of a numeric expression over its inputs' domains, by interval arithmetic.

The walk knows literals and names; what an operator does to its operands' bounds is its
entry's ``bounds`` in the one table (`rules.operators`). An operator without one is
outside this analysis, which then knows nothing — always a safe answer.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import Any

from rules import ast
from rules._interval_sets import Bound
from rules.operators import OPERATOR_NODES, OPERATORS, key_of
from rules.types import Type

__all__ = ["Bound", "number_range"]

_WIDE = decimal.Context(prec=60, traps=[decimal.InvalidOperation, decimal.DivisionByZero])


def number_range(node: ast.Expr, specs: Mapping[str, Any]) -> Bound | None:
    """Bounds of every value a numeric expression can take when its names range over
    their declared domains (``specs``: name → InputSpec), by interval arithmetic: the
    true range lies within these bounds and may be narrower (``a - a`` gives
    [lo − hi, hi − lo], not [0, 0]), so a maximum beyond the upper bound is surely
    unreachable.
    None when the expression is not one this analysis reads (then nothing is known).
    A divisor that can be 0 makes the quotient unbounded."""
    try:
        with decimal.localcontext(_WIDE):
            return _Ranging(specs).bounds(node)
    except (ArithmeticError, _Unbounded):
        return None


class _Unbounded(Exception):
    pass


class _Ranging:
    """What the operators' range rules ask of the walk (`rules.operators.Ranging`)."""

    def __init__(self, specs: Mapping[str, Any]) -> None:
        self.specs = specs

    def bounds(self, node: ast.Expr) -> Bound:
        if isinstance(node, ast.Number):
            return node.value, node.value
        if isinstance(node, ast.Name):
            spec = self.specs.get(node.id)
            if spec is None or getattr(spec, "value_type", None) is not Type.NUMBER:
                raise _Unbounded
            return spec.domain_min, spec.domain_max
        if isinstance(node, OPERATOR_NODES):
            entry = OPERATORS.get(key_of(node))
            if entry is not None and entry.bounds is not None:
                return entry.bounds(self, node)
        raise _Unbounded
