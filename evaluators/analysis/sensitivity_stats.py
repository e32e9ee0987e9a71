"""Statistics for `evaluators.analysis.sensitivity`: percentiles of integer ranks from their
counts, and the binned first-order sensitivity index with a rank correlation."""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "centred_ranks",
    "first_order",
    "order_statistics",
    "percentiles_from_counts",
    "rank_correlation",
    "spearman",
]


def order_statistics(counts: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """Per row of ``counts`` (how often each value 1..n occurred), the value of rank
    ``k`` (0-based) in the sorted sample."""
    cumulative = np.cumsum(counts, axis=1)
    return (cumulative <= np.asarray(k)[..., None]).sum(axis=-1) + 1


def percentiles_from_counts(counts: np.ndarray, q: float) -> np.ndarray:
    """``np.percentile(sample, q)`` (method "linear") of each row's sample, given only
    the counts of its integer values 1..n — so the replications need not be kept. The
    arithmetic follows NumPy's own (virtual index ``(N-1)·q/100``, its two-sided lerp),
    so the results are the same floats."""
    total = int(counts[0].sum()) if len(counts) else 0
    quantile = np.true_divide(q, 100)
    virtual = (total - 1) * quantile
    below = math.floor(virtual)
    above = min(below + 1, total - 1)
    gamma = np.float64(virtual - below)
    a = order_statistics(counts, below)
    b = order_statistics(counts, above)
    diff = b - a
    out = a + diff * gamma
    if gamma >= 0.5:
        out = b - diff * (1 - gamma)
    return out.astype(np.float64)


def first_order(x: np.ndarray, y: np.ndarray, bins: int) -> float:
    """Var(E[Y | bin of X]) / Var(Y), with X cut into ``bins`` equal-count quantile bins
    (the correlation ratio η², in [0, 1]); 0 when X or Y does not vary."""
    n = len(y)
    if n < 2 or bins < 2 or np.ptp(x) == 0:
        return 0.0
    centred = y - y.mean()
    spread = float(centred @ centred)
    if spread <= 0:
        return 0.0
    order = np.argsort(x, kind="stable")
    label = np.empty(n, np.intp)
    label[order] = (np.arange(n) * bins) // n
    size = np.bincount(label, minlength=bins)
    sums = np.bincount(label, weights=centred, minlength=bins)
    means = np.divide(sums, size, out=np.zeros(bins), where=size > 0)
    between = float((size * means**2).sum())
    return min(1.0, max(0.0, between / spread))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (Pearson on average ranks); 0 when either is constant."""
    if len(x) < 2:
        return 0.0
    return rank_correlation(x, centred_ranks(y))


def centred_ranks(y: np.ndarray) -> np.ndarray:
    """``y``'s average ranks minus their mean, to correlate many X with one Y."""
    ranks = _average_ranks(y)
    return ranks - ranks.mean()


def rank_correlation(x: np.ndarray, ry: np.ndarray) -> float:
    """Spearman's correlation of ``x`` with a Y given by its `centred_ranks`."""
    if len(x) < 2:
        return 0.0
    rx = _average_ranks(x)
    rx -= rx.mean()
    norm = math.sqrt(float(rx @ rx) * float(ry @ ry))
    if norm == 0:
        return 0.0
    return max(-1.0, min(1.0, float(rx @ ry) / norm))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    n = len(values)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.empty(n, bool)
    starts[0] = True
    starts[1:] = ordered[1:] != ordered[:-1]
    group = np.cumsum(starts) - 1
    begin = np.flatnonzero(starts)
    end = np.append(begin[1:], n)
    ranks = np.empty(n)
    ranks[order] = ((begin + end - 1) / 2 + 1)[group]
    return ranks
