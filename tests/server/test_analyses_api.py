"""`/api/audits` and `/api/sensitivity` through the test client, on SQLite and PostgreSQL.

The 63 provinces' 2021 submissions (made under 1149/QĐ-BNV) are posted, submitted and
appraised from the bundled samples, with their survey scores, and compared with
876/QĐ-BNV, filled from their 2022 submissions, as `parindex audit` compares the sample
files. Sensitivity runs, charts, reports, roles, and bad input that writes nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlmodel import select

from evaluators.runner import audit_request, program_for
from server.models import Analysis, AuditEntry
from server.services.samples import sample_documents
from tests.server.helpers import (
    FROM,
    PNG,
    TO,
    assert_problem,
    audit_body,
    cohort_units,
    count,
    db,
    provincial,
    sensitivity_body,
)
from tests.server.helpers import audit as audit_log

REFS = {"2021": "par-provincial/2019", "2022": "par-provincial/2022"}


def exact(number: Any) -> Decimal:
    """A JSON number as written (repr of a float is its shortest round-trip text)."""
    return Decimal(repr(number))


def assert_svg(r) -> None:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/svg+xml"
    assert ElementTree.fromstring(r.content).tag == "{http://www.w3.org/2000/svg}svg"


def assert_png(r) -> None:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert r.content.startswith(PNG)


def written(client) -> tuple[int, int]:
    return count(client, Analysis), count(client, AuditEntry)


# -- the provinces, through the workflow ---------------------------------------------


def load_provinces(client, admin, appraiser, periods=("2021", "2022")) -> list[str]:
    """The 63 provinces, and per period their samples submitted, appraised as the
    samples say, and the survey scores imported."""
    units = cohort_units("provinces")
    for u in units:
        body = {
            "id": u["id"],
            "name": u["name"],
            "level": "tỉnh",
            "cohorts": ["provinces"],
            "methodology": "par-provincial",
        }
        r = client.post("/api/units", json=body, headers=admin)
        assert r.status_code == 201, r.text
    ids = [u["id"] for u in units]
    for period in periods:
        scores = []
        for unit in ids:
            s = provincial(unit, period)
            draft = {
                "unit_id": unit,
                "period": period,
                "methodology": "par-provincial",
                "ref": REFS[period],
                "values": s["values"],
                "not_applicable": s.get("not_applicable") or {},
                "facts": s.get("facts") or {},
                "documents": sample_documents(s),
            }
            r = client.post("/api/submissions", json=draft, headers=admin)
            assert r.status_code == 201, r.text
            submission = r.json()["id"]
            r = client.post(f"/api/submissions/{submission}/submit", headers=admin)
            assert r.status_code == 200, r.text
            for key, entry in (s.get("appraisal") or {}).items():
                change = {"key": key, "reason": entry["reason"]}
                change.update(
                    {"points": entry["points"]} if "points" in entry else {"value": entry["value"]}
                )
                r = client.post(
                    f"/api/submissions/{submission}/appraisals", json=change, headers=appraiser
                )
                assert r.status_code == 201, r.text
            scores += [
                {"unit_id": unit, "node_id": node, "score": score}
                for node, score in (s.get("survey") or {}).items()
            ]
        survey = {
            "methodology": "par-provincial",
            "ref": REFS[period],
            "period": period,
            "scores": scores,
        }
        r = client.post("/api/surveys", json=survey, headers=appraiser)
        assert r.status_code == 201, r.text
    return ids


@pytest.mark.slow  # 126 submissions through the API
def test_provinces_audited_from_2019_to_2022_through_the_api(client, make_user, store):
    admin, appraiser, auditor = make_user("admin"), make_user("appraiser"), make_user("auditor")
    load_provinces(client, admin, appraiser)
    before = written(client)
    body = {
        "from": FROM,
        "to": {"methodology": "par-provincial", "ref": "par-provincial/2022"},
        "cohort": "provinces",
        "period": "2021",
        "fill_period": "2022",
    }
    r = client.post("/api/audits", json=body, headers=auditor)
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(created) == {"id", "kind", "created_at", "commits", "result", "charts"}
    assert created["kind"] == "audit"
    result = created["result"]
    assert result["summary"]["units"] == result["summary"]["complete"] == 63
    for unit in result["units"]:
        assert unit["complete"] and unit["missing"] == []
        amounts = [exact(e["amount"]) for e in unit["attribution"]]
        assert sum(amounts, Decimal(0)) == exact(unit["delta"]), unit["unit"]

    # The same comparison as `parindex audit` of the sample files (2021, filled from 2022).
    expected = json.loads(json.dumps(audit_request(store, FROM, TO).to_json()))
    for key in ("from", "to", "summary", "changes", "units"):
        assert result[key] == expected[key], key
    assert result["submissions"] == {
        "count": 63,
        "source": "cohort provinces, period 2021, filled from period 2022",
    }

    # Stored with both commits, in one transaction with its audit-log entry.
    commits = {
        "from": program_for(store, FROM).methodology.commit,
        "to": program_for(store, TO).methodology.commit,
    }
    assert created["commits"] == commits
    assert written(client) == (before[0] + 1, before[1] + 1)
    with db(client) as session:
        row = session.exec(select(Analysis)).one()
        assert row.id == created["id"] and row.kind == "audit"
        assert row.commits == commits and row.result == result
        assert row.request == {
            "from": {"methodology": "par-provincial", "ref": "par-provincial/2019"},
            "to": {"methodology": "par-provincial", "ref": "par-provincial/2022"},
            "cohort": "provinces",
            "period": "2021",
            "fill_period": "2022",
        }
        assert row.created_at.utcoffset() is not None
    entry = audit_log(client, "analysis.run")[-1]
    assert entry.entity == "analysis" and entry.entity_id == str(created["id"])
    assert entry.after["kind"] == "audit" and entry.after["commits"] == commits

    url = f"/api/audits/{created['id']}"
    got = client.get(url, headers=appraiser)
    assert got.status_code == 200 and got.json() == created
    assert written(client) == (before[0] + 1, before[1] + 1)  # reads write nothing

    report = client.get(f"{url}/report.md", headers=auditor)
    assert report.status_code == 200
    assert report.headers["content-type"] == "text/markdown; charset=utf-8"
    assert report.text.startswith("# So sánh điểm Chỉ số CCHC")
    assert f"]({url}/charts/slope.svg)" in report.text

    # Charts, drawn from the stored JSON.
    charts = created["charts"]
    assert charts["slope"] == {"svg": f"{url}/charts/slope.svg", "png": f"{url}/charts/slope.png"}
    largest = max(result["units"], key=lambda u: abs(exact(u["delta"])))
    assert charts["waterfall"]["unit"] == largest["unit"]
    assert charts["waterfall"]["svg"] == f"{url}/charts/waterfall.svg?unit={{unit}}"
    assert_svg(client.get(charts["slope"]["svg"], headers=auditor))
    assert_png(client.get(charts["slope"]["png"], headers=auditor))
    assert_svg(client.get(f"{url}/charts/waterfall.svg", headers=auditor))
    other = result["units"][-1]["unit"]
    png = client.get(charts["waterfall"]["png"].format(unit=other), headers=auditor)
    assert_png(png)
    assert png.content != client.get(f"{url}/charts/waterfall.png", headers=auditor).content
    r = client.get(f"{url}/charts/waterfall.svg", params={"unit": "khong-co"}, headers=auditor)
    assert_problem(r, 404)

    # Sensitivity of the 2022 ranking, from the same cohort: the same seed, the same result.
    run = {"methodology": TO, "cohort": "provinces", "period": "2022", "replications": 300}
    first = client.post("/api/sensitivity", json={**run, "seed": 7}, headers=auditor)
    assert first.status_code == 201, first.text
    second = client.post("/api/sensitivity", json={**run, "seed": 7}, headers=auditor)
    assert second.status_code == 201, second.text
    assert first.json()["result"] == second.json()["result"]
    assert first.json()["id"] != second.json()["id"]
    sens = first.json()["result"]
    assert sens["replications"] == 300 and sens["seed"] == 7 and len(sens["units"]) == 63
    assert first.json()["commits"] == {"methodology": commits["to"]}
    assert written(client) == (before[0] + 3, before[1] + 3)


# -- inline submissions --------------------------------------------------------------


def test_inline_audit_lists_an_incomplete_unit_and_charts_the_others(client, make_user):
    auditor = make_user("auditor")
    units = ["an-giang", "ha-noi", "hai-phong", "lao-cai"]
    body = audit_body(units)
    body["fill"] = body["fill"][:3]  # lao-cai lacks what 876 asks and 1149 did not
    r = client.post("/api/audits", json=body, headers=auditor)
    assert r.status_code == 201, r.text
    created = r.json()
    result = created["result"]
    assert result["summary"] == {**result["summary"], "units": 4, "complete": 3, "incomplete": 1}
    lao_cai = next(u for u in result["units"] if u["unit"] == "lao-cai")
    assert not lao_cai["complete"] and lao_cai["delta"] is None and lao_cai["missing"]
    for unit in result["units"]:
        if unit["complete"]:
            amounts = [exact(e["amount"]) for e in unit["attribution"]]
            assert sum(amounts, Decimal(0)) == exact(unit["delta"])
    url = f"/api/audits/{created['id']}"
    assert client.get(url, headers=auditor).json() == created
    with db(client) as session:
        row = session.get(Analysis, created["id"])
        assert row is not None and row.request["submissions"] == body["submissions"]
        assert row.request["from"] == {
            "methodology": "par-provincial",
            "ref": "par-provincial/2019",
        }
    r = client.get(f"{url}/charts/waterfall.svg", params={"unit": "lao-cai"}, headers=auditor)
    assert assert_problem(r, 422)["errors"][0]["path"] == "$.query.unit"
    assert_svg(client.get(f"{url}/charts/waterfall.svg?unit=ha-noi", headers=auditor))
    assert_problem(client.get(f"{url}/charts/pie.svg", headers=auditor), 404)
    assert_problem(client.get(f"{url}/charts/slope.gif", headers=auditor), 404)
    # An audit is not a sensitivity run, and the reverse.
    assert_problem(client.get(f"/api/sensitivity/{created['id']}", headers=auditor), 404)
    assert_problem(client.get("/api/audits/999999", headers=auditor), 404)


def test_an_audit_compares_versions_not_ref_spellings(client, make_user):
    """`par-provincial@2019` in the request and `ref: par-provincial/2019` in the
    submissions are one version: survey and council points are rescaled, as with the
    tags spelled out; the 2022 fill, spelled by commit, is validated under 876."""
    auditor = make_user("auditor")
    units = ["tp-ho-chi-minh", "ha-noi", "an-giang"]
    spelled = audit_body(units)
    short = {**spelled, "from": "par-provincial@2019", "to": "par-provincial@2022"}
    commit = client.get(
        "/api/methodologies/par-provincial?ref=par-provincial/2022", headers=auditor
    )
    short["fill"] = [{**f, "ref": commit.json()["commit"]} for f in spelled["fill"]]
    results = []
    for body in (spelled, short):
        r = client.post("/api/audits", json=body, headers=auditor)
        assert r.status_code == 201, r.text
        results.append(r.json()["result"])
    assert results[0]["units"] == results[1]["units"]
    assert results[1]["skipped"] == [] and results[1]["summary"]["skipped"] == 0
    hcm = next(u for u in results[1]["units"] if u["unit"] == "tp-ho-chi-minh")
    assert hcm["complete"] and any(n["kind"] == "points_rescaled" for n in hcm["notes"])
    # A submission naming a version the store does not have: carried as it is, listed.
    other = {
        **spelled,
        "submissions": [{**spelled["submissions"][0], "ref": "par-provincial/2031"}],
    }
    other["fill"] = spelled["fill"][:1]
    r = client.post("/api/audits", json=other, headers=auditor)
    assert r.status_code == 201, r.text
    skipped = r.json()["result"]["skipped"]
    assert {(s["reason"], s["unit"]) for s in skipped} == {("not_rescaled", "tp-ho-chi-minh")}
    assert "par-provincial@par-provincial/2031" in skipped[0]["message"]


def test_sensitivity_with_a_seed_is_reproducible(client, make_user):
    appraiser = make_user("appraiser")
    units = ["an-giang", "ha-noi", "hai-phong", "lao-cai", "nghe-an", "quang-ninh"]
    body = sensitivity_body(units, replications=500, seed=11, method="dirichlet")
    first = client.post("/api/sensitivity", json=body, headers=appraiser)
    second = client.post("/api/sensitivity", json=body, headers=appraiser)
    assert first.status_code == second.status_code == 201, first.text
    assert first.json()["result"] == second.json()["result"]
    created = first.json()
    assert created["kind"] == "sensitivity"
    result = created["result"]
    assert (result["replications"], result["seed"], result["method"]) == (500, 11, "dirichlet")
    assert (result["spread"], result["level"], result["concentration"]) == (0.2, "both", 200.0)
    assert len(result["units"]) == len(units) and result["drivers"]
    url = f"/api/sensitivity/{created['id']}"
    assert created["charts"] == {
        "ranks": {"svg": f"{url}/charts/ranks.svg", "png": f"{url}/charts/ranks.png"}
    }
    assert client.get(url, headers=appraiser).json() == created
    with db(client) as session:
        row = session.get(Analysis, created["id"])
        assert row is not None
        assert {k: row.request[k] for k in ("replications", "spread", "seed")} == {
            "replications": 500,
            "spread": 0.2,
            "seed": 11,
        }
    assert_svg(client.get(created["charts"]["ranks"]["svg"], headers=appraiser))
    assert_png(client.get(created["charts"]["ranks"]["png"], headers=appraiser))
    report = client.get(f"{url}/report.md", headers=appraiser)
    assert report.headers["content-type"] == "text/markdown; charset=utf-8"
    assert report.text.startswith("# Độ nhạy của thứ hạng theo trọng số")
    assert f"]({url}/charts/ranks.svg)" in report.text
    assert_problem(client.get(f"/api/audits/{created['id']}/report.md", headers=appraiser), 404)


# -- who may ------------------------------------------------------------------------


def test_analyses_are_for_auditors_the_council_and_editors(client, make_user):
    audit_request_body = audit_body(["ha-noi"])
    run = sensitivity_body(["ha-noi", "hai-phong"], replications=50)
    submitter = make_user("unit_submitter", unit_id="ha-noi")
    before = written(client)
    assert_problem(client.post("/api/audits", json=audit_request_body), 401)
    assert_problem(client.post("/api/sensitivity", json=run), 401)
    assert_problem(client.post("/api/audits", json=audit_request_body, headers=submitter), 403)
    assert_problem(client.post("/api/sensitivity", json=run, headers=submitter), 403)
    assert written(client) == before
    for role in ("auditor", "appraiser", "ministry_editor", "province_editor"):
        headers = make_user(role, province="ha-noi" if role == "province_editor" else None)
        r = client.post("/api/sensitivity", json=run, headers=headers)
        assert r.status_code == 201, (role, r.text)
    r = client.post("/api/audits", json=audit_request_body, headers=make_user("auditor"))
    assert r.status_code == 201, r.text
    url = f"/api/audits/{r.json()['id']}"
    for path in ("", "/report.md", "/charts/slope.svg"):
        assert_problem(client.get(url + path), 401)
        assert_problem(client.get(url + path, headers=submitter), 403)
    assert_problem(client.get("/api/audits/999999"), 401)  # nothing is revealed first
    assert client.get(url, headers=make_user("ministry_editor")).status_code == 200


# -- bad input writes nothing --------------------------------------------------------

VALID = audit_body(["ha-noi"])
BAD_VALUES = {
    **provincial("ha-noi", "2021"),
    "values": {
        **provincial("ha-noi", "2021")["values"],
        "ty_le_hoan_thanh_ke_hoach_cchc": 1.7,
        "ty_le_hoan_thanh_ke_hoach_cchc_x": 0.5,
    },
}
AUDIT_CASES: list[tuple[str, Any, int, list[str]]] = [
    ("not an object", [VALID], 400, ["$"]),
    ("unknown field", {**VALID, "form": FROM}, 400, ["$.form"]),
    ("no from", {k: v for k, v in VALID.items() if k != "from"}, 400, ["$.from"]),
    ("empty ref", {**VALID, "to": "par-provincial@"}, 400, ["$.to"]),
    ("bad slug", {**VALID, "to": {"methodology": "Par Provincial"}}, 400, ["$.to.methodology"]),
    (
        "unknown key",
        {**VALID, "to": {"methodology": "par-provincial", "tag": "x"}},
        400,
        ["$.to.tag"],
    ),
    ("version not text", {**VALID, "from": 2019}, 400, ["$.from"]),
    (
        "unknown methodology",
        {**VALID, "from": "par-provincal@par-provincial/2019"},
        422,
        ["$.from.methodology"],
    ),
    ("unknown ref", {**VALID, "to": "par-provincial@par-provincial/1999"}, 422, ["$.to.ref"]),
    (
        "unknown cohort",
        {"from": FROM, "to": TO, "cohort": "khong-co", "period": "2021"},
        422,
        ["$.cohort"],
    ),
    (
        "nothing submitted",
        {"from": FROM, "to": TO, "cohort": "provinces", "period": "2021"},
        422,
        ["$.period"],
    ),
    ("both", {**VALID, "cohort": "provinces"}, 400, ["$.cohort", "$.submissions"]),
    ("neither", {"from": FROM, "to": TO}, 400, ["$"]),
    ("cohort without period", {"from": FROM, "to": TO, "cohort": "provinces"}, 400, ["$.period"]),
    (
        "fill with a cohort",
        {"from": FROM, "to": TO, "cohort": "provinces", "period": "2021", "fill": []},
        400,
        ["$.fill"],
    ),
    ("period with inline submissions", {**VALID, "period": "2021"}, 400, ["$.period"]),
    ("empty submissions", {**VALID, "submissions": []}, 400, ["$.submissions"]),
    (
        "invalid submissions",
        {
            **VALID,
            "submissions": [
                {"unit": "an-giang", "value": {}},
                BAD_VALUES,
                provincial("ha-noi", "2021"),
                "hai-phong",
            ],
        },
        422,
        [
            "$.submissions[0].value",
            "$.submissions[0].period",
            "$.submissions[1].values.ty_le_hoan_thanh_ke_hoach_cchc",
            "$.submissions[1].values.ty_le_hoan_thanh_ke_hoach_cchc_x",
            "$.submissions[2].unit",
            "$.submissions[3]",
        ],
    ),
    (
        "invalid fill",
        {
            **VALID,
            "fill": [{"unit": "ha-noi", "period": "2022", "survey": {"chat-luong-vbqppl": "cao"}}],
        },
        422,
        ["$.fill[0].survey.chat-luong-vbqppl"],
    ),
    (
        "too many submissions",
        {**VALID, "submissions": [{"unit": f"u{i}", "period": "2021"} for i in range(1001)]},
        422,
        ["$.submissions"],
    ),
]
SENSITIVITY = sensitivity_body(["ha-noi", "hai-phong"])
SENSITIVITY_CASES: list[tuple[str, Any, int, list[str]]] = [
    ("no methodology", {"submissions": SENSITIVITY["submissions"]}, 400, ["$.methodology"]),
    (
        "unknown ref",
        {**SENSITIVITY, "methodology": "par-provincial@2099"},
        422,
        ["$.methodology.ref"],
    ),
    (
        "every parameter wrong",
        {
            **SENSITIVITY,
            "replications": 0,
            "spread": 1,
            "method": "normal",
            "level": "node",
            "concentration": 0,
            "seed": -1,
        },
        422,
        ["$.replications", "$.spread", "$.method", "$.level", "$.concentration", "$.seed"],
    ),
    ("too many replications", {**SENSITIVITY, "replications": 100_001}, 422, ["$.replications"]),
    ("replications as text", {**SENSITIVITY, "replications": "1000"}, 400, ["$.replications"]),
    ("spread as text", {**SENSITIVITY, "spread": "0.2"}, 400, ["$.spread"]),
    ("seed not whole", {**SENSITIVITY, "seed": 1.5}, 400, ["$.seed"]),
    (
        "no complete unit",
        {**SENSITIVITY, "submissions": [{"unit": "ha-noi", "period": "2022"}]},
        422,
        ["$.submissions"],
    ),
    ("fill is for audits", {**SENSITIVITY, "fill": []}, 400, ["$.fill"]),
]


def test_bad_input_is_a_problem_with_paths_and_writes_nothing(client, make_user):
    auditor = make_user("auditor")
    # A cohort with a unit but nothing submitted.
    unit = {"id": "ha-noi", "name": "Hà Nội", "level": "tỉnh", "cohorts": ["provinces"]}
    r = client.post(
        "/api/units", json={**unit, "methodology": "par-provincial"}, headers=make_user("admin")
    )
    assert r.status_code == 201, r.text
    before = written(client)
    cases = [("/api/audits", *c) for c in AUDIT_CASES]
    cases += [("/api/sensitivity", *c) for c in SENSITIVITY_CASES]
    for url, name, body, status, paths in cases:
        r = client.post(url, json=body, headers=auditor)
        problem = assert_problem(r, status)
        assert sorted(e["path"] for e in problem["errors"]) == sorted(paths), (name, problem)
        assert written(client) == before, name
    malformed = client.post(
        "/api/audits", content=b'{"from": ', headers={**auditor, "Content-Type": "application/json"}
    )
    assert_problem(malformed, 400)
    assert written(client) == before


@pytest.mark.parametrize("path", ["/api/audits/1/charts/slope.svg", "/api/sensitivity/1/report.md"])
def test_reading_what_does_not_exist_is_404(client, make_user, path):
    assert_problem(client.get(path, headers=make_user("auditor")), 404)
