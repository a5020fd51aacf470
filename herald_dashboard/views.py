"""The Event Viewer's pages: a paged list and a message's detail.

Any failure to read herald-api (down, a 5xx, a refusal) shows Horizon's
error banner and an empty page, never a 500 page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions, messages, tables, views

from herald_dashboard import api
from herald_dashboard import tables as event_tables

LOG = logging.getLogger(__name__)

#: what users type -> what herald-api stores (it reads resource types in
#: either case, and herald's old names: snapshot for VOLUME_SNAPSHOT)
CASE = {"message_level": str.upper}


def outage_banner(request: Any) -> None:
    """While the cloud's messaging service is down, say so at the top of
    the page: requests then hang without any service sending a message.
    The text is herald-api's (the catalogue's MESSAGING_UNAVAILABLE), never
    a notification's. Not knowing is not an error worth a banner of its
    own: the page's own read reports herald-api being unreachable."""
    try:
        status = api.messaging_status(request)
    except Exception as exc:
        LOG.debug("herald-api's messaging status is unavailable: %s", exc)
        return
    if not status.get("available", True) and status.get("message"):
        messages.warning(request, status["message"])


class IndexView(tables.PagedTableMixin, tables.DataTableView):
    table_class = event_tables.EventsTable
    template_name = "horizon/common/_data_table_view.html"
    page_title = _("Events")
    all_projects = False

    def get_filters(self, filters: dict[str, str] | None = None,
                    filters_map: dict[str, Any] | None = None) -> dict[str, str]:
        found = super().get_filters(filters, filters_map)
        return {k: CASE.get(k, str.strip)(v.strip()) for k, v in found.items() if v.strip()}

    def get_data(self) -> list[api.Message]:
        outage_banner(self.request)
        marker, sort_dir = self._get_marker()
        try:
            messages, self._has_more_data, self._has_prev_data = api.message_list(
                self.request, marker=marker, sort_dir=sort_dir, filters=self.get_filters(),
                all_projects=self.all_projects)
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve events."))
            return []
        return messages


class AdminIndexView(IndexView):
    table_class = event_tables.AdminEventsTable
    all_projects = True


class DetailView(views.HorizonTemplateView):
    """Every field of a message; its parent, its children and, for a
    resource with provisioning steps, their progress."""

    template_name = "herald_dashboard/events/detail.html"
    page_title = _("Event {{ message.event_id }}")
    index = "horizon:project:events:index"
    detail = "horizon:project:events:detail"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request, message_id = self.request, kwargs["message_id"]
        outage_banner(request)
        try:
            message = api.message_get(request, message_id)
        except Exception:
            exceptions.handle(request, _("Unable to retrieve event %s.") % message_id,
                              redirect=reverse(self.index))
        context.update(message=message, resource_url=event_tables.resource_url(message),
                       level=dict(event_tables.LEVELS).get(message.message_level,
                                                           message.message_level),
                       resource_label=event_tables.resource_label(message),
                       detail=self.detail, index_url=reverse(self.index),
                       parent=None, parent_gone=False, children=[], progress=None)
        try:
            if message.parent_id:
                try:
                    context["parent"] = api.message_get(request, message.parent_id)
                except api.NotFound:  # expired, or deleted
                    context["parent_gone"] = True
            context["children"] = api.children(request, message.id)
            if message.resource_uuid:
                context["progress"] = api.progress(request, message.resource_uuid)
        except Exception:
            exceptions.handle(request, _("Unable to retrieve the events related to %s.")
                              % message_id)
        return context


class AdminDetailView(DetailView):
    index = "horizon:admin:events:index"
    detail = "horizon:admin:events:detail"
