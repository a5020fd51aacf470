"""Intake from the broker, the daemon's services and its command lines.

Every module that imports oslo.messaging lives in this package, so the
package selects oslo.service's threading backend first: otherwise importing
oslo.messaging picks the eventlet backend. herald never monkey-patches;
futurist still imports eventlet opportunistically when it is installed (a
dependency of oslo.service), so its deprecation banner is silenced here.
"""

import warnings

from oslo_service import backend as _backend

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
_backend.init_backend(_backend.BackendType.THREADING)
