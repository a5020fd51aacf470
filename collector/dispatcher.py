"""Dispatchers: where accepted messages go. One base class, stevedore plugins.

Every accepted message is handed to every enabled dispatcher
(``[DEFAULT] event_dispatchers``); a notification is acknowledged only once
each of them has durably taken its batch. See ``docs/dispatchers.md`` for
how to write one.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
from collections.abc import Sequence
from importlib import metadata
from typing import Any, ClassVar

from oslo_config import cfg
from stevedore import named

from collector.exceptions import ConfigurationError
from collector.model import UserMessage

LOG = logging.getLogger(__name__)
NAMESPACE = "herald.dispatchers"

OPTS = [
    cfg.MultiStrOpt(
        "event_dispatchers",
        default=["database"],
        help="Dispatchers that receive every accepted message, by entry-point "
        "name in the ``herald.dispatchers`` namespace. Repeat the option to "
        "enable several. A notification is acknowledged only once every "
        "enabled dispatcher has taken it.",
    ),
]


@dataclasses.dataclass(frozen=True, slots=True)
class Refusal:
    """A message a dispatcher will never accept (it is then quarantined
    with ``code``, a stable reason code, and ``detail``)."""

    message: UserMessage
    detail: str
    code: str = "dispatcher_refused"


class Dispatcher(abc.ABC):
    """Base class of every dispatcher.

    Contract:

    * :meth:`dump` receives a batch and returns only once the batch is
      durably taken (committed, flushed, confirmed). Returning is the
      promise herald acknowledges on.
    * A temporary failure raises :class:`~collector.exceptions.DispatchError`
      (or ``StorageUnavailable``): the same batch is offered again later,
      to this dispatcher only. Any other exception is treated the same way
      and logged with its traceback.
    * A message that can never be taken is returned as a :class:`Refusal`;
      herald quarantines it with the given detail.
    * :meth:`dump` may see a message again after a crash or a requeue, so it
      must be idempotent by ``message.message_id`` or document that it
      delivers at least once.
    """

    #: entry-point name, used in logs
    name: ClassVar[str] = "dispatcher"

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf

    @classmethod
    def create(cls, conf: cfg.ConfigOpts, **collaborators: object) -> Dispatcher:
        """Build the dispatcher; override to take collaborators (``store``)."""
        return cls(conf)

    @abc.abstractmethod
    def dump(self, messages: Sequence[UserMessage]) -> Sequence[Refusal]:
        """Durably take ``messages``; return the ones refused for good."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and files; called once at shutdown."""


def available() -> list[str]:
    """Names of installed dispatchers, without importing them."""
    return sorted({ep.name for ep in metadata.entry_points(group=NAMESPACE)})


def load(conf: cfg.ConfigOpts, **kwargs: object) -> list[Dispatcher]:
    """Instantiate the enabled dispatchers, in configuration order.

    ``kwargs`` are collaborators some dispatchers need (``store`` for the
    database dispatcher); each dispatcher takes what it declares.
    A name that does not load is a start-up error, not a silent skip: a
    missing dispatcher would mean messages acknowledged but never written.
    """
    names = list(dict.fromkeys(conf.event_dispatchers))
    if not names:
        raise ConfigurationError("[DEFAULT] event_dispatchers is empty")
    failures: list[str] = []

    def on_failure(_manager: Any, entrypoint: Any, exc: BaseException) -> None:
        failures.append(f"{getattr(entrypoint, 'name', entrypoint)}: {exc}")

    manager: named.NamedExtensionManager[Any] = named.NamedExtensionManager(
        NAMESPACE, names=names, invoke_on_load=False, name_order=True,
        on_load_failure_callback=on_failure, on_missing_entrypoints_callback=lambda missing:
        failures.extend(f"{m}: no such dispatcher" for m in missing),
    )
    if failures:
        raise ConfigurationError("cannot load event_dispatchers: " + "; ".join(failures))
    dispatchers = []
    for ext in manager:
        try:
            dispatchers.append(ext.plugin.create(conf, **kwargs))
        except (ConfigurationError, OSError, ValueError, TypeError) as exc:
            for d in dispatchers:
                d.close()
            raise ConfigurationError(f"cannot start dispatcher {ext.name}: {exc}") from exc
    LOG.info("Dispatchers enabled: %s", ", ".join(d.name for d in dispatchers))
    return dispatchers
