"""Every herald option, gathered for oslo-config-generator and registration.

Options are declared next to the code that reads them; this module only
lists them by group. ``register_opts`` is what entry points and tests call.
"""

from __future__ import annotations

import itertools

from oslo_config import cfg

import collector.catalogue
import collector.dispatcher
import collector.holding
import collector.pipeline
import collector.validation
import storage.engine
import storage.reaper


def list_opts() -> list[tuple[str | None, list[cfg.Opt]]]:
    """Entry point ``oslo.config.opts`` = ``herald``."""
    return [
        (None, list(collector.dispatcher.OPTS)),
        ("catalogue", list(collector.catalogue.OPTS)),
        ("collector", list(itertools.chain(
            collector.validation.OPTS,
            collector.pipeline.OPTS,
            collector.holding.OPTS,
        ))),
        ("database", list(storage.engine.OPTS)),
        ("storage", list(storage.reaper.OPTS)),
    ]


def register_opts(conf: cfg.ConfigOpts) -> None:
    for group, opts in list_opts():
        conf.register_opts(opts, group=group)


def set_lib_defaults() -> None:
    """Entry point ``oslo.config.opts.defaults``: herald's defaults for
    library options, so the generated sample shows what herald runs with."""
