"""Which database errors leave the node behind (storage.failover)."""

import types

import pymysql
import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from storage import engine, failover


def context(orig, is_disconnect=False):
    return types.SimpleNamespace(original_exception=orig, is_disconnect=is_disconnect)


@pytest.mark.parametrize("orig", [
    pymysql.err.OperationalError(1047, "WSREP has not yet prepared node for application use"),
    pymysql.err.OperationalError(1053, "Server shutdown in progress"),
    pymysql.err.OperationalError(1180, 'Got error 6 "No such device or address" during COMMIT'),
    pymysql.err.OperationalError(1290, "The MariaDB server is running with the --read-only "
                                       "option so it cannot execute this statement"),
    pymysql.err.OperationalError(1836, "Running in read-only mode"),
    pymysql.err.InternalError(1047, "WSREP has not yet prepared node"),  # another class
])
def test_a_node_that_cannot_serve_is_left_behind(orig):
    ctx = context(orig)
    failover._handle_error(ctx)
    assert ctx.is_disconnect is True


@pytest.mark.parametrize("orig", [
    pymysql.err.OperationalError(1205, "Lock wait timeout exceeded"),
    pymysql.err.OperationalError(1213, "Deadlock found (Galera: certification failure)"),
    pymysql.err.DataError(1406, "Data too long for column"),
    pymysql.err.IntegrityError(1062, "Duplicate entry"),
    pymysql.err.ProgrammingError(1146, "Table 'herald.messages' doesn't exist"),
    pymysql.err.OperationalError(1969, "Query execution was interrupted (max_statement_time)"),
    ValueError("no code"),
    pymysql.err.OperationalError("not a number"),
])
def test_errors_of_a_statement_keep_the_connection(orig):
    ctx = context(orig)
    failover._handle_error(ctx)
    assert ctx.is_disconnect is False


def test_a_disconnect_sqlalchemy_found_stays_one():
    ctx = context(pymysql.err.OperationalError(2013, "Lost connection"), is_disconnect=True)
    failover._handle_error(ctx)
    assert ctx.is_disconnect is True


def test_the_codes_come_from_either_driver():
    assert failover.error_code(pymysql.err.OperationalError(1047, "x")) == 1047
    assert failover.error_code(Exception(1836, "x")) == 1836  # mysqlclient's shape
    assert failover.error_code(Exception()) is None
    assert failover.error_code(None) is None


def test_a_node_that_cannot_serve_holds_the_batch_never_quarantines_it():
    """1290 (read-only) must not be taken for a bad row: once invalidated,
    the batch is held and retried on another node."""
    orig = pymysql.err.OperationalError(1290, "--read-only")
    exc = sa_exc.OperationalError("INSERT", {}, orig, connection_invalidated=True)
    assert not engine.is_row_error(exc)


def test_only_mysql_engines_get_the_hook():
    mysql = engine.create_engine("mysql+pymysql://root@db/herald", statement_timeout=10)
    sqlite = engine.create_engine("sqlite://", statement_timeout=10)
    try:
        assert sa.event.contains(mysql, "handle_error", failover._handle_error)
        assert not sa.event.contains(sqlite, "handle_error", failover._handle_error)
    finally:
        mysql.dispose()
        sqlite.dispose()
