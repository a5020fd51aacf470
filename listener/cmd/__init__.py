"""herald's command lines: the only code that chooses for the whole process.

Importing any of them selects oslo.service's threading backend before
oslo.messaging is imported (which would otherwise pick eventlet); herald
never monkey-patches. futurist still imports eventlet opportunistically
when it is installed (a dependency of oslo.service), so its deprecation
banner is silenced here, and so is what eventlet's own import of dnspython
makes cryptography (51 and later) say about DSA: neither is herald's, and an
operator's one-line error must stay one line.
"""

import warnings

from oslo_service import backend as _backend

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
warnings.filterwarnings("ignore", message=r"DSA is deprecated", module=r"dns\.")
_backend.init_backend(_backend.BackendType.THREADING)
