"""units that succeed one another, and cohorts or units not ranked in a period

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 18:30:00

`succession_events` (merge, split, rename, abolish on an effective date, by a legal act)
with their units in `succession_links` (predecessors and successors, in the act's
order); `not_ranked` holds a cohort (no unit) or a unit not ranked in a period, with the
reason the ranking shows instead of a rank.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "succession_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(20), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("basis", _text(300), nullable=False),
        sa.Column("note", _text(2000), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_succession_events_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_succession_events")),
    )
    with op.batch_alter_table("succession_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_succession_events_effective"), ["effective"], unique=False
        )
    op.create_table(
        "succession_links",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", _text(100), nullable=False),
        sa.Column("role", _text(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["succession_events.id"],
            name=op.f("fk_succession_links_event_id_succession_events"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_succession_links_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("event_id", "unit_id", "role", name=op.f("pk_succession_links")),
    )
    with op.batch_alter_table("succession_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_succession_links_unit_id"), ["unit_id"], unique=False)
    op.create_table(
        "not_ranked",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", _text(100), nullable=False),
        sa.Column("period", _text(20), nullable=False),
        sa.Column("unit_id", _text(100), nullable=True),
        sa.Column("reason", _text(1000), nullable=False),
        sa.Column("source", _text(500), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_not_ranked_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_not_ranked_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_not_ranked_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_not_ranked")),
        sa.UniqueConstraint("cohort_id", "period", "unit_id", name="uq_not_ranked_entry"),
    )
    with op.batch_alter_table("not_ranked", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_not_ranked_cohort_id"), ["cohort_id"], unique=False)


def downgrade() -> None:
    op.drop_table("not_ranked")
    op.drop_table("succession_links")
    op.drop_table("succession_events")
