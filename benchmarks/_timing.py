"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

__all__ = ["median_ms"]


def median_ms(run: Callable[[], object], runs: int) -> float:
    """Median wall time of ``run`` in milliseconds, after one untimed warm-up call."""
    run()  # warm imports, regexes and git helper processes outside the timed runs
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
