"""Every herald option, gathered for oslo-config-generator and registration.

Options are declared next to the code that reads them; this module only
lists them by group. ``register_opts`` is what entry points and tests call.
"""

from __future__ import annotations

import itertools

from oslo_config import cfg

import api.app
import collector.catalogue
import collector.dispatcher
import collector.filters
import collector.holding
import collector.locales
import collector.pipeline
import collector.rules
import collector.validation
import listener.broker_watch
import listener.intake
import listener.prometheus
import listener.republisher
import listener.service
import listener.watch.credentials
import listener.watch.queues
import listener.watch.service
import listener.watch.stalls
import storage.engine
import storage.folding
import storage.jsonfile
import storage.progress
import storage.reaper

# herald's defaults for options of oslo.messaging, applied per config object
# (listener.config) and, for the sample file, by set_lib_defaults.
LIB_DEFAULTS = {
    # oslo's 0 means unbounded: the broker would push the whole queue into
    # the worker's memory. Twice the default batch keeps the pipe full.
    ("oslo_messaging_rabbit", "rabbit_qos_prefetch_count"): 1000,
}


def list_opts() -> list[tuple[str | None, list[cfg.Opt]]]:
    """Entry point ``oslo.config.opts`` = ``herald``."""
    return [
        (None, list(collector.dispatcher.OPTS)),
        ("catalogue", [*collector.catalogue.OPTS, *collector.locales.OPTS]),
        ("collector", list(itertools.chain(
            collector.validation.OPTS,
            collector.pipeline.OPTS,
            collector.holding.OPTS,
        ))),
        ("database", list(storage.engine.OPTS)),
        ("filters", list(collector.filters.OPTS)),
        ("mapping", list(collector.rules.OPTS)),
        ("metrics", list(listener.prometheus.OPTS)),
        ("dispatcher_messaging", list(listener.republisher.OPTS)),
        ("dispatcher_jsonfile", list(storage.jsonfile.OPTS)),
        ("listener", list(itertools.chain(listener.intake.OPTS, listener.service.OPTS,
                                          listener.broker_watch.OPTS))),
        ("watch", list(itertools.chain(listener.watch.service.OPTS,
                                        listener.watch.queues.OPTS))),
        ("stalls", list(listener.watch.stalls.OPTS)),
        ("service_credentials", listener.watch.credentials.list_opts()),
        ("storage", list(itertools.chain(storage.reaper.OPTS, storage.progress.OPTS,
                                         storage.folding.OPTS))),
        *api.app.list_opts(),
    ]


def register_opts(conf: cfg.ConfigOpts) -> None:
    for group, opts in list_opts():
        if group == listener.watch.credentials.GROUP:
            # keystoneauth1 registers its plugin's options itself, when it
            # loads the plugin named by auth_type (the sample shows password's)
            listener.watch.credentials.register(conf)
            continue
        conf.register_opts(opts, group=group)


def set_lib_defaults() -> None:
    """Entry point ``oslo.config.opts.defaults``, run by oslo-config-generator
    only: the generated sample must show the defaults herald runs with.

    oslo.messaging exposes no public setter for these, so this reaches its
    option lists; the daemon itself never mutates them (it calls
    ``conf.set_default`` on its own config object). A unit test checks the
    sample shows these values.
    """
    from oslo_messaging._drivers import amqp, impl_rabbit

    wanted = {name: value for (_group, name), value in LIB_DEFAULTS.items()}
    cfg.set_defaults(impl_rabbit.rabbit_opts, **{
        k: v for k, v in wanted.items() if any(o.dest == k for o in impl_rabbit.rabbit_opts)})
    cfg.set_defaults(amqp.amqp_opts, **{
        k: v for k, v in wanted.items() if any(o.dest == k for o in amqp.amqp_opts)})
