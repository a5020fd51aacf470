"""Where the watcher learns of creates: the services' own APIs.

A create that no service consumed was announced by nobody (cinder-api and
nova-api send no notification for it), so only the service's API knows it
exists. These read it with the service account, one list per kind and
cycle (``status=creating`` / ``BUILD`` across all projects), then one
``GET`` per stalled resource that left that list, to learn its outcome.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from collector.validation import parse_timestamp

LOG = logging.getLogger(__name__)

#: how each kind's API names its states
CREATING = {"volume": "creating", "share": "creating", "instance": "BUILD"}
COMPLETED = {"volume": ("available",), "share": ("available",), "instance": ("ACTIVE",)}
FAILED = {"volume": ("error",), "share": ("error",), "instance": ("ERROR",)}


@dataclasses.dataclass(frozen=True, slots=True)
class Creating:
    """A resource still in its creating state, as its service's API shows it."""

    kind: str  # volume, share, instance (the catalogue's resource types)
    resource_uuid: str
    project_id: str
    user_id: str | None
    created_at: datetime.datetime  # naive UTC
    #: placing: no host chose it yet; creating: a host has it; unknown
    stage: str


class Source(Protocol):
    kinds: tuple[str, ...]

    def creating(self, kind: str) -> Iterable[Creating]:
        """What of ``kind`` is in its creating state, in every project."""

    def status(self, kind: str, resource_uuid: str) -> str | None:
        """The resource's status now; None when it no longer exists."""


def _stage(host: Any) -> str:
    """No host yet: the scheduler has not placed it."""
    return "placing" if not host else "creating"


class OpenStackSource:
    """The services' APIs through openstacksdk."""

    def __init__(self, connection: Any, kinds: Iterable[str]) -> None:
        self.conn = connection
        self.kinds = tuple(kinds)

    def creating(self, kind: str) -> Iterable[Creating]:
        conn = self.conn
        if kind == "volume":
            for v in conn.block_storage.volumes(details=True, all_projects=True,
                                                status=CREATING[kind]):
                yield Creating(kind, v.id, v.project_id, v.user_id,
                               parse_timestamp(v.created_at), _stage(v.host))
        elif kind == "share":
            for s in conn.shared_file_system.shares(all_projects=True, status=CREATING[kind]):
                yield Creating(kind, s.id, s.project_id, s.user_id,
                               parse_timestamp(s.created_at), _stage(s.host))
        elif kind == "instance":
            for s in conn.compute.servers(details=True, all_projects=True,
                                          status=CREATING[kind]):
                # nova's task_state "scheduling": no conductor or scheduler
                # has placed it; a host is only named to administrators
                placing = s.task_state in (None, "scheduling") and not s.compute_host
                yield Creating(kind, s.id, s.project_id, s.user_id,
                               parse_timestamp(s.created_at),
                               "placing" if placing else "creating")

    def status(self, kind: str, resource_uuid: str) -> str | None:
        from openstack import exceptions

        # only the kind's own proxy: touching another's fails when that
        # service is not in the catalog
        proxy, method = {"volume": ("block_storage", "get_volume"),
                         "share": ("shared_file_system", "get_share"),
                         "instance": ("compute", "get_server")}[kind]
        try:
            return str(getattr(getattr(self.conn, proxy), method)(resource_uuid).status)
        except exceptions.NotFoundException:
            return None
