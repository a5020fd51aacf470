import datetime

import pytest

from collector import filters
from collector.exceptions import ConfigurationError
from collector.model import UserMessage

T = datetime.datetime(2026, 11, 21)


def m(level="ERROR", publisher="volume.host-a", resource="volume"):
    return UserMessage("i", "mid", "p", None, None, "E", resource, None, level, "t",
                       publisher, T, T)


def test_defaults_filter_nothing_and_cost_nothing(conf):
    assert filters.from_conf(conf) == []


@pytest.mark.parametrize("min_level, include, exclude, message, dropped", [
    ("WARNING", [], [], m(level="INFO"), True),
    ("WARNING", [], [], m(level="WARNING"), False),
    ("ERROR", [], [], m(level="WARNING"), True),
    ("INFO", ["service:volume"], [], m(publisher="share.host-b", resource="share"), True),
    ("INFO", ["service:volume", "resource_type:share"], [], m(resource="SHARE",
                                                              publisher="x.y"), False),
    ("INFO", ["service:volume", "resource_type:SHARE"], [], m(resource="SHARE",
                                                              publisher="x.y"), False),
    ("INFO", ["resource_type:snapshot"], [], m(resource="VOLUME_SNAPSHOT"), False),
    ("INFO", [], ["publisher:*.host-a"], m(), True),
    ("INFO", [], ["publisher:*.host-a"], m(publisher="volume.host-b"), False),
    ("INFO", ["service:volume"], ["publisher:volume.host-a"], m(), True),  # exclude wins
    ("INFO", ["service:volume"], [], m(publisher=None), True),
])
def test_levels_and_sources(min_level, include, exclude, message, dropped):
    assert filters.SourceFilter(min_level, include, exclude).drops(message, None) is dropped


@pytest.mark.parametrize("pattern", ["volume", "host:x", "service:", ":x"])
def test_bad_patterns_stop_start_up(conf, pattern):
    conf.set_override("include_sources", [pattern], group="filters")
    with pytest.raises(ConfigurationError, match="FIELD:GLOB"):
        filters.from_conf(conf)
