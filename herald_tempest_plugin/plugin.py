"""The entry point Tempest loads (``tempest.test_plugins``)."""

from __future__ import annotations

import os

from tempest import config
from tempest.test_discover import plugins

from herald_tempest_plugin import config as herald_config


class HeraldTempestPlugin(plugins.TempestPlugin):
    def load_tests(self):
        base = os.path.split(os.path.dirname(os.path.abspath(__file__)))[0]
        return os.path.join(base, "herald_tempest_plugin", "tests"), base

    def register_opts(self, conf):
        config.register_opt_group(conf, config.service_available_group,
                                  [herald_config.service_option])
        config.register_opt_group(conf, herald_config.herald_group,
                                  herald_config.HeraldGroup)

    def get_opt_lists(self):
        return [(herald_config.herald_group.name, herald_config.HeraldGroup),
                ("service_available", [herald_config.service_option])]

    def get_service_clients(self):
        params = config.service_client_config("herald")
        params.update(name="herald", service_version="herald",
                      module_path="herald_tempest_plugin.services",
                      client_names=["MessagesClient"])
        return [params]
