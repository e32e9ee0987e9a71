"""Tokenizer for rule expressions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from rules import ast
from rules._numbers import PRECISION, magnitude_problem
from rules._source import Source
from rules.errors import RuleSyntaxError
from rules.operators import OPERATORS

MAX_DIGITS = 2 * PRECISION

_VALUES = frozenset({"true", "false"})
_PUNCTUATION = ("(", ")", "[", "]", ",")
# Operators from other languages people are likely to type, with the fix.
_FOREIGN = {
    "&&": "and",
    "||": "or",
    "=": "==",
    "!": "not",
    "&": "and",
    "|": "or",
    "<>": "!=",
    "=>": ">=",
    "=<": "<=",
}


@dataclass(frozen=True)
class Token:
    kind: str  # "number" | "string" | "name" | "keyword" | "op" | "end"
    text: str  # as written in the source
    pos: int
    value: object = None  # Decimal, str, or the canonical operator/keyword


def tokenize(source: Source) -> list[Token]:
    """Split ``source.text`` into tokens, ending with an ``end`` token."""
    return list(_Lexer(source).tokens())


class _Lexer:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.i = 0
        # The words and symbols of the operators in the table (functions are names):
        # keywords are case-insensitive; a symbol people read (≥) is a synonym of its
        # operator's; longest first, so that '<=' wins over '<'.
        spellings = [op for op in OPERATORS.values() if op.node is not ast.Call]
        self.keywords = _VALUES | {w for op in spellings if op.word for w in op.spelling.split()}
        symbols = {op.spelling: op.spelling for op in spellings if not op.word}
        symbols |= {op.display: op.spelling for op in spellings if op.display is not None}
        symbols |= {p: p for p in _PUNCTUATION}
        self.symbols = sorted(symbols.items(), key=lambda pair: -len(pair[0]))

    def fail(
        self, message: str, pos: int, token: str, suggestion: str | None = None
    ) -> RuleSyntaxError:
        return self.source.error(RuleSyntaxError, message, pos, token=token, suggestion=suggestion)

    def tokens(self) -> Iterator[Token]:
        text = self.text
        while True:
            while self.i < len(text) and text[self.i].isspace():
                self.i += 1
            if self.i >= len(text):
                yield Token("end", "", self.i)
                return
            ch = text[self.i]
            if ch.isdigit():
                yield self.number()
            elif ch.isalpha() or ch == "_":
                yield self.word()
            elif ch in "'\"":
                yield self.string(ch)
            else:
                yield self.operator()

    def number(self) -> Token:
        start, text = self.i, self.text
        while self.i < len(text) and text[self.i].isdigit():
            self.i += 1
        if self.i + 1 < len(text) and text[self.i] == "." and text[self.i + 1].isdigit():
            self.i += 1
            while self.i < len(text) and text[self.i].isdigit():
                self.i += 1
        value = Decimal(text[start : self.i])
        problem = _constant_problem(value)
        if problem:
            raise self.fail(problem, start, text[start : self.i])
        percent = self.i < len(text) and text[self.i] == "%"
        if percent:
            self.i += 1
            value = value.scaleb(-2)
        if self.i < len(text) and (text[self.i].isalpha() or text[self.i] == "_"):
            bad = text[start : self.i + 1]
            raise self.fail(f"unexpected {bad!r}: a name cannot start with a digit", start, bad)
        kind = "percent" if percent else "number"
        return Token(kind, text[start : self.i], start, value)

    def word(self) -> Token:
        start, text = self.i, self.text
        while self.i < len(text) and (text[self.i].isalnum() or text[self.i] == "_"):
            self.i += 1
        word = text[start : self.i]
        # Keywords are case-insensitive: "AND" in a spreadsheet-style rule
        # means the same as "and"; names stay case-sensitive.
        if word.lower() in self.keywords:
            return Token("keyword", word, start, word.lower())
        return Token("name", word, start, word)

    def string(self, quote: str) -> Token:
        start, text = self.i, self.text
        self.i += 1
        chars: list[str] = []
        while self.i < len(text):
            ch = text[self.i]
            if ch == quote:
                self.i += 1
                return Token("string", text[start : self.i], start, "".join(chars))
            if ch == "\\":
                escaped = text[self.i + 1 : self.i + 2]
                if escaped not in ("\\", "'", '"'):
                    raise self.fail(
                        f"unknown escape '\\{escaped}' in string",
                        self.i,
                        "\\" + escaped,
                        "only \\\\, \\' and \\\" are escapes",
                    )
                chars.append(escaped)
                self.i += 2
                continue
            chars.append(ch)
            self.i += 1
        raise self.fail("unterminated string", start, text[start:])

    def operator(self) -> Token:
        start, text = self.i, self.text
        ch = text[start]
        for written, op in self.symbols:
            if text.startswith(written, start) and not self._foreign_prefix(written):
                self.i += len(written)
                return Token("op", written, start, op)
        for bad in sorted(_FOREIGN, key=len, reverse=True):
            if text.startswith(bad, start):
                raise self.fail(f"unexpected {bad!r}", start, bad, f"use `{_FOREIGN[bad]}` instead")
        if ch == ".":
            raise self.fail(
                "unexpected '.'", start, ch, "write numbers with a leading digit, e.g. `0.5`"
            )
        raise self.fail(f"unexpected character {ch!r}", start, ch)

    def _foreign_prefix(self, op: str) -> bool:
        # '<>' and '=>' start with valid operators but mean something else.
        return any(len(bad) > len(op) and self.text.startswith(bad, self.i) for bad in _FOREIGN)


def _constant_problem(value: Decimal) -> str | None:
    """Why a number written in a rule cannot be used as written, or None: beyond the
    magnitudes parindex accepts (`MAX_EXPONENT`), or with more significant digits than
    `MAX_DIGITS` — twice what arithmetic keeps (`PRECISION`) and more than any double
    tells apart, so only a pasting accident writes one."""
    _, digits, _ = value.as_tuple()
    significant = len("".join(map(str, digits)).strip("0"))
    if significant > MAX_DIGITS:
        return f"hằng số có {significant} chữ số có nghĩa, quá {MAX_DIGITS} chữ số"
    return magnitude_problem(value)
