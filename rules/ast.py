"""Syntax tree of rule expressions.

Nodes are frozen dataclasses so trees compare by value. Each node remembers
the character offset where it starts (``pos``) for error messages, but that
offset takes no part in equality: re-rendering an expression moves things
around without changing its meaning.

The node classes are the shapes of the syntax; which operators and functions exist is
the one table, `rules.operators`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "Binary",
    "Bool",
    "BoolOp",
    "Call",
    "Compare",
    "DateLit",
    "Expr",
    "ListLit",
    "Name",
    "Number",
    "String",
    "Unary",
    "children",
    "walk",
]


def _pos() -> int:
    return field(default=-1, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Number:
    """A number literal; ``percent`` only affects how it is written (``90%``)."""

    value: Decimal
    percent: bool = field(default=False, compare=False)
    pos: int = _pos()


@dataclass(frozen=True)
class String:
    value: str
    pos: int = _pos()


@dataclass(frozen=True)
class Bool:
    value: bool
    pos: int = _pos()


@dataclass(frozen=True)
class DateLit:
    """``date("YYYY-MM-DD")``."""

    value: datetime.date
    pos: int = _pos()


@dataclass(frozen=True)
class Name:
    id: str
    pos: int = _pos()


@dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]
    pos: int = _pos()


@dataclass(frozen=True)
class Unary:
    """A prefix operator: ``-x``, ``not x``."""

    op: str
    operand: Expr
    pos: int = _pos()


@dataclass(frozen=True)
class Binary:
    """An infix operator on values: ``a + b``."""

    op: str
    left: Expr
    right: Expr
    pos: int = _pos()


@dataclass(frozen=True)
class Compare:
    """A comparison: ``a <= b``, ``a not in [1, 2]``; never chained."""

    op: str
    left: Expr
    right: Expr
    pos: int = _pos()


@dataclass(frozen=True)
class BoolOp:
    """A connective: ``and``, ``or`` (left-associative, short-circuit)."""

    op: str
    left: Expr
    right: Expr
    pos: int = _pos()


@dataclass(frozen=True)
class Call:
    """A function: ``min(a, b)``; ``date`` literals become :class:`DateLit`."""

    func: str
    args: tuple[Expr, ...]
    pos: int = _pos()


Expr = Number | String | Bool | DateLit | Name | ListLit | Unary | Binary | Compare | BoolOp | Call


def children(node: Expr) -> tuple[Expr, ...]:
    """Direct sub-expressions of ``node``."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary | Compare | BoolOp):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ListLit):
        return node.items
    return ()


def walk(node: Expr) -> Iterator[Expr]:
    """Yield ``node`` and all its descendants, parents first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
