"""`/api/methodologies` through the test client, on SQLite and PostgreSQL."""

from __future__ import annotations


def test_released_versions_are_public(client):
    r = client.get("/api/methodologies/par-provincial", params={"ref": "par-provincial/2022"})
    assert r.status_code == 200
    data = r.json()
    assert data["methodology"] == "par-provincial" and len(data["commit"]) == 40
    assert [n["code"] for n in data["nodes"]][:3] == ["1", "2", "3"]


def test_unreleased_head_needs_a_token(client, make_user):
    assert client.get("/api/methodologies/par-provincial").status_code == 401
    headers = make_user("auditor")
    assert client.get("/api/methodologies/par-provincial", headers=headers).status_code == 200


def test_node_with_guidance_html(client):
    r = client.get(
        "/api/methodologies/par-provincial/nodes/ke-hoach-cchc",
        params={"ref": "par-provincial/2022"},
    )
    assert r.status_code == 200
    assert r.json()["guidance_html"].startswith("<p>")


def test_put_node_commits_as_the_user_then_409_on_stale_base(client, make_user):
    editor = make_user("ministry_editor", name="Nguyễn Văn Biên")
    tree = client.get("/api/methodologies/vi-du", headers=editor).json()
    base = tree["commit"]
    node = client.get("/api/methodologies/vi-du/nodes/ket-qua-ro-rang", headers=editor).json()
    fields = {**node["front_matter"], "guidance": "Đạt yêu cầu: 1 điểm (đã sửa)."}
    r = client.put(
        "/api/methodologies/vi-du/nodes/ket-qua-ro-rang",
        headers=editor,
        json={"node": fields, "base": base, "message": "Sửa hướng dẫn 1.1.3"},
    )
    assert r.status_code == 200, r.text
    commit = r.json()["commit"]
    assert r.json()["node"]["guidance"] == "Đạt yêu cầu: 1 điểm (đã sửa)."
    log = client.get(
        "/api/methodologies/vi-du/log", params={"node": "ket-qua-ro-rang"}, headers=editor
    ).json()
    assert log[0]["commit"] == commit and log[0]["author"] == "Nguyễn Văn Biên"
    again = client.put(
        "/api/methodologies/vi-du/nodes/ket-qua-ro-rang",
        headers=editor,
        json={"node": {**fields, "guidance": "khác"}, "base": base},
    )
    assert again.status_code == 409
    assert again.json()["newer"] == commit


def test_put_invalid_node_is_422_with_every_error_and_nothing_written(client, make_user):
    editor = make_user("ministry_editor")
    base = client.get("/api/methodologies/vi-du", headers=editor).json()["commit"]
    node = client.get("/api/methodologies/vi-du/nodes/muc-do-thuc-hien", headers=editor).json()
    fields = {**node["front_matter"], "max_points": 3}
    fields["scoring"] = {"kind": "tiers", "tiers": [{"when": "__import__('os') > 1", "points": 2}]}
    r = client.put(
        "/api/methodologies/vi-du/nodes/muc-do-thuc-hien",
        headers=editor,
        json={"node": fields, "base": base},
    )
    assert r.status_code == 422
    body = r.json()
    assert (
        body["status"] == 422
        and body["errors"]
        and all(e["path"].startswith("$.node") for e in body["errors"])
    )
    assert client.get("/api/methodologies/vi-du", headers=editor).json()["commit"] == base


def test_unit_submitter_may_not_edit(client, make_user):
    submitter = make_user("unit_submitter", unit_id="ha-noi")
    r = client.put(
        "/api/methodologies/vi-du/nodes/ket-qua-ro-rang",
        headers=submitter,
        json={"node": {"id": "ket-qua-ro-rang"}, "base": "x"},
    )
    assert r.status_code == 403
    assert r.json()["title"] == "Forbidden"


def test_diff_endpoint(client, make_user):
    r = client.get(
        "/api/methodologies/par-provincial/diff",
        params={"from": "2019", "to": "2022"},
        headers=make_user("auditor"),
    )
    assert r.status_code == 200
    assert {"from", "to", "changes"} <= set(r.json())


def test_error_shape_is_pinned(client):
    r = client.get("/api/methodologies/khong-co", params={"ref": "main"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert set(r.json()) == {"type", "title", "status", "detail", "instance", "errors"}


def test_anonymous_list_shows_released_versions_only(client, make_user):
    editor = make_user("ministry_editor")
    created = client.post(
        "/api/methodologies",
        headers=editor,
        json={
            "slug": "chua-ban-hanh",
            "manifest": {"title": "Chưa ban hành", "level": "tỉnh", "scale": 100},
        },
    )
    assert created.status_code == 201, created.text
    anonymous = {m["slug"]: m for m in client.get("/api/methodologies").json()}
    signed_in = {m["slug"] for m in client.get("/api/methodologies", headers=editor).json()}
    assert "chua-ban-hanh" in signed_in and "chua-ban-hanh" not in anonymous
    tag = client.get(
        "/api/methodologies/par-provincial", params={"ref": "par-provincial/2022"}
    ).json()["commit"]
    assert anonymous["par-provincial"]["commit"] == tag  # its latest release, not the working head
