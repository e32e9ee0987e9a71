"""How far a long analysis has come, told to whoever asked: a callback, not a global.

An analysis that takes seconds to minutes (`audit` of a whole cohort, `sensitivity`
with many replications) takes ``progress``, a function it calls with (steps done, steps
in all): first with 0 done, then after each step, last with done equal to the total.
What a step is belongs to the analysis (a unit scored, a chunk of replications); the
caller only sees the fraction. Without ``progress`` nothing is reported.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]


class Steps:
    """Counts steps towards ``total`` and tells ``progress`` of each."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, max(total, 1), 0
        if progress is not None:
            progress(0, self.total)

    def advance(self, steps: int = 1) -> None:
        self.done = min(self.done + steps, self.total)
        if self.progress is not None:
            self.progress(self.done, self.total)
