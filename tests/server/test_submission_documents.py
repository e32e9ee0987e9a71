"""The documents a unit names as evidence (`documents`: số/ký hiệu, ngày ban hành, trích
yếu, cơ quan ban hành, or a giải trình), on SQLite and PostgreSQL: stored with the draft,
merged per node, checked against the version, audited; refused with nothing written."""

from __future__ import annotations

from server.models import AuditEntry, Submission
from tests.server.helpers import audit, count, draft_body
from tests.server.helpers import unit_and_submitter as _setup

NODE = "ban-hanh-ke-hoach-cchc"
OTHER = "muc-do-thuc-hien-ke-hoach-cchc"
PLAN = {
    "number": "15/KH-UBND",
    "date": "2023-01-20",
    "title": "Kế hoạch cải cách hành chính năm 2023",
    "issuer": "UBND tỉnh Đắk Lắk",
}


def test_documents_are_stored_merged_per_node_and_audited(client, make_user):
    _, submitter = _setup(client, make_user)
    body = draft_body("so-noi-vu") | {"documents": {NODE: [PLAN]}}
    r = client.post("/api/submissions", json=body, headers=submitter)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["documents"] == {NODE: [PLAN]}
    why = {"explanation": "Báo cáo gửi qua hệ thống, không có số văn bản"}
    r = client.patch(
        f"/api/submissions/{created['id']}",
        json={"documents": {OTHER: [why]}},
        headers=submitter,
    )
    assert r.status_code == 200, r.text
    assert r.json()["documents"] == {NODE: [PLAN], OTHER: [why]}
    assert r.json()["revision"] == 2
    r = client.patch(
        f"/api/submissions/{created['id']}", json={"documents": {NODE: None}}, headers=submitter
    )
    assert r.json()["documents"] == {OTHER: [why]}
    entry = audit(client, "submission.edit")[-1]
    assert entry.before["documents"] == {NODE: [PLAN], OTHER: [why]}
    assert entry.after["documents"] == {OTHER: [why]}


def test_bad_documents_are_refused_at_their_path_and_nothing_is_written(client, make_user):
    _, submitter = _setup(client, make_user)
    before = (count(client, Submission), count(client, AuditEntry))
    for documents, path, status in [
        ({"khong-co-muc-nay": [PLAN]}, "$.documents.khong-co-muc-nay", 422),
        ({NODE: [{"number": "   "}]}, f"$.documents.{NODE}[0].number", 422),
        ({NODE: [{}]}, f"$.documents.{NODE}[0]", 422),
        ({NODE: [{"so": "15/KH"}]}, "$.documents", 400),  # not a document's part
        ({NODE: [PLAN] * 51}, "$.documents", 400),
    ]:
        body = draft_body("so-noi-vu") | {"documents": documents}
        r = client.post("/api/submissions", json=body, headers=submitter)
        assert r.status_code == status, (documents, r.text)
        assert any(e["path"].startswith(path) for e in r.json()["errors"]), r.json()
    assert (count(client, Submission), count(client, AuditEntry)) == before
