"""PostgreSQL databases for the services under test, made and dropped per test."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from tests import services


class Databases:
    def __init__(self) -> None:
        self.admin_url = sa.make_url(services.PG_URL)
        try:
            self._admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            self._admin.connect().close()
        except sa.exc.OperationalError as exc:
            services.unavailable(f"PostgreSQL ({exc.orig})")
        self.token = secrets.token_hex(4)
        self.made: list[str] = []

    def create(self, name: str, driver: str = "postgresql+psycopg2") -> str:
        """A new database; its URL with ``driver`` (the services' own: psycopg2)."""
        full = f"it_{name}_{self.token}"
        with self._admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {full}"))
        self.made.append(full)
        return self.admin_url.set(drivername=driver, database=full).render_as_string(
            hide_password=False)

    def drop(self) -> None:
        with self._admin.connect() as conn:
            for name in self.made:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self._admin.dispose()
