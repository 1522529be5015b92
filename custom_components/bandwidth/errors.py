"""Turn API client errors into translated Home Assistant errors, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    BandwidthApiError,
    BandwidthAuthenticationError,
    BandwidthError,
    BandwidthRateLimitError,
)
from .const import DOMAIN
from .data import BandwidthConfigEntry


def home_assistant_error(err: BandwidthError) -> HomeAssistantError:
    """Return the translated error users read for a failed Bandwidth request."""
    if isinstance(err, BandwidthAuthenticationError):
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        )
    if isinstance(err, BandwidthRateLimitError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="rate_limited",
            translation_placeholders={"description": err.description},
        )
    if isinstance(err, BandwidthApiError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="api_error",
            translation_placeholders={
                "status": str(err.status),
                "description": err.description,
            },
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="cannot_connect",
        translation_placeholders={"error": str(err)},
    )


@contextmanager
def bandwidth_errors(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> Iterator[None]:
    """Raise a Bandwidth error escaping the block as the error users read.

    Credentials Bandwidth refused also start the entry's re-authentication:
    that side effect lives here, where the error is handled, and nowhere else.
    """
    try:
        yield
    except BandwidthError as err:
        if isinstance(err, BandwidthAuthenticationError):
            entry.async_start_reauth(hass)
        raise home_assistant_error(err) from err


def validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated error about what the user asked for."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )
