"""Database tables (SQLModel) and the models the API reads and writes.

Table models skip validation, so input always goes through the `...Create` /
`...Update` models first. JSON columns hold submitted values and results as plain
data (decimals as strings), identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event, orm
from sqlmodel import Field, Session, SQLModel

__all__ = [
    "JOB_KINDS",
    "JOB_STATUSES",
    "LATE_POLICIES",
    "OBJECTION_STATUSES",
    "OF_RECORD",
    "PUBLICATION_STAGES",
    "ROLES",
    "SCHEDULE",
    "SUBMISSION_STATUSES",
    "Analysis",
    "ApiToken",
    "Appraisal",
    "AppraisalCreate",
    "AssessmentPeriod",
    "Assignment",
    "AuditEntry",
    "Cohort",
    "CohortMember",
    "DataRevision",
    "Evaluation",
    "Evidence",
    "Job",
    "NotRanked",
    "Objection",
    "PeriodExtension",
    "Publication",
    "PublicationInput",
    "PublicationResult",
    "Submission",
    "SubmissionCreate",
    "SubmissionTransition",
    "SubmissionUpdate",
    "SuccessionEvent",
    "SuccessionLink",
    "SurveyImport",
    "SurveyScore",
    "Unit",
    "UnitCreate",
    "User",
    "WebSession",
    "data_revision",
    "metadata",
    "stored_id",
    "utcnow",
]

OBJECTION_STATUSES = ("open", "accepted", "rejected")
PUBLICATION_STAGES = ("preliminary", "final")  # kết quả sơ bộ, kết quả chính thức
ROLES = ("admin", "ministry_editor", "province_editor", "unit_submitter", "appraiser", "auditor")
# The path of a submission through the yearly cycle (`server.transitions` holds the moves
# between them): `returned` for supplement (yêu cầu bổ sung) and `resubmitted` after it,
# `appraised` by round 1 (thẩm định vòng 1), `council` in round 2 (Hội đồng thẩm định);
# `reopened`: the council reopened the record for a new submission (still the record
# until that one is submitted); `superseded`: replaced by it, kept for the audit.
SUBMISSION_STATUSES = (
    "draft",
    "submitted",
    "returned",
    "resubmitted",
    "appraised",
    "council",
    "reopened",
    "superseded",
)
# The statuses of a unit's submission of record (at most one per unit, period and
# methodology: `uq_submissions_of_record`, migrations 0003 and 0008).
OF_RECORD = ("draft", "submitted", "returned", "resubmitted", "appraised", "council")
_OF_RECORD_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in OF_RECORD))

# Named constraints, so migrations are stable across SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = SQLModel.metadata


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Row(Protocol):
    id: int | None


def stored_id(row: _Row) -> int:
    """The id of a row the database has stored (read, or added and flushed): a row
    only gets its id from the database."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id: it is not stored yet")
    return row.id


def _json() -> Any:
    return Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    role: str = Field(max_length=40)
    province: str | None = Field(default=None, max_length=100)
    unit_id: str | None = Field(default=None, max_length=100)
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)
    # argon2id of the password the person signs in to the pages with; None: tokens only.
    password_hash: str | None = Field(default=None, max_length=200)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    prefix: str = Field(index=True, unique=True, max_length=16)
    token_hash: str = Field(max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)
    revoked_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


class UnitBase(SQLModel):
    id: str = Field(primary_key=True, max_length=100, regex=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(max_length=300)
    level: str = Field(max_length=40)
    province: str | None = Field(default=None, max_length=100)
    ranked: bool = True
    group: str | None = Field(default=None, max_length=100)


class Unit(UnitBase, table=True):
    __tablename__ = "units"


class UnitCreate(UnitBase):
    cohorts: list[str] = []


class Cohort(SQLModel, table=True):
    __tablename__ = "cohorts"

    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=300)
    methodology: str = Field(max_length=100)


class CohortMember(SQLModel, table=True):
    __tablename__ = "cohort_members"

    cohort_id: str = Field(foreign_key="cohorts.id", primary_key=True, max_length=100)
    unit_id: str = Field(foreign_key="units.id", primary_key=True, max_length=100)


class SuccessionEvent(SQLModel, table=True):
    """Units merged, split, renamed or abolished on a date, by a legal act
    (`methodology.SUCCESSION_KINDS`); the units are its `SuccessionLink`s."""

    __tablename__ = "succession_events"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    effective: dt.date = Field(index=True)
    basis: str = Field(max_length=300)
    note: str = Field(default="", max_length=2000)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class SuccessionLink(SQLModel, table=True):
    """One unit of a succession event: `predecessor` (ends) or `successor` (takes over)."""

    __tablename__ = "succession_links"

    event_id: int = Field(foreign_key="succession_events.id", primary_key=True)
    unit_id: str = Field(foreign_key="units.id", primary_key=True, max_length=100, index=True)
    role: str = Field(primary_key=True, max_length=20)
    position: int = 0  # the order the act names them in (the first keeps the name)


class NotRanked(SQLModel, table=True):
    """A cohort (``unit_id`` None) or one of its units not ranked in a period, and why:
    the ranking lists them with this reason instead of a rank."""

    __tablename__ = "not_ranked"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "period", "unit_id", name="uq_not_ranked_entry"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: str = Field(foreign_key="cohorts.id", index=True, max_length=100)
    period: str = Field(max_length=20)
    unit_id: str | None = Field(default=None, foreign_key="units.id", max_length=100)
    reason: str = Field(max_length=1000)
    source: str | None = Field(default=None, max_length=500)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


PERIOD_LENGTH = 20  # a period as `Submission.period` holds it ("2023")


class SubmissionBase(SQLModel):
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=100)
    period: str = Field(max_length=PERIOD_LENGTH)
    methodology: str = Field(max_length=100)
    ref: str | None = Field(default=None, max_length=200)


class Submission(SubmissionBase, table=True):
    __tablename__ = "submissions"
    # One submission of record per unit, period and methodology (migration 0003).
    __table_args__ = (
        sa.Index(
            "uq_submissions_of_record",
            "unit_id",
            "period",
            "methodology",
            unique=True,
            sqlite_where=sa.text(_OF_RECORD_SQL),
            postgresql_where=sa.text(_OF_RECORD_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    values: dict[str, Any] = _json()
    not_applicable: dict[str, Any] = _json()
    facts: dict[str, Any] = _json()
    # {node: [{number, date, title, issuer} | {explanation}]}: what the unit names as
    # evidence (migration 0007); the uploaded files are `Evidence` rows.
    documents: dict[str, Any] = _json()
    status: str = Field(default="draft", max_length=20)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    submitted_at: dt.datetime | None = None
    revision: int = 1
    # Submitted after its period's self-assessment closed, accepted as "nộp muộn" (migration 0008).
    late: bool = False
    # While `returned`: what the council asked to supplement, `{nodes, note, due}` (migration 0008).
    supplement: dict[str, Any] = _json()


class SubmissionTransition(SQLModel, table=True):
    """One move of a submission between statuses (`server.transitions`): who, when, why.
    Append-only, beside the audit log; `from_status` is None for the creation."""

    __tablename__ = "submission_transitions"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", index=True)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    action: str = Field(max_length=40)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    at: dt.datetime = Field(default_factory=utcnow)
    reason: str | None = Field(default=None, max_length=2000)
    details: dict[str, Any] = _json()


# The dates of an assessment period's schedule, in the order they fall.
SCHEDULE = (
    "self_assessment_opens",
    "self_assessment_closes",
    "appraisal_opens",
    "appraisal_closes",
    "survey_import",
    "preliminary_publication",
    "objection_opens",
    "objection_closes",
    "final_publication",
)
# What a submission after the self-assessment closed gets: refused, or accepted as late.
LATE_POLICIES = ("refuse", "flag")


class AssessmentPeriod(SQLModel, table=True):
    """A cohort's assessment period (kỳ đánh giá, e.g. provinces 2025): the release its
    submissions are made under (`ref`, and the `commit` it was resolved to when pinned),
    its schedule (dates, each optional; a window without a date is open on that side)
    and what happens to late submissions (migration 0008)."""

    __tablename__ = "assessment_periods"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "period", name="uq_assessment_periods_cohort_period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: str = Field(foreign_key="cohorts.id", index=True, max_length=100)
    period: str = Field(max_length=PERIOD_LENGTH)
    methodology: str = Field(max_length=100)
    ref: str | None = Field(default=None, max_length=200)
    commit: str | None = Field(default=None, max_length=40)
    self_assessment_opens: dt.date | None = None
    self_assessment_closes: dt.date | None = None
    appraisal_opens: dt.date | None = None
    appraisal_closes: dt.date | None = None
    survey_import: dt.date | None = None
    preliminary_publication: dt.date | None = None
    objection_opens: dt.date | None = None
    objection_closes: dt.date | None = None
    final_publication: dt.date | None = None
    late: str = Field(default="refuse", max_length=20)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class PeriodExtension(SQLModel, table=True):
    """An administrator's extension of a period's self-assessment deadline for one unit,
    with its reason; the latest one of a unit is in force (migration 0008)."""

    __tablename__ = "period_extensions"

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="assessment_periods.id", index=True)
    unit_id: str = Field(foreign_key="units.id", max_length=100)
    until: dt.date
    reason: str = Field(max_length=2000)
    granted_by: int | None = Field(default=None, foreign_key="users.id")
    granted_at: dt.datetime = Field(default_factory=utcnow)


# What a document named as evidence (`Submission.documents`) may say, and how long each
# part may be: the API's schema (`schemas.DocumentRef`) and the service's check read both.
DOCUMENT_PARTS = {"number": 100, "date": 40, "title": 1000, "issuer": 300, "explanation": 4000}
MAX_DOCUMENTS = 50  # per node


class SubmissionCreate(SubmissionBase):
    values: dict[str, Any] = {}
    not_applicable: dict[str, str] = {}
    facts: dict[str, Any] = {}
    documents: dict[str, list[dict[str, str]]] = {}


class SubmissionUpdate(SQLModel):
    values: dict[str, Any] | None = None
    not_applicable: dict[str, str] | None = None
    facts: dict[str, Any] | None = None
    # A node's list replaces the stored one; null removes it.
    documents: dict[str, list[dict[str, str]] | None] | None = None
    ref: str | None = None


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", index=True)
    node_id: str | None = Field(default=None, max_length=100)
    filename: str = Field(max_length=300)
    media_type: str = Field(max_length=200)
    size: int
    sha256: str = Field(max_length=64, index=True)
    uploaded_by: int | None = Field(default=None, foreign_key="users.id")
    uploaded_at: dt.datetime = Field(default_factory=utcnow)
    # The document the file is (số/ký hiệu, ngày ban hành, trích yếu, cơ quan ban hành),
    # as `Submission.documents` names one, so a file and its metadata go together
    # (migration 0010). The date is ISO text (`server.format.parse_date` reads it).
    number: str | None = Field(default=None, max_length=DOCUMENT_PARTS["number"])
    date: str | None = Field(default=None, max_length=DOCUMENT_PARTS["date"])
    title: str | None = Field(default=None, max_length=DOCUMENT_PARTS["title"])
    issuer: str | None = Field(default=None, max_length=DOCUMENT_PARTS["issuer"])


class Assignment(SQLModel, table=True):
    """Criteria of a unit's submission given to another unit to fill in (a department
    "theo lĩnh vực phụ trách": Sở Tư pháp fills field 2), and whether it has marked its
    part done (migration 0010). `nodes` are node ids; each covers its sub-criteria."""

    __tablename__ = "assignments"

    submission_id: int = Field(foreign_key="submissions.id", primary_key=True)
    unit_id: str = Field(foreign_key="units.id", primary_key=True, max_length=100)
    nodes: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    assigned_by: int | None = Field(default=None, foreign_key="users.id")
    assigned_at: dt.datetime = Field(default_factory=utcnow)
    done_by: int | None = Field(default=None, foreign_key="users.id")
    done_at: dt.datetime | None = None


class AppraisalBase(SQLModel):
    key: str = Field(max_length=100)  # an input id, or a node id for a manually scored node
    value: Any = Field(default=None, sa_column=sa.Column(sa.JSON))
    points: str | None = Field(default=None, max_length=40)
    reason: str = Field(min_length=1, max_length=2000)


class Appraisal(AppraisalBase, table=True):
    __tablename__ = "appraisals"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", index=True)
    by_user: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class AppraisalCreate(AppraisalBase):
    pass


class SurveyImport(SQLModel, table=True):
    __tablename__ = "survey_imports"

    id: int | None = Field(default=None, primary_key=True)
    methodology: str = Field(max_length=100)
    period: str = Field(max_length=20)
    imported_by: int | None = Field(default=None, foreign_key="users.id")
    imported_at: dt.datetime = Field(default_factory=utcnow)


class SurveyScore(SQLModel, table=True):
    __tablename__ = "survey_scores"

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="survey_imports.id", index=True)
    unit_id: str = Field(foreign_key="units.id", max_length=100)
    node_id: str = Field(max_length=100)
    score: str = Field(max_length=40)


class Evaluation(SQLModel, table=True):
    __tablename__ = "evaluations"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", index=True)
    methodology: str = Field(max_length=100)
    ref: str | None = Field(default=None, max_length=200)
    commit: str = Field(max_length=40)
    engine: str = Field(max_length=20)
    engine_version: str = Field(max_length=20)
    input_hash: str = Field(max_length=64)
    result_hash: str = Field(max_length=64, index=True)
    total: str | None = Field(default=None, max_length=40)
    index: str | None = Field(default=None, max_length=40)
    result: dict[str, Any] = _json()
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class Publication(SQLModel, table=True):
    """A cohort's ranking for a period, published under an official document.

    The ranking is frozen as published: `ranking` is the snapshot (the `GET /api/rankings`
    answer at publication), `ranking_hash` the hash of what it was computed from, and each
    unit's result tree is a stored `Evaluation` (`PublicationResult`), and what it was
    scored from a `PublicationInput`. A withdrawal fills the `withdrawn_*` columns; rows
    are never deleted. A `preliminary` publication (kết quả sơ bộ) opens the objection
    window until `objections_close`; a `final` one (kết quả chính thức) names the
    preliminary it follows. At most one publication of a cohort, period and stage is in
    force (`uq_publications_in_force`, migrations 0006 and 0009)."""

    __tablename__ = "publications"
    __table_args__ = (
        sa.Index(
            "uq_publications_in_force",
            "cohort_id",
            "period",
            "stage",
            unique=True,
            sqlite_where=sa.text("withdrawn_at IS NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: str = Field(foreign_key="cohorts.id", index=True, max_length=100)
    period: str = Field(max_length=20)
    methodology: str = Field(max_length=100)
    ref: str | None = Field(default=None, max_length=200)
    commit: str = Field(max_length=40)
    ranking_hash: str = Field(max_length=64)
    ranking: dict[str, Any] = _json()
    document_kind: str = Field(max_length=20)
    document_number: str = Field(max_length=200)
    document_date: dt.date
    published_by: int | None = Field(default=None, foreign_key="users.id")
    published_at: dt.datetime = Field(default_factory=utcnow)
    withdrawn_by: int | None = Field(default=None, foreign_key="users.id")
    withdrawn_at: dt.datetime | None = None
    withdrawal_reason: str | None = Field(default=None, max_length=2000)
    stage: str = Field(default="preliminary", max_length=20)
    # The last day (inclusive, Vietnam's date) a unit may object to a preliminary result.
    objections_close: dt.date | None = None
    preliminary_id: int | None = Field(default=None, foreign_key="publications.id")


class PublicationResult(SQLModel, table=True):
    """A unit's result tree as published: the evaluation stored when it was published."""

    __tablename__ = "publication_results"

    publication_id: int = Field(foreign_key="publications.id", primary_key=True)
    unit_id: str = Field(foreign_key="units.id", primary_key=True, max_length=100)
    evaluation_id: int = Field(foreign_key="evaluations.id", unique=True)


class PublicationInput(SQLModel, table=True):
    """What a unit's published result was scored from, kept so that it can be scored again
    (`server.services.publications.verify`): the scored submission as plain JSON (values,
    facts, claims, the council's appraisals, the survey scores), its `input_hash`
    (`evaluators.Submission.content_hash`), the appraisal rows it held and their hash, and
    whether the unit was ranked."""

    __tablename__ = "publication_inputs"

    publication_id: int = Field(foreign_key="publications.id", primary_key=True)
    unit_id: str = Field(foreign_key="units.id", primary_key=True, max_length=100)
    submission_id: int = Field(foreign_key="submissions.id")
    input_hash: str = Field(max_length=64)
    appraisal_hash: str = Field(max_length=64)
    appraisals: list[int] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    inputs: dict[str, Any] = _json()
    ranked: bool = True


class Objection(SQLModel, table=True):
    """A unit's objection (kiến nghị) to a criterion of its preliminary result, and the
    answer: `accepted` (with the appraisals it applied) or `rejected`. Never deleted."""

    __tablename__ = "objections"
    __table_args__ = (
        sa.UniqueConstraint("publication_id", "unit_id", "node_id", name="uq_objections_node"),
    )

    id: int | None = Field(default=None, primary_key=True)
    publication_id: int = Field(foreign_key="publications.id", index=True)
    unit_id: str = Field(foreign_key="units.id", max_length=100)
    node_id: str = Field(max_length=100)
    reason: str = Field(max_length=4000)
    documents: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    evidence: list[int] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    filed_by: int | None = Field(default=None, foreign_key="users.id")
    filed_at: dt.datetime = Field(default_factory=utcnow)
    status: str = Field(default="open", max_length=20)
    answer: str | None = Field(default=None, max_length=4000)
    appraisals: list[int] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    answered_by: int | None = Field(default=None, foreign_key="users.id")
    answered_at: dt.datetime | None = None


class Analysis(SQLModel, table=True):
    """A stored audit across versions or sensitivity run: what was asked, the commits it
    ran on, its JSON result and its Markdown report (the report cannot be rebuilt from
    the JSON, so it is kept as rendered)."""

    __tablename__ = "analyses"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    request: dict[str, Any] = _json()
    commits: dict[str, Any] = _json()
    result: dict[str, Any] = _json()
    report: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class WebSession(SQLModel, table=True):
    """A signed-in page session. The cookie holds a random secret; only its SHA-256 is
    stored, so a copy of the database signs nobody in."""

    __tablename__ = "web_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime


class AuditEntry(SQLModel, table=True):
    """Append-only: who changed what, when, with the state before and after."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=60)
    entity: str = Field(max_length=60)
    entity_id: str = Field(max_length=200)
    before: Any = Field(default=None, sa_column=sa.Column(sa.JSON))
    after: Any = Field(default=None, sa_column=sa.Column(sa.JSON))


JOB_KINDS = ("audit", "sensitivity", "report", "form_import")
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class Job(SQLModel, table=True):
    """Long work asked for through `POST /api/jobs` (or a page), run in the background
    (`server.jobs`): the row is the job, so any server sharing the database can say how
    far it is. What the job made is referred to by `result` (an analysis, a submission)
    or, for a document, held in `output` until the job row is removed."""

    __tablename__ = "jobs"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    status: str = Field(default="queued", max_length=20, index=True)
    owner: int | None = Field(default=None, foreign_key="users.id", index=True)
    request: dict[str, Any] = _json()
    done: int = 0
    total: int = 0
    result: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    output: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    problems: list[dict[str, str]] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    cancel_requested: bool = False
    attempts: int = 0
    runner: str | None = Field(default=None, max_length=200)  # host:pid running it
    created_at: dt.datetime = Field(default_factory=utcnow)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class DataRevision(SQLModel, table=True):
    """A counter that every change to what a ranking is computed from moves on (migration
    0013): a ranking computed at one revision is reused, by any process sharing the
    database, until the counter moves."""

    __tablename__ = "data_revisions"

    name: str = Field(primary_key=True, max_length=40)
    revision: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))


SCORING_REVISION = "scoring"
# What a cohort's ranking reads: the submissions with their appraisals (and the names of
# the appraisers), the survey scores, the units, the cohorts and who is not ranked.
_SCORED_TABLES = (
    Submission,
    Appraisal,
    SurveyImport,
    SurveyScore,
    Unit,
    Cohort,
    CohortMember,
    NotRanked,
    User,
)


def data_revision(session: Session) -> int:
    """The scoring data's revision now (0 until the first write makes the counter)."""
    row = session.get(DataRevision, SCORING_REVISION)
    return 0 if row is None else row.revision


# The same SQL on SQLite and PostgreSQL: the first write makes the row (a second first
# writer finds it made), then every write moves it on.
_MAKE_REVISION = sa.text(
    "INSERT INTO data_revisions (name, revision) VALUES (:name, 0) ON CONFLICT (name) DO NOTHING"
)
_MOVE_REVISION = sa.text("UPDATE data_revisions SET revision = revision + 1 WHERE name = :name")


@event.listens_for(orm.Session, "before_flush")
def _move_revision(session: orm.Session, _context: Any, _instances: Any) -> None:
    # In the writer's own transaction, so the counter moves exactly when the change
    # commits; the UPDATE holds the row until then, so two writers never share a value.
    changed = (
        any(isinstance(o, _SCORED_TABLES) for o in session.new)
        or any(isinstance(o, _SCORED_TABLES) for o in session.deleted)
        or any(
            isinstance(o, _SCORED_TABLES) and session.is_modified(o, include_collections=False)
            for o in session.dirty
        )
    )
    if changed:
        session.execute(_MAKE_REVISION, {"name": SCORING_REVISION})
        session.execute(_MOVE_REVISION, {"name": SCORING_REVISION})
