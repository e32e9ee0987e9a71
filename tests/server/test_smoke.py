"""A real `parindex serve` process on a loopback port, started the way `make run` starts it.

`running_server` is shared with test_concurrency.py: it starts the CLI in a temporary
data folder on a free port, waits until the API answers and stops it afterwards.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.server.test_analyses_api import PNG, audit_body

STARTUP_SECONDS = 90


@dataclass
class Server:
    url: str
    data_dir: Path
    store: Path
    log: Path
    process: subprocess.Popen

    def admin_headers(self) -> dict[str, str]:
        token = (self.data_dir / "admin-token").read_text().strip()
        return {"Authorization": f"Bearer {token}"}

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(
    tmp_path: Path, store_template: Path | None = None, database_url: str | None = None
) -> Iterator[Server]:
    """`parindex serve` over ``tmp_path/data`` (made, with a copy of ``store_template`` when
    given, unless it exists) and ``database_url`` (default: SQLite in the data folder);
    its output is appended to ``tmp_path/serve.log``."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    store = data_dir / "store"
    if store_template is not None and not store.exists():
        shutil.copytree(store_template, store)
    port = free_port()
    log = tmp_path / "serve.log"
    command = [
        sys.executable,
        "-m",
        "server",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *(["--database-url", database_url] if database_url else []),
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = Server(f"http://127.0.0.1:{port}", data_dir, store, log, process)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"parindex serve exited with {process.returncode}:\n{server.output()}")
            try:
                if httpx.get(f"{server.url}/schema/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"parindex serve did not answer in {STARTUP_SECONDS}s:\n{server.output()}"
                )
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """A first start: no database, no store, no admin yet."""
    with running_server(tmp_path_factory.mktemp("smoke")) as running:
        yield running


def test_first_start_prints_the_url_and_creates_the_admin_token(server: Server):
    output = server.output()
    assert server.url in output
    token_file = server.data_dir / "admin-token"
    assert str(token_file) in output
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert re.fullmatch(r"pdx_[0-9a-f]+_\S+", token_file.read_text().strip())
    assert (server.data_dir / "parindex.db").is_file()
    assert (server.store / "HEAD").is_file()  # created from the bundled catalog


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
        and not route.path.startswith("/schema")
        and handler.http_methods != {"OPTIONS"}  # Litestar's own CORS preflight handlers
    ]
    assert not missing


def test_a_released_methodology_reads_anonymously(server: Server):
    r = httpx.get(
        f"{server.url}/api/methodologies/par-provincial",
        params={"ref": "par-provincial/2022"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert r.json()["methodology"] == "par-provincial"


def test_the_admin_token_reads_the_unreleased_head(server: Server):
    url = f"{server.url}/api/methodologies/par-provincial"
    anonymous = httpx.get(url, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    r = httpx.get(url, headers=server.admin_headers(), timeout=10)
    assert r.status_code == 200, r.text
    assert len(r.json()["commit"]) == 40


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
