"""Filters (Senlin): which accepted messages are kept, by level and source.

A filtered message is acknowledged, counted in the worker's summaries and
logged at debug level, but not dispatched. With the defaults nothing is
filtered and the pipeline runs no filter at all.
"""

from __future__ import annotations

import fnmatch
import logging
from typing import Any

from oslo_config import cfg

from collector import resources
from collector.catalogue import LEVELS
from collector.exceptions import ConfigurationError
from collector.model import UserMessage

LOG = logging.getLogger(__name__)
FIELDS = ("publisher", "service", "resource_type")

OPTS = [
    cfg.StrOpt(
        "min_level",
        default="INFO",
        choices=list(reversed(LEVELS)),
        help="Messages below this level are not stored (INFO < WARNING < ERROR).",
    ),
    cfg.ListOpt(
        "include_sources",
        default=[],
        help="If set, only messages matching at least one of these patterns are "
        "kept. A pattern is FIELD:GLOB with FIELD one of publisher (the "
        "notification's publisher_id, e.g. volume.host-a), service (its first "
        "part, e.g. volume) or resource_type (e.g. SHARE; the old lower-case "
        "spelling, share, is read too), e.g. 'service:volume,resource_type:SHARE'.",
    ),
    cfg.ListOpt(
        "exclude_sources",
        default=[],
        help="Messages matching any of these FIELD:GLOB patterns are not stored "
        "(applied after include_sources).",
    ),
]


def _parse(patterns: list[str], option: str) -> list[tuple[str, str]]:
    out = []
    for p in patterns:
        field, sep, glob = p.partition(":")
        if not sep or field not in FIELDS or not glob:
            raise ConfigurationError(
                f"[filters] {option}: {p!r} is not FIELD:GLOB with FIELD one of "
                f"{', '.join(FIELDS)}")
        if field == "resource_type":  # either spelling: volume or VOLUME
            glob = resources.normalise(glob)
        out.append((field, glob))
    return out


class SourceFilter:
    def __init__(self, min_level: str, include: list[str], exclude: list[str]) -> None:
        self.min_rank = LEVELS[::-1].index(min_level)
        self.include = _parse(include, "include_sources")
        self.exclude = _parse(exclude, "exclude_sources")

    @staticmethod
    def _value(message: UserMessage, field: str) -> str:
        publisher = message.publisher_id or ""
        if field == "publisher":
            return publisher
        if field == "service":
            return publisher.split(".", 1)[0]
        return message.resource_type

    def _matches(self, message: UserMessage, patterns: list[tuple[str, str]]) -> bool:
        return any(fnmatch.fnmatchcase(self._value(message, f), g) for f, g in patterns)

    def drops(self, message: UserMessage, notification: Any) -> bool:
        reason = None
        if LEVELS[::-1].index(message.message_level) < self.min_rank:
            reason = f"level {message.message_level}"
        elif self.include and not self._matches(message, self.include):
            reason = "no include_sources pattern matches"
        elif self.exclude and self._matches(message, self.exclude):
            reason = "an exclude_sources pattern matches"
        if reason:
            LOG.debug("Filtered %s (%s): %s", message.message_id, message.event_id, reason)
        return reason is not None


def from_conf(conf: cfg.ConfigOpts) -> list[SourceFilter]:
    """The configured filters; none at all with the defaults."""
    g = conf.filters
    if g.min_level == "INFO" and not g.include_sources and not g.exclude_sources:
        return []
    return [SourceFilter(g.min_level, list(g.include_sources), list(g.exclude_sources))]
