"""Hand-built cohorts on a tiny methodology, where the rank intervals can be reasoned
out exactly, and an exact (Fraction) re-aggregation to hold the arrays to."""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

import numpy as np
import pytest

from evaluators.analysis.sensitivity import MAX_REPLICATIONS, sensitivity
from evaluators.analysis.sensitivity_model import Model
from evaluators.engines.vector.batch import VectorProgram, score_cohort
from tests.sensitivity import tiny

FULL = {"s111": 2, "s112": 1, "c12": 3, "f2": 2, "f3": 2}
POLICIES = ("exclude_and_normalize", "count_as_zero", "count_as_full")


def ladder():
    """A dominates every component; Z is dominated by everyone; D and E differ only
    in which of f1's two equally weighted criteria they fulfil."""
    return [
        tiny.unit("z", "Đơn vị Z", {}),
        tiny.unit("e", "Đơn vị E", {"c12": 3, "f2": 1, "f3": 1}),
        tiny.unit("a", "Đơn vị A", FULL),
        tiny.unit("d", "Đơn vị D", {"s111": 2, "s112": 1, "f2": 1, "f3": 1}),
    ]


def mixed():
    """Partly applicable criteria, a field not applicable, and an exact rounding tie:
    T has 4.02 of 8 applicable points, so 5.025 on the scale of 10 (half-up: 5.03)."""
    return [
        tiny.unit("a", "Đơn vị A", FULL),
        tiny.unit("t", "Đơn vị T", {"s111": 2, "s112": 1, "c12": 1.02}, ("f2",)),
        tiny.unit("p", "Đơn vị P", {"s111": 1.5, "c12": 2, "f2": 1, "f3": 2}, ("s112",)),
        tiny.unit("q", "Đơn vị Q", {"s111": 0.5, "c12": 3, "f3": 1.25}, ("s112", "f2")),
        tiny.unit("r", "Đơn vị R", {"s111": 2, "s112": 0.5, "c12": 0.75, "f2": 2, "f3": 0}),
    ]


def model_of(program, subs):
    vprog = VectorProgram.build(program)
    batch = score_cohort(vprog, subs)
    model = Model.of_batch(vprog, batch)
    return model, batch, batch.arrays()


def exact_index(program, arrays, column: int, weights: dict[str, Fraction]) -> Fraction:
    """The re-aggregation rule written out with Fractions, node by node."""
    m = program.methodology
    unit = Fraction(1, 10**arrays.digits)
    row = {node_id: i for i, node_id in enumerate(arrays.nodes)}
    total = amax = Fraction(0)
    for f in m.roots():
        parts = m.children_of(f.id) or [f]
        p_f = a_f = Fraction(0)
        for c in parts:
            top = Fraction(c.max_points)
            if top == 0:
                continue
            p = int(arrays.points[row[c.id], column]) * unit
            a = int(arrays.applicable_max[row[c.id], column]) * unit
            p_f += weights[c.id] * p / top
            a_f += weights[c.id] * a / top
        official = sum(Fraction(c.max_points) for c in parts)
        if f.aggregation == "sum_capped" and official > Fraction(f.max_points):
            cap = Fraction(f.max_points) * sum(weights[c.id] for c in parts) / official
            p_f, a_f = min(p_f, cap), min(a_f, cap)
        total += p_f
        amax += a_f
    scale = Fraction(m.manifest.scale)
    if m.manifest.not_applicable_policy == "exclude_and_normalize":
        return total / amax * scale
    if m.manifest.not_applicable_policy == "count_as_full":
        return total + scale - amax
    return total


def half_up(value: Fraction, places: int = 2) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )


@pytest.mark.parametrize("method", ["uniform", "dirichlet"])
@pytest.mark.parametrize("level", ["field", "criterion", "both"])
def test_a_dominating_unit_keeps_rank_one_and_a_dominated_one_stays_last(method, level):
    result = sensitivity(
        tiny.program(),
        ladder(),
        replications=500,
        spread=0.9,
        method=method,
        level=level,
        concentration=2.0,
    )
    units = {u.unit: u for u in result.units}
    for unit_id, place in (("a", 1), ("z", 4)):
        u = units[unit_id]
        assert u.rank == place
        assert (u.rank_min, u.rank_p05, u.rank_median, u.rank_p95, u.rank_max) == (place,) * 5
        assert u.changed_share == 0
    d, e = units["d"], units["e"]
    assert d.rank == e.rank == 2  # officially tied: 5.00 each
    if level == "field":  # f1's criteria keep equal shares, so D and E stay tied
        for u in (d, e):
            assert (u.rank_min, u.rank_max, u.changed_share) == (2, 2, 0)
    else:  # whichever of f1's criteria weighs more decides; exact ties are rare
        for u in (d, e):
            assert (u.rank_min, u.rank_max) == (2, 3)
            assert u.rank_p05 == 2 and u.rank_p95 == 3
            assert 0.3 < u.changed_share < 0.7
        assert 0.95 <= d.changed_share + e.changed_share <= 1


def test_units_ordered_by_rank_then_vietnamese_name():
    result = sensitivity(tiny.program(), ladder(), replications=10, spread=0.0)
    assert [u.unit_name for u in result.units] == ["Đơn vị A", "Đơn vị D", "Đơn vị E", "Đơn vị Z"]


@pytest.mark.parametrize("policy", POLICIES)
def test_official_weights_reproduce_the_index_under_every_policy(policy):
    program = tiny.program(policy)
    model, batch, arrays = model_of(program, mixed())
    assert (model.applicable[0, 1:] < 300).any()  # c11 partly applicable (s112 claimed)
    scores = model.scores(model.official)[0]
    assert [Decimal(int(s)).scaleb(-2) for s in scores] == batch.index
    official = {c.id: Fraction(c.max_points) for c in model.components}
    assert [half_up(exact_index(program, arrays, j, official)) for j in range(5)] == batch.index
    if policy == "exclude_and_normalize":
        assert batch.index[1] == Decimal("5.03")  # the tie 5.025, rounded half-up


@pytest.mark.parametrize("policy", POLICIES)
def test_spread_zero_collapses_under_every_policy(policy):
    result = sensitivity(tiny.program(policy), mixed(), replications=20, spread=0.0)
    assert result.policy == policy
    for u in result.units:
        assert u.rank_min == u.rank_max == u.rank_median == u.rank and u.changed_share == 0


@pytest.mark.parametrize("f1_max", ["6", "5"])
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("method", ["uniform", "dirichlet"])
def test_random_weights_match_the_exact_rule(f1_max, policy, method):
    """The vectorised re-aggregation against the rule written out in Fractions, for
    random weights — also with a field whose cap binds (f1_max 5 < 3 + 3)."""
    program = tiny.program(policy, f1_max=f1_max)
    model, batch, arrays = model_of(program, mixed())
    assert np.isfinite(model.field_cap).any() == (f1_max == "5")
    official = {c.id: Fraction(c.max_points) for c in model.components}
    expected = [half_up(exact_index(program, arrays, j, official)) for j in range(5)]
    assert expected == batch.index
    assert [Decimal(int(s)).scaleb(-2) for s in model.scores(model.official)[0]] == expected
    draw = model.draw(
        model.streams(11),
        40,
        method=method,
        spread=0.6,
        level="both",
        concentration=5.0,
        driver_nodes=[0, 1, 2],
    )
    np.testing.assert_allclose(draw.weights.sum(axis=1), model.total, rtol=1e-12)
    got = model.scaled_index(draw.weights) / 100
    for r, weights in enumerate(draw.weights):
        exact = {c.id: Fraction(float(w)) for c, w in zip(model.components, weights, strict=True)}
        for j in range(5):
            want = float(exact_index(program, arrays, j, exact))
            assert math.isclose(got[r, j], want, rel_tol=1e-12, abs_tol=1e-12)


def test_field_cap_reproduced_in_the_ranks():
    program = tiny.program(f1_max="5")
    result = sensitivity(program, mixed(), replications=30, spread=0.0)
    _, batch, _ = model_of(program, mixed())
    by_unit = {u.unit: u for u in result.units}
    assert [by_unit[s.unit].index for s in mixed()] == batch.index
    assert by_unit["a"].index == Decimal("9.00")  # f1 capped at 5 of its criteria's 6
    assert all(u.changed_share == 0 for u in result.units)


def test_drivers_name_the_fields_whose_weights_flip_ranks():
    """P leads Q by 0.5 and loses the lead when W2 / W1 > 5/12: only f1 and f2 matter,
    f3 (equal for both) does not."""
    cohort = [
        tiny.unit("p", "Đơn vị P", {"s111": 2, "s112": 1, "c12": 3, "f3": 1}),
        tiny.unit("q", "Đơn vị Q", {"s111": 2, "s112": 1, "c12": 0.5, "f2": 2, "f3": 1}),
    ]
    result = sensitivity(tiny.program(), cohort, replications=3000, spread=0.5, level="field")
    drivers = {d.node: d for d in result.drivers}
    assert {result.drivers[0].node, result.drivers[1].node} == {"f1", "f2"}
    assert drivers["f1"].first_order > 0.1 and drivers["f2"].first_order > 0.1
    assert drivers["f3"].first_order < 0.03
    assert drivers["f2"].correlation > 0.2 and drivers["f1"].correlation < -0.2
    assert abs(drivers["f3"].correlation) < 0.1
    p = next(u for u in result.units if u.unit == "p")
    assert 0.05 < p.changed_share < 0.5 and p.rank_max == 2


def test_criterion_drivers_leave_out_fields_with_one_component():
    result = sensitivity(tiny.program(), ladder(), replications=100, level="criterion")
    assert sorted(d.node for d in result.drivers) == ["c11", "c12"]


def test_manifest_not_ranked_and_label():
    cohort = [*ladder(), tiny.unit("dac-thu", "Đơn vị đặc thù", FULL)]
    result = sensitivity(tiny.program(), cohort, replications=50)
    special = result.units[-1]
    assert special.unit == "dac-thu" and not special.ranked and special.rank is None
    assert special.index == Decimal("10.00")
    assert result.units[0].unit == "a" and result.units[0].rank == 1
    assert result.methodology["label"] == "NHO-01/2024"
    assert result.methodology["ref"] is None


def test_one_replication():
    result = sensitivity(tiny.program(), ladder(), replications=1, seed=3)
    for u in result.units:
        assert u.rank_min == u.rank_p05 == u.rank_median == u.rank_p95 == u.rank_max


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"replications": 0}, "replications"),
        ({"replications": -5}, "replications"),
        ({"replications": 2.5}, "replications"),
        ({"replications": True}, "replications"),
        ({"replications": MAX_REPLICATIONS + 1}, "replications"),
        ({"spread": -0.1}, "spread"),
        ({"spread": 1.0}, "spread"),
        ({"spread": float("nan")}, "spread"),
        ({"spread": "0.2"}, "spread"),
        ({"method": "normal"}, "method"),
        ({"level": "sub_criterion"}, "level"),
        ({"concentration": 0}, "concentration"),
        ({"concentration": -1.0}, "concentration"),
        ({"concentration": float("inf")}, "concentration"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, name):
    with pytest.raises(ValueError, match=name):
        sensitivity(tiny.program(), ladder(), **kwargs)


def test_a_unit_submitted_twice_is_rejected():
    with pytest.raises(ValueError, match="'d' appears twice"):
        sensitivity(tiny.program(), [*ladder(), tiny.unit("d", "Đơn vị D", FULL)])


def test_one_not_ranked_id_as_a_string():
    result = sensitivity(tiny.program(), ladder(), replications=5, not_ranked="a")
    assert [u.unit for u in result.units if not u.ranked] == ["a"]


def test_no_complete_unit_is_rejected():
    incomplete = {"unit": "x", "period": "2024", "values": {"x_s111": 1}}
    with pytest.raises(ValueError, match="no complete units"):
        sensitivity(tiny.program(), [incomplete])
    with pytest.raises(ValueError, match="no complete units"):
        sensitivity(tiny.program(), [])


def test_str_enums_are_taken_as_their_values_and_charts_embedded():
    class Method(StrEnum):
        dirichlet = "dirichlet"

    class Level(StrEnum):
        criterion = "criterion"

    result = sensitivity(
        tiny.program(), ladder(), replications=30, method=Method.dirichlet, level=Level.criterion
    )
    assert type(result.method) is str and type(result.level) is str
    data = json.loads(json.dumps(result.to_json()))
    assert (data["method"], data["level"]) == ("dirichlet", "criterion")
    text = result.to_markdown(charts={"intervals": "charts/khoang-hang.svg"})
    assert "![Khoảng thứ hạng](charts/khoang-hang.svg)" in text
    assert "## Các tiêu chí tác động nhiều nhất đến thay đổi thứ hạng" in text
    assert "Dirichlet(độ tập trung 200" in text
    assert "| 1 | Đơn vị A | 10.00 |" in text
