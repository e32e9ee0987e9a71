"""Twenty editors save the same node from the same base at once, through a real server.

Exactly one wins (200); every other gets 409 naming the newer commit; the store gains
exactly one commit and stays a valid git repository.
"""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import httpx

from tests.server.test_smoke import Server, running_server

EDITORS = 20
NODE_URL = "/api/methodologies/vi-du/nodes/ket-qua-ro-rang"
TIME_LIMIT = 120  # seconds for the whole race, startup excluded


def _git(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "--git-dir", str(store), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _commit_count(store: Path) -> int:
    return int(_git(store, "rev-list", "--all", "--count").stdout.strip())


def test_twenty_parallel_puts_of_one_node_from_one_base(tmp_path: Path, template_store: Path):
    with running_server(tmp_path, template_store) as server:
        _race(server)


def _race(server: Server) -> None:
    headers = server.admin_headers()
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        base = client.get("/api/methodologies/vi-du").json()["commit"]
        node = client.get(NODE_URL).json()
    commits_before = _commit_count(server.store)
    barrier = threading.Barrier(EDITORS, timeout=30)

    def edit(i: int) -> httpx.Response:
        body = {
            "node": {**node["front_matter"], "guidance": f"Đạt yêu cầu: 1 điểm (bản sửa {i})."},
            "base": base,
            "message": f"Sửa hướng dẫn 1.1.3 ({i})",
        }
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            barrier.wait()  # every editor sends at the same moment
            return client.put(NODE_URL, json=body)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=EDITORS) as pool:
        futures = [pool.submit(edit, i) for i in range(EDITORS)]
        responses = [f.result() for f in as_completed(futures, timeout=TIME_LIMIT)]
    assert time.monotonic() - started < TIME_LIMIT

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (EDITORS - 1), [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()["commit"]
    for r in responses:
        if r.status_code == 409:
            body = r.json()
            assert r.headers["content-type"].startswith("application/problem+json")
            assert body["newer"] == winner, body

    assert _commit_count(server.store) == commits_before + 1
    assert _git(server.store, "rev-list", "--count", f"{base}..{winner}").stdout.strip() == "1"
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        assert client.get("/api/methodologies/vi-du").json()["commit"] == winner
    fsck = _git(server.store, "fsck", "--full", "--strict", "--no-dangling")
    assert fsck.returncode == 0 and not fsck.stdout.strip(), fsck.stdout + fsck.stderr
