"""Per-dialect engine settings, without a server (engines connect lazily)."""

import logging

import pytest
from sqlalchemy import exc as sa_exc

from collector.exceptions import StorageUnavailable
from storage import engine as engine_mod

engine = engine_mod


def url_of(url):
    eng = engine_mod.create_engine(url, statement_timeout=10)
    try:
        return eng.url
    finally:
        eng.dispose()


def test_a_mysql_utf8_connection_is_made_utf8mb4_and_said_so(caplog):
    caplog.set_level(logging.WARNING, logger="storage.engine")
    url = url_of("mysql+pymysql://root:s3cret@db/herald?charset=utf8")
    assert url.query["charset"] == "utf8mb4"
    assert "charset=utf8; using utf8mb4 instead" in caplog.text
    assert "s3cret" not in caplog.text


def test_a_missing_charset_is_set_quietly_and_utf8mb4_kept(caplog):
    caplog.set_level(logging.WARNING, logger="storage.engine")
    assert url_of("mysql+pymysql://root@db/herald").query["charset"] == "utf8mb4"
    assert url_of("mysql+pymysql://root@db/herald?charset=utf8mb4&connect_timeout=3").query == {
        "charset": "utf8mb4", "connect_timeout": "3"}
    assert caplog.text == ""


def test_other_databases_keep_their_url():
    assert url_of("postgresql+psycopg://u@db/herald?client_encoding=utf8").query == {
        "client_encoding": "utf8"}


class _Orig(Exception):
    pass


@pytest.mark.parametrize("exc, row", [
    (sa_exc.DataError("INSERT", {}, _Orig("value too long")), True),
    (sa_exc.IntegrityError("INSERT", {}, _Orig("null value in column")), True),
    (sa_exc.StatementError("cannot bind", "INSERT", {}, TypeError("not a str")), True),
    (sa_exc.OperationalError("INSERT", {}, _Orig("server closed the connection")), False),
    (sa_exc.OperationalError("INSERT", {}, _Orig("lock wait timeout")), False),
    (sa_exc.ProgrammingError("INSERT", {}, _Orig('relation "messages" does not exist')), False),
    (sa_exc.InterfaceError("INSERT", {}, _Orig("connection already closed")), False),
    (sa_exc.DBAPIError("INSERT", {}, _Orig("gone"), connection_invalidated=True), False),
])
def test_a_bad_row_is_told_from_a_database_that_is_down(exc, row):
    """A row error quarantines the row; anything else holds the batch."""
    assert engine.is_row_error(exc) is row
    if not row:
        assert isinstance(engine.unavailable(exc), StorageUnavailable)


def test_a_driverless_url_gets_the_fastest_installed_driver(caplog):
    caplog.set_level(logging.WARNING, logger="storage.engine")
    assert url_of("postgresql://u@db/herald").drivername == "postgresql+psycopg"
    assert url_of("mysql://root@db/herald").drivername == "mysql+pymysql"
    assert url_of("postgresql+psycopg://u@db/herald").drivername == "postgresql+psycopg"
    assert caplog.text == ""
    assert url_of("postgresql+psycopg2://u:pw@db/herald").drivername == "postgresql+psycopg2"
    assert ("uses postgresql+psycopg2, but psycopg is installed and faster" in caplog.text
            and "pw" not in caplog.text)


def test_without_psycopg_3_psycopg2_is_chosen_quietly(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="storage.engine")
    monkeypatch.setattr(engine_mod, "_installed", lambda d: d != "psycopg")
    assert url_of("postgresql://u@db/herald").drivername == "postgresql+psycopg2"
    assert url_of("postgresql+psycopg2://u@db/herald").drivername == "postgresql+psycopg2"
    assert caplog.text == ""
