"""What the tier analyses report, before it becomes a located Problem."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from rules._numbers import format_decimal
from rules._render import quote


@dataclass(frozen=True)
class Finding:
    code: str  # "tier-overlap" | "tier-gap" | "tier-unreachable"
    tier: int  # 0-based index of the tier the finding is about
    message: str
    severity: str = "error"


def show_value(value: object) -> str:
    """A value as it would be written in a rule."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return quote(value)
    return str(value)


def show_assignment(values: dict[str, object]) -> str:
    """``a = 1, b = true``."""
    return ", ".join(f"{name} = {show_value(value)}" for name, value in values.items())


def tier_list(indices: list[int]) -> str:
    """``tier 1`` / ``tiers 1 and 2`` / ``tiers 1, 2 and 3`` (1-based)."""
    numbers = [str(i + 1) for i in indices]
    if len(numbers) == 1:
        return f"tier {numbers[0]}"
    return f"tiers {', '.join(numbers[:-1])} and {numbers[-1]}"
