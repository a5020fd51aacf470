"""Notifications as nova, cinder and manila emit them, for tests and benches.

Built to what their sources send (issue 9's facts): the payload a service's
own code builds, the exception as ``repr(exc)``, the owner in the resource's
properties and, for cinder and manila, a context that may be an admin's.
nova's versioned failures come from nova's own doc samples
(copied into ``tests/samples/nova``, ``$ref`` resolved). Every builder returns the
oslo message (format 1.0); ``tests.wire`` wraps it in 2.0 when needed.
"""

from __future__ import annotations

import datetime
import os
import uuid
from typing import Any

from collector import capture

SAMPLES = os.path.join(os.path.dirname(__file__), "samples", "nova")
ADMIN_PROJECT = "adminproject0000000000000000000a"


def now() -> str:
    return str(datetime.datetime.now(datetime.UTC).replace(tzinfo=None))


def envelope(event_type: str, payload: Any, *, priority: str = "ERROR",
             publisher_id: str = "scheduler.ctrl-1", project: str = ADMIN_PROJECT,
             user: str = "admin", request_id: str | None = None,
             message_id: str | None = None) -> dict[str, Any]:
    """oslo's message with a RequestContext's keys (an admin's by default)."""
    msg = {"message_id": message_id or str(uuid.uuid4()), "publisher_id": publisher_id,
           "event_type": event_type, "priority": priority, "payload": payload,
           "timestamp": now(), "_unique_id": uuid.uuid4().hex}
    context = {"user": user, "user_id": user, "project_id": project, "project": project,
               "tenant": project, "request_id": request_id or f"req-{uuid.uuid4()}",
               "global_request_id": None, "is_admin": project == ADMIN_PROJECT,
               "roles": ["admin" if project == ADMIN_PROJECT else "member"],
               "auth_token": None, "user_name": "admin", "project_name": "admin",
               "read_deleted": "no", "remote_address": "10.0.0.7", "timestamp": now()}
    msg.update({"_context_" + k: v for k, v in context.items()})
    return msg


def cinder_volume(method: str, reason: str, *, volume_id: str, project: str,
                  size: int = 20, **kw: Any) -> dict[str, Any]:
    """cinder scheduler's _set_volume_state_and_notify (or the create flow)."""
    properties = {"size": size, "project_id": project, "user_id": "owner-user",
                  "display_name": "db-data", "availability_zone": "nova", "status": "creating",
                  "attach_status": "detached", "volume_type_id": str(uuid.uuid4()),
                  "metadata": {}, "encryption_key_id": None}
    spec = {"volume_properties": properties, "volume_id": volume_id,
            "volume_type": {"name": "fast ssd", "extra_specs": {"volume_backend_name": "lvm"}},
            "snapshot_id": None, "image_id": None, "source_volid": None}
    payload = {"request_spec": spec, "volume_properties": properties, "volume_id": volume_id,
               "state": {"status": "error"}, "method": method, "reason": reason}
    return envelope(f"scheduler.{method}", payload, **kw)


def cinder_snapshot(method: str, reason: str, *, snapshot_id: str, project: str,
                    **kw: Any) -> dict[str, Any]:
    """cinder scheduler's _set_snapshot_state_and_notify: no owner in it."""
    spec = {"snapshot_id": snapshot_id, "volume_properties": {"size": 10}}
    payload = {"request_spec": spec, "snapshot_id": snapshot_id, "state": "error",
               "method": method, "reason": reason}
    return envelope(f"scheduler.{method}", payload, project=project, **kw)


def manila_share(reason: str, *, share_id: str, project: str, **kw: Any) -> dict[str, Any]:
    properties = {"size": 100, "project_id": project, "user_id": "owner-user",
                  "share_proto": "NFS", "availability_zone": None, "share_type_id": "t-1"}
    spec = {"share_properties": properties, "share_id": share_id,
            "share_type": {"name": "default"}}
    payload = {"request_spec": spec, "share_properties": properties, "share_id": share_id,
               "state": {"status": "error"}, "method": "create_share", "reason": reason}
    return envelope("scheduler.create_share", payload, **kw)


def nova_build_legacy(reason: str, *, instance_id: str, project: str,
                      **kw: Any) -> dict[str, Any]:
    """nova's scheduler_utils.set_vm_state_and_notify for build_instances."""
    instance = {"uuid": instance_id, "project_id": project, "user_id": "owner-user",
                "availability_zone": None, "root_gb": 1, "ephemeral_gb": 0,
                "memory_mb": 512, "vcpus": 1, "numa_topology": None, "pci_requests": None}
    spec = {"image": {"id": str(uuid.uuid4()), "name": "cirros"}, "num_instances": 1,
            "instance_properties": instance,
            "instance_type": {"name": "m1.tiny", "flavorid": "1", "memory_mb": 512}}
    payload = {"request_spec": spec, "instance_properties": instance, "instance_id": instance_id,
               "state": "error", "method": "build_instances", "reason": reason}
    kw.setdefault("publisher_id", "compute_task.ctrl-1")
    return envelope("compute_task.build_instances", payload, project=project, **kw)


def nova_legacy_error(event_type: str, exception: str, *, instance_id: str, project: str,
                      **kw: Any) -> dict[str, Any]:
    """A legacy compute.instance.*.error usage notification."""
    payload = {"tenant_id": project, "user_id": "owner-user", "instance_id": instance_id,
               "display_name": "web 1", "host": "compute-7", "state": "building",
               "message": "Build of instance aborted: Volume failed", "code": 500,
               "exception": exception}
    kw.setdefault("publisher_id", "compute.compute-7")
    return envelope(event_type, payload, project=project, **kw)


def nova_sample(name: str, **kw: Any) -> dict[str, Any]:
    """One of nova's own doc samples, ``$ref`` resolved, as sent."""
    data = capture.load(os.path.join(SAMPLES, name))
    kw.setdefault("publisher_id", data.get("publisher_id", "nova-compute:compute"))
    kw.setdefault("priority", data.get("priority", "ERROR"))
    return envelope(data["event_type"], data["payload"], **kw)


def routine(i: int, *, project: str = "routineproject") -> dict[str, Any]:
    """compute.instance.update / volume.create.end, the bulk of real traffic."""
    if i % 2:
        payload = {"tenant_id": project, "user_id": "u", "instance_id": str(uuid.uuid4()),
                   "display_name": f"web {i}", "state": "active", "old_state": "building",
                   "state_description": "", "host": "compute-3", "image_ref_url": "http://g/i",
                   "instance_type": "m1.small", "memory_mb": 2048, "disk_gb": 20,
                   "vcpus": 1, "audit_period_beginning": now(), "bandwidth": {},
                   "metadata": {"role": "web"}, "ephemeral_gb": 0, "root_gb": 20}
        return envelope("compute.instance.update", payload, priority="INFO",
                        publisher_id="compute.compute-3", project=project)
    payload = {"tenant_id": project, "user_id": "u", "volume_id": str(uuid.uuid4()),
               "display_name": f"data {i}", "size": 10, "status": "available",
               "availability_zone": "nova", "created_at": now(), "volume_type": "lvm",
               "host": "volume-1@lvm#lvm", "snapshot_id": None, "replication_status": None,
               "metadata": [], "volume_attachment": [], "glance_metadata": []}
    return envelope("volume.create.end", payload, priority="INFO",
                    publisher_id="volume.volume-1", project=project)
