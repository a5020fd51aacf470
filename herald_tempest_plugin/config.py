"""The plugin's options: ``[service_available] herald`` and the ``[herald]`` group."""

from __future__ import annotations

from oslo_config import cfg

service_option = cfg.BoolOpt(
    "herald", default=False,
    help="Whether herald-api (the user-messages service) is expected to be available.")

herald_group = cfg.OptGroup(name="herald", title="herald (user messages) options")

HeraldGroup = [
    cfg.StrOpt("catalog_type", default="user-messages",
               help="herald-api's service type in the Keystone catalog."),
    cfg.StrOpt("region", default="",
               help="The region of herald-api's endpoint; empty: [identity] region."),
    cfg.StrOpt("endpoint_type", default="publicURL",
               choices=["public", "admin", "internal", "publicURL", "adminURL",
                        "internalURL"],
               help="The endpoint type of herald-api to use."),
    cfg.StrOpt("min_microversion", default="1.0",
               help="Lowest user-messages microversion the tests may ask for."),
    cfg.StrOpt("max_microversion", default="1.0",
               help="Highest user-messages microversion the cloud's herald-api serves."),
    cfg.StrOpt("volume_microversion", default="3.5",
               help="The volume microversion sent with herald's (3.5 and later read "
                    "filters)."),
    cfg.IntOpt("message_timeout", default=60,
               help="Seconds to wait for a failure's message to appear."),
    cfg.IntOpt("build_interval", default=1,
               help="Seconds between two looks for a message."),
    cfg.IntOpt("build_timeout", default=60,
               help="Seconds to wait for a message to be deleted."),
    cfg.IntOpt("too_large_volume_size", default=500,
               help="A volume size (GB) no storage back end of the cloud can hold, "
                    "within the test project's quota."),
]
