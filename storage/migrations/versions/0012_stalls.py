"""stalls: creates that did not leave their creating state in time

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4",
         "mariadb_engine": "InnoDB", "mariadb_charset": "utf8mb4"}


def upgrade() -> None:
    op.create_table(
        "stalls",
        sa.Column("resource_uuid", sa.String(64), nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("stalled_at", DateTime, nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("closed_at", DateTime),
        sa.PrimaryKeyConstraint("resource_uuid", name="pk_stalls"),
        **MYSQL,
    )
    op.create_index("ix_stalls_closed_at", "stalls", ["closed_at"])
