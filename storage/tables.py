"""SQLAlchemy Core tables: the schema alembic migrates and herald writes.

Core, not ORM: the hot path inserts plain dicts in one executemany per
batch. Column sizes match the limits the validator enforces, so a valid
message always fits. Timestamps are naive UTC.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)

# MySQL/MariaDB DATETIME defaults to whole seconds: newest-first pages and
# keyset pagination need microseconds.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# Rejected bodies may exceed BLOB's 64 KiB when an operator raises the cap.
Blob = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")
MYSQL_ARGS: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4",
              "mariadb_engine": "InnoDB", "mariadb_charset": "utf8mb4"}

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    # the notification's oslo message_id: redelivery never makes a 2nd row
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(64)),
    sa.Column("request_id", sa.String(128)),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("resource_type", sa.String(32), nullable=False),
    sa.Column("resource_uuid", sa.String(64)),
    sa.Column("message_level", sa.String(16), nullable=False),
    # the English text rendered at intake: what text filters match, and what
    # herald-api shows when it cannot render ``params`` (rows before 0009)
    sa.Column("user_message", sa.String(1024), nullable=False),
    # the entry's typed, validated parameters (JSON): herald-api renders the
    # message from them when it is read, in the reader's language
    sa.Column("params", sa.Text),
    # operators only (often a host name): never returned to users
    sa.Column("publisher_id", sa.String(255)),
    sa.Column("created_at", DateTime, nullable=False),
    sa.Column("expires_at", DateTime, nullable=False),
    # the catalogue entry's <resource>.<action>[.completed|.failed] and category
    sa.Column("event_type", sa.String(96)),
    sa.Column("category", sa.String(16)),
    # event trees: the message that caused this one, and the first of the chain
    sa.Column("parent_id", sa.String(36)),
    sa.Column("root_id", sa.String(36)),
    # who triggered it, for operators only (never returned to users)
    sa.Column("session_id", sa.String(128)),
    sa.Column("claim", sa.String(255)),
    # the provisioning step this event belongs to (provision_steps.id)
    sa.Column("step_id", sa.String(36)),
    # repeats folded into this row ([storage] fold_window): how many, the last
    sa.Column("count", sa.Integer, nullable=False, server_default="1"),
    sa.Column("last_seen_at", DateTime),
    # set only while the row accepts repeats; unique, so folding is atomic
    sa.Column("fold_key", sa.String(64), unique=True),
    # the read API: one project, newest first, keyset pagination on (created_at, id)
    sa.Index(None, "project_id", "created_at", "id"),
    # the same across projects (administrators' all_tenants pages)
    sa.Index(None, "created_at", "id"),
    # the reaper: oldest expiry first
    sa.Index(None, "expires_at"),
    # "all messages of this conversation", "children of this message"
    sa.Index(None, "project_id", "root_id"),
    sa.Index(None, "project_id", "parent_id"),
    sa.Index(None, "step_id"),
    **MYSQL_ARGS,
)

rejected_notifications = sa.Table(
    "rejected_notifications",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    # message_id when readable, else sha256 of the body: one row per notification
    sa.Column("dedupe_key", sa.String(255), nullable=False, unique=True),
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
    sa.Index(None, "received_at"),
    **MYSQL_ARGS,
)

# ERROR notifications on shared topics that no mapping rule maps: one row per
# (event type, publishing service), its count and latest sample (secrets
# removed), for operators (collector.unmapped, herald-manage mapping unmapped)
unmapped_notifications = sa.Table(
    "unmapped_notifications",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("event_type", sa.String(255), nullable=False),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("first_seen", DateTime, nullable=False),
    sa.Column("last_seen", DateTime, nullable=False),
    sa.Column("sample_size", sa.Integer, nullable=False),
    sa.Column("sample", Blob, nullable=False),
    sa.UniqueConstraint("event_type", "service"),
    sa.Index(None, "last_seen"),
    **MYSQL_ARGS,
)

# Deliveries being handled one at a time after a redelivery: a row outlives
# its handling only when the listener died meanwhile (see storage.attempts and
# the redelivery path of collector.pipeline).
delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("delivery_key", sa.String(80), primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_attempt_at", DateTime, nullable=False),
    sa.Index(None, "last_attempt_at"),
    **MYSQL_ARGS,
)

# Steps of long operations on a resource (Sahara's ClusterProvisionStep): kept
# current by the collector; a step's events reference it.
provision_steps = sa.Table(
    "provision_steps",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
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
    sa.UniqueConstraint("project_id", "resource_uuid", "step_type", "step_name"),
    sa.Index(None, "updated_at"),
    **MYSQL_ARGS,
)

# message_ids of notifications folded into a row: a redelivery is not a repeat
folded_notifications = sa.Table(
    "folded_notifications",
    metadata,
    sa.Column("message_id", sa.String(255), primary_key=True),
    sa.Column("received_at", DateTime, nullable=False),
    sa.Index(None, "received_at"),
    **MYSQL_ARGS,
)

# Times herald-listener could not reach any broker node for longer than
# [listener] broker_outage_after (listener.broker_watch). One state for all
# herald nodes: at most one row is open, because only an open row holds
# open_key (unique; NULL once closed), so a second node's insert is a no-op.
broker_outages = sa.Table(
    "broker_outages",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    # when the node that recorded it lost its last broker connection
    sa.Column("started_at", DateTime, nullable=False),
    sa.Column("ended_at", DateTime),
    sa.Column("open_key", sa.String(16), unique=True),
    # operators only (a host name): which herald node recorded, which cleared it
    sa.Column("opened_by", sa.String(255)),
    sa.Column("closed_by", sa.String(255)),
    sa.Index(None, "started_at"),
    **MYSQL_ARGS,
)

# The services' RPC queues herald watches (listener.watch), one row per queue,
# shared by every herald node: the state says which operator message stands,
# and a transition is one conditional UPDATE, so one node writes each message.
watched_queues = sa.Table(
    "watched_queues",
    metadata,
    sa.Column("queue", sa.String(255), primary_key=True),
    sa.Column("service", sa.String(64), nullable=False),
    # ok, not_consuming, backlog (listener.watch.decide.State)
    sa.Column("state", sa.String(16), nullable=False),
    # when the standing problem began (None when ok)
    sa.Column("since", DateTime),
    # the operator message of the standing problem: its follow-up's parent
    sa.Column("message_id", sa.String(36)),
    # the latest reading, by any node
    sa.Column("messages", sa.Integer),
    sa.Column("consumers", sa.Integer),
    sa.Column("checked_at", DateTime),
    sa.Column("changed_at", DateTime, nullable=False),
    **MYSQL_ARGS,
)

# Creates that stayed in their creating state past the stall time
# (listener.watch.stalls): one row per resource, whichever herald node saw it
# first; the owner's message is messages.id = message_id. While open, or for
# a while after the resource failed, a message about the same resource joins
# that message's event tree (storage.stalls).
stalls = sa.Table(
    "stalls",
    metadata,
    sa.Column("resource_uuid", sa.String(64), primary_key=True),
    sa.Column("resource_type", sa.String(32), nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("message_id", sa.String(36), nullable=False),
    sa.Column("stalled_at", DateTime, nullable=False),
    # completed, failed or gone; NULL while the resource is still creating
    sa.Column("outcome", sa.String(16)),
    sa.Column("closed_at", DateTime),
    sa.Index(None, "closed_at"),
    **MYSQL_ARGS,
)
