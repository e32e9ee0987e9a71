"""token expiry: api_tokens.expires_at

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 09:30:00

Stored token hashes change scheme without a schema change: new tokens are HMAC-SHA256
(`hmac-sha256$…`), old argon2 ones (`$argon2id$…`) are upgraded on first successful use
by `server.auth`, since the secret is needed to re-hash.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
