"""messages.params: the typed parameters, so that herald-api renders when read

Rows written before this revision have no parameters and keep their stored
text (herald-api shows ``user_message`` for them).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("params", sa.Text, nullable=True))
