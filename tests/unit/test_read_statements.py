"""The read statements are built once per shape and reused with new values:
reuse must never carry one request's values (its project above all) into
another's answer."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

from storage import reads
from storage.base import InvalidMarker
from storage.tables import messages, metadata

NOW = datetime.datetime(2026, 11, 30, 12, 0, 0)


@pytest.fixture
def conn():
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    rows = []
    for project in ("a", "b"):
        for i in range(10):
            rows.append({
                "id": f"{project}-{i:02d}", "message_id": f"m-{project}-{i}",
                "project_id": project,
                "event_id": "VOLUME_000001", "resource_type": "VOLUME",
                "resource_uuid": f"r-{i % 2}", "message_level": "ERROR",
                "user_message": f"{project} {i}",
                "created_at": NOW - datetime.timedelta(minutes=i),
                "expires_at": NOW + datetime.timedelta(days=1 if i != 9 else -1)})
    with engine.begin() as c:
        c.execute(sa.insert(messages), rows)
    with engine.connect() as c:
        yield c
    engine.dispose()


def ids(rows):
    return [r["id"] for r in rows]


def test_one_statement_per_shape():
    statements = reads.Statements()
    shape = dict(scoped=True, filters=(), since=False, before=False, sort_key="created_at",
                 ascending=False, offset=False)
    first = statements.listing(reads._Shape(marker=False, **shape))
    assert statements.listing(reads._Shape(marker=False, **shape)) is first
    assert statements.listing(reads._Shape(marker=True, **shape)) is not first
    assert statements.get(True) is statements.get(True)
    assert statements.get(True) is not statements.get(False)


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(reads.Statements, "MAX_SHAPES", 2)
    statements = reads.Statements()
    for key in ("id", "event_id", "category"):
        statements.listing(reads._Shape(True, (), False, False, key, False, False, False))
    assert len(statements._lists) <= 2


def test_reused_statements_answer_each_request_with_its_own_values(conn):
    statements = reads.Statements()
    for _ in range(2):  # the second round runs on the cached statements
        assert ids(reads.list_messages(conn, "a", NOW, reads.Page(limit=3), statements)) == [
            "a-00", "a-01", "a-02"]
        assert ids(reads.list_messages(conn, "b", NOW, reads.Page(limit=2), statements)) == [
            "b-00", "b-01"]
        page = reads.Page(limit=3, marker="a-02", filters={"resource_uuid": "r-1"})
        assert ids(reads.list_messages(conn, "a", NOW, page, statements)) == [
            "a-03", "a-05", "a-07"]  # a-09 has expired
        page = reads.Page(limit=3, marker="b-02", filters={"resource_uuid": "r-0"})
        assert ids(reads.list_messages(conn, "b", NOW, page, statements)) == [
            "b-04", "b-06", "b-08"]
        with pytest.raises(InvalidMarker):  # another project's marker
            reads.list_messages(conn, "b", NOW, reads.Page(marker="a-02"), statements)
        assert reads.get_message(conn, "a", "a-04", NOW, statements)["user_message"] == "a 4"
        assert reads.get_message(conn, "b", "a-04", NOW, statements) is None
        assert reads.get_message(conn, None, "a-04", NOW, statements)["project_id"] == "a"
        assert reads.get_message(conn, "a", "a-09", NOW, statements) is None  # expired
    everyone = reads.list_messages(conn, None, NOW, reads.Page(limit=4, ascending=True,
                                                                 sort_key="id"), statements)
    assert ids(everyone) == ["a-00", "a-01", "a-02", "a-03"]


def test_a_filter_with_no_value_is_no_filter(conn):
    page = reads.Page(limit=20, filters={"resource_uuid": None})
    assert len(reads.list_messages(conn, "a", NOW, page, reads.Statements())) == 9
