"""Audits and sensitivity runs started from a page, run in the background.

An audit of a whole cohort or a sensitivity run of thousands of replications takes
seconds to minutes; a page must not wait for it, and other pages must keep answering.
`start` checks the permission, then hands the request to one worker thread per server
that calls the very function `POST /api/audits` or `POST /api/sensitivity` calls
(`server.services.analyses.run_audit`, `run_sensitivity`), so the analysis row is
stored exactly as through the API. The analysis reports its steps to the job
(`Job.report`, the ``progress`` callback of `evaluators.audit` and
`evaluators.sensitivity`); the page asks `job` how far it is (`Job.percent`,
`Job.remaining`) until the row exists.

Jobs are held in memory: they are only the way to the stored row, which outlives them.
A restart forgets running jobs (their work is lost, nothing half-written is stored, as
`run_audit` writes in one transaction at the end); finished ones are kept for an hour.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from evaluators import Progress
from server.auth import Principal, require
from server.db import session_scope
from server.deps import Services
from server.errors import ApiError, NotFound
from server.models import Analysis
from server.services.analyses import run_audit, run_sensitivity

__all__ = ["Job", "job", "queued", "recent_analyses", "start"]

log = logging.getLogger("parindex")

KEEP_SECONDS = 3600
RUNNERS: dict[str, Callable[[Services, Principal, Any, Progress], dict[str, Any]]] = {
    "audit": run_audit,
    "sensitivity": run_sensitivity,
}


@dataclass
class Job:
    id: str
    kind: str  # audit | sensitivity
    user: int | None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    analysis_id: int | None = None
    error: str | None = None  # the API's detail, for the page to say in Vietnamese
    problems: list[dict[str, str]] = field(default_factory=list)
    # (done, total) as the analysis last reported it: one tuple, replaced whole, so a
    # page reading it from another thread never sees a done of one report and a total
    # of another.
    steps: tuple[int, int] = (0, 0)
    measured_from: float | None = None  # when the analysis itself began (0 steps done)

    def report(self, done: int, total: int) -> None:
        """The analysis's progress callback (called in the worker thread)."""
        if self.measured_from is None:
            self.measured_from = time.monotonic()
        self.steps = (done, total)

    @property
    def done(self) -> bool:
        return self.finished is not None

    @property
    def percent(self) -> int:
        """Whole percent of the steps done (rounded down, so 100 means every step); 100
        once the result is stored."""
        if self.analysis_id is not None:
            return 100
        done, total = self.steps
        return 100 * done // total if total else 0

    @property
    def remaining(self) -> int | None:
        """Seconds still to go at the pace of the steps so far; None before the first
        step is done and once the job has finished."""
        done, total = self.steps
        if self.done or done == 0 or self.measured_from is None:
            return None
        elapsed = time.monotonic() - self.measured_from
        return max(0, round(elapsed * (total - done) / done))

    @property
    def seconds(self) -> int:
        return int((self.finished or time.monotonic()) - self.started)


class _Runner:
    """One worker per server: analyses queue behind each other instead of taking every
    core from the requests the pages serve."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parindex-analysis")
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    def forget_old(self) -> None:
        now = time.monotonic()
        with self.lock:
            old = [
                k for k, j in self.jobs.items() if j.finished and now - j.finished > KEEP_SECONDS
            ]
            for key in old:
                del self.jobs[key]


# By the `Services` of each app (a dataclass, so not hashable: by id, with a weak
# reference to tell a new object at a recycled address from the old one).
_runners: dict[int, tuple[weakref.ref[Services], _Runner]] = {}
_runners_lock = threading.Lock()


def _runner(services: Services) -> _Runner:
    with _runners_lock:
        held = _runners.get(id(services))
        if held is None or held[0]() is not services:
            held = _runners[id(services)] = (weakref.ref(services), _Runner())
        return held[1]


def queued(services: Services) -> int:
    """Jobs of this server waiting or running."""
    runner = _runner(services)
    with runner.lock:
        return sum(not j.done for j in runner.jobs.values())


def start(services: Services, principal: Principal, kind: str, body: dict[str, Any]) -> Job:
    """Queue ``body`` (the JSON body of `POST /api/audits` or `/api/sensitivity`)."""
    require(principal, "analysis.run")
    runner = _runner(services)
    runner.forget_old()
    new = Job(secrets.token_urlsafe(12), kind, principal.id)
    with runner.lock:
        runner.jobs[new.id] = new

    def work() -> None:
        try:
            stored = RUNNERS[kind](services, principal, body, new.report)
            new.analysis_id = int(stored["id"])
        except ApiError as exc:
            new.error, new.problems = exc.detail, list(exc.errors or [])
        except Exception as exc:  # a worker must always finish its job
            log.exception("analysis job %s failed", new.id)
            new.error = f"unexpected error: {type(exc).__name__}"
        finally:
            new.finished = time.monotonic()
            outcome = "failed" if new.error else "done"
            services.metrics.job_duration.labels(kind, outcome).observe(new.finished - new.started)

    runner.pool.submit(work)
    return new


def job(services: Services, principal: Principal, job_id: str) -> Job:
    """A job of this person's (another's job is not theirs to watch: 404)."""
    require(principal, "analysis.read")
    found = _runner(services).jobs.get(job_id)
    if found is None or found.user != principal.id:
        raise NotFound(f"no analysis job {job_id}")
    return found


def recent_analyses(
    services: Services, principal: Principal, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest stored analyses, newest first: id, kind, request, when (no results:
    they can be large)."""
    require(principal, "analysis.read")
    with session_scope(services.db) as session:
        rows = session.exec(
            select(Analysis.id, Analysis.kind, Analysis.request, Analysis.created_at)
            .order_by(col(Analysis.id).desc())
            .limit(limit)
        ).all()
        return [
            {"id": i, "kind": kind, "request": request, "created_at": created}
            for i, kind, request, created in rows
        ]
