import datetime
from decimal import Decimal

import pytest

from rules import EvaluationError, Expression, InputSpec, Origin, Type

NAMES = {
    "a": InputSpec("a", "number", "A"),
    "b": InputSpec("b", "number", "B"),
    "ok": InputSpec("ok", "bool", "OK"),
    "muc": InputSpec("muc", "enum", "Mức", choices=("tốt", "khá")),
    "ngay": InputSpec("ngay", "date", "Ngày"),
    "ds": Type.LIST,
}


def ev(text, **values):
    return Expression.parse(text, NAMES).evaluate(values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", Decimal(7)),
        ("(1 + 2) * 3", Decimal(9)),
        ("10 - 4 - 3", Decimal(3)),
        ("1 / 4", Decimal("0.25")),
        ("-2 * -3", Decimal(6)),
        ("0.1 + 0.2", Decimal("0.3")),
        ("90% * 10", Decimal(9)),
        ("min(3, 1, 2) + max(3, 1, 2)", Decimal(4)),
        ("abs(-2.5)", Decimal("2.5")),
        ("round(2.345, 2)", Decimal("2.35")),
        ("round(2.5)", Decimal(3)),
        ("round(-2.5)", Decimal(-3)),
        ("round(2.4449, 2)", Decimal("2.44")),
        ("if(1 < 2, 10, 20)", Decimal(10)),
        ("if(1 > 2, 10, 20)", Decimal(20)),
        ("3 in [1, 2, 3]", True),
        ("3 not in [1, 2, 3]", False),
        ('"a" in ["b"]', False),
        ("1 == 1.00", True),
        ("true and not false", True),
        ('date("2024-01-02") > date("2024-01-01")', True),
    ],
)
def test_constant_expressions(text, expected):
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


def test_round_result_is_exact():
    assert str(ev("round(2.345, 2)")) == "2.35"
    assert str(ev("round(1, 2)")) == "1.00"


def test_inputs_are_converted_exactly():
    assert ev("a + b", a=0.1, b=0.2) == Decimal("0.3")
    assert ev("a * 2", a=3) == Decimal(6)
    assert ev("a", a=Decimal("1.50")) == Decimal("1.5")


def test_enum_values_are_nfc_normalised():
    import unicodedata

    assert ev('muc == "tốt"', muc=unicodedata.normalize("NFD", "tốt")) is True
    assert ev('muc in ["khá"]', muc="khá") is True


def test_list_names_and_dates():
    assert ev("a in ds", a=2, ds=[1, 2]) is True
    assert ev('ngay <= date("2024-03-31")', ngay=datetime.date(2024, 3, 1)) is True


def test_short_circuit():
    # b is missing but never needed.
    assert ev("ok or b > 1", ok=True) is True
    assert ev("ok and b > 1", ok=False) is False
    assert ev("if(ok, 1, b)", ok=True) == 1


def test_division_by_zero():
    with pytest.raises(EvaluationError, match="division by zero") as info:
        Expression.parse("a / (b - 2)", NAMES, origin=Origin("f.md", 3, 10)).evaluate(
            {"a": 1, "b": 2}
        )
    assert (info.value.file, info.value.line, info.value.column) == ("f.md", 3, 12)


def test_missing_value():
    with pytest.raises(EvaluationError, match="missing value for 'b'") as info:
        ev("a + b", a=1)
    assert info.value.token == "b"
    with pytest.raises(EvaluationError, match="missing value"):
        ev("a + b", a=1, b=None)


def test_wrong_value_type():
    with pytest.raises(EvaluationError, match="value for 'a' must be a number, got bool"):
        ev("a + 1", a=True)
    with pytest.raises(EvaluationError, match="must be a bool"):
        ev("ok", ok=1)
