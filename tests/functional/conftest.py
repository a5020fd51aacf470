import json
import os

import pytest
import sqlalchemy as sa

from storage import get_connection
from storage.tables import metadata
from tests import services
from tests.functional.herald_process import HeraldProcess

# every database and driver herald writes with (psycopg2: PostgreSQL's other driver)
BACKENDS = ["sqlite", "postgresql", "psycopg2", "mysql"]


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """One throwaway database per backend for the session, created lazily."""
    made = {}
    tmp = str(tmp_path_factory.mktemp("db"))

    def get(backend):
        if backend not in made:
            admin = {"postgresql": services.PG_URL, "psycopg2": services.PG_URL,
                     "mysql": services.MYSQL_URL}.get(backend)
            made[backend] = services.Database(backend, admin, tmp)
        return made[backend]

    yield get
    for db in made.values():
        db.drop()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def store(conf, databases, backend):
    """A migrated, empty store on the parametrised backend."""
    db = databases(backend)
    s = get_connection(conf, db.url, create=True)
    s.upgrade()
    with s.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(sa.delete(table))
    yield s
    s.close()


@pytest.fixture
def herald(tmp_path, databases):
    """Factory of real herald-listener processes, each with its own topic,
    exchange and clean schema; stopped and cleaned up after the test."""
    made = []

    def make(backend="sqlite", **kwargs):
        if not services.port_open(5672):
            services.unavailable("RabbitMQ on 127.0.0.1:5672")
        h = HeraldProcess(tmp_path / f"h{len(made)}", databases(backend).url, **kwargs)
        made.append(h)
        if kwargs.get("share_with") is None:
            h.prepare_database()
        return h

    yield make
    for h in made:
        h.cleanup()


_RELIABILITY: list[dict] = []


@pytest.fixture(scope="session", autouse=True)
def _reliability_report():
    yield
    path = os.environ.get("HERALD_RELIABILITY_REPORT")
    if path and _RELIABILITY:
        with open(path, "w") as f:
            json.dump(_RELIABILITY, f, indent=2)


@pytest.fixture
def reliability():
    """Record a fault scenario's counts for docs/reliability.md."""
    def record(scenario, counts, **extra):
        _RELIABILITY.append({"scenario": scenario, **counts, **extra})
    return record
