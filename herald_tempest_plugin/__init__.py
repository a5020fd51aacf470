"""herald's Tempest plugin: herald-api's tests, run by ``tempest run`` in any cloud.

Registered with the ``tempest.test_plugins`` entry point (setup.cfg); needs
only Tempest itself (docs/integration.md).
"""
