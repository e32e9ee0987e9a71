"""`/api/submissions` through the test client, on SQLite and PostgreSQL: drafts, merges
with revisions, evidence, submitting (which locks), and appraisals.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from server.models import AuditEntry, Cohort, Evidence, Submission, Unit
from tests.server.helpers import (
    PDF,
    PERIOD,
    REF,
    audit,
    count,
    draft_body,
    paths,
    post_submission,
    sample,
)
from tests.server.helpers import unit_and_submitter as _setup

# -- create and read -----------------------------------------------------------------


def test_create_draft_reads_back_and_is_audited(client, make_user):
    _, submitter = _setup(client, make_user)
    values = dict(list(sample("so-noi-vu")["values"].items())[:5])  # a draft may be partial
    r = client.post(
        "/api/submissions", json=draft_body("so-noi-vu", values=values), headers=submitter
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "draft" and created["revision"] == 1
    assert r.headers["etag"] == '"1"'
    got = client.get(f"/api/submissions/{created['id']}", headers=submitter)
    assert got.status_code == 200
    stored = got.json()
    assert stored["values"] == values and stored["ref"] == REF and stored["period"] == PERIOD
    assert stored["not_applicable"] == sample("so-noi-vu")["not_applicable"]
    entry = audit(client, "submission.create")[-1]
    assert entry.entity == "submission" and entry.entity_id == str(created["id"])
    assert entry.before is None and entry.after["values"] == values


def test_only_the_units_submitter_may_create_and_nothing_changes(client, make_user):
    _setup(client, make_user)
    before = (count(client, Submission), count(client, AuditEntry))
    for headers in (
        make_user("unit_submitter", unit_id="so-tu-phap"),
        make_user("auditor"),
        make_user("appraiser"),
    ):
        r = client.post("/api/submissions", json=draft_body("so-noi-vu"), headers=headers)
        assert r.status_code == 403, r.text
    assert client.post("/api/submissions", json=draft_body("so-noi-vu")).status_code == 401
    assert (count(client, Submission), count(client, AuditEntry)) == before


def test_read_is_scoped_to_the_unit(client, make_user):
    _, submitter = _setup(client, make_user)
    created = post_submission(client, submitter, "so-noi-vu", submit=False)
    other = make_user("unit_submitter", unit_id="so-tu-phap")
    assert client.get(f"/api/submissions/{created['id']}", headers=other).status_code == 403
    assert client.get(f"/api/submissions/{created['id']}").status_code == 401
    auditor = make_user("auditor")
    assert client.get(f"/api/submissions/{created['id']}", headers=auditor).status_code == 200
    assert client.get("/api/submissions/999999", headers=auditor).status_code == 404


def test_unknown_inputs_and_bad_values_are_422_with_paths(client, make_user):
    _, submitter = _setup(client, make_user)
    before = count(client, Submission)
    values = {
        "ty_le_hoan_thanh_ke_hoach_cchc_x": 0.5,  # a typo
        "ty_le_co_quan_duoc_kiem_tra": 1.7,  # a ratio above 1
        "bao_cao_cchc_du_dung_han": "yes",
    }
    r = client.post(
        "/api/submissions", json=draft_body("so-noi-vu", values=values), headers=submitter
    )
    assert r.status_code == 422, r.text
    errors = {e["path"]: e["message"] for e in r.json()["errors"]}
    assert set(errors) == {f"$.values.{k}" for k in values}
    assert (
        "did you mean `ty_le_hoan_thanh_ke_hoach_cchc`"
        in errors["$.values.ty_le_hoan_thanh_ke_hoach_cchc_x"]
    )
    assert "outside" in errors["$.values.ty_le_co_quan_duoc_kiem_tra"]
    r = client.post(
        "/api/submissions",
        json=draft_body("so-noi-vu", not_applicable={"khong-co-nut": "x"}),
        headers=submitter,
    )
    assert r.status_code == 422 and paths(r) == ["$.not_applicable.khong-co-nut"]
    r = client.post(
        "/api/submissions", json=draft_body("so-noi-vu", methodology="khong-co"), headers=submitter
    )
    assert r.status_code == 422 and paths(r) == ["$.methodology"]
    r = client.post(
        "/api/submissions", json=draft_body("so-noi-vu", values=[1], period=2023), headers=submitter
    )
    assert r.status_code == 400 and set(paths(r)) == {"$.values", "$.period"}
    admin = make_user("admin")
    body = draft_body("so-noi-vu", unit_id="khong-co-don-vi")
    r = client.post("/api/submissions", json=body, headers=admin)
    assert r.status_code == 422 and paths(r) == ["$.unit_id"]
    assert count(client, Submission) == before


# -- merging with revisions ----------------------------------------------------------


def test_patch_merges_increments_revision_and_checks_if_match(client, make_user):
    _, submitter = _setup(client, make_user)
    created = post_submission(
        client, submitter, "so-noi-vu", submit=False, values={"so_sang_kien_cchc": 3}
    )
    url = f"/api/submissions/{created['id']}"
    r = client.patch(
        url,
        json={
            "values": {"so_nhiem_vu_cchc_duoc_giao": 10, "so_sang_kien_cchc": None},
            # every claim of the sample withdrawn
            "not_applicable": dict.fromkeys(sample("so-noi-vu")["not_applicable"]),
        },
        headers={**submitter, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 2 and r.headers["etag"] == '"2"'
    assert r.json()["values"] == {"so_nhiem_vu_cchc_duoc_giao": 10}
    assert r.json()["not_applicable"] == {}
    entry = audit(client, "submission.edit")[-1]
    assert entry.before["values"] == {"so_sang_kien_cchc": 3} and entry.before["revision"] == 1
    assert entry.after["values"] == {"so_nhiem_vu_cchc_duoc_giao": 10}
    assert entry.after["revision"] == 2
    stale = client.patch(
        url, json={"values": {"so_sang_kien_cchc": 4}}, headers={**submitter, "If-Match": "1"}
    )
    assert stale.status_code == 409 and stale.json()["revision"] == 2
    invalid = client.patch(url, json={"values": {"so_sang_kien_cchc": -1}}, headers=submitter)
    assert invalid.status_code == 422 and paths(invalid) == ["$.values.so_sang_kien_cchc"]
    other = make_user("unit_submitter", unit_id="so-tu-phap")
    assert (
        client.patch(url, json={"values": {"so_sang_kien_cchc": 4}}, headers=other).status_code
        == 403
    )
    stored = client.get(url, headers=submitter).json()
    assert stored["values"] == {"so_nhiem_vu_cchc_duoc_giao": 10} and stored["revision"] == 2
    assert len(audit(client, "submission.edit")) == 1
    assert client.patch("/api/submissions/999999", json={}, headers=submitter).status_code == 404


# -- submitting ----------------------------------------------------------------------


def test_submit_lists_every_missing_input_then_locks(client, make_user):
    _, submitter = _setup(client, make_user)
    values = sample("so-noi-vu")["values"]
    removed = ["so_sang_kien_cchc", "bao_cao_cchc_du_dung_han", "ty_le_van_ban_dien_tu"]
    partial = {k: v for k, v in values.items() if k not in removed}
    created = post_submission(client, submitter, "so-noi-vu", submit=False, values=partial)
    url = f"/api/submissions/{created['id']}"
    r = client.post(f"{url}/submit", headers=submitter)
    assert r.status_code == 422, r.text
    assert sorted(paths(r)) == sorted(f"$.values.{k}" for k in removed)
    assert client.get(url, headers=submitter).json()["status"] == "draft"
    r = client.patch(url, json={"values": {k: values[k] for k in removed}}, headers=submitter)
    assert r.status_code == 200
    r = client.post(f"{url}/submit", headers={**submitter, "If-Match": '"2"'})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted" and r.json()["submitted_at"]
    entry = audit(client, "submission.submit")[-1]
    assert entry.before["status"] == "draft" and entry.after["status"] == "submitted"
    locked = client.patch(url, json={"values": {"so_sang_kien_cchc": 1}}, headers=submitter)
    assert locked.status_code == 409 and "submitted" in locked.json()["detail"]
    files = {"file": ("ke-hoach.pdf", PDF, "application/pdf")}
    assert client.post(f"{url}/evidence", files=files, headers=submitter).status_code == 409
    assert client.post(f"{url}/submit", headers=submitter).status_code == 409
    assert client.get(url, headers=submitter).json()["values"] == values


# -- evidence ------------------------------------------------------------------------


def test_evidence_is_stored_once_by_content(client, make_user):
    _, submitter = _setup(client, make_user)
    created = post_submission(client, submitter, "so-noi-vu", submit=False)
    url = f"/api/submissions/{created['id']}/evidence"
    sha = hashlib.sha256(PDF).hexdigest()
    first = client.post(
        url,
        files={"file": ("Kế hoạch CCHC.pdf", PDF, "application/pdf")},
        data={"node_id": "ban-hanh-ke-hoach-cchc"},
        headers=submitter,
    )
    assert first.status_code == 201, first.text
    assert first.json()["sha256"] == sha and first.json()["size"] == len(PDF)
    assert first.json()["filename"] == "Kế hoạch CCHC.pdf"
    second = client.post(
        url, files={"file": ("copy.pdf", PDF, "application/pdf")}, headers=submitter
    )
    assert second.status_code == 201 and second.json()["node_id"] is None
    evidence_dir = client.app.state.services.settings.evidence_dir
    stored = [p for p in evidence_dir.rglob("*") if p.is_file()]
    assert stored == [evidence_dir / sha[:2] / sha]  # one file, no temporary left
    assert stored[0].read_bytes() == PDF
    rows = client.get(f"/api/submissions/{created['id']}", headers=submitter).json()["evidence"]
    assert [(e["sha256"], e["node_id"]) for e in rows] == [
        (sha, "ban-hanh-ke-hoach-cchc"),
        (sha, None),
    ]
    entries = audit(client, "submission.evidence")
    assert [e.after["id"] for e in entries] == [first.json()["id"], second.json()["id"]]


def test_evidence_limits_refuse_and_keep_nothing(client, make_user):
    _, submitter = _setup(client, make_user)
    created = post_submission(client, submitter, "so-noi-vu", submit=False)
    url = f"/api/submissions/{created['id']}/evidence"
    services = client.app.state.services
    services.settings = replace(services.settings, max_evidence_bytes=len(PDF) - 1)
    before = (count(client, Evidence), count(client, AuditEntry))
    big = client.post(url, files={"file": ("a.pdf", PDF, "application/pdf")}, headers=submitter)
    assert big.status_code == 413 and paths(big) == ["$.file"]
    services.settings = replace(services.settings, max_evidence_bytes=10_000)
    exe = client.post(
        url, files={"file": ("a.exe", b"MZ\x90\x00", "application/x-msdownload")}, headers=submitter
    )
    assert exe.status_code == 415
    fake = client.post(
        url, files={"file": ("a.pdf", b"MZ\x90\x00", "application/pdf")}, headers=submitter
    )
    assert fake.status_code == 422 and paths(fake) == ["$.file"]
    node = client.post(
        url,
        files={"file": ("a.pdf", PDF, "application/pdf")},
        data={"node_id": "khong-co-nut"},
        headers=submitter,
    )
    assert node.status_code == 422 and paths(node) == ["$.node_id"]
    other = make_user("unit_submitter", unit_id="so-tu-phap")
    forbidden = client.post(url, files={"file": ("a.pdf", PDF, "application/pdf")}, headers=other)
    assert forbidden.status_code == 403
    assert (count(client, Evidence), count(client, AuditEntry)) == before
    assert not [p for p in services.settings.evidence_dir.rglob("*") if p.is_file()]


# -- appraisals ----------------------------------------------------------------------


def test_appraisals_only_on_submitted_by_the_council(client, make_user):
    _, submitter = _setup(client, make_user)
    appraiser = make_user("appraiser")
    draft = post_submission(client, submitter, "so-noi-vu", submit=False)
    body = {"key": "so_pakn_tiep_nhan", "value": 337, "reason": "Theo hồ sơ"}
    url = f"/api/submissions/{draft['id']}/appraisals"
    assert client.post(url, json=body, headers=appraiser).status_code == 403  # a draft
    client.post(f"/api/submissions/{draft['id']}/submit", headers=submitter)
    assert client.post(url, json=body, headers=submitter).status_code == 403
    assert client.post(url, json=body, headers=make_user("auditor")).status_code == 403
    before = count(client, AuditEntry)
    bad = [
        ({**body, "reason": ""}, 400, ["$.reason"]),
        ({**body, "key": "so_pakn_tiep_nhann"}, 422, ["$.key"]),
        ({**body, "value": -5}, 422, ["$.value"]),
        ({"key": "muc-tieu-chuong-trinh-tong-the", "points": 99, "reason": "x"}, 422, ["$.points"]),
        ({"key": "ban-hanh-ke-hoach-cchc", "points": 1, "reason": "x"}, 422, ["$.key"]),
    ]
    for payload, status, where in bad:
        r = client.post(url, json=payload, headers=appraiser)
        assert (r.status_code, paths(r)) == (status, where), (payload, r.text)
    assert count(client, AuditEntry) == before
    r = client.post(url, json=body, headers=appraiser)
    assert r.status_code == 201, r.text
    assert r.json()["submission"]["status"] == "appraised"
    assert r.json()["appraisal"]["value"] == 337
    manual = {"key": "muc-tieu-chuong-trinh-tong-the", "points": 0.85, "reason": "Hội đồng chấm"}
    r = client.post(url, json=manual, headers=appraiser)
    assert r.status_code == 201 and r.json()["appraisal"]["points"] == "0.85"
    stored = client.get(f"/api/submissions/{draft['id']}", headers=appraiser).json()
    assert [a["key"] for a in stored["appraisals"]] == [
        "so_pakn_tiep_nhan",
        "muc-tieu-chuong-trinh-tong-the",
    ]
    assert (
        stored["values"]["so_pakn_tiep_nhan"] == sample("so-noi-vu")["values"]["so_pakn_tiep_nhan"]
    )
    entries = audit(client, "appraisal.create")
    assert entries[0].before["status"] == "submitted" and entries[0].after["status"] == "appraised"
    assert entries[0].before["appraisals"] == [] and len(entries[1].after["appraisals"]) == 2


def test_units_and_cohorts_created_for_the_tests_exist(client, make_user):
    _setup(client, make_user)
    assert count(client, Unit) == 2 and count(client, Cohort) == 1
