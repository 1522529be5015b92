"""Exceptions raised by the Bandwidth Voice API client."""

from __future__ import annotations


class BandwidthError(Exception):
    """Any failure talking to Bandwidth."""


class BandwidthConnectionError(BandwidthError):
    """Bandwidth could not be reached, timed out, failed (5xx) or sent garbage."""


class BandwidthOutcomeUnknownError(BandwidthConnectionError):
    """The request reached Bandwidth but its answer was lost or garbled.

    Raised after a time-out or a dropped connection once the request was
    sent, for a 5xx, and for a success answer that cannot be read: what was
    asked may have been carried out (a call may ring), so it is never retried.
    """


class BandwidthAuthenticationError(BandwidthError):
    """Bandwidth rejected the credentials (401/403)."""


class BandwidthApiError(BandwidthError):
    """Bandwidth refused the request; carries its own error body verbatim."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        error_type: str | None = None,
        error_id: str | None = None,
    ) -> None:
        """Keep Bandwidth's words so the user sees them unchanged."""
        super().__init__(description)
        self.status = status
        self.description = description
        self.error_type = error_type
        self.error_id = error_id


class BandwidthRateLimitError(BandwidthApiError):
    """Bandwidth answered 429; nothing was created, retrying later is safe."""

    def __init__(
        self,
        description: str,
        *,
        retry_after: float | None,
        error_type: str | None = None,
        error_id: str | None = None,
    ) -> None:
        """Remember when Bandwidth said to come back, in seconds."""
        super().__init__(429, description, error_type=error_type, error_id=error_id)
        self.retry_after = retry_after
