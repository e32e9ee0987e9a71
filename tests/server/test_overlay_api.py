"""`/api/methodologies/{slug}/overlay`: reading and writing a derived index's overlay."""

from __future__ import annotations

from typing import Any


def _read(client, headers, slug: str = "daklak-so") -> dict[str, Any]:
    r = client.get(f"/api/methodologies/{slug}/overlay", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _head(client) -> str:
    head = client.app.state.services.store.head()
    assert head
    return head


def test_get_returns_the_overlay_and_the_commit_it_was_read_at(client, make_user):
    editor = make_user("province_editor", province="dak-lak")
    data = _read(client, editor)
    assert data["commit"] == _head(client)
    assert data["extends"]["ref"] == "par-provincial/2022"
    removed = [r["id"] for r in data["overlay"]["remove"]]
    assert "doi-thoai-lanh-dao-tinh" in removed
    assert data["overlay"]["override"]["nhiem-vu-duoc-giao"]["max_points"] == 1.5


def test_get_of_a_national_methodology_is_404(client, make_user):
    editor = make_user("ministry_editor")
    r = client.get("/api/methodologies/par-provincial/overlay", headers=editor)
    assert r.status_code == 404, r.text


def test_put_commits_as_the_editor_and_the_tree_follows(client, make_user):
    editor = make_user("province_editor", province="dak-lak", name="Lê Thị Tỉnh")
    data = _read(client, editor)
    overlay = data["overlay"]
    overlay["override"]["nhiem-vu-duoc-giao"]["title"] = "Nhiệm vụ CCHC được giao (đã sửa)"
    r = client.put(
        "/api/methodologies/daklak-so/overlay",
        headers=editor,
        json={"overlay": overlay, "base": data["commit"], "message": "Sửa tên 1.5"},
    )
    assert r.status_code == 200, r.text
    commit = r.json()["commit"]
    assert commit == _head(client) != data["commit"]
    info = client.app.state.services.store.commit_info(commit)
    assert info.author_name == "Lê Thị Tỉnh"
    node = client.get(
        "/api/methodologies/daklak-so/nodes/nhiem-vu-duoc-giao", headers=editor
    ).json()
    assert node["front_matter"]["title"] == "Nhiệm vụ CCHC được giao (đã sửa)"
    assert _read(client, editor)["overlay"] == overlay


def _retitled(overlay: dict[str, Any], node_id: str, title: str) -> dict[str, Any]:
    override = {**overlay["override"], node_id: {**overlay["override"][node_id], "title": title}}
    return {**overlay, "override": override}


def test_stale_base_is_409_naming_the_newer_commit(client, make_user):
    editor = make_user("province_editor", province="dak-lak")
    data = _read(client, editor)
    first = _retitled(data["overlay"], "nhiem-vu-duoc-giao", "Tên thứ nhất")
    r = client.put(
        "/api/methodologies/daklak-so/overlay",
        headers=editor,
        json={"overlay": first, "base": data["commit"]},
    )
    assert r.status_code == 200, r.text
    newer = r.json()["commit"]
    second = _retitled(data["overlay"], "xin-loi-ho-so-tre-han", "Tên thứ hai")
    again = client.put(
        "/api/methodologies/daklak-so/overlay",
        headers=editor,
        json={"overlay": second, "base": data["commit"]},
    )
    assert again.status_code == 409, again.text
    assert again.json()["newer"] == newer
    assert _head(client) == newer


def test_invalid_overlay_is_422_with_paths_and_nothing_committed(client, make_user):
    editor = make_user("province_editor", province="dak-lak")
    data = _read(client, editor)
    bad = {
        **data["overlay"],
        "remove": [*data["overlay"]["remove"], {"id": "khong-co-nut-nay"}],
        "override": {**data["overlay"]["override"], "chi-dao-dieu-hanh": {"colour": "đỏ"}},
    }
    r = client.put(
        "/api/methodologies/daklak-so/overlay",
        headers=editor,
        json={"overlay": bad, "base": data["commit"]},
    )
    assert r.status_code == 422, r.text
    paths = [e["path"] for e in r.json()["errors"]]
    assert "$.overlay.override.chi-dao-dieu-hanh.colour" in paths
    assert _head(client) == data["commit"]

    unknown = {**data["overlay"], "remove": [*data["overlay"]["remove"], {"id": "khong-co"}]}
    r = client.put(
        "/api/methodologies/daklak-so/overlay",
        headers=editor,
        json={"overlay": unknown, "base": data["commit"]},
    )
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(
        e["path"].startswith("$.overlay.remove") and "khong-co" in e["message"] for e in errors
    )
    assert _head(client) == data["commit"]


def test_another_province_editor_is_403_and_nothing_written(client, make_user):
    editor = make_user("province_editor", province="ha-noi")
    data = _read(client, editor)
    r = client.put(
        "/api/methodologies/daklak-so/overlay",
        headers=editor,
        json={"overlay": {"remove": []}, "base": data["commit"]},
    )
    assert r.status_code == 403, r.text
    assert _head(client) == data["commit"]
