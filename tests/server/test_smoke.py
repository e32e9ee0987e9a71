"""A real `parindex serve` process on a loopback port, started the way `make run` starts it.

`running_server` (tests/server/helpers.py) starts the CLI in a temporary
data folder on a free port, waits until the API answers and stops it afterwards.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.helpers import PNG, Server, audit_body, metric, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """A first start: no database, no store, no admin yet."""
    with running_server(tmp_path_factory.mktemp("smoke")) as running:
        yield running


@pytest.mark.slow
def test_first_start_prints_the_url_and_creates_the_admin_token(server: Server):
    output = server.output()
    assert server.url in output
    token_file = server.data_dir / "admin-token"
    assert str(token_file) in output
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert re.fullmatch(r"pdx_[0-9a-f]+_\S+", token_file.read_text().strip())
    assert (server.data_dir / "parindex.db").is_file()
    # The database and the evidence are the service user's only.
    assert stat.S_IMODE((server.data_dir / "parindex.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((server.data_dir / "evidence").stat().st_mode) == 0o700
    assert (server.store / "HEAD").is_file()  # created from the bundled catalog


@pytest.mark.slow
def test_every_operation_has_an_explicit_operation_id(server: Server):
    schema = httpx.get(f"{server.url}/schema/openapi.json", timeout=10).json()
    ids = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            op_id = operation.get("operationId")
            # Litestar's generated ids are PascalCase paths ("ApiMethodologiesSlug…"); ours
            # are lowerCamelCase verbs set with `operation_id=`.
            assert op_id and re.fullmatch(r"[a-z][A-Za-z0-9]*", op_id), (method, path, op_id)
            ids.append(op_id)
    assert ids and len(ids) == len(set(ids))
    assert {"getMethodology", "putNode", "createRelease"} <= set(ids)


def test_every_route_handler_declares_its_operation_id():
    from server.app import create_app
    from server.settings import Settings

    app = create_app(Settings(data_dir="unused"))
    missing = [
        (sorted(handler.http_methods), route.path)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if not handler.operation_id
        and handler.resolve_include_in_schema()  # the pages are not part of the API
        and not route.path.startswith("/schema")
        and handler.http_methods != {"OPTIONS"}  # Litestar's own CORS preflight handlers
    ]
    assert not missing
    assert any(r.path == "/api/rankings" for r in app.routes)  # the API's routes were seen


@pytest.mark.slow
def test_a_released_methodology_reads_anonymously(server: Server):
    r = httpx.get(
        f"{server.url}/api/methodologies/par-provincial",
        params={"ref": "par-provincial/2022"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert r.json()["methodology"] == "par-provincial"
    # Over real HTTP too: immutable, and a 304 without a body for its ETag.
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = httpx.get(
        f"{server.url}/api/methodologies/par-provincial",
        params={"ref": "par-provincial/2022"},
        headers={"If-None-Match": r.headers["etag"]},
        timeout=10,
    )
    assert again.status_code == 304 and again.content == b""


@pytest.mark.slow
def test_the_admin_token_reads_the_unreleased_head(server: Server):
    url = f"{server.url}/api/methodologies/par-provincial"
    anonymous = httpx.get(url, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    r = httpx.get(url, headers=server.admin_headers(), timeout=10)
    assert r.status_code == 200, r.text
    assert len(r.json()["commit"]) == 40


@pytest.mark.slow
def test_an_audit_of_inline_submissions(server: Server):
    r = httpx.post(
        f"{server.url}/api/audits",
        json=audit_body(["ha-noi", "hai-phong"]),
        headers=server.admin_headers(),
        timeout=60,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["result"]["summary"]["complete"] == 2
    assert set(created["commits"]) == {"from", "to"}
    chart = httpx.get(
        server.url + created["charts"]["slope"]["png"], headers=server.admin_headers(), timeout=60
    )
    assert chart.status_code == 200, chart.text
    assert chart.headers["content-type"] == "image/png" and chart.content.startswith(PNG)


@pytest.mark.slow
def test_a_second_start_keeps_the_admin(tmp_path: Path, template_store: Path):
    with running_server(tmp_path, template_store) as first:
        token_file = first.data_dir / "admin-token"
        token = token_file.read_text().strip()
    token_file.unlink()
    with running_server(tmp_path) as second:  # the same data folder and database
        assert not token_file.exists()
        assert second.output().count("created the user") == 1  # by the first start only
        r = httpx.get(
            f"{second.url}/api/methodologies/par-provincial",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert r.status_code == 200


@pytest.mark.slow
def test_the_server_answers_probes_and_logs_json_lines_off_a_terminal(server: Server):
    r = httpx.get(f"{server.url}/health", headers={"X-Request-ID": "probe-1"}, timeout=10)
    assert r.status_code == 200 and r.headers["x-request-id"] == "probe-1"
    assert httpx.get(f"{server.url}/ready", timeout=10).json()["ready"] is True
    metrics = httpx.get(f"{server.url}/metrics", timeout=10).text
    health = {"method": "GET", "route": "/health", "status": "200"}
    assert metric(metrics, "parindex_http_requests_total", **health) == 1
    # Its error stream is a file, not a terminal: one JSON object per line.
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    probe = [line for line in lines if line.get("request_id") == "probe-1"]
    assert len(probe) == 1 and probe[0]["route"] == "/health" and probe[0]["status"] == 200
    # uvicorn's own access lines are off: each request is logged once, by parindex.
    assert not any(line["logger"] == "uvicorn.access" for line in lines)
    assert any(line["logger"] == "uvicorn.error" for line in lines)
