"""Exact decimal numbers: reading them from YAML values and writing them back."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Arithmetic results keep 15 significant digits (rounded half-even): enough for any
# administrative score, and exactly what a double can tell apart, so an engine that
# compares in floating point (durable-rules) agrees with this exact evaluator.
PRECISION = 15

# Numbers people enter (submitted values, survey scores, council points) and numbers a
# methodology writes (points, bounds, thresholds, rule constants) have an adjusted
# exponent within ±MAX_EXPONENT: zero, or a magnitude from 1e-100 to below 1e101. Every
# real count, ratio or amount in đồng is far inside. The bound keeps each evaluator
# honest: a product of three such numbers is still a finite double (below 1e303, above
# 1e-300), so the float comparisons of the durable and vectorised engines see what the
# exact evaluator sees, and Decimal arithmetic (exponents to ±999999) can only overflow
# after thousands of operations — which `rules.errors.EvaluationError` then reports.
MAX_EXPONENT = 100


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
    problem = magnitude_problem(result)
    if problem:
        raise ValueError(f"{value!r}: {problem}")
    return result


def decimal_places(value: Decimal) -> int:
    """Digits after the point of a finite ``value`` as written: 0 for 12 and 1E+1,
    2 for 1.50."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # "n", "N" or "F": NaN or infinity
        raise ValueError(f"{value} has no decimal places")
    return max(0, -exponent)


def magnitude_problem(value: Decimal) -> str | None:
    """Why a finite ``value`` is beyond the magnitudes parindex accepts (see
    `MAX_EXPONENT`), or None."""
    exponent = value.adjusted()
    if not value and not -MAX_EXPONENT <= exponent <= MAX_EXPONENT:
        return f"số 0 viết với số mũ ngoài ±{MAX_EXPONENT} (hãy viết 0)"
    if exponent > MAX_EXPONENT:
        return f"số quá lớn (giá trị tuyệt đối phải nhỏ hơn 1e{MAX_EXPONENT + 1})"
    if exponent < -MAX_EXPONENT:
        return f"số quá nhỏ (khác 0 thì giá trị tuyệt đối phải từ 1e-{MAX_EXPONENT} trở lên)"
    return None


_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


def decimal_comma(value: object) -> str | None:
    """``0.5`` for the text ``0,5`` (the decimal comma Vietnamese documents write, as in
    "0,5 điểm"), else None: what to suggest instead of a number that does not parse."""
    if isinstance(value, str) and _DECIMAL_COMMA.fullmatch(value.strip()):
        return value.strip().replace(",", ".")
    return None


def _from_text(text: str, allow_percent: bool) -> Decimal:
    percent = text.endswith("%")
    digits = text[:-1].rstrip() if percent else text
    if percent and not allow_percent:
        raise ValueError(f"a percentage is not allowed here: {text!r}")
    dotted = decimal_comma(digits)
    if dotted is not None:
        written = f"{dotted}{'%' if percent else ''}"
        raise ValueError(f"{text!r} dùng dấu phẩy thập phân: hãy viết {written}")
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
