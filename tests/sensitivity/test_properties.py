"""Property tests: whatever the cohort and parameters, ranks stay within 1..n and the
intervals are ordered."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluators.analysis.sensitivity import sensitivity
from tests.sensitivity import tiny

PROGRAMS = {
    policy: tiny.program(policy)
    for policy in ("exclude_and_normalize", "count_as_zero", "count_as_full")
}
MAXIMA = {"s111": 2, "s112": 1, "c12": 3, "f2": 2, "f3": 2}


@st.composite
def cohorts(draw):
    size = draw(st.integers(1, 7))
    units = []
    for i in range(size):
        # quarter points, so that ties are common
        points = {leaf: draw(st.integers(0, 4 * top)) / 4 for leaf, top in MAXIMA.items()}
        claims = draw(st.lists(st.sampled_from(["s112", "f2"]), unique=True, max_size=2))
        units.append(tiny.unit(f"u{i}", f"Đơn vị {i}", points, tuple(claims)))
    return units


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cohort=cohorts(),
    policy=st.sampled_from(sorted(PROGRAMS)),
    replications=st.integers(1, 80),
    spread=st.floats(0, 0.95),
    method=st.sampled_from(["uniform", "dirichlet"]),
    level=st.sampled_from(["field", "criterion", "both"]),
    concentration=st.floats(0.05, 1000),
    seed=st.integers(0, 2**32),
    skip=st.lists(st.sampled_from([f"u{i}" for i in range(7)]), max_size=3),
)
def test_ranks_stay_in_range_and_intervals_are_ordered(
    cohort, policy, replications, spread, method, level, concentration, seed, skip
):
    result = sensitivity(
        PROGRAMS[policy],
        cohort,
        replications=replications,
        spread=spread,
        method=method,
        level=level,
        concentration=concentration,
        seed=seed,
        not_ranked=skip,
    )
    ranked = [u for u in result.units if u.rank is not None]
    assert {u.unit for u in ranked} == {s.unit for s in cohort} - set(skip)
    n = len(ranked)
    for u in ranked:
        assert 1 <= u.rank <= n
        assert 1 <= u.rank_min <= u.rank_p05 <= u.rank_median <= u.rank_p95 <= u.rank_max <= n
        assert 0 <= u.changed_share <= 1
        if u.changed_share == 0:
            assert u.rank_min == u.rank_max == u.rank
    for u in result.units:
        if u.rank is None:
            assert u.rank_median is None and u.changed_share is None
    firsts = [d.first_order for d in result.drivers]
    assert firsts == sorted(firsts, reverse=True)
    assert all(0 <= d.first_order <= 1 and -1 <= d.correlation <= 1 for d in result.drivers)
    if spread == 0 and method == "uniform":
        assert all(u.changed_share == 0 for u in ranked)
