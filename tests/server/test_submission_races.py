"""Parallel changes of one submission through a real server, on SQLite and PostgreSQL.

Every change is a compare-and-swap on the revision: with one `If-Match`, exactly one of
twenty wins and nineteen are 409; without it every 200 is a revision of its own, in the
audit log and the final state; a PATCH racing a submit never shares a revision with it.
Each race is run several times, since a lost update only shows when the timing allows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from server.db import make_engine
from server.models import AuditEntry
from server.serve import add_user
from server.settings import Settings
from tests.server.helpers import PDF, Server, draft_body, running_server, sample

pytestmark = pytest.mark.slow  # a real `parindex serve` process per database

WRITERS = 20
ROUNDS = 3
SUBMIT_TRIALS = 8
UNIT = "so-noi-vu"
# Inputs of the sample that a PATCH may set to any small count and stay valid.
COUNTS = ("so_sang_kien_cchc", "so_nhiem_vu_cchc_duoc_giao")


def _race(n: int, send: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    barrier = threading.Barrier(n, timeout=60)

    def one(i: int) -> httpx.Response:
        barrier.wait()  # every writer sends at the same moment
        return send(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _edits(db_url: str, submission_id: int) -> list[AuditEntry]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return list(
                session.exec(
                    select(AuditEntry)
                    .where(AuditEntry.entity == "submission")
                    .where(AuditEntry.entity_id == str(submission_id))
                    .where(col(AuditEntry.action).in_(("submission.edit", "submission.submit")))
                    .order_by(col(AuditEntry.id))
                ).all()
            )
    finally:
        engine.dispose()


class _Setup:
    def __init__(self, server: Server, db_url: str) -> None:
        self.server = server
        self.db_url = db_url
        self.admin = server.admin_headers()
        with httpx.Client(base_url=server.url, headers=self.admin, timeout=60) as client:
            unit = next(u for u in _units() if u["id"] == UNIT)
            r = client.post(
                "/api/units",
                json={
                    "id": UNIT,
                    "name": unit["name"],
                    "level": "sở",
                    "province": "dak-lak",
                    "cohorts": ["daklak-so"],
                    "methodology": "daklak-so",
                },
            )
            assert r.status_code == 201, r.text
        # The server's own settings: the token is keyed with its token key.
        settings = Settings(data_dir=str(server.data_dir), database_url=db_url)
        token = add_user(settings, "Người nộp sở nội vụ", "unit_submitter", unit_id=UNIT).token
        self.submitter = {"Authorization": f"Bearer {token}"}
        self.get("/api/units")  # the token works before the races start

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, headers=self.submitter, timeout=120)

    def get(self, url: str) -> dict[str, Any]:
        with self.client() as client:
            r = client.get(url)
            assert r.status_code == 200, r.text
            return r.json()

    def draft(self, period: str) -> dict[str, Any]:
        with self.client() as client:
            r = client.post("/api/submissions", json=draft_body(UNIT, period=period))
            assert r.status_code == 201, r.text
            return r.json()


def _units() -> list[dict[str, Any]]:
    from tests.server.helpers import cohort_units

    return cohort_units("daklak-so")


def test_parallel_changes_of_one_submission(tmp_path: Path, template_store: Path, db_url: str):
    with running_server(tmp_path, template_store, db_url) as server:
        setup = _Setup(server, db_url)
        for round_ in range(ROUNDS):
            _same_if_match(setup, f"im-{round_}")
            _without_if_match(setup, f"free-{round_}")
        for trial in range(SUBMIT_TRIALS):
            _patch_racing_submit(setup, f"submit-{trial}")
        for trial in range(SUBMIT_TRIALS):
            _evidence_racing_submit(setup, f"evidence-{trial}")
        _parallel_creates(setup, "create")


def _evidence_racing_submit(setup: _Setup, period: str) -> None:
    """Evidence lands before the submit, or is refused: never on a submitted one."""
    created = setup.draft(period)
    url = f"/api/submissions/{created['id']}"

    def send(i: int) -> httpx.Response:
        with setup.client() as client:
            if i == 0:
                files = {"file": ("ke-hoach.pdf", PDF, "application/pdf")}
                return client.post(f"{url}/evidence", files=files)
            return client.post(f"{url}/submit")

    uploaded, submitted = _race(2, send)
    assert submitted.status_code == 200, submitted.text
    assert uploaded.status_code in (201, 409), uploaded.text
    final = setup.get(url)
    assert len(final["evidence"]) == (uploaded.status_code == 201)
    engine = make_engine(setup.db_url)
    try:
        with Session(engine) as session:
            actions = [
                e.action
                for e in session.exec(
                    select(AuditEntry)
                    .where(col(AuditEntry.action).in_(("submission.evidence", "submission.submit")))
                    .order_by(col(AuditEntry.id))
                ).all()
                if (e.action == "submission.submit" and e.entity_id == str(created["id"]))
                or (e.action == "submission.evidence" and e.after["submission_id"] == created["id"])
            ]
    finally:
        engine.dispose()
    expected = ["submission.evidence"] if uploaded.status_code == 201 else []
    assert actions == [*expected, "submission.submit"]


def _parallel_creates(setup: _Setup, period: str) -> None:
    """One submission of record: of twenty creates for one period, one is 201."""

    def send(i: int) -> httpx.Response:
        with setup.client() as client:
            return client.post("/api/submissions", json=draft_body(UNIT, period=period))

    responses = _race(WRITERS, send)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (WRITERS - 1), [r.text for r in responses]
    created = next(r for r in responses if r.status_code == 201).json()["id"]
    assert all(r.json()["existing"] == created for r in responses if r.status_code == 409)


def _same_if_match(setup: _Setup, period: str) -> None:
    created = setup.draft(period)
    url = f"/api/submissions/{created['id']}"

    def send(i: int) -> httpx.Response:
        with setup.client() as client:
            return client.patch(url, json={"values": {COUNTS[0]: i}}, headers={"If-Match": '"1"'})

    responses = _race(WRITERS, send)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (WRITERS - 1), [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    for r in responses:
        if r.status_code == 409:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["revision"] == 2, r.text
    stored = setup.get(url)
    assert stored["revision"] == 2 and stored["values"] == winner["values"]
    assert len(_edits(setup.db_url, created["id"])) == 1


def _without_if_match(setup: _Setup, period: str) -> None:
    created = setup.draft(period)
    url = f"/api/submissions/{created['id']}"
    wanted = {i: (COUNTS[i % 2], 300 + i) for i in range(WRITERS)}

    def send(i: int) -> httpx.Response:
        key, value = wanted[i]
        with setup.client() as client:
            return client.patch(url, json={"values": {key: value}})

    responses = _race(WRITERS, send)
    assert [r.status_code for r in responses] == [200] * WRITERS, [r.text for r in responses]
    # Each acknowledged write is a revision of its own, holding what it wrote...
    revisions = sorted(r.json()["revision"] for r in responses)
    assert revisions == list(range(2, WRITERS + 2))
    for i, r in enumerate(responses):
        key, value = wanted[i]
        assert r.json()["values"][key] == value
    # ... and is in the history: one audit entry per revision, each from the one before.
    edits = _edits(setup.db_url, created["id"])
    assert [(e.before["revision"], e.after["revision"]) for e in edits] == [
        (n, n + 1) for n in range(1, WRITERS + 1)
    ]
    by_revision = {e.after["revision"]: e.after["values"] for e in edits}
    for r in responses:
        assert by_revision[r.json()["revision"]] == r.json()["values"]
    final = setup.get(url)
    assert final["revision"] == WRITERS + 1
    assert final["values"] == edits[-1].after["values"]


def _patch_racing_submit(setup: _Setup, period: str) -> None:
    created = setup.draft(period)
    url = f"/api/submissions/{created['id']}"
    value = sample(UNIT)["values"][COUNTS[0]] + 1

    def send(i: int) -> httpx.Response:
        with setup.client() as client:
            if i == 0:
                return client.patch(url, json={"values": {COUNTS[0]: value}})
            return client.post(f"{url}/submit")

    patched, submitted = _race(2, send)
    assert submitted.status_code == 200, submitted.text
    final = setup.get(url)
    assert final["status"] == "submitted"
    edits = _edits(setup.db_url, created["id"])
    if patched.status_code == 200:  # the edit landed first, and the submit took it
        assert patched.json()["revision"] == 2
        assert submitted.json()["revision"] == 3
        assert final["values"][COUNTS[0]] == value
        assert [e.action for e in edits] == ["submission.edit", "submission.submit"]
        assert edits[1].before["values"][COUNTS[0]] == value
    else:  # the submit landed first: the late edit is refused, not written
        assert patched.status_code == 409, patched.text
        assert submitted.json()["revision"] == 2
        assert final["values"][COUNTS[0]] == value - 1
        assert [e.action for e in edits] == ["submission.submit"]
    assert final["revision"] == submitted.json()["revision"]
