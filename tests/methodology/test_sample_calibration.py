"""The synthetic samples follow the published distribution of each year they stand for."""

from __future__ import annotations

from decimal import Decimal
from statistics import mean

import pytest

from evaluators import CompiledEngine, rank_path
from methodology import bundled_root, load_plan

SUBMISSIONS = bundled_root() / "submissions"
SETS = [s for s in load_plan()[1] if s.published is not None]


@pytest.mark.parametrize("sample_set", SETS, ids=lambda s: f"{s.cohort}-{s.period}")
def test_sample_rankings_meet_the_published_figures(store, sample_set):
    ranking = rank_path(
        store,
        f"{sample_set.methodology}@{sample_set.ref}",
        SUBMISSIONS / sample_set.methodology / str(sample_set.period),
        CompiledEngine(),
    )
    year = sample_set.published
    ranked = [u for u in ranking.units if u.ranked]
    assert len(ranked) == sum(1 for u in sample_set.units if u.ranked)
    if year.average is not None:
        assert abs(mean(u.index for u in ranked) - year.average) <= 1
    for group, count in (year.groups or {}).items():
        assert abs(ranking.bands.get(group, 0) - count) <= 1, group
    by_unit = {u.unit: u for u in ranking.units}
    for unit in year.units:
        total = year.total(unit)
        if total is not None:
            assert abs(by_unit[unit].index - total) <= Decimal("0.5"), unit


def test_the_years_without_samples_are_only_those_of_the_derived_cohorts():
    covered = {(s.cohort, s.period) for s in SETS}
    assert {("provinces", y) for y in (2021, 2022, 2023, 2024)} <= covered
    assert ("ministries", 2023) in covered
