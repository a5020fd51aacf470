"""The Event Viewer's Events page at 2 M rows (issue 23, item 5).

    python bench/dashboard_bench.py [--rows 2000000] [--projects 1000]
                                    [--requests 200] [--reload]

Loads ``--rows`` messages into PostgreSQL (``bench/api_bench.py``'s
database, kept between runs), gives one project's 2,000 rows to a real
Keystone project ``demo``, and serves them with herald-api (Keystone auth,
as deployed) to Horizon 27 with herald's plugin (page size 20, Horizon's
default). A logged-in client then asks, in turn, ``--requests`` times each:

- ``empty``: the same Events page for project ``other``, which has no
  messages: Horizon, the plugin, Keystone's token check and an empty
  herald-api answer, the baseline of the same run;
- ``page1``: demo's first page;
- ``page50``: demo's page 50 (Horizon's marker, as its "Next" link sends).

The page's cost is the difference of its p99 and the baseline's, which the
issue bounds at 150 ms; page 50 must cost what page 1 costs (ratio ~1).
Times are whole responses on loopback, so they are the servers' time.
Needs RabbitMQ-free PostgreSQL on loopback (HERALD_BENCH_PG_URL as in run.py).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api_bench import database
from bench.run import free_port, percentiles
from tests.integration import venvs
from tests.integration.horizon import Horizon
from tests.integration.keystone import Keystone, keystone_authtoken
from tests.integration.processes import Service, http_status

BIN = Path(sys.executable).parent
PAGE = 20
TARGET_MS = 150.0
# the HTML only is fetched: no compressed static files are needed
PRODUCTION = textwrap.dedent("""
    COMPRESS_ENABLED = False
    COMPRESS_OFFLINE = False
    LOGGING = {"version": 1, "disable_existing_loggers": False,
               "root": {"level": "WARNING", "handlers": []}}
    """)


def herald_api(workdir: Path, url: str, keystone: Keystone, port: int) -> Service:
    conf = workdir / "herald.conf"
    conf.write_text(textwrap.dedent(f"""\
        [database]
        connection = {url}
        [api]
        auth_strategy = keystone
        port = {port}
        """) + keystone_authtoken(keystone.url))
    api = Service("herald-api", [str(BIN / "herald-api"), "--config-file", str(conf)], workdir)
    api.wait_for(lambda: http_status(f"http://127.0.0.1:{port}/") == 200, "answering GET /")
    return api


def login(base: str, user: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/auth/login/", timeout=60).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    r = s.post(f"{base}/auth/login/", data={
        "csrfmiddlewaretoken": token, "username": user, "password": user, "region": "default",
        "next": "/project/events/"}, headers={"Referer": f"{base}/auth/login/"}, timeout=60)
    assert "/project/events/" in r.url, f"{user} did not log in: {r.url}"
    return s


def timed(session: requests.Session, url: str, expect: int) -> float:
    started = time.perf_counter()
    r = session.get(url, timeout=60)
    took = (time.perf_counter() - started) * 1000
    rows = r.text.count('data-object-id="')
    assert r.status_code == 200 and rows == expect, (url, r.status_code, rows)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reload", action="store_true")
    options = parser.parse_args()
    url = database(options.reload, options.rows, options.projects)
    workdir = Path(tempfile.mkdtemp(prefix="herald-dashboard-bench-"))
    started: list = []
    try:
        venv = venvs.HORIZON.ensure()
        keystone = Keystone(venv, workdir).start()
        started.append(keystone)
        port = free_port()
        projects = keystone.provision(f"http://127.0.0.1:{port}/v3/$(project_id)s")
        engine = sa.create_engine(url)
        with engine.begin() as conn:  # one bench project becomes Keystone's demo
            conn.execute(sa.text(
                "UPDATE messages SET project_id = 'proj-0042' "
                "WHERE message_id LIKE 'bench-%' AND project_id NOT LIKE 'proj-%'"))
            conn.execute(sa.text("UPDATE messages SET project_id = :p WHERE project_id = "
                                 "'proj-0042'"), {"p": projects["demo"]})
            owned = conn.execute(sa.text("SELECT count(*) FROM messages WHERE project_id = :p"),
                                 {"p": projects["demo"]}).scalar()
            marker = conn.execute(sa.text(
                "SELECT id FROM messages WHERE project_id = :p ORDER BY created_at DESC, id DESC "
                "OFFSET :o LIMIT 1"), {"p": projects["demo"], "o": 49 * PAGE - 1}).scalar()
            conn.execute(sa.text("ANALYZE messages"))
        engine.dispose()
        started.append(herald_api(workdir, url, keystone, port))
        horizon = Horizon(venv, workdir, keystone.url)
        settings = horizon.dir / "settings" / "local" / "local_settings.py"
        # as deployed: Horizon's default page size, no debug mode, no debug logging
        settings.write_text(re.sub(r"API_RESULT_PAGE_SIZE = \d+", f"API_RESULT_PAGE_SIZE = {PAGE}",
                                   settings.read_text()).replace("DEBUG = True", "DEBUG = False")
                            + PRODUCTION)
        started.append(horizon.start())
        base = horizon.url
        demo, other = login(base, "demo"), login(base, "other")
        kinds = {"empty": (other, f"{base}/project/events/", 0),
                 "page1": (demo, f"{base}/project/events/", PAGE),
                 "page50": (demo, f"{base}/project/events/?marker={marker}", PAGE)}
        for session, page, _rows in kinds.values():  # compress, caches, token cache
            for _ in range(5):
                session.get(page, timeout=120)
        took: dict[str, list[float]] = {k: [] for k in kinds}
        for _ in range(options.requests):
            for kind, (session, page, rows) in kinds.items():
                took[kind].append(timed(session, page, rows))
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(f"\nEvents page, {options.rows:,} rows, demo owns {owned:,}; {options.requests} "
              f"requests of each kind, in turn; load average {' '.join(load)}")
        figures = {k: percentiles(v) for k, v in took.items()}
        for kind, p in figures.items():
            print(f"  {kind:<7} p50 {p['p50_ms']:7.1f} ms   p99 {p['p99_ms']:7.1f} ms   "
                  f"mean {statistics.mean(took[kind]):7.1f} ms")
        over1 = figures["page1"]["p99_ms"] - figures["empty"]["p99_ms"]
        over50 = figures["page50"]["p99_ms"] - figures["empty"]["p99_ms"]
        print(f"  page 1 costs p99 +{over1:.1f} ms over the empty page "
              f"(target <= {TARGET_MS:.0f}): {'met' if over1 <= TARGET_MS else 'MISSED'}")
        print(f"  page 50 costs p99 +{over50:.1f} ms; page50/page1 p50 ratio "
              f"{figures['page50']['p50_ms'] / figures['page1']['p50_ms']:.2f}")
        return 0
    finally:
        for thing in reversed(started):
            thing.stop()
        engine = sa.create_engine(url)  # the rows back to api_bench.py's project
        with engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE messages SET project_id = 'proj-0042' "
                "WHERE message_id LIKE 'bench-%' AND project_id NOT LIKE 'proj-%'"))
        engine.dispose()
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


if __name__ == "__main__":
    sys.exit(main())
