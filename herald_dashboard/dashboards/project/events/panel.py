import horizon
from django.utils.translation import gettext_lazy as _


class Events(horizon.Panel):
    """Shown where the catalog has herald-api and policy lets the user list."""

    name = _("Events")
    slug = "events"
    permissions = ("openstack.services.user-messages",)
    policy_rules = (("user-messages", "message:get_all"),)
