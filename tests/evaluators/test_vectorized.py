"""The vectorised batch path gives exactly what score_many gives with the compiled engine:
totals, applicable maxima, indices (appraised and self-assessed), every node's points and
status, and completeness — on random methodologies and submissions (tier boundaries,
zero denominators, N/A claims and facts, missing and invalid values, appraisals, values
whose doubles collide) and on the bundled provincial catalog."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluators import CompiledEngine, build_program, parse_submission, score_many
from evaluators.engines.vector.batch import VectorProgram, score_cohort, score_columns
from methodology.tree import build_tree
from tests.evaluators.helpers import assert_same, bundled_provincial

from .strategies import CHOICES, DATES, methodologies, submissions

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- random methodologies and submissions ------------------------------------------------


@pytest.mark.slow
@SETTINGS
@given(data=st.data())
def test_score_cohort_equals_score_many(data):
    m, spec = data.draw(methodologies())
    program = build_program(m)
    vprog = VectorProgram.build(program)
    subs = [data.draw(submissions(spec)) for _ in range(data.draw(st.integers(1, 8)))]
    assert_same(score_cohort(vprog, subs), score_many(program, subs, CompiledEngine()))


def _column_value(draw, typ: str) -> Any:
    """A value as a column holds it: floats for numbers (with boundaries, values whose
    sums are not exact in binary, and invalid ones), bools, enum strings, dates."""
    if typ == "bool":
        return draw(st.booleans())
    if typ == "enum":
        return draw(st.sampled_from([*CHOICES, "sai"]))
    if typ == "date":
        return np.datetime64(draw(st.sampled_from(DATES)), "D")
    pools = {
        "ratio": [0.0, 0.5, 0.7, 0.9, 0.95, 1.0, 0.1 + 0.2, 0.30000000000000004, 1.5],
        "count": [0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 2.5, -1.0],
        "number": [0.0, 0.5, 1.0, 3.0, 5.0, 10.0, -2.0, 0.1, 2.5, 1e-7, 0.1 + 0.2, math.inf],
    }
    return draw(st.sampled_from(pools[typ]))


@pytest.mark.slow
@SETTINGS
@given(data=st.data())
def test_score_columns_equals_score_many(data):
    m, spec = data.draw(methodologies())
    program = build_program(m)
    vprog = VectorProgram.build(program)
    n = data.draw(st.integers(1, 8))
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    columns = {}
    for name, typ in spec.inputs.items():
        present = [data.draw(st.integers(0, 6)) > 0 for _ in range(n)]
        raw = [_column_value(data.draw, typ) if p else None for p in present]
        for row, value in zip(rows, raw, strict=True):
            if value is not None:
                row[name] = value.item() if isinstance(value, np.datetime64) else value
        if typ in ("number", "ratio", "count"):
            columns[name] = np.array([np.nan if v is None else v for v in raw], dtype=float)
        elif typ == "date":
            columns[name] = np.array(["NaT" if v is None else v for v in raw], "datetime64[D]")
        elif typ == "bool" and all(present):
            columns[name] = np.array(raw, dtype=bool)
        else:
            columns[name] = np.array(raw, dtype=object)
    claims = {}
    for node_id in spec.claimable:
        claims[node_id] = np.array([data.draw(st.integers(0, 3)) == 0 for _ in range(n)])
    survey = {
        leaf: np.array(
            [data.draw(st.sampled_from([np.nan, 0.0, 0.5, 1.0, 2.5, 9.0])) for _ in range(n)]
        )
        for leaf, kind in spec.leaves.items()
        if kind == "survey"
    }
    units = [f"don-vi-{i}" for i in range(n)]
    batch = score_columns(vprog, columns, claims=claims, survey=survey, units=units)
    subs = []
    for i, values in enumerate(rows):
        subs.append(
            parse_submission(
                {
                    "unit": units[i],
                    "period": "2024",
                    "values": values,
                    "not_applicable": {k: "" for k, c in claims.items() if c[i]},
                    "survey": {k: float(c[i]) for k, c in survey.items() if not np.isnan(c[i])},
                }
            )
        )
    assert_same(batch, score_many(program, subs, CompiledEngine()))
    assert [r.total for r in batch.results()] == batch.total


# -- chosen cases --------------------------------------------------------------------


def _files(extra: str = "") -> dict[str, str]:
    return {
        "methodology.yaml": "id: vec\ntitle: Vec\nlevel: tỉnh\nscale: 100\n"
        "rounding: {places: 2}\n"
        "facts:\n  co_tthc: {type: bool, label: Có TTHC}\n"
        "applicability_rules:\n  - {when: not co_tthc, not_applicable: [f1]}\n",
        "f1/_node.md": "---\nid: f1\ncode: '1'\ntitle: L1\nmax_points: 2\n---\n",
        "f1/t1.md": "---\nid: t1\ncode: '1.1'\ntitle: T1\nmax_points: 1\n"
        "inputs:\n  x: {type: ratio, label: X}\n"
        "scoring:\n  kind: tiers\n  tiers:\n"
        "    - {when: x >= 90%, points: 1}\n"
        "    - {when: x >= 70% and x < 90%, points: 0.5}\n"
        "    - {otherwise: true, points: 0}\n---\n",
        "f1/t2.md": "---\nid: t2\ncode: '1.2'\ntitle: T2\nmax_points: 1\n"
        "inputs:\n  a: {type: count, label: A}\n  b: {type: count, label: B}\n"
        "applicability: {allow_not_applicable: true}\n"
        "scoring: {kind: ratio, numerator: a, denominator: b, on_zero: not_applicable}\n---\n",
        "f2/_node.md": "---\nid: f2\ncode: '2'\ntitle: L2\nmax_points: 1\n---\n",
        "f2/t3.md": "---\nid: t3\ncode: '2.1'\ntitle: T3\nmax_points: 1\n"
        "inputs:\n  y: {type: number, label: Y}\n"
        "scoring: {kind: linear, of: y, thresholds: [{at: 0, points: 0}, {at: 3, points: 1}]}\n"
        + extra
        + "---\n",
    }


def _program():
    files = _files()
    m = build_tree("vec", {p: p for p in files}, lambda p: files[p].encode())
    assert not [p for p in m.problems if p.severity == "error"]
    return build_program(m)


def _sub(unit: str, values: dict[str, Any], **extra: Any):
    return parse_submission({"unit": unit, "period": "2024", "values": values, **extra})


def test_boundaries_ties_zero_denominators_and_not_applicable():
    program = _program()
    vprog = VectorProgram.build(program)
    assert {m["leaf"]: m["mode"] for m in vprog.modes()} == {
        "t1": "int",
        "t2": "float",
        "t3": "float",
    }
    facts = {"co_tthc": True}
    subs = [
        _sub("exact-boundaries", {"x": 0.9, "a": 1, "b": 8, "y": 1.5}, facts=facts),
        _sub(
            "doubles-collide", {"x": "0.89999999999999999", "a": 3, "b": 8, "y": "1"}, facts=facts
        ),
        _sub("zero-denominator", {"x": 0.7, "a": 0, "b": 0, "y": 0.1}, facts=facts),
        _sub(
            "claimed", {"x": 0.69, "a": 2, "b": 3, "y": 3}, facts=facts, not_applicable={"t2": "-"}
        ),
        _sub("rule-fires", {"x": 1, "a": 1, "b": 1, "y": 2}, facts={"co_tthc": False}),
        _sub("missing-fact", {"x": 1, "a": 1, "b": 1, "y": 2}),
        _sub("missing-and-invalid", {"x": 1.5, "a": 2.5, "y": True}, facts=facts),
        _sub(
            "appraised",
            {"x": 0.95, "a": 1, "b": 3, "y": 2},
            facts=facts,
            appraisal={"x": {"value": 0.7, "reason": "r"}, "b": {"value": 0, "reason": "r"}},
        ),
    ]
    expected = score_many(program, subs, CompiledEngine())
    batch = score_cohort(vprog, subs)
    assert_same(batch, expected)
    assert batch.points("t1")[1] == Decimal("0.5")  # 0.89999999999999999 < 0.9 exactly
    assert batch.status("t2")[2] == "not_applicable"
    assert batch.total[7] != batch.self_total[7]
    assert batch.stats["exact_rows"] > 0  # the collision and the ties went the exact way


LADDERS = {
    "methodology.yaml": "id: lad\ntitle: Lad\nlevel: tỉnh\nscale: 10\n",
    "f/_node.md": "---\nid: f\ncode: '1'\ntitle: L\nmax_points: 4\n---\n",
    # an "otherwise" last; the second tier is tested as x >= 0.7 (x >= 0.9 took the rest)
    "f/a.md": "---\nid: a\ncode: '1.1'\ntitle: A\nmax_points: 1\n"
    "inputs:\n  x: {type: ratio, label: X}\n"
    "scoring:\n  kind: tiers\n  tiers:\n"
    "    - {when: x >= 90%, points: 1}\n"
    "    - {when: x >= 70% and x < 90%, points: 0.5}\n"
    "    - {otherwise: true, points: 0}\n---\n",
    # strict bounds, constants on the left, no "otherwise" ("no tier applies" is invalid)
    "f/b.md": "---\nid: b\ncode: '1.2'\ntitle: B\nmax_points: 1\n"
    "inputs:\n  y: {type: number, label: Y, required: false}\n"
    "scoring:\n  kind: tiers\n  tiers:\n"
    "    - {when: 0.3 < y, points: 1}\n"
    "    - {when: y == 0.1, points: 0.75}\n"
    "    - {when: y <= -2 and -5 < y, points: 0.25}\n---\n",
    "f/c.md": "---\nid: c\ncode: '1.3'\ntitle: C\nmax_points: 1\n"
    "inputs:\n  z: {type: count, label: Z}\n"
    "scoring: {kind: boolean, when: z > 2, points: 1}\n---\n",
    "f/d.md": "---\nid: d\ncode: '1.4'\ntitle: D\nmax_points: 1\n"
    "inputs:\n  w: {type: ratio, label: W}\n"
    "scoring:\n  kind: tiers\n  tiers:\n"
    "    - {otherwise: true, points: 1}\n---\n",
}


def test_ladders_decide_as_the_exact_path():
    m = build_tree("lad", {p: p for p in LADDERS}, lambda p: LADDERS[p].encode())
    assert not [p for p in m.problems if p.severity == "error"]
    program = build_program(m)
    vprog = VectorProgram.build(program)
    assert [v.ladder is not None for v in vprog.leaves] == [True, True, True, False]
    assert vprog.leaves[0].ladder == [(0.9, math.inf), (0.7, math.inf), None]
    below, above = math.nextafter(0.3, -math.inf), math.nextafter(0.3, math.inf)
    xs = [0.9, math.nextafter(0.9, 0), 0.7, 0.69, 1.0, 0.0, "0.89999999999999999", "0.9"]
    ys = [0.3, above, below, 0.1, 0.10000000000000002, -2, -5, -4.999, None, "abc", -1e300]
    zs = [0, 2, 3, 2.5, "3.0000000000000001", 10**17]
    dicts = []
    for i in range(max(len(xs), len(ys), len(zs))):
        values = {"x": xs[i % len(xs)], "z": zs[i % len(zs)], "w": 0.5}
        if ys[i % len(ys)] is not None:
            values["y"] = ys[i % len(ys)]
        dicts.append({"unit": f"u{i}", "period": "2024", "values": values})
    subs = [parse_submission(d) for d in dicts]
    expected = score_many(program, subs, CompiledEngine())
    batch = score_cohort(vprog, dicts)
    assert_same(batch, expected)
    assert batch.stats["exact_rows"] > 0  # values whose doubles are not their decimals
    assert {n.status for r in expected for n in r.walk()} == {"scored", "invalid"}
    # the same as clean float columns (the fast cleaning path), then with one value missing
    floats = [
        d for d in dicts if all(type(v) is float or type(v) is int for v in d["values"].values())
    ]
    floats = [d for d in floats if "y" in d["values"] and abs(d["values"]["z"]) < 2**53]
    columns = {k: np.array([float(d["values"][k]) for d in floats]) for k in ("x", "y", "z", "w")}
    units = [d["unit"] for d in floats]
    expected = score_many(program, [parse_submission(d) for d in floats], CompiledEngine())
    assert_same(score_columns(vprog, columns, units=units), expected)
    columns["x"][0] = np.nan
    floats[0]["values"].pop("x")
    expected = score_many(program, [parse_submission(d) for d in floats], CompiledEngine())
    assert_same(score_columns(vprog, columns, units=units), expected)


def test_plain_dicts_and_the_same_parsed():
    program = _program()
    vprog = VectorProgram.build(program)
    dicts = [
        {"unit": f"u{i}", "period": "2024", "values": {"x": x, "a": a, "b": 4, "y": y}}
        for i, (x, a, y) in enumerate([(0.9, 1, 0.5), (0.7, 3, "2"), (0.5, 0, 7), (True, 1, 1)])
    ]
    dicts.append({"unit": "u-unknown", "period": "2024", "values": {"x": 0.9, "z": 1}})
    subs = [parse_submission(d) for d in dicts]
    expected = score_many(program, subs, CompiledEngine())
    assert_same(score_cohort(vprog, dicts), expected)
    assert_same(score_cohort(vprog, subs), expected)


def test_columns_with_masks_and_unknown_names():
    program = _program()
    vprog = VectorProgram.build(program)
    x = np.ma.masked_array([0.9, 0.7, 0.1], mask=[False, True, False])
    columns = {"x": x, "a": np.array([1, 0, 2]), "b": np.array([2, 0, 8]), "y": [3.0, np.nan, 1.0]}
    facts = {"co_tthc": np.array([True, True, False])}
    batch = score_columns(vprog, columns, facts=facts, units=["a", "b", "c"])
    subs = [
        _sub("a", {"x": 0.9, "a": 1, "b": 2, "y": 3.0}, facts={"co_tthc": True}),
        _sub("b", {"a": 0, "b": 0}, facts={"co_tthc": True}),
        _sub("c", {"x": 0.1, "a": 2, "b": 8, "y": 1.0}, facts={"co_tthc": False}),
    ]
    assert_same(batch, score_many(program, subs, CompiledEngine()))
    with pytest.raises(KeyError, match="unknown input 'xx'"):
        score_columns(vprog, {"xx": np.zeros(3)}, units=["a", "b", "c"])


# -- the bundled catalog -------------------------------------------------------------


@pytest.mark.slow
def test_bundled_provincial_samples(store):
    program, subs = bundled_provincial(store)
    vprog = VectorProgram.build(program)
    expected = score_many(program, subs, CompiledEngine())
    batch = score_cohort(vprog, subs)
    assert_same(batch, expected)
    assert any(r.total != r.self_total for r in expected)  # appraisals change scores
    results = batch.results([0, 5])
    assert [r.tree() for r in results] == [expected[0].tree(), expected[5].tree()]


@pytest.mark.slow
def test_bundled_provincial_samples_as_columns(store):
    """The appraised values, survey scores and council points as columns score the same."""
    program, subs = bundled_provincial(store)
    vprog = VectorProgram.build(program)
    n = len(subs)
    columns: dict[str, Any] = {}
    for key, spec in program.inputs.items():
        raw = []
        for s in subs:
            adjustment = s.appraisal.get(key)
            value = (
                adjustment.value
                if adjustment and adjustment.value is not None
                else s.values.get(key)
            )
            raw.append(value)
        if spec.type.value in ("number", "ratio", "count"):
            columns[key] = np.array([np.nan if v is None else float(v) for v in raw])
        else:
            columns[key] = np.array(raw, dtype=object)
    survey = {
        leaf.id: np.array([float(s.survey.get(leaf.id, np.nan)) for s in subs])
        for leaf in program.leaves
        if leaf.kind == "survey"
    }
    manual = {
        leaf.id: np.array(
            [float(s.appraisal[leaf.id].points) if leaf.id in s.appraisal else np.nan for s in subs]
        )
        for leaf in program.leaves
        if leaf.kind == "manual"
    }
    claims = {
        node_id: np.array([node_id in s.not_applicable for s in subs])
        for node_id in {k for s in subs for k in s.not_applicable}
    }
    facts = {
        key: np.array([s.facts.get(key) for s in subs], dtype=object)
        for key in {k for s in subs for k in s.facts}
    }
    batch = score_columns(
        vprog,
        columns,
        facts=facts,
        claims=claims,
        survey=survey,
        manual=manual,
        units=[s.unit for s in subs],
    )
    expected = score_many(program, subs, CompiledEngine())
    assert len(batch) == n
    assert batch.total == [r.total for r in expected]
    assert batch.index == [r.index for r in expected]
    for r in expected[:10]:
        i = batch.units.index(r.unit)
        assert batch.node_points(i) == {node.id: node.points for node in r.walk()}


@pytest.mark.parametrize("typ", ["number", "count", "ratio"])
def test_columns_refuse_exactly_the_magnitudes_cleaning_refuses(typ):
    # plain floats and ints are checked as doubles, the rest value by value: both must
    # say what `clean_value` says, at the edges of the accepted magnitudes too
    from evaluators.engines.vector.columns import clean_raws
    from evaluators.scoring.cleaning import clean_value
    from rules import InputSpec

    from .strategies import EXTREMES

    spec = InputSpec("x", typ, "X")
    plain = [v for v in EXTREMES[typ] if type(v) in (int, float)]
    for raws in (plain, EXTREMES[typ]):
        column = clean_raws(spec, raws, {})
        got = [
            bool(column.invalid[i]) if column.invalid is not None else False
            for i in range(len(raws))
        ]
        assert got == [clean_value(spec, raw)[1] is not None for raw in raws], raws
