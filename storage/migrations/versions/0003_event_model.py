"""messages: event type and category, event trees, who triggered it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("event_type", sa.String(96)))
        batch.add_column(sa.Column("category", sa.String(16)))
        batch.add_column(sa.Column("parent_id", sa.String(36)))
        batch.add_column(sa.Column("root_id", sa.String(36)))
        batch.add_column(sa.Column("session_id", sa.String(128)))
        batch.add_column(sa.Column("claim", sa.String(255)))
    op.create_index("ix_messages_project_id_root_id", "messages", ["project_id", "root_id"])
    op.create_index("ix_messages_project_id_parent_id", "messages", ["project_id", "parent_id"])
