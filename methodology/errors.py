"""Errors raised by the methodology package.

Every error is a :class:`MethodologyError`, so callers (CLI, API) can catch one
class and still show a precise, one-line reason::

    MethodologyError(Exception)      base; message, file, line, column, path, suggestion
     ├── StoreError                  store missing/corrupt, git failure, invalid write
     │    ├── StoreNotFound          no git store at the given path
     │    ├── RefNotFound            unknown ref; suggestion = nearest tag/branch names
     │    └── StaleBaseError         write based on an old commit whose paths changed since
     ├── FormatError                 malformed node or methodology file
     └── ReleaseError                a release's metadata (years, effective, amends) is invalid
                                     (methodology/releases.py)
"""

from __future__ import annotations

from typing import TypedDict, Unpack

__all__ = [
    "FormatError",
    "MethodologyError",
    "RefNotFound",
    "StaleBaseError",
    "StoreError",
    "StoreNotFound",
]


class MethodologyError(Exception):
    """Base of every error of the package; ``str(err)`` is a one-line reason.

    ``file``/``line``/``column`` locate the problem in a source file, ``path`` is a
    store-relative path (or node path), ``suggestion`` a hint for the user.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        # Multi-line reasons break log lines and CLI tables: keep one line.
        self.message = " ".join(str(message).split())
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.suggestion = suggestion
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class _Where(TypedDict, total=False):
    """The keyword arguments of :class:`MethodologyError` that locate a problem."""

    file: str | None
    line: int | None
    column: int | None
    path: str | None
    suggestion: str | None


class StoreError(MethodologyError):
    """The git store is missing or corrupt, git failed, or a write is invalid."""


class StoreNotFound(StoreError):
    """No git store exists at the given path."""


class RefNotFound(StoreError):
    """A ref (branch, tag, sha, date) does not resolve to a commit.

    ``candidates`` lists the nearest existing tag/branch names (best first);
    ``suggestion`` is a readable form of them.
    """

    def __init__(
        self, message: str, *, candidates: list[str] | None = None, **kwargs: Unpack[_Where]
    ) -> None:
        self.candidates = list(candidates or [])
        if self.candidates and "suggestion" not in kwargs:
            kwargs["suggestion"] = ", ".join(self.candidates)
        super().__init__(message, **kwargs)


class StaleBaseError(StoreError):
    """A write was based on an old commit and the paths it touches changed since.

    ``conflicts`` holds the store-relative paths that differ between the base and
    the current head.
    """

    def __init__(self, message: str, *, conflicts: list[str], **kwargs: Unpack[_Where]) -> None:
        self.conflicts = list(conflicts)
        super().__init__(message, **kwargs)


class FormatError(MethodologyError):
    """A methodology or node file is malformed."""
