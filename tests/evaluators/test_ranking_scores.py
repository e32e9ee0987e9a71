"""A ranking from the vectorised path (`cohort_scores`, `rank_scores`) is the ranking of
the explained results (`score_many`, `rank`): every unit's total, applicable maximum,
index, completeness and field points, the ranks and bands, and the result hashes — on
the bundled 63 provinces."""

from __future__ import annotations

import pytest

from evaluators import (
    CompiledEngine,
    cohort_scores,
    hash_result,
    rank,
    rank_scores,
    score_many,
)
from tests.evaluators.helpers import bundled_provincial


@pytest.mark.slow  # 63 explained results of 876 criteria
def test_vectorised_scores_equal_the_explained_results(store):
    program, subs = bundled_provincial(store)
    results = score_many(program, subs, CompiledEngine())
    scores = cohort_scores(program, subs)
    assert [s.unit for s in scores] == [r.unit for r in results]
    for got, result in zip(scores, results, strict=True):
        assert (got.total, got.applicable_max, got.index) == (
            result.total,
            result.applicable_max,
            result.index,
        ), result.unit
        assert got.complete == result.complete
        assert got.scale == result.scale
        assert got.fields == {
            n.id: None if n.status == "not_applicable" else n.points for n in result.nodes
        }
    assert len({s.total for s in scores}) > 50  # the samples differ: the test can fail
    assert rank_scores(scores).to_json() == rank(results).to_json()
    grouped = {"not_ranked": [subs[0].unit], "reasons": {subs[1].unit: "sáp nhập"}}
    assert rank_scores(scores, **grouped).to_json() == rank(results, **grouped).to_json()
    commit = program.methodology.commit
    assert [hash_result(commit, s.content_hash()) for s in subs] == [r.result_hash for r in results]


def test_no_submissions_no_scores(store):
    program, _ = bundled_provincial(store)
    assert cohort_scores(program, []) == []
