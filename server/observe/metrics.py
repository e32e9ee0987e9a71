"""The counters `GET /metrics` reports, in one registry per application.

Under `parindex serve --workers N` each worker writes its counts to files in
`PROMETHEUS_MULTIPROC_DIR` (set by `server.serve` before the workers start), and a
scrape, whichever worker answers it, reads every worker's files (prometheus-client's
multiprocess mode). Without that variable the counts stay in the process's registry.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

__all__ = [
    "CONTENT_TYPE",
    "Metrics",
    "process_ended",
    "share_between_processes",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable
# From a cached tree read (milliseconds) to a cohort's audit (tens of seconds).
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """Counted as things happen (requests, evaluations, jobs) or read when scraped
    (`watch`: git writes, the job queue, engine workers), so nothing is counted twice."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._watched: _Watched | None = None
        r = self.registry
        self.requests = Counter(
            "parindex_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.duration = Histogram(
            "parindex_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=_SECONDS,
            registry=r,
        )
        self.in_progress = Gauge(
            "parindex_http_requests_in_progress",
            "HTTP requests being answered.",
            registry=r,
            multiprocess_mode="livesum",  # those of the workers alive, added
        )
        self.evaluations = Counter(
            "parindex_evaluations",
            "Submissions scored, by engine (single evaluations, rankings, analyses).",
            ["engine"],
            registry=r,
        )
        self.job_duration = Histogram(
            "parindex_job_duration_seconds",
            "Time background jobs took from start to end, by kind and outcome.",
            ["kind", "outcome"],
            buckets=_SECONDS,
            registry=r,
        )

    def watch(self, read: Callable[[], dict[str, Any]]) -> None:
        """Report what ``read()`` returns when scraped: `git_writes` {outcome: n},
        `jobs_queued` n, `engine_workers` {engine: {alive, size, restarts}}. Watching
        again replaces the reader (apps that share their services share one registry)."""
        if self._watched is None:
            self._watched = _Watched(read)
            self.registry.register(self._watched)
        self._watched.read = read

    def render(self) -> bytes:
        if not os.environ.get(_MULTIPROCESS_DIR):
            return generate_latest(self.registry)
        # Every worker's files; the watched state is read by the worker answering.
        registry = CollectorRegistry(auto_describe=True)
        MultiProcessCollector(registry)
        if self._watched is not None:
            registry.register(self._watched)
        return generate_latest(registry)


def share_between_processes(folder: Path) -> None:
    """Make the processes started after this (the workers) count into files in
    ``folder``, emptied first: a new run starts at zero, as one process does. Called
    before prometheus-client is imported by a worker, which reads the variable then."""
    if folder.exists():
        for old in folder.glob("*.db"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ[_MULTIPROCESS_DIR] = str(folder)


def process_ended() -> None:
    """A worker stopping: its in-progress requests no longer count (its counters do)."""
    if os.environ.get(_MULTIPROCESS_DIR):
        mark_process_dead(os.getpid())


class _Watched(Collector):
    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        self.read = read

    def describe(self) -> list[Any]:
        return []  # read only when scraped: describing would read the state

    def collect(self) -> Iterator[Any]:
        state = self.read()
        writes = CounterMetricFamily(
            "parindex_git_writes",
            "Commits asked of the methodology store, by outcome (committed, conflict, refused).",
            labels=["outcome"],
        )
        for outcome, n in sorted(state.get("git_writes", {}).items()):
            writes.add_metric([outcome], n)
        yield writes
        yield GaugeMetricFamily(
            "parindex_jobs_queued",
            "Background jobs waiting or running.",
            value=state.get("jobs_queued", 0),
        )
        alive = GaugeMetricFamily(
            "parindex_engine_workers_alive", "Engine worker processes alive.", labels=["engine"]
        )
        restarts = CounterMetricFamily(
            "parindex_engine_worker_restarts",
            "Engine worker processes that died and were replaced.",
            labels=["engine"],
        )
        for name, health in sorted(state.get("engine_workers", {}).items()):
            alive.add_metric([name], health["alive"])
            restarts.add_metric([name], health["restarts"])
        yield alive
        yield restarts
