"""Where a piece of rule text starts in its source file."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Origin"]


@dataclass(frozen=True)
class Origin:
    """Position of the first character of a value in a methodology file.

    ``line`` and ``column`` are 1-based; ``path`` is the JSON path of the value
    inside the front matter (e.g. ``scoring.tiers[1].when``).
    """

    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
