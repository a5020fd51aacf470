"""Building the configuration of a herald process: register, parse, log.

Entry points call :func:`prepare` once (importing this package already
selected oslo.service's threading backend); it registers every option,
applies herald's defaults for library options to this config object only,
parses the command line and config files, and sets up oslo.log.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

from cotyledon import oslo_config_glue
from oslo_config import cfg
from oslo_log import log
from oslo_messaging import opts as messaging_opts

from collector.exceptions import ConfigurationError
from listener import opts

PROJECT = "herald"
EXTRA_LOG_LEVELS = ["kombu=WARN", "amqp=WARN", "stevedore=WARN", "alembic=WARN",
                    "cotyledon=INFO", "oslo_messaging=INFO"]


class HeraldConfigOpts(cfg.ConfigOpts):
    """ConfigOpts whose ``--help`` keeps the layout of description/epilog.

    oslo.config builds its argparse parser with the default formatter, which
    reflows the man-page sections (FILES, SIGNALS, EXIT STATUS) into one
    paragraph; argparse reads ``formatter_class`` when formatting, so
    setting it once the parser exists is enough.
    """

    def _pre_setup(self, *args: Any, **kwargs: Any) -> Any:
        result = super()._pre_setup(*args, **kwargs)
        assert self._oparser is not None  # made by _pre_setup
        self._oparser.formatter_class = argparse.RawDescriptionHelpFormatter
        return result


def make_conf() -> cfg.ConfigOpts:
    """A config object with every option herald reads registered."""
    conf = HeraldConfigOpts()
    opts.register_opts(conf)
    for group, group_opts in messaging_opts.list_opts():
        conf.register_opts(group_opts, group=group)
    oslo_config_glue.register_opts(conf)
    log.register_options(conf)
    for (group, name), value in opts.LIB_DEFAULTS.items():
        conf.set_default(name, value, group=group)
    conf.set_default("default_log_levels", log.get_default_log_levels() + EXTRA_LOG_LEVELS)
    return conf


class _Discard:
    def log(self, *args: Any, **kwargs: Any) -> None:
        pass


def check_values(conf: cfg.ConfigOpts) -> None:
    """Read every option once: oslo.config only checks a value when it is
    read, so a typo would otherwise surface later as a traceback."""
    try:
        conf.log_opt_values(_Discard(), logging.DEBUG)
    except (cfg.Error, ValueError) as exc:
        raise ConfigurationError(f"invalid configuration: {exc}") from None


def prepare(argv: Sequence[str] | None, *, prog: str, description: str, epilog: str = "",
            conf: cfg.ConfigOpts | None = None, setup_logging: bool = True) -> cfg.ConfigOpts:
    """Parse ``argv`` (None: ``sys.argv[1:]``) into a ready config object.

    An unreadable config file or an invalid value raises
    :class:`ConfigurationError` (one line saying which); usage errors exit 2.
    """
    conf = conf if conf is not None else make_conf()
    try:
        # config files: --config-file, else oslo's search for herald.conf and
        # <prog>.conf in ~/.herald, ~/, /etc/herald and /etc
        conf(argv, project=PROJECT, prog=prog, description=description, epilog=epilog)
    except cfg.Error as exc:
        raise ConfigurationError(str(exc).strip().splitlines()[0]) from None
    check_values(conf)
    if setup_logging:
        log.setup(conf, PROJECT)
    return conf
