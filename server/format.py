"""How numbers, dates and lists look to people: Vietnamese conventions, in one place.

Points are written with a decimal comma (`0,5 điểm`), dates `dd/mm/yyyy`, and lists are sorted with Vietnamese collation. What people type is
read back with a comma or a point (`0,5` and `0.5` are both one half).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from evaluators import vietnamese_key, vn

__all__ = [
    "FILTERS",
    "parse_date",
    "parse_number",
    "sort_vi",
    "stored_number",
    "vi_date",
    "vi_duration",
    "vi_number",
]

T = TypeVar("T")


def vi_number(value: Any, places: int | None = None) -> str:
    """``Decimal("12.5")`` → ``12,5``, as the reports write numbers (`evaluators.vn`):
    a decimal comma and a real minus sign; ``places`` fixes the decimals, else as many as
    the value has (at most 4). ``None`` → ``—``."""
    if value is None or value == "":
        return "—"
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    if places is None:
        exponent = number.normalize().as_tuple().exponent
        places = min(max(0, -exponent), 4) if isinstance(exponent, int) else 0
    return str(vn(number, places))


def vi_date(value: Any) -> str:
    """``2022-11-10`` (a date, a datetime or ISO text) → ``10/11/2022``."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


def parse_number(text: str) -> Decimal:
    """A number as people type it: ``0,5``, ``0.5``, `` 12 ``, ``-3,25``.

    A single comma or point is the decimal separator. Thousands separators are refused
    rather than guessed: ``1.234`` would be 1234 in a Vietnamese document and 1.234 in a
    spreadsheet, and a score must not depend on which the person meant.
    Raises ValueError with a Vietnamese message."""
    cleaned = unicodedata.normalize("NFC", text).strip().replace("\u00a0", "").replace(" ", "")
    if not cleaned:
        raise ValueError("chưa nhập số")
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(
            f"'{text.strip()}' không phải là một số (viết ví dụ 12 hoặc 0,5; "
            "không dùng dấu phân cách hàng nghìn)"
        )
    return Decimal(cleaned.replace(",", "."))


def parse_date(text: str) -> dt.date:
    """A date as people type it: ``15/04/2024`` or ``15-04-2024`` (day first, as Vietnamese
    writes dates), or ``2024-04-15`` (what a date field sends). Raises ValueError in
    Vietnamese. The one reader of typed dates: pages, forms and the release form use it."""
    cleaned = unicodedata.normalize("NFC", text).strip()
    if not cleaned:
        raise ValueError("chưa nhập ngày")
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"“{cleaned}” không phải là ngày; hãy viết ngày/tháng/năm, ví dụ 15/04/2024")


def stored_number(number: Decimal) -> int | float:
    """A number read from what people typed, as the API stores one it is sent in JSON:
    an integer when whole, else a float."""
    if number == number.to_integral_value() and abs(number) < 10**15:
        return int(number)
    return float(number)


def sort_vi(items: Iterable[T], key: Callable[[T], str] | None = None) -> list[T]:
    """``items`` in Vietnamese alphabetical order (Đ after D, tones after the base letter)."""
    get = key or str
    return sorted(items, key=lambda item: vietnamese_key(get(item)))


def _points(value: Any, places: int | None = None) -> str:
    return f"{vi_number(value, places)} điểm"


def vi_duration(seconds: int) -> str:
    """A duration as people say it: "45 giây", "2 phút 5 giây", "1 giờ 3 phút"."""
    hours, rest = divmod(max(int(seconds), 0), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"
    if minutes:
        return f"{minutes} phút {secs} giây" if secs else f"{minutes} phút"
    return f"{secs} giây"


# The Jinja filters every template may use.
FILTERS: dict[str, Callable[..., Any]] = {
    "so": vi_number,
    "diem": _points,
    "ngay": vi_date,
    "thoi_gian": vi_duration,
}
