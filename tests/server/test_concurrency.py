"""Editors racing through a real server.

Twenty editors save the same node from the same base at once: exactly one wins (200);
every other gets 409 naming the newer commit; the store gains exactly one commit and
stays a valid git repository. Two editors change different nodes in ways that are
valid alone but not together: the second is refused and the methodology stays valid.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import httpx
import pytest

from methodology import Store, open_methodology
from methodology.store import STALE_REF_LOCK_SECONDS
from methodology.validate import validate
from tests.server.helpers import Server, running_server

pytestmark = pytest.mark.slow  # real `parindex serve` processes

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


# -- write skew: edits valid alone, invalid together -----------------------------------

CODE_PAIR = ("ban-hanh-ke-hoach", "muc-do-thuc-hien")
ROUNDS = 3


def _valid_head(store: Path) -> bool:
    with Store.open(store) as opened:
        return validate(open_methodology(opened, "vi-du")).ok


def _code_edit(client: httpx.Client, node_id: str, code: str, base: str) -> dict:
    node = client.get(f"/api/methodologies/vi-du/nodes/{node_id}", params={"ref": base}).json()
    return {
        "node": {**node["front_matter"], "code": code, "guidance": node["guidance"]},
        "base": base,
        "message": f"Đổi mã {node_id} thành {code}",
    }


def test_two_nodes_given_one_code_from_one_base(tmp_path: Path, template_store: Path):
    """Each edit is valid on the base; together two nodes share a code. The second is
    refused with 409 naming what changed, sequentially and in parallel."""
    with running_server(tmp_path, template_store) as server:
        headers = server.admin_headers()
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            base = client.get("/api/methodologies/vi-du").json()["commit"]
            first, second = (_code_edit(client, n, "1.1.9", base) for n in CODE_PAIR)
            won = client.put(f"/api/methodologies/vi-du/nodes/{CODE_PAIR[0]}", json=first)
            assert won.status_code == 200, won.text
            lost = client.put(f"/api/methodologies/vi-du/nodes/{CODE_PAIR[1]}", json=second)
            _assert_refused(lost, won.json()["commit"], CODE_PAIR[0])
            assert _valid_head(server.store)

            for round_ in range(ROUNDS):
                code = f"1.1.{7 - round_}"
                base = client.get("/api/methodologies/vi-du").json()["commit"]
                bodies = [_code_edit(client, n, code, base) for n in CODE_PAIR]
                barrier = threading.Barrier(2, timeout=30)

                def put(i: int, bodies=bodies, barrier=barrier) -> httpx.Response:
                    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as c:
                        barrier.wait()
                        return c.put(
                            f"/api/methodologies/vi-du/nodes/{CODE_PAIR[i]}", json=bodies[i]
                        )

                with ThreadPoolExecutor(max_workers=2) as pool:
                    responses = list(pool.map(put, range(2)))
                assert sorted(r.status_code for r in responses) == [200, 409], [
                    r.text for r in responses
                ]
                winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
                _assert_refused(
                    responses[1 - winner], responses[winner].json()["commit"], CODE_PAIR[winner]
                )
                assert _valid_head(server.store)
                head = client.get("/api/methodologies/vi-du").json()["commit"]
                assert head == responses[winner].json()["commit"]


def _assert_refused(response: httpx.Response, newer: str, changed_node: str) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["newer"] == newer
    assert any(changed_node in e["path"] for e in body["errors"]), body
    assert any("is also used by" in e["message"] for e in body["errors"]), body


def test_a_leftover_ref_lock_does_not_block_edits_forever(tmp_path: Path, template_store: Path):
    """A `refs/heads/main.lock` left by a writer killed mid-update: the next edit clears
    it (and the server log says so) instead of answering "retry" forever."""
    with running_server(tmp_path, template_store) as server:
        headers = server.admin_headers()
        branch = _git(server.store, "symbolic-ref", "--short", "HEAD").stdout.strip()
        lock = server.store / "refs" / "heads" / f"{branch}.lock"
        lock.write_text(_git(server.store, "rev-parse", branch).stdout)
        old = time.time() - STALE_REF_LOCK_SECONDS - 60
        os.utime(lock, (old, old))
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            base = client.get("/api/methodologies/vi-du").json()["commit"]
            node = client.get(NODE_URL).json()
            body = {
                "node": {**node["front_matter"], "guidance": "Đạt yêu cầu: 1 điểm (sau sự cố)."},
                "base": base,
                "message": "Sửa sau khi một tiến trình ghi bị dừng",
            }
            r = client.put(NODE_URL, json=body)
            assert r.status_code == 200, r.text
        assert not lock.exists()
        assert _git(server.store, "rev-parse", branch).stdout.strip() == r.json()["commit"]
        assert f"removed the stale lock {lock}" in server.output()
