"""A ranking beside the published results, from a `Ranking` or from its JSON (the API's)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluators import CompiledEngine, EvaluatorError, compare_published, rank_path
from methodology import bundled_root

SUBMISSIONS = bundled_root() / "submissions"


def test_the_2022_ranking_beside_the_published_one(store):
    ranking = rank_path(
        store,
        "par-provincial@par-provincial/2022",
        SUBMISSIONS / "par-provincial/2022",
        CompiledEngine(),
    )
    comparison = compare_published(ranking, 2022)
    assert comparison.cohort == "provinces"  # guessed from the units
    assert compare_published(ranking.to_json(), "2022", "provinces") == comparison
    rows = {r.unit: r.to_json() for r in comparison.rows}
    dong_nai = rows["dong-nai"]
    assert dong_nai["published_total"] == 82.92 and dong_nai["published_rank"] == 51
    assert dong_nai["difference"] == pytest.approx(dong_nai["index"] - 82.92)
    assert dong_nai["rank_difference"] == dong_nai["rank"] - 51
    data = comparison.to_json()
    assert data["published_groups"] == {"A": 2, "B": 56, "C": 5}
    assert data["published_average"] is None  # not published for 2022
    assert abs(comparison.average - Decimal("84.6")) < 1
    text = comparison.to_text()
    assert "Trung bình:" in text and "(không công bố)" in text
    assert "Xếp loại: A: 2, B: 56, C: 5 (công bố A: 2, B: 56, C: 5" in text
    with pytest.raises(EvaluatorError, match="no published results"):
        compare_published(ranking, 2019)
