"""What keeps the server responsive under load: rankings scored by the vectorised path and
reused until their data change (across processes: the revision is in the database),
evaluations that keep no second copy of a result already stored, and expensive work on
its own bounded pool, stopped when its client goes away."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import anyio
import pytest
import yaml
from litestar import Request
from sqlmodel import Session, select

from server.db import make_engine, session_scope
from server.models import Evaluation, Submission, Unit, data_revision
from server.pool import ClientGone, WorkPool, checkpoint
from server.services.evaluations import ranked_cohort, scored_cohort
from server.services.samples import load_samples
from tests.helpers import run_async
from tests.server.helpers import BUNDLED, db

QUERY = {"cohort": "daklak-so", "period": "2023"}


@pytest.fixture(scope="module")
def small_root(tmp_path_factory) -> Path:
    """`methodology/bundled` with only the 2023 set of Đắk Lắk's 18 departments."""
    root = tmp_path_factory.mktemp("samples")
    plan = yaml.safe_load((BUNDLED / "samples.yaml").read_text(encoding="utf-8"))
    plan["sets"] = [
        s
        for s in plan["sets"]
        if s["cohort"] == "daklak-so" and all(p["period"] == 2023 for p in s["periods"])
    ]
    (root / "samples.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    (root / "cohorts").symlink_to(BUNDLED / "cohorts", target_is_directory=True)
    (root / "submissions").symlink_to(BUNDLED / "submissions", target_is_directory=True)
    return root


def test_rankings_are_vectorised_and_reused_until_the_data_change(
    client, make_user, small_root, settings
):
    services = client.app.state.services
    assert load_samples(services, root=small_root) is not None
    reader = make_user("admin")
    first = client.get("/api/rankings", params=QUERY, headers=reader)
    assert first.status_code == 200, first.text
    explained = scored_cohort(services, "daklak-so", "2023", None, None).answer
    now = ranked_cohort(services, "daklak-so", "2023", None, None)
    assert now == explained  # the vectorised answer is the explained one, hash included
    assert first.json()["ranking_hash"] == explained["ranking_hash"]
    again = ranked_cohort(services, "daklak-so", "2023", None, None)
    assert again["units"] is now["units"]  # reused: the data have not changed

    ranked = [u for u in now["units"] if u["rank"] is not None]
    top = ranked[0]["unit"]
    # Another process writes (its own engine): the revision is the database's.
    other = make_engine(settings.database)
    try:
        with Session(other) as session:
            before = data_revision(session)
        with session_scope(other) as session:
            unit = session.get(Unit, top)
            assert unit is not None
            unit.ranked = False
        with Session(other) as session:
            assert data_revision(session) > before
    finally:
        other.dispose()
    changed = ranked_cohort(services, "daklak-so", "2023", None, None)
    assert changed["units"] is not now["units"]
    assert next(u for u in changed["units"] if u["unit"] == top)["rank"] is None
    assert changed["ranking_hash"] != now["ranking_hash"]
    assert changed == scored_cohort(services, "daklak-so", "2023", None, None).answer
    r = client.get("/api/rankings", params=QUERY, headers=reader)
    assert r.json()["ranking_hash"] == changed["ranking_hash"]

    # A read moves nothing; an appraisal's change of a submission does.
    with db(client) as session:
        at = data_revision(session)
    ranked_cohort(services, "daklak-so", "2023", None, None)
    with db(client) as session:
        assert data_revision(session) == at
        row = session.exec(select(Submission).order_by(Submission.id)).first()  # type: ignore[arg-type]
        assert row is not None
        row.facts = {**row.facts}
        session.add(row)
        session.commit()  # unchanged content: no write, no move
        assert data_revision(session) == at
        row.facts = {**row.facts, "_": 1}
        session.add(row)
        session.commit()
        assert data_revision(session) == at + 1


def test_a_second_evaluation_of_the_same_inputs_keeps_no_copy(client, make_user, small_root):
    services = client.app.state.services
    assert load_samples(services, root=small_root) is not None
    admin = make_user("admin")
    with db(client) as session:
        ids = [r.id for r in session.exec(select(Submission)).all()][:2]
    body = {"submissions": ids}
    first = client.post("/api/evaluations", json=body, headers=admin)
    second = client.post("/api/evaluations", json=body, headers=admin)
    assert first.status_code == second.status_code == 201, second.text
    with db(client) as session:
        stored = {e.id: e for e in session.exec(select(Evaluation)).all()}
    for a, b in zip(first.json(), second.json(), strict=True):
        assert a["result_hash"] == b["result_hash"] and a["id"] != b["id"]
        assert stored[a["id"]].result["result_hash"] == a["result_hash"]
        assert stored[b["id"]].result == {}  # the hash is stored; the result is not again
        assert b["result"] == a["result"]
        read = client.get(f"/api/evaluations/{b['id']}", headers=admin)
        assert read.status_code == 200 and read.json() == b

    # Asked for under another ref, the same content is kept once too, with its own ref.
    with db(client) as session:
        row = session.get(Submission, ids[0])
        assert row is not None
        methodology = row.methodology
    commit = first.json()[0]["commit"]
    r = client.post(
        "/api/evaluations",
        json={"submissions": ids[:1], "methodology": methodology, "ref": commit},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    (third,) = r.json()
    assert third["result_hash"] == first.json()[0]["result_hash"]
    read = client.get(f"/api/evaluations/{third['id']}", headers=admin).json()
    assert read["ref"] == read["result"]["ref"] == commit == third["result"]["ref"]


def _request(gone_after: float) -> Request:
    """A request whose client disconnects ``gone_after`` seconds after it is awaited (the
    ASGI server's side, as uvicorn sends it)."""
    sent = {"body": False}

    async def receive():
        if not sent["body"]:
            sent["body"] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep(gone_after)
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    return Request(scope, receive)  # type: ignore[arg-type]


def test_the_pool_bounds_expensive_work_and_stops_it_when_the_client_goes():
    pool = WorkPool(1)
    running: list[int] = []
    most = [0]
    lock = threading.Lock()

    def work(n: int) -> int:
        with lock:
            running.append(n)
            most[0] = max(most[0], len(running))
        time.sleep(0.05)
        with lock:
            running.remove(n)
        return n * 2

    async def three() -> list[int]:
        out: list[int] = []

        async def one(n: int) -> None:
            out.append(await pool.run(_request(60), work, n))

        async with anyio.create_task_group() as group:
            for n in range(3):
                group.start_soon(one, n)
        return sorted(out)

    assert run_async(three) == [0, 2, 4]
    assert most[0] == 1  # one at a time, as sized

    stopped = threading.Event()
    steps = [0]

    def endless() -> None:
        try:
            while True:
                checkpoint()
                steps[0] += 1
                time.sleep(0.01)
        finally:
            stopped.set()

    async def abandoned() -> None:
        with pytest.raises(ClientGone):
            await pool.run(_request(0.2), endless)

    run_async(abandoned)
    assert stopped.wait(5)  # the thread stopped at its next checkpoint
    assert steps[0] > 0
    checkpoint()  # outside the pool: nothing to stop
    with pytest.raises(ValueError, match="EXPENSIVE_WORKERS"):
        WorkPool(0)
