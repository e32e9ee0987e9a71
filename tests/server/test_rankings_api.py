"""`/api/rankings` through the test client, on SQLite and PostgreSQL: Đắk Lắk's 18
departments, posted from the bundled samples, ranked as `parindex rank` ranks the files."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluators import CompiledEngine
from evaluators.runner import rank_path
from server.models import AuditEntry, Evaluation
from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    QUERY,
    REF,
    SAMPLES,
    add_units,
    appraise_as_sample,
    cohort_units,
    count,
    post_submission,
    survey_scores,
)


@pytest.mark.slow  # 18 submissions through the API
def test_daklak_departments_ranked_with_two_unranked(client, make_user, store):
    admin, appraiser = make_user("admin"), make_user("appraiser")
    add_units(client, admin)
    units = [u["id"] for u in cohort_units()]
    assert len(units) == 18
    # A draft is work in progress: only submitted or appraised submissions are ranked.
    draft = post_submission(client, admin, "so-y-te", submit=False)
    r = client.get("/api/rankings", params=QUERY, headers=appraiser)
    assert r.status_code == 200 and r.json()["without_submission"] == sorted(units)
    for unit in units:
        if unit == "so-y-te":  # its draft is its submission of record: submitted now
            r = client.post(f"/api/submissions/{draft['id']}/submit", headers=admin)
            assert r.status_code == 200, r.text
            submission = r.json()
        else:
            submission = post_submission(client, admin, unit)
        appraise_as_sample(client, appraiser, submission["id"], unit)
    body = {"methodology": METHODOLOGY, "ref": REF, "period": PERIOD}
    r = client.post(
        "/api/surveys", json={**body, "scores": survey_scores(units)}, headers=appraiser
    )
    assert r.status_code == 201, r.text

    auditor = make_user("auditor")
    before = count(client, AuditEntry)
    r = client.get("/api/rankings", params=QUERY, headers=auditor)
    assert r.status_code == 200, r.text
    ranking = r.json()
    assert count(client, AuditEntry) == before  # a read writes nothing
    assert len(ranking["units"]) == 18 and ranking["without_submission"] == []
    unranked = {u["name"]: u for u in ranking["units"] if u["rank"] is None}
    assert set(unranked) == {"Ban Dân tộc tỉnh", "Thanh tra tỉnh"}
    assert all(u["index"] is not None and not u["ranked"] for u in unranked.values())
    assert sorted(u["rank"] for u in ranking["units"] if u["rank"] is not None)[0] == 1
    assert sum(ranking["bands"].values()) == 18
    expected = rank_path(store, f"{METHODOLOGY}@{REF}", SAMPLES, CompiledEngine(), period=PERIOD)
    assert {k: ranking[k] for k in ("note", "bands", "units")} == expected.to_json()

    # The cohort's evaluations, stored, give the same indices as the ranking.
    r = client.post(
        "/api/evaluations",
        json={"cohort": {"id": "daklak-so", "period": PERIOD}, "ref": REF},
        headers=auditor,
    )
    assert r.status_code == 201, r.text
    assert count(client, Evaluation) == 18
    indices = {e["unit_id"]: Decimal(e["index"]) for e in r.json()}
    assert indices == {u["unit"]: Decimal(str(u["index"])) for u in ranking["units"]}


def test_rankings_are_for_the_council_and_auditors(client, make_user):
    admin = make_user("admin")
    add_units(client, admin, only={"so-noi-vu"})
    submitter = make_user("unit_submitter", unit_id="so-noi-vu")
    assert client.get("/api/rankings", params=QUERY, headers=submitter).status_code == 403
    assert client.get("/api/rankings", params=QUERY).status_code == 401
    auditor = make_user("auditor")
    r = client.get("/api/rankings", params=QUERY, headers=auditor)
    assert r.status_code == 200 and r.json()["units"] == []
    assert r.json()["without_submission"] == ["so-noi-vu"]
    assert r.json()["published_comparison"] is None
    # Đắk Lắk published its departments' results for 2021, not for this period
    compared = client.get(
        "/api/rankings", params={**QUERY, "compare_published": "true"}, headers=auditor
    )
    assert compared.status_code == 404
    assert compared.json()["detail"] == f"no published results for daklak-so in {PERIOD}"
    missing = client.get("/api/rankings", params={"period": PERIOD}, headers=auditor)
    assert missing.status_code == 400 and missing.json()["errors"][0]["path"] == "$.query.cohort"
    unknown = {**QUERY, "cohort": "khong-co"}
    assert client.get("/api/rankings", params=unknown, headers=auditor).status_code == 404
    bad_ref = {**QUERY, "ref": "daklak-so/1999"}
    r = client.get("/api/rankings", params=bad_ref, headers=auditor)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.query.ref"
