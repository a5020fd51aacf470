"""provision_steps: progress of long operations (Sahara's event log)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4",
         "mariadb_engine": "InnoDB", "mariadb_charset": "utf8mb4"}


def upgrade() -> None:
    op.create_table(
        "provision_steps",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("resource_uuid", sa.String(64), nullable=False),
        sa.Column("step_type", sa.String(16), nullable=False),
        sa.Column("step_name", sa.String(64), nullable=False),
        sa.Column("completed", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("successful", sa.Boolean),
        sa.Column("started_at", DateTime, nullable=False),
        sa.Column("completed_at", DateTime),
        sa.Column("updated_at", DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_provision_steps"),
        sa.UniqueConstraint("project_id", "resource_uuid", "step_type", "step_name",
                            name="uq_provision_steps_project_id_resource_uuid_step_type_step_name"),
        **MYSQL,
    )
    op.create_index("ix_provision_steps_updated_at", "provision_steps", ["updated_at"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("step_id", sa.String(36)))
    op.create_index("ix_messages_step_id", "messages", ["step_id"])
