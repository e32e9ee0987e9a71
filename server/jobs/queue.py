"""Running jobs: `execute` does one job from its row, whichever back-end called it;
`open_queue` picks the back-end the `job_queue` setting names.

- `InProcess` (`job_queue=inprocess`, the default): one worker thread per server. At
  start it takes every queued job of the database (the ones a stopped server put back);
  at shutdown the running job stops at its next progress report and is queued again,
  writing nothing, and the queued ones stay queued: the next start runs them, `attempts`
  counting each start.
- `Saq` (`job_queue=redis://…`): SAQ's queue in Redis (one per database, named by a hash
  of its URL: servers sharing a database must spell its URL alike), one SAQ worker (one
  job at a time) inside each `parindex serve` process. SAQ decides which worker takes a job; on shutdown
  SAQ cancels the running job's task and queues it again (`Job.retry`), and our running
  job stops at its next progress report and goes back to queued in the database as above,
  so the next worker to start runs it again. A worker killed without shutdown leaves its
  job active in Redis until SAQ's sweep finds it past `SAQ_TIMEOUT`; then SAQ retries it
  (up to `SAQ_RETRIES` attempts), and a restarted server of the same host requeues the row.

Either way the row decides: a job runs only when `rows.claim` takes it from queued to
running, so a job queued twice (a restart re-enqueues every queued row) runs once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from server.auth import principal_of
from server.db import session_scope
from server.deps import Services
from server.errors import ApiError
from server.jobs import rows
from server.jobs.kinds import KINDS, under
from server.models import User

__all__ = ["SAQ_RETRIES", "SAQ_TIMEOUT", "Backend", "JobCancelled", "execute", "open_queue"]

log = logging.getLogger("parindex")

# Seconds between progress writes (and cancellation checks) of a running job.
REPORT_EVERY = 0.2
SAQ_TIMEOUT = 6 * 3600  # the longest job SAQ lets run before its sweep retries it
SAQ_RETRIES = 3
SAQ_FUNCTION = "parindex_job"


class JobCancelled(BaseException):
    """The job's owner cancelled it: the work stops at its next progress report.

    A BaseException, as KeyboardInterrupt is: no `except Exception` on the way up may take
    it for an error of the work."""


class _Interrupted(BaseException):
    """The server is shutting down: the job goes back to the queue."""


class Backend(Protocol):
    name: str

    async def start(self) -> None: ...

    def submit(self, job_id: int) -> None: ...

    async def stop(self) -> None: ...


class _Reporter:
    """The progress callback of a running job: records how far it is at most every
    `REPORT_EVERY` seconds, and at least at each tenth of the work, so a quick job shows
    it moving too; and stops the work when the job is cancelled or the server stops. The
    final report (done == total) is always written and never stops it: the work may have
    stored its result just before."""

    def __init__(self, services: Services, job_id: int, stopping: threading.Event) -> None:
        self.services, self.job_id, self.stopping = services, job_id, stopping
        self.last = 0.0
        self.tenth = -1  # the tenth of the work the last written report was in

    def __call__(self, done: int, total: int) -> None:
        if self.stopping.is_set():
            raise _Interrupted
        now = time.monotonic()
        tenth = 10 * done // total if total else 0
        if done < total and now - self.last < REPORT_EVERY and tenth == self.tenth:
            return
        self.last, self.tenth = now, tenth
        asked = rows.progress(self.services.db, self.job_id, done, total)
        if asked and done < total:
            raise JobCancelled


def execute(services: Services, job_id: int, stopping: threading.Event) -> None:
    """Run the job ``job_id`` if it is still queued (on any back-end, in a worker thread)."""
    job = rows.claim(services.db, job_id)
    if job is None:
        return
    started = time.monotonic()
    with session_scope(services.db) as session:
        principal = principal_of(session.get(User, job.owner) if job.owner else None)
    outcome = "failed"
    try:
        made = KINDS[job.kind].run(
            services, principal, job.request, _Reporter(services, job_id, stopping)
        )
    except JobCancelled:
        outcome = "cancelled"
        rows.finish(services.db, job_id, "cancelled")
    except _Interrupted:
        outcome = "requeued"
        rows.requeue(services.db, job_id)
        log.info("job %s stopped by the shutdown: queued again", job_id)
    except ApiError as exc:
        rows.finish(
            services.db, job_id, "failed", error=exc.detail, problems=under(exc.errors or [])
        )
    except Exception as exc:  # a worker must always finish its job
        log.exception("job %s failed", job_id)
        rows.finish(services.db, job_id, "failed", error=f"unexpected error: {type(exc).__name__}")
    else:
        outcome = "done"
        rows.finish(services.db, job_id, "done", result=made.result, output=made.output)
    services.metrics.job_duration.labels(job.kind, outcome).observe(time.monotonic() - started)


class InProcess:
    """One worker thread per server; the queue is the database's queued rows."""

    name = "inprocess"

    def __init__(self, services: Services) -> None:
        self.services = services
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parindex-job")

    async def start(self) -> None:
        rows.prune(self.services.db)
        rows.recover(self.services.db)
        for job_id in rows.pending(self.services.db):
            self.submit(job_id)

    def submit(self, job_id: int) -> None:
        try:
            self.pool.submit(execute, self.services, job_id, self.stopping)
        except RuntimeError:  # shutting down: the row stays queued for the next start
            log.info("job %s stays queued: the server is stopping", job_id)

    async def stop(self) -> None:
        self.stopping.set()
        await asyncio.to_thread(self.pool.shutdown, wait=True, cancel_futures=True)


class Saq:
    """SAQ's queue in Redis at ``url``, with one SAQ worker in this process."""

    name = "saq"

    def __init__(self, services: Services, url: str) -> None:
        from saq import Queue

        self.services = services
        self.stopping = threading.Event()
        # One queue per database: servers sharing a database share its queue, and two
        # deployments (or test runs) on one Redis never take each other's jobs.
        digest = hashlib.sha256(services.settings.database.encode()).hexdigest()[:16]
        self.queue = Queue.from_url(url, name=f"parindex-{digest}")
        self.loop: asyncio.AbstractEventLoop | None = None
        self.worker: Any = None
        self.task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        from saq import Worker

        self.loop = asyncio.get_running_loop()
        await self.queue.connect()
        worker = Worker(
            self.queue,
            [(SAQ_FUNCTION, self._run)],
            concurrency=1,
            # No grace: our job stops at its next progress report (`self.stopping`).
            shutdown_grace_period_s=None,
            # Long enough for the job to reach its next progress report and requeue.
            cancellation_hard_deadline_s=60.0,
        )
        worker.SIGNALS = []  # uvicorn owns SIGINT and SIGTERM and runs our shutdown
        self.worker = worker
        self.task = asyncio.create_task(worker.start())
        rows.prune(self.services.db)
        rows.recover(self.services.db)
        for job_id in rows.pending(self.services.db):
            await self._enqueue(job_id)

    async def _run(self, _ctx: Any, *, job_id: int) -> None:
        # On shutdown SAQ cancels this task and queues the job again at once; the row
        # must be back to `queued` first (the thread sees `stopping` at its next progress
        # report), or a worker taking the retry would find the row still running and
        # drop it. So a cancel waits for the thread, then lets SAQ go on.
        work = asyncio.ensure_future(
            asyncio.to_thread(execute, self.services, job_id, self.stopping)
        )
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            await work
            raise

    async def _enqueue(self, job_id: int) -> None:
        await self.queue.enqueue(
            SAQ_FUNCTION,
            job_id=job_id,
            key=f"parindex-job-{job_id}",  # a job already in the queue is not queued twice
            timeout=SAQ_TIMEOUT,
            retries=SAQ_RETRIES,
        )

    def submit(self, job_id: int) -> None:
        """Queue from a request's thread (never from the event loop's own thread)."""
        assert self.loop is not None, "the queue is not started"
        asyncio.run_coroutine_threadsafe(self._enqueue(job_id), self.loop).result(timeout=30)

    async def stop(self) -> None:
        self.stopping.set()
        if self.worker is not None:
            await self.worker.stop()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)
        await self.queue.disconnect()


def open_queue(services: Services) -> Backend:
    url = services.settings.job_queue
    if url == "inprocess":
        return InProcess(services)
    return Saq(services, url)
