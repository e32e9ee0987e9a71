"""One submission of record per unit, period and methodology, on SQLite and PostgreSQL.

A unit could push its appraised result out of the ranking by creating and submitting a
second submission for the period; now the second one is refused until the council
reopens the record, the ranking keeps the record meanwhile, and the new submission
supersedes it once submitted. Names are stored NFC.
"""

from __future__ import annotations

import unicodedata

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.db import alembic_config, make_engine
from server.models import Submission, Unit, User
from server.serve import UserError, add_user
from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    QUERY,
    REF,
    add_units,
    appraise_as_sample,
    audit,
    db,
    draft_body,
    post_submission,
    sample,
    survey_scores,
)

UNIT = "so-noi-vu"
NAME = "Nguyễn Văn Á"


def _ranked(client, headers) -> dict:
    r = client.get("/api/rankings", params=QUERY, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_second_submission_waits_for_the_council(client, make_user):
    admin, appraiser, auditor = make_user("admin"), make_user("appraiser"), make_user("auditor")
    add_units(client, admin, only={UNIT, "so-tu-phap"})
    submitter = make_user("unit_submitter", unit_id=UNIT)
    record = post_submission(client, submitter, UNIT)
    appraise_as_sample(client, appraiser, record["id"], UNIT)
    appraisals = len(sample(UNIT)["appraisal"])
    survey = {"methodology": METHODOLOGY, "ref": REF, "period": PERIOD}
    r = client.post(
        "/api/surveys", json={**survey, "scores": survey_scores([UNIT])}, headers=appraiser
    )
    assert r.status_code == 201, r.text
    before = _ranked(client, auditor)
    assert before["submissions"] == {UNIT: record["id"]}
    (appraised,) = before["units"]
    assert appraised["index"] is not None

    # The exploit: a second submission for the same period. Refused, nothing written.
    second = client.post("/api/submissions", json=draft_body(UNIT), headers=submitter)
    assert second.status_code == 409, second.text
    assert second.headers["content-type"].startswith("application/problem+json")
    assert second.json()["existing"] == record["id"]
    assert unicodedata.is_normalized("NFC", second.json()["detail"])
    with db(client) as session:
        assert len(session.exec(select(Submission)).all()) == 1
    assert _ranked(client, auditor) == before

    # Only the council reopens; the unit may not, nor reopen a draft.
    reason = {"reason": "Đơn vị đề nghị nộp lại do nhập sai số liệu"}
    url = f"/api/submissions/{record['id']}/reopen"
    assert client.post(url, json=reason, headers=submitter).status_code == 403
    assert client.post(url, json={}, headers=appraiser).status_code == 400
    r = client.post(url, json=reason, headers=appraiser)
    assert r.status_code == 200, r.text
    assert (
        r.json()["status"] == "reopened"
        and r.json()["revision"] == record["revision"] + appraisals + 1
    )
    (entry,) = audit(client, "submission.reopen")
    assert entry.after["reason"] == reason["reason"] and entry.before["status"] == "appraised"
    assert client.post(url, json=reason, headers=appraiser).status_code == 409

    # The reopened record stays in the ranking until its replacement is submitted.
    new = client.post("/api/submissions", json=draft_body(UNIT), headers=submitter)
    assert new.status_code == 201, new.text
    again = client.post("/api/submissions", json=draft_body(UNIT), headers=submitter)
    assert again.status_code == 409 and again.json()["existing"] == new.json()["id"]
    assert _ranked(client, auditor)["submissions"] == {UNIT: record["id"]}
    assert _ranked(client, auditor)["units"] == before["units"]
    r = client.post(f"/api/submissions/{new.json()['id']}/submit", headers=submitter)
    assert r.status_code == 200, r.text
    old = client.get(f"/api/submissions/{record['id']}", headers=auditor).json()
    assert old["status"] == "superseded" and len(old["appraisals"]) == appraisals
    (superseded,) = audit(client, "submission.supersede")
    assert superseded.after["superseded_by"] == new.json()["id"]
    after = _ranked(client, auditor)
    assert after["submissions"] == {UNIT: new.json()["id"]}
    # The council has not appraised the new one yet: its manual nodes are unscored.
    assert after["units"][0]["unit"] == UNIT and after["units"][0]["index"] is None


def test_the_database_keeps_one_record(client, make_user):
    """The partial unique index holds even for a writer that skips the service check."""
    add_units(client, make_user("admin"), only={UNIT})
    submitter = make_user("unit_submitter", unit_id=UNIT)
    first = post_submission(client, submitter, UNIT, submit=False)

    def insert(status: str) -> None:
        with db(client) as session:
            session.add(
                Submission(
                    unit_id=UNIT,
                    period=PERIOD,
                    methodology=METHODOLOGY,
                    status=status,
                    values={},
                )
            )
            session.commit()

    with pytest.raises(IntegrityError):
        insert("submitted")
    insert("superseded")  # kept for the audit: not a record
    insert("reopened")
    with db(client) as session:
        statuses = sorted(s.status for s in session.exec(select(Submission)).all())
    assert statuses == ["draft", "reopened", "superseded"]
    assert first["status"] == "draft"


def test_migration_keeps_the_appraised_record_of_duplicates(db_url: str):
    """Databases that already hold duplicates upgrade: the appraised one stays the record."""
    config = alembic_config(db_url)
    command.upgrade(config, "0002")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO units (id, name, level, ranked) "
                    "VALUES ('ba-ria-vung-tau', 'Bà Rịa–Vũng Tàu', 'tỉnh', true)"
                )
            )
            for id_, status in ((1, "appraised"), (2, "submitted"), (3, "draft")):
                conn.execute(
                    text(
                        'INSERT INTO submissions (id, unit_id, period, methodology, "values", '
                        "not_applicable, facts, status, created_at, updated_at, revision) "
                        "VALUES (:id, 'ba-ria-vung-tau', '2022', 'par-provincial', '{}', '{}', "
                        "'{}', :status, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                    ),
                    {"id": id_, "status": status},
                )
        command.upgrade(config, "head")
        with Session(engine) as session:
            rows = session.exec(select(Submission).order_by(Submission.id)).all()
            assert [(r.id, r.status) for r in rows] == [
                (1, "appraised"),
                (2, "superseded"),
                (3, "superseded"),
            ]
    finally:
        engine.dispose()


def test_nfc_and_nfd_names_are_one_user_and_one_spelling(client, make_user, settings):
    nfd = unicodedata.normalize("NFD", NAME)
    assert nfd != NAME
    created = add_user(settings, nfd, "auditor")
    assert created.name == NAME
    with pytest.raises(UserError, match="đã có người dùng tên"):
        add_user(settings, NAME, "auditor")
    with pytest.raises(UserError, match="đã có người dùng tên"):
        add_user(settings, f" {nfd} ", "appraiser")
    with db(client) as session:
        assert [u.name for u in session.exec(select(User).where(User.role == "auditor"))] == [NAME]

    admin = make_user("admin")
    body = {"id": "xa-a", "name": unicodedata.normalize("NFD", "Xã Ái Quốc"), "level": "xã"}
    r = client.post("/api/units", json={**body, "province": "dak-lak"}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Xã Ái Quốc"
    with db(client) as session:
        assert session.get(Unit, "xa-a").name == "Xã Ái Quốc"
