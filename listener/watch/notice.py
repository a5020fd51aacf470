"""The operator message of a transition, rendered from the operators-only
catalogue entries (collector.sanctioned.OPERATOR_ENTRIES).

Messages are stored under the reserved project ``_operators`` and never
change once written: the follow-up is a new message whose parent (and root)
is the message of the problem it ends, so an administrator reads the two as
one event tree.
"""

from __future__ import annotations

import datetime
import socket
import uuid

from collector.catalogue import OPERATORS_PROJECT, Catalogue
from collector.model import UserMessage
from collector.validation import new_id
from listener.watch.decide import State, Transition

EVENT_IDS = {State.NOT_CONSUMING: "SERVICE_NOT_CONSUMING",
             State.BACKLOG: "SERVICE_BACKLOG_RISING",
             State.OK: "SERVICE_CONSUMING_AGAIN"}

# resource_uuid of a queue's messages: stable, so that an administrator can
# filter one queue's history (resource_uuid holds 64 characters, a queue 255)
_NAMESPACE = uuid.UUID("5c1d0a52-5d4e-4b8e-9a7e-2f8c1b0e7d31")


def queue_uuid(queue: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, queue))


def since_text(when: datetime.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(operators: Catalogue, queue: str, service: str, transition: Transition,
          since: datetime.datetime, now: datetime.datetime, ttl: datetime.timedelta,
          parent_id: str | None) -> UserMessage:
    """``since``: when the problem began (for a follow-up, the stored one);
    ``parent_id``: the problem's message, for a follow-up."""
    entry = operators.get(EVENT_IDS[transition.to])
    assert entry is not None, "the operators-only entries are checked at import"
    values = {"service": service[:64], "queue": queue, "since": since_text(since),
              "waiting": max(0, transition.waiting)}
    params = {name: ptype.check(values[name]) for name, ptype in entry.params.items()}
    message_id = new_id()
    return UserMessage(
        id=message_id,
        # unique per row; what notifications carry as oslo's message_id
        message_id=f"herald-watch-{message_id}",
        project_id=OPERATORS_PROJECT,
        user_id=None,
        request_id=None,
        event_id=entry.event_id,
        resource_type=entry.resource_type,
        resource_uuid=queue_uuid(queue),
        message_level=entry.level,
        user_message=entry.template.render(params),
        publisher_id=f"herald-watch:{socket.gethostname()}"[:255],
        created_at=now,
        expires_at=now + ttl,
        event_type=entry.event_type,
        category=entry.category,
        parent_id=parent_id,
        root_id=parent_id or message_id,
        last_seen_at=now,
    )
