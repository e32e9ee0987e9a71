"""`POST /api/submissions/{id}/finish`: the council closes its appraisal of a record."""

from __future__ import annotations

from server.models import Appraisal, AuditEntry
from tests.server.helpers import assert_problem, audit, count, post_submission, unit_and_submitter


def test_finishing_appraises_a_submitted_record_once_and_only_for_the_council(client, make_user):
    admin, submitter = unit_and_submitter(client, make_user)
    appraiser = make_user("appraiser")
    draft = post_submission(client, admin, "so-noi-vu", submit=False)
    # A draft is the unit's until submitted: the council may not touch it.
    assert_problem(client.post(f"/api/submissions/{draft['id']}/finish", headers=appraiser), 403)
    client.post(f"/api/submissions/{draft['id']}/submit", headers=admin)
    url = f"/api/submissions/{draft['id']}/finish"
    assert_problem(client.post(url, headers=submitter), 403)
    r = client.post(url, headers=appraiser)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "appraised" and r.json()["appraisals"] == []
    assert r.headers["ETag"] == f'"{r.json()["revision"]}"'
    assert [e.after["status"] for e in audit(client, "appraisal.finish")] == ["appraised"]
    entries = count(client, AuditEntry)
    again = client.post(url, headers=appraiser)  # already appraised: as it is, unaudited
    assert again.status_code == 200 and again.json()["revision"] == r.json()["revision"]
    assert count(client, AuditEntry) == entries and count(client, Appraisal) == 0
    reopened = client.post(
        f"/api/submissions/{draft['id']}/reopen", json={"reason": "thiếu"}, headers=appraiser
    )
    assert reopened.status_code == 200
    # As for an appraisal: the council appraises submitted records only.
    assert_problem(client.post(url, headers=appraiser), 403)
    assert_problem(client.post("/api/submissions/999999/finish", headers=appraiser), 404)
