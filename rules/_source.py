"""Expression text plus its origin, for turning offsets into file positions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from rules.errors import RuleError
from rules.origin import Origin

# Without an origin, positions are counted within the expression itself.
_STANDALONE = Origin(line=1, column=1)

E = TypeVar("E", bound=RuleError)


@dataclass(frozen=True)
class Source:
    text: str
    origin: Origin = _STANDALONE

    def position(self, offset: int) -> tuple[int | None, int | None]:
        """1-based (line, column) in the file of the character at ``offset``."""
        if self.origin.line is None:
            return None, None
        before = self.text[:offset]
        newlines = before.count("\n")
        if newlines == 0:
            column = None if self.origin.column is None else self.origin.column + offset
            return self.origin.line, column
        return self.origin.line + newlines, offset - before.rfind("\n")

    def error(
        self,
        cls: type[E],
        message: str,
        offset: int,
        *,
        token: str | None = None,
        suggestion: str | None = None,
    ) -> E:
        line, column = self.position(max(offset, 0))
        return cls(
            message,
            file=self.origin.file,
            line=line,
            column=column,
            path=self.origin.path,
            token=token,
            suggestion=suggestion,
        )
