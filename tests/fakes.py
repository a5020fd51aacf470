"""In-memory collaborators for pipeline tests (no broker, no database)."""

from __future__ import annotations

import threading
from typing import Any

from collector import catalogue, rulecheck
from collector.dispatcher import Dispatcher, Refusal
from collector.exceptions import DispatchError, StorageUnavailable
from collector.pipeline import Pipeline


class MemoryDispatcher(Dispatcher):
    name = "memory"

    def __init__(self, conf=None, fail_times=0, error=StorageUnavailable, refuse=()):
        super().__init__(conf)
        self.batches = []
        self.calls = 0
        self.fail_times = fail_times
        self.error = error
        self.refuse = set(refuse)

    def dump(self, messages):
        self.calls += 1
        if self.fail_times:
            self.fail_times -= 1
            raise self.error("down for a test")
        self.batches.append(list(messages))
        return [Refusal(m, "refused for a test") for m in messages if m.message_id in self.refuse]

    @property
    def messages(self):
        return [m for b in self.batches for m in b]


class MemoryQuarantine:
    def __init__(self, fail_times=0):
        self.records = []
        self.fail_times = fail_times
        self.calls = 0

    def record(self, rejections):
        self.calls += 1
        if self.fail_times:
            self.fail_times -= 1
            raise StorageUnavailable("quarantine down for a test")
        self.records.extend(rejections)


__all__ = ["DispatchError", "MemoryDispatcher", "MemoryQuarantine"]


class MemoryAttempts:
    """Attempt counts that survive 'crashes' (they live in the test)."""

    def __init__(self):
        self.counts = {}

    def begin_attempt(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key]

    def end_attempt(self, key):
        self.counts.pop(key, None)


def mapping_pipeline(conf: Any, **kwargs: Any) -> tuple[Pipeline, MemoryDispatcher,
                                                        MemoryQuarantine]:
    """A pipeline with the sanctioned catalogue and the shipped mapping
    rules, writing to memory; ``kwargs`` go to Pipeline (metrics...)."""
    cat = catalogue.sanctioned()
    dispatcher, quarantine = MemoryDispatcher(), MemoryQuarantine()
    pipeline = Pipeline(conf, cat, [dispatcher], quarantine, threading.Event(),
                        rules=rulecheck.load(conf, cat), **kwargs)
    return pipeline, dispatcher, quarantine
