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


# -- the typed boundary (issue 11 §5) ----------------------------------------------------

# Every endpoint that reads a JSON body, with the smallest body it accepts the shape of.
JSON_ENDPOINTS: list[tuple[str, str, dict[str, Any]]] = [
    ("PUT", NODE, {"node": {}, "base": "x"}),
    ("POST", "/api/methodologies", {"slug": "moi", "manifest": {}}),
    (
        "POST",
        "/api/methodologies/vi-du/releases",
        {"ref": "x", "name": "x", "decision": "x", "date": "2099-01-01"},
    ),
    ("POST", "/api/methodologies/daklak-so/rebase", {"onto": "x"}),
    ("POST", "/api/units", {"id": "x", "name": "x", "level": "x"}),
    ("POST", "/api/submissions", {"unit_id": "x", "period": "2021", "methodology": "vi-du"}),
    ("PATCH", "/api/submissions/1", {}),
    ("POST", "/api/submissions/1/appraisals", {"key": "x", "reason": "x"}),
    ("POST", "/api/submissions/1/reopen", {"reason": "x"}),
    ("PATCH", "/api/users/1", {"active": True}),
    ("POST", "/api/users/1/tokens", {}),
    ("POST", "/api/surveys", {"methodology": "x", "period": "2021", "scores": []}),
    ("POST", "/api/evaluations", {"submissions": [1]}),
    ("POST", "/api/audits", {"from": "vi-du", "to": "vi-du"}),
    ("POST", "/api/sensitivity", {"methodology": "vi-du"}),
]


@pytest.fixture
def admin(make_user) -> dict[str, str]:
    return make_user("admin")


def _paths(problem: dict[str, Any]) -> list[str]:
    return [e["path"] for e in problem["errors"]]


def test_wrong_types_are_refused_not_converted(guard, editor, base):
    """A dict guidance, a list title, a list release decision were written as their
    Python reprs ("{'a': 1}", "['a']", a tag "['X']")."""
    release = {"ref": base, "name": "2099", "decision": ["X"], "date": "2099-01-01"}
    for method, url, body, path in [
        ("PUT", NODE, {"node": {"guidance": {"a": 1}}, "base": base}, "$.node.guidance"),
        ("PUT", NODE, {"node": {"title": ["a"]}, "base": base}, "$.node.title"),
        ("PUT", NODE, {"node": {"title": "x"}, "base": base, "message": 5}, "$.message"),
        ("PUT", NODE, {"node": {"parent": ["chi-dao-dieu-hanh"]}, "base": base}, "$.node.parent"),
        ("POST", "/api/methodologies/vi-du/releases", release, "$.decision"),
    ]:
        problem = guard.rejected(method, url, status=400, headers=editor, json=body)
        assert path in _paths(problem), problem


def test_wrong_types_in_the_reopen_user_and_token_bodies(guard, admin):
    """These bodies were read as plain dicts (`reopen`) or by handler-local structs; now
    they are the boundary's: strict types, bounded lengths, the path named."""
    for method, url, body, path in [
        ("POST", "/api/submissions/1/reopen", {"reason": ["x"]}, "$.reason"),
        ("POST", "/api/submissions/1/reopen", {"reason": "x" * 2001}, "$.reason"),
        ("POST", "/api/submissions/1/reopen", {"reason": ""}, "$.reason"),
        ("PATCH", "/api/users/1", {"active": "false"}, "$.active"),
        ("POST", "/api/users/1/tokens", {"expires_at": 5}, "$.expires_at"),
    ]:
        problem = guard.rejected(method, url, status=400, headers=admin, json=body)
        assert _paths(problem) == [path], (url, body, problem)
    problem = guard.rejected("POST", "/api/tokens/NOT-HEX/revoke", status=400, headers=admin)
    assert _paths(problem) == ["$.path.prefix"], problem


def test_unknown_fields_are_400_with_their_path_on_every_endpoint(guard, admin):
    for method, url, body in JSON_ENDPOINTS:
        problem = guard.rejected(
            method, url, status=400, headers=admin, json={**body, "mesage": "sửa"}
        )
        assert "$.mesage" in _paths(problem), (url, problem)
    problem = guard.rejected(
        "PUT", NODE, status=400, headers=admin, json={"node": {}, "base": "x", "mesage": "x"}
    )
    assert {"path": "$.mesage", "message": "unknown field (did you mean `message`?)"} in problem[
        "errors"
    ]
    nested = {"node": {"titel": "x"}, "base": "x"}
    problem = guard.rejected("PUT", NODE, status=400, headers=admin, json=nested)
    assert _paths(problem) == ["$.node.titel"]


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_deep_nesting_is_400_anonymously_on_every_endpoint(guard, opening):
    closing = b"]" if opening == b"[" else b"}"
    for levels in (65, 1_000, 100_000):
        deep = opening * levels + b"1" + closing * levels
        for method, url, _ in JSON_ENDPOINTS:
            problem = guard.rejected(
                method,
                url,
                status=400,
                headers={"Content-Type": "application/json"},
                content=deep,
            )
            assert "nests deeper" in problem["detail"], problem


# Ids are INTEGER columns (32 bits on PostgreSQL, where 2147483648 was a 500 too).
TOO_BIG = ["2147483648", "9223372036854775808", "99999999999999999999", "1" + "0" * 40]


def test_ids_beyond_the_id_columns_are_400(guard, admin):
    for big in TOO_BIG:
        for method, url in [
            ("GET", f"/api/submissions/{big}"),
            ("PATCH", f"/api/submissions/{big}"),
            ("POST", f"/api/submissions/{big}/submit"),
            ("POST", f"/api/submissions/{big}/appraisals"),
            ("GET", f"/api/evaluations/{big}"),
            ("GET", f"/api/audits/{big}"),
            ("GET", f"/api/audits/{big}/report.md"),
            ("GET", f"/api/audits/{big}/charts/slope.svg"),
            ("GET", f"/api/sensitivity/{big}"),
            ("GET", f"/api/sensitivity/{big}/charts/ranks.svg"),
            ("POST", f"/api/submissions/{big}/reopen"),
            ("GET", f"/api/submissions/1/evidence/{big}"),
            ("GET", f"/api/submissions/{big}/evidence/1"),
        ]:  # the user routes: tests/server/test_tokens.py
            body = {"appraisals": {"key": "x", "reason": "x"}, "reopen": {"reason": "x"}}.get(
                url.rsplit("/", 1)[-1], {}
            )
            kwargs = {"json": body} if method != "GET" else {}
            problem = guard.rejected(method, url, status=400, headers=admin, **kwargs)
            assert problem["errors"][0]["path"].startswith("$.path."), problem
        problem = guard.rejected(
            "POST", "/api/evaluations", status=400, headers=admin, json={"submissions": [int(big)]}
        )
        assert _paths(problem) == ["$.submissions[0]"]


@pytest.fixture
def survey_setup(client, admin) -> tuple[str, str]:
    """A unit of the provinces cohort, and a survey-assessed node of par-provincial."""
    unit = {"id": "ha-noi", "name": "Hà Nội", "level": "tỉnh", "cohorts": ["provinces"]}
    r = client.post("/api/units", json={**unit, "methodology": "par-provincial"}, headers=admin)
    assert r.status_code == 201, r.text
    tree = client.get("/api/methodologies/par-provincial", headers=admin).json()
    stack, survey = list(tree["nodes"]), []
    while stack:
        node = stack.pop()
        stack += node["children"]
        if node["assessed_by"] == "survey" and not node["children"]:
            survey.append(node["id"])
    return "ha-noi", survey[0]


def test_survey_ids_and_scores_are_checked_at_the_boundary(guard, admin, survey_setup):
    """Lists or objects as ids were 500s; on PostgreSQL a score of 63 significant digits
    or a 250-character ref overflowed their columns (500)."""
    unit, node = survey_setup

    def survey(**score: Any) -> dict[str, Any]:
        entry = {"unit_id": unit, "node_id": node, "score": 1, **score}
        return {"methodology": "par-provincial", "period": "2021", "scores": [entry]}

    for body, path in [
        (survey(unit_id=[unit]), "$.scores[0].unit_id"),
        (survey(unit_id={"id": unit}), "$.scores[0].unit_id"),
        (survey(node_id=[node]), "$.scores[0].node_id"),
        (survey(node_id={"id": node}), "$.scores[0].node_id"),
        (survey(score="1." + "1" * 62), "$.scores[0].score"),
        (survey(score=int("1" * 63)), "$.scores[0].score"),
        ({**survey(), "ref": "r" * 250}, "$.ref"),
    ]:
        problem = guard.rejected("POST", "/api/surveys", status=400, headers=admin, json=body)
        assert _paths(problem) == [path], problem


def test_refs_longer_than_their_columns_are_400(guard, admin, survey_setup):
    long_ref = "r" * 250
    for method, url, kwargs in [
        (
            "POST",
            "/api/submissions",
            {"json": {"unit_id": "ha-noi", "period": "2021", "methodology": "par-provincial"}},
        ),
        ("POST", "/api/evaluations", {"json": {"submissions": [1]}}),
        ("PATCH", "/api/submissions/1", {"json": {}}),
    ]:
        kwargs["json"]["ref"] = long_ref
        problem = guard.rejected(method, url, status=400, headers=admin, **kwargs)
        assert _paths(problem) == ["$.ref"], problem
    problem = guard.rejected(
        "GET", "/api/methodologies/vi-du", status=400, headers=admin, params={"ref": long_ref}
    )
    assert _paths(problem) == ["$.query.ref"], problem


def test_a_non_text_unit_name_in_an_inline_audit_is_422(guard, admin):
    submission = {"unit": "ha-noi", "unit_name": 5, "period": "2021", "values": {}}
    body = {"from": "vi-du@2013", "to": "vi-du@2014", "submissions": [submission]}
    problem = guard.rejected("POST", "/api/audits", headers=admin, json=body)
    assert "$.submissions[0].unit_name" in _paths(problem), problem


def test_an_existing_release_name_is_409(client, editor, base):
    body = {"ref": base, "name": "2099", "decision": "1/QĐ-BNV", "date": "2099-01-01"}
    first = client.post("/api/methodologies/vi-du/releases", headers=editor, json=body)
    assert first.status_code == 201, first.text
    again = client.post("/api/methodologies/vi-du/releases", headers=editor, json=body)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert _paths(again.json()) == ["$.name"]


def test_405_names_the_allowed_methods(client, editor):
    r = client.delete("/api/submissions/1", headers=editor)
    assert r.status_code == 405, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "PATCH"}


def test_nul_characters_are_400_before_they_reach_the_database(guard, admin, survey_setup):
    """PostgreSQL refuses NUL in text: a NUL in a period or a ref was a 500 there."""
    unit, node = survey_setup
    scores = [{"unit_id": unit, "node_id": node, "score": 1}]
    for method, url, kwargs, path in [
        (
            "POST",
            "/api/surveys",
            {"json": {"methodology": "par-provincial", "period": "20\x0021", "scores": scores}},
            "$.period",
        ),
        (
            "POST",
            "/api/evaluations",
            {"json": {"cohort": {"id": "provinces", "period": "\x00"}}},
            "$.cohort.period",
        ),
        ("POST", "/api/evaluations", {"json": {"submissions": [1], "ref": "a\x00"}}, "$.ref"),
        (
            "GET",
            "/api/rankings",
            {"params": {"cohort": "provinces", "period": "2021\x00"}},
            "$.query.period",
        ),
        ("GET", "/api/methodologies/vi-du", {"params": {"ref": "\x00"}}, "$.query.ref"),
    ]:
        problem = guard.rejected(method, url, status=400, headers=admin, **kwargs)
        assert _paths(problem) == [path], problem
