"""delivery_attempts: count deliveries that never completed (poison messages)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4",
         "mariadb_engine": "InnoDB", "mariadb_charset": "utf8mb4"}


def upgrade() -> None:
    op.create_table(
        "delivery_attempts",
        sa.Column("delivery_key", sa.String(80), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_attempt_at", DateTime, nullable=False),
        sa.PrimaryKeyConstraint("delivery_key", name="pk_delivery_attempts"),
        **MYSQL,
    )
    op.create_index("ix_delivery_attempts_last_attempt_at", "delivery_attempts",
                    ["last_attempt_at"])
