"""Hostile and broken input: always a 4xx with a clear message, and nothing written.

"Nothing written" means: the store's branches and tags are where they were, and no file
appears anywhere in the test's folder outside the store (the database files aside).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NODE = "/api/methodologies/vi-du/nodes/ket-qua-ro-rang"
TIERED = "/api/methodologies/vi-du/nodes/ty-le-dung-han"


def _refs(store: Path) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(store), "for-each-ref", "--format=%(refname) %(objectname)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


def _files(root: Path, store: Path) -> set[Path]:
    return {
        p
        for p in root.rglob("*")
        if store not in p.parents and p != store and not p.name.startswith("parindex.db")
    }


class Guard:
    """Checks that a block of requests writes nothing."""

    def __init__(self, client, settings, root: Path) -> None:
        self.client, self.store, self.root = client, settings.store_path, root

    @contextlib.contextmanager
    def nothing_written(self) -> Iterator[None]:
        head, refs = self.client.app.state.services.store.head(), _refs(self.store)
        files = _files(self.root, self.store)
        yield
        assert self.client.app.state.services.store.head() == head
        assert _refs(self.store) == refs
        assert _files(self.root, self.store) == files

    def rejected(self, method: str, url: str, *, status: int | None = None, **kwargs: Any):
        """Send the request; expect a 4xx problem with a message, and nothing written."""
        with self.nothing_written():
            r = self.client.request(method, url, **kwargs)
        assert 400 <= r.status_code < 500, (method, url, r.status_code, r.text)
        if status is not None:
            assert r.status_code == status, (method, url, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["status"] == r.status_code and body["detail"].strip(), body
        return body


@pytest.fixture
def guard(client, settings, tmp_path: Path) -> Guard:
    return Guard(client, settings, tmp_path)


@pytest.fixture
def editor(make_user) -> dict[str, str]:
    return make_user("ministry_editor")


@pytest.fixture
def base(client, editor) -> str:
    return client.get("/api/methodologies/vi-du", headers=editor).json()["commit"]


def _json(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Content-Type": "application/json"}


MALFORMED = [b'{"node": {', b"not json at all", b'{"node": {}, "base": "x",}', b"\xff\xfe{}"]


def test_malformed_json(guard, editor):
    for content in MALFORMED:
        for method, url in [
            ("PUT", NODE),
            ("POST", "/api/methodologies"),
            ("POST", "/api/methodologies/vi-du/releases"),
            ("POST", "/api/methodologies/daklak-so/rebase"),
        ]:
            guard.rejected(method, url, status=400, headers=_json(editor), content=content)


def test_wrong_types(guard, editor, base):
    cases: list[tuple[str, str, Any, str]] = [
        ("PUT", NODE, {"node": "ket-qua-ro-rang", "base": base}, "$.node"),
        ("PUT", NODE, {"node": ["id", "title"], "base": base}, "$.node"),
        ("PUT", NODE, {"node": 42, "base": base}, "$.node"),
        ("PUT", NODE, {"node": {"title": "x"}}, "$.base"),
        ("PUT", NODE, {"node": {"title": "x"}, "base": 12345}, "$.base"),
        ("PUT", NODE, [{"node": {}}], "$"),
        ("PUT", NODE, "just a string", "$"),
        ("POST", "/api/methodologies", {"slug": "moi", "manifest": "yes"}, "$.manifest"),
        ("POST", "/api/methodologies/vi-du/releases", {"ref": base}, "$"),
        (
            "POST",
            "/api/methodologies/vi-du/releases",
            {"ref": base, "name": "2099", "decision": "1/QĐ", "date": "tomorrow"},
            "$.date",
        ),
    ]
    for method, url, body, path in cases:
        problem = guard.rejected(method, url, status=400, headers=editor, json=body)
        assert problem["errors"], problem
        assert any(e["path"].startswith(path) for e in problem["errors"]), problem


def test_oversize_bodies(guard, editor, base, settings):
    padding = "x" * (settings.max_body_bytes + 1)
    for method, url, body in [
        ("PUT", NODE, {"node": {"guidance": padding}, "base": base}),
        ("POST", "/api/methodologies", {"slug": "moi", "manifest": {"title": padding}}),
        ("POST", "/api/methodologies/vi-du/releases", {"ref": base, "decision": padding}),
    ]:
        guard.rejected(method, url, status=413, headers=editor, json=body)


BAD_NODE_IDS = [
    "..%2F..%2Fetc",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "Ab",
    "a..b",
    "..",
    "%2E%2E",
    "a%2Fb",
    "x%00y",
    "a%5Cb",
]


def test_bad_node_ids(guard, editor, base):
    for node_id in BAD_NODE_IDS:
        url = f"/api/methodologies/vi-du/nodes/{node_id}"
        body = {
            "node": {"title": "Hack", "max_points": 1, "parent": "chi-dao-dieu-hanh"},
            "base": base,
        }
        guard.rejected("PUT", url, headers=editor, json=body)
        guard.rejected("DELETE", url, headers=editor, params={"base": base})


def test_bad_parent_in_a_new_node(guard, editor, base):
    body = {
        "node": {"code": "9", "title": "Hack", "max_points": 1, "parent": "../../etc"},
        "base": base,
    }
    guard.rejected("PUT", "/api/methodologies/vi-du/nodes/moi-hoan-toan", headers=editor, json=body)


BAD_SLUGS_IN_PATHS = ["..%2Fvi-du", "vi..du", "%2E%2E", "Vi-Du", "..%2F..%2Ftmp", "vi-du%00"]
BAD_SLUGS_IN_BODIES = ["../evil", "..", "a/b", "Evil", ".hidden", "", "x" * 200, "a\\b"]


def test_bad_methodology_slugs_in_the_path(guard, editor, base):
    node = {"node": {"title": "x"}, "base": base}
    release = {"ref": base, "name": "2099", "decision": "1/QĐ", "date": "2099-01-01"}
    for slug in BAD_SLUGS_IN_PATHS:
        root = f"/api/methodologies/{slug}"
        guard.rejected("PUT", f"{root}/nodes/ket-qua-ro-rang", headers=editor, json=node)
        guard.rejected("POST", f"{root}/releases", headers=editor, json=release)
        guard.rejected("POST", f"{root}/rebase", headers=editor, json={"onto": "2022"})


def test_bad_methodology_slugs_in_the_body(guard, editor):
    for slug in BAD_SLUGS_IN_BODIES:
        body = {"slug": slug, "manifest": {"title": "Độc", "level": "tỉnh", "scale": 100}}
        problem = guard.rejected(
            "POST", "/api/methodologies", status=400, headers=editor, json=body
        )
        assert problem["errors"][0]["path"] == "$.slug"


def test_bad_release_names(guard, editor, base):
    for name in ["../../evil", "a/b", "Evil", ".."]:
        body = {"ref": base, "name": name, "decision": "1/QĐ", "date": "2099-01-01"}
        guard.rejected("POST", "/api/methodologies/vi-du/releases", headers=editor, json=body)


def test_rule_expressions_never_reach_python(guard, client, editor, base, tmp_path):
    marker = tmp_path / "pwned"
    node = client.get(TIERED, headers=editor).json()["front_matter"]
    attacks = [
        f"__import__('os').system('touch {marker}')",
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "ty_le_dung_han.__class__ >= 1",
        "eval('1') > 0",
        "open('/etc/passwd') == 1",
        "lambda: 1",
        "[x for x in ()]",
    ]
    for attack in attacks:
        fields = {**node, "scoring": {"kind": "tiers", "tiers": [{"when": attack, "points": 4}]}}
        problem = guard.rejected(
            "PUT", TIERED, status=422, headers=editor, json={"node": fields, "base": base}
        )
        assert problem["errors"] and all(e["path"].startswith("$.node") for e in problem["errors"])
        formula = {**node, "scoring": {"kind": "formula", "expression": attack}}
        guard.rejected(
            "PUT", TIERED, status=422, headers=editor, json={"node": formula, "base": base}
        )
    assert not marker.exists()
