"""Cleaning submitted values against their declarations before any engine sees them.

Engines compare what they are given; durable-rules in particular compares a string
with a number as text and truncates integer arithmetic. So every value is checked
here once: numbers become finite Decimals of a bounded magnitude (`MAX_EXPONENT` in
`rules._numbers`) within the declared bounds, booleans must be real booleans, enum
values one of the choices (NFC), dates ISO dates. Every problem is collected with its
JSON path, never just the first.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from typing import Any

from rules import InputSpec, InputType, did_you_mean, magnitude_problem

__all__ = ["POINTS", "clean_number", "clean_value"]

# what survey scores and the appraisal's points are: numbers without declared bounds
# (a kind's points check them against the criterion's maximum)
POINTS = InputSpec("points", InputType.NUMBER, "points")


def clean_value(spec: InputSpec, raw: Any) -> tuple[Any, str | None]:
    """(clean value, None) or (None, the reason it is invalid)."""
    if spec.type is InputType.BOOL:
        if isinstance(raw, bool):
            return raw, None
        return None, f"expected true or false, got {raw!r}"
    if spec.type is InputType.ENUM:
        if not isinstance(raw, str):
            return None, f"expected one of {', '.join(spec.choices)}, got {raw!r}"
        value = unicodedata.normalize("NFC", raw)
        if value not in spec.choices:
            hint = did_you_mean(value, spec.choices)
            return None, f"'{value}' is not one of {', '.join(spec.choices)}" + (
                f" ({hint})" if hint else ""
            )
        return value, None
    if spec.type is InputType.DATE:
        if isinstance(raw, dt.date):
            return raw, None
        try:
            return dt.date.fromisoformat(str(raw)), None
        except ValueError:
            return None, f"expected a date YYYY-MM-DD, got {raw!r}"
    return _number(spec, raw)


def clean_number(raw: Any) -> tuple[Decimal | None, str | None]:
    """A number submitted for a criterion rather than for an input (a survey score, the
    appraisal council's points), cleaned as `POINTS`: (number, None) or (None, why not)."""
    return _number(POINTS, raw)


def _number(spec: InputSpec, raw: Any) -> tuple[Decimal | None, str | None]:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        return None, f"expected a number, got {raw!r}"
    if isinstance(raw, str) and "," in raw:
        return (
            None,
            f"expected a number, got {raw!r} (write decimals with a dot: {raw.replace(',', '.')})",
        )
    try:
        value = Decimal(str(raw).strip())
    except ArithmeticError:
        return None, f"expected a number, got {raw!r}"
    if not value.is_finite():
        return None, f"{raw!r} is not a finite number"
    problem = magnitude_problem(value)
    if problem:
        return None, f"{raw!r}: {problem}"
    if spec.type is InputType.COUNT and value != value.to_integral_value():
        return None, f"a count is a whole number, got {raw!r}"
    low, high = spec.domain_min, spec.domain_max
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"[{'−∞' if low is None else low}, {'∞' if high is None else high}]"
        return None, f"{raw} is outside {bounds}"
    return value, None
