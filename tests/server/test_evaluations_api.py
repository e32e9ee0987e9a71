"""`/api/surveys` and `/api/evaluations` through the test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util

import pytest

from evaluators import CompiledEngine, load_submission, score
from evaluators.runner import program_for
from server.models import AuditEntry, Evaluation, SurveyImport, SurveyScore
from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    REF,
    SAMPLES,
    add_units,
    appraise_as_sample,
    audit,
    count,
    paths,
    post_submission,
    survey_scores,
)

UNIT = "so-noi-vu"


@pytest.fixture
def people(client, make_user):
    admin = make_user("admin")
    add_units(client, admin, only={UNIT, "so-tu-phap"})
    return {
        "admin": admin,
        "submitter": make_user("unit_submitter", unit_id=UNIT),
        "other": make_user("unit_submitter", unit_id="so-tu-phap"),
        "appraiser": make_user("appraiser"),
        "auditor": make_user("auditor"),
    }


def import_survey(client, headers, units, **changes):
    body = {"methodology": METHODOLOGY, "ref": REF, "period": PERIOD}
    body["scores"] = survey_scores(units)
    body.update(changes)
    return client.post("/api/surveys", json=body, headers=headers)


# -- surveys -------------------------------------------------------------------------


def test_survey_import_is_stored_and_audited(client, people):
    r = import_survey(client, people["appraiser"], [UNIT])
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["scores"]) == 12 and body["period"] == PERIOD
    assert count(client, SurveyImport) == 1 and count(client, SurveyScore) == 12
    (entry,) = audit(client, "survey.import")
    first = survey_scores([UNIT])[0]  # the sample's first score, stored as exact text
    assert entry.before is None and entry.after["scores"][0] == {
        **first,
        "score": str(first["score"]),
    }


def test_survey_import_refused_with_nothing_stored(client, people):
    before = [count(client, m) for m in (SurveyImport, SurveyScore, AuditEntry)]
    for who in ("submitter", "other"):
        assert import_survey(client, people[who], [UNIT]).status_code == 403
    scores = [
        {"unit_id": UNIT, "node_id": "ban-hanh-ke-hoach-cchc", "score": 1},  # not a survey
        {"unit_id": UNIT, "node_id": "chat-luong-vbqppl", "score": 4.45},  # max 4.44
        {"unit_id": "khong-co", "node_id": "tac-dong-phan-cap", "score": "0.5"},
        {"unit_id": UNIT, "node_id": "tac-dong-phan-cap", "score": "nhiều"},
        {"unit_id": UNIT, "node_id": "chat-luong-vbqpl", "score": 1},  # a typo
    ]
    r = import_survey(client, people["appraiser"], [], scores=scores)
    assert r.status_code == 422
    assert paths(r) == [
        "$.scores[0].node_id",
        "$.scores[1].score",
        "$.scores[2].unit_id",
        "$.scores[3].score",
        "$.scores[4].node_id",
    ]
    assert "did you mean `chat-luong-vbqppl`" in r.json()["errors"][-1]["message"]
    r = import_survey(client, people["appraiser"], [UNIT], methodology="khong-co")
    assert r.status_code == 422 and paths(r) == ["$.methodology"]
    assert [count(client, m) for m in (SurveyImport, SurveyScore, AuditEntry)] == before


# -- evaluations ---------------------------------------------------------------------


def _appraised(client, people) -> int:
    submission = post_submission(client, people["submitter"], UNIT)
    assert import_survey(client, people["appraiser"], [UNIT]).status_code == 201
    appraise_as_sample(client, people["appraiser"], submission["id"], UNIT)
    return submission["id"]


def _without_by(value):
    if isinstance(value, dict):
        return {k: _without_by(v) for k, v in value.items() if k != "by"}
    if isinstance(value, list):
        return [_without_by(v) for v in value]
    return value


def evaluate(client, headers, ids, **changes):
    body = {"submissions": ids, "methodology": METHODOLOGY, "ref": REF, **changes}
    return client.post("/api/evaluations", json=body, headers=headers)


def test_evaluation_is_stored_and_matches_scoring_the_sample_file(client, people, store):
    submission_id = _appraised(client, people)
    r = evaluate(client, people["auditor"], [submission_id])
    assert r.status_code == 201, r.text
    (evaluation,) = r.json()
    expected = score(
        program_for(store, f"{METHODOLOGY}@{REF}"),
        load_submission(SAMPLES / f"{UNIT}.yaml"),
        CompiledEngine(),
    )
    assert evaluation["result_hash"] == expected.result_hash
    assert evaluation["input_hash"] == expected.submission_hash
    assert evaluation["total"] == str(expected.total) and evaluation["index"] == str(expected.index)
    assert evaluation["engine"] == "compiled" and evaluation["engine_version"] == "1"
    # The full trace, the same but for who appraised (a user here, "the council" in the file).
    assert _without_by(evaluation["result"]["nodes"]) == _without_by(expected.to_json()["nodes"])
    stored = client.get(f"/api/evaluations/{evaluation['id']}", headers=people["submitter"])
    assert stored.status_code == 200 and stored.json() == evaluation
    (entry,) = audit(client, "evaluation.run")
    assert (
        entry.entity_id == str(evaluation["id"])
        and entry.after["result_hash"] == evaluation["result_hash"]
    )
    again = evaluate(client, people["auditor"], [submission_id]).json()[0]
    assert again["id"] != evaluation["id"] and again["result_hash"] == evaluation["result_hash"]
    assert count(client, Evaluation) == 2


@pytest.mark.skipif(
    importlib.util.find_spec("evaluators.engines.durable.engine") is None,
    reason="no durable engine yet",
)
def test_both_engines_give_the_same_result_hash(client, people):
    submission_id = _appraised(client, people)
    compiled = evaluate(client, people["auditor"], [submission_id], engine="compiled")
    durable = evaluate(client, people["auditor"], [submission_id], engine="durable")
    assert durable.status_code == 201, durable.text
    a, b = compiled.json()[0], durable.json()[0]
    assert b["engine"] == "durable" and a["result_hash"] == b["result_hash"]
    assert a["result"]["nodes"] == b["result"]["nodes"]


def test_appraisal_changes_the_appraised_total_not_the_self_assessed(client, people):
    submission = post_submission(client, people["submitter"], UNIT)
    url = f"/api/submissions/{submission['id']}/appraisals"
    import_survey(client, people["appraiser"], [UNIT])
    manual = {"key": "muc-tieu-chuong-trinh-tong-the", "points": "0.85", "reason": "Hội đồng"}
    assert client.post(url, json=manual, headers=people["appraiser"]).status_code == 201
    first = evaluate(client, people["auditor"], [submission["id"]]).json()[0]["result"]
    change = {"key": "bao_cao_cchc_du_dung_han", "value": False, "reason": "Thiếu tài liệu"}
    assert client.post(url, json=change, headers=people["appraiser"]).status_code == 201
    second = evaluate(client, people["auditor"], [submission["id"]]).json()[0]["result"]
    assert second["self_assessed"] == first["self_assessed"]
    assert float(second["total"]) < float(first["total"])
    assert [d["reasons"] for d in second["differences"]] == [["Thiếu tài liệu"]]


def test_evaluation_permissions_and_errors(client, people):
    submission_id = _appraised(client, people)
    before = count(client, Evaluation), count(client, AuditEntry)
    assert evaluate(client, people["other"], [submission_id]).status_code == 403
    assert evaluate(client, None, [submission_id]).status_code == 401
    r = evaluate(client, people["auditor"], [submission_id, 999999])
    assert r.status_code == 422 and paths(r) == ["$.submissions[1]"]
    r = evaluate(client, people["auditor"], [submission_id], engine="fast")
    assert r.status_code == 422 and paths(r) == ["$.engine"]
    r = evaluate(client, people["auditor"], [submission_id], ref="daklak-so/1999")
    assert r.status_code == 422 and paths(r) == ["$.ref"]
    r = evaluate(client, people["auditor"], ["1"], cohort={"id": "daklak-so", "period": "2023"})
    assert r.status_code == 400
    assert (count(client, Evaluation), count(client, AuditEntry)) == before
    own = evaluate(client, people["submitter"], [submission_id])
    assert own.status_code == 201
    evaluation_id = own.json()[0]["id"]
    assert (
        client.get(f"/api/evaluations/{evaluation_id}", headers=people["other"]).status_code == 403
    )
    assert client.get("/api/evaluations/999999", headers=people["auditor"]).status_code == 404
