"""`/api/jobs` on the in-process queue, on SQLite and PostgreSQL: 202 with `Location`, the
job's progress and result, cancellation that writes nothing, other people's jobs as 404,
bad requests as 422 naming their path, documents and form imports as jobs, and cheap
requests answered while a long job runs."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from sqlmodel import select

from server.models import Analysis, AuditEntry, Job, Submission
from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    PROVINCIAL,
    REF,
    add_units,
    assert_problem,
    audit_body,
    count,
    metric,
    sample,
    sensitivity_body,
)

PROVINCES = sorted(p.stem for p in (PROVINCIAL / "2022").glob("*.yaml"))
LONG = sensitivity_body(PROVINCES, replications=100_000, spread=0.3)  # tens of seconds


def wait(client, headers, job_id: int, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        r = client.get(f"/api/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        if until(r.json()):
            return r.json()
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never got there: {r.json()}")


def finished(job: dict[str, Any]) -> bool:
    return job["status"] in ("done", "failed", "cancelled")


def running(job: dict[str, Any]) -> bool:
    return job["status"] == "running" and job["progress"]["done"] > 0


def start(client, headers, kind: str, request: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/jobs", json={"kind": kind, "request": request}, headers=headers)
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/api/jobs/{job['id']}" == job["href"]
    return job


def test_an_audit_job_answers_202_and_stores_the_analysis_the_endpoint_would(client, make_user):
    auditor = make_user("auditor")
    job = start(client, auditor, "audit", audit_body(PROVINCES[:3]))
    assert job["kind"] == "audit" and job["status"] in ("queued", "running", "done")
    assert job["result"] is None or job["status"] == "done"
    done = wait(client, auditor, job["id"], finished)
    assert done["status"] == "done", done
    assert done["percent"] == 100 and done["attempts"] == 1 and done["error"] is None
    assert done["started_at"] and done["finished_at"] and done["remaining_seconds"] is None
    analysis = client.get(done["result"]["href"], headers=auditor)
    assert analysis.status_code == 200 and analysis.json()["id"] == done["result"]["analysis_id"]
    same = client.post("/api/audits", json=audit_body(PROVINCES[:3]), headers=auditor).json()
    assert analysis.json()["result"] == same["result"]  # the job ran the endpoint's service
    listed = client.get("/api/jobs", headers=auditor).json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]


def test_another_persons_job_is_a_404_and_a_signed_out_caller_a_401(client, make_user):
    auditor, other = make_user("auditor"), make_user("auditor")
    job = start(client, auditor, "audit", audit_body(PROVINCES[:2]))
    for r in (
        client.get(f"/api/jobs/{job['id']}", headers=other),
        client.post(f"/api/jobs/{job['id']}/cancel", headers=other),
        client.get(f"/api/jobs/{job['id']}/file", headers=other),
        client.get("/api/jobs/999999", headers=auditor),
    ):
        assert_problem(r, 404)
    assert client.get("/api/jobs", headers=other).json() == {"jobs": []}
    assert_problem(client.get(f"/api/jobs/{job['id']}"), 401)
    assert_problem(client.post("/api/jobs", json={"kind": "audit", "request": {}}), 401)
    wait(client, auditor, job["id"], finished)


def test_the_underlying_endpoints_permission_is_asked(client, make_user):
    submitter = make_user("unit_submitter", unit_id="so-noi-vu")
    r = client.post("/api/jobs", json={"kind": "sensitivity", "request": LONG}, headers=submitter)
    assert_problem(r, 403)
    r = client.post(
        "/api/jobs",
        json={"kind": "report", "request": {"of": "audit", "format": "docx", "id": 1}},
        headers=submitter,
    )
    assert_problem(r, 403)
    assert count(client, Job) == 0


def test_a_bad_request_is_refused_naming_its_path_and_nothing_is_queued(client, make_user):
    auditor = make_user("auditor")

    def refused(body: dict[str, Any], status: int) -> list[str]:
        r = client.post("/api/jobs", json=body, headers=auditor)
        return [e["path"] for e in assert_problem(r, status)["errors"]]

    bad_run = {**sensitivity_body(PROVINCES[:2]), "replications": 0, "spread": 2}
    assert refused({"kind": "sensitivity", "request": bad_run}, 422) == [
        "$.request.replications",
        "$.request.spread",
    ]
    typo = {**audit_body(PROVINCES[:2]), "cohrt": "x"}
    assert refused({"kind": "audit", "request": typo}, 422) == ["$.request.cohrt"]
    wrong_type = {"methodology": 5, "submissions": []}
    assert refused({"kind": "sensitivity", "request": wrong_type}, 422) == ["$.request.methodology"]
    report = {"of": "evaluation", "format": "docx"}
    assert refused({"kind": "report", "request": report}, 422) == ["$.request.id"]
    form = {"file": "not base64!"}
    assert refused({"kind": "form_import", "request": form}, 422) == ["$.request.file"]
    assert refused({"kind": "lottery", "request": {}}, 400) == ["$.kind"]
    assert refused({"kind": "audit"}, 400) == ["$.request"]
    assert count(client, Job) == 0


def test_a_running_job_cancelled_stops_and_writes_nothing(client, make_user):
    auditor = make_user("auditor")
    job = start(client, auditor, "sensitivity", LONG)
    seen = wait(client, auditor, job["id"], running)
    assert 0 <= seen["percent"] < 100
    text = client.get("/metrics").text
    assert metric(text, "parindex_jobs_queued") == 1
    r = client.post(f"/api/jobs/{job['id']}/cancel", headers=auditor)
    assert r.status_code == 200, r.text
    assert r.json()["cancel_requested"] is True
    over = wait(client, auditor, job["id"], finished)
    assert over["status"] == "cancelled" and over["result"] is None
    assert count(client, Analysis) == 0
    assert [e for e in _entries(client) if e.action == "analysis.run"] == []
    assert_problem(client.post(f"/api/jobs/{job['id']}/cancel", headers=auditor), 409)
    assert metric(client.get("/metrics").text, "parindex_jobs_queued") == 0


def _entries(client) -> list[AuditEntry]:
    from tests.server.helpers import audit

    return audit(client)


def test_a_queued_job_cancelled_never_runs(client, make_user):
    auditor = make_user("auditor")
    first = start(client, auditor, "sensitivity", LONG)
    second = start(client, auditor, "audit", audit_body(PROVINCES[:2]))
    wait(client, auditor, first["id"], running)  # one worker: the second waits behind it
    r = client.post(f"/api/jobs/{second['id']}/cancel", headers=auditor)
    assert r.json()["status"] == "cancelled", r.text
    client.post(f"/api/jobs/{first['id']}/cancel", headers=auditor)
    assert wait(client, auditor, first["id"], finished)["status"] == "cancelled"
    again = client.get(f"/api/jobs/{second['id']}", headers=auditor).json()
    assert again["status"] == "cancelled" and again["attempts"] == 0
    assert count(client, Analysis) == 0


def test_a_cheap_request_answers_at_once_while_a_long_job_runs(client, make_user):
    auditor = make_user("auditor")
    client.get("/api/methodologies")  # its first answer reads the catalog: not measured
    job = start(client, auditor, "sensitivity", LONG)
    wait(client, auditor, job["id"], running)
    took = []
    for _ in range(5):
        started = time.monotonic()
        assert client.get("/health").status_code == 200
        assert client.get("/api/methodologies").status_code == 200
        took.append(time.monotonic() - started)
    still = client.get(f"/api/jobs/{job['id']}", headers=auditor).json()
    assert still["status"] == "running", "the job ended before the requests were timed"
    # Waiting behind the job would take its tens of seconds; a loaded machine, a second.
    assert max(took) < 2.0, took
    client.post(f"/api/jobs/{job['id']}/cancel", headers=auditor)
    wait(client, auditor, job["id"], finished)


def test_a_report_job_makes_the_document_of_a_stored_audit(client, make_user):
    auditor = make_user("auditor")
    stored = client.post("/api/audits", json=audit_body(PROVINCES[:3]), headers=auditor).json()
    request = {"of": "audit", "format": "docx", "id": stored["id"]}
    job = start(client, auditor, "report", request)
    done = wait(client, auditor, job["id"], finished)
    assert done["status"] == "done", done
    r = client.get(f"/api/jobs/{job['id']}/file", headers=auditor)
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert done["result"]["bytes"] == len(r.content)
    sync = client.get(f"/api/audits/{stored['id']}/report.docx", headers=auditor)
    assert r.headers["content-disposition"] == sync.headers["content-disposition"]
    assert r.headers["content-type"] == sync.headers["content-type"]


def test_a_report_job_of_a_missing_analysis_fails_saying_why(client, make_user):
    auditor = make_user("auditor")
    job = start(client, auditor, "report", {"of": "sensitivity", "format": "xlsx", "id": 4242})
    done = wait(client, auditor, job["id"], finished)
    assert done["status"] == "failed" and done["error"] == "no sensitivity 4242", done
    assert_problem(client.get(f"/api/jobs/{job['id']}/file", headers=auditor), 404)


def test_a_form_import_job_makes_the_draft(client, make_user):
    from tests.office.form_helpers import fill

    admin = make_user("admin")
    add_units(client, admin, only={"so-noi-vu"})
    submitter = make_user("unit_submitter", unit_id="so-noi-vu")
    params = {"unit": "so-noi-vu", "period": PERIOD, "ref": REF}
    blank = client.get(f"/api/forms/{METHODOLOGY}", params=params, headers=submitter).content
    data = sample("so-noi-vu")
    documents = {
        node: [
            {"number": f"{i + 1}/BC-SNV", "date": "2023-12-15", "title": d["title"]}
            for i, d in enumerate(entries)
        ]
        for node, entries in (data.get("evidence") or {}).items()
    }
    filled = fill(blank, data, documents=documents)
    request = {"file": base64.b64encode(filled).decode(), "filename": "sở nội vụ.xlsx"}
    job = start(client, submitter, "form_import", request)
    done = wait(client, submitter, job["id"], finished)
    assert done["status"] == "done", done
    r = client.get(done["result"]["href"], headers=submitter)
    assert r.status_code == 200 and r.json()["unit_id"] == "so-noi-vu"
    assert count(client, Submission) == 1
    other = make_user("unit_submitter", unit_id="so-tu-phap")
    refused = wait(client, other, start(client, other, "form_import", request)["id"], finished)
    assert refused["status"] == "failed" and count(client, Submission) == 1


def test_a_job_left_running_by_a_dead_process_is_queued_again_and_old_ones_go(client):
    """What a server does at start (`rows.recover`, `rows.prune`), on the real database."""
    import datetime as dt

    from sqlmodel import Session

    from server.jobs import rows

    engine = client.app.state.services.db
    host = rows.RUNNER.rsplit(":", 1)[0]
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=rows.KEEP_DAYS + 1)
    with Session(engine) as session:
        dead = Job(kind="audit", status="running", attempts=1, runner=f"{host}:{2**22 + 1}")
        alive = Job(kind="audit", status="running", attempts=1, runner=f"{host}:1")  # init
        elsewhere = Job(kind="audit", status="running", attempts=1, runner="other-host:5")
        old = Job(kind="audit", status="done", finished_at=long_ago)
        recent = Job(kind="audit", status="failed", finished_at=dt.datetime.now(dt.UTC))
        session.add_all([dead, alive, elsewhere, old, recent])
        session.commit()
        ids = [j.id for j in (dead, alive, elsewhere, old, recent)]
    assert rows.recover(engine) == [ids[0]]
    rows.prune(engine)
    with Session(engine) as session:
        found = {j.id: (j.status, j.runner) for j in session.exec(select(Job)).all()}
    assert found == {
        ids[0]: ("queued", None),
        ids[1]: ("running", f"{host}:1"),
        ids[2]: ("running", "other-host:5"),
        ids[4]: ("failed", None),
    }
