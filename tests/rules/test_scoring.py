from decimal import Decimal

import pytest
import yaml

from rules import (
    KINDS,
    Adjustment,
    Base,
    Boolean,
    Formula,
    InputSpec,
    Linear,
    Manual,
    Origin,
    Ratio,
    RuleSyntaxError,
    RuleTypeError,
    Scoring,
    SpecError,
    Survey,
    Tiers,
    UnknownNameError,
    register_kind,
)

INPUTS = {
    "ty_le_hoan_thanh": InputSpec("ty_le_hoan_thanh", "ratio", "Tỷ lệ hoàn thành"),
    "da_ban_hanh": InputSpec("da_ban_hanh", "bool", "Đã ban hành"),
    "so_ho_so_dung_han": InputSpec("so_ho_so_dung_han", "count", "Số hồ sơ đúng hạn"),
    "tong_so_ho_so": InputSpec("tong_so_ho_so", "count", "Tổng số hồ sơ"),
    "ty_le_giai_quyet": InputSpec("ty_le_giai_quyet", "ratio", "Tỷ lệ giải quyết"),
    "so_sang_kien": InputSpec("so_sang_kien", "count", "Số sáng kiến"),
    "co_giai_thuong": InputSpec("co_giai_thuong", "bool", "Có giải thưởng"),
    "so_giai_thuong": InputSpec("so_giai_thuong", "count", "Số giải thưởng"),
}
FACTS = {"dan_so": InputSpec("dan_so", "count", "Dân số")}

DOCS = {
    "tiers": """
kind: tiers
tiers:
  - when: ty_le_hoan_thanh > 90%
    points: 2
  - when: ty_le_hoan_thanh >= 70% and ty_le_hoan_thanh <= 90%
    points: 1
  - otherwise: true
    points: 0
""",
    "boolean": "{kind: boolean, when: da_ban_hanh}",
    "boolean_points": "{kind: boolean, when: not da_ban_hanh, points: 0.5}",
    "ratio": "{kind: ratio, numerator: so_ho_so_dung_han, denominator: tong_so_ho_so, "
    "on_zero: not_applicable}",
    "linear": """
kind: linear
of: ty_le_giai_quyet
thresholds: [{at: 50%, points: 0}, {at: 100%, points: 2}]
""",
    "formula": '{kind: formula, expression: "min(2, so_sang_kien * 0.5) + dan_so / 1000000"}',
    "survey": "{kind: survey}",
    "manual": "{kind: manual}",
}
EXPECTED_TYPES = {
    "tiers": Tiers,
    "boolean": Boolean,
    "boolean_points": Boolean,
    "ratio": Ratio,
    "linear": Linear,
    "formula": Formula,
    "survey": Survey,
    "manual": Manual,
}


def load(doc, **kwargs):
    data = yaml.safe_load(doc) if isinstance(doc, str) else doc
    return Scoring.from_dict(data, inputs=INPUTS, facts=FACTS, max_points=Decimal(2), **kwargs)


@pytest.mark.parametrize("name", sorted(DOCS))
def test_round_trip(name):
    scoring = load(DOCS[name])
    assert type(scoring) is EXPECTED_TYPES[name]
    data = scoring.to_dict()
    assert data["kind"] == scoring.kind
    assert load(data) == scoring
    # The canonical form survives YAML too (Decimals written as strings).
    dumped = yaml.safe_dump(_plain(data), allow_unicode=True)
    assert load(yaml.safe_load(dumped)) == scoring


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_tiers_content():
    scoring = load(DOCS["tiers"])
    assert [t.points for t in scoring.tiers] == [Decimal(2), Decimal(1), Decimal(0)]
    assert scoring.tiers[2].condition is None
    assert scoring.names == frozenset({"ty_le_hoan_thanh"})
    assert scoring.to_dict()["tiers"][0] == {"when": "ty_le_hoan_thanh > 90%", "points": 2}


def test_linear_accepts_percent_at():
    scoring = load(DOCS["linear"])
    assert scoring.thresholds == ((Decimal("0.5"), Decimal(0)), (Decimal(1), Decimal(2)))


def test_names_include_facts():
    assert load(DOCS["formula"]).names == frozenset({"so_sang_kien", "dan_so"})
    assert load(DOCS["ratio"]).names == frozenset({"so_ho_so_dung_han", "tong_so_ho_so"})


def test_kind_can_be_implied_by_class():
    assert Boolean.from_dict({"when": "da_ban_hanh"}, inputs=INPUTS, max_points=1) == load(
        DOCS["boolean"]
    )


def test_unknown_kind_suggests():
    with pytest.raises(SpecError) as info:
        load({"kind": "tier", "tiers": []})
    assert info.value.message == "unknown scoring kind 'tier'"
    assert info.value.suggestion == "did you mean `tiers`?"
    assert info.value.path == "scoring.kind"


def test_missing_kind():
    with pytest.raises(SpecError, match="missing key 'kind'"):
        load({"when": "da_ban_hanh"})


@pytest.mark.parametrize(
    ("data", "message", "path"),
    [
        ({"kind": "tiers"}, "missing key 'tiers'", "scoring.tiers"),
        ({"kind": "tiers", "tiers": []}, "tiers must not be empty", "scoring.tiers"),
        (
            {"kind": "tiers", "tiers": [{"when": "da_ban_hanh"}]},
            "missing key 'points'",
            "scoring.tiers[0].points",
        ),
        (
            {
                "kind": "tiers",
                "tiers": [{"otherwise": True, "points": 0}, {"when": "true", "points": 1}],
            },
            "the otherwise tier must come last",
            "scoring.tiers[0].otherwise",
        ),
        (
            {"kind": "tiers", "tiers": [{"when": "true", "point": 1}]},
            "unknown key 'point'",
            "scoring.tiers[0].point",
        ),
        (
            {"kind": "boolean", "when": "da_ban_hanh", "points": "abc"},
            "not a number",
            "scoring.points",
        ),
        (
            {"kind": "ratio", "numerator": "1", "denominator": "1", "on_zero": "none"},
            "on_zero must be one of",
            "scoring.on_zero",
        ),
        (
            {"kind": "ratio", "numerator": "1", "denominator": "1"},
            "missing key 'on_zero'",
            "scoring.on_zero",
        ),
        (
            {"kind": "linear", "of": "ty_le_giai_quyet", "thresholds": 5},
            "thresholds must be a list",
            "scoring.thresholds",
        ),
        ({"kind": "survey", "points": 1}, "unknown key 'points'", "scoring.points"),
        ({"kind": "boolean", "when": ["x"]}, "expected an expression", "scoring.when"),
        ("tiers", "expected a mapping", "scoring"),
    ],
)
def test_spec_errors(data, message, path):
    with pytest.raises(SpecError) as info:
        load(data)
    assert message in info.value.message
    assert info.value.path == path


def test_unknown_key_suggestion():
    with pytest.raises(SpecError) as info:
        load({"kind": "boolean", "whn": "da_ban_hanh"})
    assert info.value.suggestion == "did you mean `when`?"


def test_expression_errors_are_located_in_file():
    positions = {
        "scoring": Origin("criteria/1/_node.md", 5, 1),
        "scoring.tiers[1].when": Origin("criteria/1/_node.md", 12, 11),
    }
    data = yaml.safe_load(DOCS["tiers"])
    data["tiers"][1]["when"] = "ty_le_hoan_thanh >= 70% and ty_le_hoan_thanh2 <= 90%"
    with pytest.raises(UnknownNameError) as info:
        load(data, locate=positions.get)
    err = info.value
    assert (err.file, err.line, err.column) == ("criteria/1/_node.md", 12, 39)
    assert err.path == "scoring.tiers[1].when"
    assert err.suggestion == "did you mean `ty_le_hoan_thanh`?"
    # A missing key is reported at the enclosing mapping.
    with pytest.raises(SpecError) as info:
        load({"kind": "ratio", "numerator": "1", "denominator": "1"}, locate=positions.get)
    assert (info.value.line, info.value.path) == (5, "scoring.on_zero")


def test_expression_syntax_and_type_errors():
    with pytest.raises(RuleSyntaxError):
        load({"kind": "boolean", "when": "da_ban_hanh and"})
    with pytest.raises(RuleTypeError, match="condition must be bool, got number"):
        load({"kind": "boolean", "when": "so_sang_kien"})
    with pytest.raises(RuleTypeError, match="expression must be number, got bool"):
        load({"kind": "formula", "expression": "da_ban_hanh"})


def test_yaml_booleans_are_expressions():
    assert load({"kind": "boolean", "when": True}).condition.render() == "true"


def test_registry_accepts_new_kinds():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Fixed(Scoring):
        value: Decimal

        @classmethod
        def from_spec(cls, data, ctx, path):
            ctx.keys(data, path, required=("kind", "value"))
            return cls(ctx.number(data["value"], f"{path}.value"))

        def to_dict(self):
            return {"kind": self.kind, "value": self.value}

    # engines could not score it: refused when registered, not `invalid` on every leaf
    with pytest.raises(TypeError, match="must implement describe, base_points"):
        register_kind("fixed_test", Fixed)
    assert "fixed_test" not in KINDS

    @dataclass(frozen=True)
    class Scored(Fixed):
        def base_points(self, outcome, values, max_points):
            return self.value

        def describe(self, max_points):
            return f"Luôn được {self.value} điểm"

    register_kind("fixed_test", Scored)
    try:
        scoring = load({"kind": "fixed_test", "value": "1.5"})
        assert scoring == Scored(Decimal("1.5"))
        assert load(scoring.to_dict()) == scoring
        assert scoring.describe(Decimal(2)) == "Luôn được 1.5 điểm"
        with pytest.raises(ValueError, match="already registered"):
            register_kind("fixed_test", Boolean)
    finally:
        del KINDS["fixed_test"]


def test_registry_refuses_kinds_the_engines_could_not_score():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Outcome(Scoring):
        @classmethod
        def from_spec(cls, data, ctx, path):
            return cls()

        def to_dict(self):
            return {"kind": self.kind}

        def describe(self, max_points):
            return "Theo kết quả"

        def score(self, outcome, given, max_points):
            return Base(Decimal(1), outcome)

    @dataclass(frozen=True)
    class Constant(Outcome):
        constant_points = True  # engines would read base_points, which it lacks

    @dataclass(frozen=True)
    class Elsewhere(Outcome):
        source = "khảo sát"

    with pytest.raises(TypeError, match="must implement base_points"):
        register_kind("constant_test", Constant)
    with pytest.raises(TypeError, match="source must be one of survey, appraisal"):
        register_kind("elsewhere_test", Elsewhere)
    assert "constant_test" not in KINDS and "elsewhere_test" not in KINDS
    register_kind("outcome_test", Outcome)  # `score` alone is enough
    del KINDS["outcome_test"]


BONUS = """
cap: 1
rules:
  - when: so_sang_kien >= 1
    points: 0.5
  - when: co_giai_thuong
    points: 0.25
    per: so_giai_thuong
"""


def test_adjustment_round_trip():
    bonus = Adjustment.from_dict("bonus", yaml.safe_load(BONUS), inputs=INPUTS)
    assert bonus.cap == Decimal(1)
    assert bonus.rules[1].per is not None
    assert bonus.names == frozenset({"so_sang_kien", "co_giai_thuong", "so_giai_thuong"})
    again = Adjustment.from_dict("bonus", bonus.to_dict(), inputs=INPUTS)
    assert again == bonus


def test_adjustment_errors():
    with pytest.raises(SpecError, match="bonus or penalty"):
        Adjustment.from_dict("malus", {"cap": 1, "rules": []}, inputs=INPUTS)
    with pytest.raises(SpecError) as info:
        Adjustment.from_dict("penalty", {"rules": []}, inputs=INPUTS)
    assert info.value.path == "penalty.cap"
    with pytest.raises(RuleTypeError, match="expression must be number"):
        Adjustment.from_dict(
            "bonus",
            {"cap": 1, "rules": [{"when": "true", "points": 1, "per": "co_giai_thuong"}]},
            inputs=INPUTS,
        )


def test_every_kind_describes_itself_in_plain_vietnamese():
    top = Decimal(2)
    said = {name: load(doc).describe(top) for name, doc in DOCS.items()}
    assert said["tiers"] == (
        "Trên 90%: 2 điểm\nTừ 70% đến 90%: 1 điểm\nCác trường hợp còn lại: 0 điểm"
    )
    assert said["boolean"] == "Nếu da_ban_hanh: 2 điểm\nNếu không: 0 điểm"
    assert said["boolean_points"] == "Nếu not da_ban_hanh: 0,5 điểm\nNếu không: 0 điểm"
    assert said["ratio"] == (
        "2 điểm × (so_ho_so_dung_han) / (tong_so_ho_so), từ 0 đến 2 điểm\n"
        "Mẫu số bằng 0: không áp dụng"
    )
    assert said["linear"] == (
        "Theo ty_le_giai_quyet, nội suy tuyến tính giữa các mốc: 50%: 0 điểm; 100%: 2 điểm"
    )
    assert said["formula"] == (
        "Điểm = min(2, so_sang_kien * 0.5) + dan_so / 1000000, từ 0 đến 2 điểm"
    )
    assert said["survey"] == "Điểm lấy từ kết quả điều tra xã hội học, từ 0 đến 2 điểm"
    assert said["manual"] == "Hội đồng thẩm định chấm trực tiếp, từ 0 đến 2 điểm"


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ("ty_le_hoan_thanh >= 90% and ty_le_hoan_thanh < 98%", "Từ 90% đến dưới 98%"),
        ("90% <= ty_le_hoan_thanh", "Từ 90% trở lên"),
        ("ty_le_hoan_thanh <= 50%", "Từ 50% trở xuống"),
        ("so_sang_kien == 2.5", "Bằng 2,5"),
        (
            "so_sang_kien > 1 and ty_le_hoan_thanh < 50%",
            "Khi so_sang_kien > 1 and ty_le_hoan_thanh < 50%",
        ),
    ],
)
def test_tier_conditions_read_as_ranges(when, said):
    tiers = load({"kind": "tiers", "tiers": [{"when": when, "points": 1}]})
    assert tiers.describe(Decimal(1)) == f"{said}: 1 điểm"
