"""herald-api under load, beside a draining listener (issue 10).

    python bench/api_bench.py [--rows 2000000] [--projects 1000] [--requests 1000]
                              [-n 100000] [--limit 20] [--repeat 5] [--rate R]
                              [--server gunicorn|uwsgi] [--nice N] [--control]
                              [--json FILE] [--language ja]

(a) loads ``--rows`` messages across ``--projects`` projects into PostgreSQL
    (SQL generate_series; kept between runs, ``--reload`` to redo it);
(b) serves them with herald-api under gunicorn, 2 sync workers, noauth, the
    full WSGI stack (auth, policy, microversions, oslo.middleware);
(c) pairs drains of the same pre-filled queue by one herald-listener worker
    into the same database: alone, then with one client sending requests
    back to back the whole time -- a project's first page, the page 50
    pages deep (by marker, as clients ask) and one message, in turn. The
    drain-rate drop is the median of the pairs; latencies (p50/p99 over
    ``--requests`` of each kind, sequential, a new connection each, as
    gunicorn's sync workers close them) are from the loaded drains. With
    ``--control`` the client asks for the version document instead (no
    database, no herald logic): the drop that the client's loop and the HTTP
    server alone cost the drain;
(d) baselines from the same run: the same statements straight on psycopg
    (what the database itself takes), and the version document through the
    same gunicorn (the HTTP stack and client without the database);
(e) requests/s with 2 workers: 4 client processes for 10 s, first pages of
    random projects, no drain;
(f) with ``--languages`` only (issue 24), no drains: a 1,000-message list
    page built in process (views, rendering when read, JSON) in en and ja
    and with the stored text, and herald-api's latencies with
    ``Accept-Language: en`` and ``ja`` in turn (first page, 50 deep, one
    message, and the 1,000-message page).

The client of (c) runs at niceness 10: it stands for users on other
machines and must not take the CPU from the drain it is measured against
(time it waits for a core counts in its latencies).

Needs RabbitMQ and PostgreSQL on loopback (HERALD_BENCH_PG_URL as in run.py;
the database is herald_api_bench).
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import psutil
import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import listener.cmd  # noqa: F401 - the threading backend (the store is used in process)
from bench import harness, traffic
from bench.run import PG_ADMIN, free_port, percentiles

TARGETS = {"p99_ms": 20.0, "drain_drop": 0.15}
DB = "herald_api_bench"
KINDS = ("first", "deep", "show")


def database(reload: bool, rows: int, projects: int, name: str = DB) -> str:
    """The URL of ``name`` holding ``rows`` rows (made if needed), each with
    its parameters (herald-api renders them when read)."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    url = sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"),
                              {"d": name}).first()
    if exists and not reload:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            have = conn.execute(sa.text("SELECT count(*) FROM messages WHERE message_id "
                                        "LIKE 'bench-%' AND params IS NOT NULL")).scalar()
        engine.dispose()
        if have == rows:
            # a later herald's migrations, so that its listener will start
            conf = harness.write_conf(Path(tempfile.mkdtemp()) / "load.conf", url, "x", "x", 1,
                                      "kombu")
            subprocess.run([sys.executable, "-m", "listener.cmd.manage", "--config-file",
                            str(conf), "db", "upgrade"], check=True, capture_output=True)
            print(f"  reusing {name}: {have:,} rows", flush=True)
            return url
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    conf = harness.write_conf(Path(tempfile.mkdtemp()) / "load.conf", url, "x", "x", 1, "kombu")
    subprocess.run([sys.executable, "-m", "listener.cmd.manage", "--config-file", str(conf),
                    "db", "upgrade"], check=True, capture_output=True)
    started = time.perf_counter()
    with psycopg.connect(sa.make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False), autocommit=True) as conn:
        # one message a second per project, the newest 2 minutes ago
        conn.execute(textwrap.dedent("""\
            INSERT INTO messages (id, message_id, project_id, user_id, request_id, event_id,
                resource_type, resource_uuid, message_level, user_message, publisher_id,
                created_at, expires_at, event_type, category, count, last_seen_at, params)
            SELECT md5(g::text || 'id')::uuid::text, 'bench-' || g,
                   'proj-' || lpad((g %% %(p)s)::text, 4, '0'), 'u', 'req-' || g,
                   'VOLUME_DELETE_FAILED', 'VOLUME', md5(g::text)::uuid::text, 'ERROR',
                   'Volume ' || md5(g::text)::uuid::text
                       || ' could not be deleted: it still has snapshots.',
                   'volume.host-' || (g %% 7),
                   (now() AT TIME ZONE 'UTC') - make_interval(secs => 120 + g / %(p)s),
                   (now() AT TIME ZONE 'UTC') + interval '30 days',
                   'volume.delete.failed', 'action', 1,
                   (now() AT TIME ZONE 'UTC') - make_interval(secs => 120 + g / %(p)s),
                   '{"reason": "has_snapshots", "volume_id": "'
                       || md5(g::text)::uuid::text || '"}'
            FROM generate_series(1, %(n)s) AS g"""), {"p": projects, "n": rows})
        conn.execute("VACUUM ANALYZE messages")
    print(f"  loaded {rows:,} rows across {projects:,} projects in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return url


class API:
    """herald-api under gunicorn (sync workers) or uwsgi, noauth."""

    def __init__(self, url: str, workdir: Path, server: str = "gunicorn", workers: int = 2,
                 nice: int = 0) -> None:
        self.port = free_port()
        conf = workdir / "api.conf"
        conf.write_text(textwrap.dedent(f"""\
            [database]
            connection = {url}
            [api]
            auth_strategy = noauth
            """))
        self.log = open(workdir / "api.log", "wb")
        if server == "gunicorn":
            argv = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b",
                    f"127.0.0.1:{self.port}", "--log-level", "warning", "api.wsgi:application"]
        else:  # as devstack's write_uwsgi_config sets it up, answering HTTP itself
            argv = [str(Path(sys.executable).with_name("uwsgi")), "--http-socket",
                    f"127.0.0.1:{self.port}", "--module", "api.wsgi:application",
                    "--processes", str(workers), "--master", "--die-on-term",
                    "--enable-threads", "--thunder-lock", "--lazy-apps", "--need-app",
                    "--buffer-size", "65535", "--disable-logging"]
        if nice:
            argv = ["nice", "-n", str(nice), *argv]
        self.proc = subprocess.Popen(argv, env={**os.environ, "HERALD_CONFIG_FILE": str(conf)},
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                get(self.port, "/")
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """CPU the server's processes have used so far (the workers are
        children of the master): per request, a figure the drain's noise
        does not blur."""
        master = psutil.Process(self.proc.pid)
        times = [p.cpu_times() for p in [master, *master.children()]]
        return sum(t.user + t.system for t in times)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def get(port: int, path: str, project: str = "proj-0042", language: str | None = None
        ) -> tuple[int, bytes]:
    """One request on a new connection, as little client work as possible
    (the client shares the two cores with what it measures)."""
    accept = f"\r\nAccept-Language: {language}" if language else ""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: bench:{project}"
                  f"{accept}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head[9:12]), body


class Paths:
    """The three requests of one project: its first page, the page 50 deep,
    one message."""

    def __init__(self, url: str, project: str, limit: int) -> None:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            ids = conn.execute(sa.text(
                "SELECT id FROM messages WHERE project_id = :p ORDER BY created_at DESC, id DESC "
                "LIMIT :n"), {"p": project, "n": 50 * limit}).scalars().all()
        engine.dispose()
        if len(ids) < 50 * limit:
            raise RuntimeError(f"{project} has {len(ids)} rows: fewer than 50 pages of {limit}")
        base = f"/v3/{project}/messages"
        # page 50 starts after the last message of page 49
        self.paths = {"first": f"{base}?limit={limit}",
                      "deep": f"{base}?limit={limit}&marker={ids[49 * limit - 1]}",
                      "show": f"{base}/{ids[7]}"}
        self.project, self.limit = project, limit

    def control(self) -> Paths:
        """The version document in place of every request: no database and
        no herald logic, only the HTTP server and the client's loop (what
        any server would cost the drain under the same client)."""
        control = copy.copy(self)
        control.paths = {k: "/" for k in self.paths}
        control.limit = None  # any body
        return control


def timed(port: int, path: str, project: str, want: int | None,
          language: str | None = None) -> float:
    t0 = time.perf_counter()
    status, body = get(port, path, project, language)
    elapsed = (time.perf_counter() - t0) * 1000.0
    if status != 200:
        raise RuntimeError(f"{path}: HTTP {status} {body[:200]!r}")
    if want is not None and body.count(b'"event_id"') != want:
        raise RuntimeError(f"{path}: not a full page")
    return elapsed


class Client(threading.Thread):
    """Requests back to back (or ``rate`` a second, evenly spaced), the
    three kinds in turn, until stopped or until each kind has ``n``
    samples."""

    def __init__(self, port: int, paths: Paths, n: int, nice: int = 10,
                 rate: float = 0.0, language: str | None = None) -> None:
        super().__init__(daemon=True)
        self.port, self.paths, self.n, self.nice = port, paths, n, nice
        self.language = language  # Accept-Language of every request
        self.interval = 1.0 / rate if rate else 0.0  # 0: back to back
        self.samples: dict[str, list[float]] = {k: [] for k in KINDS}
        self.halt = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        # the client stands for users elsewhere: it must not take the CPU
        # from the drain it is measured against (its waits count as latency)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
        due = time.monotonic()
        try:
            while not self.halt.is_set() and min(map(len, self.samples.values())) < self.n:
                for kind in KINDS:
                    if self.interval:  # evenly spaced requests, whatever they take
                        due += self.interval
                        if (wait := due - time.monotonic()) > 0:
                            time.sleep(wait)
                    want = self.paths.limit if kind != "show" else None
                    self.samples[kind].append(timed(self.port, self.paths.paths[kind],
                                                    self.paths.project, want, self.language))
        except BaseException as exc:  # reported by the main thread
            self.error = exc


def sql_baseline(url: str, paths: Paths, n: int) -> dict[str, dict[str, float]]:
    """The same statements herald runs, on one psycopg connection: what the
    database itself takes (herald's store, without HTTP)."""
    from oslo_config import cfg

    from listener import opts
    from storage import get_connection
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], project="herald", default_config_files=[], default_config_dirs=[])
    store = get_connection(conf, url)
    marker = paths.paths["deep"].rsplit("marker=", 1)[1]
    message = paths.paths["show"].rsplit("/", 1)[1]
    calls = {"first": lambda: store.list_messages(paths.project, limit=paths.limit),
             "deep": lambda: store.list_messages(paths.project, limit=paths.limit, marker=marker),
             "show": lambda: store.get_message(paths.project, message)}
    out = {}
    for kind, call in calls.items():
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            call()
            samples.append((time.perf_counter() - t0) * 1000.0)
        out[kind] = percentiles(samples)
    store.close()
    return out


def _hammer(port: int, projects: int, seconds: float, limit: int, out: multiprocessing.Queue
            ) -> None:
    rnd, done, end = random.Random(os.getpid()), 0, time.monotonic() + seconds
    while time.monotonic() < end:
        project = f"proj-{rnd.randrange(projects):04d}"
        status, _ = get(port, f"/v3/{project}/messages?limit={limit}", project)
        if status != 200:
            out.put(-1)
            return
        done += 1
    out.put(done)


def throughput(port: int, projects: int, limit: int, clients: int = 4,
               seconds: float = 10.0) -> float:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(port, projects, seconds, limit, out))
             for _ in range(clients)]
    for p in procs:
        p.start()
    counts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    if min(counts) < 0:
        raise RuntimeError("a request failed during the throughput run")
    return sum(counts) / seconds


class Drains:
    """One listener worker draining N pre-filled notifications into the
    2-million-row database; its rows are deleted after each drain."""

    def __init__(self, url: str, workdir: Path, n: int) -> None:
        token = secrets.token_hex(3)
        self.topic, self.exchange = f"apibench_{token}", f"apibench_ex_{token}"
        self.url, self.dir, self.n = url, workdir, n
        self.conf = harness.write_conf(workdir / "listener.conf", url, self.topic,
                                       self.exchange, 1, "kombu")
        self.engine = sa.create_engine(url)

    def count(self, engine: sa.Engine) -> int:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM messages WHERE project_id = :p"),
                                {"p": traffic.PROJECT}).scalar()

    def clear(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM messages WHERE project_id = :p"),
                         {"p": traffic.PROJECT})
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE messages"))
            # every drain starts just after a checkpoint, so each pays the
            # same full-page writes whatever the drains before it wrote
            conn.execute(sa.text("CHECKPOINT"))

    def run(self, name: str, started=None, finished=None) -> harness.Result:
        self.clear()
        traffic.prefill(self.exchange, self.topic, self.n)
        result = harness.drain(name, self.conf, self.engine, self.n, 1,
                               self.dir / f"{name}.log", count=self.count, started=started,
                               finished=finished)
        print(f"  {name}: {result.rate:,.0f} msg/s, {result.cpu_us_per_msg:.0f} us CPU/msg",
              flush=True)
        return result

    def close(self) -> None:
        self.clear()
        traffic.delete(self.exchange, self.topic)
        self.engine.dispose()


def _ms(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    return {"p50_ms": round(statistics.median(v), 2),
            "p99_ms": round(v[int(0.99 * (len(v) - 1))], 2), "max_ms": round(v[-1], 2)}


def render_cost(url: str, project: str, languages: tuple[str, ...], repeat: int
                ) -> dict[str, dict[str, float]]:
    """A 1,000-message list page built as herald-api builds it (views and
    the renderer, then JSON), per language, and with the stored text (what
    herald-api did before it rendered when read): the variants in turn,
    ``repeat`` times, so that the machine's drift favours none."""
    import webob
    from oslo_config import cfg

    from api import views
    from collector import rendering
    from listener import opts
    from storage import get_connection
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], project="herald", default_config_files=[], default_config_dirs=[])
    store = get_connection(conf, url)
    rows = store.list_messages(project, limit=1000)
    store.close()
    if len(rows) != 1000 or any(r["params"] is None for r in rows):
        raise RuntimeError(f"{project}: not 1,000 rows with parameters")
    renderer = rendering.load(conf)
    variants = {"stored text": None, **{lang: renderer.for_locale(lang) for lang in languages}}
    req = webob.Request.blank(f"/v3/{project}/messages?limit=1000")
    samples: dict[str, list[float]] = {k: [] for k in variants}
    alone: dict[str, list[float]] = {k: [] for k in languages}  # the texts only
    for _ in range(repeat):
        for name, text in variants.items():
            t0 = time.perf_counter()
            json.dumps(views.message_list(req, rows, 1000, text))
            samples[name].append((time.perf_counter() - t0) * 1000.0)
            if text is not None:
                t0 = time.perf_counter()
                for row in rows:
                    text(row)
                alone[name].append((time.perf_counter() - t0) * 1000.0)
    out = {k: _ms(v) for k, v in samples.items()}
    out.update({f"{k}: texts only": {**_ms(v), "min_ms": round(min(v), 2)}
                for k, v in alone.items()})
    return out


def languages_bench(a: argparse.Namespace) -> int:
    """(f) Each reader in their own language (issue 24): the cost of rendering
    when read, in process and through herald-api, for en and ja."""
    languages = ("en", "ja")
    print(f"herald-api languages bench ({a.server}, 2 workers): {a.rows:,} rows with "
          f"parameters, {a.projects:,} projects, pages of {a.limit}, {a.requests} requests "
          f"of each kind and language, {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    url = database(a.reload, a.rows, a.projects, a.database)
    paths = Paths(url, "proj-0042", a.limit)
    page = render_cost(url, "proj-0042", languages, 200)
    print("\n(a) a 1,000-message page: views + rendering + JSON, in process; and the "
          "1,000 texts alone (ms)")
    for name, v in page.items():
        least = f"  min {v['min_ms']:>6}" if "min_ms" in v else ""
        print(f"  {name:<16} p50 {v['p50_ms']:>7}  p99 {v['p99_ms']:>7}{least}")
    big = "/v3/proj-0042/messages?limit=1000"
    with tempfile.TemporaryDirectory(prefix="herald-apibench-") as tmp:
        api = API(url, Path(tmp), a.server)
        try:
            for lang in (None, *languages):  # warm both workers, every language
                for _ in range(50):
                    for kind in KINDS:
                        timed(api.port, paths.paths[kind], paths.project, None, lang)
            samples = {(lang, kind): [] for lang in languages for kind in (*KINDS, "1000")}
            for _ in range(a.requests):
                for lang in languages:  # interleaved: the same conditions for both
                    for kind in KINDS:
                        want = paths.limit if kind != "show" else None
                        samples[lang, kind].append(timed(api.port, paths.paths[kind],
                                                         paths.project, want, lang))
            for _ in range(max(1, a.requests // 10)):
                for lang in languages:
                    samples[lang, "1000"].append(timed(api.port, big, paths.project, 1000,
                                                       lang))
        finally:
            api.stop()
    http = {f"{lang} {kind}": _ms(v) for (lang, kind), v in samples.items()}
    print(f"\n(b) herald-api, no drain, {a.requests} requests of each kind and language "
          f"(the 1,000-message page: {max(1, a.requests // 10)}) (ms)")
    for name, v in http.items():
        print(f"  {name:<10} p50 {v['p50_ms']:>7}  p99 {v['p99_ms']:>7}  max {v['max_ms']:>7}")
    checks = {f"{lang} {k} page p99 <= 20 ms": http[f"{lang} {k}"]["p99_ms"] <= TARGETS["p99_ms"]
              for lang in languages for k in ("first", "deep")}
    print("\ntargets:")
    for what, ok in checks.items():
        print(f"  [{'met' if ok else 'MISSED'}] {what}")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if a.json:
        a.json.write_text(json.dumps({"rows": a.rows, "page_in_process": page, "http": http,
                                      "targets": checks}, indent=2))
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--projects", type=int, default=1000)
    p.add_argument("--requests", type=int, default=1000, help="samples of each kind")
    p.add_argument("-n", type=int, default=100_000, help="notifications per drain")
    p.add_argument("--limit", type=int, default=20, help="page size")
    p.add_argument("--repeat", type=int, default=5, help="drain pairs (median)")
    p.add_argument("--reload", action="store_true", help="load the rows again")
    p.add_argument("--server", choices=["gunicorn", "uwsgi"], default="gunicorn",
                   help="the WSGI server (2 workers either way)")
    p.add_argument("--nice", type=int, default=0,
                   help="run the WSGI server at this niceness (the listener at 0)")
    p.add_argument("--rate", type=float, default=0.0,
                   help="requests/s of the client beside the drain (default: back to back)")
    p.add_argument("--control", action="store_true",
                   help="the client beside the drain asks for the version document "
                        "instead (no database, no herald logic): the drop any server's "
                        "request loop causes")
    p.add_argument("--json", type=Path)
    p.add_argument("--languages", action="store_true",
                   help="only (f): rendering when read, per language (en, ja), without "
                        "drains")
    p.add_argument("--database", default=DB, help="the PostgreSQL database to fill and read")
    p.add_argument("--language", help="the Accept-Language of the loaded client's requests "
                   "(messages rendered in that language; default: none, English)")
    a = p.parse_args()
    if a.languages:
        return languages_bench(a)
    pace = f"{a.rate:g} requests/s" if a.rate else "back to back"
    asks = "the version document" if a.control else "pages"
    print(f"herald-api bench ({a.server}, 2 workers, nice {a.nice}; client beside the "
          f"drain: {pace}, {asks}): {a.rows:,} rows, "
          f"{a.projects:,} projects, pages of {a.limit}, "
          f"{a.requests} requests of each kind, drains of {a.n:,}, {os.cpu_count()} CPUs",
          flush=True)
    url = database(a.reload, a.rows, a.projects, a.database)
    paths = Paths(url, "proj-0042", a.limit)
    with tempfile.TemporaryDirectory(prefix="herald-apibench-") as tmp:
        api = API(url, Path(tmp), a.server, nice=a.nice)
        drains = Drains(url, Path(tmp), a.n)
        try:
            warm = Client(api.port, paths, 100, language=a.language)
            warm.start()
            warm.join()
            idle = Client(api.port, paths, a.requests, language=a.language)  # no drain
            idle.start()
            idle.join()
            if idle.error:
                raise idle.error
            versions = percentiles([timed(api.port, "/", "proj-0042", None)
                                    for _ in range(a.requests)])
            sql = sql_baseline(url, paths, a.requests)
            pairs, loaded, seq_rates, cpu_ms = [], [], [], []
            for i in range(a.repeat):
                client = Client(api.port, paths.control() if a.control else paths,
                                a.requests * 100, rate=a.rate,  # until the drain ends
                                language=a.language)
                # which of the pair goes first alternates: the VM's drift
                # within a sitting then favours neither
                if i % 2 == 0:
                    alone = drains.run(f"drain_alone_{i}")
                cpu = {}

                def start(client=client, cpu=cpu):
                    cpu["start"] = api.cpu_seconds()
                    client.start()

                def finish(client=client, cpu=cpu):
                    client.halt.set()
                    cpu["end"] = api.cpu_seconds()

                with_api = drains.run(f"drain_with_api_{i}", started=start, finished=finish)
                if i % 2 == 1:
                    alone = drains.run(f"drain_alone_{i}")
                client.join()
                if client.error:
                    raise client.error
                pairs.append(with_api.rate / alone.rate)
                loaded.append(client.samples)
                requests = sum(map(len, client.samples.values()))
                seq_rates.append(requests / with_api.seconds)
                cpu_ms.append((cpu["end"] - cpu["start"]) * 1000.0 / requests)
                print(f"    {min(map(len, client.samples.values()))} requests of each kind "
                      f"during the drain", flush=True)
            rps_idle = throughput(api.port, a.projects, a.limit)
            print(f"  requests/s, 2 workers, 4 clients, no drain: {rps_idle:,.0f}", flush=True)
        finally:
            api.stop()
            drains.close()
    # latencies under the drain: the first --requests of each kind, all pairs pooled
    under = {k: [] for k in KINDS}
    for samples in loaded:
        for k in KINDS:
            under[k] += samples[k]
    counted = min(a.requests, *map(len, under.values()))
    under_p = {k: percentiles(v[:counted]) for k, v in under.items()}
    idle_p = {k: percentiles(v[: a.requests]) for k, v in idle.samples.items()}
    drop = 1 - statistics.median(pairs)
    report = {"server": a.server, "nice": a.nice, "rate": a.rate or "back to back",
              "control": a.control,
              "rows": a.rows, "projects": a.projects, "limit": a.limit,
              "under_drain": under_p, "under_drain_samples": counted, "no_drain": idle_p,
              "sql": sql,
              "versions_document": versions, "drain_ratio_pairs": [round(x, 3) for x in pairs],
              "drain_drop": round(drop, 3), "requests_per_s": round(rps_idle),
              "sequential_requests_per_s_during_drain": [round(x) for x in seq_rates],
              "server_cpu_ms_per_request_during_drain": [round(x, 2) for x in cpu_ms]}
    print(f"\n{counted} requests of each kind under drain, {a.requests} without")
    print(f"{'request':<8} {'under drain p50':>15} {'p99':>7} {'max':>7}   "
          f"{'no drain p50':>12} {'p99':>7}   {'SQL only p50':>12} {'p99':>7}")
    for k in KINDS:
        u, i, s = under_p[k], idle_p[k], sql[k]
        print(f"{k:<8} {u['p50_ms']:>15} {u['p99_ms']:>7} {u['max_ms']:>7}   "
              f"{i['p50_ms']:>12} {i['p99_ms']:>7}   {s['p50_ms']:>12} {s['p99_ms']:>7}")
    print(f"version document (no database): p50 {versions['p50_ms']} ms, "
          f"p99 {versions['p99_ms']} ms")
    print(f"drain rate with the API client / alone: {[round(x, 3) for x in pairs]} "
          f"-> drop {drop:.1%}")
    print(f"requests/s (first pages of random projects, 2 workers, 4 clients, no drain): "
          f"{rps_idle:,.0f}; the sequential client during the drains: "
          f"{', '.join(f'{x:,.0f}' for x in seq_rates)}")
    print(f"the WSGI server's CPU per request during the drains (ms): "
          f"{', '.join(f'{x:.2f}' for x in cpu_ms)}")
    checks = {f"{k} page p99 <= 20 ms under drain": under_p[k]["p99_ms"] <= TARGETS["p99_ms"]
              for k in ("first", "deep")}
    checks["drain drop <= 15 %"] = drop <= TARGETS["drain_drop"]
    print("\ntargets:")
    for what, ok in checks.items():
        print(f"  [{'met' if ok else 'MISSED'}] {what}")
    report["targets"] = checks
    if a.json:
        a.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
