from decimal import Decimal

import pytest

from rules import (
    Adjustment,
    InputSpec,
    Origin,
    Scoring,
    check_adjustment,
    check_scoring,
)

INPUTS = {
    "ty_le": InputSpec("ty_le", "ratio", "Tỷ lệ"),
    "so": InputSpec("so", "count", "Số"),
    "gio": InputSpec("gio", "number", "Giờ", min=Decimal(0), max=Decimal(100)),
    "x": InputSpec("x", "number", "X"),
    "ok": InputSpec("ok", "bool", "Đạt"),
    "muc": InputSpec("muc", "enum", "Mức", choices=("tot", "kha", "kem")),
    "a": InputSpec("a", "number", "A", min=Decimal(0), max=Decimal(10)),
    "b": InputSpec("b", "number", "B", min=Decimal(0), max=Decimal(10)),
    "ngay": InputSpec("ngay", "date", "Ngày"),
}
MAX = Decimal(2)


def tiers(*rows, otherwise=None):
    data = [{"when": w, "points": p} for w, p in rows]
    if otherwise is not None:
        data.append({"otherwise": True, "points": otherwise})
    return {"kind": "tiers", "tiers": data}


def check(data, **kwargs):
    scoring = Scoring.from_dict(data, inputs=INPUTS, max_points=MAX)
    return check_scoring(scoring, inputs=INPUTS, max_points=MAX, **kwargs)


def codes(problems):
    return [p.code for p in problems]


def test_ca_mau_tiers_pass():
    assert (
        check(
            tiers(
                ("ty_le > 90%", 2),
                ("ty_le >= 70% and ty_le <= 90%", 1),
                ("ty_le < 70%", 0),
            )
        )
        == []
    )
    assert check(tiers(("ty_le > 90%", 2), ("ty_le >= 70% and ty_le <= 90%", 1), otherwise=0)) == []


def test_overlap_with_witness():
    problems = check(tiers(("ty_le >= 90%", 2), ("ty_le >= 70% and ty_le <= 90%", 1), otherwise=0))
    assert codes(problems) == ["tier-overlap"]
    problem = problems[0]
    assert problem.severity == "error"
    assert problem.message == "tiers 1 and 2 overlap at ty_le = 0.9"
    assert problem.path == "scoring.tiers[1].when"


def test_gap_with_interval():
    problems = check(tiers(("ty_le >= 80%", 2), ("ty_le < 70%", 0)))
    assert codes(problems) == ["tier-gap"]
    assert problems[0].message == "no tier covers ty_le in [0.7, 0.8)"
    assert problems[0].path == "scoring.tiers"


def test_boundary_gap_is_a_single_point():
    problems = check(tiers(("ty_le > 90%", 2), ("ty_le < 90%", 0)))
    assert [p.message for p in problems] == ["no tier covers ty_le = 0.9"]


def test_ratio_domain_is_zero_to_one():
    # Tiers that only cover [0, 1] are complete for a ratio...
    assert check(tiers(("ty_le >= 50%", 2), ("ty_le < 50%", 0))) == []
    # ...but not for an unbounded number.
    problems = check(tiers(("x >= 0.5 and x <= 1", 2), ("x < 0.5", 0)))
    assert [p.message for p in problems] == ["no tier covers x in (1, +∞)"]


def test_unreachable_tiers():
    problems = check(tiers(("ty_le > 1", 2), ("ty_le <= 1", 1)))
    assert codes(problems) == ["tier-unreachable"]
    assert problems[0].path == "scoring.tiers[0].when"
    assert "can never apply" in problems[0].message

    problems = check(tiers(("ty_le >= 0.5", 2), ("ty_le < 0.5", 1), otherwise=0))
    assert codes(problems) == ["tier-unreachable"]
    assert problems[0].path == "scoring.tiers[2].otherwise"
    assert "otherwise" in problems[0].message


def test_shadowed_tier_is_unreachable_and_overlapping():
    problems = check(tiers(("ty_le >= 0.5", 2), ("ty_le >= 0.7", 1), ("ty_le < 0.5", 0)))
    assert sorted(codes(problems)) == ["tier-overlap", "tier-unreachable"]
    assert {p.path for p in problems} == {"scoring.tiers[1].when"}


def test_count_inputs_are_integers():
    assert check(tiers(("so <= 4", 2), ("so >= 5", 1))) == []
    problems = check(tiers(("so < 4", 2), ("so > 4", 1)))
    assert [p.message for p in problems] == ["no tier covers so = 4"]
    problems = check(tiers(("so <= 4", 2), ("so >= 7", 1)))
    assert [p.message for p in problems] == ["no tier covers so in [5, 6]"]
    # Between 4 and 5 there is no count, so these do not overlap either.
    assert check(tiers(("so < 4.5", 2), ("so > 4.2", 1))) == []


def test_count_in_list():
    assert check(tiers(("so in [0, 1]", 0), ("so not in [0, 1]", 2))) == []


def test_bool_and_enum_enumeration():
    ok = check(
        tiers(
            ('ok and muc == "tot"', 2),
            ('ok and muc in ["kha", "kem"]', 1),
            ("not ok", 0),
        )
    )
    assert ok == []
    problems = check(tiers(('ok and muc == "tot"', 2), ("not ok", 0)))
    assert codes(problems) == ["tier-gap", "tier-gap"]
    assert problems[0].message == 'no tier covers muc = "kha", ok = true'
    problems = check(tiers(("ok", 2), ('muc == "tot"', 1), otherwise=0))
    assert codes(problems) == ["tier-overlap"]
    assert problems[0].message == 'tiers 1 and 2 overlap at muc = "tot", ok = true'


def test_mixed_finite_and_numeric():
    problems = check(tiers(("ok and ty_le >= 0.5", 2), ("not ok", 0)))
    assert [p.message for p in problems] == ["no tier covers ty_le in [0, 0.5) when ok = true"]


def test_dates_are_analysed_exactly():
    cutoff = 'date("2024-03-31")'
    assert check(tiers((f"ngay <= {cutoff}", 2), (f"ngay > {cutoff}", 0))) == []
    problems = check(tiers((f"ngay < {cutoff}", 2), (f"ngay > {cutoff}", 0)))
    assert [p.message for p in problems] == ["no tier covers ngay = 2024-03-31"]


def test_two_numeric_inputs_are_sampled():
    problems = check(tiers(("a + b >= 10", 2), ("a + b <= 10", 1)))
    assert codes(problems) == ["tier-overlap"]
    assert problems[0].severity == "error"
    assert problems[0].message.startswith("tiers 1 and 2 overlap at a = ")
    problems = check(tiers(("a > b", 2), ("a < b", 1)))
    assert codes(problems) == ["tier-gap"]
    assert problems[0].message.startswith("no tier covers a = ")
    assert check(tiers(("a > b", 2), ("a <= b", 1))) == []


def test_sampled_witness_is_real():
    problems = check(tiers(("a * 2 > b + 3", 2), ("a * 2 < b + 3", 1)))
    assert codes(problems) == ["tier-gap"]
    witness = dict(
        part.split(" = ") for part in problems[0].message[len("no tier covers ") :].split(", ")
    )
    assert Decimal(witness["a"]) * 2 == Decimal(witness["b"]) + 3


def test_arithmetic_on_one_input_falls_back_to_sampling():
    problems = check(tiers(("gio * 2 >= 100", 2), ("gio * 2 < 90", 1)))
    assert codes(problems) == ["tier-gap"]


def test_points_out_of_range():
    problems = check(tiers(("ty_le >= 0.5", 3), ("ty_le < 0.5", -1)))
    assert codes(problems) == ["points-out-of-range", "points-out-of-range"]
    assert problems[0].path == "scoring.tiers[0].points"
    assert problems[0].message == "tier 1 gives 3 points, outside [0, 2]"
    problems = check({"kind": "boolean", "when": "ok", "points": 2.5})
    assert codes(problems) == ["points-out-of-range"]
    assert check({"kind": "boolean", "when": "ok"}) == []


def test_linear_thresholds():
    def linear(*rows):
        return {
            "kind": "linear",
            "of": "ty_le",
            "thresholds": [{"at": at, "points": p} for at, p in rows],
        }

    assert check(linear(("50%", 0), ("100%", 2))) == []
    assert codes(check(linear(("50%", 0)))) == ["linear-thresholds"]
    problems = check(linear(("50%", 0), ("50%", 1), ("40%", 2)))
    assert codes(problems) == ["linear-thresholds", "linear-thresholds"]
    assert problems[1].path == "scoring.thresholds[2].at"
    assert codes(check(linear(("0", 0), ("1", 5)))) == ["points-out-of-range"]


def test_problems_are_located():
    positions = {
        "scoring.tiers": Origin("n.md", 4, 3),
        "scoring.tiers[1].when": Origin("n.md", 7, 11),
    }
    scoring = Scoring.from_dict(
        tiers(("ty_le >= 90%", 2), ("ty_le <= 90%", 1)), inputs=INPUTS, max_points=MAX
    )
    problems = check_scoring(scoring, inputs=INPUTS, max_points=MAX, locate=positions.get)
    assert [(p.file, p.line, p.column) for p in problems] == [("n.md", 7, 11)]
    assert (
        str(problems[0]) == "n.md:7:11: error[tier-overlap]: tiers 1 and 2 overlap at ty_le = 0.9"
    )


@pytest.mark.parametrize(
    ("cap", "points", "expected"),
    [
        (1, 0.5, []),
        (0, 0.5, ["adjustment-cap"]),
        (1, 0, ["adjustment-points"]),
        (-1, -0.5, ["adjustment-cap", "adjustment-points"]),
    ],
)
def test_check_adjustment(cap, points, expected):
    adjustment = Adjustment.from_dict(
        "penalty", {"cap": cap, "rules": [{"when": "ok", "points": points}]}, inputs=INPUTS
    )
    problems = check_adjustment(adjustment)
    assert codes(problems) == expected
    if "adjustment-points" in expected:
        assert problems[-1].path == "penalty.rules[0].points"


# -- reachable points ------------------------------------------------------------------


def reach(problems):
    return [p.message for p in problems if p.code == "max-unreachable"]


@pytest.mark.parametrize(
    ("data", "reachable"),
    [
        (tiers(("ty_le >= 90%", 1.5), otherwise=0), "[0, 1.5]"),
        ({"kind": "boolean", "when": "ok", "points": 1}, "[0, 1]"),
        (
            {
                "kind": "linear",
                "of": "ty_le",
                "thresholds": [{"at": 0, "points": 0}, {"at": 1, "points": 1}],
            },
            "[0, 1]",
        ),
        ({"kind": "formula", "expression": "min(a, 3) / 2"}, "[0, 1.5]"),
        ({"kind": "formula", "expression": "if(ok, 0.5, abs(a - 10) / 10)"}, "[0, 1]"),
    ],
)
def test_a_rule_that_cannot_give_the_maximum_is_an_error_with_its_range(data, reachable):
    (message,) = reach(check(data))
    assert message.endswith(f"điểm chỉ nằm trong {reachable}")
    assert "max_points 2" in message


@pytest.mark.parametrize(
    "data",
    [
        tiers(("ty_le >= 90%", 2), otherwise=0),
        {"kind": "boolean", "when": "ok"},
        {"kind": "formula", "expression": "a / 5"},
        {"kind": "formula", "expression": "x * 2"},  # x has no bounds: nothing is known
        {"kind": "formula", "expression": "a / (ty_le - 0.5)"},  # the divisor can be 0
        {"kind": "ratio", "numerator": "so", "denominator": "so", "on_zero": "full"},
    ],
)
def test_rules_that_can_give_the_maximum_or_cannot_be_bounded_pass(data):
    assert reach(check(data)) == []


def test_reach_counts_the_bonus_and_the_rounding_of_points():
    data = tiers(("ty_le >= 90%", 1.5), otherwise=0)
    bonus = Adjustment.from_dict(
        "bonus", {"cap": 0.5, "rules": [{"when": "ok", "points": 0.5}]}, inputs=INPUTS
    )
    assert reach(check(data, bonus=bonus)) == []
    # 3 × 0.666 is 1.998: rounded to 2 places it is 2.00, as scoring gives it
    third = {"kind": "formula", "expression": "ty_le * 1.998"}
    assert reach(check(third, places=2)) == []
    assert reach(check(third, places=3)) != []


def test_nothing_is_checked_against_an_invalid_maximum():
    scoring = Scoring.from_dict(
        tiers(("ty_le >= 90%", 3), otherwise=0), inputs=INPUTS, max_points=MAX
    )
    assert check_scoring(scoring, inputs=INPUTS, max_points=None) == []
