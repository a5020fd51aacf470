"""The SQL store on real SQLite, PostgreSQL and MariaDB."""

import dataclasses
import datetime
import json
import threading
import uuid

import pytest
import sqlalchemy as sa

from collector.exceptions import SchemaOutOfDate, StorageUnavailable
from collector.model import Rejection, UserMessage, utcnow
from storage import get_connection, migration
from storage.base import SORT_KEYS, USER_FIELDS, InvalidMarker
from storage.tables import messages, rejected_notifications
from storage.writes import MESSAGE_COLUMNS, REJECTION_COLUMNS
from tests import services

BASE = datetime.datetime(2026, 11, 21, 12, 0, 0)


def msg(n, project="proj-a", created=None, ttl_days=30, **kw):
    created = created or BASE + datetime.timedelta(seconds=n)
    fields = dict(id=str(uuid.uuid4()), message_id=f"mid-{project}-{n}", project_id=project,
                  user_id="u1", request_id=f"req-{n}", event_id="VOLUME_DELETE_FAILED",
                  resource_type="VOLUME", resource_uuid=f"vol-{n % 3}", message_level="ERROR",
                  user_message=f"Volume {n} could not be deleted.", publisher_id="volume.host-a",
                  created_at=created, expires_at=created + datetime.timedelta(days=ttl_days),
                  event_type="volume.delete.failed", category="action", session_id="sess-1",
                  claim="group:ops",
                  # JSON: quotes and a non-ASCII name through every driver's fast path
                  params=json.dumps({"volume_id": f"vol-{n}", "name": "Datenträger \"1\""},
                                    ensure_ascii=False))
    fields.update(kw)
    return UserMessage(**fields)


def rej(key, **kw):
    fields = dict(dedupe_key=key, code="unknown_event_id", detail="event_id 'X' is unknown",
                  message_id=key, event_id="X", project_id="proj-a", publisher_id="pub",
                  event_type="e", received_at=BASE, raw_body=b"\xff\x00raw", raw_size=5)
    fields.update(kw)
    return Rejection(**fields)


def count(store, table):
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def test_model_and_table_stay_aligned():
    assert {f.name for f in dataclasses.fields(UserMessage)} - {"step"} == set(MESSAGE_COLUMNS)
    assert set(MESSAGE_COLUMNS) | {"fold_key"} == {c.name for c in messages.columns}
    assert {f.name for f in dataclasses.fields(Rejection)} == set(REJECTION_COLUMNS)


class TestSchema:
    def test_upgrade_reaches_head(self, store):
        assert migration.current(store.engine) == migration.head()
        migration.check(store.engine)

    def test_empty_database_is_refused_until_upgraded(self, conf, tmp_path):
        s = get_connection(conf, f"sqlite:///{tmp_path}/empty.sqlite", create=True)
        with pytest.raises(SchemaOutOfDate, match="herald-manage db upgrade"):
            migration.check(s.engine)
        s.upgrade()
        migration.check(s.engine)
        s.upgrade()  # idempotent
        s.close()

    def test_migrations_match_the_tables(self, store):
        """alembic's autogenerate finds nothing to add: tables.py == migrations."""
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext

        from storage.tables import metadata
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []

    def test_0013_gives_old_rows_the_services_resource_types_and_a_request_id(self, store):
        """Rows herald wrote before: volume, snapshot... and no request ID."""
        from alembic import command

        from collector import resources
        config = migration._config()
        with store.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0012")
        old = {"volume": "VOLUME", "snapshot": "VOLUME_SNAPSHOT", "backup": "VOLUME_BACKUP",
               "share": "SHARE", "instance": "INSTANCE", "cluster": "CLUSTER",
               "service": "SERVICE"}
        with store.engine.begin() as conn:
            conn.execute(sa.insert(messages), [
                {"id": f"id-{kind}", "message_id": f"mid-{kind}", "project_id": "p",
                 "request_id": None if kind in ("volume", "share") else f"req-{kind}",
                 "event_id": "E", "resource_type": kind, "message_level": "ERROR",
                 "user_message": "m", "created_at": BASE, "expires_at": BASE}
                for kind in old])
        migration.upgrade(store.engine)
        assert migration.current(store.engine) == migration.head()
        with store.engine.connect() as conn:
            got = {r.id: (r.resource_type, r.request_id) for r in conn.execute(
                sa.select(messages.c.id, messages.c.resource_type, messages.c.request_id))}
        assert got == {f"id-{kind}": (
            new, resources.derived_request_id(f"mid-{kind}") if kind in ("volume", "share")
            else f"req-{kind}") for kind, new in old.items()}
        # what herald-listener derives for such a notification today
        assert got["id-volume"][1] == resources.derived_request_id("mid-volume")

class TestWrites:
    def test_exact_rows(self, store):
        m = msg(1)
        assert store.insert_messages([m]) == []
        with store.engine.connect() as conn:
            row = conn.execute(sa.select(messages)).one()._mapping
        want = dataclasses.asdict(m)
        del want["step"]  # a report, not a column
        want["fold_key"] = None  # set only on the repeats path
        assert dict(row) == want

    def test_redelivery_never_duplicates(self, store):
        batch = [msg(i) for i in range(10)]
        store.insert_messages(batch)
        again = [dataclasses.replace(m, id=str(uuid.uuid4())) for m in batch]  # new ids
        assert store.insert_messages(again + [msg(10)]) == []
        assert count(store, messages) == 11

    def test_duplicate_within_a_batch(self, store):
        m = msg(1)
        store.insert_messages([m, dataclasses.replace(m, id=str(uuid.uuid4()))])
        assert count(store, messages) == 1

    def test_two_reports_of_one_failure_are_one_row(self, store):
        """nova's legacy and versioned notification of one failure share a
        key (collector.mapping.keyed_by_fact), not their timestamps."""
        first = msg(1)
        later = dataclasses.replace(first, id=str(uuid.uuid4()),
                                    created_at=first.created_at + datetime.timedelta(seconds=1))
        assert store.insert_messages([first, later]) == []
        assert store.insert_messages([dataclasses.replace(later, id=str(uuid.uuid4()))]) == []
        assert count(store, messages) == 1

    def test_a_reused_message_id_with_other_content_is_refused(self, store):
        first = msg(1)
        assert store.insert_messages([first]) == []
        redelivery = dataclasses.replace(first, id=str(uuid.uuid4()))
        impostor = dataclasses.replace(first, id=str(uuid.uuid4()), user_message="Other text.")
        assert store.insert_messages([redelivery, msg(2)]) == []
        (refusal,) = store.insert_messages([impostor, msg(3)])
        assert (refusal.message is impostor, refusal.code) == (True, "duplicate_message_id")
        assert count(store, messages) == 3

    def test_reused_message_id_within_one_batch(self, store):
        a = msg(1)
        twin = dataclasses.replace(a, id=str(uuid.uuid4()))
        other = dataclasses.replace(a, id=str(uuid.uuid4()), event_id="VOLUME_EXTEND_FAILED")
        (refusal,) = store.insert_messages([a, twin, other, msg(2)])
        assert refusal.message is other and refusal.code == "duplicate_message_id"
        assert count(store, messages) == 2

    def test_a_bad_row_is_refused_alone(self, store):
        batch = [msg(1), msg(2, project_id=None), msg(3)]
        refusals = store.insert_messages(batch)
        assert [r.message.message_id for r in refusals] == ["mid-proj-a-2"]
        assert "IntegrityError" in refusals[0].detail
        assert count(store, messages) == 2

    def test_rejections_are_idempotent_and_keep_bytes(self, store):
        store.record([rej("k1"), rej("k2", raw_body=None, raw_size=0)])
        store.record([rej("k1")])
        assert count(store, rejected_notifications) == 2
        rows = {r["dedupe_key"]: r for r in store.list_rejected(with_body=True)}
        assert rows["k1"]["raw_body"] == b"\xff\x00raw"
        assert rows["k1"]["code"] == "unknown_event_id"
        assert "raw_body" not in store.list_rejected()[0]

    def test_unreachable_database_is_transient(self, conf):
        s = get_connection(conf, "postgresql+psycopg://nobody@127.0.0.1:1/none")
        with pytest.raises(StorageUnavailable, match="OperationalError"):
            s.insert_messages([msg(1)])
        with pytest.raises(StorageUnavailable):
            s.record([rej("k")])
        assert s.wait_until_ready(lambda _s: True) is False  # gives up when told to stop
        s.close()


class TestProjectScopedReads:
    @pytest.fixture
    def filled(self, store):
        store.insert_messages([msg(i, "proj-a") for i in range(25)]
                              + [msg(i, "proj-b") for i in range(5)]
                              + [msg(99, "proj-a", created=BASE - datetime.timedelta(days=40))])
        return store

    def test_listing_never_crosses_projects(self, filled):
        a = filled.list_messages("proj-a", limit=1000)
        b = filled.list_messages("proj-b", limit=1000)
        assert len(a) == 25 and len(b) == 5  # the expired proj-a row is hidden
        assert {m["project_id"] for m in a} == {"proj-a"}
        assert {m["project_id"] for m in b} == {"proj-b"}
        assert set(a[0]) == set(USER_FIELDS)  # no publisher_id, no user_id
        assert filled.list_messages("proj-c") == []

    def test_pages_cover_everything_once_newest_first(self, filled):
        seen, marker = [], None
        while True:
            page = filled.list_messages("proj-a", limit=7, marker=marker)
            if not page:
                break
            seen += page
            marker = page[-1]["id"]
        assert [m["created_at"] for m in seen] == sorted(
            (m["created_at"] for m in seen), reverse=True)
        assert len({m["id"] for m in seen}) == 25

    @pytest.mark.parametrize("key", SORT_KEYS)
    def test_pages_of_every_sort_key_and_direction(self, store, key):
        """Ties, NULLs (sorted as the empty string, or the epoch for times)
        and equal times: every page follows the last one, nothing twice."""
        rows = [msg(i, "proj-s", created=BASE + datetime.timedelta(seconds=i // 3),
                    event_id=f"EV_{i % 4}", request_id=None if i % 5 == 0 else f"req-{i % 6}",
                    event_type=None if i % 2 else "volume.delete.failed",
                    category=None if i % 3 == 0 else "action",
                    last_seen_at=None if i % 4 == 0 else BASE + datetime.timedelta(
                        seconds=i % 7),
                    message_level=("ERROR", "WARNING", "INFO")[i % 3],
                    resource_uuid=f"vol-{i % 5}") for i in range(40)]
        store.insert_messages(rows)
        floor = {"last_seen_at": datetime.datetime(1970, 1, 1)}.get(key, "")

        def order(m):
            value = getattr(m, key)
            return (floor if value is None else value, m.created_at, m.id)

        for newest_first in (True, False):
            seen, marker = [], None
            while page := store.list_messages("proj-s", limit=6, marker=marker, sort_key=key,
                                              newest_first=newest_first):
                seen += [m["id"] for m in page]
                marker = page[-1]["id"]
            assert seen == [m.id for m in sorted(rows, key=order, reverse=newest_first)]
            by_offset = store.list_messages("proj-s", limit=6, offset=12, sort_key=key,
                                            newest_first=newest_first)
            assert [m["id"] for m in by_offset] == seen[12:18]

    def test_oldest_first(self, filled):
        page = filled.list_messages("proj-a", limit=3, newest_first=False)
        assert [m["user_message"] for m in page] == [
            f"Volume {i} could not be deleted." for i in range(3)]

    def test_marker_of_another_project_is_refused(self, filled):
        other = filled.list_messages("proj-b", limit=1)[0]["id"]
        with pytest.raises(InvalidMarker):
            filled.list_messages("proj-a", marker=other)

    def test_filters_stay_inside_the_project(self, filled):
        got = filled.list_messages("proj-b", resource_uuid="vol-1", limit=100)
        assert {m["project_id"] for m in got} == {"proj-b"} and len(got) == 2
        assert len(filled.list_messages("proj-a", request_id="req-3")) == 1
        assert filled.list_messages("proj-a", since=BASE + datetime.timedelta(seconds=20),
                                    limit=100)[-1]["user_message"] == \
            "Volume 20 could not be deleted."
        with pytest.raises(ValueError, match="unknown filters"):
            filled.list_messages("proj-a", publisher_id="volume.host-a")
        with pytest.raises(TypeError):  # a second project cannot even be passed
            filled.list_messages("proj-a", project_id="proj-b")

    def test_get_and_delete_are_scoped(self, filled):
        theirs = filled.list_messages("proj-b", limit=1)[0]["id"]
        assert filled.get_message("proj-a", theirs) is None
        assert filled.delete_message("proj-a", theirs) is False
        assert filled.get_message("proj-b", theirs)["id"] == theirs
        assert filled.delete_message("proj-b", theirs) is True
        assert filled.get_message("proj-b", theirs) is None

    def test_project_is_mandatory(self, filled):
        for bad in ("", None):
            with pytest.raises(ValueError, match="project_id is required"):
                filled.list_messages(bad)
            with pytest.raises(ValueError):
                filled.get_message(bad, "x")


class TestEventTrees:
    def test_conversation_and_children_are_queryable_per_project(self, store):
        root = msg(0, root_id=None)
        root.root_id = root.id
        child = msg(1, parent_id=root.id, root_id=root.id)
        grandchild = msg(2, parent_id=child.id, root_id=root.id)
        elsewhere = msg(3, project="proj-b", parent_id=root.id, root_id=root.id)
        store.insert_messages([root, child, grandchild, elsewhere, msg(4)])
        conversation = store.list_messages("proj-a", root_id=root.id, newest_first=False)
        assert [m["id"] for m in conversation] == [root.id, child.id, grandchild.id]
        assert [m["id"] for m in store.list_messages("proj-a", parent_id=root.id)] == [child.id]
        assert store.roots({child.id: "proj-a", elsewhere.id: "proj-a"}) == {child.id: root.id}
        row = store.get_message("proj-a", child.id)
        assert (row["event_type"], row["category"], row["parent_id"]) == (
            "volume.delete.failed", "action", root.id)
        assert "session_id" not in row and "claim" not in row

    def test_no_update_path_for_content(self, store):
        """Messages are immutable: the store offers no way to change one."""
        assert not [name for name in dir(store) if "update" in name.lower()]


class TestProgress:
    CLUSTER = "cluster-1"

    def report(self, n, step, done, total, ok=None, level="INFO", project="proj-a", minute=0):
        from collector.model import StepReport
        return msg(n, project=project, resource_uuid=self.CLUSTER, message_level=level,
                   created_at=BASE + datetime.timedelta(minutes=minute),
                   step=StepReport(step, "creating", done, total, ok))

    def test_reports_in_any_order_converge(self, store):
        reports = [self.report(1, "LAUNCH_INSTANCES", 10, 10, True, minute=9),
                   self.report(2, "LAUNCH_INSTANCES", 3, 10, minute=1),
                   self.report(3, "LAUNCH_INSTANCES", 0, 10, minute=0),
                   self.report(4, "WAIT_FOR_SSH", 59, 1000, minute=10)]
        store.insert_messages(reports[:2])
        store.insert_messages(reports[2:])
        store.insert_messages(reports[1:2])  # a redelivery changes nothing
        steps = store.list_steps("proj-a", self.CLUSTER)
        assert [(s["step_name"], s["completed"], s["total"], s["successful"]) for s in steps] \
            == [("LAUNCH_INSTANCES", 10, 10, True), ("WAIT_FOR_SSH", 59, 1000, None)]
        launch = steps[0]
        assert (launch["started_at"], launch["completed_at"]) == (
            BASE, BASE + datetime.timedelta(minutes=9))
        assert {m.step_id for m in reports[:3]} == {launch["id"]}
        assert [m["id"] for m in store.list_messages("proj-a", step_id=launch["id"],
                                                     limit=10)] != []
        assert store.list_steps("proj-b", self.CLUSTER) == []  # scoped

    def test_a_failure_sticks(self, store):
        store.insert_messages([self.report(1, "WAIT_FOR_SSH", 5, 10, False, level="ERROR")])
        store.insert_messages([self.report(2, "WAIT_FOR_SSH", 6, 10, True)])
        (step,) = store.list_steps("proj-a", self.CLUSTER)
        assert (step["successful"], step["completed"]) == (False, 6)

    def test_events_of_successful_steps_are_reaped_but_errors_kept(self, store):
        ok = [self.report(i, "LAUNCH_INSTANCES", i, 3, None) for i in range(3)]
        error = self.report(9, "LAUNCH_INSTANCES", 3, 3, None, level="ERROR")
        done = self.report(10, "LAUNCH_INSTANCES", 3, 3, True)
        running = self.report(20, "WAIT_FOR_SSH", 1, 3)
        store.insert_messages(ok + [error, done, running])
        later = BASE + datetime.timedelta(hours=2)
        assert store.reap_step_events(later, 2).deleted == 4  # 3 ok + the completion event
        left = {m["id"] for m in store.list_messages("proj-a", limit=100)}
        assert left == {error.id, running.id}
        assert len(store.list_steps("proj-a", self.CLUSTER)) == 2  # steps stay
        assert store.reap_steps(utcnow() + datetime.timedelta(seconds=1), 10).deleted == 2


class TestRepeats:
    @pytest.fixture
    def folding(self, store, conf):
        conf.set_override("fold_window", 600, group="storage")
        yield store
        conf.clear_override("fold_window", group="storage")

    def repeat(self, n, minute=0, text="Volume x could not be deleted.", **kw):
        created = BASE + datetime.timedelta(minutes=minute)
        return msg(n, user_message=text, resource_uuid="vol-x", created_at=created,
                   last_seen_at=created, **kw)

    def test_identical_messages_fold_into_one_row(self, folding):
        folding.insert_messages([self.repeat(i, minute=i) for i in range(5)])
        folding.insert_messages([self.repeat(2, minute=2)])  # a redelivery: no repeat
        folding.insert_messages([self.repeat(9, minute=9, text="Other text.")])
        rows = folding.list_messages("proj-a", limit=10, newest_first=False)
        assert [(r["count"], r["user_message"]) for r in rows] == [
            (5, "Volume x could not be deleted."), (1, "Other text.")]
        assert rows[0]["last_seen_at"] == BASE + datetime.timedelta(minutes=4)
        assert rows[0]["created_at"] == BASE  # the first occurrence

    def test_a_repeat_after_the_window_starts_a_new_row(self, folding):
        folding.insert_messages([self.repeat(0, minute=0), self.repeat(1, minute=5)])
        folding.insert_messages([self.repeat(2, minute=20)])  # 15 min > 10 min window
        folding.insert_messages([self.repeat(3, minute=21)])
        rows = folding.list_messages("proj-a", limit=10, newest_first=False)
        assert [r["count"] for r in rows] == [2, 2]

    def test_a_repeating_failure_stays_visible_and_is_not_reaped_while_folding(self, folding):
        """message_ttl 60 s, fold_window 600 s: 8 repeats 11 s apart. The
        row must stay visible for the TTL after the last repeat, and the
        reaper must leave it alone while its window is open (issue 13)."""
        now = utcnow()
        first = now - datetime.timedelta(seconds=5 + 7 * 11)
        batch = []
        for i in range(8):
            at = first + datetime.timedelta(seconds=11 * i)
            batch.append(msg(i, user_message="Volume x could not be deleted.",
                             resource_uuid="vol-x", created_at=at, last_seen_at=at,
                             expires_at=at + datetime.timedelta(seconds=60)))
        for m in batch:  # one batch each, as they arrive
            assert folding.insert_messages([m]) == []
        (row,) = folding.list_messages("proj-a", limit=10)
        assert row["count"] == 8
        last = batch[-1].created_at
        assert row["last_seen_at"] == last
        assert row["expires_at"] == last + datetime.timedelta(seconds=60)
        # the TTL after the last repeat has passed, the fold window has not
        assert folding.reap_messages(now + datetime.timedelta(seconds=120), 100).deleted == 0
        assert count(folding, messages) == 1
        assert folding.reap_messages(now + datetime.timedelta(seconds=700), 100).deleted == 1

    @pytest.mark.parametrize("backend", ["postgresql", "mysql"])
    def test_no_lost_increments_under_concurrency(self, folding):
        errors = []

        def worker(start):
            try:
                for i in range(start, start + 50, 5):
                    folding.insert_messages([self.repeat(j) for j in range(i, i + 5)])
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(k * 50,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        (row,) = folding.list_messages("proj-a", limit=10)
        assert row["count"] == 200


class TestReaper:
    def test_reaps_only_expired_in_batches(self, store):
        now = utcnow()
        old = [msg(i, created=now - datetime.timedelta(days=31)) for i in range(25)]
        fresh = [msg(100 + i, created=now) for i in range(5)]
        store.insert_messages(old + fresh)
        result = store.reap_messages(now, batch_size=10)
        assert (result.deleted, result.transactions) == (25, 3)
        assert count(store, messages) == 5
        assert store.reap_messages(now, batch_size=10).deleted == 0

    def test_reaps_old_rejections(self, store):
        store.record([rej("old", received_at=BASE - datetime.timedelta(days=40)),
                      rej("new", received_at=BASE)])
        assert store.reap_rejected(BASE - datetime.timedelta(days=30), 100).deleted == 1
        assert [r["dedupe_key"] for r in store.list_rejected()] == ["new"]

    @pytest.mark.parametrize("backend", ["postgresql", "mysql"])  # SQLite has one writer
    def test_two_reapers_at_once(self, store):
        now = utcnow()
        store.insert_messages([msg(i, created=now - datetime.timedelta(days=31))
                               for i in range(2000)])
        results, errors = [], []

        def run():
            try:
                results.append(store.reap_messages(now, batch_size=50))
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sum(r.deleted for r in results) == 2000
        assert count(store, messages) == 0


PATHS = {"sqlite": "executemany (sqlite3)", "postgresql": "COPY (binary, psycopg 3)",
         "psycopg2": "COPY (text, psycopg2)", "mysql": "multi-row INSERT (MySQL)"}


class TestBulkPaths:
    """Each driver's fast path (storage.bulk): same outcomes everywhere."""

    def test_the_fast_path_is_used_and_idempotent(self, store, backend):
        assert store._bulk is not None and store._bulk.name == PATHS[backend]
        batch = [msg(i) for i in range(600)]
        assert store.insert_messages(batch) == []
        assert store.insert_messages(batch[:300] + [msg(600)]) == []
        assert count(store, messages) == 601

    def test_text_that_needs_escaping_is_stored_exactly(self, store):
        """Backslashes, tabs, newlines and quotes -- in an override's wording,
        or anything that got past validation -- must neither shift columns
        (COPY text) nor end a literal (MySQL)."""
        texts = ["C:\\temp\\n is not a newline", "tab\there", "line\nbreak\r",
                 "it's \"quoted\"", "\\N", "'); DROP TABLE messages; --", "\x1a\\0 end"]
        batch = [msg(i, user_message=t, request_id=f"req\t{i}" if i == 2 else f"r-{i}")
                 for i, t in enumerate(texts)]
        batch.append(msg(99, user_id=None, publisher_id=None))  # NULLs among values
        assert store.insert_messages(batch) == []
        with store.engine.connect() as conn:
            got = {r.message_id: r.user_message for r in conn.execute(
                sa.select(messages.c.message_id, messages.c.user_message))}
            nulls = conn.execute(sa.select(messages.c.user_id, messages.c.publisher_id).where(
                messages.c.message_id == "mid-proj-a-99")).one()
            req = conn.execute(sa.select(messages.c.request_id).where(
                messages.c.message_id == "mid-proj-a-2")).scalar_one()
        assert {got[f"mid-proj-a-{i}"] for i in range(len(texts))} == set(texts)
        assert tuple(nulls) == (None, None) and req == "req\t2"
        with store.engine.connect() as conn:
            params = conn.execute(sa.select(messages.c.params).where(
                messages.c.message_id == "mid-proj-a-3")).scalar_one()
        assert json.loads(params) == {"volume_id": "vol-3", "name": 'Datenträger "1"'}
        assert count(store, messages) == len(texts) + 1

    def test_the_same_rows_as_the_plain_statement(self, store, conf, databases, backend):
        """The fast path and SQLAlchemy's executemany store identical rows."""
        batch = [msg(i, parent_id=str(uuid.uuid4()) if i % 2 else None, count=1 + i % 3)
                 for i in range(20)]
        assert store.insert_messages(batch) == []
        with store.engine.begin() as conn:
            fast = {r.message_id: r for r in conn.execute(sa.select(messages))}
            conn.execute(sa.delete(messages))
        store._bulk = None
        assert store.insert_messages(batch) == []
        with store.engine.connect() as conn:
            plain = {r.message_id: r for r in conn.execute(sa.select(messages))}
        assert fast == plain

    @pytest.mark.parametrize("backend", ["postgresql", "psycopg2"])
    def test_role_without_temp_tables_falls_back(self, conf, store, databases, backend):
        db = databases(backend)
        admin = sa.create_engine(services.PG_URL, isolation_level="AUTOCOMMIT")
        role = "herald_notemp"
        with admin.connect() as c:
            c.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
            c.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
            c.execute(sa.text(f"REVOKE TEMPORARY ON DATABASE {db.name} FROM PUBLIC"))
        with store.engine.begin() as c:
            c.execute(sa.text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
            c.execute(sa.text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        url = sa.make_url(db.url).set(username=role, password=None)
        limited = get_connection(conf, url.render_as_string(hide_password=False))
        try:
            assert limited.wait_until_ready(lambda _s: True) is True
            assert limited._bulk is None
            assert limited.insert_messages([msg(1), msg(2)]) == []
            assert count(store, messages) == 2
        finally:
            limited.close()
            with store.engine.begin() as c:  # the grants live in the test database
                c.execute(sa.text(f"DROP OWNED BY {role}"))
            with admin.connect() as c:
                c.execute(sa.text(f"GRANT TEMPORARY ON DATABASE {db.name} TO PUBLIC"))
                c.execute(sa.text(f"DROP ROLE {role}"))
            admin.dispose()


class TestDeliveryAttempts:
    def test_counts_survive_and_are_forgotten(self, store):
        assert [store.begin_attempt("sha256:a") for _ in range(3)] == [1, 2, 3]
        assert store.begin_attempt("sha256:b") == 1
        store.end_attempt("sha256:a")
        assert store.begin_attempt("sha256:a") == 1
        store.end_attempt("sha256:nothing")  # no error

    def test_leftovers_are_reaped(self, store):
        store.begin_attempt("sha256:crashed")
        assert store.reap_attempts(utcnow() - datetime.timedelta(days=1), 10).deleted == 0
        assert store.reap_attempts(utcnow() + datetime.timedelta(seconds=1), 10).deleted == 1


@pytest.mark.mysql
def test_a_charset_utf8_url_still_stores_every_letter(conf, databases):
    """devstack writes ?charset=utf8 (utf8mb3 to MariaDB), which refuses
    characters outside the basic plane; herald connects with utf8mb4."""
    url = sa.make_url(databases("mysql").url).update_query_dict({"charset": "utf8"})
    s = get_connection(conf, url.render_as_string(hide_password=False))
    s.upgrade()
    text = "Instance \U00020000\u6771\u4eac 1 could not be started."  # CJK Ext. B, then BMP
    m = msg(1, project="proj-charset", user_message=text)
    assert s.insert_messages([m]) == []
    with s.engine.connect() as conn:
        stored = conn.execute(sa.select(messages.c.user_message)
                              .where(messages.c.project_id == "proj-charset")).scalar_one()
    assert stored == text
    s.close()
