"""Expression tree → text, with the fewest parentheses that keep its meaning.

Operators are written as the one table says (`rules.operators`): their spelling, the
symbol people read, and their binding powers, which the parser reads too — so what is
rendered parses back to the same tree.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from rules import ast
from rules._numbers import format_decimal, format_percent
from rules.operators import Operator, operator_of

_ATOM = math.inf  # literals, names, lists and calls never need brackets


def render(node: ast.Expr, *, style: str = "source", ratios: Collection[str] = ()) -> str:
    """Canonical text of ``node``.

    ``style="display"`` is for people: ``≥ ≤ ≠`` and numbers compared with a
    ratio input (named in ``ratios``) written as percentages.
    """
    if style not in ("source", "display"):
        raise ValueError(f"unknown render style {style!r}")
    return _Renderer(style == "display", frozenset(ratios)).text(node, 0)


def quote(text: str) -> str:
    """A double-quoted string literal that the lexer reads back as ``text``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _precedence(node: ast.Expr) -> float:
    if isinstance(node, ast.Unary | ast.Binary | ast.Compare | ast.BoolOp):
        return operator_of(node).precedence
    return _ATOM


class _Renderer:
    def __init__(self, display: bool, ratios: frozenset[str]) -> None:
        self.display = display
        self.ratios = ratios

    def text(self, node: ast.Expr, minimum: float, percent: bool = False) -> str:
        body = self.bare(node, percent)
        return f"({body})" if _precedence(node) < minimum else body

    def bare(self, node: ast.Expr, percent: bool) -> str:
        if isinstance(node, ast.Number):
            if node.percent or percent:
                return format_percent(node.value)
            return format_decimal(node.value)
        if isinstance(node, ast.String):
            return quote(node.value)
        if isinstance(node, ast.Bool):
            return "true" if node.value else "false"
        if isinstance(node, ast.DateLit):
            return f'date("{node.value.isoformat()}")'
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.ListLit):
            return "[" + ", ".join(self.text(i, 0, percent) for i in node.items) + "]"
        if isinstance(node, ast.Call):
            return f"{node.func}(" + ", ".join(self.text(a, 0) for a in node.args) + ")"
        if isinstance(node, ast.Unary):
            op = operator_of(node)
            gap = " " if op.word else ""
            return op.spelling + gap + self.text(node.operand, op.precedence, percent)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        op = operator_of(node)
        # Left-associative: an equal-precedence right operand needs brackets.
        left = self.text(node.left, op.precedence)
        return f"{left} {self.symbol(op)} {self.text(node.right, op.precedence + 1)}"

    def symbol(self, op: Operator) -> str:
        return op.display if self.display and op.display is not None else op.spelling

    def compare(self, node: ast.Compare) -> str:
        op = operator_of(node)
        left_pct = self.display and self._is_ratio(node.right)
        right_pct = self.display and self._is_ratio(node.left)
        # Comparisons never chain: an operand of the same power needs brackets either side.
        minimum = op.precedence + 1
        left = self.text(node.left, minimum, left_pct and _is_constant(node.left))
        right = self.text(node.right, minimum, right_pct and _is_constant(node.right))
        return f"{left} {self.symbol(op)} {right}"

    def _is_ratio(self, node: ast.Expr) -> bool:
        return isinstance(node, ast.Name) and node.id in self.ratios


def _is_constant(node: ast.Expr) -> bool:
    if isinstance(node, ast.Number):
        return True
    if isinstance(node, ast.Unary) and node.op == "-":
        return _is_constant(node.operand)
    if isinstance(node, ast.ListLit):
        return all(_is_constant(item) for item in node.items)
    return False
