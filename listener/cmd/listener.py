"""herald-listener: consume service notifications, store user messages."""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Sequence

from collector.exceptions import ConfigurationError
from listener import config, prometheus, service

LOG = logging.getLogger("herald.listener")

DESCRIPTION = """\
Consume the notifications OpenStack services publish with an oslo.messaging
Notifier -- herald's own payload, and nova's, cinder's and manila's own
notifications, turned into herald's payload by mapping rules (others are
acknowledged and counted as ignored) --, check each one against the catalogue,
store the rendered, user-safe message in the messages table (or the
notification and the reason in rejected_notifications), then acknowledge it.
"""

EPILOG = """\
processes:
  A master process supervises [listener] workers listener processes and, when
  [storage] message_reap_interval > 0, one reaper process, when [watch]
  enabled (the default), one process watching the services' RPC queues
  (operator messages when a service stops consuming: herald-manage services
  list), and, when [metrics] port is set, one process serving the Prometheus
  metrics of all, and, when [stalls] enabled, one stall watcher that tells
  owners of creates no service finished (docs/operations.md). Each listener
  consumes, commits and acknowledges its own batches; a notification is
  acknowledged only after its outcome is committed.

files:
  /etc/herald/herald.conf   default configuration file (see
                            etc/herald/herald.conf.sample for every option)
  [catalogue] override_file YAML file re-wording catalogue entries
  [mapping] rules_file      YAML file of mapping rules for services' own
                            notifications (docs/mapping.md)

signals:
  SIGTERM   finish and acknowledge the batch in hand, then exit 0 (bounded by
            [DEFAULT] graceful_shutdown_timeout)
  SIGHUP    re-read the configuration files and apply the catalogue override
            file and the mapping rules without restarting workers (an invalid
            file is logged and the previous ones kept); other options need a
            restart
  SIGINT    exit at once; unacknowledged notifications are redelivered

exit status:
  0  stopped by SIGTERM
  1  invalid configuration, catalogue or mapping rules, a database driver
     that is not installed, a dispatcher that cannot start (the reason is
     printed or logged, one line each), or a worker that could not start
     with this configuration

examples:
  herald-manage --config-file /etc/herald/herald.conf db upgrade
  herald-listener --config-file /etc/herald/herald.conf
"""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        conf = config.prepare(argv, prog="herald-listener", description=DESCRIPTION,
                              epilog=EPILOG)
    except ConfigurationError as exc:  # logging is not set up yet
        print(f"herald-listener: {exc}", file=sys.stderr)
        return 1
    conf.log_opt_values(LOG, logging.DEBUG)  # secret options show as ****
    try:
        service.preflight(conf)
        problem = None
    except ConfigurationError as exc:
        problem = str(exc)
    if problem is not None:  # logged outside the handler: oslo.log would append it again
        LOG.critical("%s", problem)
        return 1
    supervision = service.Supervision()
    metrics_path = prometheus.enable(conf)  # before any worker starts
    try:
        service.build_manager(conf, supervision, metrics_path).run()
    except SystemExit:  # the master exits through SystemExit(0) after SIGTERM
        if not supervision.fatal:
            raise
    finally:
        if metrics_path is not None and not conf.metrics.directory:
            shutil.rmtree(metrics_path, ignore_errors=True)
    return 1 if supervision.fatal else 0


if __name__ == "__main__":
    sys.exit(main())
