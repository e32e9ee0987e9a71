"""The job rows: every change of a job's state is one guarded UPDATE, so two servers
sharing the database never run the same job twice and a finished job never goes back."""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from server.db import session_scope
from server.models import Job, utcnow

__all__ = [
    "KEEP_DAYS",
    "RUNNER",
    "claim",
    "finish",
    "pending",
    "progress",
    "prune",
    "queue_depth",
    "recover",
    "requeue",
]

# Finished jobs are kept this long: what they made (an analysis, a submission) is kept
# for good; a document they made can be made again.
KEEP_DAYS = 30

# Which process runs a job: a crashed process's jobs are found by it after a restart.
RUNNER = f"{socket.gethostname()}:{os.getpid()}"


def _update(engine: Engine, job_id: int, where: Any, **values: Any) -> bool:
    with session_scope(engine) as session:
        result: Any = session.execute(
            sa.update(Job).where(col(Job.id) == job_id, where).values(**values)
        )
        return bool(result.rowcount == 1)


def claim(engine: Engine, job_id: int) -> Job | None:
    """The job, now running here, when it was queued; else None (taken by another
    worker, cancelled, or already finished)."""
    taken = _update(
        engine,
        job_id,
        sa.and_(col(Job.status) == "queued", col(Job.cancel_requested).is_(False)),
        status="running",
        attempts=col(Job.attempts) + 1,
        started_at=utcnow(),
        runner=RUNNER,
        done=0,
        total=0,
    )
    if not taken:
        return None
    with session_scope(engine) as session:
        return session.get(Job, job_id)


def progress(engine: Engine, job_id: int, done: int, total: int) -> bool:
    """Record how far the job is; whether its owner asked to cancel it."""
    with session_scope(engine) as session:
        session.execute(sa.update(Job).where(col(Job.id) == job_id).values(done=done, total=total))
        asked = session.exec(select(Job.cancel_requested).where(Job.id == job_id)).first()
        return bool(asked)


def finish(engine: Engine, job_id: int, status: str, **values: Any) -> None:
    _update(
        engine,
        job_id,
        col(Job.status) == "running",
        status=status,
        finished_at=utcnow(),
        runner=None,
        **values,
    )


def requeue(engine: Engine, job_id: int) -> None:
    """A running job stopped before its end, having written nothing: queued again (or
    cancelled, if that was asked meanwhile)."""
    with session_scope(engine) as session:
        session.execute(
            sa.update(Job)
            .where(col(Job.id) == job_id, col(Job.status) == "running")
            .values(
                status=sa.case((col(Job.cancel_requested).is_(True), "cancelled"), else_="queued"),
                runner=None,
                started_at=None,
                done=0,
                total=0,
            )
        )


def recover(engine: Engine) -> list[int]:
    """Requeue the jobs left running by a process of this host that is gone (killed
    without its shutdown); the ids requeued."""
    host = RUNNER.rsplit(":", 1)[0]
    with session_scope(engine) as session:
        rows = session.exec(
            select(Job.id, Job.runner).where(
                Job.status == "running", col(Job.runner).startswith(f"{host}:")
            )
        ).all()
    lost = [job_id for job_id, runner in rows if job_id is not None and _gone(str(runner))]
    for job_id in lost:
        requeue(engine, job_id)
    return lost


def _gone(runner: str) -> bool:
    pid = int(runner.rsplit(":", 1)[1])
    if pid == os.getpid():
        return True  # this process has only started: a job marked as its own is a dead one's
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def pending(engine: Engine) -> list[int]:
    """The queued jobs, oldest first."""
    with session_scope(engine) as session:
        ids = session.exec(select(Job.id).where(Job.status == "queued").order_by(col(Job.id))).all()
        return [i for i in ids if i is not None]


def queue_depth(engine: Engine) -> int:
    """Jobs waiting or running, on every server sharing the database."""
    with session_scope(engine) as session:
        return session.exec(
            select(func.count()).select_from(Job).where(col(Job.status).in_(("queued", "running")))
        ).one()


def prune(engine: Engine) -> None:
    """Remove the jobs that finished more than `KEEP_DAYS` days ago."""
    before = utcnow() - dt.timedelta(days=KEEP_DAYS)
    with session_scope(engine) as session:
        session.execute(
            sa.delete(Job).where(
                col(Job.status).in_(("done", "failed", "cancelled")),
                col(Job.finished_at) < before,
            )
        )
