"""Record memos: the enrichment models' answers for a record's text, reused by re-normalising.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_memos",
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("native_id", sa.String(length=1000), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("source_id", "native_id"),
    )


def downgrade() -> None:
    op.drop_table("record_memos")
