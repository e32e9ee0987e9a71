"""`/health`, `/ready`, `/metrics`, request ids and JSON log lines, through the real app
on SQLite and PostgreSQL (a real `parindex serve` writing JSON lines: test_smoke.py)."""

from __future__ import annotations

import json
import logging
import os
import re
import signal

import pytest
from alembic import command

from server.db import alembic_config
from server.observe import JsonFormatter
from tests.server.helpers import (
    METHODOLOGY,
    REF,
    metric,
    post_submission,
    unit_and_submitter,
    user_id_of,
)

ID = re.compile(r"[0-9a-f]{32}")


def evaluate(client, headers, ids, **changes):
    body = {"submissions": ids, "methodology": METHODOLOGY, "ref": REF, **changes}
    return client.post("/api/evaluations", json=body, headers=headers)


def test_health_answers_without_a_token_and_every_answer_carries_a_request_id(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert ID.fullmatch(r.headers["x-request-id"])
    assert client.get("/health").headers["x-request-id"] != r.headers["x-request-id"]
    # A proxy's id is kept; one that could forge a log line or a header is replaced.
    kept = client.get("/health", headers={"X-Request-ID": "lb-7f3a.01:2"})
    assert kept.headers["x-request-id"] == "lb-7f3a.01:2"
    forged = client.get("/health", headers={"X-Request-ID": 'x" ,"level":"error'})
    assert ID.fullmatch(forged.headers["x-request-id"])
    # Errors too, and paths no route has.
    assert ID.fullmatch(client.get("/api/units/khong-co").headers["x-request-id"])
    assert ID.fullmatch(client.get("/khong/co/trang/nay").headers["x-request-id"])


def test_ready_checks_each_part_and_names_the_one_that_is_not(client, settings):
    r = client.get("/ready")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ready"] is True
    checks = body["checks"]
    assert set(checks) == {"database", "migrations", "store"}  # no engine started yet
    assert checks["migrations"]["current"] == checks["migrations"]["head"]
    head = checks["migrations"]["head"]
    # A database one migration behind this code: not ready, and it says so.
    config = alembic_config(settings.database)
    command.stamp(config, "0006")
    try:
        behind = client.get("/ready")
        assert behind.status_code == 503
        assert behind.json()["ready"] is False
        assert behind.json()["checks"]["migrations"] == {
            "ok": False,
            "current": "0006",
            "head": head,
        }
        assert behind.json()["checks"]["database"] == {"ok": True}
    finally:
        command.stamp(config, "head")
    assert client.get("/ready").status_code == 200


def test_metrics_count_requests_by_route_evaluations_and_git_writes(client, make_user):
    admin, submitter = unit_and_submitter(client, make_user)
    for _ in range(3):
        assert client.get("/api/units", headers=admin).status_code == 200
    client.get("/khong/co/trang/nay")
    submission = post_submission(client, submitter, "so-noi-vu")
    assert evaluate(client, admin, [submission["id"]]).status_code == 201
    # One commit, then a second edit from the same (now stale) base: a conflict.
    editor = make_user("ministry_editor")
    base = client.get("/api/methodologies/vi-du", headers=editor).json()["commit"]
    node = client.get("/api/methodologies/vi-du/nodes/ket-qua-ro-rang", headers=editor).json()
    for guidance, status in (("Sửa lần một.", 200), ("Sửa lần hai.", 409)):
        r = client.put(
            "/api/methodologies/vi-du/nodes/ket-qua-ro-rang",
            headers=editor,
            json={"node": {**node["front_matter"], "guidance": guidance}, "base": base},
        )
        assert r.status_code == status, r.text

    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = r.text
    units = {"method": "GET", "route": "/api/units"}
    assert metric(text, "parindex_http_requests_total", **units, status="200") == 3
    assert metric(text, "parindex_http_request_duration_seconds_count", **units) == 3
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert metric(text, "parindex_http_requests_total", **unmatched) == 1
    assert metric(text, "parindex_evaluations_total", engine="compiled") == 1
    assert metric(text, "parindex_git_writes_total", outcome="committed") == 1
    assert metric(text, "parindex_git_writes_total", outcome="conflict") == 1
    assert metric(text, "parindex_jobs_queued") == 0
    # The scrape itself is counted by the next one, not by itself.
    scrape = {"method": "GET", "route": "/metrics", "status": "200"}
    assert metric(text, "parindex_http_requests_total", **scrape) is None


# What it checks does not depend on the database: on SQLite only.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_engine_workers_are_watched_and_a_dead_one_is_counted_when_replaced(client, make_user):
    admin, submitter = unit_and_submitter(client, make_user)
    submission = post_submission(client, submitter, "so-noi-vu")
    assert evaluate(client, admin, [submission["id"]], engine="durable").status_code == 201
    ready = client.get("/ready").json()
    assert ready["checks"]["engine:durable"] == {"ok": True, "size": 1, "alive": 1, "restarts": 0}

    engine = client.app.state.services.engines["durable"]
    (worker,) = engine._pool._workers  # the one process: killed as an OOM killer would
    os.kill(worker.pid, signal.SIGKILL)
    worker.process.join(timeout=10)
    down = client.get("/ready")
    assert down.status_code == 503
    assert down.json()["checks"]["engine:durable"]["alive"] == 0

    assert evaluate(client, admin, [submission["id"]], engine="durable").status_code == 201
    assert client.get("/ready").status_code == 200
    text = client.get("/metrics").text
    assert metric(text, "parindex_engine_worker_restarts_total", engine="durable") == 1
    assert metric(text, "parindex_engine_workers_alive", engine="durable") == 1
    assert metric(text, "parindex_evaluations_total", engine="durable") == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_each_request_is_one_log_line_with_its_id_user_route_and_status(client, make_user, caplog):
    admin = make_user("admin")
    with caplog.at_level(logging.INFO, logger="parindex.request"):
        r = client.get("/api/units", headers={**admin, "X-Request-ID": "req-42"})
    (record,) = [r for r in caplog.records if r.name == "parindex.request"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == r.headers["x-request-id"] == "req-42"
    assert line["user_id"] == user_id_of(client, admin)
    assert (line["method"], line["route"], line["path"], line["status"]) == (
        "GET",
        "/api/units",
        "/api/units",
        200,
    )
    assert line["duration_ms"] >= 0 and line["level"] == "info"
    assert line["message"].startswith("GET /api/units 200 ")


def test_a_traceback_is_one_field_of_one_line():
    logger = logging.getLogger("parindex.test")
    try:
        raise ValueError("hỏng\nở dòng hai")
    except ValueError:
        record = logger.makeRecord(
            "parindex.test", logging.ERROR, __file__, 1, "lỗi %s", ("xử lý",), exc_info=True
        )
        record.exc_info = __import__("sys").exc_info()
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "lỗi xử lý" and line["level"] == "error"
    assert (
        line["traceback"].startswith("Traceback")
        and "ValueError: hỏng\nở dòng hai" in line["traceback"]
    )
    assert "request_id" not in line  # logged outside a request
