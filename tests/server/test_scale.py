"""parindex on several processes and several servers, as docs/deploy.md sets it up.

`parindex serve --workers 2`: a write through one process is seen by the next request,
whichever process answers it — a methodology's new commit, a disabled user — and one
`/metrics` scrape counts the requests both workers answered. Two
`parindex serve` with their own data folders, one bare git remote, one PostgreSQL schema
and one evidence folder: twenty parallel edits from one base spread over both give
exactly one commit on the remote and nineteen 409s; the other server sees a commit
within `PARINDEX_STORE_STALENESS`; evidence uploaded through one downloads through the
other.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.server.helpers import (
    PDF,
    TOKEN,
    Server,
    checkout_env,
    cohort_units,
    draft_body,
    metric,
    running_server,
)

pytestmark = pytest.mark.slow  # real `parindex serve` processes

NODE_URL = "/api/methodologies/vi-du/nodes/ket-qua-ro-rang"
EDITORS = 20
READS = 24  # new connections each: enough that both workers answer some
STALENESS = 1.0
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _edit(url: str, headers: dict[str, str], node: dict, base: str, i: int) -> httpx.Response:
    body = {
        "node": {**node["front_matter"], "guidance": f"Đạt yêu cầu: 1 điểm (bản sửa {i})."},
        "base": base,
        "message": f"Sửa hướng dẫn 1.1.3 ({i})",
    }
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        return client.put(NODE_URL, json=body)


def _fresh_get(url: str, path: str, headers: dict[str, str]) -> httpx.Response:
    """One request on its own connection: the kernel hands it to either worker."""
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        return client.get(path)


def _user_add(data_dir: Path, database_url: str, env: dict[str, str], *args: str) -> str:
    """`parindex user add ...` against the servers' database: the new token."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "server", "user", "add", *args),
            *("--database-url", database_url, "--data-dir", str(data_dir)),
        ],
        capture_output=True,
        text=True,
        env=checkout_env(**env),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = TOKEN.search(done.stdout)
    assert found, done.stdout
    return found.group(0)


# -- one server, two worker processes ------------------------------------------------


def test_two_workers_see_each_others_writes(tmp_path: Path, template_store: Path):
    with running_server(tmp_path, template_store, args=("--workers", "2")) as server:
        admin = server.admin_headers()
        # Requests on new connections until both workers (the pid of their log lines)
        # answered some: one scrape, whichever worker answers it, counts them all.
        before = _answered_health(_fresh_get(server.url, "/metrics", {}).text)
        sent: list[str] = []
        while len(sent) < 3 * READS and len(_pids(server.log, sent)) < 2:
            sent.append(f"spread-{len(sent)}")
            assert _fresh_get(server.url, "/health", {"X-Request-ID": sent[-1]}).is_success
        assert len(_pids(server.log, sent)) == 2, sent
        scraped = _fresh_get(server.url, "/metrics", {}).text
        assert _answered_health(scraped) == before + len(sent)

        base = _fresh_get(server.url, "/api/methodologies/vi-du", admin).json()["commit"]
        node = _fresh_get(server.url, NODE_URL, admin).json()
        edited = _edit(server.url, admin, node, base, 1)
        assert edited.status_code == 200, edited.text
        commit = edited.json()["commit"]
        for _ in range(READS):
            got = _fresh_get(server.url, "/api/methodologies/vi-du", admin).json()
            assert got["commit"] == commit
            guidance = _fresh_get(server.url, NODE_URL, admin).json()["guidance"]
            assert guidance.endswith("(bản sửa 1).")
        # The stale base is refused by whichever worker gets the second edit.
        assert _edit(server.url, admin, node, base, 2).status_code == 409

        editor = _user_add(
            server.data_dir, f"sqlite:///{server.data_dir / 'parindex.db'}", {},
            "bien-tap", "--role", "ministry_editor",
        )  # fmt: skip
        who = {"Authorization": f"Bearer {editor}"}
        assert all(_fresh_get(server.url, NODE_URL, who).status_code == 200 for _ in range(8))
        users = _fresh_get(server.url, "/api/users", admin).json()
        editor_id = next(u["id"] for u in users if u["name"] == "bien-tap")
        with httpx.Client(base_url=server.url, headers=admin, timeout=30) as client:
            disabled = client.patch(f"/api/users/{editor_id}", json={"active": False})
        assert disabled.status_code == 200, disabled.text
        assert [_fresh_get(server.url, NODE_URL, who).status_code for _ in range(READS)] == [
            401
        ] * READS


def _answered_health(scraped: str) -> float:
    labels = {"method": "GET", "route": "/health", "status": "200"}
    return metric(scraped, "parindex_http_requests_total", **labels) or 0


def _pids(log: Path, request_ids: list[str]) -> set[int]:
    """The processes that logged answering ``request_ids`` (each logs once it answered)."""
    wanted, pids = set(request_ids), set()
    for _ in range(50):
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        answered = {
            line["request_id"]: line["pid"] for line in lines if line.get("request_id") in wanted
        }
        pids = set(answered.values())
        if len(answered) == len(wanted):
            break
        time.sleep(0.1)
    return pids


# -- two servers, one remote, one database -------------------------------------------


@pytest.fixture
def shared_schema(postgres_admin: Engine) -> Iterator[str]:
    """A fresh PostgreSQL schema both servers use (skipped without PostgreSQL)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with postgres_admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # any failure to reach it: the skip says which
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432/test is not reachable: {exc}")
    try:
        yield f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    finally:
        with postgres_admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_two_servers_share_a_remote_a_database_and_the_evidence(
    tmp_path: Path, template_store: Path, shared_schema: str
):
    remote = tmp_path / "remote.git"
    shutil.copytree(template_store, remote)  # the bare remote, as GitLab or Gitea keeps it
    shared = {
        "PARINDEX_STORE_REMOTE": str(remote),
        "PARINDEX_STORE_STALENESS": str(STALENESS),
        "PARINDEX_EVIDENCE": str(tmp_path / "evidence"),
        "PARINDEX_TOKEN_KEY_FILE": str(tmp_path / "token-key"),
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        running_server(tmp_path / "a", None, shared_schema, env=shared) as a,
        running_server(tmp_path / "b", None, shared_schema, env=shared) as b,
    ):
        admin = a.admin_headers()  # made by the first start; the second found it
        assert not (b.data_dir / "admin-token").exists()
        before = int(_git(remote, "rev-list", "--count", "main"))
        _race(a, b, admin, remote)
        assert int(_git(remote, "rev-list", "--count", "main")) == before + 1
        _seen_within_the_bound(a, b, admin, remote)
        _evidence_crosses(a, b, admin, shared_schema, shared)


def _race(a: Server, b: Server, admin: dict[str, str], remote: Path) -> None:
    base = _fresh_get(a.url, "/api/methodologies/vi-du", admin).json()["commit"]
    assert _fresh_get(b.url, "/api/methodologies/vi-du", admin).json()["commit"] == base
    node = _fresh_get(a.url, NODE_URL, admin).json()
    barrier = threading.Barrier(EDITORS, timeout=60)

    def edit(i: int) -> httpx.Response:
        barrier.wait()
        return _edit((a, b)[i % 2].url, admin, node, base, i)

    with ThreadPoolExecutor(max_workers=EDITORS) as pool:
        responses = list(pool.map(edit, range(EDITORS)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (EDITORS - 1), [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()["commit"]
    assert _git(remote, "rev-parse", "main") == winner
    for server in (a, b):  # both now read the winner (each looked when it refused)
        got = _fresh_get(server.url, "/api/methodologies/vi-du", admin).json()
        assert got["commit"] == winner


def _seen_within_the_bound(a: Server, b: Server, admin: dict[str, str], remote: Path) -> None:
    """A commit through `a` is read through `b` at most STALENESS (and one fetch) later."""
    b_commit = _fresh_get(b.url, "/api/methodologies/vi-du", admin).json()["commit"]
    node = _fresh_get(a.url, NODE_URL, admin).json()
    edited = _edit(a.url, admin, node, b_commit, 99)
    written = time.monotonic()
    assert edited.status_code == 200, edited.text
    commit = edited.json()["commit"]
    seen = None
    while seen != commit and time.monotonic() - written < STALENESS + 10:
        seen = _fresh_get(b.url, "/api/methodologies/vi-du", admin).json()["commit"]
    assert seen == commit
    # The bound, with a second for one fetch and the requests on a loaded machine.
    assert time.monotonic() - written < STALENESS + 1.0
    assert _git(remote, "rev-parse", "main") == commit


def _evidence_crosses(
    a: Server, b: Server, admin: dict[str, str], database_url: str, shared: dict[str, str]
) -> None:
    unit = next(u for u in cohort_units() if u["id"] == "so-noi-vu")
    body = {
        "id": unit["id"],
        "name": unit["name"],
        "level": "sở",
        "province": "dak-lak",
        "cohorts": ["daklak-so"],
        "methodology": "daklak-so",
    }
    assert httpx.post(f"{b.url}/api/units", json=body, headers=admin).status_code == 201
    token = _user_add(
        a.data_dir, database_url, shared, "nop-ho-so", "--role", "unit_submitter",
        "--unit", "so-noi-vu",
    )  # fmt: skip
    submitter = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=submitter, timeout=60) as client:
        draft = client.post(f"{b.url}/api/submissions", json=draft_body("so-noi-vu"))
        assert draft.status_code == 201, draft.text
        url = f"/api/submissions/{draft.json()['id']}/evidence"
        files = {"file": ("Kế hoạch CCHC.pdf", PDF, "application/pdf")}
        uploaded = client.post(f"{a.url}{url}", files=files)
        assert uploaded.status_code == 201, uploaded.text
        got = client.get(f"{b.url}{url}/{uploaded.json()['id']}")
    assert got.status_code == 200, got.text
    assert got.content == PDF
    stored = Path(shared["PARINDEX_EVIDENCE"]) / uploaded.json()["sha256"][:2]
    assert stored.is_dir()
    assert not (a.data_dir / "evidence").exists()


def test_a_command_on_a_servers_copy_pushes_to_the_remote(tmp_path: Path, template_store: Path):
    """`parindex release` on a server's store, with the servers' settings, releases on
    the remote: the next fetch of the copy would drop a tag made in the copy only."""
    from methodology import Store

    remote = tmp_path / "remote.git"
    shutil.copytree(template_store, remote)
    copy = tmp_path / "store"
    Store.init(copy).close()
    with Store.open(copy, remote=str(remote)) as store:
        store.sync(force=True)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "server", "release", "vi-du", "2099"),
            *("--decision", "VD-01/2099", "--date", "2099-01-02", "--store", str(copy)),
        ],
        capture_output=True,
        text=True,
        env=checkout_env(PARINDEX_STORE_REMOTE=str(remote)),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "vi-du/2099" in _git(remote, "tag", "--list", "vi-du/2099")


def test_servers_starting_at_once_on_an_empty_remote_share_one_history(tmp_path: Path):
    """Each fills the empty remote from the bundled catalog; one push wins, and the other
    server's store becomes the remote's copy."""
    from server.deps import open_store
    from server.settings import Settings

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    barrier = threading.Barrier(2, timeout=60)

    def start(name: str) -> tuple[str | None, list[str]]:
        settings = Settings(data_dir=str(tmp_path / name), store_remote=str(remote))
        barrier.wait()
        with open_store(settings) as store:
            return store.head(), [r.tag for r in store.releases()]

    with ThreadPoolExecutor(max_workers=2) as pool:
        (head_a, tags_a), (head_b, tags_b) = pool.map(start, ["a", "b"])
    assert head_a == head_b == _git(remote, "rev-parse", "main")
    assert tags_a == tags_b and tags_a
    assert sorted(_git(remote, "tag").splitlines()) == sorted(tags_a)
    assert not list(tmp_path.glob("*/.store-seed-*"))  # the staging folders are gone
