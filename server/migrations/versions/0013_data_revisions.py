"""a revision counter for the data rankings are computed from

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 21:30:00

`data_revisions` holds one row, `scoring` (made by the first write), whose `revision`
every write to submissions, appraisals, survey scores, units, cohorts, their members, the
units not ranked or users moves on (`server.models`): a ranking computed at one revision
is reused by every process until it moves.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_revisions",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_revisions")),
    )


def downgrade() -> None:
    op.drop_table("data_revisions")
