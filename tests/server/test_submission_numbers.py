"""Numbers of any magnitude in a submission, through the real API on SQLite and
PostgreSQL: beyond the accepted magnitudes they are a 422 naming the input (never a
500), and nothing is written; checking a draft cleans its values without scoring it."""

from __future__ import annotations

import pytest

from server.models import AuditEntry, Submission
from tests.server.helpers import add_units, count, draft_body, paths


def _setup(client, make_user, unit: str = "so-noi-vu"):
    add_units(client, make_user("admin"), only={unit})
    return make_user("unit_submitter", unit_id=unit)


@pytest.mark.parametrize("raw", ["9e999999", "1e-5000", "-1e101", "0e200", 1e200, 1e-200])
def test_a_number_beyond_the_bounds_is_a_422_naming_the_input(client, make_user, raw):
    submitter = _setup(client, make_user)
    before = (count(client, Submission), count(client, AuditEntry))
    values = {"so_sang_kien_cchc": raw, "so_nhiem_vu_cchc_duoc_giao": 298}
    r = client.post(
        "/api/submissions", json=draft_body("so-noi-vu", values=values), headers=submitter
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert paths(r) == ["$.values.so_sang_kien_cchc"]
    message = r.json()["errors"][0]["message"]
    assert repr(raw) in message and (
        "quá lớn" in message or "quá nhỏ" in message or "số 0" in message
    )
    assert (count(client, Submission), count(client, AuditEntry)) == before


def test_a_patch_with_a_huge_number_is_a_422_and_keeps_the_draft(client, make_user):
    submitter = _setup(client, make_user)
    r = client.post("/api/submissions", json=draft_body("so-noi-vu"), headers=submitter)
    assert r.status_code == 201, r.text
    created = r.json()
    r = client.patch(
        f"/api/submissions/{created['id']}",
        json={"values": {"so_nhiem_vu_cchc_duoc_giao": "9e999999"}},
        headers={**submitter, "If-Match": '"1"'},
    )
    assert r.status_code == 422, r.text
    assert paths(r) == ["$.values.so_nhiem_vu_cchc_duoc_giao"]
    stored = client.get(f"/api/submissions/{created['id']}", headers=submitter).json()
    assert stored["revision"] == 1 and stored["values"] == created["values"]


def test_numbers_at_the_bounds_are_accepted(client, make_user):
    submitter = _setup(client, make_user)
    values = {"so_sang_kien_cchc": "9.99e100", "ty_le_co_quan_duoc_kiem_tra": "1e-100"}
    r = client.post(
        "/api/submissions", json=draft_body("so-noi-vu", values=values), headers=submitter
    )
    assert r.status_code == 201, r.text


def test_checking_a_draft_scores_nothing(client, make_user):
    # The compiled engine keeps every program it has decided; checking drafts (create,
    # patch) only cleans values, so it has decided none. Submitting needs a decision
    # (which inputs the N/A rules leave required), so afterwards it has one.
    submitter = _setup(client, make_user)
    engine = client.app.state.services.engine("compiled")
    r = client.post("/api/submissions", json=draft_body("so-noi-vu"), headers=submitter)
    assert r.status_code == 201, r.text
    created = r.json()
    r = client.patch(
        f"/api/submissions/{created['id']}",
        json={"values": {"so_sang_kien_cchc": 7}},
        headers=submitter,
    )
    assert r.status_code == 200, r.text
    # Another period: this one already has the unit's submission of record.
    bad = draft_body("so-noi-vu", period="2099", values={"so_sang_kien_cchc": "abc"})
    assert client.post("/api/submissions", json=bad, headers=submitter).status_code == 422
    assert engine._compiled == {}
    r = client.post(f"/api/submissions/{created['id']}/submit", headers=submitter)
    assert r.status_code == 200, r.text
    assert len(engine._compiled) == 1
