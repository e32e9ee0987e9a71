"""Pratt parser: tokens → :mod:`rules.ast` tree (syntax only, no types).

The operators, their binding powers and the functions' numbers of arguments are read
from the one table, `rules.operators`; what is here is the grammar of literals, names,
brackets and lists, and the shapes of operator syntax (prefix, infix, call)."""

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
from rules.operators import (
    LITERAL_FUNCTIONS,
    Operator,
    functions,
    infix_operators,
    prefix_operators,
)

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
        self.prefixes = prefix_operators()
        self.infixes = infix_operators()
        self.arity = {name: op.arity for name, op in functions().items()} | LITERAL_FUNCTIONS

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

    def infix_op(self) -> Operator | None:
        """The infix operator at the current token (the longest spelling, in tokens:
        ``not in`` is two), or None."""
        found: Operator | None = None
        for op in self.infixes.values():
            words = op.spelling.split(" ")
            if (found is None or len(words) > len(found.spelling.split(" "))) and self.spells(
                words
            ):
                found = op
        return found

    def spells(self, words: list[str]) -> bool:
        at = self.tokens[self.i : self.i + len(words)]
        return len(at) == len(words) and all(
            t.kind in ("op", "keyword") and t.value == w for t, w in zip(at, words, strict=True)
        )

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
        while (op := self.infix_op()) is not None and op.precedence > rbp:
            operator = self.advance()
            self.i += len(op.spelling.split(" ")) - 1
            right = self.expression(op.precedence, operator)
            if op.node is ast.Compare:
                left = ast.Compare(op.spelling, left, right, pos=operator.pos)
                after_compare = self.infix_op()
                if after_compare is not None and after_compare.node is ast.Compare:
                    raise self.fail(
                        "comparisons cannot be chained",
                        self.token,
                        "combine them with `and`, e.g. `a <= x and x <= b`",
                    )
            elif op.node is ast.BoolOp:
                left = ast.BoolOp(op.spelling, left, right, pos=operator.pos)
            else:
                left = ast.Binary(op.spelling, left, right, pos=operator.pos)
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
        if token.kind in ("op", "keyword") and token.value in self.prefixes:
            return self.prefixed(token, rbp, self.prefixes[str(token.value)])
        if token.kind == "keyword":
            return self.keyword(token)
        if token.value == "(":
            self.advance()
            inner = self.expression(0, token)
            self.expect(")", token)
            return inner
        if token.value == "[":
            return self.list_literal()
        if token.value == "+":
            raise self.fail("unexpected '+'", token, "unary plus is not supported; drop the '+'")
        where = f" after {after.text!r}" if after is not None else ""
        raise self.fail(f"unexpected {token.text!r}; expected expression{where}", token)

    def prefixed(self, token: Token, rbp: int, op: Operator) -> ast.Expr:
        # `a == not b`: an operand of `==` binds tighter than a comparison and `not`
        # does not, so where a prefix operator binds more loosely than its place
        # demands, brackets say how far it reaches
        if rbp > op.precedence:
            raise self.fail(
                f"{op.spelling!r} must be parenthesised here", token, f"write `({op.spelling} ...)`"
            )
        self.advance()
        operand = self.expression(op.precedence, token)
        return ast.Unary(op.spelling, operand, pos=token.pos)

    def keyword(self, token: Token) -> ast.Expr:
        if token.value in ("true", "false"):
            self.advance()
            return ast.Bool(token.value == "true", pos=token.pos)
        raise self.fail(f"unexpected keyword {token.text!r}; expected expression", token)

    def name_or_call(self) -> ast.Expr:
        token = self.advance()
        name = str(token.value)
        if not (self.token.kind == "op" and self.token.value == "("):
            return ast.Name(name, pos=token.pos)
        func = name.lower()
        if func not in self.arity:
            known = "functions are: " + ", ".join(self.arity)
            raise self.fail(
                f"unknown function {name!r}", token, did_you_mean(name, self.arity) or known
            )
        opening = self.advance()
        args = tuple(self.arguments(opening))
        low, high = self.arity[func]
        if len(args) < low or (high is not None and len(args) > high):
            raise self.fail(f"{func}() {_arity_text(low, high)}, got {len(args)}", token)
        if func in LITERAL_FUNCTIONS:
            return self.date_literal(token, args[0])
        rule = functions()[func].check_arguments
        problem = None if rule is None else rule(args)
        if problem is not None:
            arg, message = problem
            raise self.source.error(
                RuleSyntaxError,
                message,
                arg.pos,
                token=self.source.text[arg.pos : arg.pos + 1] or None,
            )
        return ast.Call(func, args, pos=token.pos)

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


def _arity_text(low: int, high: int | None) -> str:
    if high is None:
        return f"takes at least {low} arguments"
    if low == high:
        return f"takes {low} argument{'s' if low != 1 else ''}"
    return f"takes {low} to {high} arguments"
