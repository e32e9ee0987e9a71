"""Evidence and giải trình required before submit, evidence files with their document,
and contributors filling the criteria assigned to them, on SQLite and PostgreSQL
through the real app: every refusal names its JSON path in Vietnamese and writes
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from server.models import Assignment, AuditEntry, Evidence, Submission, User
from tests.server.helpers import (
    PDF,
    REF,
    add_units,
    audit,
    count,
    db,
    db_args,
    draft_body,
    parindex,
)

UNIT, LAW, IT = "so-noi-vu", "so-tu-phap", "so-thong-tin-va-truyen-thong"
FIELD_2 = "xay-dung-thuc-hien-vbqppl"  # Sở Tư pháp's field
PLAN = "ban-hanh-ke-hoach-cchc"  # 1.1.1, field 1: requires evidence
NA_NODE = "chat-luong-du-thao"  # 2.1.2: a giải trình when "không phát sinh"


def _tree(client, headers) -> dict[str, dict[str, Any]]:
    r = client.get(f"/api/methodologies/daklak-so?ref={REF}", headers=headers)
    assert r.status_code == 200, r.text
    nodes: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], parent: str | None) -> None:
        nodes[node["id"]] = {**node, "parent": parent}
        for child in node["children"]:
            walk(child, node["id"])

    for root in r.json()["nodes"]:
        walk(root, None)
    return nodes


def _under(nodes: dict[str, dict[str, Any]], node: str, top: str) -> bool:
    while node is not None:
        if node == top:
            return True
        node = nodes[node]["parent"]
    return False


def _people(client, make_user):
    admin = make_user("admin")
    add_units(client, admin, only={UNIT, LAW, IT})
    return {
        "admin": admin,
        "focal": make_user("unit_submitter", unit_id=UNIT),
        "law": make_user("unit_submitter", unit_id=LAW),
        "it": make_user("unit_submitter", unit_id=IT),
    }


def _draft(client, headers, **changes: Any) -> dict[str, Any]:
    r = client.post("/api/submissions", json=draft_body(UNIT, **changes), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _unchanged(client, submission_id: int, revision: int) -> None:
    with db(client) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and row.status == "draft" and row.revision == revision


def test_submit_lists_every_node_missing_evidence_until_each_is_given(client, make_user):
    people = _people(client, make_user)
    focal = people["focal"]
    nodes = _tree(client, focal)
    draft = _draft(client, focal, documents={})
    claimed = set(draft["not_applicable"])
    required = {
        n for n, node in nodes.items() if node["requires"].get("evidence") and n not in claimed
    }
    assert PLAN in required and len(required) >= 5
    entries = count(client, AuditEntry)
    r = client.post(f"/api/submissions/{draft['id']}/submit", headers=focal)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert "thiếu minh chứng hoặc giải trình" in problem["detail"]
    paths = {e["path"] for e in problem["errors"]}
    assert paths == {f"$.documents.{n}" for n in required}
    plan = next(e for e in problem["errors"] if e["path"] == f"$.documents.{PLAN}")
    assert plan["message"].startswith("1.1.1 Ban hành kế hoạch CCHC năm: chưa có minh chứng")
    _unchanged(client, draft["id"], draft["revision"])
    assert count(client, AuditEntry) == entries

    # A file, a named document and a giải trình each settle their node; a document with
    # only a date or an issuer names nothing.
    rest = sorted(required - {PLAN})
    url = f"/api/submissions/{draft['id']}/evidence"
    up = client.post(
        url,
        files={"file": ("ke-hoach.pdf", PDF, "application/pdf")},
        data={"node_id": PLAN},
        headers=focal,
    )
    assert up.status_code == 201, up.text
    documents = {rest[0]: [{"explanation": "Năm 2023 không ban hành văn bản nào"}]}
    documents |= {n: [{"number": "12/BC-SNV", "title": "Báo cáo"}] for n in rest[1:-1]}
    documents[rest[-1]] = [{"issuer": "UBND tỉnh", "date": "2023-01-20"}]
    r = client.patch(
        f"/api/submissions/{draft['id']}", json={"documents": documents}, headers=focal
    )
    assert r.status_code == 200, r.text
    r = client.post(f"/api/submissions/{draft['id']}/submit", headers=focal)
    assert r.status_code == 422
    assert [e["path"] for e in r.json()["errors"]] == [f"$.documents.{rest[-1]}"]
    r = client.patch(
        f"/api/submissions/{draft['id']}",
        json={"documents": {rest[-1]: [{"title": "Kế hoạch kiểm tra"}]}},
        headers=focal,
    )
    assert client.post(f"/api/submissions/{draft['id']}/submit", headers=focal).status_code == 200


def test_khong_phat_sinh_needs_its_explanation(client, make_user):
    people = _people(client, make_user)
    focal = people["focal"]
    claims = draft_body(UNIT)["not_applicable"]
    assert NA_NODE not in claims
    draft = _draft(client, focal, not_applicable={**claims, NA_NODE: "  "})
    r = client.post(f"/api/submissions/{draft['id']}/submit", headers=focal)
    assert r.status_code == 422, r.text
    errors = {e["path"]: e["message"] for e in r.json()["errors"]}
    assert errors == {
        f"$.not_applicable.{NA_NODE}": "2.1.2 Dự thảo không bị trả lại do không bảo đảm quy "
        "trình, chất lượng: kê khai không phát sinh nhưng chưa giải trình vì sao"
    }
    why = "Năm 2023 sở không chủ trì soạn thảo văn bản quy phạm pháp luật nào"
    r = client.patch(
        f"/api/submissions/{draft['id']}", json={"not_applicable": {NA_NODE: why}}, headers=focal
    )
    assert r.status_code == 200
    assert client.post(f"/api/submissions/{draft['id']}/submit", headers=focal).status_code == 200


def test_an_upload_carries_the_document_it_is(client, make_user):
    people = _people(client, make_user)
    focal = people["focal"]
    draft = _draft(client, focal)
    url = f"/api/submissions/{draft['id']}/evidence"
    document = {
        "node_id": PLAN,
        "number": "15/KH-UBND",
        "date": "20/01/2023",
        "title": "Kế hoạch cải cách hành chính năm 2023",
        "issuer": "UBND tỉnh Đắk Lắk",
    }
    r = client.post(
        url, files={"file": ("kh.pdf", PDF, "application/pdf")}, data=document, headers=focal
    )
    assert r.status_code == 201, r.text
    assert {k: r.json()[k] for k in ("number", "date", "title", "issuer")} == {
        **{k: document[k] for k in ("number", "title", "issuer")},
        "date": "2023-01-20",
    }
    got = client.get(f"/api/submissions/{draft['id']}", headers=focal).json()["evidence"]
    assert got[0]["number"] == "15/KH-UBND"
    before = count(client, Evidence)
    r = client.post(
        url,
        files={"file": ("kh.pdf", PDF, "application/pdf")},
        data={**document, "date": "32/01/2023"},
        headers=focal,
    )
    assert r.status_code == 422
    assert [e["path"] for e in r.json()["errors"]] == ["$.date"]
    assert "ngày" in r.json()["errors"][0]["message"]
    assert count(client, Evidence) == before


def _assign(client, headers, submission_id: int, body: dict[str, Any]):
    return client.put(f"/api/submissions/{submission_id}/assignments", json=body, headers=headers)


def test_a_contributor_fills_its_nodes_only_and_the_focal_point_submits(client, make_user):
    people = _people(client, make_user)
    focal, law, it = people["focal"], people["law"], people["it"]
    nodes = _tree(client, focal)
    values = draft_body(UNIT)["values"]
    draft = _draft(client, focal, values={})
    sid = draft["id"]
    # Before an assignment, another unit's submitter sees nothing.
    assert client.get(f"/api/submissions/{sid}", headers=law).status_code == 403
    body = {
        "assignments": [
            {"unit_id": LAW, "nodes": [FIELD_2]},
            {"unit_id": IT, "nodes": ["hien-dai-hoa-hanh-chinh"]},
        ]
    }
    r = _assign(client, focal, sid, body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert [a["unit_id"] for a in answer["assignments"]] == [IT, LAW]  # by unit id
    mine = answer["assignments"][1]
    assert mine["unit_name"] == "Sở Tư pháp" and mine["nodes"][0]["code"] == "2"
    assert mine["done"] is False and mine["filled"] == 0 and mine["leaves"] > 0
    assert audit(client, "assignment.manage")[-1].after[1]["nodes"] == [FIELD_2]

    owner = {i: n for n, node in nodes.items() for i in node["inputs"]}
    ours = {k: v for k, v in values.items() if _under(nodes, owner[k], FIELD_2)}
    theirs = {k: v for k, v in values.items() if not _under(nodes, owner[k], FIELD_2)}
    for contributor in (law, it):
        assert client.get(f"/api/submissions/{sid}", headers=contributor).status_code == 200
    r = client.patch(f"/api/submissions/{sid}", json={"values": ours}, headers=law)
    assert r.status_code == 200, r.text
    revision = r.json()["revision"]

    # Outside its nodes: 403 at each path, in Vietnamese, nothing written.
    other = next(iter(theirs))
    for patch, path in [
        ({"values": {other: theirs[other]}}, f"$.values.{other}"),
        ({"documents": {PLAN: [{"title": "Kế hoạch"}]}}, f"$.documents.{PLAN}"),
        ({"facts": {"x": 1}}, "$.facts"),
    ]:
        r = client.patch(f"/api/submissions/{sid}", json=patch, headers=law)
        assert r.status_code == 403, (patch, r.text)
        assert "chỉ được điền các tiêu chí được giao" in r.json()["detail"]
        assert [e["path"] for e in r.json()["errors"]] == [path]
    _unchanged(client, sid, revision)
    up = f"/api/submissions/{sid}/evidence"
    pdf = {"file": ("a.pdf", PDF, "application/pdf")}
    r = client.post(up, files=pdf, data={"node_id": PLAN}, headers=law)
    assert r.status_code == 403 and r.json()["errors"][0]["path"] == "$.node_id"
    law_node = next(n for n in nodes if _under(nodes, n, FIELD_2) and not nodes[n]["children"])
    assert client.post(up, files=pdf, data={"node_id": law_node}, headers=law).status_code == 201

    # A contributor does not submit; it marks its part done.
    r = client.post(f"/api/submissions/{sid}/submit", headers=law)
    assert r.status_code == 403 and "chỉ đầu mối" in r.json()["detail"]
    assert r.json()["errors"][0]["path"] == "$"
    r = client.post(f"/api/submissions/{sid}/assignments/{IT}/done", headers=law)
    assert r.status_code == 403
    r = client.post(f"/api/submissions/{sid}/assignments/{LAW}/done", headers=law)
    assert r.status_code == 200, r.text
    progress = {a["unit_id"]: a for a in r.json()["assignments"]}
    assert progress[LAW]["done"] is True and progress[LAW]["done_by"]
    assert progress[LAW]["filled"] == progress[LAW]["leaves"]
    assert progress[IT]["done"] is False and progress[IT]["filled"] == 0
    assert all(_under(nodes, m["node"], FIELD_2) for m in progress[LAW]["missing"])

    # Assigning is the focal point's; a change of the contributor's part takes back done.
    assert _assign(client, law, sid, body).status_code == 403
    one = next(iter(ours))
    r = client.patch(f"/api/submissions/{sid}", json={"values": {one: None}}, headers=law)
    assert r.status_code == 200
    got = client.get(f"/api/submissions/{sid}/assignments", headers=focal).json()
    assert got["assignments"][1]["done"] is False
    assert got["assignments"][1]["filled"] == progress[LAW]["filled"] - 1


def test_bad_assignments_are_refused_at_their_path(client, make_user):
    people = _people(client, make_user)
    focal = people["focal"]
    sid = _draft(client, focal)["id"]
    rows = count(client, Assignment)
    for body, paths in [
        (
            {"assignments": [{"unit_id": "so-khong-co", "nodes": [FIELD_2]}]},
            ["$.assignments[0].unit_id"],
        ),
        (
            {"assignments": [{"unit_id": LAW, "nodes": ["khong-co-muc-nay"]}]},
            ["$.assignments[0].nodes[0]"],
        ),
        ({"assignments": [{"unit_id": UNIT, "nodes": [FIELD_2]}]}, ["$.assignments[0].unit_id"]),
        (
            {
                "assignments": [
                    {"unit_id": LAW, "nodes": [FIELD_2]},
                    {"unit_id": IT, "nodes": [NA_NODE]},
                ]
            },
            ["$.assignments[1].nodes[0]"],
        ),
    ]:
        r = _assign(client, focal, sid, body)
        assert r.status_code == 422, (body, r.text)
        assert [e["path"] for e in r.json()["errors"]] == paths, r.json()
    assert count(client, Assignment) == rows
    r = _assign(client, focal, sid, {"assignments": [{"unit_id": LAW, "nodes": []}]})
    assert r.status_code == 400


@pytest.mark.slow  # `parindex` processes
def test_assign_from_the_command_line(client, make_user, settings, tmp_path):
    people = _people(client, make_user)
    sid = _draft(client, people["focal"])["id"]
    with db(client) as session:
        focal = session.exec(select(User).where(User.unit_id == UNIT)).first().name
    args = (*db_args(settings), "--user", focal)
    given = parindex("assign", str(sid), "--give", f"{LAW}={FIELD_2}", *args, cwd=tmp_path)
    assert given.returncode == 0, given.stderr
    assert given.stdout.startswith(f"{LAW} (Sở Tư pháp): 2 — 7/7 filled, 0 missing")
    assert given.stdout.rstrip().endswith("in progress")
    assert client.get(f"/api/submissions/{sid}", headers=people["law"]).status_code == 200
    bad = parindex("assign", str(sid), "--give", f"{LAW}=khong-co", *args, cwd=tmp_path)
    assert bad.returncode == 2
    assert "error: $.assignments[0].nodes[0]: bộ chỉ số không có mục 'khong-co'" in bad.stderr
    shown = parindex("assign", str(sid), *args, cwd=tmp_path)
    assert shown.stdout == given.stdout
