"""The storage back-end contract (entry points ``herald.storage``).

A back end is chosen by the scheme of ``[database] connection`` (``sqlite``,
``postgresql``, ``mysql``...). Every read a user-facing API may call takes a
``project_id`` first and never returns another project's rows, operator-only
columns (``publisher_id``) or expired messages.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from oslo_config import cfg

from collector.dispatcher import Refusal
from collector.metrics import NOOP, Metrics
from collector.model import Rejection, Unmapped, UserMessage

#: columns a user may see, in API order (``params``: what their text is
#: rendered from, never returned as such)
USER_FIELDS = ("id", "project_id", "request_id", "event_id", "event_type", "category",
               "resource_type", "resource_uuid", "message_level", "user_message", "parent_id",
               "root_id", "step_id", "count", "last_seen_at", "created_at", "expires_at",
               "params")
#: filters a read API may pass to :meth:`Connection.list_messages`; root_id
#: gives a whole conversation, parent_id the children of a message
MESSAGE_FILTERS = ("resource_type", "resource_uuid", "event_id", "event_type", "category",
                   "message_level", "request_id", "user_id", "parent_id", "root_id",
                   "step_id")
#: what a page may be sorted by (ties broken by created_at, then id)
SORT_KEYS = ("created_at", "id", "expires_at", "last_seen_at", "event_id", "event_type",
             "category", "message_level", "resource_type", "resource_uuid", "request_id")


@dataclasses.dataclass(slots=True)
class ReapResult:
    deleted: int = 0
    transactions: int = 0
    longest_transaction: float = 0.0


class InvalidMarker(ValueError):
    """The pagination marker is not a message of this project."""


class Connection(abc.ABC):
    """Base class of storage back ends."""

    def __init__(self, conf: cfg.ConfigOpts, url: str, create: bool = False) -> None:
        """``create``: the database may be created (SQLite; ``db upgrade``)."""
        self.conf = conf
        self.url = url
        #: where folds are counted (set by the service that uses the store)
        self.metrics: Metrics = NOOP

    # -- lifecycle ----------------------------------------------------------
    @abc.abstractmethod
    def wait_until_ready(self, stop: Callable[[float], bool]) -> bool:
        """Block until the database is reachable and its schema current.

        ``stop(seconds)`` sleeps and returns True to abandon (shutdown).
        """

    @abc.abstractmethod
    def upgrade(self) -> None:
        """Create or migrate the schema to this code's revision."""

    @abc.abstractmethod
    def schema_revision(self) -> str | None:
        """The schema revision the database is at (None: no schema)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the store stays usable (its next use
        opens new ones)."""

    # -- writes -------------------------------------------------------------
    @abc.abstractmethod
    def insert_messages(self, messages: Sequence[UserMessage]) -> list[Refusal]:
        """Insert a batch in one transaction, ignoring known ``message_id``s.

        Returns messages the database refuses for good (a row error);
        raises ``StorageUnavailable`` when the database is the problem.
        """

    @abc.abstractmethod
    def roots(self, parents: Mapping[str, str]) -> dict[str, str]:
        """``{parent id: root id}`` for the stored parents among ``parents``
        (``{parent id: project id}``): a parent of another project is unknown."""

    @abc.abstractmethod
    def record(self, rejections: Sequence[Rejection]) -> None:
        """Quarantine rejections in one transaction, ignoring known keys."""

    @abc.abstractmethod
    def record_unmapped(self, records: Sequence[Unmapped]) -> None:
        """Add a batch's tally of ERROR notifications no rule maps
        (collector.unmapped): counts added, latest samples kept."""

    @abc.abstractmethod
    def begin_attempt(self, key: str) -> int:
        """Durably count one more attempt at handling a delivery; the count."""

    @abc.abstractmethod
    def end_attempt(self, key: str) -> None:
        """The delivery was handled (whatever the outcome): forget it."""

    # -- reads a user-facing API may call (always scoped to a project) -------
    @abc.abstractmethod
    def list_messages(self, project_id: str, *, limit: int = 50, marker: str | None = None,
                      newest_first: bool = True, since: datetime.datetime | None = None,
                      before: datetime.datetime | None = None, sort_key: str = "created_at",
                      offset: int = 0, **filters: str) -> list[dict[str, Any]]:
        """One page of a project's live messages, sorted by ``sort_key``
        (:data:`SORT_KEYS`); ``marker`` is the ``id`` of the last message
        of the previous page (:class:`InvalidMarker` if it is not a live
        message of ``project_id``)."""

    @abc.abstractmethod
    def get_message(self, project_id: str, message_id: str) -> dict[str, Any] | None:
        """One live message of ``project_id`` by ``id``, else None."""

    @abc.abstractmethod
    def delete_message(self, project_id: str, message_id: str) -> bool:
        """Delete one message of ``project_id``; False if there was none."""

    # -- the same for administrators: every project ---------------------------
    @abc.abstractmethod
    def list_messages_of_all_projects(
            self, *, limit: int = 50, marker: str | None = None, newest_first: bool = True,
            since: datetime.datetime | None = None, before: datetime.datetime | None = None,
            sort_key: str = "created_at", offset: int = 0, **filters: str
    ) -> list[dict[str, Any]]:
        """:meth:`list_messages` across projects (an API calls it only for
        administrators who ask for every project)."""

    @abc.abstractmethod
    def get_message_of_any_project(self, message_id: str) -> dict[str, Any] | None:
        """:meth:`get_message` for administrators."""

    @abc.abstractmethod
    def delete_message_of_any_project(self, message_id: str) -> bool:
        """:meth:`delete_message` for administrators."""

    # -- operators ------------------------------------------------------------
    @abc.abstractmethod
    def list_rejected(self, *, limit: int = 50, code: str | None = None,
                      with_body: bool = False) -> list[dict[str, Any]]:
        """Newest rejected notifications first (operators only)."""

    # -- broker outages (one state for every herald node) --------------------
    @abc.abstractmethod
    def open_broker_outage(self, since: datetime.datetime, node: str) -> bool:
        """Record that no broker node is reachable since ``since``, unless an
        outage is already open (another node's); True if this call opened it."""

    @abc.abstractmethod
    def close_broker_outage(self, now: datetime.datetime, node: str) -> bool:
        """End the open outage, if any; True if this call ended it."""

    @abc.abstractmethod
    def broker_outage(self) -> dict[str, Any] | None:
        """The open outage (``started_at``, naive UTC), or None. Users may
        read it: it names no host."""

    @abc.abstractmethod
    def list_broker_outages(self, limit: int = 20) -> list[dict[str, Any]]:
        """Recorded outages, newest first, with the nodes that opened and
        ended them (operators only)."""

    @abc.abstractmethod
    def list_unmapped(self, *, limit: int = 50, with_sample: bool = False,
                      event_type: str | None = None) -> list[dict[str, Any]]:
        """The kinds of unmapped ERROR notifications, most frequent first
        (operators only)."""

    @abc.abstractmethod
    def reap_unmapped(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        """Delete the tally of kinds last seen before ``older_than``."""

    @abc.abstractmethod
    def reap_messages(self, now: datetime.datetime, batch_size: int) -> ReapResult:
        """Delete expired messages, ``batch_size`` rows per transaction."""

    @abc.abstractmethod
    def reap_rejected(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        """Delete rejected notifications received before ``older_than``."""

    @abc.abstractmethod
    def list_steps(self, project_id: str, resource_uuid: str) -> list[dict[str, Any]]:
        """One project's provisioning steps of one resource, oldest first."""

    @abc.abstractmethod
    def reap_step_events(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        """Delete non-error events of steps that succeeded before ``older_than``."""

    @abc.abstractmethod
    def reap_steps(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        """Delete steps last updated before ``older_than``."""

    @abc.abstractmethod
    def reap_folded(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        """Forget folded notifications received before ``older_than``."""

    # -- the watch of the services' queues (listener.watch, storage.watched) ------
    @abc.abstractmethod
    def watch_queues(self, queues: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """Add a row for each new ``{queue: service}``; every watched queue's row."""

    @abc.abstractmethod
    def record_readings(self, readings: Mapping[str, tuple[int, int] | None]) -> None:
        """The latest ``(messages, consumers)`` of each queue (None: absent)."""

    @abc.abstractmethod
    def claim_transition(self, queue: str, expected: str, state: str,
                         since: datetime.datetime | None, message: UserMessage) -> bool:
        """Move ``queue`` from ``expected`` to ``state`` and store ``message``
        in one transaction; False, and nothing written, when another node
        moved it first."""

    @abc.abstractmethod
    def list_watched(self) -> list[dict[str, Any]]:
        """Every watched queue, problems first (operators only)."""

    @abc.abstractmethod
    def forget_watched(self, queue: str) -> bool:
        """Delete a queue's row; False if there was none."""

    @abc.abstractmethod
    def reap_attempts(self, older_than: datetime.datetime, batch_size: int) -> ReapResult:
        """Delete attempt counts last touched before ``older_than``."""

    # -- stalled creates (listener.watch.stalls) -------------------------------
    def stall_store(self) -> Any:
        """A :class:`storage.stalls.StallStore` (SQL back ends only)."""
        raise NotImplementedError(f"{type(self).__name__} does not record stalls")

    def stall_parents(self, resources: Mapping[str, str], now: datetime.datetime,
                      window: datetime.timedelta) -> dict[str, str]:
        """``{resource uuid: stall message id}`` (see :func:`storage.stalls.parents`)."""
        return {}
