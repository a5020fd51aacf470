"""Intakes: how notifications get from the broker into the pipeline.

Two intakes share one contract and one pipeline: ``kombu`` (herald's own
RabbitMQ consumer: one multiple-ack per committed batch) and ``oslo``
(oslo.messaging's batch notification listener, for any oslo driver). Both
consume the queues oslo notifiers publish to, named as oslo names them.
"""

from __future__ import annotations

import abc
import dataclasses
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from oslo_config import cfg
from stevedore import driver

from collector.exceptions import ConfigurationError
from collector.pipeline import Pipeline

if TYPE_CHECKING:
    from listener.broker_watch import BrokerState

NAMESPACE = "herald.intakes"
PRIORITIES = ("audit", "debug", "info", "warn", "error", "critical", "sample")

OPTS = [
    cfg.StrOpt(
        "intake",
        default="auto",
        choices=[("auto", "kombu for rabbit:// transports, oslo otherwise"),
                 ("kombu", "herald's RabbitMQ consumer (fastest; quarantines "
                           "undecodable bodies)"),
                 ("oslo", "oslo.messaging's batch notification listener (any "
                          "oslo driver; oslo drops undecodable bodies itself)")],
        help="How notifications are consumed.",
    ),
    cfg.ListOpt(
        "topics",
        default=["user_messages"],
        help="herald's own topics: services publish herald's payload with an "
        "oslo Notifier on one of these, and herald consumes their topic-named "
        "queues (``<topic>.<priority>``), which no one else reads.",
    ),
    cfg.ListOpt(
        "shared_topics",
        default=["notifications"],
        help="Topics other consumers read too, where services publish their own "
        "notifications for the mapping rules ([mapping]): ``notifications`` "
        "(nova's legacy ones, cinder's, manila's), ``versioned_notifications`` "
        "(nova's versioned ones). herald never consumes their topic-named "
        "queues (ceilometer reads ``notifications.info``...): it binds its own "
        "queue, ``shared_queue``, to the same routing keys, so every consumer "
        "keeps receiving every notification. Empty: none.",
    ),
    cfg.StrOpt(
        "shared_queue",
        default="herald",
        help="The queue herald reads shared_topics through (an oslo listener "
        "pool of that name). All herald workers and hosts using one name split "
        "its notifications; another herald deployment on the same broker needs "
        "its own name.",
    ),
    cfg.ListOpt(
        "exchanges",
        default=["openstack"],
        help="Exchanges to consume from: the ``control_exchange`` of each "
        "emitting service (oslo's default is ``openstack``).",
    ),
    cfg.ListOpt(
        "priorities",
        default=list(PRIORITIES),
        help="Notification priorities consumed. A notifier creates the queue "
        "of every priority it publishes on, so priorities left out here "
        "accumulate unread messages.",
    ),
    cfg.StrOpt(
        "pool",
        help="Consumer pool: listeners with the same pool share one queue "
        "(named after the pool) and split the messages, alongside other "
        "pools or plain listeners that each get every message.",
    ),
    cfg.FloatOpt(
        "probe_interval",
        default=1.0,
        min=0.05,
        help="kombu intake: seconds between looks for the exchanges and queues "
        "herald reads but never creates, while any is missing: the services' "
        "control exchanges (created by the services when they start) and the "
        "topic queues of herald's own topics (created by a service's Notifier "
        "with its first notification). A notification on a shared topic "
        "published between the creation of its exchange and herald's next "
        "look does not reach herald's queue.",
    ),
    cfg.IntOpt(
        "batch_size",
        default=500,
        min=1,
        help="Notifications handled, committed and acknowledged together. "
        "Keep ``[oslo_messaging_rabbit] rabbit_qos_prefetch_count`` at "
        "least twice as large so the next batch arrives during a commit.",
    ),
    cfg.FloatOpt(
        "batch_timeout",
        default=0.05,
        min=0.001,
        help="Seconds after the first notification of a batch at which the "
        "batch is handled even if it is not full: the bound on the latency "
        "that batching adds.",
    ),
    cfg.FloatOpt(
        "batch_min_wait",
        default=0.005,
        min=0.0,
        help="kombu intake: a batch that has waited this long is handled as "
        "soon as no further notification is ready to be read (group "
        "commit). Under a backlog, notifications are always ready, so "
        "batches fill up to batch_size; under light load, latency stays near "
        "this value plus one commit. The oslo intake only knows batch_size "
        "and batch_timeout.",
    ),
]


@dataclasses.dataclass(frozen=True, slots=True)
class Binding:
    """One queue bound to one exchange, as oslo declares it.

    ``own``: the queue is herald's own (its shared queue or pool queue),
    which no service declares; otherwise it is a topic queue, which the
    services' Notifiers declare (listener.topology).
    """

    exchange: str
    queue: str
    routing_key: str
    own: bool = False


def bindings(conf: cfg.ConfigOpts) -> list[Binding]:
    """oslo names a notification queue ``<topic>.<priority>`` (or after the
    pool) and binds it with that routing key on each exchange; shared
    topics always go through herald's own queue."""
    group = conf.listener
    both = sorted(set(group.topics) & set(group.shared_topics))
    if both:
        raise ConfigurationError(f"[listener] topic(s) {', '.join(both)} are in both topics "
                                 "and shared_topics; a topic is herald's own or shared")
    out = []
    for exchange in group.exchanges:
        for topics, queue in ((group.topics, group.pool), (group.shared_topics,
                                                           group.shared_queue)):
            for topic in topics:
                for priority in group.priorities:
                    key = f"{topic}.{priority}"
                    out.append(Binding(exchange, queue or key, key, own=bool(queue)))
    return out


class Intake(abc.ABC):
    """Base class of intakes (entry points ``herald.intakes``).

    ``run`` consumes until ``stop`` is set, hands batches to the pipeline
    and acknowledges each delivery only after the pipeline returned a
    non-RETRY outcome for it (RETRY: requeue). On stop it finishes the batch
    in hand, acknowledges it and returns.

    ``broker``: where an intake that sees its broker connection reports it
    comes up (``connected()``) and is lost (``lost()``), for the broker
    outage state (listener.broker_watch); ``reports_broker`` says it does.
    """

    name: ClassVar[str] = "intake"
    reports_broker: ClassVar[bool] = False

    def __init__(self, conf: cfg.ConfigOpts, pipeline: Pipeline, stop: threading.Event,
                 broker: BrokerState | None = None) -> None:
        self.conf = conf
        self.pipeline = pipeline
        self.stop = stop
        self.broker = broker

    @abc.abstractmethod
    def run(self) -> None:
        """Consume until ``stop`` is set; return when the batch in hand is done."""


def transport_url(conf: cfg.ConfigOpts) -> str:
    """The notification transport, as oslo.messaging resolves it."""
    url = conf.oslo_messaging_notifications.transport_url or conf.transport_url
    if not url:
        raise ConfigurationError(
            "no transport: set [oslo_messaging_notifications] transport_url or "
            "[DEFAULT] transport_url (e.g. rabbit://user:pass@host:5672/)")
    return url


def choose(conf: cfg.ConfigOpts) -> str:
    name = conf.listener.intake
    if name == "auto":
        scheme = transport_url(conf).split(":", 1)[0]
        name = "kombu" if scheme in ("rabbit", "kombu") else "oslo"
    return name


def load(conf: cfg.ConfigOpts, pipeline: Pipeline, stop: threading.Event,
         broker: BrokerState | None = None) -> Intake:
    name = choose(conf)
    try:
        mgr: driver.DriverManager[Any] = driver.DriverManager(
            NAMESPACE, name, invoke_on_load=True, invoke_args=(conf, pipeline, stop),
            invoke_kwds={"broker": broker})
    except Exception as exc:
        raise ConfigurationError(f"cannot load intake {name!r}: {exc}") from exc
    loaded = mgr.driver
    assert isinstance(loaded, Intake)
    return loaded
