"""No read a user can ask for scans the table: the databases' own plans.

20,000 messages across 50 projects, analysed; then each database explains
the statements herald-api's lists run. The default order (created_at) and
its marker pages must be an index range on (project_id, created_at, id)
with no sort; every other order must reach one project's rows through an
index on project_id (sorting those is fine) and never walk the table or
another index (the primary key, for ``id``) across every project's rows.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
import sqlalchemy as sa

from collector.model import utcnow
from storage import reads
from storage.tables import messages

PROJECTS, ROWS = 50, 20_000
EXPLAIN = {"postgresql": "EXPLAIN ", "mysql": "EXPLAIN ", "sqlite": "EXPLAIN QUERY PLAN "}


@pytest.fixture(params=["postgresql", "mysql", "sqlite"])
def loaded(request, conf, databases):
    from storage import get_connection
    db = databases(request.param)
    store = get_connection(conf, db.url, create=True)
    store.upgrade()
    now = utcnow()
    rows = [dict(id=str(uuid.uuid4()), message_id=str(uuid.uuid4()),
                 project_id=f"p{i % PROJECTS}", event_id=f"E{i % 7}", message_level="ERROR",
                 user_message="m", resource_type="VOLUME", resource_uuid=str(uuid.uuid4()),
                 created_at=now - datetime.timedelta(seconds=i),
                 expires_at=now + datetime.timedelta(days=1), count=1) for i in range(ROWS)]
    with store.engine.begin() as conn:
        conn.execute(sa.delete(messages))
        conn.execute(sa.insert(messages), rows)
    with store.engine.connect() as conn:
        conn.exec_driver_sql({"postgresql": "ANALYZE messages", "mysql": "ANALYZE TABLE messages",
                              "sqlite": "ANALYZE"}[request.param])
        conn.commit()
    yield request.param, store, now
    with store.engine.begin() as conn:
        conn.execute(sa.delete(messages))
    store.close()


def plan(kind: str, store, now, page: reads.Page, project: str | None = "p7") -> str:
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with store.engine.connect() as conn:
        sa.event.listen(store.engine, "before_cursor_execute", capture)
        try:
            reads.list_messages(conn, project, now, page)
        finally:
            sa.event.remove(store.engine, "before_cursor_execute", capture)
        statement, parameters = statements[-1]  # the page (after the marker's lookup)
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute(EXPLAIN[kind] + statement, parameters)
        return "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())


def marker(store, project: str = "p7", depth: int = 200) -> str:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(messages.c.id).where(messages.c.project_id == project)
                            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
                            .offset(depth).limit(1)).scalar_one()


def walks_everything(kind: str, text: str) -> bool:
    if kind == "postgresql":
        return "Seq Scan" in text or "pk_messages" in text
    if kind == "mysql":  # type ALL: the whole table; PRIMARY: the key across projects
        return any(row.split(" | ")[3] == "ALL" or row.split(" | ")[5] == "PRIMARY"
                   for row in text.splitlines())
    return "SCAN messages" in text or "PRIMARY KEY" in text


def sorts(kind: str, text: str) -> bool:
    return {"postgresql": "Sort" in text, "mysql": "filesort" in text,
            "sqlite": "TEMP B-TREE" in text}[kind]


def test_default_order_is_an_index_range_without_sort(loaded):
    kind, store, now = loaded
    for page in (reads.Page(limit=20), reads.Page(limit=20, marker=marker(store)),
                 reads.Page(limit=20, ascending=True, marker=marker(store))):
        text = plan(kind, store, now, page)
        assert "project_id_created_at_id" in text and not sorts(kind, text), text
        assert not walks_everything(kind, text), text


@pytest.mark.parametrize("key", ["id", "event_id", "resource_uuid", "expires_at"])
def test_other_orders_sort_one_projects_rows(loaded, key):
    kind, store, now = loaded
    for page in (reads.Page(limit=20, sort_key=key),
                 reads.Page(limit=20, sort_key=key, marker=marker(store))):
        text = plan(kind, store, now, page)
        assert not walks_everything(kind, text), text
        assert "project_id" in text, text  # reached through a project's index


def test_every_project_list_for_administrators_uses_its_index(loaded):
    kind, store, now = loaded
    text = plan(kind, store, now, reads.Page(limit=20), project=None)
    assert "created_at_id" in text and not sorts(kind, text), text
