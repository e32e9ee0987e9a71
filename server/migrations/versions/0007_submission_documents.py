"""evidence references of a submission: submissions.documents

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 16:30:00

The documents a unit names for each sub-criterion (số/ký hiệu, ngày ban hành, trích yếu,
cơ quan ban hành) and its giải trình where it names none, as a submission file and the
Excel form hold them: `{node: [{number?, date?, title?, issuer?} | {explanation}]}`. Until
now only the files uploaded as evidence were kept; references typed into a form were lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("documents", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("documents")
