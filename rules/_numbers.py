"""Exact decimal numbers: reading them from YAML values and writing them back."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# Arithmetic results keep 15 significant digits (rounded half-even): enough for any
# administrative score, and exactly what a double can tell apart, so an engine that
# compares in floating point (durable-rules) agrees with this exact evaluator.
PRECISION = 15


def to_decimal(value: object, *, allow_percent: bool = False) -> Decimal:
    """Convert a YAML scalar to Decimal; raise ValueError with a readable reason.

    Floats go through ``str`` so that ``0.1`` stays ``0.1`` rather than the
    binary approximation.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | float):
        result = Decimal(str(value))
    elif isinstance(value, str):
        result = _from_text(value.strip(), allow_percent)
    else:
        raise ValueError(f"expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


def _from_text(text: str, allow_percent: bool) -> Decimal:
    percent = text.endswith("%")
    digits = text[:-1].rstrip() if percent else text
    if percent and not allow_percent:
        raise ValueError(f"a percentage is not allowed here: {text!r}")
    if "," in digits and "." not in digits:
        raise ValueError(f"use '.' as the decimal separator: {text!r}")
    try:
        number = Decimal(digits)
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    return number.scaleb(-2) if percent else number


def format_decimal(value: Decimal) -> str:
    """Shortest plain (non-scientific) rendering: ``2.50`` → ``2.5``."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def format_percent(value: Decimal) -> str:
    """Render a fraction as a percentage: ``0.9`` → ``90%``."""
    return format_decimal(value.scaleb(2)) + "%"
