"""Static types of rule expressions."""

from __future__ import annotations

from enum import Enum

__all__ = ["Type"]


class Type(Enum):
    """The type of an expression's value."""

    NUMBER = "number"
    BOOL = "bool"
    STRING = "string"
    DATE = "date"
    LIST = "list"

    def __str__(self) -> str:
        return self.value
