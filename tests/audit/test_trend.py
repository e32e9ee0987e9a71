"""Methodology-adjusted year-over-year change: the two effects and their attribution."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluators import CompiledEngine, build_program, load_submissions, score
from evaluators.analysis.attribution import VersionPair
from evaluators.analysis.audit import audit
from evaluators.analysis.trend import trend, trend_text
from methodology import Store, open_methodology
from methodology.catalog import bundled_root
from tests.audit.helpers import field_not_applicable_without_procedures, units

SAMPLES = bundled_root() / "submissions" / "par-provincial"


@pytest.fixture(scope="module")
def result(template_store):
    store = Store.open(template_store)
    a = build_program(open_methodology(store, "par-provincial@par-provincial/2019"))
    b = build_program(open_methodology(store, "par-provincial@par-provincial/2022"))
    earlier, later = load_submissions(SAMPLES / "2021"), load_submissions(SAMPLES / "2022")
    return a, b, earlier, later, trend(a, b, earlier, later)


def test_every_unit_splits_its_change_exactly(result):
    *_, t = result
    assert len(t.units) == 63 and all(u.complete for u in t.units)
    for u in t.units:
        total = sum((e.amount for e in u.attribution), Decimal(0))
        assert total == u.delta == u.index_to - u.index_from
        parts = (
            u.effect("performance", "rounding", exclude=True)
            + u.effect("performance")
            + u.effect("rounding")
        )
        assert parts == u.delta
        assert abs(u.effect("rounding")) < Decimal("0.01")


def test_the_effects_are_the_two_scorings_they_claim_to_be(result):
    """Methodology effect ≈ index_B(later) − index_A(later); performance effect ≈
    index_A(later) − index_A(earlier), each within the rounding of the indices."""
    a, b, earlier, later, t = result
    u = t.unit("tp-ho-chi-minh")
    pair = VersionPair(a, b)
    old = next(s for s in earlier if s.unit == u.unit)
    new = next(s for s in later if s.unit == u.unit)
    on_a, carried = pair.fill(pair.project(new, "a")[0], pair.project(old, "a")[0], "a")
    assert carried and {f["period"] for f in carried} == {"2021"}
    assert u.filled and {f["input"] for f in u.filled} == {f["input"] for f in carried}
    later_under_a = score(a, on_a, CompiledEngine())
    later_under_b = score(b, pair.project(new, "b")[0], CompiledEngine())
    earlier_under_a = score(a, pair.project(old, "a")[0], CompiledEngine())
    assert u.index_later_under_from == later_under_a.index
    assert u.index_to == later_under_b.index and u.index_from == earlier_under_a.index
    method = u.effect("performance", "rounding", exclude=True)
    perf = u.effect("performance")
    assert abs(method - (later_under_b.index - later_under_a.index)) <= Decimal("0.01")
    assert abs(perf - (later_under_a.index - earlier_under_a.index)) <= Decimal("0.01")
    # The methodology part is what an audit of the later submission attributes.
    audited = audit(a, b, [new], fill={new.unit: old}).units[0]
    by_node = {(e.cause, e.node): e.amount for e in audited.attribution if e.cause != "rounding"}
    for e in u.attribution:
        if e.cause not in ("performance", "rounding", "renamed", "moved"):
            assert abs(e.amount - by_node[(e.cause, e.node)]) <= Decimal("0.0002")


def test_performance_entries_name_the_older_versions_nodes(result):
    a, *_, t = result
    u = t.unit("tp-ho-chi-minh")
    perf = [e for e in u.attribution if e.cause == "performance"]
    assert perf
    for e in perf:
        node = a.methodology.nodes[e.node]
        assert (e.code, e.title) == (node.code, node.title)


def test_units_in_one_period_only_are_listed_unmatched(result):
    a, b, earlier, later, _ = result
    t = trend(a, b, earlier[:5], later[2:7])
    assert [u.unit for u in t.units] != []
    assert len(t.units) == 3
    assert {m["unit"] for m in t.unmatched} == {s.unit for s in earlier[:2]} | {
        s.unit for s in later[5:7]
    }


def test_a_unit_with_every_node_not_applicable_has_no_change_to_split(tmp_path):
    """Under exclude_and_normalize a unit whose every node is not applicable in both
    periods has no index: no delta, no attribution, no rank; the others are unaffected."""
    program = field_not_applicable_without_procedures(tmp_path)
    earlier = units("2023", {"co": False, "khong": None, "cung-co": True})
    later = units("2024", {"co": True, "khong": None, "cung-co": True})
    t = trend(program, program, earlier, later)
    khong = t.unit("khong")
    assert khong.complete and khong.index_from is None and khong.index_to is None
    assert khong.delta is None and khong.attribution == [] and khong.rank_to is None
    co = t.unit("co")
    assert co.delta == Decimal(10) and sum(e.amount for e in co.attribution) == Decimal(10)
    assert {u.unit: u.rank_to for u in t.units} == {"co": 1, "cung-co": 1, "khong": None}
    (row,) = [u for u in t.to_json()["units"] if u["unit"] == "khong"]
    assert row["delta"] is None and row["methodology_effect"] is None
    assert "khong        —      —       —" in trend_text(t)
