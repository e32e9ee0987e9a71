"""Reading rule mappings from front matter with precise, located errors."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rules._locate import Locate, nearest_origin, origin_of, where
from rules._numbers import to_decimal
from rules._suggest import did_you_mean
from rules.errors import SpecError
from rules.expression import Expression
from rules.inputs import InputSpec
from rules.types import Type


@dataclass(frozen=True)
class SpecContext:
    """What a scoring kind needs to read its mapping.

    ``names`` are the inputs and facts expressions may use; ``max_points``
    is the node's maximum; ``locate`` maps JSON paths to file positions.
    """

    names: Mapping[str, InputSpec | Type]
    max_points: Decimal
    locate: Locate | None = None

    def error(
        self, message: str, path: str, *, suggestion: str | None = None, token: str | None = None
    ) -> SpecError:
        """A SpecError pointing at ``path`` (or the nearest enclosing value)."""
        origin = nearest_origin(self.locate, path)
        return SpecError(message, suggestion=suggestion, token=token, **where(origin))

    def mapping(self, data: object, path: str) -> Mapping[str, Any]:
        """``data`` itself, if it is a mapping."""
        if not isinstance(data, Mapping):
            raise self.error(f"expected a mapping, got {_kind(data)}", path)
        return data

    def sequence(self, data: Mapping[str, Any], key: str, path: str) -> list[Any]:
        """The list under ``key``."""
        value = data[key]
        if not isinstance(value, list | tuple):
            raise self.error(f"{key} must be a list, got {_kind(value)}", f"{path}.{key}")
        return list(value)

    def keys(
        self,
        data: Mapping[str, Any],
        path: str,
        *,
        required: Collection[str] = (),
        optional: Collection[str] = (),
    ) -> None:
        """Reject unknown keys (suggesting the closest) and missing required ones."""
        allowed = [*required, *optional]
        for key in data:
            if key not in allowed:
                raise self.error(
                    f"unknown key {key!r}",
                    f"{path}.{key}",
                    suggestion=did_you_mean(str(key), allowed),
                    token=str(key),
                )
        for key in required:
            if key not in data:
                raise self.error(f"missing key {key!r}", f"{path}.{key}")

    def number(self, value: object, path: str, *, percent: bool = False) -> Decimal:
        """A Decimal from an int, float, Decimal or numeric string."""
        try:
            return to_decimal(value, allow_percent=percent)
        except ValueError as exc:
            raise self.error(str(exc), path, token=str(value)) from None

    def expression(self, value: object, path: str, *, expect: Type) -> Expression:
        """Parse an expression located at ``path``."""
        if isinstance(value, bool):
            # YAML reads `when: true` as a boolean, not as text.
            value = "true" if value else "false"
        elif isinstance(value, int | float | Decimal):
            value = str(value)
        if not isinstance(value, str):
            raise self.error(f"expected an expression, got {_kind(value)}", path)
        return Expression.parse(
            value, self.names, expect=expect, origin=origin_of(self.locate, path)
        )


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__
