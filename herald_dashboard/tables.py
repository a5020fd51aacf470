"""The Event Viewer's tables: a project's messages, every project's, an instance's.

Filters are passed to herald-api (``filter_type = "server"``), never applied
to the rows of one page; paging is Horizon's marker paging over herald-api's
``marker``/``limit``. Deleting is offered where Horizon's policy for the
``user-messages`` service allows ``message:delete``; herald-api decides.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables
from horizon.utils import filters

from herald_dashboard import api

#: each resource type's own Horizon page, where the dashboard has one
RESOURCE_PAGES = {
    "VOLUME": "horizon:project:volumes:detail",
    "VOLUME_SNAPSHOT": "horizon:project:snapshots:detail",
    "VOLUME_BACKUP": "horizon:project:backups:detail",
    "INSTANCE": "horizon:project:instances:detail",
    "SHARE": "horizon:project:shares:detail",
}
LEVELS = (("ERROR", _("Error")), ("WARNING", _("Warning")), ("INFO", _("Info")))
#: herald-api's resource types are the services' own (Cinder's message_field.Resource)
RESOURCE_TYPES = {"VOLUME": _("Volume"), "VOLUME_SNAPSHOT": _("Snapshot"),
                  "VOLUME_BACKUP": _("Backup"), "INSTANCE": _("Instance"),
                  "SHARE": _("Share"), "SHARE_SNAPSHOT": _("Share snapshot"),
                  "CLUSTER": _("Cluster"),
                  # herald's operator messages (project _operators): a service's queue
                  "SERVICE": _("Service queue")}


def resource_url(message: Any) -> str | None:
    page = RESOURCE_PAGES.get((message.resource_type or "").upper())
    if page is None or not message.resource_uuid:
        return None
    try:
        return reverse(page, args=[message.resource_uuid])
    except NoReverseMatch:  # that service's dashboard is not installed
        return None


def resource_label(message: Any) -> str:
    if not message.resource_type:
        return "-"
    kind = RESOURCE_TYPES.get(message.resource_type.upper(), message.resource_type)
    return f"{kind} {message.resource_uuid}" if message.resource_uuid else str(kind)


class EventsFilter(tables.FilterAction):
    name = "events_filter"
    filter_type = "server"
    filter_choices = (
        ("message_level", _("Level ="), True, _("Error, Warning or Info")),
        ("resource_type", _("Resource type ="), True, _("VOLUME, INSTANCE, SHARE...")),
        ("resource_uuid", _("Resource ID ="), True),
        ("event_id", _("Event ID ="), True),
        ("request_id", _("Request ID ="), True),
        ("created_since", _("Created since"), True, _("a date, or a time: 2026-12-01T10:00")),
        ("created_before", _("Created before"), True, _("a date, or a time: 2026-12-01T10:00")),
    )


class AdminEventsFilter(EventsFilter):
    filter_choices = (("project_id", _("Project ID ="), True),) + EventsFilter.filter_choices


class DeleteEvent(tables.DeleteAction):
    """herald-api finds an administrator's message in any project."""

    policy_rules = (("user-messages", "message:delete"),)

    @staticmethod
    def action_present(count: int) -> str:
        return ngettext_lazy("Delete Event", "Delete Events", count)

    @staticmethod
    def action_past(count: int) -> str:
        return ngettext_lazy("Deleted Event", "Deleted Events", count)

    def delete(self, request: Any, obj_id: str) -> None:
        api.message_delete(request, obj_id)


def display(message: Any) -> str:
    """How a message is named in Horizon's banners ("Deleted Event: ...")."""
    text = message.user_message or message.id
    return text if len(text) <= 80 else text[:79] + "…"


class EventsTable(tables.DataTable):
    created_at = tables.Column("created_at", verbose_name=_("Time"),
                               filters=(filters.parse_isotime,))
    message_level = tables.Column("message_level", verbose_name=_("Level"),
                                  display_choices=LEVELS)
    resource = tables.Column(resource_label, verbose_name=_("Resource"), link=resource_url)
    event_id = tables.Column("event_id", verbose_name=_("Event ID"))
    request_id = tables.Column("request_id", verbose_name=_("Request ID"))
    user_message = tables.Column("user_message", verbose_name=_("Message"),
                                 link="horizon:project:events:detail", truncate=200)

    def get_object_display(self, datum: Any) -> str:
        return display(datum)

    class Meta:
        name = "events"
        verbose_name = _("Events")
        table_actions = (EventsFilter, DeleteEvent)
        row_actions = (DeleteEvent,)


class AdminEventsTable(EventsTable):
    project_id = tables.Column("project_id", verbose_name=_("Project"))
    user_message = tables.Column("user_message", verbose_name=_("Message"),
                                 link="horizon:admin:events:detail", truncate=200)

    class Meta:
        name = "events"
        verbose_name = _("Events")
        columns = ("project_id", "created_at", "message_level", "resource", "event_id",
                   "request_id", "user_message")
        table_actions = (AdminEventsFilter, DeleteEvent)
        row_actions = (DeleteEvent,)


class InstanceMessagesTable(tables.DataTable):
    created_at = tables.Column("created_at", verbose_name=_("Time"),
                               filters=(filters.parse_isotime,))
    message_level = tables.Column("message_level", verbose_name=_("Level"),
                                  display_choices=LEVELS)
    event_id = tables.Column("event_id", verbose_name=_("Event ID"))
    request_id = tables.Column("request_id", verbose_name=_("Request ID"))
    user_message = tables.Column("user_message", verbose_name=_("Message"),
                                 link="horizon:project:events:detail")

    def get_object_display(self, datum: Any) -> str:
        return display(datum)

    class Meta:
        name = "instance_messages"
        verbose_name = _("Messages")
        row_actions = (DeleteEvent,)
