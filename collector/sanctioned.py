"""The sanctioned catalogue: every text a user can ever see, reviewed here.

Rules (checked at load by :mod:`collector.catalogue`, so a mistake here stops
the daemon rather than reaching users):

* an event ID is stable forever: services emit it, operators re-word it,
  users quote it to support. Never reuse or rename one; add a new one.
* every ``{placeholder}`` is a declared, typed parameter and every declared
  parameter is used; values are checked against their type before use.
* no markup, no control characters, at most 300 characters per template.
* an event type is ``<resource>.<action>[.completed|.failed]``, its first
  part naming the resource kind; a category is one of state, alarm, action,
  system, user; the level (ERROR, WARNING, INFO) is the severity.
* never put hosts, back-end names, exception text or anything operators
  would not show a customer into a template or a Choice phrase.

To add an entry: append it below, run ``herald-manage catalogue docs`` to
regenerate ``docs/catalogue.md``, and get both reviewed together.
"""

from __future__ import annotations

import dataclasses

from collector.catalogue import Entry, counted, entry, herald_entry
from collector.params import UUID, Choice, Identifier, Integer, Name, Timestamp

# Sizes in GB, as the block and file storage APIs count them.
SIZE_GB = Integer(min=1, max=1_048_576)

# Each operation names only the quotas it consumes, so a message can never
# blame a snapshot on the backup quota.
VOLUME_QUOTAS = Choice(
    {
        "volumes": "volume count",
        "gigabytes": "total storage capacity",
        "per_volume_gigabytes": "maximum size per volume",
    }
)
SNAPSHOT_QUOTAS = Choice(
    {
        "snapshots": "snapshot count",
        "gigabytes": "total storage capacity",
    }
)
BACKUP_QUOTAS = Choice(
    {
        "backups": "backup count",
        "backup_gigabytes": "total backup capacity",
    }
)
COMPUTE_QUOTAS = Choice(
    {
        "instances": "instance count",
        "cores": "virtual CPU",
        "ram": "memory",
        "server_groups": "server group",
    }
)
SHARE_QUOTAS = Choice(
    {
        "shares": "share count",
        "gigabytes": "total share capacity",
        "share_networks": "share network count",
    }
)
ATTACH_REASONS = Choice(
    {
        "connection_failed": "the host could not connect to the storage back end",
        "multiattach_unsupported": "the volume does not allow more than one attachment",
        "already_attached": "the volume is already attached",
        "timeout": "the operation did not finish in time",
    }
)
EXTEND_REASONS = Choice(
    {
        "no_capacity": "the storage back end does not have enough free capacity",
        "quota_exceeded": "the project's storage quota would be exceeded",
        "in_use": "the storage back end cannot extend a volume while it is attached",
        "backend_error": "the storage back end reported an error",
    }
)
RETYPE_REASONS = Choice(
    {
        "no_valid_backend": "no storage back end supports the requested type",
        "migration_failed": "moving the data to the new storage back end failed",
        "migration_policy": "the migration policy does not allow moving the volume",
        "in_use": "the volume is attached and the type change needs it detached",
    }
)
DELETE_REASONS = Choice(
    {
        "has_snapshots": "it still has snapshots",
        "in_use": "it is attached to an instance",
        "backend_error": "the storage back end reported an error",
    }
)
SNAPSHOT_REASONS = Choice(
    {
        "volume_busy": "the volume is busy with another operation",
        "backend_error": "the storage back end reported an error",
        "not_available": "the snapshot is not in the available state",
    }
)
BACKUP_REASONS = Choice(
    {
        "service_down": "the backup service is not available",
        "repository_full": "the backup repository is full",
        "volume_busy": "the volume is busy with another operation",
        "backup_corrupt": "the backup data failed its integrity check",
    }
)
SHARE_REASONS = Choice(
    {
        "no_capacity": "the share back end does not have enough free capacity",
        "backend_error": "the share back end reported an error",
        "unsupported": "the share type does not support this operation",
    }
)
RESIZE_REASONS = Choice(
    {
        "no_valid_host": "no host has enough resources for the new flavor",
        "disk_too_small": "the new flavor's disk is smaller than the current one",
        "migration_failed": "moving the instance to another host failed",
    }
)
OPERATIONS = Choice(
    {
        "create": "creation",
        "delete": "deletion",
        "attach": "attachment",
        "detach": "detachment",
        "extend": "extension",
        "retype": "type change",
        "migrate": "migration",
        "resize": "resize",
        "rebuild": "rebuild",
        "manage": "import",
        "reboot": "reboot",
        "interface_attach": "network interface attachment",
        "move": "resize or migration",
    }
)
# Why a share scheduler found no back end, from the filter that refused last
# (manila's own user messages make the same distinction).
SHARE_SCHEDULER_REASONS = Choice(
    {
        "capacity": "no share back end has enough free capacity",
        "availability_zone": "no share back end is available in the requested availability zone",
        "capabilities": "no share back end offers what the share type asks for",
        "replication": "no share back end supports the requested replication",
        "no_valid_host": "no share back end can currently satisfy the request",
    }
)

# Why a create has not finished (listener.watch.stalls): which service has
# not answered, from what the service's API shows (a volume or share with no
# host yet, a server still "scheduling"). Never a host's name.
VOLUME_STALL_REASONS = Choice(
    {
        "placing": "the service that places new volumes is not responding",
        "creating": "the storage service is not responding",
        "unknown": "a service it depends on is not responding",
    }
)
SHARE_STALL_REASONS = Choice(
    {
        "placing": "the service that places new shares is not responding",
        "creating": "the share service is not responding",
        "unknown": "a service it depends on is not responding",
    }
)
SERVER_STALL_REASONS = Choice(
    {
        "placing": "the service that places new instances is not responding",
        "creating": "the compute service is not responding",
        "unknown": "a service it depends on is not responding",
    }
)
STALL_MINUTES = Integer(min=1, max=100_000)


def _herald(built: Entry | tuple[str, str]) -> Entry | tuple[str, str]:
    """Herald's own (the stall watcher writes it): refused from a notification."""
    return dataclasses.replace(built, herald_only=True) if isinstance(built, Entry) else built

# Provisioning steps (Sahara's event log): the names users see while a long
# operation runs, keyed by the name services send in a notification's
# ``step`` block. Sanctioned text like templates.
STEPS = {
    "LAUNCH_INSTANCES": "Launching instances",
    "WAIT_FOR_SSH": "Waiting for ssh",
    "CONFIGURE_INSTANCES": "Configuring instances",
    "START_SERVICES": "Starting services",
    "ADD_INSTANCES": "Adding instances",
    "DECOMMISSION_INSTANCES": "Decommissioning instances",
    "DELETE_INSTANCES": "Deleting instances",
}

ENTRIES = [
    # -- volumes -------------------------------------------------------------
    entry(
        "VOLUME_CREATE_NO_CAPACITY", "volume.create.failed", "action", "ERROR",
        "Volume {volume_id} could not be created: no storage back end has "
        "{size_gb} GB of free capacity.",
        volume_id=UUID(), size_gb=SIZE_GB,
    ),
    entry(
        "VOLUME_CREATE_QUOTA_EXCEEDED", "volume.create.failed", "user", "ERROR",
        "Volume {volume_id} could not be created: the project's {quota} quota is used up.",
        volume_id=UUID(), quota=VOLUME_QUOTAS,
    ),
    entry(
        "VOLUME_CREATE_FROM_SNAPSHOT_FAILED", "volume.create.failed", "action", "ERROR",
        "Volume {volume_id} could not be created from snapshot {snapshot_id}: {reason}.",
        volume_id=UUID(), snapshot_id=UUID(), reason=SNAPSHOT_REASONS,
    ),
    entry(
        "VOLUME_ATTACH_FAILED", "volume.attach.failed", "action", "ERROR",
        "Volume {volume_id} could not be attached to instance {instance_id}: {reason}.",
        volume_id=UUID(), instance_id=UUID(), reason=ATTACH_REASONS,
    ),
    entry(
        "VOLUME_ATTACH_REVERTED", "volume.attach.failed", "state", "WARNING",
        "Volume {volume_id} is available again: attaching it to instance "
        "{instance_id} did not complete.",
        volume_id=UUID(), instance_id=UUID(),
    ),
    entry(
        "VOLUME_EXTEND_FAILED", "volume.extend.failed", "action", "ERROR",
        "Volume {volume_id} could not be extended to {new_size_gb} GB: {reason}. "
        "It remains usable at its previous size.",
        volume_id=UUID(), new_size_gb=SIZE_GB, reason=EXTEND_REASONS,
    ),
    entry(
        "VOLUME_RETYPE_FAILED", "volume.retype.failed", "action", "ERROR",
        "Volume {volume_id} could not be changed to type {volume_type}: {reason}.",
        volume_id=UUID(), volume_type=Identifier(64), reason=RETYPE_REASONS,
    ),
    entry(
        "VOLUME_RETYPE_COMPLETED", "volume.retype.completed", "action", "INFO",
        "Volume {volume_id} now has type {volume_type}.",
        volume_id=UUID(), volume_type=Identifier(64),
    ),
    entry(
        "VOLUME_DELETE_FAILED", "volume.delete.failed", "action", "ERROR",
        "Volume {volume_id} could not be deleted: {reason}.",
        volume_id=UUID(), reason=DELETE_REASONS,
    ),
    entry(
        "VOLUME_GROUP_BACKEND_MISMATCH", "volume.group_add.failed", "action", "ERROR",
        "Volume {volume_id} could not be added to group {group_id}: the volume "
        "and the group are on different storage back ends.",
        volume_id=UUID(), group_id=UUID(),
    ),
    entry(
        "VOLUME_UNKNOWN_ERROR", "volume.operation.failed", "system", "ERROR",
        "The {operation} of volume {volume_id} failed because of an unexpected "
        "error. Quote the request ID when you contact support.",
        volume_id=UUID(), operation=OPERATIONS,
    ),
    entry(
        "VOLUME_NO_VALID_BACKEND", "volume.schedule.failed", "system", "ERROR",
        "The {operation} of volume {volume_id} failed: no storage back end can currently "
        "satisfy the request. Another size or volume type may succeed.",
        volume_id=UUID(), operation=OPERATIONS,
    ),
    entry(
        "VOLUME_BACKEND_NOT_READY", "volume.operation.failed", "system", "ERROR",
        "The {operation} of volume {volume_id} failed: its storage back end is not ready. "
        "Try again later.",
        volume_id=UUID(), operation=OPERATIONS,
    ),
    entry(
        "VOLUME_CREATE_IMAGE_TOO_BIG", "volume.create.failed", "user", "ERROR",
        "Volume {volume_id} could not be created: the image is larger than the requested "
        "size.",
        volume_id=UUID(),
    ),
    _herald(counted(
        "VOLUME_CREATE_STALLED", "volume.create", "system", "WARNING",
        "Volume {volume_id} is still being created after {minutes} minute: {reason}. "
        "It may complete when the service recovers; otherwise delete it and try again.",
        "Volume {volume_id} is still being created after {minutes} minutes: {reason}. "
        "It may complete when the service recovers; otherwise delete it and try again.",
        "minutes",
        volume_id=UUID(), minutes=STALL_MINUTES, reason=VOLUME_STALL_REASONS,
    )),
    herald_entry(
        "VOLUME_CREATE_COMPLETED_LATE", "volume.create.completed", "state", "INFO",
        "Volume {volume_id} was created after all: it is now available.",
        volume_id=UUID(),
    ),
    # -- snapshots -----------------------------------------------------------
    entry(
        "SNAPSHOT_CREATE_FAILED", "snapshot.create.failed", "action", "ERROR",
        "Snapshot {snapshot_id} of volume {volume_id} could not be created: {reason}.",
        snapshot_id=UUID(), volume_id=UUID(), reason=SNAPSHOT_REASONS,
    ),
    entry(
        "SNAPSHOT_CREATE_QUOTA_EXCEEDED", "snapshot.create.failed", "user", "ERROR",
        "A snapshot of volume {volume_id} could not be created: the project's "
        "{quota} quota is used up.",
        volume_id=UUID(), quota=SNAPSHOT_QUOTAS,
    ),
    entry(
        "SNAPSHOT_DELETE_FAILED", "snapshot.delete.failed", "action", "ERROR",
        "Snapshot {snapshot_id} could not be deleted: {reason}.",
        snapshot_id=UUID(), reason=SNAPSHOT_REASONS,
    ),
    entry(
        "SNAPSHOT_NO_VALID_BACKEND", "snapshot.schedule.failed", "system", "ERROR",
        "The {operation} of snapshot {snapshot_id} failed: the storage back end of its "
        "volume does not have enough free capacity.",
        snapshot_id=UUID(), operation=OPERATIONS,
    ),
    entry(
        "SNAPSHOT_UNKNOWN_ERROR", "snapshot.operation.failed", "system", "ERROR",
        "The {operation} of snapshot {snapshot_id} failed because of an unexpected error. "
        "Quote the request ID when you contact support.",
        snapshot_id=UUID(), operation=OPERATIONS,
    ),
    # -- backups -------------------------------------------------------------
    entry(
        "BACKUP_CREATE_FAILED", "backup.create.failed", "action", "ERROR",
        "Backup {backup_id} of volume {volume_id} could not be created: {reason}.",
        backup_id=UUID(), volume_id=UUID(), reason=BACKUP_REASONS,
    ),
    entry(
        "BACKUP_RESTORE_FAILED", "backup.restore.failed", "action", "ERROR",
        "Backup {backup_id} could not be restored to volume {volume_id}: {reason}.",
        backup_id=UUID(), volume_id=UUID(), reason=BACKUP_REASONS,
    ),
    entry(
        "BACKUP_QUOTA_EXCEEDED", "backup.create.failed", "user", "ERROR",
        "A backup of volume {volume_id} could not be created: the project's "
        "{quota} quota is used up.",
        volume_id=UUID(), quota=BACKUP_QUOTAS,
    ),
    # -- shares --------------------------------------------------------------
    entry(
        "SHARE_CREATE_NO_CAPACITY", "share.create.failed", "action", "ERROR",
        "Share {share_id} could not be created: no share back end has {size_gb} GB "
        "of free capacity.",
        share_id=UUID(), size_gb=SIZE_GB,
    ),
    entry(
        "SHARE_CREATE_QUOTA_EXCEEDED", "share.create.failed", "user", "ERROR",
        "Share {share_id} could not be created: the project's {quota} quota is used up.",
        share_id=UUID(), quota=SHARE_QUOTAS,
    ),
    entry(
        "SHARE_EXTEND_FAILED", "share.extend.failed", "action", "ERROR",
        "Share {share_id} could not be extended to {new_size_gb} GB: {reason}.",
        share_id=UUID(), new_size_gb=SIZE_GB, reason=SHARE_REASONS,
    ),
    entry(
        "SHARE_ACCESS_RULE_FAILED", "share.allow_access.failed", "action", "WARNING",
        "Access rule {rule_id} of share {share_id} could not be applied: {reason}.",
        rule_id=UUID(), share_id=UUID(), reason=SHARE_REASONS,
    ),
    entry(
        "SHARE_CREATE_NO_VALID_HOST", "share.create.failed", "system", "ERROR",
        "Share {share_id} could not be created: {reason}. Another size or share type may "
        "succeed.",
        share_id=UUID(), reason=SHARE_SCHEDULER_REASONS,
    ),
    entry(
        "SHARE_UNKNOWN_ERROR", "share.operation.failed", "system", "ERROR",
        "The {operation} of share {share_id} failed because of an unexpected error. Quote "
        "the request ID when you contact support.",
        share_id=UUID(), operation=OPERATIONS,
    ),
    _herald(counted(
        "SHARE_CREATE_STALLED", "share.create", "system", "WARNING",
        "Share {share_id} is still being created after {minutes} minute: {reason}. "
        "It may complete when the service recovers; otherwise delete it and try again.",
        "Share {share_id} is still being created after {minutes} minutes: {reason}. "
        "It may complete when the service recovers; otherwise delete it and try again.",
        "minutes",
        share_id=UUID(), minutes=STALL_MINUTES, reason=SHARE_STALL_REASONS,
    )),
    herald_entry(
        "SHARE_CREATE_COMPLETED_LATE", "share.create.completed", "state", "INFO",
        "Share {share_id} was created after all: it is now available.",
        share_id=UUID(),
    ),
    # -- instances -----------------------------------------------------------
    entry(
        "INSTANCE_BOOT_NO_VALID_HOST", "instance.create.failed", "action", "ERROR",
        "Instance {instance_name} ({instance_id}) could not be started: no host "
        "has enough free resources for flavor {flavor}.",
        instance_name=Name(64), instance_id=UUID(), flavor=Identifier(64),
    ),
    entry(
        "INSTANCE_CREATE_NO_VALID_HOST", "instance.create.failed", "system", "ERROR",
        "Instance {instance_id} could not be created: no compute host currently has enough "
        "free resources for it. Another flavor or a later attempt may succeed.",
        instance_id=UUID(),
    ),
    entry(
        "INSTANCE_CREATE_RETRIES_EXHAUSTED", "instance.create.failed", "system", "ERROR",
        "Instance {instance_id} could not be created: it failed to start on every compute "
        "host it was tried on. Quote the request ID when you contact support.",
        instance_id=UUID(),
    ),
    entry(
        "INSTANCE_MOVE_NO_VALID_HOST", "instance.move.failed", "system", "ERROR",
        "Instance {instance_id} could not be resized or migrated: no other compute host "
        "currently has enough free resources for it. It keeps running as before.",
        instance_id=UUID(),
    ),
    entry(
        "INSTANCE_CREATE_QUOTA_EXCEEDED", "instance.create.failed", "user", "ERROR",
        "Instance {instance_id} could not be created: the project's {quota} "
        "quota is used up.",
        instance_id=UUID(), quota=COMPUTE_QUOTAS,
    ),
    entry(
        "INSTANCE_RESIZE_FAILED", "instance.resize.failed", "action", "ERROR",
        "Instance {instance_id} could not be resized to flavor {flavor}: {reason}. "
        "It keeps running with its previous flavor.",
        instance_id=UUID(), flavor=Identifier(64), reason=RESIZE_REASONS,
    ),
    entry(
        "INSTANCE_CREATE_SERVICE_NOT_RESPONDING", "instance.create.failed", "system", "ERROR",
        "Instance {instance_id} could not be created: the compute service is not "
        "responding. Delete it and try again later.",
        instance_id=UUID(),
    ),
    _herald(counted(
        "INSTANCE_CREATE_STALLED", "instance.create", "system", "WARNING",
        "Instance {instance_id} is still being created after {minutes} minute: {reason}. "
        "It may complete when the service recovers; otherwise delete it and try again.",
        "Instance {instance_id} is still being created after {minutes} minutes: {reason}. "
        "It may complete when the service recovers; otherwise delete it and try again.",
        "minutes",
        instance_id=UUID(), minutes=STALL_MINUTES, reason=SERVER_STALL_REASONS,
    )),
    herald_entry(
        "INSTANCE_CREATE_COMPLETED_LATE", "instance.create.completed", "state", "INFO",
        "Instance {instance_id} was created after all: it is now active.",
        instance_id=UUID(),
    ),
    entry(
        "INSTANCE_UNKNOWN_ERROR", "instance.operation.failed", "system", "ERROR",
        "The {operation} of instance {instance_id} failed because of an unexpected "
        "error. Quote the request ID when you contact support.",
        instance_id=UUID(), operation=OPERATIONS,
    ),
    # -- clusters: provisioning, reported step by step ---------------------
    entry(
        "CLUSTER_INSTANCE_READY", "cluster.provision", "state", "INFO",
        "Instance {instance_name} of cluster {cluster_id} finished its part of the "
        "current step.",
        instance_name=Name(64), cluster_id=UUID(),
    ),
    entry(
        "CLUSTER_INSTANCE_FAILED", "cluster.provision.failed", "action", "ERROR",
        "Instance {instance_name} of cluster {cluster_id} failed during provisioning. "
        "Quote error {error_id} when you contact support.",
        instance_name=Name(64), cluster_id=UUID(), error_id=UUID(),
    ),
    entry(
        "CLUSTER_PROVISIONED", "cluster.provision.completed", "state", "INFO",
        "Cluster {cluster_id} is ready.",
        cluster_id=UUID(),
    ),
    # -- herald's own texts: rendered by herald, refused from a notification --
    herald_entry(
        "MESSAGING_UNAVAILABLE", "messaging.unavailable", "system", "WARNING",
        "The cloud's internal messaging service has been unavailable since {since}: new "
        "requests may hang or stay in progress until it recovers.",
        since=Timestamp(),
    ),
]

# -- operators only ----------------------------------------------------------
# What herald itself notices about the services (listener.watch), for the
# cloud's administrators: stored under the reserved project
# catalogue.OPERATORS_PROJECT, which herald-api shows to administrators only.
# These entries may name services, hosts and queues (the queue of a volume
# service names its host), so they are not in the catalogue a notification
# is checked against: no service can send one to a project.
SERVICE = Identifier(64, sample="cinder-volume")
QUEUE = Identifier(128, sample="cinder-volume.host-a@lvm")
# a UTC time, as listener.watch.notice renders it
SINCE = Identifier(20, sample="2026-12-05T21:23:24Z")
WAITING = Integer(min=0)

OPERATOR_ENTRIES = [
    entry(
        "SERVICE_NOT_CONSUMING", "service.consume.failed", "system", "ERROR",
        "{service} has not consumed its queue {queue} since {since}: no consumer is "
        "attached. Requests waiting: {waiting}. Requests sent to it wait, and their "
        "callers hang or leave resources in progress, until it is started again.",
        service=SERVICE, queue=QUEUE, since=SINCE, waiting=WAITING,
    ),
    entry(
        "SERVICE_BACKLOG_RISING", "service.consume.failed", "system", "WARNING",
        "{service} is not keeping up with its queue {queue}: a consumer is attached, but "
        "the requests waiting have kept rising since {since} (now {waiting}). The service "
        "may be stopped, stuck or overloaded.",
        service=SERVICE, queue=QUEUE, since=SINCE, waiting=WAITING,
    ),
    entry(
        "SERVICE_CONSUMING_AGAIN", "service.consume.completed", "system", "INFO",
        "{service} consumes its queue {queue} again (requests waiting: {waiting}); it "
        "had stopped consuming since {since}.",
        service=SERVICE, queue=QUEUE, since=SINCE, waiting=WAITING,
    ),
]
