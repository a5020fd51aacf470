"""watched_queues: the services' RPC queues herald watches, and their state

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0010"
down_revision = "0011"
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4",
         "mariadb_engine": "InnoDB", "mariadb_charset": "utf8mb4"}


def upgrade() -> None:
    op.create_table(
        "watched_queues",
        sa.Column("queue", sa.String(255), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("since", DateTime),
        sa.Column("message_id", sa.String(36)),
        sa.Column("messages", sa.Integer),
        sa.Column("consumers", sa.Integer),
        sa.Column("checked_at", DateTime),
        sa.Column("changed_at", DateTime, nullable=False),
        sa.PrimaryKeyConstraint("queue", name="pk_watched_queues"),
        **MYSQL,
    )
