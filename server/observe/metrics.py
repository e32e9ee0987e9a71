"""The counters `GET /metrics` reports, in one registry per application."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
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
            "parindex_http_requests_in_progress", "HTTP requests being answered.", registry=r
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
        return generate_latest(self.registry)


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
