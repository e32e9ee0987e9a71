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
    requires: dict[str, Json] | UnsetType | None = UNSET
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


# The assessment years a release applies to: `"2022-2030"`, `"2018, 2019"`, or a list of
# years and spans (`methodology.parse_years` reads them; a 400 names what is wrong).
_YearItem = Union[  # noqa: UP007 - msgspec needs the union as a runtime object
    Annotated[int, Meta(ge=1, le=9999)],
    Annotated[str, Meta(max_length=40)],
]
Years = Union[  # noqa: UP007
    Annotated[str, Meta(max_length=200)],
    Annotated[list[_YearItem], Meta(max_length=200)],
]


class ReleaseCreate(Request):
    ref: Ref
    name: Slug
    decision: Annotated[str, Meta(min_length=1, max_length=200)]
    date: dt.date
    effective: dt.date | UnsetType | None = UNSET
    years: Years | UnsetType | None = UNSET
    amends: Annotated[str, Meta(max_length=201)] | UnsetType | None = UNSET


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


class AssignmentIn(Request):
    """Criteria of a draft given to another unit: node ids, each with its sub-criteria."""

    unit_id: UnitId
    nodes: Annotated[list[Slug], Meta(min_length=1, max_length=500)]


class AssignmentsPut(Request):
    """Every assignment of the draft (the list replaces the stored one; `[]` clears it)."""

    assignments: Annotated[list[AssignmentIn], Meta(max_length=100)]


class AppraisalCreate(Request):
    key: Annotated[str, Meta(min_length=1, max_length=100)]
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    value: Json | UnsetType = UNSET
    points: Number | UnsetType | None = UNSET


class SubmissionReopen(Request):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class SubmissionReturn(Request):
    """Returned for supplement (yêu cầu bổ sung): the nodes to supplement (none: the whole
    submission), what is asked, and the date the supplement is due."""

    note: Annotated[str, Meta(min_length=1, max_length=4000)]
    nodes: Annotated[list[Slug], Meta(max_length=500)] | UnsetType = UNSET
    due: dt.date | UnsetType | None = UNSET


class SubmissionCouncil(Request):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)] | UnsetType | None = UNSET


# `models.LATE_POLICIES` (tests/server/test_periods_api.py checks they agree)
LatePolicy = Literal["refuse", "flag"]
Day = dt.date | UnsetType | None


class PeriodSettings(Request):
    """What a period pins and schedules; every date optional (a window without a date is
    open on that side)."""

    ref: Ref | UnsetType | None = UNSET
    self_assessment_opens: Day = UNSET
    self_assessment_closes: Day = UNSET
    appraisal_opens: Day = UNSET
    appraisal_closes: Day = UNSET
    survey_import: Day = UNSET
    preliminary_publication: Day = UNSET
    objection_opens: Day = UNSET
    objection_closes: Day = UNSET
    final_publication: Day = UNSET
    late: LatePolicy | UnsetType = UNSET


class PeriodCreate(PeriodSettings, kw_only=True):
    cohort: Slug
    period: Period


class PeriodUpdate(PeriodSettings):
    """A null clears a date or the pinned release."""


class PeriodExtend(Request):
    unit_id: UnitId
    until: dt.date
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
# `models.PUBLICATION_STAGES` (checked to agree as the document kinds are).
PublicationStage = Literal["preliminary", "final"]
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
    # `preliminary` (the default: kết quả sơ bộ, with the last day objections are taken)
    # or `final` (kết quả chính thức: its preliminary's window closed, every objection
    # answered; scored at the preliminary's commit, so no `ref`).
    stage: PublicationStage | UnsetType = UNSET
    objections_close: dt.date | UnsetType = UNSET


class PublicationWithdraw(Request):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


ObjectionText = Annotated[str, Meta(min_length=1, max_length=4000)]


class ObjectionDocument(Request):
    """A document an objection relies on (số/ký hiệu, ngày ban hành, trích yếu, cơ quan
    ban hành)."""

    number: Annotated[str, Meta(max_length=DOCUMENT_PARTS["number"])] | UnsetType = UNSET
    date: Annotated[str, Meta(max_length=DOCUMENT_PARTS["date"])] | UnsetType = UNSET
    title: Annotated[str, Meta(max_length=DOCUMENT_PARTS["title"])] | UnsetType = UNSET
    issuer: Annotated[str, Meta(max_length=DOCUMENT_PARTS["issuer"])] | UnsetType = UNSET


class ObjectionCreate(Request):
    """A unit's objection (kiến nghị) to one criterion (`node`) of its preliminary
    result; `unit_id` defaults to the submitter's unit; `evidence`: ids of the unit's
    uploaded evidence files."""

    node: Slug
    reason: ObjectionText
    unit_id: UnitId | UnsetType = UNSET
    documents: Annotated[list[ObjectionDocument], Meta(max_length=MAX_DOCUMENTS)] | UnsetType = (
        UNSET
    )
    evidence: Annotated[list[Id], Meta(max_length=MAX_DOCUMENTS)] | UnsetType = UNSET


class ObjectionChange(Request):
    """An input's appraised `value`, or the `points` of a criterion the council scores."""

    key: Annotated[str, Meta(min_length=1, max_length=100)]
    value: Json | UnsetType = UNSET
    points: Number | UnsetType = UNSET


class ObjectionAnswer(Request):
    """`rejected` with the answer, or `accepted` with the answer and its `changes`."""

    decision: Literal["accepted", "rejected"]
    answer: ObjectionText
    changes: Annotated[list[ObjectionChange], Meta(max_length=50)] | UnsetType = UNSET


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


# -- jobs --------------------------------------------------------------------------------

JobKind = Literal["audit", "sensitivity", "report", "form_import"]


class JobCreate(Request):
    """`{kind, request}`: the request is the body of the synchronous endpoint the kind
    stands for, checked against that kind's model (422 names `$.request…`)."""

    kind: JobKind
    request: dict[str, Json]


class ReportJob(Request):
    """A document (`report.xlsx`, `report.docx`) of a ranking (`cohort`, `period`,
    `methodology`, `ref` as `GET /api/rankings` takes them), a stored evaluation, audit
    or sensitivity run (`id`)."""

    of: Literal["ranking", "evaluation", "audit", "sensitivity"]
    format: Literal["xlsx", "docx"]
    id: Id | UnsetType = UNSET
    cohort: Slug | UnsetType = UNSET
    period: Period | UnsetType = UNSET
    methodology: Slug | UnsetType = UNSET
    ref: Ref | UnsetType = UNSET


class FormImportJob(Request):
    """A filled self-assessment form (`file`: the .xlsx in base64) made a draft, or
    (`submission_id`) replacing a draft's values, as `POST /api/forms` and
    `PUT /api/submissions/{id}/form` do."""

    file: Annotated[str, Meta(min_length=1, description="the .xlsx, base64")]
    filename: Annotated[str, Meta(min_length=1, max_length=300)] | UnsetType = UNSET
    submission_id: Id | UnsetType = UNSET


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
    """A release: its decision and date, the date it takes effect (null on a tag made
    before releases said it), the assessment years it applies to and the release it
    amends (`methodology.Release.to_json`)."""

    methodology: str
    tag: str
    name: str
    decision: str
    date: str
    commit: str
    effective: str | None
    years: list[int]
    amends: str | None


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


class LevelRead(Reply):
    """A level units are registered at: the key `Unit.level` stores, its label, and the
    day it ceased to exist (the district level: 2025-07-01)."""

    key: str
    label: str
    until: str | None


class SuccessionCreate(Request):
    kind: Literal["merge", "split", "rename", "abolish"]
    effective: Annotated[str, Meta(min_length=1, max_length=20, description="dd/mm/yyyy")]
    basis: Annotated[str, Meta(min_length=1, max_length=300, description="the legal act")]
    predecessors: Annotated[list[UnitId], Meta(max_length=1000)]
    note: Annotated[str, Meta(max_length=2000)] | UnsetType = UNSET
    successors: Annotated[list[UnitId], Meta(max_length=1000)] | UnsetType = UNSET


class UnitRef(Reply):
    id: str
    name: str


class SuccessionRead(Reply):
    id: int
    kind: str
    kind_label: str
    effective: str
    basis: str
    note: str
    predecessors: list[UnitRef]
    successors: list[UnitRef]


class LineageUnit(Reply):
    id: str
    name: str
    level: str


class LineageRead(Reply):
    """`began`: the events the unit was created by; `ended`: the one it ended by;
    `earlier`: every event back through its predecessors (latest first); `later`: every
    event forward through its successors (oldest first)."""

    unit: LineageUnit
    began: list[SuccessionRead]
    ended: SuccessionRead | None
    earlier: list[SuccessionRead]
    later: list[SuccessionRead]


class SeriesRead(Reply):
    """A unit's results per period; a period before the unit began lists its
    predecessors' own results (`own: false`) and, when each has one, their combination
    by the named `rule` — never as the unit's own index."""

    unit: LineageUnit
    began: str | None
    predecessors: list[UnitRef]
    rule: str
    rule_label: str
    note: str
    periods: list[Doc]


class NotRankedCreate(Request):
    cohort: Slug
    period: Period
    reason: Annotated[str, Meta(min_length=1, max_length=1000)]
    unit: UnitId | UnsetType = UNSET
    source: Annotated[str, Meta(max_length=500)] | UnsetType = UNSET


class NotRankedRead(Reply):
    id: int
    cohort: str
    period: str
    unit: str | None
    reason: str
    source: str | None


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
    # the document the file is, when the upload said (`DocumentRef`'s parts; date ISO)
    number: str | None
    date: str | None
    title: str | None
    issuer: str | None


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
SubmissionStatus = Literal[
    "draft",
    "submitted",
    "returned",
    "resubmitted",
    "appraised",
    "council",
    "reopened",
    "superseded",
]


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
    late: bool
    supplement: Doc
    evidence: list[EvidenceRead]
    appraisals: list[AppraisalRead]


class TransitionRead(Reply):
    """One move of a submission: from a status (null: created) to another, by whom, when
    and why (`details`: the nodes to supplement, a late submission, …)."""

    id: int
    from_status: SubmissionStatus | None
    to_status: SubmissionStatus
    action: str
    user_id: int | None
    user: str | None
    at: str
    reason: str | None
    details: Doc


class ExtensionRead(Reply):
    unit_id: str
    until: str
    reason: str
    granted_by: int | None
    granted_at: str | None


class PeriodRead(Reply):
    """A cohort's assessment period: the pinned release and the commit it was resolved
    to, the schedule (ISO dates, null when not set), the late policy and the units'
    deadline extensions."""

    id: int
    cohort: str
    period: str
    methodology: str
    ref: str | None
    commit: str | None
    self_assessment_opens: str | None
    self_assessment_closes: str | None
    appraisal_opens: str | None
    appraisal_closes: str | None
    survey_import: str | None
    preliminary_publication: str | None
    objection_opens: str | None
    objection_closes: str | None
    final_publication: str | None
    late: LatePolicy
    created_by: int | None
    created_at: str | None
    updated_at: str | None
    extensions: list[ExtensionRead]


class AssignedNode(Reply):
    id: str
    code: str
    title: str


class MissingItem(Reply):
    """A node still missing its evidence or giải trình (`path` as submit reports it)."""

    node: str
    path: str
    message: str


class AssignmentRead(Reply):
    """One contributor: its nodes, its done mark, and its progress (`filled` of its
    `leaves` have every input or "không phát sinh"; `missing` evidence or giải trình)."""

    unit_id: str
    unit_name: str
    nodes: list[AssignedNode]
    done: bool
    done_at: str | None
    done_by: str | None
    leaves: int
    filled: int
    missing: list[MissingItem]


class AssignmentsRead(Reply):
    submission_id: int
    unit_id: str
    status: SubmissionStatus
    assignments: list[AssignmentRead]


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
    stage: PublicationStage
    objections_close: str | None
    objections_open: bool
    preliminary: int | None


class ObjectionRead(Reply):
    """An objection and its answer (`status`: open, accepted or rejected); `appraisals`:
    the council's appraisals an accepted one made."""

    id: int
    publication: int
    unit_id: str
    node: str
    reason: str
    documents: list[dict[str, str]]
    evidence: list[int]
    filed_by: int | None
    filed_at: str
    status: Literal["open", "accepted", "rejected"]
    answer: str | None
    appraisals: list[int]
    answered_by: int | None
    answered_at: str | None


class VerifiedUnit(Reply):
    unit: str
    input_hash: str
    result_hash: str
    total: str | None
    index: str | None
    rank: int | None


class VerifyDifference(Reply):
    path: str
    stored: Json
    recomputed: Json


class PublicationVerification(Reply):
    """A publication scored again from its stored inputs at its stored commit:
    `reproduced` when every hash and number agrees with the stored ones."""

    publication: int
    stage: PublicationStage
    commit: str
    ranking_hash: str
    recomputed_hash: str
    reproduced: bool
    units: list[VerifiedUnit]
    differences: list[VerifyDifference]


class CriterionChange(Reply):
    node: str
    code: str
    title: str
    before: str | None
    after: str | None
    objections: list[int]


class UnitDifference(Reply):
    unit: str
    name: str | None
    total_before: str | None
    index_before: str | None
    rank_before: str | None
    band_before: str | None
    total_after: str | None
    index_after: str | None
    rank_after: str | None
    band_after: str | None
    criteria: list[CriterionChange]
    changed: bool


class PublicationDifference(Reply):
    """What a final publication changed from its preliminary one, per unit, with the
    accepted objections that changed each criterion."""

    publication: int
    preliminary: int
    units: list[UnitDifference]
    objections: list[ObjectionRead]


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
    # the cohort is not ranked this period: {reason, source, …}; its units carry the reason
    not_ranked: Doc | None = None
    # with `compare_published=true`: the published totals, ranks, average and groups
    published_comparison: Doc | None = None


class AnalysisRead(Reply):
    id: int
    kind: Literal["audit", "sensitivity"]
    created_at: str
    commits: dict[str, str | None]
    result: Doc
    charts: Doc


class JobProgress(Reply):
    done: int
    total: int


class JobRead(Reply):
    """A background job: `status` queued, running, done, failed or cancelled; `result`
    links what it made once done; `error` and `errors` say why it failed."""

    id: int
    kind: JobKind
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    percent: int
    progress: JobProgress
    remaining_seconds: int | None
    attempts: int
    cancel_requested: bool
    created_at: str
    started_at: str | None
    finished_at: str | None
    result: Doc | None
    error: str | None
    errors: list[ProblemItem]
    href: str


class JobList(Reply):
    jobs: list[JobRead]


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
UnitParam = Annotated[str, Parameter(pattern=UNIT_PATTERN, max_length=100, description="a unit id")]
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
UnitQuery = Annotated[str | None, Parameter(pattern=UNIT_PATTERN, max_length=100)]
PeriodQuery = Annotated[
    str | None,
    Parameter(pattern=PERIOD_PATTERN, max_length=20, description='a period, e.g. "2021"'),
]
PeriodParam = Annotated[
    str,
    Parameter(
        pattern=r"^[^\x00-\x1f\x7f-\x9f/]+$", max_length=20, description='a period, e.g. "2025"'
    ),
]
CohortParam = Annotated[
    str, Parameter(pattern=SLUG_PATTERN, max_length=100, description="a cohort id")
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
    429: "Too many failed sign-ins from this address or with this token, or too many "
    "expensive requests (PARINDEX_RATE_LIMIT); `Retry-After` says when to try again",
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
        description="Seconds until the request may be tried again",
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


# -- operations: health and readiness -----------------------------------------------------


class HealthRead(Reply):
    """The process answers; nothing else is checked (`GET /ready` checks its parts)."""

    status: Literal["ok"]


class ReadyCheck(Reply, omit_defaults=True):
    """One part: `ok`, with what was found (the migration the database is at and the
    latest one; an engine's worker processes) or the kind of error that stopped it."""

    ok: bool
    error: str | None = None
    current: str | None = None
    head: str | None = None
    size: int | None = None
    alive: int | None = None
    restarts: int | None = None


class ReadyRead(Reply):
    """`ready` when every check is ok (`database`, `migrations`, `store`, and
    `engine:<name>` for each engine with worker processes that has started)."""

    ready: bool
    checks: dict[str, ReadyCheck]
    seconds: float
