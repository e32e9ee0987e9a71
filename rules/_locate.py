"""Turning JSON paths into file positions through a caller's ``locate``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TypedDict

from rules.origin import Origin

Locate = Callable[[str], Origin | None]

_LAST_STEP = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


def origin_of(locate: Locate | None, path: str) -> Origin:
    """Where the value at ``path`` starts; ``Origin(path=path)`` when unknown."""
    found = locate(path) if locate is not None else None
    if found is None:
        return Origin(path=path)
    return found if found.path is not None else replace(found, path=path)


def nearest_origin(locate: Locate | None, path: str) -> Origin:
    """Like :func:`origin_of` but falls back to enclosing values.

    A missing key has no position of its own; pointing at the mapping that
    should contain it is the next best thing.
    """
    probe = path
    while locate is not None and probe:
        found = locate(probe)
        if found is not None:
            return replace(found, path=path)
        parent = _LAST_STEP.sub("", probe)
        if parent == probe:
            break
        probe = parent
    return Origin(path=path)


class Where(TypedDict):
    """The keyword arguments of a RuleError or Problem that locate it."""

    file: str | None
    line: int | None
    column: int | None
    path: str | None


def where(origin: Origin) -> Where:
    """Keyword arguments for a RuleError or Problem located at ``origin``."""
    return {"file": origin.file, "line": origin.line, "column": origin.column, "path": origin.path}
