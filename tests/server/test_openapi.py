"""The OpenAPI document is the reference: typed bodies, the bearer scheme, problem
documents for every 4xx, bounded path parameters, and docs/api.md lists the same routes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from server.app import create_app
from server.errors import Conflict, problem_body
from server.models import SUBMISSION_STATUSES
from server.schemas import MAX_ID, Problem
from server.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
METHODS = ("get", "put", "post", "patch", "delete")
# What the API answers anonymously (released methodologies with their annexes and blank forms, and published
# rankings with their units' results, are public).
PUBLIC = {
    "listMethodologies",
    "getMethodology",
    "getNode",
    "getRanking",
    "getEvaluation",
    "listPublications",
    "verifyPublication",
    "publicationDifference",
    "getPublishedRanking",
    "getAnnexDocx",
    "getAnnexXlsx",
    "downloadForm",
}


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("openapi")
    return create_app(Settings(data_dir=str(data_dir))).openapi_schema.to_schema()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def typed(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A schema with declared properties (or an array of them), not a bare object."""
    schema = resolve(document, schema)
    if schema.get("type") == "array":
        return typed(document, schema["items"])
    return schema.get("type") == "object" and bool(schema.get("properties"))


def test_every_json_body_and_response_is_typed(document):
    bodies = responses = 0
    for method, path, op in operations(document):
        json_body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if json_body is not None:
            bodies += 1
            assert typed(document, json_body["schema"]), (method, path)
            schema = resolve(document, json_body["schema"])
            optional = op["operationId"] in (
                "updateSubmission",
                "runEvaluations",
                "createToken",
                "updatePeriod",
                "sendToCouncil",
            )
            assert schema["required"] or optional, (method, path)
        for status, response in op["responses"].items():
            json_response = (response.get("content") or {}).get("application/json")
            if status.startswith("2") and json_response is not None:
                responses += 1
                assert typed(document, json_response["schema"]), (method, path, status)
    # 93 operations: 73 answer JSON, 2 Markdown reports, 2 charts (SVG or PNG), an
    # evidence file, removing one (204), 3 office documents of a methodology (the annex in
    # Word and Excel, the change list), 2 forms (.xlsx), 8 reports (xlsx, docx) and the
    # document a job made; 30 read a JSON body, the evidence upload and the criteria table
    # import a multipart form, the 2 form imports an .xlsx.
    assert bodies == 30 and responses == 73


def test_the_bearer_scheme_and_per_operation_security(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": schemes["bearer"]["description"],
        }
    }
    for method, path, op in operations(document):
        assert {"bearer": []} in op["security"], (method, path)
        anonymous = {} in op["security"]
        assert anonymous == (op["operationId"] in PUBLIC), (method, path)


def test_every_4xx_is_a_problem_document(document):
    problem = {"$ref": "#/components/schemas/Problem"}
    for method, path, op in operations(document):
        statuses = {s for s in op["responses"] if s.startswith("4")}
        # Every operation reads the bearer token: a wrong one is a 401, too many a 429.
        assert {"400", "401", "403", "404", "422", "429"} <= statuses, (method, path)
        for status in statuses:
            content = op["responses"][status]["content"]
            assert content == {"application/problem+json": {"schema": problem}}, (path, status)
        assert "Retry-After" in op["responses"]["429"]["headers"], (method, path)
        if "requestBody" in op:
            assert "413" in statuses, (method, path)
    upload = document["paths"]["/api/submissions/{submission_id}/evidence"]["post"]
    assert "415" in upload["responses"]
    form = resolve(document, upload["requestBody"]["content"]["multipart/form-data"]["schema"])
    assert form["properties"]["node_id"]["oneOf"][0]["pattern"] == "^[a-z0-9][a-z0-9_-]{0,99}$"


def test_the_problem_schema_describes_what_the_server_sends(document):
    schema = document["components"]["schemas"]["Problem"]
    assert set(schema["required"]) == {"type", "title", "status", "detail", "instance", "errors"}
    stale = Conflict("stale", [{"path": "$.base", "message": "changed"}], newer="abc")
    body = problem_body(
        stale.status, stale.title, stale.detail, instance="/x", errors=stale.errors, **stale.extra
    )
    assert msgspec.convert(body, Problem).newer == "abc"
    assert {"retry_after", "max_bytes", "existing"} <= set(schema["properties"])


def test_submission_statuses_are_the_models(document):
    schema = document["components"]["schemas"]["SubmissionRead"]["properties"]["status"]
    assert sorted(schema["enum"]) == sorted(SUBMISSION_STATUSES)


def test_path_parameters_are_bounded(document):
    for method, path, op in operations(document):
        for param in op.get("parameters", []):
            if param["in"] != "path":
                continue
            schema = param["schema"]
            if schema["type"] == "integer":
                assert (schema["minimum"], schema["maximum"]) == (1, MAX_ID), (method, path)
            elif param["name"] in ("slug", "node_id"):
                assert schema["pattern"] == "^[a-z0-9][a-z0-9_-]{0,99}$", (method, path)
            else:
                assert schema.get("maxLength"), (method, path, param["name"])


def documented_routes() -> set[tuple[str, str]]:
    """`| GET | `/api/…?query=` | …` rows of docs/api.md's endpoint tables."""
    rows = re.findall(r"^\| (GET|PUT|POST|PATCH|DELETE) \| `([^`]+)`", DOCS.read_text(), re.M)
    return {(method, path.split("?")[0]) for method, path in rows}


def test_docs_api_md_and_the_openapi_document_list_the_same_routes(document):
    served = {(method, path) for method, path, _ in operations(document)}
    documented = documented_routes()
    assert sorted(served - documented) == [], "served but not in docs/api.md"
    assert sorted(documented - served) == [], "in docs/api.md but not served"


def test_request_schemas_say_what_the_decoder_enforces(document):
    """Unknown fields are refused, and the bounds inside lists and unions are stated
    (Litestar's own generator dropped them)."""
    schemas = document["components"]["schemas"]
    for _, path, op in operations(document):
        json_body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if json_body is not None:
            assert resolve(document, json_body["schema"])["additionalProperties"] is False, path
    ids = schemas["EvaluationRun"]["properties"]["submissions"]["items"]
    assert (ids["minimum"], ids["maximum"]) == (1, MAX_ID)
    score = schemas["SurveyScoreIn"]["properties"]["score"]["anyOf"]
    assert {"type": "string", "maxLength": 40} in score


def test_an_evidence_download_declares_every_type_it_may_answer_with(document):
    """Each file is sent with the type it was stored as: the document lists them all
    (schemathesis checks a response's type against them)."""
    op = document["paths"]["/api/submissions/{submission_id}/evidence/{evidence_id}"]["get"]
    assert list(op["responses"]["200"]["content"]) == list(Settings().evidence_types)


def test_conflicts_are_declared_where_they_happen(document):
    """A second submission of record for a unit and period, disabling the last admin
    (schemathesis found the first undeclared)."""
    ops = {op["operationId"]: op for _, _, op in operations(document)}
    for operation_id in ("createSubmission", "updateUser"):
        assert "409" in ops[operation_id]["responses"], operation_id
