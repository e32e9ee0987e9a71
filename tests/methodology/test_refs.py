"""Property tests of the refs that are not names: dates, assessment years and the years a
release applies to, with odd Unicode and the extreme dates Python can hold."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from methodology import RefNotFound, ReleaseError, format_years, parse_ref, parse_spec, parse_years
from methodology.releases import AsOf, ForYear

UTC_END = dt.time(23, 59, 59, tzinfo=dt.UTC)


@given(st.dates())
@example(dt.date.min)
@example(dt.date.max)
@example(dt.date(2024, 2, 29))
def test_every_date_is_read_as_the_day_it_names(day):
    meant = parse_ref(day.isoformat())
    assert meant == AsOf(day, dt.datetime.combine(day, UTC_END))
    # spaces around it, as a form sends them, change nothing
    assert parse_ref(f" {day.isoformat()}\t") == meant


# A ref carries an offset, not a zone (whose ambiguous hours never compare equal).
OFFSETS = st.builds(
    dt.timezone,
    st.timedeltas(
        min_value=dt.timedelta(hours=-23, minutes=-59), max_value=dt.timedelta(hours=23, minutes=59)
    ),
)


@given(st.datetimes(timezones=OFFSETS | st.none()))
@example(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=-12))))
@example(dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=14))))
def test_a_date_and_time_is_read_as_the_day_written(when):
    meant = parse_ref(when.isoformat())
    assert isinstance(meant, AsOf)
    assert meant.day == when.date()
    assert meant.instant == (when if when.tzinfo else when.replace(tzinfo=dt.UTC))


@given(st.integers(1, 9999), st.sampled_from(["year:", "năm:", "YEAR: ", "Năm :", "NĂM:"]))
def test_every_assessment_year_is_read_in_either_language(year, prefix):
    assert parse_ref(f"{prefix}{year}") == ForYear(year)
    assert parse_ref(unicodedata.normalize("NFD", f"{prefix}{year}")) == ForYear(year)


@given(st.text(max_size=40))
@example("year:")
@example("year:0")
@example("year:12345")
@example("năm:２０２３")
@example("2023-02-29")
@example("0000-01-01")
@example("２０２３-０１-０１")
@example("2023-01-01T25:00")
@example("2023-01-01\x00")
@example("2023-01-01\u0301")
def test_any_text_is_a_date_a_year_a_name_or_a_clear_error(text):
    try:
        meant = parse_ref(text)
    except RefNotFound as exc:
        # the error names what was written
        assert f"'{text}'" in str(exc)
        return
    if isinstance(meant, AsOf):
        assert meant.day.isoformat() in unicodedata.normalize("NFC", text)
        assert text.strip().isascii()
    elif isinstance(meant, ForYear):
        assert 1 <= meant.year <= 9999
    else:
        assert meant is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("2023-02-29", "'2023-02-29' is not a date: day is out of range for month"),
        ("0000-01-01", "'0000-01-01' is not a date"),
        ("year:0", "'year:0' is not an assessment year; write year:YYYY"),
        ("năm:２０２３", "'năm:２０２３' is not an assessment year"),
        ("year:twenty", "'year:twenty' is not an assessment year"),
    ],
)
def test_a_date_or_a_year_that_is_none_is_an_error_naming_it(text, error):
    with pytest.raises(RefNotFound) as info:
        parse_ref(text)
    assert str(info.value).startswith(error)


@pytest.mark.parametrize(
    "text", ["２０２３-０１-０１", "2022", "vi-du/2014", "main", "2023-01-01x"]
)
def test_digits_of_other_scripts_and_names_are_names(text):
    assert parse_ref(text) is None


@given(
    st.integers(1, 9899).flatmap(
        lambda start: st.sets(st.integers(start, start + 99), min_size=1, max_size=30)
    ),
    st.sampled_from(["-", "–"]),
)
def test_years_written_as_spans_read_back(years, dash):
    text = format_years(years, dash=dash)
    assert parse_years(text) == tuple(sorted(years))
    assert parse_years(sorted(years)) == tuple(sorted(years))
    assert parse_years(text.split(", ")) == tuple(sorted(years))


@given(st.text(max_size=30) | st.lists(st.integers() | st.text(max_size=8), max_size=4))
def test_any_years_value_is_years_or_an_error_at_years(value):
    try:
        years = parse_years(value)
    except ReleaseError as exc:
        assert exc.path == "years" and str(exc).startswith("years: ")
        return
    assert years == tuple(sorted(set(years))) and years
    assert years[0] >= 1 and years[-1] <= 9999 and years[-1] - years[0] < 100


@given(
    st.text(min_size=1, max_size=20).filter(lambda s: "@" not in s and s.lstrip().strip("/")),
    st.sampled_from(["2025-01-01", "year:2023", "năm:2023", "par-provincial/2022", "9999-12-31"]),
)
def test_a_spec_keeps_its_ref_whatever_the_name(name, ref):
    spec = parse_spec(f"{name}@{ref}")
    # the text is stripped at its ends only: what is inside stays as written
    assert spec.ref == ref and spec.methodology == name.lstrip().strip("/")
