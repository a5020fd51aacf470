"""messages and rejected_notifications

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types of this revision (never import the
# current tables into a migration: they change, this must not).
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
Blob = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4",
         "mariadb_engine": "InnoDB", "mariadb_charset": "utf8mb4"}


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64)),
        sa.Column("request_id", sa.String(128)),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("resource_uuid", sa.String(64)),
        sa.Column("message_level", sa.String(16), nullable=False),
        sa.Column("user_message", sa.String(1024), nullable=False),
        sa.Column("publisher_id", sa.String(255)),
        sa.Column("created_at", DateTime, nullable=False),
        sa.Column("expires_at", DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint("message_id", name="uq_messages_message_id"),
        **MYSQL,
    )
    op.create_index("ix_messages_project_id_created_at_id", "messages",
                    ["project_id", "created_at", "id"])
    op.create_index("ix_messages_expires_at", "messages", ["expires_at"])
    op.create_table(
        "rejected_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(1024), nullable=False),
        sa.Column("message_id", sa.String(255)),
        sa.Column("event_id", sa.String(255)),
        sa.Column("project_id", sa.String(255)),
        sa.Column("publisher_id", sa.String(255)),
        sa.Column("event_type", sa.String(255)),
        sa.Column("received_at", DateTime, nullable=False),
        sa.Column("raw_size", sa.Integer, nullable=False),
        sa.Column("raw_body", Blob),
        sa.PrimaryKeyConstraint("id", name="pk_rejected_notifications"),
        sa.UniqueConstraint("dedupe_key", name="uq_rejected_notifications_dedupe_key"),
        **MYSQL,
    )
    op.create_index("ix_rejected_notifications_received_at", "rejected_notifications",
                    ["received_at"])
