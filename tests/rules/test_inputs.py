import unicodedata
from decimal import Decimal

import pytest

from rules import InputSpec, InputType, Origin, SpecError, Type, inputs_from_dict


def test_from_dict_ratio_defaults():
    spec = InputSpec.from_dict("ty_le", {"type": "ratio", "label": "Tỷ lệ", "unit": "%"})
    assert spec.type is InputType.RATIO
    assert spec.value_type is Type.NUMBER
    assert (spec.domain_min, spec.domain_max) == (Decimal(0), Decimal(1))
    assert spec.required is True


def test_count_and_number_domains():
    count = InputSpec.from_dict("n", {"type": "count", "label": "Số", "max": 10})
    assert (count.domain_min, count.domain_max) == (Decimal(0), Decimal(10))
    number = InputSpec.from_dict("x", {"type": "number", "label": "X"})
    assert (number.domain_min, number.domain_max) == (None, None)
    assert InputSpec.from_dict("b", {"type": "bool", "label": "B"}).value_type is Type.BOOL
    assert InputSpec.from_dict("d", {"type": "date", "label": "D"}).value_type is Type.DATE


def test_label_is_nfc_normalised():
    decomposed = unicodedata.normalize("NFD", "Tỷ lệ hồ sơ")
    spec = InputSpec.from_dict("x", {"type": "number", "label": decomposed})
    assert spec.label == "Tỷ lệ hồ sơ"
    assert spec.label == unicodedata.normalize("NFC", decomposed)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "ratio", "label": "R", "min": 0.5, "max": "90%", "unit": "%", "label_en": "R"},
        {"type": "enum", "label": "E", "choices": ["tot", "kha"], "required": False},
        {"type": "count", "label": "C", "min": 1, "max": 20},
        {"type": "number", "label": "N", "min": "-3.5"},
        {"type": "date", "label": "D"},
    ],
)
def test_round_trip(data):
    spec = InputSpec.from_dict("abc", data)
    assert InputSpec.from_dict("abc", spec.to_dict()) == spec


def test_to_dict_is_minimal_and_exact():
    spec = InputSpec.from_dict("x", {"type": "ratio", "label": "R", "min": 0.1})
    assert spec.to_dict() == {"type": "ratio", "label": "R", "min": Decimal("0.1")}


@pytest.mark.parametrize(
    ("data", "fragment", "suggestion"),
    [
        ({"type": "ratio", "label": "R", "lable_en": "x"}, "unknown key 'lable_en'", "label_en"),
        ({"label": "R"}, "has no type", None),
        ({"type": "ratio"}, "has no label", None),
        ({"type": "ration", "label": "R"}, "unknown input type 'ration'", "ratio"),
        ({"type": "number", "label": "R", "min": 5, "max": 1}, "greater than max", None),
        ({"type": "number", "label": "R", "min": "abc"}, "bad min", None),
        ({"type": "number", "label": "R", "min": True}, "bad min", None),
        ({"type": "ratio", "label": "R", "max": 2}, "within [0, 1]", None),
        ({"type": "count", "label": "R", "max": 2.5}, "whole number", None),
        ({"type": "enum", "label": "R"}, "non-empty list of choices", None),
        ({"type": "bool", "label": "R", "choices": ["a"]}, "only allowed on enum", None),
        ({"type": "enum", "label": "R", "choices": ["a", "a"]}, "duplicate", None),
    ],
)
def test_spec_errors(data, fragment, suggestion):
    with pytest.raises(SpecError) as info:
        InputSpec.from_dict("x", data)
    assert fragment in info.value.message
    if suggestion:
        assert f"`{suggestion}`" in info.value.suggestion


def test_bad_id():
    with pytest.raises(SpecError, match="invalid input id"):
        InputSpec.from_dict("Ty_le", {"type": "ratio", "label": "R"})


def test_errors_are_located():
    def locate(path):
        return {"inputs.x.type": Origin("m.md", 7, 11)}.get(path)

    with pytest.raises(SpecError) as info:
        InputSpec.from_dict("x", {"type": "nmber", "label": "L"}, locate=locate)
    err = info.value
    assert (err.file, err.line, err.column, err.path) == ("m.md", 7, 11, "inputs.x.type")
    assert str(err).startswith("m.md:7:11: unknown input type 'nmber'")


def test_inputs_from_dict():
    specs = inputs_from_dict({"a": {"type": "bool", "label": "A"}})
    assert specs["a"].id == "a"
