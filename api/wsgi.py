"""``application`` for uwsgi, gunicorn or mod_wsgi (as placement and aodh ship).

The configuration files: ``HERALD_CONFIG_FILE`` (several, comma-separated),
else oslo's search for herald.conf (/etc/herald/herald.conf...).
"""

from __future__ import annotations

import os

from api import service

application = service.make_application(
    [f for f in os.environ.get("HERALD_CONFIG_FILE", "").split(",") if f])
