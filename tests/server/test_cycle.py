"""The yearly cycle through the API, on SQLite and PostgreSQL: a submission's path from
draft to the council with every move recorded (who, when, why), the moves a status does
not allow (409, in Vietnamese, naming the status), who may make which move, the
deadlines of an assessment period (refused, or accepted as late), an administrator's
extension and reopening, and the release a period pins.

The tests share one app (`module_client`) and Đắk Lắk's departments; each works in a
period of its own, so none sees another's submissions.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from server.labels import STATUS_LABELS, TRANSITION_LABELS
from server.models import (
    OF_RECORD,
    SUBMISSION_STATUSES,
    AssessmentPeriod,
    AuditEntry,
    Submission,
    SubmissionTransition,
)
from server.services.windows import today
from server.transitions import EDITABLE, FINAL, TRANSITIONS, find_transition
from tests.server.helpers import (
    METHODOLOGY,
    PDF,
    REF,
    add_units,
    assert_problem,
    db,
    draft_body,
    user_maker,
)

COHORT = "daklak-so"
UNITS = {"so-noi-vu", "so-tu-phap", "so-tai-chinh", "so-y-te", "so-xay-dung", "so-ngoai-vu"}
PLAN = "ke-hoach-cchc"  # criterion 1.1, whose inputs a returned record may change
INSIDE, OUTSIDE = "ty_le_hoan_thanh_ke_hoach_cchc", "so_sang_kien_cchc"


def day(offset: int) -> str:
    return (today() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture(scope="module")
def world(module_client) -> dict[str, Any]:
    make = user_maker(module_client)
    admin = make("admin")
    add_units(module_client, admin, only=UNITS)
    return {
        "client": module_client,
        "make": make,
        "admin": admin,
        "appraiser": make("appraiser", name="Trần Thẩm Định"),
        "submitter": make("unit_submitter", name="Lê Văn Nộp", unit_id="so-noi-vu"),
    }


def period(world, name: str, **settings: Any) -> dict[str, Any]:
    body = {"cohort": COHORT, "period": name, **settings}
    r = world["client"].post("/api/periods", json=body, headers=world["admin"])
    assert r.status_code == 201, r.text
    return r.json()


def create(world, unit: str, name: str, headers: dict[str, str], **changes: Any):
    body = draft_body(unit, period=name, **changes)
    return world["client"].post("/api/submissions", json=body, headers=headers)


def post(world, submission: int, what: str, headers: dict[str, str], body: Any = None):
    return world["client"].post(f"/api/submissions/{submission}/{what}", json=body, headers=headers)


def ok(r, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()


def test_the_table_is_complete_and_labelled():
    assert set(STATUS_LABELS) == set(SUBMISSION_STATUSES)
    assert {t.action for t in TRANSITIONS} == set(TRANSITION_LABELS)
    assert all({t.target, t.source or "draft"} <= set(SUBMISSION_STATUSES) for t in TRANSITIONS)
    # An action is one permission, whichever status it leaves.
    permissions = {(t.action, t.permission) for t in TRANSITIONS}
    assert len(permissions) == len(TRANSITION_LABELS)
    assert set(EDITABLE) | set(FINAL) == set(OF_RECORD)
    assert find_transition("draft", "council") is None
    assert find_transition("returned", "submit").target == "resubmitted"


def test_the_whole_path_records_who_when_and_why(world):
    client, appraiser, submitter = world["client"], world["appraiser"], world["submitter"]
    period(
        world,
        "2031",
        ref=REF,
        self_assessment_opens=day(-10),
        self_assessment_closes=day(10),
        appraisal_opens=day(-10),
        appraisal_closes=day(30),
    )
    draft = ok(create(world, "so-noi-vu", "2031", submitter, ref=None), 201)
    assert draft["ref"] == REF and draft["late"] is False  # the pinned release
    sid = draft["id"]
    assert ok(post(world, sid, "submit", submitter))["status"] == "submitted"

    note = "Bổ sung báo cáo kết quả thực hiện kế hoạch CCHC năm"
    asked = {"nodes": [PLAN], "note": note, "due": day(5)}
    returned = ok(post(world, sid, "return", appraiser, asked))
    assert returned["status"] == "returned"
    assert returned["supplement"] == {"nodes": [PLAN], "note": note, "due": day(5)}

    # The unit changes the nodes to supplement only.
    url = f"/api/submissions/{sid}"
    r = client.patch(url, json={"values": {OUTSIDE: 1, INSIDE: 0.95}}, headers=submitter)
    body = assert_problem(r, 409)
    assert [e["path"] for e in body["errors"]] == [f"$.values.{OUTSIDE}"]
    assert PLAN in body["detail"]
    assert ok(client.patch(url, json={"values": {INSIDE: 0.95}}, headers=submitter))["values"][
        INSIDE
    ] == pytest.approx(0.95)
    resubmitted = ok(post(world, sid, "submit", submitter))
    assert resubmitted["status"] == "resubmitted" and resubmitted["supplement"] == {}
    assert ok(post(world, sid, "finish", appraiser))["status"] == "appraised"
    why = {"reason": "Đủ điều kiện đưa ra Hội đồng"}
    assert ok(post(world, sid, "council", appraiser, why))["status"] == "council"
    # Round 2 appraises without leaving the council.
    change = {"key": INSIDE, "value": 0.8, "reason": "Hội đồng điều chỉnh theo hồ sơ"}
    r = ok(post(world, sid, "appraisals", appraiser, change), 201)
    assert r["submission"]["status"] == "council"

    history = ok(client.get(f"{url}/history", headers=submitter))
    moves = [(h["from_status"], h["action"], h["to_status"]) for h in history]
    assert moves == [
        (None, "create", "draft"),
        ("draft", "submit", "submitted"),
        ("submitted", "return", "returned"),
        ("returned", "submit", "resubmitted"),
        ("resubmitted", "appraise", "appraised"),
        ("appraised", "council", "council"),
    ]
    who = [h["user"] for h in history]
    assert (
        who == ["Lê Văn Nộp", "Lê Văn Nộp", "Trần Thẩm Định", "Lê Văn Nộp"] + ["Trần Thẩm Định"] * 2
    )
    assert history[2]["reason"] == note and history[2]["details"]["nodes"] == [PLAN]
    assert history[3]["details"]["supplement"]["note"] == note
    assert history[5]["reason"] == why["reason"]
    times = [dt.datetime.fromisoformat(h["at"]) for h in history]
    assert times == sorted(times)
    # Beside the audit log, which keeps the state before and after each move.
    with db(client) as session:
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == "submission", AuditEntry.entity_id == str(sid))
            .order_by(AuditEntry.id)
        ).all()
        actions = [e.action for e in entries]
        assert {"submission.return", "appraisal.finish", "appraisal.council"} <= set(actions)
        (ret,) = [e for e in entries if e.action == "submission.return"]
        assert ret.before["status"] == "submitted" and ret.after["reason"] == note
    # Others may not read it; a returned record is still the record.
    other = world["make"]("unit_submitter", unit_id="so-tu-phap")
    assert_problem(client.get(f"{url}/history", headers=other), 403)
    assert_problem(client.get("/api/submissions/999999/history", headers=appraiser), 404)


def test_a_move_the_status_does_not_allow_is_409_naming_it(world):
    client, admin, appraiser = world["client"], world["admin"], world["appraiser"]
    period(world, "2032")
    sid = ok(create(world, "so-tai-chinh", "2032", admin), 201)["id"]

    def refused(what: str, status: str, body: Any = None) -> None:
        problem = assert_problem(post(world, sid, what, admin, body), 409)
        assert STATUS_LABELS[status] in problem["detail"], problem["detail"]
        assert unicodedata.is_normalized("NFC", problem["detail"])
        assert problem["errors"] == [{"path": "$.status", "message": status}]

    reason = {"reason": "Kiểm tra"}
    for what, body in (("return", {"note": "x"}), ("council", {}), ("unlock", reason)):
        refused(what, "draft", body)
    refused("reopen", "draft", reason)
    ok(post(world, sid, "submit", admin))
    refused("submit", "submitted")
    refused("council", "submitted", {})
    ok(post(world, sid, "finish", appraiser))
    refused("return", "appraised", {"note": "x"})
    refused("submit", "appraised")
    ok(post(world, sid, "council", appraiser, {}))
    refused("council", "council", {})
    refused("finish", "council")
    # A returned record is the unit's again: the council waits for its resubmission.
    other = ok(create(world, "so-y-te", "2032", admin), 201)["id"]
    ok(post(world, other, "submit", admin))
    ok(post(world, other, "return", appraiser, {"note": "Thiếu tài liệu kiểm chứng"}))
    problem = assert_problem(post(world, other, "council", admin, {}), 409)
    assert STATUS_LABELS["returned"] in problem["detail"]
    # It stays the unit's record: a second submission for the period is refused.
    again = create(world, "so-y-te", "2032", admin)
    assert assert_problem(again, 409, extra=frozenset({"existing"}))["existing"] == other
    with db(client) as session, pytest.raises(IntegrityError):
        row = Submission(unit_id="so-y-te", period="2032", methodology=METHODOLOGY, ref=REF)
        row.status = "council"
        session.add(row)
        session.flush()


def test_who_may_make_which_move(world):
    client, admin, appraiser = world["client"], world["admin"], world["appraiser"]
    submitter = world["make"]("unit_submitter", unit_id="so-xay-dung")
    auditor = world["make"]("auditor")
    sid = ok(create(world, "so-xay-dung", "2033", submitter), 201)["id"]
    ok(post(world, sid, "submit", submitter))
    note, reason = {"note": "Bổ sung"}, {"reason": "Mở lại"}
    change = {"key": INSIDE, "value": 0.5, "reason": "Điều chỉnh"}
    for who in (submitter, auditor):
        for what, body in (
            ("return", note),
            ("finish", None),
            ("appraisals", change),
            ("council", {}),
            ("unlock", reason),
        ):
            assert_problem(post(world, sid, what, who, body), 403)
    assert_problem(post(world, sid, "unlock", appraiser, reason), 403)
    assert_problem(post(world, sid, "return", {}, note), 401)
    # The administrator gives the record back to its unit, with a reason.
    assert_problem(post(world, sid, "unlock", admin, {"reason": " "}), 400)
    unlocked = ok(post(world, sid, "unlock", admin, {"reason": "Đơn vị nhập nhầm số liệu"}))
    assert unlocked["status"] == "draft"
    last = ok(client.get(f"/api/submissions/{sid}/history", headers=admin))[-1]
    assert (last["action"], last["from_status"], last["reason"]) == (
        "unlock",
        "submitted",
        "Đơn vị nhập nhầm số liệu",
    )
    assert ok(post(world, sid, "submit", submitter))["status"] == "submitted"


def test_deadlines_refuse_or_flag_late_work(world):
    client, admin, appraiser = world["client"], world["admin"], world["appraiser"]
    ngoai_vu = world["make"]("unit_submitter", unit_id="so-ngoai-vu")
    tu_phap = world["make"]("unit_submitter", unit_id="so-tu-phap")
    url = f"/api/periods/{COHORT}/2034"
    period(world, "2034", self_assessment_opens=day(1), self_assessment_closes=day(20))
    # Not open yet: a draft may be prepared, not submitted.
    early = ok(create(world, "so-ngoai-vu", "2034", ngoai_vu), 201)["id"]
    problem = assert_problem(post(world, early, "submit", ngoai_vu), 409)
    assert "chưa nộp được" in problem["detail"]
    # Closed, and late work refused: no new draft, no edit, no submit.
    ok(client.patch(url, json={"self_assessment_opens": None}, headers=admin))
    ok(client.patch(url, json={"self_assessment_closes": day(-1)}, headers=admin))
    problem = assert_problem(create(world, "so-tu-phap", "2034", tu_phap), 409)
    assert "không nhận hồ sơ nộp muộn" in problem["detail"]
    edit = {"values": {INSIDE: 0.5}}
    assert_problem(client.patch(f"/api/submissions/{early}", json=edit, headers=ngoai_vu), 409)
    assert_problem(post(world, early, "submit", ngoai_vu), 409)
    # Nor a file: the deadline locks the evidence with the rest of the draft.
    evidence = f"/api/submissions/{early}/evidence"
    upload = {"file": ("bao-cao.pdf", PDF, "application/pdf")}
    problem = assert_problem(client.post(evidence, files=upload, headers=ngoai_vu), 409)
    assert "không nhận hồ sơ nộp muộn" in problem["detail"]
    # An administrator extends the deadline for one unit, with a reason.
    extension = {"unit_id": "so-ngoai-vu", "until": day(3), "reason": "Sở đang kiện toàn"}
    assert_problem(client.post(f"{url}/extensions", json=extension, headers=appraiser), 403)
    wrong = {**extension, "unit_id": "so-noi-vu-khac"}
    assert_problem(client.post(f"{url}/extensions", json=wrong, headers=admin), 422)
    extended = ok(client.post(f"{url}/extensions", json=extension, headers=admin))
    assert extended["extensions"][0]["reason"] == "Sở đang kiện toàn"
    submitted = ok(post(world, early, "submit", ngoai_vu))
    assert submitted["status"] == "submitted" and submitted["late"] is False
    assert_problem(create(world, "so-tu-phap", "2034", tu_phap), 409)  # not extended
    # Late work flagged: accepted, stored as late, shown in the history.
    ok(client.patch(url, json={"late": "flag"}, headers=admin))
    late = ok(create(world, "so-tu-phap", "2034", tu_phap), 201)
    flagged = ok(post(world, late["id"], "submit", tu_phap))
    assert flagged["late"] is True
    history = ok(client.get(f"/api/submissions/{late['id']}/history", headers=tu_phap))
    assert history[-1]["details"] == {"late": True}
    with db(client) as session:
        assert session.get(Submission, late["id"]).late is True


def test_the_appraisal_window_bounds_the_council(world):
    client, admin, appraiser = world["client"], world["admin"], world["appraiser"]
    url = f"/api/periods/{COHORT}/2035"
    period(world, "2035", appraisal_opens=day(2), appraisal_closes=day(9))
    sid = ok(create(world, "so-noi-vu", "2035", admin), 201)["id"]
    ok(post(world, sid, "submit", admin))
    change = {"key": INSIDE, "value": 0.5, "reason": "Điều chỉnh"}
    for what, body in (("appraisals", change), ("finish", None), ("return", {"note": "x"})):
        problem = assert_problem(post(world, sid, what, appraiser, body), 409)
        assert "thời gian thẩm định" in problem["detail"]
    ok(
        client.patch(
            url, json={"appraisal_opens": day(-9), "appraisal_closes": day(-1)}, headers=admin
        )
    )
    assert "Đã hết" in assert_problem(post(world, sid, "finish", appraiser), 409)["detail"]
    ok(client.patch(url, json={"appraisal_closes": None}, headers=admin))
    assert ok(post(world, sid, "finish", appraiser))["status"] == "appraised"


def test_a_period_pins_its_release(world):
    client, admin = world["client"], world["admin"]
    pinned = period(world, "2036", ref=REF)
    # The same release by its short name is accepted; another version is refused.
    same = ok(create(world, "so-tai-chinh", "2036", admin, ref="2022"), 201)
    assert same["ref"] == "2022"
    problem = assert_problem(create(world, "so-y-te", "2036", admin, ref="main"), 422)
    assert problem["errors"][0]["path"] == "$.ref" and REF in problem["detail"]
    assert "phiên bản" in problem["detail"]
    r = client.patch(f"/api/submissions/{same['id']}", json={"ref": "main"}, headers=admin)
    assert assert_problem(r, 422)["errors"][0]["path"] == "$.ref"
    assert pinned["commit"] and len(pinned["commit"]) == 40
    # A submission outside any period keeps today's behaviour: no pin, no deadline.
    free = ok(create(world, "so-tai-chinh", "2099", admin, ref="main"), 201)
    assert free["ref"] == "main"
    with db(client) as session:
        moves = session.exec(
            select(SubmissionTransition).where(SubmissionTransition.submission_id == free["id"])
        ).all()
        assert [m.action for m in moves] == ["create"]


def test_periods_are_kept_by_the_cohorts_managers(world):
    client, make = world["client"], world["make"]
    dates = {
        "self_assessment_opens": "2025-11-15",
        "self_assessment_closes": "2026-01-15",
        "appraisal_opens": "2026-02-01",
        "appraisal_closes": "2026-03-15",
        "survey_import": "2026-02-20",
        "preliminary_publication": "2026-03-20",
        "objection_opens": "2026-03-21",
        "objection_closes": "2026-03-31",
        "final_publication": "2026-04-15",
    }
    body = {"cohort": COHORT, "period": "2025", "ref": REF, **dates, "late": "flag"}
    # The cohort's methodology belongs to Đắk Lắk: its editors manage the period.
    for who in (
        make("province_editor", province="ha-noi"),
        make("ministry_editor"),
        make("appraiser"),
        world["submitter"],
    ):
        assert_problem(client.post("/api/periods", json=body, headers=who), 403)
    assert_problem(client.post("/api/periods", json=body), 401)
    editor = make("province_editor", province="dak-lak")
    created = ok(client.post("/api/periods", json=body, headers=editor), 201)
    assert {k: created[k] for k in dates} == dates
    assert created["methodology"] == METHODOLOGY and created["late"] == "flag"
    with db(client) as session:
        row = session.exec(
            select(AssessmentPeriod).where(AssessmentPeriod.id == created["id"])
        ).one()
        stored = (row.survey_import, row.preliminary_publication, row.final_publication)
        assert stored == (dt.date(2026, 2, 20), dt.date(2026, 3, 20), dt.date(2026, 4, 15))
        assert (row.objection_opens, row.objection_closes) == (
            dt.date(2026, 3, 21),
            dt.date(2026, 3, 31),
        )
    assert_problem(client.post("/api/periods", json=body, headers=editor), 409)
    url = f"/api/periods/{COHORT}/2025"
    reader = world["submitter"]
    assert ok(client.get(url, headers=reader)) == created
    assert created in ok(client.get("/api/periods", params={"cohort": COHORT}, headers=reader))
    assert_problem(client.get(url), 401)
    assert_problem(client.get(f"/api/periods/{COHORT}/1999", headers=reader), 404)
    assert_problem(client.get("/api/periods", params={"cohort": "khong-co"}, headers=reader), 404)
    # Changes are checked as a whole; a wrong one changes nothing.
    bad = {"objection_closes": "2026-03-01"}
    problem = assert_problem(client.patch(url, json=bad, headers=editor), 422)
    assert problem["errors"][0]["path"] == "$.objection_closes"
    assert_problem(client.patch(url, json={"late": "maybe"}, headers=editor), 400)
    assert_problem(client.patch(url, json={"ref": "khong-co"}, headers=editor), 422)
    assert_problem(client.patch(url, json={"late": "refuse"}, headers=reader), 403)
    assert ok(client.get(url, headers=reader)) == created
    changed = ok(client.patch(url, json={"ref": None, "late": "refuse"}, headers=editor))
    assert (changed["ref"], changed["commit"], changed["late"]) == (None, None, "refuse")
    with db(client) as session:
        actions = session.exec(
            select(AuditEntry.action).where(
                AuditEntry.entity == "period", AuditEntry.entity_id == str(created["id"])
            )
        ).all()
        assert actions == ["period.create", "period.update"]


def test_the_documented_table_is_the_code():
    text = (Path(__file__).resolve().parents[2] / "docs" / "cycle.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (—|[a-z]+) \| ([a-z]+) \| ([a-z]+) \| ([a-z.]+) \|", text, re.M)
    documented = {(None if s == "—" else s, a, t, p) for s, a, t, p in rows if s != "from"}
    assert documented == {(t.source, t.action, t.target, t.permission) for t in TRANSITIONS}
