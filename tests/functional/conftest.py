import pytest
import sqlalchemy as sa

from storage import get_connection
from storage.tables import metadata
from tests import services

BACKENDS = ["sqlite", "postgresql", "mysql"]


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """One throwaway database per backend for the session, created lazily."""
    made = {}
    tmp = str(tmp_path_factory.mktemp("db"))

    def get(backend):
        if backend not in made:
            admin = {"postgresql": services.PG_URL, "mysql": services.MYSQL_URL}.get(backend)
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
    s = get_connection(conf, db.url)
    s.upgrade()
    with s.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(sa.delete(table))
    yield s
    s.close()
