"""A "Messages" tab on the instance detail page (Horizon's EXTRA_TABS):
what herald told the project about this instance."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from horizon import exceptions, tabs

from herald_dashboard import api
from herald_dashboard import tables as event_tables


class InstanceMessagesTab(tabs.TableTab):
    name = _("Messages")
    slug = "herald_messages"
    table_classes = (event_tables.InstanceMessagesTable,)
    template_name = "horizon/common/_detail_table.html"
    preload = False
    permissions = ("openstack.services.user-messages",)
    policy_rules = (("user-messages", "message:get_all"),)

    def get_instance_messages_data(self) -> list[Any]:
        instance = self.tab_group.kwargs["instance"]
        try:
            return api.message_list(self.request, filters={"resource_uuid": instance.id})[0]
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the instance's messages."))
            return []
