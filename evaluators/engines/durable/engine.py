"""The durable engine: every leaf decided by durable-rules, a Rete rule engine.

Each methodology version becomes one durable-rules ruleset named by its content hash
(`evaluators.engines.durable.layout` describes the rules), registered on a Host of our own in
worker processes (`evaluators.engines.durable.pool`). A submission's inputs go in as small
events — one per criterion, one per bonus or penalty rule — and the rules that fire are
the decisions: the tier, the boolean, the N/A rule or claim, the adjustments. Points are
computed from those decisions by `evaluators.scoring.plan`, as for every engine, so this
engine returns exactly what `CompiledEngine` returns (the property tests hold them to
identical result trees). A kind registered with `rules.register_kind` needs nothing
here: its `conditions` become rules in the workers like a tier table's (without any, the
kind itself is the leaf's outcome), and its `base_points` run in the parent, in the plan.

A cohort can also be scored by `evaluators.engines.vector.batch.score_cohort(vprog, submissions,
engine)`: this engine decides every leaf of every unit in its workers while the caller
cleans the next units' values and turns decisions into points, and the aggregation and
the N/A policy run in NumPy — the same totals, indices and per-node points as
`score_many`, without building 100-node result trees in the caller (the engine's
fastest path; see benchmarks/engines.py).

>>> with DurableEngine() as engine:                       # doctest: +SKIP
...     result = score(program, submission, engine)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from evaluators.engines.durable.events import columnar
from evaluators.engines.durable.layout import MAX_LEAVES, parts
from evaluators.engines.durable.pool import Pool, _events_layout
from evaluators.program import Case, Decision, Program

__all__ = ["DurableEngine"]


class DurableEngine:
    """Decides leaves with durable-rules in ``workers`` processes (started on first use).

    Thread-safe; `close` (or ``with``) stops the workers. A worker that crashes is
    replaced and the call raises `evaluators.WorkerCrashed`; the next call works.
    A methodology of more than ``max_leaves`` criteria (at most `layout.MAX_LEAVES`,
    what one durable-rules ruleset holds) is decided by several rulesets."""

    name = "durable"

    def __init__(self, workers: int = 1, *, max_leaves: int = MAX_LEAVES) -> None:
        self.workers = workers
        self.max_leaves = max_leaves
        self._pool = Pool(workers)
        self._finalizer = weakref.finalize(self, self._pool.close)

    def decide(self, program: Program, cases: Sequence[Case]) -> list[dict[str, Decision]]:
        return self._decide(program, cases, trace=False)[0]

    def _decide(
        self, program: Program, cases: Sequence[Case], trace: bool
    ) -> tuple[list[dict[str, Decision]], list[list[str]]]:
        """Decisions (and traces) of ``cases``; a program too large for one ruleset is
        decided part by part (`layout.parts`), each case's decisions joined in leaf order."""
        split = self._parts(program)
        if len(split) == 1:
            return self._pool.decide(program, cases, trace)
        decisions: list[dict[str, Decision]] = [{} for _ in cases]
        traces: list[list[str]] = [[] for _ in cases] if trace else []
        for part in split:
            got, fired = self._pool.decide(part, cases, trace)
            for joined, more in zip(decisions, got, strict=True):
                joined.update(more)
            for rules, more_rules in zip(traces, fired, strict=True):
                rules.extend(more_rules)
        return decisions, traces

    def columnar_cases(self, program: Program, columns: Mapping[str, Any], rows) -> list | None:
        """The cases of ``rows`` as the workers take them, written straight from columns
        of clean numbers (a float array per input; every value of those rows clean and
        exact), for `decide_stream`; None when the methodology's events do not each
        carry one such number (`vectorized.score_cohort` then prepares each unit)."""
        layout = program.cached("durable events", _events_layout)
        return None if layout is None else columnar(layout, columns, rows)

    def decide_stream(
        self, program: Program, chunks: Iterable[Sequence[Case]]
    ) -> Iterator[list[dict[str, Decision]]]:
        """`decide` for each chunk, in order, while the workers decide the next chunks:
        ``chunks`` is read lazily, so the caller prepares chunks and uses the decisions
        of earlier ones while the workers run (`scoring.score_many` does)."""
        if len(self._parts(program)) > 1:  # several rulesets: a chunk at a time, part by part
            for chunk in chunks:
                yield self.decide(program, chunk)
            return
        with contextlib.closing(self._pool.stream(program, chunks)) as decided:
            for decisions, _traces in decided:
                yield decisions

    async def decide_async(
        self, program: Program, cases: Sequence[Case]
    ) -> list[dict[str, Decision]]:
        """`decide` without blocking the event loop (the wait happens in a thread)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(self.decide, program, cases))

    def trace(self, program: Program, cases: Sequence[Case]) -> list[list[str]]:
        """For each case, the rules that fired, in firing order — the explanation of its
        decisions (``"<leaf>/tier:2"``, ``"<leaf>/na:rule:0"``, ``"<leaf>/bonus:0"``)."""
        return self._decide(program, cases, trace=True)[1]

    def stats(self) -> dict[str, Any]:
        """Counters summed over the workers: ``live_sessions`` (durable-rules sessions
        not yet deleted: 0 between calls), ``peak_live_sessions``, ``evaluations`` (cases
        decided), of which ``reused`` were equal to another case of their call and took
        its decisions instead of running the rules again, and per worker the rulesets
        it holds."""
        workers = self._pool.stats()
        return {
            "live_sessions": sum(w.get("live_sessions", 0) for w in workers),
            "peak_live_sessions": max((w.get("peak_live_sessions", 0) for w in workers), default=0),
            "evaluations": sum(w.get("evaluations", 0) for w in workers) + self._pool.reused,
            "reused": self._pool.reused,
            "workers": workers,
        }

    def health(self) -> dict[str, int]:
        """`{size, alive, restarts}`: the worker processes expected, alive (a dead idle
        worker is replaced on its next use) and replaced since the engine started."""
        return self._pool.health()

    def _parts(self, program: Program) -> tuple[Program, ...]:
        limit = self.max_leaves
        return program.cached(f"durable parts {limit}", lambda p: parts(p, limit))

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> DurableEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
