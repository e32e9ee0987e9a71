"""objections: preliminary and final publications, their stored inputs, and objections

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:30:00

A publication gets its stage: `preliminary` (kết quả sơ bộ, with the last day of its
objection window) or `final` (kết quả chính thức, naming the preliminary it follows).
Publications made before this revision were the official results, so they become
`final`. One publication of a cohort, period and stage is in force, so the partial
unique index gains the stage. `publication_inputs` keeps what each unit's published
result was scored from, so that it can be scored again; `objections` keeps the units'
objections (kiến nghị) per criterion and their answers.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

IN_FORCE = "withdrawn_at IS NULL"


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", _text(20), nullable=False, server_default="final"))
        batch_op.add_column(sa.Column("objections_close", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("preliminary_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_publications_preliminary_id_publications"),
            "publications",
            ["preliminary_id"],
            ["id"],
        )
        batch_op.drop_index("uq_publications_in_force")
        batch_op.create_index(
            "uq_publications_in_force",
            ["cohort_id", "period", "stage"],
            unique=True,
            sqlite_where=sa.text(IN_FORCE),
            postgresql_where=sa.text(IN_FORCE),
        )
    # The stage is always written by the service; the default only filled existing rows.
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.alter_column("stage", server_default=None)
    op.create_table(
        "publication_inputs",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", _text(100), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("input_hash", _text(64), nullable=False),
        sa.Column("appraisal_hash", _text(64), nullable=False),
        sa.Column("appraisals", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("ranked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_publication_inputs_publication_id_publications"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_publication_inputs_submission_id_submissions"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_publication_inputs_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("publication_id", "unit_id", name=op.f("pk_publication_inputs")),
    )
    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", _text(100), nullable=False),
        sa.Column("node_id", _text(100), nullable=False),
        sa.Column("reason", _text(4000), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=True),
        sa.Column("filed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("answer", _text(4000), nullable=True),
        sa.Column("appraisals", sa.JSON(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_objections_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by"], ["users.id"], name=op.f("fk_objections_filed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_objections_publication_id_publications"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_objections_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
        sa.UniqueConstraint("publication_id", "unit_id", "node_id", name="uq_objections_node"),
    )
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_objections_publication_id"), ["publication_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objections_publication_id"))
    op.drop_table("objections")
    op.drop_table("publication_inputs")
    # Only one publication of a cohort and period may be in force again: the preliminary
    # ones a final one followed are withdrawn by the downgrade.
    op.execute(
        "UPDATE publications SET withdrawn_at = published_at, "
        "withdrawal_reason = 'downgrade: superseded by the final publication' "
        "WHERE stage = 'preliminary' AND withdrawn_at IS NULL AND id IN "
        "(SELECT preliminary_id FROM publications WHERE preliminary_id IS NOT NULL "
        "AND withdrawn_at IS NULL)"
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index("uq_publications_in_force")
        batch_op.create_index(
            "uq_publications_in_force",
            ["cohort_id", "period"],
            unique=True,
            sqlite_where=sa.text(IN_FORCE),
            postgresql_where=sa.text(IN_FORCE),
        )
        batch_op.drop_constraint(
            batch_op.f("fk_publications_preliminary_id_publications"), type_="foreignkey"
        )
        batch_op.drop_column("preliminary_id")
        batch_op.drop_column("objections_close")
        batch_op.drop_column("stage")
