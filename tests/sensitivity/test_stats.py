"""The statistics helpers against NumPy and evaluators.scoring.ranking."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from evaluators.analysis.sensitivity_model import competition_ranks, round_half_up
from evaluators.analysis.sensitivity_stats import (
    first_order,
    order_statistics,
    percentiles_from_counts,
    spearman,
)
from evaluators.scoring.ranking import competition_ranks as decimal_ranks


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100, 1001, 4096])
def test_percentiles_from_counts_are_numpys(size):
    rng = np.random.default_rng(size)
    n = 9
    sample = rng.integers(1, n + 1, size=(5, size))
    counts = np.stack([np.bincount(row, minlength=n + 1)[1:] for row in sample])
    for q in (0, 5, 25, 50, 95, 99.5, 100):
        expected = np.percentile(sample, q, axis=1)
        assert percentiles_from_counts(counts, q).tolist() == expected.tolist()
    assert order_statistics(counts, 0).tolist() == sample.min(axis=1).tolist()
    assert order_statistics(counts, size - 1).tolist() == sample.max(axis=1).tolist()


def test_competition_ranks_are_the_rankings():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 6, size=(200, 9))
    ranks = competition_ranks(scores)
    for row, got in zip(scores, ranks, strict=True):
        expected = decimal_ranks({i: Decimal(int(s)) for i, s in enumerate(row)})
        assert got.tolist() == [expected[i] for i in range(len(row))]


def test_round_half_up_rounds_ties_away_from_zero():
    values = np.array([502.5, 502.4999999999999, 502.49, 502.4999, 0.5, -0.5, -2.5, 1.5, 2.5, 0.0])
    assert round_half_up(values).tolist() == [503, 503, 502, 502, 1, -1, -3, 2, 3, 0]


def test_first_order_of_a_function_of_the_bins_is_one():
    x = np.linspace(0, 1, 1000)
    y = np.floor(x * 10 - 1e-9)
    y[0] = 0
    assert first_order(x, y, 10) == pytest.approx(1.0)


def test_first_order_of_noise_is_small_and_of_constants_zero():
    rng = np.random.default_rng(1)
    x, y = rng.random(5000), rng.random(5000)
    assert 0 <= first_order(x, y, 20) < 0.01
    assert first_order(x, np.ones(5000), 20) == 0
    assert first_order(np.ones(5000), y, 20) == 0
    assert first_order(x[:1], y[:1], 20) == 0


def test_first_order_sees_a_non_monotone_effect_that_correlation_misses():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, 4000)
    y = np.abs(x) + rng.normal(0, 0.05, 4000)
    assert first_order(x, y, 20) > 0.9
    assert abs(spearman(x, y)) < 0.1


def test_spearman():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert spearman(x, x**3) == pytest.approx(1.0)
    assert spearman(x, -x) == pytest.approx(-1.0)
    assert spearman(x, np.ones(5)) == 0
    # ties take average ranks: ranks of y are 1.5, 1.5, 3, 4, 5
    y = np.array([0.0, 0.0, 1.0, 2.0, 3.0])
    rx = np.arange(1, 6) - 3.0
    ry = np.array([1.5, 1.5, 3, 4, 5]) - 3.0
    assert spearman(x, y) == pytest.approx(rx @ ry / np.sqrt((rx @ rx) * (ry @ ry)))
