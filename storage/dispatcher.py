"""The ``database`` dispatcher: accepted messages into the ``messages`` table."""

from __future__ import annotations

from collections.abc import Sequence

from oslo_config import cfg

from collector.dispatcher import Dispatcher, Refusal
from collector.model import UserMessage
from storage.base import Connection


class DatabaseDispatcher(Dispatcher):
    """One idempotent insert and one commit per batch."""

    name = "database"

    def __init__(self, conf: cfg.ConfigOpts, store: Connection) -> None:
        super().__init__(conf)
        self.store = store

    @classmethod
    def create(cls, conf: cfg.ConfigOpts, **collaborators: object) -> DatabaseDispatcher:
        store = collaborators.get("store")
        if not isinstance(store, Connection):
            raise TypeError("the database dispatcher needs the storage connection")
        return cls(conf, store)

    def dump(self, messages: Sequence[UserMessage]) -> Sequence[Refusal]:
        return self.store.insert_messages(messages)
