"""What a person types in the self-assessment form, read as the API stores it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules import InputSpec
from server.web.pages.assessment import bounds_text, read_value, shown_value

RATIO = InputSpec("ty_le", "ratio", "Tỷ lệ", unit="%")
COUNT = InputSpec("so", "count", "Số văn bản", unit="văn bản")
NUMBER = InputSpec("diem", "number", "Điểm", min=Decimal("-2"), max=Decimal("2.5"))
DATE = InputSpec("ngay", "date", "Ngày ban hành")
BOOL = InputSpec("co", "bool", "Đã ban hành")
ENUM = InputSpec("muc", "enum", "Mức", choices=("dung_han", "tre_han"))


@pytest.mark.parametrize(
    ("spec", "text", "stored"),
    [
        (RATIO, "85,5", 0.855),
        (RATIO, "85.5", 0.855),
        (RATIO, "100", 1),
        (RATIO, " 0,5 ", 0.005),
        (COUNT, "42", 42),
        (NUMBER, "-1,25", -1.25),
        (NUMBER, "0,5", 0.5),
        (DATE, "2023-03-15", "2023-03-15"),
        (DATE, "15/03/2023", "2023-03-15"),
        (BOOL, "co", True),
        (BOOL, "khong", False),
        (ENUM, "tre_han", "tre_han"),
        (COUNT, "", None),
    ],
)
def test_typed_values_are_stored_as_the_api_stores_them(spec, text, stored):
    value = read_value(spec, text)
    assert value == stored and type(value) is type(stored)


@pytest.mark.parametrize(
    ("spec", "text", "message"),
    [
        (COUNT, "mười", "không phải là một số"),
        (RATIO, "1.234,5", "không dùng dấu phân cách hàng nghìn"),
        (DATE, "31/02/2023", "không phải là một ngày"),
        (BOOL, "có lẽ", "hãy chọn Có hoặc Không"),
        (ENUM, "som", "hãy chọn một trong các mức đã cho"),
    ],
)
def test_what_cannot_be_read_is_said_in_vietnamese(spec, text, message):
    with pytest.raises(ValueError, match=message):
        read_value(spec, text)


def test_bounds_are_written_as_people_read_them():
    assert bounds_text(RATIO) == "từ 0 đến 100 %"
    assert bounds_text(COUNT) == "số nguyên, từ 0 trở lên"
    assert bounds_text(NUMBER) == "từ −2 đến 2,5"


def test_stored_values_are_shown_back_as_typed():
    assert shown_value(RATIO, 0.7917) == "79,17"
    assert shown_value(RATIO, 1) == "100"
    assert shown_value(NUMBER, 0.5) == "0,5"
    assert shown_value(COUNT, None) == ""
