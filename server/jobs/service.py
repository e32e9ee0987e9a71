"""Jobs as people ask for them: start one, see how far it is, list one's own, cancel one,
fetch the document one made. A job is its owner's: another person's is a 404, as if it
did not exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import col, select

from server.auth import Principal, require
from server.db import session_scope
from server.deps import Services
from server.errors import Conflict, NotFound
from server.jobs import kinds
from server.models import Job, utcnow

__all__ = ["JobView", "cancel_job", "get_job", "job_file", "list_jobs", "start_job"]

FINISHED = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class JobView:
    """A job as its row says, with what a page or the API shows of it."""

    id: int
    kind: str
    status: str
    steps: tuple[int, int]
    attempts: int
    cancel_requested: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result: dict[str, Any] | None
    error: str | None
    problems: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, row: Job) -> JobView:
        assert row.id is not None
        return cls(
            row.id,
            row.kind,
            row.status,
            (row.done, row.total),
            row.attempts,
            row.cancel_requested,
            _utc(row.created_at),
            _utc(row.started_at) if row.started_at else None,
            _utc(row.finished_at) if row.finished_at else None,
            row.result,
            row.error,
            list(row.problems or []),
        )

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def analysis_id(self) -> int | None:
        return (self.result or {}).get("analysis_id") if self.status == "done" else None

    @property
    def percent(self) -> int:
        """Whole percent of the steps done (rounded down, so 100 means every step); 100
        once done."""
        if self.status == "done":
            return 100
        done, total = self.steps
        return 100 * done // total if total else 0

    @property
    def remaining(self) -> int | None:
        """Seconds still to go at the pace of the steps so far; None before the first
        step is done and once the job has finished."""
        done, total = self.steps
        if self.finished or done == 0 or self.started_at is None:
            return None
        elapsed = (utcnow() - self.started_at).total_seconds()
        return max(0, round(elapsed * (total - done) / done))

    @property
    def seconds(self) -> int:
        """Seconds since it was asked for, until it finished."""
        return int(((self.finished_at or utcnow()) - self.created_at).total_seconds())

    def to_json(self) -> dict[str, Any]:
        done, total = self.steps
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "percent": self.percent,
            "progress": {"done": done, "total": total},
            "remaining_seconds": self.remaining,
            "attempts": self.attempts,
            "cancel_requested": self.cancel_requested,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "result": self.result,
            "error": self.error,
            "errors": self.problems,
            "href": f"/api/jobs/{self.id}",
        }


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def start_job(
    services: Services, principal: Principal, kind: str, request: dict[str, Any]
) -> JobView:
    """Check ``request`` as the kind's endpoint would (422 under `$.request`), store the
    job queued, and hand it to the queue; the work starts later, in a worker."""
    if principal.anonymous:
        require(principal, f"{kind}.run")  # 401
    checked = kinds.check(services, principal, kind, request)
    with session_scope(services.db) as session:
        row = Job(kind=kind, owner=principal.id, request=checked)
        session.add(row)
        session.flush()
        view = JobView.of(row)
    services.jobs.submit(view.id)
    return view


def _own(services: Services, principal: Principal, job_id: int, *, output: bool = False) -> Job:
    if principal.anonymous:
        require(principal, "job.read")  # 401
    # A document's bytes are read only to be sent.
    skip = [] if output else [defer(cast(Any, Job.output))]
    with session_scope(services.db) as session:
        row = session.exec(select(Job).where(Job.id == job_id).options(*skip)).first()
    if row is None or row.owner != principal.id:
        raise NotFound(f"no job {job_id}")
    return row


def get_job(services: Services, principal: Principal, job_id: int) -> JobView:
    return JobView.of(_own(services, principal, job_id))


def list_jobs(services: Services, principal: Principal, limit: int = 50) -> list[JobView]:
    """The caller's latest jobs, newest first."""
    if principal.anonymous:
        require(principal, "job.read")
    with session_scope(services.db) as session:
        found = session.exec(
            select(Job)
            .where(Job.owner == principal.id)
            .options(defer(cast(Any, Job.output)))
            .order_by(col(Job.id).desc())
            .limit(limit)
        ).all()
        return [JobView.of(r) for r in found]


def cancel_job(services: Services, principal: Principal, job_id: int) -> JobView:
    """A queued job is cancelled at once; a running one stops at its next progress report
    (`cancel_requested` until then) and writes nothing. A finished job is a 409."""
    row = _own(services, principal, job_id)
    if row.status in FINISHED:
        raise Conflict(f"job {job_id} has already finished ({row.status})")
    with session_scope(services.db) as session:
        session.execute(
            sa.update(Job)
            .where(col(Job.id) == job_id, col(Job.status).in_(("queued", "running")))
            .values(cancel_requested=True)
        )
        session.execute(
            sa.update(Job)
            .where(col(Job.id) == job_id, col(Job.status) == "queued")
            .values(status="cancelled", finished_at=utcnow())
        )
    return get_job(services, principal, job_id)


def job_file(services: Services, principal: Principal, job_id: int) -> tuple[bytes, str, str]:
    """The document a report job made: (bytes, file name, media type)."""
    row = _own(services, principal, job_id, output=True)
    if row.status != "done" or row.output is None or row.result is None:
        raise NotFound(f"job {job_id} has no file" + ("" if row.status in FINISHED else " yet"))
    return row.output, str(row.result["filename"]), str(row.result["media_type"])
