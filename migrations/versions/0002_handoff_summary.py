"""the handoff summary, stored once per handoff

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 06:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("summary_source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("summary_for", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("summary_for")
        batch_op.drop_column("summary_source")
        batch_op.drop_column("summary_text")
