"""Turn API client errors into translated Home Assistant errors, in one place."""

from __future__ import annotations

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


def to_home_assistant_error(
    hass: HomeAssistant, entry: BandwidthConfigEntry, err: BandwidthError
) -> HomeAssistantError:
    """Return the error to show for a failed Bandwidth request.

    A refused credential also starts the re-authentication flow.
    """
    if isinstance(err, BandwidthAuthenticationError):
        entry.async_start_reauth(hass)
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


def validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated error about what the user asked for."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )
