import horizon
from django.utils.translation import gettext_lazy as _


class Events(horizon.Panel):
    """Every project's messages: administrators only."""

    name = _("Events")
    slug = "events"
    permissions = ("openstack.services.user-messages",)
    policy_rules = (("user-messages", "admin_api"),)
