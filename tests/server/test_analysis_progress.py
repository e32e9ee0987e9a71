"""A background analysis (a job of `server.jobs`) tells how far it is: the
percentages the job shows while a real audit and a real sensitivity run work only grow,
pass through values between 0 and 100, and end at 100 with the result stored."""

from __future__ import annotations

import time

import pytest

from server.auth import Principal
from server.jobs import JobView, get_job, start_job
from tests.server.helpers import PROVINCIAL, audit_body, sensitivity_body, user_id_of

PROVINCES = sorted(p.stem for p in (PROVINCIAL / "2022").glob("*.yaml"))


@pytest.fixture
def db_url(tmp_path) -> str:
    """SQLite only: what is measured is the job, not the database."""
    return f"sqlite:///{tmp_path / 'parindex.db'}"


@pytest.fixture
def auditor(client, make_user) -> Principal:
    headers = make_user("auditor")
    return Principal(user_id_of(client, headers), "Kiểm tra viên", "auditor")


def _watch(client, auditor: Principal, started: JobView) -> list[tuple[int, tuple[int, int]]]:
    """(percent, steps) as a page would read them, every 20 ms, until done."""
    services = client.app.state.services
    seen: list[tuple[int, tuple[int, int]]] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        found = get_job(services, auditor, started.id)
        seen.append((found.percent, found.steps))
        if found.finished:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"the job did not finish: {seen[-3:]}")


def _grows_to_100(seen: list[tuple[int, tuple[int, int]]], between: int) -> None:
    """Only growing, through at least ``between`` values strictly between 0 and 100, to
    100 with every step done."""
    percents = [p for p, _ in seen]
    assert percents == sorted(percents), percents
    assert percents[-1] == 100
    assert len({p for p in percents if 0 < p < 100}) >= between, sorted(set(percents))
    done, total = seen[-1][1]
    assert done == total > 0


def test_an_audit_of_20_provinces_moves_from_0_to_100(client, auditor):
    body = audit_body(PROVINCES[:20])
    started = start_job(client.app.state.services, auditor, "audit", body)
    seen = _watch(client, auditor, started)
    final = get_job(client.app.state.services, auditor, started.id)
    assert final.error is None and final.analysis_id is not None
    # The audit proper of 20 provinces takes some tens of milliseconds (its steps are
    # each checked in tests/audit): polls every 20 ms need not see a value in between.
    _grows_to_100(seen, 0)
    assert seen[-1][1] == (100, 100)


def test_an_audit_reports_its_reading_the_audit_and_storing_in_hundredths(client, auditor):
    """Reading and checking the submissions, most of a run's time, moves the bar too."""
    from server.services.analyses import run_audit

    heard: list[tuple[int, int]] = []
    run_audit(
        client.app.state.services,
        auditor,
        audit_body(PROVINCES[:5]),
        progress=lambda done, total: heard.append((done, total)),
    )
    done = [d for d, _ in heard]
    assert {t for _, t in heard} == {100} and done == sorted(done)
    assert done[:3] == [0, 5, 40] and done[-2:] == [90, 100]
    assert len(set(done) - {0, 5, 40, 90, 100}) >= 3  # the audit's own steps between


def test_a_sensitivity_run_moves_from_0_to_100_with_a_time_left(client, auditor):
    body = sensitivity_body(PROVINCES, replications=20_000, spread=0.3)
    services = client.app.state.services
    started = start_job(services, auditor, "sensitivity", body)
    remaining: list[int] = []
    seen: list[tuple[int, tuple[int, int]]] = []
    while not (found := get_job(services, auditor, started.id)).finished:
        seen.append((found.percent, found.steps))
        if (left := found.remaining) is not None:
            remaining.append(left)
        time.sleep(0.02)
    seen.append((found.percent, found.steps))
    assert found.error is None and found.analysis_id is not None
    # What polls every 20 ms catch depends on the machine's speed; every report the run
    # makes is checked below.
    _grows_to_100(seen, 1)
    assert seen[-1][1] == (20_001, 20_001)
    assert remaining and min(remaining) >= 0 and found.remaining is None


def test_a_sensitivity_run_reports_its_replications_in_many_steps(client, auditor):
    from server.services.analyses import run_sensitivity

    heard: list[tuple[int, int]] = []
    run_sensitivity(
        client.app.state.services,
        auditor,
        sensitivity_body(PROVINCES[:10], replications=2_000, spread=0.3),
        progress=lambda done, total: heard.append((done, total)),
    )
    done = [d for d, _ in heard]
    assert done == sorted(done) and {t for _, t in heard} == {2_001}
    assert done[-1] == 2_001 and len({d for d in done if 0 < d < 2_001}) >= 20
