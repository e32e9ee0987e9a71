"""The durable engine decides exactly what the compiled engine decides, on random
methodologies and random submissions (including errors, N/A and claims)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluators import CompiledEngine, build_program, score
from evaluators.durable import DurableEngine

from .strategies import methodologies, submissions


@pytest.fixture(scope="module")
def durable():
    with DurableEngine() as engine:
        yield engine


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
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
