"""Pratt parser: tokens → :mod:`rules.ast` tree (syntax only, no types)."""

from __future__ import annotations

import datetime
import re
import unicodedata
from decimal import Decimal

from rules import ast
from rules._lexer import Token, tokenize
from rules._source import Source
from rules._suggest import did_you_mean
from rules.errors import RuleSyntaxError

# Binding powers, low → high. `not` sits between `and` and comparisons.
OR, AND, NOT, COMPARE, ADD, MUL, NEG = 1, 2, 3, 4, 5, 6, 7
_INFIX = {
    "or": OR,
    "and": AND,
    "==": COMPARE,
    "!=": COMPARE,
    "<": COMPARE,
    "<=": COMPARE,
    ">": COMPARE,
    ">=": COMPARE,
    "in": COMPARE,
    "not in": COMPARE,
    "+": ADD,
    "-": ADD,
    "*": MUL,
    "/": MUL,
}
# (min, max) argument counts; None = any number.
ARITY: dict[str, tuple[int, int | None]] = {
    "min": (2, None),
    "max": (2, None),
    "abs": (1, 1),
    "round": (1, 2),
    "if": (3, 3),
    "date": (1, 1),
}
# Deeper trees are surely mistakes, and the checker, renderer and interpreter
# recurse over the tree: this keeps them far from Python's recursion limit.
MAX_DEPTH = 100
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse(source: Source) -> ast.Expr:
    """Parse a whole expression; raise RuleSyntaxError on the first problem."""
    return _Parser(source).parse()


def _describe(token: Token) -> str:
    return "end of expression" if token.kind == "end" else repr(token.text)


class _Parser:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    # -- token helpers -------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, message: str, token: Token, suggestion: str | None = None) -> RuleSyntaxError:
        text = token.text if token.kind != "end" else None
        return self.source.error(
            RuleSyntaxError, message, token.pos, token=text, suggestion=suggestion
        )

    def expect(self, op: str, opening: Token | None = None) -> Token:
        if self.token.kind == "op" and self.token.value == op:
            return self.advance()
        hint = None
        if opening is not None:
            line, column = self.source.position(opening.pos)
            where = f" at column {column}" if column is not None and line is not None else ""
            hint = f"to close {opening.text!r}{where}"
        raise self.fail(f"expected {op!r}, found {_describe(self.token)}", self.token, hint)

    def infix_op(self) -> str | None:
        token = self.token
        if token.kind == "keyword" and token.value == "not":
            after = self.tokens[self.i + 1]
            if after.kind == "keyword" and after.value == "in":
                return "not in"
            return None
        if token.kind in ("op", "keyword") and token.value in _INFIX:
            return str(token.value)
        return None

    # -- grammar -------------------------------------------------------
    def parse(self) -> ast.Expr:
        if self.token.kind == "end":
            raise self.fail("empty expression", self.token)
        node = self.expression(0, None)
        if _depth(node) > MAX_DEPTH:
            raise self.fail(f"expression is nested more than {MAX_DEPTH} levels deep", self.token)
        if self.token.kind != "end":
            token = self.token
            if token.kind == "op" and token.value in (")", "]"):
                raise self.fail(f"unexpected {token.text!r}", token, "unbalanced brackets")
            raise self.fail(
                f"unexpected {token.text!r}", token, "expected an operator or end of expression"
            )
        return node

    def expression(self, rbp: int, after: Token | None) -> ast.Expr:
        self.depth += 1
        try:
            return self._expression(rbp, after)
        finally:
            self.depth -= 1

    def _expression(self, rbp: int, after: Token | None) -> ast.Expr:
        if self.depth > MAX_DEPTH:
            raise self.fail(f"expression is nested more than {MAX_DEPTH} levels deep", self.token)
        left = self.prefix(rbp, after)
        while (op := self.infix_op()) is not None and _INFIX[op] > rbp:
            operator = self.advance()
            if op == "not in":
                self.advance()
            power = _INFIX[op]
            right = self.expression(power, operator)
            if power == COMPARE:
                left = ast.Compare(op, left, right, pos=operator.pos)
                if self.infix_op() in ast.COMPARE_OPS:
                    raise self.fail(
                        "comparisons cannot be chained",
                        self.token,
                        "combine them with `and`, e.g. `a <= x and x <= b`",
                    )
            elif op in ast.BOOL_OPS:
                left = ast.BoolOp(op, left, right, pos=operator.pos)
            else:
                left = ast.Binary(op, left, right, pos=operator.pos)
        return left

    def prefix(self, rbp: int, after: Token | None) -> ast.Expr:
        token = self.token
        if token.kind == "end":
            where = f" after {after.text!r}" if after is not None else ""
            raise self.fail(f"expected expression{where}", token)
        if token.kind in ("number", "percent"):
            self.advance()
            value = token.value
            assert isinstance(value, Decimal)  # the lexer reads every number as a Decimal
            return ast.Number(value, percent=token.kind == "percent", pos=token.pos)
        if token.kind == "string":
            self.advance()
            return ast.String(unicodedata.normalize("NFC", str(token.value)), pos=token.pos)
        if token.kind == "name":
            return self.name_or_call()
        if token.kind == "keyword":
            return self.keyword(token, rbp)
        if token.value == "(":
            self.advance()
            inner = self.expression(0, token)
            self.expect(")", token)
            return inner
        if token.value == "[":
            return self.list_literal()
        if token.value == "-":
            self.advance()
            operand = self.expression(NEG, token)
            return ast.Unary("-", operand, pos=token.pos)
        if token.value == "+":
            raise self.fail("unexpected '+'", token, "unary plus is not supported; drop the '+'")
        where = f" after {after.text!r}" if after is not None else ""
        raise self.fail(f"unexpected {token.text!r}; expected expression{where}", token)

    def keyword(self, token: Token, rbp: int) -> ast.Expr:
        if token.value in ("true", "false"):
            self.advance()
            return ast.Bool(token.value == "true", pos=token.pos)
        if token.value == "not":
            if rbp > NOT:
                raise self.fail("'not' must be parenthesised here", token, "write `(not ...)`")
            self.advance()
            operand = self.expression(NOT, token)
            return ast.Unary("not", operand, pos=token.pos)
        raise self.fail(f"unexpected keyword {token.text!r}; expected expression", token)

    def name_or_call(self) -> ast.Expr:
        token = self.advance()
        name = str(token.value)
        if not (self.token.kind == "op" and self.token.value == "("):
            return ast.Name(name, pos=token.pos)
        func = name.lower()
        if func not in ARITY:
            raise self.fail(
                f"unknown function {name!r}", token, did_you_mean(name, ARITY) or _known_functions()
            )
        opening = self.advance()
        args = self.arguments(opening)
        low, high = ARITY[func]
        if len(args) < low or (high is not None and len(args) > high):
            raise self.fail(f"{func}() {_arity_text(low, high)}, got {len(args)}", token)
        if func == "date":
            return self.date_literal(token, args[0])
        if func == "round" and len(args) == 2:
            digits = args[1]
            if not (isinstance(digits, ast.Number) and not digits.percent and _is_whole(digits)):
                raise self.source.error(
                    RuleSyntaxError,
                    "round() digits must be a whole number literal ≥ 0",
                    digits.pos,
                    token=self.source.text[digits.pos : digits.pos + 1] or None,
                )
        return ast.Call(func, tuple(args), pos=token.pos)

    def arguments(self, opening: Token) -> list[ast.Expr]:
        args: list[ast.Expr] = []
        if self.token.kind == "op" and self.token.value == ")":
            self.advance()
            return args
        while True:
            args.append(self.expression(0, opening if not args else self.tokens[self.i - 1]))
            if self.token.kind == "op" and self.token.value == ",":
                self.advance()
                continue
            self.expect(")", opening)
            return args

    def list_literal(self) -> ast.Expr:
        opening = self.advance()
        items: list[ast.Expr] = []
        while not (self.token.kind == "op" and self.token.value == "]"):
            items.append(self.expression(0, opening if not items else self.tokens[self.i - 1]))
            if self.token.kind == "op" and self.token.value == ",":
                self.advance()
                continue
            self.expect("]", opening)
            break
        else:
            self.advance()
        return ast.ListLit(tuple(items), pos=opening.pos)

    def date_literal(self, token: Token, arg: ast.Expr) -> ast.Expr:
        if not isinstance(arg, ast.String):
            raise self.source.error(
                RuleSyntaxError,
                'date() takes a literal string like "2024-12-31"',
                arg.pos,
                token="date",
            )
        try:
            if not _ISO_DATE.match(arg.value):
                raise ValueError
            value = datetime.date.fromisoformat(arg.value)
        except ValueError:
            raise self.source.error(
                RuleSyntaxError,
                f"invalid date {arg.value!r}",
                arg.pos,
                token=arg.value,
                suggestion="write dates as YYYY-MM-DD",
            ) from None
        return ast.DateLit(value, pos=token.pos)


def _depth(tree: ast.Expr) -> int:
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.children(node))
    return deepest


def _is_whole(number: ast.Number) -> bool:
    return number.value >= 0 and number.value == number.value.to_integral_value()


def _arity_text(low: int, high: int | None) -> str:
    if high is None:
        return f"takes at least {low} arguments"
    if low == high:
        return f"takes {low} argument{'s' if low != 1 else ''}"
    return f"takes {low} to {high} arguments"


def _known_functions() -> str:
    return "functions are: " + ", ".join(ARITY)
