"""Every error herald raises on purpose derives from :class:`HeraldError`.

Callers that want to contain "anything herald decided was wrong" catch the
root; everything else (a bug) is contained by the pipeline's per-message
guard and recorded as ``internal_error``.
"""

from __future__ import annotations


class HeraldError(Exception):
    """Root of herald's exceptions."""


class ConfigurationError(HeraldError):
    """The configuration cannot work; raised at start-up, never per message."""


class CatalogueError(ConfigurationError):
    """The sanctioned catalogue or an override file breaks a catalogue rule.

    Start-up stops on it: a daemon must not render text nobody reviewed.
    """


class MappingError(ConfigurationError):
    """A mapping rules file breaks a rule of the format or of the catalogue.

    Start-up stops on it, as on a broken catalogue.
    """


class InvalidNotification(HeraldError):
    """A notification cannot become a user message; it will be quarantined.

    ``code`` is a stable, documented reason code (docs/wire-format.md);
    ``detail`` is a short explanation built only from herald's own words and
    sanitised excerpts, so it is safe to log and to store.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class StorageError(HeraldError):
    """Base of storage failures."""


class StorageUnavailable(StorageError):
    """The database cannot be reached or timed out: retry later, never drop."""


class SchemaOutOfDate(StorageError):
    """The database schema is not at the revision this code needs."""


class DispatchError(HeraldError):
    """A dispatcher could not take a batch now; the batch is retried."""


class EmitError(HeraldError):
    """``Emitter.emit`` could not publish the message (listener.emitter).

    Nothing says herald will ever read it: record the failure on the
    service's side and retry later. ``message`` is what would have been
    stored; retrying with ``id=message.id`` is safe, because herald stores a
    message ID once even if an earlier attempt did get through.
    """

    def __init__(self, detail: str, message: object) -> None:
        super().__init__(detail)
        self.message = message


class EmitTimeout(EmitError):
    """The broker neither confirmed nor refused the message within the
    emitter's timeout (down, unreachable, or blocking publishers)."""
