"""`/api/units` through the test client, on SQLite and PostgreSQL."""

from __future__ import annotations

from server.models import AuditEntry, Cohort, CohortMember, Unit
from tests.server.helpers import audit, count, paths

UNIT = {
    "id": "so-noi-vu",
    "name": "Sở Nội vụ",
    "level": "sở",
    "province": "dak-lak",
    "cohorts": ["daklak-so"],
    "methodology": "daklak-so",
}


def test_province_editor_creates_a_unit_and_its_cohort(client, make_user):
    editor = make_user("province_editor", province="dak-lak")
    r = client.post("/api/units", json=UNIT, headers=editor)
    assert r.status_code == 201, r.text
    assert r.json() == {
        "id": "so-noi-vu",
        "name": "Sở Nội vụ",
        "level": "sở",
        "province": "dak-lak",
        "ranked": True,
        "group": None,
        "cohorts": ["daklak-so"],
    }
    r = client.post(
        "/api/units",
        json={**UNIT, "id": "thanh-tra-tinh", "name": "Thanh tra tỉnh", "ranked": False},
        headers=editor,
    )
    assert r.status_code == 201, r.text
    listed = client.get("/api/units", params={"cohort": "daklak-so"}, headers=editor).json()
    assert [(u["id"], u["ranked"]) for u in listed] == [
        ("so-noi-vu", True),
        ("thanh-tra-tinh", False),
    ]
    (cohort,) = audit(client, "cohort.create")
    assert cohort.entity_id == "daklak-so" and cohort.before is None
    assert cohort.after == {"id": "daklak-so", "name": "daklak-so", "methodology": "daklak-so"}
    created = audit(client, "unit.create")
    assert [e.entity_id for e in created] == ["so-noi-vu", "thanh-tra-tinh"]
    assert created[1].before is None and created[1].after["ranked"] is False
    assert count(client, CohortMember) == 2


def test_other_provinces_and_roles_may_not_create_units(client, make_user):
    before = [count(client, m) for m in (Unit, Cohort, CohortMember, AuditEntry)]
    for headers in (
        make_user("province_editor", province="ha-noi"),
        make_user("unit_submitter", unit_id="so-noi-vu"),
        make_user("appraiser"),
    ):
        assert client.post("/api/units", json=UNIT, headers=headers).status_code == 403
    assert client.post("/api/units", json=UNIT).status_code == 401
    assert [count(client, m) for m in (Unit, Cohort, CohortMember, AuditEntry)] == before


def test_unit_validation_errors_carry_paths(client, make_user):
    admin = make_user("admin")
    cases = [
        ({**UNIT, "id": "Sở Nội vụ"}, 400, ["$.id"]),
        ({**UNIT, "name": None, "ranked": "maybe"}, 400, ["$.name", "$.ranked"]),
        ({**UNIT, "cohorts": ["daklak-so", "daklak-so"]}, 400, ["$.cohorts"]),
        ({**UNIT, "colour": "red"}, 400, ["$.colour"]),
        ({k: v for k, v in UNIT.items() if k != "methodology"}, 422, ["$.methodology"]),
        ({**UNIT, "methodology": "daklak-soo"}, 422, ["$.methodology"]),
    ]
    for body, status, where in cases:
        r = client.post("/api/units", json=body, headers=admin)
        assert (r.status_code, paths(r)) == (status, where), (body, r.text)
    assert count(client, Unit) == 0 and count(client, AuditEntry) == 0
    assert client.post("/api/units", json=UNIT, headers=admin).status_code == 201
    again = client.post("/api/units", json=UNIT, headers=admin)
    assert again.status_code == 409 and paths(again) == ["$.id"]
    assert count(client, Unit) == 1


def test_listing_needs_a_sign_in_and_a_known_cohort(client, make_user):
    auditor = make_user("auditor")
    assert client.get("/api/units").status_code == 401
    assert client.get("/api/units", headers=auditor).json() == []
    assert (
        client.get("/api/units", params={"cohort": "khong-co"}, headers=auditor).status_code == 404
    )
