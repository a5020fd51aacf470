"""Per-dialect engine settings, without a server (engines connect lazily)."""

import logging

from storage import engine as engine_mod


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
