"""Static type checker for expression trees."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rules import ast
from rules._interpreter import evaluate
from rules._numbers import format_decimal, format_percent
from rules._source import Source
from rules._suggest import did_you_mean
from rules.errors import EvaluationError, RuleTypeError, UnknownNameError
from rules.inputs import InputSpec, InputType
from rules.operators import OPERATORS, Typed, key_of
from rules.types import Type

__all__ = ["Typed", "check", "is_literal", "name_type"]


def name_type(declared: InputSpec | Type) -> Type:
    """The expression type of a declared name."""
    return declared.value_type if isinstance(declared, InputSpec) else declared


def check(node: ast.Expr, names: Mapping[str, InputSpec | Type], source: Source) -> Typed:
    """Type of ``node``; raise RuleTypeError / UnknownNameError on the first problem."""
    return _Checker(names, source).visit(node)


def is_literal(node: ast.Expr) -> bool:
    """True for constants that may appear in a list literal."""
    if isinstance(node, ast.Unary) and node.op == "-":
        return isinstance(node.operand, ast.Number)
    return isinstance(node, ast.Number | ast.String | ast.Bool | ast.DateLit)


def _token(node: ast.Expr) -> str | None:
    """The token at ``node.pos`` (operators are positioned at the operator)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Unary | ast.Binary | ast.Compare | ast.BoolOp):
        return node.op
    if isinstance(node, ast.Call):
        return node.func
    if isinstance(node, ast.DateLit):
        return "date"
    if isinstance(node, ast.ListLit):
        return "["
    if isinstance(node, ast.Bool):
        return "true" if node.value else "false"
    if isinstance(node, ast.String):
        return node.value
    return format_percent(node.value) if node.percent else format_decimal(node.value)


class _Checker:
    def __init__(self, names: Mapping[str, InputSpec | Type], source: Source) -> None:
        self.names = names
        self.source = source

    def fail(
        self,
        message: str,
        node: ast.Expr,
        *,
        token: str | None = None,
        suggestion: str | None = None,
        cls: type[RuleTypeError] = RuleTypeError,
    ) -> RuleTypeError:
        return self.source.error(
            cls, message, node.pos, token=token or _token(node), suggestion=suggestion
        )

    def visit(self, node: ast.Expr) -> Typed:
        method: Callable[[ast.Expr], Typed] = getattr(self, f"visit_{type(node).__name__}")
        return method(node)

    def want(self, node: ast.Expr, expected: Type, message: str) -> None:
        got = self.visit(node)
        if got.type is not expected:
            raise self.fail(message.format(got=got), node)

    # -- leaves --------------------------------------------------------
    def visit_Number(self, node: ast.Number) -> Typed:
        return Typed(Type.NUMBER)

    def visit_String(self, node: ast.String) -> Typed:
        return Typed(Type.STRING)

    def visit_Bool(self, node: ast.Bool) -> Typed:
        return Typed(Type.BOOL)

    def visit_DateLit(self, node: ast.DateLit) -> Typed:
        return Typed(Type.DATE)

    def visit_Name(self, node: ast.Name) -> Typed:
        declared = self.names.get(node.id)
        if declared is None:
            raise self.fail(
                f"unknown name {node.id!r}",
                node,
                token=node.id,
                suggestion=did_you_mean(node.id, self.names),
                cls=UnknownNameError,
            )
        return Typed(name_type(declared))

    def visit_ListLit(self, node: ast.ListLit) -> Typed:
        if not node.items:
            raise self.fail("a list needs at least one item", node, token="[")
        types = []
        for item in node.items:
            if not is_literal(item):
                raise self.fail("list items must be literal values", item)
            types.append(self.visit(item))
        first = types[0]
        for item, typed in zip(node.items, types, strict=True):
            if typed != first:
                raise self.fail(
                    f"list items must all have the same type: {first} and {typed}", item
                )
        return Typed(Type.LIST, first.type)

    # -- operators: the type rule of each is in the table ---------------
    def visit_operator(
        self, node: ast.Unary | ast.Binary | ast.Compare | ast.BoolOp | ast.Call
    ) -> Typed:
        entry = OPERATORS.get(key_of(node))
        if entry is None or not isinstance(node, entry.node):  # pragma: no cover - parser bug
            raise self.fail(f"unknown operator {key_of(node)!r}", node)
        return entry.type_rule(self, node)

    visit_Unary = visit_Binary = visit_BoolOp = visit_Compare = visit_Call = visit_operator

    def check_divisor(self, node: ast.Binary) -> None:
        if any(isinstance(n, ast.Name) for n in ast.walk(node.right)):
            return
        # a divisor without names is the same for every unit: 0 is a mistake in the
        # rule, to be fixed before release, not an invalid score for every unit
        try:
            divisor = evaluate(node.right, {})
        except EvaluationError as exc:
            raise self.fail(f"không tính được số chia: {exc.message}", node) from None
        if divisor == 0:
            raise self.fail("chia cho 0: số chia luôn bằng 0", node, token="/")

    def check_membership(self, node: ast.Compare, left: Typed, right: Typed) -> None:
        if right.type is not Type.LIST:
            raise self.fail(
                f"{node.op!r} needs a list on the right, got {right}",
                node.right,
                suggestion='write a list like `["a", "b"]`',
            )
        if left.type is Type.LIST:
            raise self.fail(f"cannot look for a list in a list with {node.op!r}", node.left)
        if right.elem is not None and right.elem is not left.type:
            raise self.fail(f"cannot look for a {left} in a {right}", node, token=node.op)
        if isinstance(node.right, ast.ListLit):
            for item in node.right.items:
                self.check_choice(node.left, item)

    def check_choice(self, subject: ast.Expr, literal: ast.Expr) -> None:
        # Comparing an enum input with a value it can never take is always
        # a typo; catching it here saves a silent zero score later.
        if not (isinstance(subject, ast.Name) and isinstance(literal, ast.String)):
            return
        declared = self.names.get(subject.id)
        if not isinstance(declared, InputSpec) or declared.type is not InputType.ENUM:
            return
        if literal.value in declared.choices:
            return
        suggestion = did_you_mean(literal.value, declared.choices) or (
            "choices are: " + ", ".join(f"`{c}`" for c in declared.choices)
        )
        raise self.fail(
            f"{literal.value!r} is not a choice of {subject.id!r}",
            literal,
            token=literal.value,
            suggestion=suggestion,
        )
