"""The durable engine decides exactly what the compiled engine decides, on random
methodologies and random submissions (including errors, N/A and claims)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluators import CompiledEngine, build_program, parse_submission, score, score_many
from evaluators.engines.durable.engine import DurableEngine
from evaluators.engines.vector.batch import VectorProgram, score_cohort
from evaluators.scoring.plan import _prepare
from tests.evaluators.helpers import assert_same, bundled_provincial

from .strategies import methodologies, submissions


def examples(count: int):
    """Hypothesis settings for these tests: ``count`` examples, no deadline (workers)."""
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture(scope="module")
def durable():
    with DurableEngine() as engine:
        yield engine


@pytest.mark.slow
@examples(150)
@given(data=st.data())
def test_engines_agree(durable, data):
    m, spec = data.draw(methodologies())
    program = build_program(m)
    for _ in range(3):
        submission = data.draw(submissions(spec))
        expected = score(program, submission, CompiledEngine())
        got = score(program, submission, durable)
        assert got.tree() == expected.tree()
        assert (got.total, got.self_total, got.index, got.self_index) == (
            expected.total,
            expected.self_total,
            expected.index,
            expected.self_index,
        )
        assert got.problems == expected.problems
    assert durable.stats()["live_sessions"] == 0


@examples(60)
@given(data=st.data())
def test_engines_agree_when_cases_travel_as_their_events(durable, data):
    # every event carries one value: the pool writes the events of clean cases itself
    m, spec = data.draw(methodologies(plain=True))
    program = build_program(m)
    subs = [data.draw(submissions(spec)) for _ in range(data.draw(st.integers(2, 6)))]
    expected = score_many(program, subs, CompiledEngine())
    got = score_many(program, subs, durable)
    assert [r.tree() for r in got] == [r.tree() for r in expected]
    assert [r.problems for r in got] == [r.problems for r in expected]
    assert [(r.total, r.self_total) for r in got] == [(r.total, r.self_total) for r in expected]


@pytest.mark.slow
@examples(80)
@given(data=st.data())
def test_batches_decided_by_the_durable_engine_are_the_same(durable, data):
    # score_cohort with an engine: durable-rules decides every leaf, the rest vectorised
    m, spec = data.draw(methodologies(plain=data.draw(st.booleans())))
    program = build_program(m)
    vprog = VectorProgram.build(program)
    subs = [data.draw(submissions(spec)) for _ in range(data.draw(st.integers(1, 12)))]
    batch = score_cohort(vprog, subs, durable)
    assert batch.stats["decided_by"] == "durable"
    assert_same(batch, score_many(program, subs, CompiledEngine()))
    vectorised = score_cohort(vprog, subs)
    assert batch.total == vectorised.total and batch.index == vectorised.index
    compiled = score_cohort(vprog, subs, CompiledEngine())  # an engine without workers
    assert compiled.total == batch.total and compiled.self_total == batch.self_total
    assert durable.stats()["live_sessions"] == 0


@examples(60)
@given(data=st.data())
def test_engines_agree_on_huge_and_tiny_magnitudes(durable, data):
    # values far beyond the accepted magnitudes are invalid alike everywhere (the
    # vectorised checks mirror cleaning); those at the edges reach the arithmetic, whose
    # products leave the doubles: the float engines must still decide what Decimals do,
    # and nothing raises but the documented errors
    m, spec = data.draw(methodologies())
    program = build_program(m)
    subs = [data.draw(submissions(spec, extreme=True)) for _ in range(data.draw(st.integers(1, 4)))]
    expected = score_many(program, subs, CompiledEngine())
    got = score_many(program, subs, durable)
    assert [r.tree() for r in got] == [r.tree() for r in expected]
    assert [r.problems for r in got] == [r.problems for r in expected]
    assert_same(score_cohort(VectorProgram.build(program), subs), expected)
    assert durable.stats()["live_sessions"] == 0


CLEAN = {
    "ratio": [0.0, 0.5, 0.7, 0.9, 0.95, 1.0, 0.1 + 0.2, 0.7000000000000001, 0.8999999999999999],
    "count": [0, 1, 2, 3, 5, 10],
    "number": [-2.0, 0.0, 0.5, 1.0, 3.0, 10.0, 2.5, 1e-07, 0.1 + 0.2, 123456789.125],
}


@pytest.mark.slow
@examples(60)
@given(data=st.data())
def test_clean_units_decided_from_columns_are_the_same(durable, data):
    # units whose inputs are all clean numbers go to the workers straight from the
    # cleaned columns, without a Submission each
    m, spec = data.draw(methodologies(plain=True))
    program = build_program(m)
    vprog = VectorProgram.build(program)
    subs = [
        {
            "unit": f"u{i}",
            "period": "2024",
            "values": {k: data.draw(st.sampled_from(CLEAN[t])) for k, t in spec.inputs.items()},
        }
        for i in range(data.draw(st.integers(1, 12)))
    ]
    batch = score_cohort(vprog, subs, durable)
    expected = score_many(program, [parse_submission(s) for s in subs], CompiledEngine())
    assert_same(batch, expected)
    # every unit whose values are all clean (in bounds) took the columns' way
    clean = [r for r in expected if not any(p["path"].startswith("$.values.") for p in r.problems)]
    assert batch.stats["from_columns"] == len(clean)


@pytest.mark.slow
def test_the_bundled_provincial_index_in_classes(durable, store):
    # most of 876/QĐ-BNV's criteria share a ladder with others: their rules are shared,
    # and the 63 provinces' 2022 samples score exactly as with the compiled engine
    from evaluators.engines.durable.layout import build_layout

    program, subs = bundled_provincial(store)
    layout = build_layout(program)
    members = {head for table in layout.shared.values() for head in table}
    assert len(members) > len(layout.leaves) / 2
    assert len(layout.definition) < len(layout.leaves)
    expected = score_many(program, subs, CompiledEngine())
    got = score_many(program, subs, durable)
    assert [r.tree() for r in got] == [r.tree() for r in expected]
    assert_same(score_cohort(VectorProgram.build(program), subs, durable), expected)
    traces = durable.trace(program, [_prepare(program, subs[0]).appraised_case])[0]
    assert all(t == "sentinel" or t.split("/")[0] in program.methodology.nodes for t in traces)
