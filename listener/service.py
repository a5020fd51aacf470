"""The cotyledon services herald-listener runs: listener workers and a reaper.

cotyledon calls ``run`` and ``terminate`` in separate threads of the worker
process and exits the process as soon as ``terminate`` returns, so
``terminate`` sets the stop event and waits until ``run`` has finished the
batch in hand (bounded by ``graceful_shutdown_timeout``).
"""

from __future__ import annotations

import datetime
import logging
import os
import random
import signal
import threading

import cotyledon
import sqlalchemy as sa
from cotyledon.types import WorkerId
from oslo_config import cfg

import storage
from collector import catalogue, dispatcher, filters, rulecheck
from collector.exceptions import ConfigurationError
from collector.pipeline import Pipeline
from listener import broker_watch, intake, prometheus
from storage import reaper

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.IntOpt(
        "workers",
        default=1,
        min=1,
        help="Listener processes. Each consumes, commits and acknowledges "
        "its own batches; about one per CPU core helps. Keep 1 with SQLite "
        "(one writer at a time).",
    ),
]


#: a worker's exit status when its configuration cannot work (sysexits.h):
#: the master then stops with status 1 instead of restarting it forever
EX_CONFIG = 78


def preflight(conf: cfg.ConfigOpts) -> catalogue.Catalogue:
    """Fail fast, in the master, on everything that cannot work.

    Raises :class:`ConfigurationError` (a broken catalogue, override or
    rules file, a database URL whose driver is missing, a dispatcher that
    cannot start...) before any worker starts; databases and brokers that
    are merely down are waited for by the workers instead.
    """
    cat = catalogue.load(conf)
    rules = rulecheck.load(conf, cat)
    filters.from_conf(conf)  # a bad pattern stops start-up here
    name = intake.choose(conf)
    intake.bindings(conf)  # a topic both herald's own and shared stops start-up here
    if name == "kombu":
        from listener import rabbit
        rabbit.settings(conf)
    if conf.stalls.enabled:
        from listener.watch import credentials
        credentials.check(conf)
    store = storage.get_connection(conf)  # loads the driver; connects to nothing
    try:
        for d in dispatcher.load(conf, store=store):  # each enabled one, built once
            d.close()
    finally:
        store.close()
    url = sa.make_url(conf.database.connection)
    if url.get_backend_name() == "sqlite" and conf.listener.workers > 1:
        LOG.warning("[listener] workers=%d with SQLite: writers will queue on the "
                    "database lock; use PostgreSQL or MariaDB to scale out",
                    conf.listener.workers)
    LOG.info("Catalogue: %d entries; mapping rules: %d; intake: %s; database: %s", len(cat),
             len(rules), name, url.render_as_string(hide_password=True))
    return cat


class _GracefulService(cotyledon.Service):
    """run() works until ``stop``; terminate() waits for it to finish.

    cotyledon exits the process as soon as terminate() returns, so it must
    not return before run() has finished the work in hand.
    """

    def __init__(self, worker_id: int, conf: cfg.ConfigOpts) -> None:
        super().__init__(WorkerId(worker_id))  # cotyledon passes an int
        self.conf = conf
        self.stop = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        problem = None
        try:
            self.work()
        except ConfigurationError as exc:
            problem = str(exc)
        finally:
            self.done.set()
        if problem is not None:
            # preflight checked what it could; whatever still cannot work
            # would fail again in a restarted worker: stop the whole service
            LOG.critical("%s", problem)
            raise SystemExit(EX_CONFIG)

    def work(self) -> None:
        raise NotImplementedError

    def reload(self) -> None:
        """SIGHUP: re-read the configuration files, keeping the PID and the
        work in hand (cotyledon's default would end the process and start
        another). Options this service reads once take effect on restart."""
        self.conf.reload_config_files()
        LOG.info("SIGHUP: configuration reloaded")

    def terminate(self) -> None:
        self.stop.set()
        self.done.wait()


class ListenerService(_GracefulService):
    name = "listener"

    def __init__(self, worker_id: int, conf: cfg.ConfigOpts) -> None:
        super().__init__(worker_id, conf)
        self.pipeline: Pipeline | None = None

    def work(self) -> None:
        store = storage.get_connection(self.conf)
        metrics = prometheus.for_worker(self.conf)
        store.metrics = metrics
        dispatchers: list[dispatcher.Dispatcher] = []
        try:
            if not store.wait_until_ready(self.stop.wait):
                return
            dispatchers = dispatcher.load(self.conf, store=store)
            cat = catalogue.load(self.conf)
            self.pipeline = Pipeline(self.conf, cat, dispatchers, store,
                                     self.stop, filters=filters.from_conf(self.conf),
                                     attempts=store, trees=store,
                                     rules=rulecheck.load(self.conf, cat), metrics=metrics,
                                     unmapped_log=store,
                                     stalls=store if self.conf.stalls.enabled else None,
                                     stall_window=datetime.timedelta(
                                         seconds=self.conf.stalls.link_window))
            threading.Thread(target=self.pipeline.stats.run, args=(self.stop,), daemon=True,
                             name="stats").start()
            state = broker_watch.BrokerState()
            consumer = intake.load(self.conf, self.pipeline, self.stop, broker=state)
            if consumer.reports_broker:
                watch = broker_watch.BrokerWatch(self.conf, store, state)
                threading.Thread(target=watch.run, args=(self.stop,), daemon=True,
                                 name="broker-watch").start()
            elif self.worker_id == 0:
                LOG.info("The %s intake does not report its broker connection: broker "
                         "outages are not recorded", consumer.name)
            consumer.run()
        finally:
            for d in dispatchers:
                try:
                    d.close()
                except Exception:
                    LOG.exception("Closing dispatcher %s failed", d.name)
            store.close()

    def reload(self) -> None:
        """SIGHUP: re-read config files, the catalogue override and the
        mapping rules.

        The worker keeps its PID and its in-flight batch. Other options
        (transport, database, workers...) take effect on restart.
        """
        super().reload()
        try:
            cat = catalogue.load(self.conf)
            rules = rulecheck.load(self.conf, cat)
        except ConfigurationError as exc:
            LOG.error("SIGHUP: keeping the previous catalogue and mapping rules, the new "
                      "ones are invalid: %s", exc)
            return
        if self.pipeline is not None:
            self.pipeline.set_catalogue(cat, rules)
        LOG.info("SIGHUP: catalogue has %d entries, %d mapping rules", len(cat), len(rules))


class ReaperService(_GracefulService):
    """Deletes expired messages and old rejections every reap interval."""

    name = "reaper"

    def work(self) -> None:
        store = storage.get_connection(self.conf)
        metrics = prometheus.for_worker(self.conf)
        try:
            if not store.wait_until_ready(self.stop.wait):
                return
            reaper.run_forever(store, self.conf, self.stop.wait, metrics)
        finally:
            store.close()


class StallService(_GracefulService):
    """Looks at the services' APIs every [stalls] interval for creates that
    stalled (listener.watch.stalls); one process per node, the database
    makes one message per resource whatever the number of nodes."""

    name = "stalls"

    def work(self) -> None:
        from listener.watch import credentials, sources, stalls

        store = storage.get_connection(self.conf)
        try:
            if not store.wait_until_ready(self.stop.wait):
                return
            source = sources.OpenStackSource(credentials.connection(self.conf),
                                             self.conf.stalls.kinds)
            watcher = stalls.StallWatcher(self.conf, source, store.stall_store(),
                                          catalogue.load(self.conf))
            interval = self.conf.stalls.interval
            wait = random.uniform(0.0, min(float(interval), 10.0))
            while not self.stop.wait(wait):
                try:
                    cycle = watcher.run_once()
                    LOG.debug("Stalls: %d creating, %d stalled, %d closed", cycle.creating,
                              len(cycle.stalled), len(cycle.closed))
                except Exception:
                    LOG.exception("Looking for stalled creates failed; next look in %d s",
                                  interval)
                wait = interval
        finally:
            store.close()


class MetricsService(_GracefulService):
    """Serves every process's metrics ([metrics] port) from one endpoint."""

    name = "metrics"

    def __init__(self, worker_id: int, conf: cfg.ConfigOpts, path: str) -> None:
        super().__init__(worker_id, conf)
        self.path = path

    def work(self) -> None:
        try:
            server = prometheus.serve(self.conf, self.path)
        except OSError as exc:  # the port is taken or the address wrong
            raise ConfigurationError(f"[metrics] cannot listen on {self.conf.metrics.host}:"
                                     f"{self.conf.metrics.port}: {exc.strerror}") from exc
        self.stop.wait()
        server.shutdown()
        server.server_close()


class Supervision:
    """The master's view of its workers: a worker exiting with EX_CONFIG
    stops the whole service, which then exits with status 1 (so that
    systemd's Restart=on-failure acts instead of a restart loop)."""

    def __init__(self) -> None:
        self.fatal = False

    def on_dead_worker(self, _service_id: object, _worker_id: int, exit_code: int) -> None:
        if exit_code == EX_CONFIG and not self.fatal:
            self.fatal = True
            LOG.critical("A worker cannot start with this configuration; stopping")
            os.kill(os.getpid(), signal.SIGTERM)


def build_manager(conf: cfg.ConfigOpts, supervision: Supervision | None = None,
                  metrics_path: str | None = None) -> cotyledon.ServiceManager:
    """The master's services; ``metrics_path`` (from :func:`listener.prometheus.
    enable`, before this): where every worker writes its metrics."""
    from cotyledon import oslo_config_glue

    manager = cotyledon.ServiceManager()
    if supervision is not None:
        manager.register_hooks(on_dead_worker=supervision.on_dead_worker)
    oslo_config_glue.link(manager, conf)  # graceful_shutdown_timeout; master SIGHUP reload
    manager.add(ListenerService, workers=conf.listener.workers, args=(conf,))
    if conf.storage.message_reap_interval > 0:
        manager.add(ReaperService, workers=1, args=(conf,))
    if conf.watch.enabled:
        from listener.watch.service import WatchService  # it builds on _GracefulService
        manager.add(WatchService, workers=1, args=(conf,))
    if conf.stalls.enabled:
        manager.add(StallService, workers=1, args=(conf,))
    if metrics_path is not None:
        manager.add(MetricsService, workers=1, args=(conf, metrics_path))
    return manager
