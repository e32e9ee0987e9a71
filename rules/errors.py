"""Errors raised by the rule language.

Hierarchy::

    RuleError(Exception)            base: message, file, line, column, path, token, suggestion
     ├── RuleSyntaxError           tokenizer / parser errors
     ├── RuleTypeError             type errors
     │    └── UnknownNameError     a name that is not declared
     ├── SpecError                 malformed rule or input mapping
     └── EvaluationError           runtime: division by zero, missing value, arithmetic
                                   overflow or underflow (one message per signal, every engine)

Every error knows where it happened so that people editing a methodology
file can jump straight to the spot: ``str(err)`` reads like a compiler
message, ``file:line:column: message (suggestion)``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EvaluationError",
    "RuleError",
    "RuleSyntaxError",
    "RuleTypeError",
    "SpecError",
    "UnknownNameError",
]


class RuleError(Exception):
    """Base class of every error of the rule language."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
        token: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.token = token
        self.suggestion = suggestion

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        # Without a line number the JSON path is the best pointer we have.
        if self.line is None and self.path:
            where = f"{where}: {self.path}" if where else self.path
        text = f"{where}: {self.message}" if where else self.message
        if self.suggestion:
            text += f" ({self.suggestion})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only attributes would otherwise be lost when pickling
        # (e.g. when errors cross a process pool).
        return (_rebuild, (type(self), self.to_dict()))

    def to_dict(self) -> dict[str, Any]:
        """Return the error as plain data, e.g. for a JSON API response."""
        return {
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "token": self.token,
            "suggestion": self.suggestion,
        }


def _rebuild(cls: type[RuleError], data: dict[str, Any]) -> RuleError:
    message = data.pop("message")
    return cls(message, **data)


class RuleSyntaxError(RuleError):
    """The text of an expression cannot be tokenized or parsed."""


class RuleTypeError(RuleError):
    """An expression is well formed but its parts have incompatible types."""


class UnknownNameError(RuleTypeError):
    """An expression refers to a name that is neither an input nor a fact."""


class SpecError(RuleError):
    """A rule or input declaration (a mapping from front matter) is malformed."""


class EvaluationError(RuleError):
    """Evaluating an expression failed at run time."""
