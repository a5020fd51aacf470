"""messages: fold repeated messages (count, last_seen_at); folded_notifications

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4",
         "mariadb_engine": "InnoDB", "mariadb_charset": "utf8mb4"}


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("count", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("last_seen_at", DateTime))
        batch.add_column(sa.Column("fold_key", sa.String(64)))
        batch.create_unique_constraint("uq_messages_fold_key", ["fold_key"])
    op.create_table(
        "folded_notifications",
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("received_at", DateTime, nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_folded_notifications"),
        **MYSQL,
    )
    op.create_index("ix_folded_notifications_received_at", "folded_notifications",
                    ["received_at"])
