"""Handing a batch to every dispatcher: each takes it once.

Within a batch, a dispatcher that failed is retried alone (the Holder never
repeats a step that succeeded). Across a requeue -- the batch was held past
hold_timeout, or we were stopping -- the dispatchers that had taken it are
remembered (in this process, bounded), so that when the notifications come
back they are only offered to the dispatchers that still need them.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence

from collector.dispatcher import Dispatcher, Refusal
from collector.holding import Holder
from collector.model import UserMessage

REMEMBERED = 100_000  # message ids per dispatcher


class Fanout:
    def __init__(self, dispatchers: Sequence[Dispatcher], holder: Holder) -> None:
        self.dispatchers = list(dispatchers)
        self.holder = holder
        self._taken: dict[str, collections.OrderedDict[str, None]] = {
            d.name: collections.OrderedDict() for d in self.dispatchers}

    def dispatch(self, messages: Sequence[UserMessage],
                 on_refusal: Callable[[Dispatcher, Refusal], None],
                 keepalive: Callable[[], None] | None) -> bool:
        """True once every dispatcher has taken ``messages``."""
        done: list[tuple[str, list[str]]] = []

        def step_for(d: Dispatcher) -> Callable[[], None]:
            taken = self._taken[d.name]
            todo = [m for m in messages if m.message_id not in taken] if taken else messages

            def step() -> None:
                for refusal in (d.dump(todo) if todo else ()):
                    on_refusal(d, refusal)
                done.append((d.name, [m.message_id for m in todo]))
            return step

        ok = self.holder.run([(f"dispatcher {d.name}", step_for(d)) for d in self.dispatchers],
                             keepalive)
        if ok:
            for d in self.dispatchers:  # delivered for good: forget them
                taken = self._taken[d.name]
                if taken:
                    for m in messages:
                        taken.pop(m.message_id, None)
        else:  # requeued: remember who already took what
            for name, ids in done:
                taken = self._taken[name]
                for mid in ids:
                    taken[mid] = None
                while len(taken) > REMEMBERED:
                    taken.popitem(last=False)
        return ok
