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
"""

from __future__ import annotations

from collector.model import Notification
from collector.rules import RuleSet

#: what :class:`listener.emitter.Emitter` sends herald's own payload as
OWN_EVENT_TYPE = "user_message.create"


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
                    return rule.translate(n)
        payload = n.payload
        if type(payload) is dict and "event_id" in payload:
            return n
        return None
