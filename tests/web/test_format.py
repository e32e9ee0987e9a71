"""Numbers and dates as Vietnamese people read and type them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.format import parse_date, parse_number, sort_vi, vi_date, vi_duration, vi_number


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Decimal("0.5"), None, "0,5"),
        (Decimal("12.50"), None, "12,5"),
        (Decimal("-3"), None, "−3"),
        (Decimal("33.90"), 2, "33,90"),
        (Decimal("2.5"), 2, "2,50"),
        (Decimal("1E+2"), None, "100"),
        (None, None, "—"),
    ],
)
def test_numbers_are_written_with_a_decimal_comma(value, places, shown):
    assert vi_number(value, places) == shown


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("0,5", "0.5"),
        ("0.5", "0.5"),
        (" 12 ", "12"),
        ("-3,25", "-3.25"),
        (",5", "0.5"),
        ("7,", "7"),
    ],
)
def test_numbers_are_read_with_a_comma_or_a_point(typed, number):
    assert parse_number(typed) == Decimal(number)


@pytest.mark.parametrize("typed", ["", "  ", "1.234,5", "1,234.5", "abc", "1e5", "1 000,5x", "--1"])
def test_what_is_not_a_number_is_refused_in_vietnamese(typed):
    with pytest.raises(ValueError) as caught:
        parse_number(typed)
    assert "số" in str(caught.value)


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, min_value=Decimal("-1e12"), max_value=Decimal("1e12")
    ).filter(lambda d: d == d.quantize(Decimal("0.0001")))
)
def test_what_a_page_shows_reads_back_as_the_same_number(value):
    shown = vi_number(value).replace("−", "-")
    assert parse_number(shown) == value


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_parsing_anything_returns_a_number_or_a_clear_error(text):
    try:
        assert isinstance(parse_number(text), Decimal)
    except ValueError as exc:
        assert str(exc)


def test_dates_are_day_month_year():
    assert vi_date(dt.date(2022, 11, 10)) == "10/11/2022"
    assert vi_date("2019-12-30") == "30/12/2019"
    assert vi_date(dt.datetime(2026, 1, 2, 8, 5)) == "02/01/2026 08:05"


def test_lists_follow_vietnamese_alphabetical_order():
    names = ["Điện Biên", "Đà Nẵng", "Cần Thơ", "Bắc Giang", "Bà Rịa", "Dak Nông", "An Giang"]
    assert sort_vi(names) == [
        "An Giang",
        "Bà Rịa",
        "Bắc Giang",
        "Cần Thơ",
        "Dak Nông",
        "Đà Nẵng",
        "Điện Biên",
    ]


def test_dates_are_read_day_first_or_iso_and_wrong_ones_are_said_in_vietnamese():
    assert parse_date(" 15/04/2024 ") == dt.date(2024, 4, 15)
    assert parse_date("2024-04-15") == dt.date(2024, 4, 15)  # what a date field sends
    assert parse_date("05/04/2024") == dt.date(2024, 4, 5)  # the day first, never the month
    for text, message in [
        ("", "chưa nhập ngày"),
        ("31/02/2024", "“31/02/2024” không phải là ngày"),
        ("04/15/2024", "“04/15/2024” không phải là ngày"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_date(text)


def test_durations_are_said_in_hours_minutes_and_seconds():
    assert [vi_duration(s) for s in (0, 45, 60, 125, 3600, 3780, -3)] == [
        "0 giây",
        "45 giây",
        "1 phút",
        "2 phút 5 giây",
        "1 giờ",
        "1 giờ 3 phút",
        "0 giây",
    ]
