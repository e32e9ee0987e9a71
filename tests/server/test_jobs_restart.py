"""A real `parindex serve` stopped by SIGTERM while a job runs: the job goes back to the
queue having written nothing, and the next start of the server runs it to its end."""

from __future__ import annotations

import signal
import sqlite3
import time

import httpx
import pytest

from tests.server.helpers import PROVINCIAL, running_server, sensitivity_body

pytestmark = pytest.mark.slow  # two `parindex serve` processes, one after the other

PROVINCES = sorted(p.stem for p in (PROVINCIAL / "2022").glob("*.yaml"))


def _job(url: str, headers: dict[str, str], job_id: int) -> dict:
    r = httpx.get(f"{url}/api/jobs/{job_id}", headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def _until(url: str, headers: dict[str, str], job_id: int, ok) -> dict:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = _job(url, headers, job_id)
        if ok(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id}: {job}")


def test_sigterm_requeues_the_running_job_and_the_next_start_finishes_it(tmp_path, template_store):
    body = sensitivity_body(PROVINCES, replications=100_000, spread=0.3)
    with running_server(tmp_path, template_store) as server:
        headers = server.admin_headers()
        r = httpx.post(
            f"{server.url}/api/jobs",
            json={"kind": "sensitivity", "request": body},
            headers=headers,
            timeout=30,
        )
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        _until(server.url, headers, job_id, lambda j: j["progress"]["done"] > 0)
        server.process.send_signal(signal.SIGTERM)
        # Uvicorn shuts down, then raises the signal again for the exit status to say it.
        assert server.process.wait(timeout=60) in (0, -signal.SIGTERM), server.output()
        assert "Application shutdown complete" in server.output()
        assert "queued again" in server.output()
    with sqlite3.connect(server.data_dir / "parindex.db") as db:
        row = db.execute("select status, attempts from jobs where id = ?", (job_id,)).fetchone()
        (analyses,) = db.execute("select count(*) from analyses").fetchone()
    assert row == ("queued", 1) and analyses == 0
    with running_server(tmp_path) as again:
        done = _until(
            again.url,
            headers,
            job_id,
            lambda j: j["status"] != "queued" and j["status"] != "running",
        )
        assert done["status"] == "done" and done["attempts"] == 2, done
        analysis = httpx.get(f"{again.url}{done['result']['href']}", headers=headers, timeout=30)
        assert analysis.status_code == 200
        assert analysis.json()["result"]["replications"] == 100_000
