"""Words and number formats shared by the audit, trend and sensitivity reports and charts."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from methodology import to_json_value

# What each cause of a change of index is called in reports and charts, in report order.
CAUSE_LABELS: dict[str, str] = {
    "performance": "Kết quả thực hiện của đơn vị",
    "removed": "Bãi bỏ",
    "added": "Tiêu chí mới",
    "reweighted": "Thay đổi điểm tối đa",
    "rule_changed": "Thay đổi cách chấm",
    "applicability_changed": "Thay đổi điều kiện áp dụng",
    "aggregation": "Giới hạn điểm (cộng dồn)",
    "policy_changed": "Thay đổi cách xử lý không phát sinh",
    "scale_changed": "Thay đổi thang điểm",
    "renamed": "Đổi tên",
    "moved": "Chuyển vị trí",
    "rounding": "Làm tròn",
}


def cause_order(causes: Iterable[str]) -> list[str]:
    """``causes`` in report order (unknown ones last, alphabetically)."""
    order = {c: i for i, c in enumerate(CAUSE_LABELS)}
    return sorted(set(causes), key=lambda c: (order.get(c, len(order)), c))


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
