"""messages: the services' resource types (VOLUME...), a request ID in every row

Cinder's and Manila's messages say VOLUME, VOLUME_SNAPSHOT, VOLUME_BACKUP,
SHARE...; herald stored the event type's first part (volume, snapshot...).
Rows without a request ID get the one herald-listener now derives for a
notification that came without one: ``req-`` and uuid5 of its message_id.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# frozen here, as this revision wrote them (collector/resources.py may move on)
ALIASES = {"snapshot": "VOLUME_SNAPSHOT", "backup": "VOLUME_BACKUP"}
# the catalogue's other resource types when it was written: upper case is theirs.
# Named, not "every row != UPPER(row)": MySQL's default collation compares
# without case, and would see nothing to change.
UPPER = ("volume", "share", "instance", "cluster", "service")
NAMESPACE = uuid.UUID("5d0c3b57-1b1e-4c4e-9a57-6865726c6421")
BATCH = 1000

messages = sa.table("messages", sa.column("id", sa.String), sa.column("message_id", sa.String),
                    sa.column("request_id", sa.String), sa.column("resource_type", sa.String))


def upgrade() -> None:
    for old, new in ALIASES.items():
        op.execute(messages.update().where(messages.c.resource_type == old)
                   .values(resource_type=new))
    for old in UPPER:
        op.execute(messages.update().where(messages.c.resource_type == old)
                   .values(resource_type=old.upper()))
    conn = op.get_bind()
    select = (sa.select(messages.c.id, messages.c.message_id)
              .where(messages.c.request_id.is_(None)).limit(BATCH))
    update = (messages.update().where(messages.c.id == sa.bindparam("row_id"))
              .values(request_id=sa.bindparam("derived")))
    while rows := conn.execute(select).all():
        conn.execute(update, [{"row_id": r.id,
                               "derived": f"req-{uuid.uuid5(NAMESPACE, r.message_id)}"}
                              for r in rows])


def downgrade() -> None:
    """The lower-case spellings again; derived request IDs stay (they are
    valid request IDs, and nothing tells them from received ones)."""
    for old, new in ALIASES.items():
        op.execute(messages.update().where(messages.c.resource_type == new)
                   .values(resource_type=old))
    for old in UPPER:
        op.execute(messages.update().where(messages.c.resource_type == old.upper())
                   .values(resource_type=old))
