"""broker_outages on every database: one open row whoever inserts, even
when several herald nodes insert at the same moment."""

from __future__ import annotations

import datetime
import threading

import sqlalchemy as sa

from storage import get_connection
from storage.tables import broker_outages

T0 = datetime.datetime(2026, 12, 5, 21, 40, 7, 123456)


def test_concurrent_nodes_open_one_outage_and_close_it(conf, store, databases, backend):
    # eight "nodes", each with its own engine, insert together
    others = [get_connection(conf, databases(backend).url) for _ in range(8)]
    barrier = threading.Barrier(len(others))
    opened: list[bool] = []

    def node(i: int) -> None:
        barrier.wait()
        opened.append(others[i].open_broker_outage(T0 + datetime.timedelta(seconds=i),
                                                   f"node-{i}"))
    threads = [threading.Thread(target=node, args=(i,)) for i in range(len(others))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        with store.engine.connect() as c:
            rows = [dict(r._mapping) for r in c.execute(sa.select(broker_outages))]
        assert len(rows) == 1 and opened.count(True) == 1, (rows, opened)
        current = store.broker_outage()
        assert current is not None and current["opened_by"] == rows[0]["opened_by"]
        assert current["started_at"].microsecond == rows[0]["started_at"].microsecond
        assert store.close_broker_outage(T0 + datetime.timedelta(minutes=5), "node-0")
        assert not store.close_broker_outage(T0 + datetime.timedelta(minutes=6), "node-1")
        assert store.broker_outage() is None
        # the next outage is a new row; the closed one stays as history
        assert store.open_broker_outage(T0 + datetime.timedelta(hours=1), "node-2")
        with store.engine.connect() as c:
            assert c.execute(sa.select(sa.func.count()).select_from(broker_outages)).scalar() == 2
    finally:
        for o in others:
            o.close()
