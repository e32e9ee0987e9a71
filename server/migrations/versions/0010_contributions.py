"""contributions: criteria assigned to other units, and the document an evidence file is

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 18:30:00

A province's file is compiled from its departments "theo lĩnh vực phụ trách": an
`assignments` row gives some criteria of a unit's submission to another unit (one row
per submission and contributing unit, its node ids as JSON) and records when that unit
marked its part done. An uploaded evidence file may now say which document it is
(số/ký hiệu, ngày ban hành, trích yếu, cơ quan ban hành), as `submissions.documents`
names one, so the two go together.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# `server.models.DOCUMENT_PARTS` as this revision wrote them.
PARTS = {"number": 100, "date": 40, "title": 1000, "issuer": 300}


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", _text(100), nullable=False),
        sa.Column("nodes", sa.JSON(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by"], ["users.id"], name=op.f("fk_assignments_assigned_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["done_by"], ["users.id"], name=op.f("fk_assignments_done_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_assignments_submission_id_submissions"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_assignments_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("submission_id", "unit_id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        for part, length in PARTS.items():
            batch_op.add_column(sa.Column(part, _text(length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        for part in reversed(PARTS):
            batch_op.drop_column(part)
    op.drop_table("assignments")
