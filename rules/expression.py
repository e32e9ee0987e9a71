"""Parsed, type-checked rule expressions."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from rules import ast
from rules._checker import check, name_type
from rules._interpreter import Value, evaluate
from rules._parser import parse
from rules._render import render
from rules._source import Source
from rules.ast import Expr  # inside the class, `ast` is the attribute
from rules.errors import RuleTypeError
from rules.inputs import InputSpec, InputType
from rules.operators import OPERATORS, Operator, register_operator, registered_in
from rules.origin import Origin
from rules.types import Type

__all__ = ["Expression", "parse_expression"]

Names = Mapping[str, InputSpec | Type]


def parse_expression(text: str) -> ast.Expr:
    """Parse ``text`` into a syntax tree without checking names or types."""
    return parse(Source(text))


class Expression:
    """An expression parsed and type-checked against the names it may use.

    Equality and hashing follow the syntax tree, so ``x >= 90%`` equals
    ``x ≥ 0.9``.
    """

    __slots__ = ("_declared", "_source", "ast", "names", "text", "type")

    text: str
    ast: Expr
    type: Type
    names: frozenset[str]

    def __init__(self, text: str, tree: Expr, names: Names, source: Source, typ: Type):
        used = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
        self.text = text
        self.ast = tree
        self.type = typ
        self.names = used
        self._source = source
        self._declared = MappingProxyType({n: names[n] for n in used})

    def __reduce__(self) -> tuple[Any, ...]:
        # The declared names live in a read-only proxy, which pickle refuses; engine
        # workers in other processes receive expressions, so rebuild from plain data —
        # with the registered operators the tree uses, which a fresh process lacks (an
        # operator's functions are pickled by reference: they must be importable).
        declared = dict(self._declared)
        operators = registered_in(self.ast)
        return (_rebuild, (self.text, self.ast, declared, self._source, self.type, operators))

    @classmethod
    def parse(
        cls,
        text: str,
        names: Names,
        *,
        expect: Type | None = None,
        origin: Origin | None = None,
    ) -> Expression:
        """Parse and type-check ``text``.

        Raises RuleSyntaxError, UnknownNameError or RuleTypeError located at
        ``origin`` plus the offset of the offending token.
        """
        source = Source(text, origin) if origin is not None else Source(text)
        return cls._checked(text, parse(source), names, source, expect)

    @classmethod
    def from_ast(
        cls,
        tree: Expr,
        names: Names,
        *,
        expect: Type | None = None,
        origin: Origin | None = None,
    ) -> Expression:
        """Type-check a tree built in code; its text is the canonical rendering."""
        text = render(tree)
        source = Source(text, origin) if origin is not None else Source(text)
        return cls._checked(text, parse(source), names, source, expect)

    @classmethod
    def _checked(
        cls, text: str, tree: Expr, names: Names, source: Source, expect: Type | None
    ) -> Expression:
        typed = check(tree, names, source)
        if expect is not None and typed.type is not expect:
            noun = "condition" if expect is Type.BOOL else "expression"
            raise source.error(
                RuleTypeError, f"{noun} must be {expect}, got {typed}", 0, token=text.strip()
            )
        return cls(text, tree, names, source, typed.type)

    def evaluate(self, values: Mapping[str, object]) -> Value:
        """Value of the expression; raises EvaluationError (missing value, ÷0, ...)."""
        types = {name: name_type(declared) for name, declared in self._declared.items()}
        return evaluate(self.ast, values, self._source, types)

    def render(self, style: str = "source") -> str:
        """Canonical text (``source``) or a form for people (``display``)."""
        ratios = [
            name
            for name, declared in self._declared.items()
            if isinstance(declared, InputSpec) and declared.type is InputType.RATIO
        ]
        return render(self.ast, style=style, ratios=ratios)

    @property
    def origin(self) -> Origin:
        """Where the expression text starts in its file (if known)."""
        return self._source.origin

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return self.ast == other.ast

    def __hash__(self) -> int:
        return hash(self.ast)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def __str__(self) -> str:
        return self.text


def _rebuild(
    text: str,
    tree: ast.Expr,
    declared: Names,
    source: Source,
    typ: Type,
    operators: tuple[Operator, ...] = (),
) -> Expression:
    for op in operators:
        if OPERATORS.get(op.key) != op:
            register_operator(op, replace=True)
    return Expression(text, tree, declared, source, typ)
