"""A MariaDB node that answers "cannot serve" loses herald's connection.

The machine's MariaDB raises the very errors a Galera node outside the
quorum (1047) or a read-only node (1290, 1836) raises, with ``SIGNAL``:
herald's engine must then open a new connection (a new CONNECTION_ID()),
where SQLAlchemy alone would reuse the pooled one forever.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage import engine as engines

pytestmark = [pytest.mark.mysql]


@pytest.mark.parametrize("code", [1047, 1180, 1290, 1836])
def test_an_error_meaning_cannot_serve_replaces_the_connection(databases, code):
    eng = engines.create_engine(databases("mysql").url, statement_timeout=10)
    try:
        with eng.connect() as conn:
            first = conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar()
        with pytest.raises(sa.exc.DBAPIError) as raised, eng.connect() as conn:
            conn.execute(sa.text(f"SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = {code}, "
                                 "MESSAGE_TEXT = 'this node cannot serve'"))
        assert raised.value.connection_invalidated
        assert not engines.is_row_error(raised.value)  # the batch is held, not quarantined
        with eng.connect() as conn:
            assert conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar() != first
    finally:
        eng.dispose()


def test_a_statement_error_keeps_the_connection(databases):
    eng = engines.create_engine(databases("mysql").url, statement_timeout=10)
    try:
        with eng.connect() as conn:
            first = conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar()
        with pytest.raises(sa.exc.DBAPIError) as raised, eng.connect() as conn:
            conn.execute(sa.text("SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205, "
                                 "MESSAGE_TEXT = 'Lock wait timeout exceeded'"))
        assert not raised.value.connection_invalidated
        with eng.connect() as conn:
            assert conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar() == first
    finally:
        eng.dispose()
