"""What the pipeline reports for monitoring, independent of any exporter.

The pipeline, the holder and the reaper call these hooks; the base class
does nothing (tests, tools, a disabled exporter), and
:class:`listener.prometheus.PrometheusMetrics` turns them into Prometheus
metrics. Hooks are called per batch, not per message, except where the
figure is per message by nature (the age of each committed notification).
"""

from __future__ import annotations

from collections.abc import Sequence

from collector.model import Outcome


class Metrics:
    """No-op hooks; subclasses record."""

    def batch(self, size: int, commit_seconds: float | None) -> None:
        """A batch was handled; ``commit_seconds``: how long making its
        outcomes durable took (None when nothing needed committing)."""

    def outcomes(self, outcomes: Sequence[Outcome], rejected_codes: Sequence[str]) -> None:
        """One outcome per delivery of a batch, and the reason code of each
        rejection among them."""

    def ages(self, seconds: Sequence[float]) -> None:
        """Publish → commit age of each notification stored by a batch."""

    def unmapped(self, kinds: Sequence[tuple[str, str, int]]) -> None:
        """ERROR notifications no rule maps, as (event type, service, count)."""

    def folded(self, count: int) -> None:
        """Notifications folded into an existing row (``[storage] fold_window``)."""

    def outage(self, held: bool) -> None:
        """The database or a dispatcher is (True) or is no longer (False) held
        in an outage by this worker."""

    def reaped(self, kind: str, rows: int, finished_at: float) -> None:
        """The reaper deleted ``rows`` of ``kind`` in a run ending at
        ``finished_at`` (Unix time)."""

    def watched(self, states: Sequence[str], written: Sequence[str]) -> None:
        """A round of the watch (listener.watch): the state of each watched
        queue after it, and the event IDs of the operator messages it wrote."""


NOOP = Metrics()
