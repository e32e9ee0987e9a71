"""Number formats shared by the audit, trend and sensitivity reports and charts (their
words for causes and kinds of change are in `methodology.change_kinds`)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from methodology import to_json_value


def number(value: Decimal | Fraction | None) -> Any:
    """A Decimal as a JSON number (None stays None)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return to_json_value(value)


def vn(value: Decimal | float | int | None, places: int = 2, *, sign: bool = False) -> str:
    """A number written the Vietnamese way: comma decimals, a real minus sign.

    >>> vn(Decimal("-1.35"), sign=True)
    '−1,35'
    """
    if value is None:
        return "—"
    text = f"{abs(Decimal(str(value))):.{places}f}".replace(".", ",")
    if Decimal(str(value)) < 0:
        return "−" + text
    return ("+" + text) if sign and Decimal(str(value)) > 0 else text
