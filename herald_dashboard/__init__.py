"""herald's Horizon plugin: the Event Viewer (Project › Events, Admin › Events,
and a Messages tab on the instance page), read from herald-api over HTTP.

Installed with ``pip install 'herald[dashboard]'``; enabled by copying the
files of ``enabled/`` into ``openstack_dashboard/local/enabled/`` and the
snippet of ``local_settings.d/`` into ``openstack_dashboard/local/local_settings.d/``
(docs/dashboard.md).
"""
