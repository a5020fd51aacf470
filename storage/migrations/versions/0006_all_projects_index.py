"""messages: index (created_at, id) for administrators' all-projects pages

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_created_at_id", "messages", ["created_at", "id"])
