"""`/api/jobs` on SAQ over the real Redis at 127.0.0.1:6379 (`job_queue=redis://…`), on
SQLite and PostgreSQL: a job goes through SAQ's queue and worker, is cancelled as on the
in-process queue, and a server's shutdown puts its running job back for the next start.
Skipped when Redis does not answer, a failure under CI=true."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket

import pytest
from litestar.testing import TestClient
from sqlmodel import Session, select

from server.app import create_app
from server.db import make_engine
from server.models import Analysis, Job
from server.settings import Settings
from tests.server.helpers import audit_body, count, sensitivity_body, user_maker
from tests.server.test_jobs_api import LONG, PROVINCES, finished, running, start, wait

REDIS = "redis://127.0.0.1:6379/0"


def _redis_reason() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return None
            return "Redis at 127.0.0.1:6379 did not answer PING"
    except OSError as exc:
        return f"Redis at 127.0.0.1:6379 is not reachable: {exc}"


@pytest.fixture
def saq_settings(settings: Settings) -> Settings:
    reason = _redis_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the SAQ tests may not be skipped)")
        pytest.skip(reason)
    return dataclasses.replace(settings, job_queue=REDIS)


def _saq_job(client: TestClient, job_id: int):
    """The job as SAQ holds it in Redis."""
    backend = client.app.state.services.jobs
    found = asyncio.run_coroutine_threadsafe(
        backend.queue.job(f"parindex-job-{job_id}"), backend.loop
    )
    return found.result(timeout=10)


def test_a_job_runs_through_saqs_queue_and_worker(saq_settings):
    with TestClient(create_app(saq_settings)) as client:
        assert client.app.state.services.jobs.name == "saq"
        auditor = user_maker(client)("auditor")
        job = start(client, auditor, "audit", audit_body(PROVINCES[:3]))
        done = wait(client, auditor, job["id"], finished)
        assert done["status"] == "done" and done["attempts"] == 1, done
        assert client.get(done["result"]["href"], headers=auditor).status_code == 200
        held = _saq_job(client, job["id"])
        assert (
            held is not None and held.status == "complete" and held.kwargs == {"job_id": job["id"]}
        )


@pytest.mark.slow  # a long sensitivity run started, then cancelled
def test_a_running_saq_job_cancelled_writes_nothing(saq_settings):
    with TestClient(create_app(saq_settings)) as client:
        auditor = user_maker(client)("auditor")
        job = start(client, auditor, "sensitivity", LONG)
        wait(client, auditor, job["id"], running)
        client.post(f"/api/jobs/{job['id']}/cancel", headers=auditor)
        over = wait(client, auditor, job["id"], finished)
        assert over["status"] == "cancelled" and count(client, Analysis) == 0


@pytest.mark.slow  # a sensitivity run of 100,000 replications, started twice
def test_a_shutdown_puts_the_running_job_back_and_the_next_start_runs_it(saq_settings):
    body = sensitivity_body(PROVINCES, replications=100_000, spread=0.3)
    with TestClient(create_app(saq_settings)) as client:
        auditor = user_maker(client)("auditor")
        job = start(client, auditor, "sensitivity", body)
        wait(client, auditor, job["id"], running)
    # Between the two servers: queued again, its first start counted, nothing stored.
    engine = make_engine(saq_settings.database)
    try:
        with Session(engine) as session:
            row = session.get(Job, job["id"])
            assert row is not None and (row.status, row.attempts) == ("queued", 1)
            assert session.exec(select(Analysis)).first() is None
    finally:
        engine.dispose()
    with TestClient(create_app(saq_settings)) as client:
        done = wait(client, auditor, job["id"], finished)
        assert done["status"] == "done" and done["attempts"] == 2, done
        assert count(client, Analysis) == 1
