"""Graceful shutdown of a real `parindex serve`: on SIGTERM it stops taking connections,
lets the request in flight finish (here one whose body is still arriving) and exits 0."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.helpers import running_server

pytestmark = pytest.mark.slow  # a `parindex serve` process

NODE = "/api/methodologies/vi-du/nodes/ket-qua-ro-rang"


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(
    tmp_path: Path, template_store: Path
):
    with running_server(tmp_path, template_store) as server:
        headers = server.admin_headers()
        base = httpx.get(f"{server.url}/api/methodologies/vi-du", headers=headers).json()
        node = httpx.get(f"{server.url}{NODE}", headers=headers).json()
        fields = {**node["front_matter"], "guidance": "Sửa trong lúc máy chủ dừng."}
        body = json.dumps({"node": fields, "base": base["commit"]}).encode()
        started, answered = threading.Event(), {}

        def slowly() -> Iterator[bytes]:
            yield body[:10]
            started.set()
            time.sleep(2)  # the server is told to stop meanwhile
            yield body[10:]

        def put() -> None:
            answered["response"] = httpx.put(
                f"{server.url}{NODE}",
                headers={**headers, "Content-Type": "application/json"},
                content=slowly(),
                timeout=30,
            )

        client = threading.Thread(target=put)
        client.start()
        assert started.wait(10)
        time.sleep(0.5)  # the first bytes reached the server: the request is in flight
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(httpx.ConnectError):  # no new connection is taken
            httpx.get(f"{server.url}/health", timeout=5)
        client.join(30)

        r = answered["response"]
        assert r.status_code == 200, r.text
        assert r.json()["node"]["guidance"] == "Sửa trong lúc máy chủ dừng."
        assert server.process.wait(timeout=30) == 0, server.output()
        # The lifespan closed the services after the request, not before.
        log = server.output()
        assert log.index("PUT /api/methodologies") < log.index("Application shutdown complete")
