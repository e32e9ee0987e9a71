"""the yearly cycle: assessment periods, deadline extensions, submission transitions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 18:10:00

A cohort's assessment period (kỳ đánh giá) pins the release its submissions are made
under and carries its schedule and late policy; an administrator may extend the
self-assessment deadline for one unit (`period_extensions`). Every move of a submission
between statuses is a row of `submission_transitions` (who, when, why). Submissions gain
`late` (nộp muộn) and `supplement` (what the council asked for while it is returned), and
the new active statuses `returned`, `resubmitted` and `council` count as the submission
of record, so the partial unique index is rebuilt with them. Rows made before keep their
history in the audit log only.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OF_RECORD_BEFORE = "status IN ('draft', 'submitted', 'appraised')"
OF_RECORD = "status IN ('draft', 'submitted', 'returned', 'resubmitted', 'appraised', 'council')"


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _of_record(where: str) -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("uq_submissions_of_record")
        batch_op.create_index(
            "uq_submissions_of_record",
            ["unit_id", "period", "methodology"],
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def upgrade() -> None:
    op.create_table(
        "assessment_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", _text(100), nullable=False),
        sa.Column("period", _text(20), nullable=False),
        sa.Column("methodology", _text(100), nullable=False),
        sa.Column("ref", _text(200), nullable=True),
        sa.Column("commit", _text(40), nullable=True),
        sa.Column("self_assessment_opens", sa.Date(), nullable=True),
        sa.Column("self_assessment_closes", sa.Date(), nullable=True),
        sa.Column("appraisal_opens", sa.Date(), nullable=True),
        sa.Column("appraisal_closes", sa.Date(), nullable=True),
        sa.Column("survey_import", sa.Date(), nullable=True),
        sa.Column("preliminary_publication", sa.Date(), nullable=True),
        sa.Column("objection_opens", sa.Date(), nullable=True),
        sa.Column("objection_closes", sa.Date(), nullable=True),
        sa.Column("final_publication", sa.Date(), nullable=True),
        sa.Column("late", _text(20), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_assessment_periods_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_assessment_periods_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_periods")),
        sa.UniqueConstraint("cohort_id", "period", name="uq_assessment_periods_cohort_period"),
    )
    with op.batch_alter_table("assessment_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_periods_cohort_id"), ["cohort_id"], unique=False
        )
    op.create_table(
        "period_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", _text(100), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("reason", _text(2000), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("granted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["users.id"], name=op.f("fk_period_extensions_granted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["assessment_periods.id"],
            name=op.f("fk_period_extensions_period_id_assessment_periods"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_period_extensions_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_extensions")),
    )
    with op.batch_alter_table("period_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_period_extensions_period_id"), ["period_id"], unique=False
        )
    op.create_table(
        "submission_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("from_status", _text(20), nullable=True),
        sa.Column("to_status", _text(20), nullable=False),
        sa.Column("action", _text(40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("reason", _text(2000), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_transitions_submission_id_submissions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_submission_transitions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_transitions")),
    )
    with op.batch_alter_table("submission_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submission_transitions_submission_id"), ["submission_id"], unique=False
        )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("supplement", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    _of_record(OF_RECORD)


def downgrade() -> None:
    # The statuses 0007 does not know go back to the nearest it does: a returned record
    # to a draft (the unit is supplementing it), resubmitted to submitted, council to
    # appraised; their transitions stay in the audit log.
    for new, old in (("returned", "draft"), ("resubmitted", "submitted"), ("council", "appraised")):
        op.execute(sa.text(f"UPDATE submissions SET status = '{old}' WHERE status = '{new}'"))
    _of_record(OF_RECORD_BEFORE)
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("supplement")
        batch_op.drop_column("late")
    with op.batch_alter_table("submission_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_transitions_submission_id"))
    op.drop_table("submission_transitions")
    with op.batch_alter_table("period_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_period_extensions_period_id"))
    op.drop_table("period_extensions")
    with op.batch_alter_table("assessment_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_periods_cohort_id"))
    op.drop_table("assessment_periods")
