"""The fast way to insert a batch of messages, one per database driver.

Every path inserts the whole batch in the caller's transaction, skips
``message_id``\\ s already stored, and says how many rows were new (None
where the driver cannot tell). A row the database refuses makes the whole
statement fail; :func:`storage.writes.execute_batch` then retries row by
row with the plain statement, so the isolation of a bad row is the same on
every path. Measured per row on this machine (bench: docs/performance.md):
SQLAlchemy's executemany costs 30 to 105 us of client CPU depending on the
driver; these paths 4 to 15.

- psycopg 3: binary COPY into a temporary table, one INSERT ... SELECT
  ... ON CONFLICT DO NOTHING;
- psycopg2: the same with text COPY (psycopg2 has no binary COPY writer);
- PyMySQL (and mysqlclient): one multi-row INSERT ... ON DUPLICATE KEY
  UPDATE with literal values escaped here, instead of the driver's
  per-value escaping (about 1 us per value);
- SQLite: the driver's executemany with values already in SQLAlchemy's
  storage format (no per-row SQLAlchemy processing).
"""

from __future__ import annotations

import abc
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from storage.tables import messages

# columns with the same value in most messages: left to the table's default
# when a whole batch has it (the default is NULL, or 1 for count)
SPARSE = {"user_id": None, "request_id": None, "resource_uuid": None, "publisher_id": None,
          "parent_id": None, "session_id": None, "claim": None, "step_id": None, "count": 1}
TEMP = "herald_messages_in"


def _kind(name: str) -> str:
    column_type = messages.c[name].type
    return ("datetime" if isinstance(column_type, sa.DateTime) else
            "int" if isinstance(column_type, sa.Integer) else "str")


STRINGS = frozenset(c.name for c in messages.columns if _kind(c.name) == "str")


def compile_row(columns: tuple[str, ...], expr: Callable[[str, str, bool], str],
                head: str, sep: str, tail: str, env: dict[str, Any],
                escaped: frozenset[str] = STRINGS) -> Callable[[Any], Any]:
    """A function turning one message into one row of ``columns``, built
    from ``expr(kind, attribute, escape)`` source fragments (kind: str,
    datetime, int) and compiled once per column set. Every fragment turns
    None into the database's NULL, NOT NULL columns included: the database
    then refuses the row, as it would any other bad value.

    A generated f-string formats a row in about 2 us where a function call
    per value costs 10 to 17: the attribute names come from herald's own
    table, never from data (as namedtuple and dataclasses generate code).
    Only the string columns in ``escaped`` are escaped (see
    :func:`needs_escaping`).
    """
    parts = [expr(_kind(name), f"m.{name}", name in escaped) for name in columns]
    source = f"def row(m):\n    return {head}{sep.join(parts)}{tail}\n"
    namespace = dict(env)
    exec(compile(source, f"<row {', '.join(columns)}>", "exec"), namespace)  # noqa: S102
    row: Callable[[Any], Any] = namespace["row"]
    return row


def needs_escaping(batch: Sequence[Any], columns: tuple[str, ...],
                   special: re.Pattern[str]) -> frozenset[str]:
    """The string columns in which some value of ``batch`` holds a character
    of ``special``. Escaping costs a call per value (about 1 us each with
    str.translate); one scan per column and batch finds the few columns
    that need it (herald validates identifiers, so usually none)."""
    dirty = []
    for name in columns:
        if name in STRINGS:
            values = [v for m in batch if (v := getattr(m, name)) is not None]
            if special.search("".join(values)):
                dirty.append(name)
    return frozenset(dirty)


class BulkInsert(abc.ABC):
    """One driver's way; ``name`` is logged at start."""

    name = "bulk insert"

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self._getters: dict[tuple[tuple[str, ...], frozenset[str]], Any] = {}

    def used_columns(self, batch: Sequence[Any]) -> tuple[str, ...]:
        """The columns this batch gives a value: the others take the table's
        defaults, and each column left out saves work on every row."""
        return tuple(c for c in self.columns
                     if c not in SPARSE or any(getattr(m, c) != SPARSE[c] for m in batch))

    def values(self, columns: tuple[str, ...], escaped: frozenset[str] = STRINGS) -> Any:
        """How one message becomes one row of ``columns`` (cached: a handful
        of column sets occur)."""
        key = (columns, escaped)
        getter = self._getters.get(key)
        if getter is None:
            getter = self._getters[key] = self.row_function(columns, escaped)
        return getter

    def row_function(self, columns: tuple[str, ...],
                     escaped: frozenset[str]) -> Callable[[Any], Any]:
        return operator.attrgetter(*columns)

    def usable(self, engine: sa.Engine) -> bool:
        """False when this database role cannot use the path."""
        return True

    @abc.abstractmethod
    def insert(self, conn: sa.Connection, batch: Sequence[Any]) -> int | None:
        """Insert the batch; how many rows were new (None: unknown)."""


class _TempTableCopy(BulkInsert):
    """COPY into a temporary table, then one INSERT ... SELECT that skips
    known message_ids. The temp table lives as long as the database
    connection and is emptied at each commit."""

    create = (f"CREATE TEMP TABLE IF NOT EXISTS {TEMP} "
              "(LIKE messages INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")

    def usable(self, engine: sa.Engine) -> bool:
        """False if this role may not create temporary tables."""
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(self.create)
            return True
        except sa_exc.ProgrammingError:
            return False

    @staticmethod
    def merge(cols: str) -> str:
        return (f"INSERT INTO messages ({cols}) SELECT {cols} "  # noqa: S608 - constants
                f"FROM {TEMP} ON CONFLICT (message_id) DO NOTHING")

    def _temp_table(self, conn: sa.Connection, cursor: Any) -> None:
        info = conn.connection.info
        if not info.get(TEMP):
            cursor.execute(self.create)
            info[TEMP] = True


class PsycopgCopy(_TempTableCopy):
    """psycopg 3: binary COPY with declared types (4 us of client CPU per
    row, against 11 for text COPY and 32 for executemany)."""

    name = "COPY (binary, psycopg 3)"

    def insert(self, conn: sa.Connection, batch: Sequence[Any]) -> int:
        import psycopg  # only with this driver

        columns = self.used_columns(batch)
        cols = ", ".join(columns)
        copy_sql = f"COPY {TEMP} ({cols}) FROM STDIN (FORMAT BINARY)"
        values = self.values(columns)
        try:
            cursor = _driver_cursor(conn)
            self._temp_table(conn, cursor)
            with cursor.copy(copy_sql) as copy:
                copy.set_types([_pg_type(messages.c[c].type) for c in columns])
                for m in batch:
                    copy.write_row(values(m))
            cursor.execute(self.merge(cols))
            return cursor.rowcount
        except psycopg.Error as exc:
            # the driver's own cursor: translate as SQLAlchemy would, so that
            # row errors and environment errors are told apart as usual
            raise sa_exc.DBAPIError.instance(copy_sql, None, exc, psycopg.Error) from exc


# COPY text format: backslash escapes; \N is NULL. Every string is escaped,
# identifiers too: a tab that got past validation must not shift columns.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_expr(kind: str, attr: str, escape: bool) -> str:
    value = {"str": "v.translate(T)" if escape else "v",
             "datetime": "v.isoformat(' ', 'microseconds')", "int": "v"}[kind]
    return "{N if (v := " + attr + ") is None else " + value + "}"


class Psycopg2Copy(_TempTableCopy):
    """psycopg2: text COPY (copy_expert), formatted here."""

    name = "COPY (text, psycopg2)"

    def row_function(self, columns: tuple[str, ...],
                     escaped: frozenset[str]) -> Callable[[Any], Any]:
        return compile_row(columns, _copy_expr, 'f"', "\\t", '\\n"',
                           {"T": _COPY_ESCAPES, "N": "\\N"}, escaped)

    def insert(self, conn: sa.Connection, batch: Sequence[Any]) -> int:
        import io

        import psycopg2  # only with this driver

        columns = self.used_columns(batch)
        cols = ", ".join(columns)
        copy_sql = f"COPY {TEMP} ({cols}) FROM STDIN"
        escaped = needs_escaping(batch, columns, _COPY_SPECIAL)
        text = "".join(map(self.values(columns, escaped), batch))
        try:
            cursor = _driver_cursor(conn)
            self._temp_table(conn, cursor)
            cursor.copy_expert(copy_sql, io.StringIO(text))
            cursor.execute(self.merge(cols))
            return cursor.rowcount
        except psycopg2.Error as exc:
            raise sa_exc.DBAPIError.instance(copy_sql, None, exc, psycopg2.Error) from exc


# MySQL string literals (NO_BACKSLASH_ESCAPES off, herald's session default),
# the same escapes as PyMySQL's escape_string
_MYSQL_ESCAPES = str.maketrans({"\0": "\\0", "\\": "\\\\", "\n": "\\n", "\r": "\\r",
                                "\x1a": "\\Z", "'": "\\'", '"': '\\"'})


def _quoted(value: str) -> str:
    """Quotes a value already escaped (or found not to need it)."""
    return "'" + value + "'"


_MYSQL_SPECIAL = re.compile(r"""[\0\\\n\r\x1a'"]""")


def _mysql_expr(kind: str, attr: str, escape: bool) -> str:
    if kind == "int":
        return "{'NULL' if (v := " + attr + ") is None else int(v)}"
    text = ("v.isoformat(' ', 'microseconds')" if kind == "datetime"
            else "v.translate(T)" if escape else "v")
    return "{'NULL' if (v := " + attr + ") is None else Q(" + text + ")}"


class MySQLValues(BulkInsert):
    """One multi-row INSERT ... ON DUPLICATE KEY UPDATE per batch.

    Not INSERT IGNORE: it would also turn data errors into warnings. herald
    connects without CLIENT_FOUND_ROWS (storage.engine), so a duplicate
    left as it was counts 0 and the rowcount is the number of new rows."""

    name = "multi-row INSERT (MySQL)"

    def row_function(self, columns: tuple[str, ...],
                     escaped: frozenset[str]) -> Callable[[Any], Any]:
        return compile_row(columns, _mysql_expr, 'f"(', ",", ')"',
                           {"T": _MYSQL_ESCAPES, "Q": _quoted}, escaped)

    def insert(self, conn: sa.Connection, batch: Sequence[Any]) -> int:
        columns = self.used_columns(batch)
        escaped = needs_escaping(batch, columns, _MYSQL_SPECIAL)
        rows = ",".join(map(self.values(columns, escaped), batch))
        result = conn.exec_driver_sql(
            f"INSERT INTO messages ({', '.join(columns)}) VALUES {rows} "  # noqa: S608
            "ON DUPLICATE KEY UPDATE message_id = VALUES(message_id)")
        return result.rowcount


def _sqlite_expr(kind: str, attr: str, escape: bool) -> str:
    if kind != "datetime":
        return attr
    # SQLAlchemy's SQLite DATETIME storage format
    return f"(None if (v := {attr}) is None else v.isoformat(' ', 'microseconds'))"


class SQLiteExecutemany(BulkInsert):
    """sqlite3's own executemany (C) with values in SQLAlchemy's storage
    format, skipping SQLAlchemy's per-row parameter processing."""

    name = "executemany (sqlite3)"

    def row_function(self, columns: tuple[str, ...],
                     escaped: frozenset[str]) -> Callable[[Any], Any]:
        return compile_row(columns, _sqlite_expr, "(", ", ", ",)", {})

    def insert(self, conn: sa.Connection, batch: Sequence[Any]) -> int:
        columns = self.used_columns(batch)
        result = conn.exec_driver_sql(
            f"INSERT INTO messages ({', '.join(columns)}) VALUES "  # noqa: S608 - constants
            f"({', '.join('?' * len(columns))}) ON CONFLICT (message_id) DO NOTHING",
            list(map(self.values(columns), batch)))
        return result.rowcount


def _driver_cursor(conn: sa.Connection) -> Any:
    """A cursor of the driver's own connection (for COPY)."""
    driver_connection = conn.connection.driver_connection
    assert driver_connection is not None
    return driver_connection.cursor()


def _pg_type(column_type: sa.types.TypeEngine[Any]) -> str:
    if isinstance(column_type, sa.DateTime):
        return "timestamp"
    if isinstance(column_type, sa.String):
        return "text"
    if isinstance(column_type, sa.Integer):
        return "int4"
    raise TypeError(f"no COPY type for {column_type!r}")


#: (dialect, driver) -> the path; the ranking for each database, fastest first
PATHS: dict[tuple[str, str], type[BulkInsert]] = {
    ("postgresql", "psycopg"): PsycopgCopy,
    ("postgresql", "psycopg2"): Psycopg2Copy,
    ("mysql", "pymysql"): MySQLValues,
    ("mysql", "mysqldb"): MySQLValues,
    ("mariadb", "pymysql"): MySQLValues,
    ("mariadb", "mysqldb"): MySQLValues,
    ("sqlite", "pysqlite"): SQLiteExecutemany,
}


def for_engine(engine: sa.Engine, columns: tuple[str, ...]) -> BulkInsert | None:
    """This engine's fast path, or None (SQLAlchemy's executemany)."""
    path = PATHS.get((engine.dialect.name, engine.dialect.driver))
    return path(columns) if path is not None else None
