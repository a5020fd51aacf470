"""A project never sees another project's messages, whatever it asks.

Property-based over random data sets and queries (hypothesis), against the
real SQL store: every listing, filter, page size, direction and marker a
read API can pass returns exactly the project's own live messages, each
once; another project's ids are invisible to get, delete and marker.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.model import UserMessage, utcnow
from storage import get_connection
from storage.base import InvalidMarker
from storage.tables import metadata

PROJECTS = ["proj-a", "proj-b", "proj-c"]
FILTERS = {"resource_type": ["VOLUME", "SHARE"], "resource_uuid": ["r1", "r2", "r3"],
           "event_id": ["VOLUME_DELETE_FAILED", "SHARE_EXTEND_FAILED"],
           "message_level": ["ERROR", "WARNING"], "request_id": ["req-1", "req-2"],
           "user_id": ["u1", "u2"]}
NOW = utcnow()


@st.composite
def datasets(draw):
    rows = []
    for i in range(draw(st.integers(0, 60))):
        created = NOW - datetime.timedelta(seconds=draw(st.integers(0, 5)) * 60)  # ties too
        expired = draw(st.integers(0, 9)) == 0
        rows.append(UserMessage(
            id=str(uuid.uuid4()), message_id=f"m-{i}", project_id=draw(st.sampled_from(PROJECTS)),
            user_id=draw(st.sampled_from(FILTERS["user_id"])),
            request_id=draw(st.sampled_from(FILTERS["request_id"])),
            event_id=draw(st.sampled_from(FILTERS["event_id"])),
            resource_type=draw(st.sampled_from(FILTERS["resource_type"])),
            resource_uuid=draw(st.sampled_from(FILTERS["resource_uuid"])),
            message_level=draw(st.sampled_from(FILTERS["message_level"])),
            user_message=f"text {i}", publisher_id="host-secret", created_at=created,
            expires_at=NOW - datetime.timedelta(hours=1) if expired
            else created + datetime.timedelta(days=30)))
    return rows


queries = st.fixed_dictionaries({
    "project": st.sampled_from(PROJECTS),
    "filters": st.dictionaries(st.sampled_from(sorted(FILTERS)), st.none(), max_size=2),
    "limit": st.integers(1, 7),
    "newest_first": st.booleans(),
}).flatmap(lambda q: st.fixed_dictionaries({
    **{k: st.just(v) for k, v in q.items() if k != "filters"},
    "filters": st.fixed_dictionaries({k: st.sampled_from(FILTERS[k]) for k in q["filters"]}),
}))


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    from listener import config
    conf = config.make_conf()
    conf([], project="herald", default_config_files=[], default_config_dirs=[])
    store = get_connection(conf, f"sqlite:///{tmp_path_factory.mktemp('iso')}/iso.sqlite",
                           create=True)
    store.upgrade()
    yield store
    store.close()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=datasets(), asks=st.lists(queries, min_size=1, max_size=4))
def test_no_path_crosses_projects(sqlite_store, rows, asks):
    store = sqlite_store
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(sa.delete(table))
    store.insert_messages(rows)
    live = [r for r in rows if r.expires_at > utcnow()]
    for ask in asks:
        project, filters = ask["project"], ask["filters"]
        expected = {r.id for r in live if r.project_id == project
                    and all(getattr(r, k) == v for k, v in filters.items())}
        seen, marker = [], None
        while True:
            page = store.list_messages(project, limit=ask["limit"], marker=marker,
                                       newest_first=ask["newest_first"], **filters)
            assert len(page) <= ask["limit"]
            if not page:
                break
            seen += page
            marker = page[-1]["id"]
        assert {m["project_id"] for m in seen} <= {project}
        assert [m["id"] for m in seen] == list(dict.fromkeys(m["id"] for m in seen))  # once
        assert {m["id"] for m in seen} == expected
        assert all("publisher_id" not in m and "user_id" not in m for m in seen)
        keys = [(m["created_at"], m["id"]) for m in seen]
        assert keys == sorted(keys, reverse=ask["newest_first"])
        for other in (r for r in rows if r.project_id != project):
            assert store.get_message(project, other.id) is None
            with pytest.raises(InvalidMarker):
                store.list_messages(project, marker=other.id)
    for r in rows[:5]:
        intruder = next(p for p in PROJECTS if p != r.project_id)
        assert store.delete_message(intruder, r.id) is False
