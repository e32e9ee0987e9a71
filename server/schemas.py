"""The typed HTTP boundary: every JSON body the API reads and writes, as msgspec Structs.

Request structs forbid unknown fields and decode strictly (`decode_body`): a list where
a title goes, or a `mesage` typo, is a 400 naming the field's JSON path, never converted
and committed. Lengths are the database columns' (`server/models.py`) and the store's
slug pattern, so what passes here fits where it is written. Handlers turn a struct back
into the plain mapping the services take with `plain` (fields the client left out stay
out, so "not given" and "null" keep their meaning).

Response structs describe what the services return; the OpenAPI document is built from
both, so it is the reference for every body.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    RequestBody,
    Schema,
)
from litestar.params import Parameter
from msgspec import UNSET, Meta, Struct, UnsetType

from rules import did_you_mean
from server.errors import BadRequest
from server.models import DOCUMENT_PARTS, MAX_DOCUMENTS

__all__ = [
    "BEARER",
    "MAX_DEPTH",
    "MAX_ID",
    "declare_file_types",
    "declare_headers",
    "decode_body",
    "openapi_components",
    "plain",
    "problems",
    "refuse_nul",
    "reply",
]

# -- limits shared by the structs and the path parameters -----------------------------

MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL
MAX_DEPTH = 64  # far deeper than any methodology or submission document nests
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"  # `services.methodologies.SLUG`
UNIT_PATTERN = r"^[a-z0-9][a-z0-9-]{0,99}$"  # `services.units.UNIT_ID`

Id = Annotated[int, Meta(ge=1, le=MAX_ID, description="an id (a 32-bit integer)")]
Slug = Annotated[str, Meta(pattern=SLUG_PATTERN, description="a methodology slug or node id")]
UnitId = Annotated[str, Meta(pattern=UNIT_PATTERN, description="a unit id")]
Ref = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        description="a release tag, its short name, a branch, a commit or a date",
    ),
]
# Printable text: a period is written into file names, workbooks and Word documents, none
# of which can hold control characters (schemathesis found a 500 in each).
PERIOD_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"
Period = Annotated[
    str,
    Meta(min_length=1, max_length=20, pattern=PERIOD_PATTERN, description='a period, e.g. "2021"'),
]
Message = Annotated[str, Meta(max_length=2000, description="the commit message")]
# Decimal numbers: JSON numbers, or exact decimal text; stored as text of at most 40
# characters (`SurveyScore.score`, `Appraisal.points`), so integers stay within 64 bits.
Number = Union[  # noqa: UP007 - msgspec needs the union as a runtime object
    Annotated[int, Meta(ge=-(2**63) + 1, le=2**63 - 1)],
    float,
    Annotated[str, Meta(max_length=40)],
]
Json = Any  # a JSON value the methodology or the scoring checks (422 names what is wrong)


class Request(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Base of request bodies: unknown fields are refused."""


# -- methodologies --------------------------------------------------------------------


class NodeFields(Request):
    """A node's front matter (see `methodology.node.NODE_KEYS`) with its guidance."""

    id: Slug | UnsetType = UNSET
    code: str | UnsetType | None = UNSET
    title: Annotated[str, Meta(max_length=1000)] | UnsetType = UNSET
    title_en: Annotated[str, Meta(max_length=1000)] | UnsetType | None = UNSET
    max_points: Number | UnsetType | None = UNSET
    assessed_by: Annotated[str, Meta(max_length=40)] | UnsetType = UNSET
    inputs: dict[str, Json] | UnsetType | None = UNSET
    scoring: dict[str, Json] | UnsetType | None = UNSET
    bonus: dict[str, Json] | UnsetType | None = UNSET
    penalty: dict[str, Json] | UnsetType | None = UNSET
    evidence: list[str | dict[str, Json]] | UnsetType | None = UNSET
    source: dict[str, Json] | UnsetType | None = UNSET
    applicability: dict[str, Json] | UnsetType | None = UNSET
    replaces: list[Slug] | UnsetType | None = UNSET
    aggregation: Annotated[str, Meta(max_length=40)] | UnsetType = UNSET
    locked: bool | UnsetType = UNSET
    guidance: str | UnsetType = UNSET
    parent: Slug | UnsetType | None = UNSET


class NodePut(Request):
    node: NodeFields
    base: Annotated[str, Meta(min_length=1, max_length=200)]
    message: Message | UnsetType | None = UNSET


class ReleaseCreate(Request):
    ref: Ref
    name: Slug
    decision: Annotated[str, Meta(min_length=1, max_length=200)]
    date: dt.date
    effective: dt.date | UnsetType | None = UNSET


class MethodologyCreate(Request):
    slug: Slug
    manifest: dict[str, Json]
    overlay: dict[str, Json] | UnsetType | None = UNSET
    message: Message | UnsetType | None = UNSET


class RebaseApply(Request):
    onto: Ref


class OverlayPut(Request):
    """A derived index's whole `overlay.yaml` (`remove`, `override`, `rescale`) from `base`."""

    overlay: dict[str, Json]
    base: Annotated[str, Meta(min_length=1, max_length=200)]
    message: Message | UnsetType | None = UNSET


# -- users and tokens -------------------------------------------------------------------


class UserUpdate(Request):
    """`{"active": false}` disables the user: every token of theirs is refused at once."""

    active: bool


class TokenCreate(Request):
    """`expires_at` (RFC 3339; without an offset it is UTC) or null for no expiry."""

    expires_at: dt.datetime | None = None


# -- units, submissions, surveys, evaluations ----------------------------------------


class UnitCreate(Request):
    id: UnitId
    name: Annotated[str, Meta(min_length=1, max_length=300)]
    level: Annotated[str, Meta(min_length=1, max_length=40)]
    province: Annotated[str, Meta(max_length=100)] | UnsetType | None = UNSET
    ranked: bool | UnsetType = UNSET
    group: Annotated[str, Meta(max_length=100)] | UnsetType | None = UNSET
    cohorts: list[Slug] | UnsetType = UNSET
    methodology: Slug | UnsetType = UNSET


Values = dict[str, Json]


class DocumentRef(Request):
    """A document the unit names as evidence for a sub-criterion (số/ký hiệu, ngày ban hành,
    trích yếu, cơ quan ban hành), or its giải trình where it names none."""

    number: Annotated[str, Meta(max_length=DOCUMENT_PARTS["number"])] | UnsetType = UNSET
    date: Annotated[str, Meta(max_length=DOCUMENT_PARTS["date"])] | UnsetType = UNSET
    title: Annotated[str, Meta(max_length=DOCUMENT_PARTS["title"])] | UnsetType = UNSET
    issuer: Annotated[str, Meta(max_length=DOCUMENT_PARTS["issuer"])] | UnsetType = UNSET
    explanation: Annotated[str, Meta(max_length=DOCUMENT_PARTS["explanation"])] | UnsetType = UNSET


NodeDocuments = Annotated[list[DocumentRef], Meta(max_length=MAX_DOCUMENTS)]
Documents = dict[Slug, NodeDocuments]


class SubmissionCreate(Request):
    unit_id: UnitId
    period: Period
    methodology: Slug
    ref: Ref | UnsetType | None = UNSET
    values: Values | UnsetType = UNSET
    not_applicable: dict[str, str] | UnsetType = UNSET
    facts: Values | UnsetType = UNSET
    documents: Documents | UnsetType = UNSET


class SubmissionUpdate(Request):
    """A JSON merge patch: a null value removes the key."""

    values: Values | UnsetType | None = UNSET
    not_applicable: dict[str, str | None] | UnsetType | None = UNSET
    facts: Values | UnsetType | None = UNSET
    documents: dict[Slug, NodeDocuments | None] | UnsetType | None = UNSET
    ref: Ref | UnsetType | None = UNSET


class AppraisalCreate(Request):
    key: Annotated[str, Meta(min_length=1, max_length=100)]
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    value: Json | UnsetType = UNSET
    points: Number | UnsetType | None = UNSET


class SubmissionReopen(Request):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class SurveyScoreIn(Request):
    unit_id: UnitId
    node_id: Slug
    score: Number


class SurveyImport(Request):
    methodology: Slug
    period: Period
    scores: Annotated[list[SurveyScoreIn], Meta(min_length=1)]
    ref: Ref | UnsetType | None = UNSET


class CohortPeriod(Request):
    id: Slug
    period: Period


class EvaluationRun(Request):
    """Exactly one of `submissions` and `cohort`."""

    submissions: Annotated[list[Id], Meta(min_length=1, max_length=1000)] | UnsetType = UNSET
    cohort: CohortPeriod | UnsetType = UNSET
    methodology: Slug | UnsetType | None = UNSET
    ref: Ref | UnsetType | None = UNSET
    engine: Annotated[str, Meta(max_length=20)] | UnsetType | None = UNSET


# `services.publications.DOCUMENT_KINDS` (tests/server/test_publications_api.py checks
# they agree): a decision (quyết định) or an official letter (công văn).
DocumentKind = Literal["decision", "official_letter"]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$", description="a SHA-256, in hex")]


class PublicationCreate(Request):
    """Publish the cohort's ranking of `period` as it is now, scored by its methodology
    at `ref` (the head without one), under the document `document_number` of
    `document_date`; with `ranking_hash` (the `GET /api/rankings` answer's), 409 when
    the ranking has changed since."""

    cohort: Slug
    period: Period
    document_number: Annotated[str, Meta(min_length=1, max_length=200)]
    document_date: dt.date
    document_kind: DocumentKind | UnsetType = UNSET
    ref: Ref | UnsetType | None = UNSET
    ranking_hash: Sha256 | UnsetType = UNSET


class PublicationWithdraw(Request):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


# -- audits and sensitivity -----------------------------------------------------------


class VersionRef(Request):
    methodology: Slug
    ref: Ref | UnsetType | None = UNSET


Version = Union[  # noqa: UP007
    Annotated[str, Meta(max_length=301, description='"<methodology>@<ref>"')], VersionRef
]
# A submission document as `parindex evaluate` reads it; its keys and values are checked
# against the version (422 lists every problem of every submission with its path).
InlineSubmissions = list[Json]


class AuditRun(Request):
    """`{from, to, cohort, period, fill_period?}` or `{from, to, submissions, fill?}`."""

    from_: Version = msgspec.field(name="from")
    to: Version
    cohort: Slug | UnsetType = UNSET
    period: Period | UnsetType = UNSET
    fill_period: Period | UnsetType | None = UNSET
    submissions: InlineSubmissions | UnsetType = UNSET
    fill: InlineSubmissions | UnsetType = UNSET


class SensitivityRun(Request):
    """`{methodology, cohort, period}` or `{methodology, submissions}` and the parameters;
    their ranges are checked by the service (422 lists every one out of range)."""

    methodology: Version
    cohort: Slug | UnsetType = UNSET
    period: Period | UnsetType = UNSET
    submissions: InlineSubmissions | UnsetType = UNSET
    replications: int | UnsetType = UNSET
    spread: float | UnsetType = UNSET
    method: str | UnsetType = UNSET
    level: str | UnsetType = UNSET
    concentration: float | UnsetType = UNSET
    seed: int | UnsetType = UNSET


# -- responses ---------------------------------------------------------------------------
# Deep documents (a methodology's tree, a diff, an audit's result) are described to their
# top level; what they hold is the JSON of the matching CLI command (`--format json`).
# Unknown fields are refused here too, so a service answering more than is declared fails
# loudly in the tests instead of being dropped or left undocumented.


class Reply(Struct, forbid_unknown_fields=True):
    """Base of response bodies."""


_BASES = (Request, Reply)


Doc = dict[str, Json]


class MethodologySummary(Reply):
    slug: str
    title: str | None
    level: str | None
    extends: Doc | None
    commit: str | None
    releases: list[str]


class MethodologyTree(Reply):
    methodology: str
    ref: str | None
    commit: str | None
    manifest: Doc | None
    extends: Doc | None
    nodes: list[Doc]


class Release(Reply):
    tag: str
    name: str
    decision: str
    date: str
    commit: str
    effective: str | None = None


class LogEntry(Reply, kw_only=True):
    commit: str
    date: str
    author: str
    message: str
    methodology: str
    kind: str | UnsetType = UNSET
    node: str | UnsetType | None = UNSET
    path: str | UnsetType | None = UNSET
    old_path: str | UnsetType | None = UNSET
    changes: list[str] | UnsetType = UNSET


class Versions(Reply):
    releases: list[Release]
    commits: list[LogEntry]


class NodeRead(Reply):
    methodology: str
    ref: str | None
    commit: str | None
    id: str
    parent: str | None
    level: str
    provenance: str | None
    front_matter: Doc
    guidance: str
    guidance_html: str
    children: list[str]
    derivation: Doc | None


class NodeWritten(Reply):
    commit: str
    node: NodeRead


class Commit(Reply):
    commit: str


class Released(Reply):
    tag: str
    commit: str
    decision: str
    date: str
    effective: str | None = None


class MethodologyCreated(Reply):
    slug: str
    commit: str
    valid: bool
    problems: list[Doc]


class Diff(Reply):
    from_: Doc = msgspec.field(name="from")
    to: Doc
    changes: list[Doc]
    proposals: list[Json]
    counts: dict[str, int]


class TableImported(Reply):
    """What importing a criteria table did: the diff from the version it was compared
    with, and the draft branch and commit it wrote (null for a dry run or no change)."""

    branch: str | None
    commit: str | None
    written: bool
    diff: Diff


class RebasePlan(Reply):
    derived: str
    from_: Doc = msgspec.field(name="from")
    onto: Doc
    ok: bool
    conflicts: list[Json]
    drift: list[Json]
    followed: list[Json]
    inherited: list[Json]
    effective_diff: Doc | None


class Rebased(Reply):
    commit: str
    report: RebasePlan


class OverlayRead(Reply):
    methodology: str
    commit: str
    extends: Doc
    overlay: Doc
    problems: list[ProblemItem]


class OverlayWritten(Reply):
    commit: str
    overlay: OverlayRead


class UnitRead(Reply):
    id: str
    name: str
    level: str
    province: str | None
    ranked: bool
    group: str | None
    cohorts: list[str]


class UserRead(Reply):
    id: int
    name: str
    role: str
    province: str | None
    unit_id: str | None
    active: bool
    created_at: str


class TokenRead(Reply):
    prefix: str
    user_id: int
    created_at: str
    expires_at: str | None
    revoked_at: str | None


class NewToken(TokenRead):
    """The token itself is in this response only: it is never stored nor shown again."""

    token: str


class EvidenceRead(Reply):
    id: int
    submission_id: int
    node_id: str | None
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: int | None
    uploaded_at: str | None


class AppraisalRead(Reply):
    id: int
    submission_id: int
    key: str
    value: Json
    points: str | None
    reason: str
    by_user: int | None
    created_at: str | None


# `models.SUBMISSION_STATUSES` (tests/server/test_openapi.py checks they agree)
SubmissionStatus = Literal["draft", "submitted", "appraised", "reopened", "superseded"]


class SubmissionRead(Reply):
    id: int
    unit_id: str
    period: str
    methodology: str
    ref: str | None
    values: Doc
    not_applicable: Doc
    facts: Doc
    documents: Doc
    status: SubmissionStatus
    revision: int
    created_by: int | None
    created_at: str | None
    updated_at: str | None
    submitted_at: str | None
    evidence: list[EvidenceRead]
    appraisals: list[AppraisalRead]


class Appraised(Reply):
    appraisal: AppraisalRead
    submission: SubmissionRead


class SurveyScoreRead(Reply):
    unit_id: str
    node_id: str
    score: str


class SurveyImported(Reply):
    id: int
    methodology: str
    ref: str | None
    commit: str | None
    period: str
    imported_by: int | None
    imported_at: str
    scores: list[SurveyScoreRead]


class EvaluationRead(Reply, kw_only=True):
    id: int
    submission_id: int
    unit_id: str | None
    methodology: str
    ref: str | None
    commit: str
    engine: str
    engine_version: str
    input_hash: str
    result_hash: str
    total: str | None
    index: str | None
    created_by: int | None
    created_at: str
    result: Doc | UnsetType = UNSET


class PublicationRead(Reply):
    """A publication: what was published (the methodology commit and the ranking's hash),
    under which document, by whom and when, and its withdrawal when it is withdrawn;
    `evaluations` are the units' stored results as published (`getEvaluation`)."""

    id: int
    cohort: str
    period: str
    methodology: str
    ref: str | None
    commit: str
    ranking_hash: str
    document_kind: DocumentKind
    document_number: str
    document_date: str
    published_by: int | None
    published_at: str
    in_force: bool
    withdrawn_by: int | None
    withdrawn_at: str | None
    withdrawal_reason: str | None
    evaluations: dict[str, int]


class Ranking(Reply):
    """`published`: this is the snapshot of `publication`, frozen when it was published;
    else the ranking computed now (and `publication` the one in force, if any)."""

    cohort: str
    period: str
    methodology: str
    ref: str | None
    commit: str | None
    engine: str
    note: str | None
    bands: Json
    units: list[Doc]
    submissions: dict[str, int]
    without_submission: list[str]
    ranking_hash: str
    published: bool
    publication: PublicationRead | None
    # with `compare_published=true`: the published totals, ranks, average and groups
    published_comparison: Doc | None = None


class AnalysisRead(Reply):
    id: int
    kind: Literal["audit", "sensitivity"]
    created_at: str
    commits: dict[str, str | None]
    result: Doc
    charts: Doc


# -- problems ---------------------------------------------------------------------------


class ProblemItem(Struct):
    path: str
    message: str


class Problem(Struct, kw_only=True):
    """RFC 9457 problem details, as `server.errors.problem_body` builds them."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None
    errors: list[ProblemItem]
    newer: str | UnsetType | None = UNSET
    revision: int | UnsetType = UNSET
    retry_after: int | UnsetType = UNSET  # a 429's seconds, as its Retry-After header
    max_bytes: int | UnsetType = UNSET  # a 413's limit
    existing: int | UnsetType = UNSET  # the submission of record a new one collides with


# -- path and query parameters ------------------------------------------------------------

SlugParam = Annotated[
    str, Parameter(pattern=SLUG_PATTERN, max_length=100, description="a methodology slug")
]
NodeParam = Annotated[str, Parameter(pattern=SLUG_PATTERN, max_length=100, description="a node id")]
# Litestar writes `le` into the schema as a float (2**63 exactly): the bounds are restated.
IdParam = Annotated[
    int,
    Parameter(
        ge=1,
        le=MAX_ID,
        description="an id (a 32-bit integer)",
        schema_extra={"minimum": 1, "maximum": MAX_ID},
    ),
]
RefQuery = Annotated[
    str | None, Parameter(max_length=200, description="a version (default: the head)")
]
SlugQuery = Annotated[str | None, Parameter(pattern=SLUG_PATTERN, max_length=100)]
PeriodQuery = Annotated[
    str | None,
    Parameter(pattern=PERIOD_PATTERN, max_length=20, description='a period, e.g. "2021"'),
]
# `auth.issue_token` writes 12 hex digits; the column holds 16.
PrefixParam = Annotated[
    str, Parameter(pattern=r"^[0-9a-f]{1,16}$", max_length=16, description="a token's prefix")
]


# -- OpenAPI: security and the problems an operation answers -----------------------------

BEARER = "bearer"
SIGNED_IN: list[dict[str, list[str]]] = [{BEARER: []}]
# Released methodologies are public: a token is optional where anonymous reading is allowed.
OPTIONAL_SIGN_IN: list[dict[str, list[str]]] = [{BEARER: []}, {}]

_WHEN = {
    400: "Malformed request: bad JSON, wrong types, unknown fields, invalid ids",
    401: "No token where one is needed, or an unknown, revoked or malformed token",
    403: "The role, province or unit does not allow it",
    404: "No such resource",
    409: "A stale base or revision, a name that exists, a conflicting rebase, a second "
    "submission for a unit and period, a submission that is no longer a draft",
    413: "The body is larger than PARINDEX_MAX_BODY_BYTES (a file than PARINDEX_MAX_EVIDENCE_BYTES)",
    415: "The file's type is not one of PARINDEX_EVIDENCE_TYPES, or its content is not that "
    "type; a criteria table that is not a plain .xlsx workbook (encrypted, macros, corrupt)",
    422: "The content is invalid; every error is listed with its path",
    429: "Too many failed sign-ins from this address or with this token; `Retry-After` says "
    "when to try again",
}
# Every operation reads the bearer token, so every one may be refused for it: 401 for a
# wrong token, 429 once the failures of its address or prefix pass the limit.
ALWAYS = (400, 401, 403, 404, 422, 429)


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The problem documents (`application/problem+json`) an operation may answer with:
    `ALWAYS`, plus ``statuses``."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type="application/problem+json",
            description=_WHEN[status],
            generate_examples=False,
        )
        for status in sorted({*ALWAYS, *statuses})
    }


def declare_headers(document: OpenAPI) -> None:
    """Every 429 carries `Retry-After` (seconds); `ResponseSpec` cannot declare headers."""
    retry_after = OpenAPIHeader(
        schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
        description="Seconds until a sign-in may be tried again",
        required=True,
    )
    for item in (document.paths or {}).values():
        for method in ("get", "put", "post", "patch", "delete"):
            operation = getattr(item, method)
            response = (operation.responses or {}).get("429") if operation else None
            if response is not None and not isinstance(response, Reference):
                response.headers = {"Retry-After": retry_after}


def declare_file_types(document: OpenAPI, operation_id: str, media_types: Iterable[str]) -> None:
    """A file download answers with the type each file was stored as (one of the
    accepted ``media_types``), not with the one type a handler's decorator can name."""
    for item in (document.paths or {}).values():
        for method in ("get", "put", "post", "patch", "delete"):
            operation = getattr(item, method)
            if operation is None or operation.operation_id != operation_id:
                continue
            ok = (operation.responses or {})["200"]
            assert isinstance(ok, OpenAPIResponse)
            ok.content = {
                media_type: OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, content_media_type=media_type)
                )
                for media_type in media_types
            }


def declare_upload(
    document: OpenAPI, operation_id: str, media_types: Iterable[str], what: str
) -> None:
    """An operation that reads its body raw (a file, not JSON): its request body, which a
    handler taking the raw `body` cannot declare, as any of ``media_types``."""
    for item in (document.paths or {}).values():
        for method in ("get", "put", "post", "patch", "delete"):
            operation = getattr(item, method)
            if operation is None or operation.operation_id != operation_id:
                continue
            operation.request_body = RequestBody(
                content={
                    media_type: OpenAPIMediaType(
                        schema=Schema(
                            type=OpenAPIType.STRING,
                            format=OpenAPIFormat.BINARY,
                            content_media_type=media_type,
                            description=what,
                        )
                    )
                    for media_type in media_types
                },
                required=True,
            )


def openapi_components() -> dict[str, Schema]:  # a struct is an object, never a $ref
    """The component schemas of every struct here, as msgspec writes them.

    Litestar's own generator drops the constraints of union members and list items (an
    id's bound inside `submissions`, a score's 40 characters) and does not say that
    unknown fields are refused; msgspec's schema is the decoder's own description."""
    structs = [
        value
        for value in globals().values()
        if isinstance(value, type) and issubclass(value, Struct) and value not in _BASES
    ]
    _, components = msgspec.json.schema_components(
        structs, ref_template="#/components/schemas/{name}"
    )
    return {name: _litestar_schema(schema) for name, schema in components.items()}


def _litestar_schema(schema: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return Reference(ref=schema["$ref"])
    fields: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":
            value = {name: _litestar_schema(inner) for name, inner in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            value = _litestar_schema(value)
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            value = [_litestar_schema(inner) for inner in value]
        elif key == "type":
            value = OpenAPIType(value)
        fields[re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()] = value
    return Schema(**fields)


# -- decoding -----------------------------------------------------------------------------


def reply(model: Any, value: Any) -> Any:
    """A service's answer checked against the declared response ``model``."""
    return msgspec.convert(value, model, strict=True)


def plain(body: Struct) -> dict[str, Any]:
    """The struct as the mapping a service takes (fields not given are left out)."""
    return msgspec.to_builtins(body)


_AT = re.compile(r"^(?P<message>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.S)
_FIELD = re.compile(r"(?:unknown|missing required) field `(?P<name>[^`]*)`")


def _message_at(text: str) -> tuple[str, str | None]:
    """msgspec's error text split into its message and its JSON path (None: none given)."""
    match = _AT.match(text)
    assert match is not None  # both parts may be empty, so every text matches
    return match["message"], match["path"]


def decode_body(raw: bytes, model: type[Struct]) -> Struct:
    """Decode a JSON body into ``model`` strictly; 400 with the offending field's path."""
    try:
        data = msgspec.json.decode(raw)
    except RecursionError:
        raise _too_deep() from None
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadRequest(
            "the body is not valid JSON", [{"path": "$", "message": _message_at(str(exc))[0]}]
        ) from None
    if depth(data) > MAX_DEPTH:
        raise _too_deep()
    if (where := nul_path(data)) is not None:
        raise BadRequest(
            "the body contains a NUL character",
            [{"path": where, "message": "NUL is not allowed in text"}],
        )
    try:
        return msgspec.convert(data, model, strict=True)
    except msgspec.ValidationError as exc:
        errors = field_problems(data, model) or [validation_problem(str(exc), model)]
        raise BadRequest("the body is malformed", errors) from None


def field_problems(data: Any, model: type[Struct], path: str = "$") -> list[dict[str, str]]:
    """Every wrong, unknown or missing field of an object (msgspec stops at the first):
    each field is checked on its own, the first problem inside it with its path."""
    if not isinstance(data, dict):
        return []
    fields = {f.encode_name: f for f in msgspec.structs.fields(model)}
    out = []
    for key, value in data.items():
        if key not in fields:
            hint = did_you_mean(key, list(fields))
            message = "unknown field" + (f" ({hint})" if hint else "")
            out.append({"path": f"{path}.{key}", "message": message})
            continue
        inner_struct = next(_structs(fields[key].type), None)
        if inner_struct is not None and isinstance(value, dict):
            out += field_problems(value, inner_struct, f"{path}.{key}")
            continue
        try:
            msgspec.convert(value, fields[key].type, strict=True)
        except msgspec.ValidationError as exc:
            inner = validation_problem(str(exc), fields[key].type)
            inner["path"] = f"{path}.{key}" + inner["path"][1:]
            out.append(inner)
    out += [
        {"path": f"{path}.{name}", "message": "required"}
        for name, f in fields.items()
        if f.required and name not in data
    ]
    return out


def _too_deep() -> BadRequest:
    return BadRequest(
        f"the body nests deeper than {MAX_DEPTH} levels",
        [{"path": "$", "message": f"at most {MAX_DEPTH} nested arrays and objects"}],
    )


def nul_path(data: Any) -> str | None:
    """The path of the first text (value or key) holding a NUL character: no column
    stores one (PostgreSQL refuses it), and no name or number is spelt with one."""
    stack: list[tuple[Any, str]] = [(data, "$")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return path
                stack.append((item, f"{path}.{key}"))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
    return None


def refuse_nul(values: Iterable[tuple[str, Any]], prefix: str) -> None:
    """400 for a NUL character in a query or path parameter (`$.query.ref`)."""
    for name, value in values:
        if "\x00" in str(value):
            raise BadRequest(
                f"`{name}` contains a NUL character",
                [{"path": f"{prefix}.{name}", "message": "NUL is not allowed in text"}],
            )


def depth(data: Any) -> int:
    """How deeply arrays and objects nest in decoded JSON (without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, level + 1) for item in items)
    return deepest


def validation_problem(text: str, model: Any) -> dict[str, str]:
    """msgspec's "Expected `str`, got `array` - at `$.node.title`" as a problem item;
    an unknown or missing field's own path, with a suggestion for a misspelt one."""
    message, path = _message_at(text)
    path = path or "$"
    field = _FIELD.search(message)
    if field is None:
        return {"path": path, "message": message}
    name = field["name"]
    if message.startswith("Object contains unknown"):
        known = _field_names(model, path)
        hint = did_you_mean(name, known) if known else None
        message = "unknown field" + (f" ({hint})" if hint else "")
    else:
        message = "required"
    return {"path": f"{path}.{name}", "message": message}


def _field_names(model: Any, path: str) -> list[str]:
    """The fields of the struct found at ``path`` below ``model`` (none when unsure)."""
    current: Any = model
    for part in re.findall(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]", path):
        name, index = part
        struct = next(_structs(current), None)
        if name and struct is not None:
            fields = {f.encode_name: f.type for f in msgspec.structs.fields(struct)}
            current = fields.get(name)
        elif index:
            current = next((get_args(t)[0] for t in _unwrap(current) if get_args(t)), None)
        else:
            return []
    struct = next(_structs(current), None)
    return [f.encode_name for f in msgspec.structs.fields(struct)] if struct else []


def _unwrap(annotation: Any) -> Iterator[Any]:
    if get_origin(annotation) is Annotated:
        yield from _unwrap(get_args(annotation)[0])
    elif get_origin(annotation) is Union or type(annotation).__name__ == "UnionType":
        for arg in get_args(annotation):
            yield from _unwrap(arg)
    else:
        yield annotation


def _structs(annotation: Any) -> Iterator[type[Struct]]:
    for t in _unwrap(annotation):
        if isinstance(t, type) and issubclass(t, Struct):
            yield t
