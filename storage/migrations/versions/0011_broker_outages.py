"""broker_outages: times herald-listener could not reach any broker node

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4",
         "mariadb_engine": "InnoDB", "mariadb_charset": "utf8mb4"}


def upgrade() -> None:
    op.create_table(
        "broker_outages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("started_at", DateTime, nullable=False),
        sa.Column("ended_at", DateTime),
        sa.Column("open_key", sa.String(16)),
        sa.Column("opened_by", sa.String(255)),
        sa.Column("closed_by", sa.String(255)),
        sa.PrimaryKeyConstraint("id", name="pk_broker_outages"),
        sa.UniqueConstraint("open_key", name="uq_broker_outages_open_key"),
        **MYSQL,
    )
    op.create_index("ix_broker_outages_started_at", "broker_outages", ["started_at"])
