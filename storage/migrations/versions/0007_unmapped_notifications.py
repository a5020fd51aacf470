"""unmapped_notifications: ERROR notifications no mapping rule maps, by kind

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
Blob = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4",
         "mariadb_engine": "InnoDB", "mariadb_charset": "utf8mb4"}


def upgrade() -> None:
    op.create_table(
        "unmapped_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("first_seen", DateTime, nullable=False),
        sa.Column("last_seen", DateTime, nullable=False),
        sa.Column("sample_size", sa.Integer, nullable=False),
        sa.Column("sample", Blob, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_unmapped_notifications"),
        sa.UniqueConstraint("event_type", "service",
                            name="uq_unmapped_notifications_event_type_service"),
        **MYSQL,
    )
    op.create_index("ix_unmapped_notifications_last_seen", "unmapped_notifications",
                    ["last_seen"])
