"""The watch: herald notices services that stopped consuming their RPC queues.

When a scheduler or the conductor is down, no service sends a notification
and herald would say nothing, while every create waits for it. The watch
probes the services' RPC topic queues passively (it declares nothing,
consumes nothing, binds nothing) and writes operator messages under the
reserved project ``_operators``.

- :mod:`listener.watch.queues`: which queues, and how herald learns the
  per-host ones;
- :mod:`listener.watch.probe`: the passive ``queue.declare``;
- :mod:`listener.watch.decide`: readings to transitions (pure);
- :mod:`listener.watch.notice`: the operator message of a transition;
- :mod:`listener.watch.service`: the cotyledon service that runs them.

And creates that stall, for their owners (docs/operations.md):

- :mod:`listener.watch.sources`: what the services' APIs show as creating;
- :mod:`listener.watch.stalls`: the stall watcher (one message per resource);
- :mod:`listener.watch.credentials`: the ``[service_credentials]`` account.
"""
