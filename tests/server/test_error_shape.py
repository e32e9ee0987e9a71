"""Every error is RFC 9457 problem details with the same keys, whatever raised it."""

from __future__ import annotations

import pytest

from tests.server.helpers import assert_problem

NODE = "/api/methodologies/vi-du/nodes/ket-qua-ro-rang"


@pytest.fixture
def editor(make_user):
    return make_user("ministry_editor")


def test_400_malformed_json(client, editor):
    r = client.put(
        NODE, headers={**editor, "Content-Type": "application/json"}, content=b'{"node": {'
    )
    assert_problem(r, 400)


def test_400_wrong_type(client, editor):
    r = client.put(NODE, headers=editor, json={"node": "not an object", "base": "x"})
    body = assert_problem(r, 400)
    assert body["errors"][0]["path"] == "$.node"


def test_401_without_a_token(client):
    assert_problem(client.get("/api/methodologies/vi-du"), 401)


def test_401_with_an_unknown_token(client):
    r = client.get("/api/methodologies/vi-du", headers={"Authorization": "Bearer pdx_0000_nothing"})
    assert_problem(r, 401)


def test_403_for_a_role_without_the_right(client, make_user):
    r = client.put(
        NODE, headers=make_user("auditor"), json={"node": {"id": "ket-qua-ro-rang"}, "base": "x"}
    )
    assert_problem(r, 403)


def test_404_unknown_methodology(client, editor):
    assert_problem(client.get("/api/methodologies/khong-co", headers=editor), 404)


def test_404_unknown_route(client):
    assert_problem(client.get("/api/khong-co"), 404)


def test_409_stale_edit_names_the_newer_commit(client, editor):
    base = client.get("/api/methodologies/vi-du", headers=editor).json()["commit"]
    node = client.get(NODE, headers=editor).json()
    first = client.put(
        NODE,
        headers=editor,
        json={"node": {**node["front_matter"], "guidance": "một"}, "base": base},
    )
    assert first.status_code == 200, first.text
    r = client.put(
        NODE,
        headers=editor,
        json={"node": {**node["front_matter"], "guidance": "hai"}, "base": base},
    )
    body = assert_problem(r, 409, extra=frozenset({"newer"}))
    assert body["newer"] == first.json()["commit"]


def test_413_body_larger_than_max_body_bytes(client, editor, settings):
    big = b'{"node": {"guidance": "' + b"x" * settings.max_body_bytes + b'"}, "base": "x"}'
    r = client.put(NODE, headers={**editor, "Content-Type": "application/json"}, content=big)
    body = assert_problem(r, 413, extra=frozenset({"max_bytes"}))
    assert body["max_bytes"] == settings.max_body_bytes
    assert f"{settings.max_body_bytes:,}".replace(",", ".") in body["detail"]


def test_422_lists_every_error_with_its_path(client, editor):
    base = client.get("/api/methodologies/vi-du", headers=editor).json()["commit"]
    node = client.get(NODE, headers=editor).json()
    fields = {**node["front_matter"], "max_points": "nhiều", "code": None}
    r = client.put(NODE, headers=editor, json={"node": fields, "base": base})
    body = assert_problem(r, 422)
    assert body["errors"] and all(e["path"].startswith("$.node") for e in body["errors"])
