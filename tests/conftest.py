import pytest
from oslo_config import cfg

import listener.cmd  # noqa: F401 - herald's tests run as herald does: threading backend
from listener import opts


@pytest.fixture
def conf():
    c = cfg.ConfigOpts()
    opts.register_opts(c)
    c([], project="herald", default_config_files=[], default_config_dirs=[])
    yield c
    c.reset()
