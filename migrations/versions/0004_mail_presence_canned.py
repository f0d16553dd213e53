"""e-mail outbox delivery state, agent presence and mail opt-in, personal canned replies

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEAM_ONLY = sa.text("owner_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="reply")
        )
        batch_op.add_column(sa.Column("locale", sa.String(8), nullable=False, server_default="en"))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("last_error", sa.Text()))
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True)))
        batch_op.create_index("ix_outbox_due", ["sent_at", "failed_at", "next_attempt_at"])
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("presence", sa.String(16), nullable=False, server_default="online")
        )
        batch_op.add_column(
            sa.Column(
                "notify_new_messages", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    # The unique constraint on shortcut alone has no name to drop portably: copy the table.
    op.rename_table("canned_replies", "canned_replies_old")
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("shortcut", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_canned_replies"),
        sa.UniqueConstraint("owner_id", "shortcut", name="uq_canned_replies_owner_shortcut"),
    )
    op.create_index(
        "uq_canned_replies_team_shortcut",
        "canned_replies",
        ["shortcut"],
        unique=True,
        sqlite_where=TEAM_ONLY,
        postgresql_where=TEAM_ONLY,
    )
    op.execute(
        "INSERT INTO canned_replies (owner_id, shortcut, text, updated_at) "
        "SELECT NULL, shortcut, text, CURRENT_TIMESTAMP FROM canned_replies_old ORDER BY id"
    )
    op.drop_table("canned_replies_old")


def downgrade() -> None:
    op.drop_index("uq_canned_replies_team_shortcut", table_name="canned_replies")
    op.rename_table("canned_replies", "canned_replies_new")
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shortcut", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shortcut"),
    )
    op.execute(
        "INSERT INTO canned_replies (shortcut, text) "
        "SELECT shortcut, text FROM canned_replies_new WHERE owner_id IS NULL ORDER BY id"
    )
    op.drop_table("canned_replies_new")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("notify_new_messages")
        batch_op.drop_column("presence")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        for column in (
            "failed_at",
            "last_error",
            "claimed_until",
            "next_attempt_at",
            "attempts",
            "locale",
            "kind",
        ):
            batch_op.drop_column(column)
