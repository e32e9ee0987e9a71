"""Preliminary and final results, objections (kiến nghị) and their answers, through the
test client on SQLite and PostgreSQL: the whole cycle from a preliminary publication to
the final one and the difference it shows, reproducing a publication from its stored
inputs (and catching a changed row), who may do what, and bad input refused at its
field with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from server.models import (
    PUBLICATION_STAGES,
    Appraisal,
    AuditEntry,
    Evaluation,
    Objection,
    Publication,
    PublicationInput,
    Submission,
)
from server.schemas import PublicationStage
from server.services.objections import criteria_of
from server.services.publications import today
from server.services.submissions import program_for
from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    REF,
    add_units,
    appraise_as_sample,
    assert_problem,
    count,
    db,
    paths,
    post_submission,
    sample,
    survey_scores,
)

UNITS = ("so-noi-vu", "so-tu-phap", "thanh-tra-tinh")
COHORT = {"cohort": "daklak-so", "period": PERIOD}
DOCUMENT = {"document_number": "123/QĐ-UBND", "document_date": "2024-04-15"}
INPUT = "khong_vuot_so_nguoi_lam_viec"  # set false in Sở Nội vụ's submission (`cycle`)


def preliminary_body(**changes) -> dict:
    close = today().isoformat()
    return {**COHORT, "ref": REF, **DOCUMENT, "objections_close": close, **changes}


def final_body(**changes) -> dict:
    return {**COHORT, **DOCUMENT, "stage": "final", "document_number": "200/QĐ-UBND", **changes}


@pytest.fixture
def cycle(client, make_user):
    """Three Đắk Lắk departments submitted, appraised and surveyed; their preliminary
    result published by the province's editor today, objections taken until today."""
    admin = make_user("admin")
    add_units(client, admin, only=set(UNITS))
    program = program_for(client.app.state.services.store, METHODOLOGY, REF)
    (node,) = [leaf.node.id for leaf in program.leaves if INPUT in leaf.node.inputs]
    for unit in UNITS:
        changes = {}
        if unit == "so-noi-vu":  # scored on INPUT, false: an objection can raise its points
            data = sample(unit)
            claims = {k: v for k, v in data["not_applicable"].items() if k != node}
            changes = {"values": {**data["values"], INPUT: False}, "not_applicable": claims}
        submission = post_submission(client, admin, unit, **changes)["id"]
        appraise_as_sample(client, admin, submission, unit)
    survey = {"methodology": METHODOLOGY, "ref": REF, "period": PERIOD}
    r = client.post(
        "/api/surveys", json={**survey, "scores": survey_scores(list(UNITS))}, headers=admin
    )
    assert r.status_code == 201, r.text
    editor = make_user("province_editor", province="dak-lak")
    r = client.post("/api/publications", json=preliminary_body(), headers=editor)
    assert r.status_code == 201, r.text
    return {
        "admin": admin,
        "editor": editor,
        "appraiser": make_user("appraiser"),
        "noi_vu": make_user("unit_submitter", unit_id="so-noi-vu"),
        "tu_phap": make_user("unit_submitter", unit_id="so-tu-phap"),
        "preliminary": r.json(),
        "node": node,
        "program": program,
    }


def close_window(client, publication_id: int) -> None:
    """The objection window's last day passes (the stored date moves to yesterday)."""
    with db(client) as session:
        row = session.get(Publication, publication_id)
        row.objections_close = today() - dt.timedelta(days=1)
        session.add(row)
        session.commit()


def written(client) -> tuple[int, ...]:
    return tuple(count(client, m) for m in (Objection, Appraisal, Publication, AuditEntry))


def test_the_stages_are_the_models():
    assert PublicationStage.__args__ == PUBLICATION_STAGES


def test_a_preliminary_result_objected_answered_and_made_final(client, cycle):
    pre = cycle["preliminary"]
    assert pre["stage"] == "preliminary" and pre["objections_open"]
    assert pre["objections_close"] == today().isoformat()
    # Anyone reads the preliminary result; it names its stage and window.
    r = client.get("/api/rankings", params=COHORT)
    assert r.status_code == 200 and r.json()["publication"]["stage"] == "preliminary"
    before = {u["unit"]: u for u in r.json()["units"]}

    node = cycle["node"]
    r = client.post(
        f"/api/publications/{pre['id']}/objections",
        json={
            "node": node,
            "reason": "Sở đã không vượt số người làm việc được giao",
            "documents": [{"number": "45/BC-SNV", "date": "10/01/2024", "issuer": "Sở Nội vụ"}],
        },
        headers=cycle["noi_vu"],
    )
    assert r.status_code == 201, r.text
    accepted = r.json()
    assert accepted["unit_id"] == "so-noi-vu" and accepted["status"] == "open"
    assert accepted["documents"][0]["number"] == "45/BC-SNV"
    other = next(leaf.node.id for leaf in cycle["program"].leaves if leaf.node.id != node)
    r = client.post(
        f"/api/publications/{pre['id']}/objections",
        json={"node": other, "reason": "Đề nghị xem lại điểm"},
        headers=cycle["tu_phap"],
    )
    assert r.status_code == 201, r.text
    rejected = r.json()

    # The final result waits for the window to close …
    state = written(client)
    r = client.post("/api/publications", json=final_body(), headers=cycle["editor"])
    assert_problem(r, 409)
    assert "Thời hạn kiến nghị" in r.json()["detail"] and paths(r) == ["$.stage"]
    assert written(client) == state

    # … the appraiser accepts the first objection: an appraisal with it as the reason.
    r = client.post(
        f"/api/objections/{accepted['id']}/answer",
        json={
            "decision": "accepted",
            "answer": "Đúng, đã đối chiếu báo cáo biên chế",
            "changes": [{"key": INPUT, "value": True}],
        },
        headers=cycle["appraiser"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and len(r.json()["appraisals"]) == 1
    with db(client) as session:
        appraisal = session.get(Appraisal, r.json()["appraisals"][0])
        assert appraisal.key == INPUT and appraisal.value is True
        assert f"kiến nghị số {accepted['id']}" in appraisal.reason
    # The published preliminary numbers do not move.
    assert {u["unit"]: u for u in client.get("/api/rankings", params=COHORT).json()["units"]} == (
        before
    )

    close_window(client, pre["id"])
    # Filing after the window is refused.
    r = client.post(
        f"/api/publications/{pre['id']}/objections",
        json={"node": other, "reason": "Muộn"},
        headers=cycle["noi_vu"],
    )
    assert_problem(r, 409)
    assert "đã kết thúc" in r.json()["detail"]
    # … and every objection must be answered first.
    state = written(client)
    r = client.post("/api/publications", json=final_body(), headers=cycle["editor"])
    assert_problem(r, 409)
    assert f"số {rejected['id']}" in r.json()["detail"]
    assert written(client) == state
    r = client.post(
        f"/api/objections/{rejected['id']}/answer",
        json={"decision": "rejected", "answer": "Không có minh chứng mới"},
        headers=cycle["appraiser"],
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["appraisals"] == []

    r = client.post("/api/publications", json=final_body(), headers=cycle["editor"])
    assert r.status_code == 201, r.text
    final = r.json()
    assert final["stage"] == "final" and final["preliminary"] == pre["id"]
    assert final["commit"] == pre["commit"] and final["objections_close"] is None
    answer = client.get("/api/rankings", params=COHORT).json()
    assert answer["publication"]["id"] == final["id"]
    after = {u["unit"]: u for u in answer["units"]}
    assert after["so-noi-vu"]["total"] > before["so-noi-vu"]["total"]
    assert after["so-tu-phap"] == before["so-tu-phap"]

    r = client.get(f"/api/publications/{final['id']}/difference")
    assert r.status_code == 200, r.text
    units = {u["unit"]: u for u in r.json()["units"]}
    noi_vu = units["so-noi-vu"]
    assert noi_vu["changed"] and noi_vu["total_after"] != noi_vu["total_before"]
    assert noi_vu["rank_before"] == str(before["so-noi-vu"]["rank"])
    assert noi_vu["rank_after"] == str(after["so-noi-vu"]["rank"])
    changed = {c["node"]: c for c in noi_vu["criteria"]}
    assert changed[node]["objections"] == [accepted["id"]]
    assert changed[node]["after"] != changed[node]["before"]
    assert not units["so-tu-phap"]["changed"] and units["so-tu-phap"]["criteria"] == []
    assert [o["status"] for o in r.json()["objections"]] == ["accepted", "rejected"]
    # A preliminary publication has no difference; a second final is refused.
    assert_problem(client.get(f"/api/publications/{pre['id']}/difference"), 409)
    r = client.post("/api/publications", json=final_body(), headers=cycle["editor"])
    assert_problem(r, 409, extra=frozenset({"existing"}))
    # The preliminary stays while its final is in force; the final is withdrawn first.
    r = client.post(
        f"/api/publications/{pre['id']}/withdraw", json={"reason": "x"}, headers=cycle["editor"]
    )
    assert_problem(r, 409)
    # Nothing about an objection is ever deleted: the history is all there.
    history = client.get(f"/api/publications/{pre['id']}/objections", headers=cycle["admin"])
    assert [o["id"] for o in history.json()] == [accepted["id"], rejected["id"]]
    # Answered once.
    r = client.post(
        f"/api/objections/{rejected['id']}/answer",
        json={"decision": "accepted", "answer": "Đổi ý", "changes": [{"key": INPUT, "value": 1}]},
        headers=cycle["appraiser"],
    )
    assert_problem(r, 409)


def test_verify_reproduces_a_publication_and_finds_a_changed_row(client, cycle):
    # (What an objection to a whole field may change: every input its leaves read.)
    program = cycle["program"]
    leaf = next(lf for lf in program.leaves if lf.node.id == cycle["node"])
    inputs, _manual = criteria_of(program, leaf.ancestors[0])
    assert INPUT in inputs and inputs >= set(leaf.node.inputs)
    pre = cycle["preliminary"]
    r = client.get(f"/api/publications/{pre['id']}/verify")
    assert r.status_code == 200, r.text
    checked = r.json()
    assert checked["differences"] == [] and checked["reproduced"]
    assert checked["recomputed_hash"] == pre["ranking_hash"] == checked["ranking_hash"]
    assert {u["unit"] for u in checked["units"]} == set(UNITS)
    with db(client) as session:
        stored = {
            i.unit_id: i
            for i in session.exec(
                select(PublicationInput).where(PublicationInput.publication_id == pre["id"])
            ).all()
        }
        assert stored["so-noi-vu"].input_hash == next(
            u["input_hash"] for u in checked["units"] if u["unit"] == "so-noi-vu"
        )
        assert stored["so-noi-vu"].appraisals  # the sample's appraisal rows
        stored_inputs = dict(stored["so-noi-vu"].inputs)
        # A stored total changed by hand …
        evaluation = session.get(Evaluation, pre["evaluations"]["so-tu-phap"])
        evaluation.total = "99"
        session.add(evaluation)
        session.commit()
    r = client.get(f"/api/publications/{pre['id']}/verify")
    assert r.status_code == 200 and not r.json()["reproduced"]
    assert "$.units.so-tu-phap.total" in [d["path"] for d in r.json()["differences"]]
    # … and an input: its hash no longer matches, nor the result and ranking.
    with db(client) as session:
        row = session.get(PublicationInput, (pre["id"], "so-noi-vu"))
        row.inputs = {**stored_inputs, "values": {**stored_inputs["values"], INPUT: True}}
        session.add(row)
        session.commit()
    found = [
        d["path"] for d in client.get(f"/api/publications/{pre['id']}/verify").json()["differences"]
    ]
    assert "$.units.so-noi-vu.input_hash" in found and "$.ranking_hash" in found


def test_who_may_object_answer_and_read(client, make_user, cycle):
    pre, node = cycle["preliminary"], cycle["node"]
    url = f"/api/publications/{pre['id']}/objections"
    state = written(client)
    body = {"node": node, "reason": "Lý do"}
    for headers, status in (
        ({}, 401),
        (cycle["appraiser"], 403),
        (cycle["editor"], 403),
        (make_user("auditor"), 403),
    ):
        assert_problem(client.post(url, json=body, headers=headers), status)
    # A submitter objects for their own unit only.
    r = client.post(url, json={**body, "unit_id": "so-tu-phap"}, headers=cycle["noi_vu"])
    assert_problem(r, 403)
    assert written(client) == state
    filed = client.post(url, json=body, headers=cycle["noi_vu"]).json()
    answer = {"decision": "rejected", "answer": "Không"}
    for headers, status in (
        ({}, 401),
        (cycle["noi_vu"], 403),
        (cycle["editor"], 403),
        (make_user("auditor"), 403),
    ):
        r = client.post(f"/api/objections/{filed['id']}/answer", json=answer, headers=headers)
        assert_problem(r, status)
    # Reading: the roles that read rankings all; a submitter the unit's own; nobody else.
    assert [o["id"] for o in client.get(url, headers=make_user("auditor")).json()] == [filed["id"]]
    assert client.get(url, headers=cycle["tu_phap"]).json() == []
    assert client.get(url, headers=cycle["noi_vu"]).json()[0]["id"] == filed["id"]
    assert_problem(client.get(url), 401)
    assert_problem(client.get(f"/api/objections/{filed['id']}", headers=cycle["tu_phap"]), 403)
    r = client.get(f"/api/objections/{filed['id']}", headers=cycle["noi_vu"])
    assert r.status_code == 200 and r.json()["node"] == node
    # Only the publisher publishes the final result.
    close_window(client, pre["id"])
    r = client.post(f"/api/objections/{filed['id']}/answer", json=answer, headers=cycle["admin"])
    assert r.status_code == 200, r.text
    for headers in (cycle["appraiser"], make_user("ministry_editor"), cycle["noi_vu"]):
        assert_problem(client.post("/api/publications", json=final_body(), headers=headers), 403)


BAD_OBJECTIONS = [
    ({"node": "khong-co-muc-nay"}, 422, "$.node"),
    ({"node": "Khong Co"}, 400, "$.node"),
    ({"reason": ""}, 400, "$.reason"),
    ({"documents": [{"so": "1"}]}, 400, "$.documents[0].so"),
    ({"evidence": [999]}, 422, "$.evidence[0]"),
    ({"unit_id": "khong-co"}, 403, None),
    ({"mesage": "x"}, 400, "$.mesage"),
]


def test_bad_objections_are_refused_with_nothing_written(client, cycle):
    state = written(client)
    for change, status, path in BAD_OBJECTIONS:
        body = {"node": cycle["node"], "reason": "Lý do", **change}
        r = client.post(
            f"/api/publications/{cycle['preliminary']['id']}/objections",
            json=body,
            headers=cycle["noi_vu"],
        )
        assert_problem(r, status)
        if path:
            assert path in paths(r), (change, r.json())
    assert written(client) == state


def test_a_duplicate_and_objections_outside_a_window_are_refused(client, cycle):
    pre = cycle["preliminary"]
    url = f"/api/publications/{pre['id']}/objections"
    body = {"node": cycle["node"], "reason": "Lý do"}
    first = client.post(url, json=body, headers=cycle["noi_vu"]).json()
    state = written(client)
    r = client.post(url, json=body, headers=cycle["noi_vu"])
    assert_problem(r, 409)
    assert paths(r) == ["$.node"] and f"số {first['id']}" in r.json()["detail"]
    assert_problem(
        client.post("/api/publications/999/objections", json=body, headers=cycle["noi_vu"]), 404
    )
    assert written(client) == state
    # A preliminary window cannot close before today.
    r = client.post(
        "/api/publications",
        json=preliminary_body(objections_close="2020-01-01"),
        headers=cycle["editor"],
    )
    assert_problem(r, 422)
    assert paths(r) == ["$.objections_close"]
    for bad, path in (
        ({"objections_close": None}, "$.objections_close"),
        ({"stage": "final", "objections_close": "2099-01-01"}, "$.objections_close"),
        ({"stage": "final", "objections_close": None, "ref": REF}, "$.ref"),
        ({"stage": "so-bo"}, "$.stage"),
    ):
        body_ = {k: v for k, v in {**preliminary_body(), **bad}.items() if v is not None}
        r = client.post("/api/publications", json=body_, headers=cycle["editor"])
        assert_problem(r, 400)
        assert path in paths(r), (bad, r.json())
    assert written(client) == state


BAD_ANSWERS = [
    ({"decision": "maybe", "answer": "x"}, 400, "$.decision"),
    ({"decision": "accepted", "answer": ""}, 400, "$.answer"),
    ({"decision": "accepted", "answer": "Đúng"}, 422, "$.changes"),
    (
        {"decision": "rejected", "answer": "Không", "changes": [{"key": INPUT, "value": 1}]},
        400,
        "$.changes",
    ),
    (
        {"decision": "accepted", "answer": "Đúng", "changes": [{"key": "so_khong_co"}]},
        400,
        "$.changes[0]",
    ),
    (
        {"decision": "accepted", "answer": "Đúng", "changes": [{"key": "x", "value": 1}]},
        422,
        "$.changes[0].key",
    ),
    (
        {"decision": "accepted", "answer": "Đúng", "changes": [{"key": INPUT, "value": "?"}]},
        422,
        "$.changes[0].value",
    ),
]


def test_bad_answers_are_refused_with_nothing_written(client, cycle):
    filed = client.post(
        f"/api/publications/{cycle['preliminary']['id']}/objections",
        json={"node": cycle["node"], "reason": "Lý do"},
        headers=cycle["noi_vu"],
    ).json()
    state = written(client)
    for answer, status, path in BAD_ANSWERS:
        r = client.post(
            f"/api/objections/{filed['id']}/answer", json=answer, headers=cycle["appraiser"]
        )
        assert_problem(r, status)
        assert path in paths(r), (answer, r.json())
    assert_problem(
        client.post(
            "/api/objections/999/answer", json=BAD_ANSWERS[0][0], headers=cycle["appraiser"]
        ),
        400,
    )
    r = client.post(
        "/api/objections/999/answer",
        json={"decision": "rejected", "answer": "x"},
        headers=cycle["appraiser"],
    )
    assert_problem(r, 404)
    assert written(client) == state
    r = client.get(f"/api/objections/{filed['id']}", headers=cycle["appraiser"])
    assert r.json()["status"] == "open"


def test_an_objection_is_answered_after_the_appraisal_window_has_closed(client, cycle):
    """Objections come after appraisal: the period's appraisal window, closed by then,
    refuses the council's own appraisals but not the answer to an objection."""
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    body = {"cohort": "daklak-so", "period": PERIOD, "appraisal_closes": yesterday}
    assert client.post("/api/periods", json=body, headers=cycle["admin"]).status_code == 201
    pre = cycle["preliminary"]
    r = client.post(
        f"/api/publications/{pre['id']}/objections",
        json={"node": cycle["node"], "reason": "Sở đã không vượt số người làm việc được giao"},
        headers=cycle["noi_vu"],
    )
    assert r.status_code == 201, r.text
    objection = r.json()["id"]
    with db(client) as session:
        (submission,) = session.exec(
            select(Submission.id).where(Submission.unit_id == "so-noi-vu")
        ).all()
    direct = {"key": INPUT, "value": True, "reason": "Thẩm định bổ sung"}
    r = client.post(
        f"/api/submissions/{submission}/appraisals", json=direct, headers=cycle["appraiser"]
    )
    assert_problem(r, 409)
    assert "Đã hết thời gian thẩm định" in r.json()["detail"]
    r = client.post(
        f"/api/objections/{objection}/answer",
        json={"decision": "accepted", "answer": "Đúng", "changes": [{"key": INPUT, "value": True}]},
        headers=cycle["appraiser"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and len(r.json()["appraisals"]) == 1


def test_the_window_defaults_to_the_periods_scheduled_last_day(client, cycle):
    pre = cycle["preliminary"]
    r = client.post(
        f"/api/publications/{pre['id']}/withdraw",
        json={"reason": "Công bố lại theo lịch của kỳ đánh giá"},
        headers=cycle["editor"],
    )
    assert r.status_code == 200, r.text
    body = {k: v for k, v in preliminary_body().items() if k != "objections_close"}
    # Without a window, and without a schedule that names one: refused.
    r = client.post("/api/publications", json=body, headers=cycle["editor"])
    assert_problem(r, 400)
    assert r.json()["errors"][0]["path"] == "$.objections_close"
    last = (today() + dt.timedelta(days=10)).isoformat()
    schedule = {"cohort": "daklak-so", "period": PERIOD, "objection_closes": last}
    assert client.post("/api/periods", json=schedule, headers=cycle["admin"]).status_code == 201
    r = client.post("/api/publications", json=body, headers=cycle["editor"])
    assert r.status_code == 201, r.text
    assert r.json()["objections_close"] == last and r.json()["stage"] == "preliminary"
