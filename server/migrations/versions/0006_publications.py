"""publications: a cohort's ranking for a period, published under an official document

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 15:01:30

A publication keeps the ranking as it was published (a JSON snapshot and its hash) and
the unit results behind it (stored evaluations, `publication_results`); a withdrawal
fills the `withdrawn_*` columns, so no row is ever deleted. At most one publication of
a cohort and period is in force: a partial unique index over the rows not withdrawn.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

IN_FORCE = "withdrawn_at IS NULL"


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", _text(100), nullable=False),
        sa.Column("period", _text(20), nullable=False),
        sa.Column("methodology", _text(100), nullable=False),
        sa.Column("ref", _text(200), nullable=True),
        sa.Column("commit", _text(40), nullable=False),
        sa.Column("ranking_hash", _text(64), nullable=False),
        sa.Column("ranking", sa.JSON(), nullable=False),
        sa.Column("document_kind", _text(20), nullable=False),
        sa.Column("document_number", _text(200), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("withdrawal_reason", _text(2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_publications_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_publications_published_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"], ["users.id"], name=op.f("fk_publications_withdrawn_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publications_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(
            "uq_publications_in_force",
            ["cohort_id", "period"],
            unique=True,
            sqlite_where=sa.text(IN_FORCE),
            postgresql_where=sa.text(IN_FORCE),
        )
    op.create_table(
        "publication_results",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", _text(100), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_publication_results_evaluation_id_evaluations"),
        ),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_publication_results_publication_id_publications"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_publication_results_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("publication_id", "unit_id", name=op.f("pk_publication_results")),
        sa.UniqueConstraint("evaluation_id", name=op.f("uq_publication_results_evaluation_id")),
    )


def downgrade() -> None:
    op.drop_table("publication_results")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index("uq_publications_in_force")
        batch_op.drop_index(batch_op.f("ix_publications_cohort_id"))
    op.drop_table("publications")
