"""Expression tree → text, with the fewest parentheses that keep its meaning."""

from __future__ import annotations

from collections.abc import Collection

from rules import ast
from rules._numbers import format_decimal, format_percent

# Must mirror the binding powers in _parser.
_ATOM = 8
_PREC = {"or": 1, "and": 2, "+": 5, "-": 5, "*": 6, "/": 6}
_NOT, _COMPARE, _NEG = 3, 4, 7
_DISPLAY_OPS = {">=": "≥", "<=": "≤", "!=": "≠"}


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


def _precedence(node: ast.Expr) -> int:
    if isinstance(node, ast.BoolOp | ast.Binary):
        return _PREC[node.op]
    if isinstance(node, ast.Compare):
        return _COMPARE
    if isinstance(node, ast.Unary):
        return _NOT if node.op == "not" else _NEG
    return _ATOM


class _Renderer:
    def __init__(self, display: bool, ratios: frozenset[str]) -> None:
        self.display = display
        self.ratios = ratios

    def text(self, node: ast.Expr, minimum: int, percent: bool = False) -> str:
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
            if node.op == "not":
                return "not " + self.text(node.operand, _NOT)
            return "-" + self.text(node.operand, _NEG, percent)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        prec = _PREC[node.op]
        # Left-associative: an equal-precedence right operand needs brackets.
        return f"{self.text(node.left, prec)} {node.op} {self.text(node.right, prec + 1)}"

    def compare(self, node: ast.Compare) -> str:
        op = _DISPLAY_OPS.get(node.op, node.op) if self.display else node.op
        left_pct = self.display and self._is_ratio(node.right)
        right_pct = self.display and self._is_ratio(node.left)
        left = self.text(node.left, _COMPARE + 1, left_pct and _is_constant(node.left))
        right = self.text(node.right, _COMPARE + 1, right_pct and _is_constant(node.right))
        return f"{left} {op} {right}"

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
