"""one submission of record per unit, period and methodology

Rows that already break the rule are resolved first: the record is the appraised one,
else the submitted one, else the draft (the latest id among equals, as rankings chose
before); the others become `superseded`, so nothing is deleted.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OF_RECORD = "status IN ('draft', 'submitted', 'appraised')"
_RANK = {"appraised": 0, "submitted": 1, "draft": 2}


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            f"SELECT id, unit_id, period, methodology, status FROM submissions WHERE {OF_RECORD}"
        )
    ).all()
    groups: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
    for id_, unit_id, period, methodology, status in rows:
        groups.setdefault((unit_id, period, methodology), []).append((id_, status))
    for members in groups.values():
        members.sort(key=lambda m: (_RANK[m[1]], -m[0]))
        for id_, _status in members[1:]:
            conn.execute(
                sa.text("UPDATE submissions SET status = 'superseded' WHERE id = :id"), {"id": id_}
            )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_submissions_of_record",
            ["unit_id", "period", "methodology"],
            unique=True,
            sqlite_where=sa.text(OF_RECORD),
            postgresql_where=sa.text(OF_RECORD),
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("uq_submissions_of_record")
