"""Which notifications herald reads, and as what.

Three kinds arrive on the queues herald consumes:

* herald's own payload (event type ``user_message.create``, or a payload
  naming an ``event_id``): validated as it is;
* a notification a mapping rule applies to (nova's, cinder's...): the rule
  turns it into herald's own payload, validated the same way, so nothing
  outside the catalogue's templates can reach a user either way;
* anything else: routine traffic (``compute.instance.update``...). It is
  acknowledged and counted, never quarantined.

The decision starts from the event type alone: a notification no rule is
about costs one dictionary lookup before its payload is looked at.

One failure makes one message even when a service reports it twice: nova
with ``[notifications] notification_format = both`` sends a legacy and a
versioned notification of the same failed build, with two message IDs. A
mapped notification naming its request and resource is therefore keyed by
what it tells the user (event, project, resource, request), not by its
message ID: the second copy is absorbed like a redelivery.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

from collector.model import Notification
from collector.rules import RuleSet

#: what :class:`listener.emitter.Emitter` sends herald's own payload as
OWN_EVENT_TYPE = "user_message.create"
#: why a notification on one of herald's own topics that is neither herald's
#: payload nor mapped is quarantined (``missing_field``): those topics carry
#: nothing else, so it is a service's bug, not routine traffic
OWN_TOPIC = ("no event_id: not herald's payload and no mapping rule applies, on herald's "
             "own topic, which carries nothing else")


class Router:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules

    def route(self, n: Notification) -> Notification | None:
        """herald's payload for ``n`` (``n`` itself when it is one), or None
        for routine traffic; raises ``InvalidNotification`` when a rule
        applies but a value it needs is missing."""
        event_type = n.event_type
        if event_type == OWN_EVENT_TYPE:
            return n
        if type(event_type) is str:
            for rule in self.rules.candidates(event_type):
                if rule.applies(n):
                    return keyed_by_fact(rule.translate(n))
        payload = n.payload
        if type(payload) is dict and "event_id" in payload:
            return n
        return None


def keyed_by_fact(n: Notification) -> Notification:
    """``n`` with a message ID derived from what it tells the user, when it
    names its request and resource (module docstring)."""
    payload = n.payload
    request, resource = payload.get("request_id"), payload.get("resource_uuid")
    if type(request) is not str or type(resource) is not str:
        return n
    fact = json.dumps([payload.get("event_id"), payload.get("project_id"), resource, request])
    return dataclasses.replace(n, message_id="fact:" + hashlib.sha256(fact.encode()).hexdigest())
