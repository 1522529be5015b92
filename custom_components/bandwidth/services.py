"""Actions bandwidth.create_call and bandwidth.hangup_call."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)

from .api import BandwidthApiError, BandwidthError
from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN
from .data import BandwidthConfigEntry
from .dialer import async_place_calls, response_item
from .errors import to_home_assistant_error, validation_error
from .validation import validate_create_call, validate_hangup_call, with_defaults

SERVICE_CREATE_CALL = "create_call"
SERVICE_HANGUP_CALL = "hangup_call"


def _entry(hass: HomeAssistant, data: dict[str, Any]) -> BandwidthConfigEntry:
    """Return the loaded entry the action is for; implicit when there is one."""
    if (entry_id := data.get(ATTR_CONFIG_ENTRY_ID)) is None:
        loaded = [
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.state is ConfigEntryState.LOADED
        ]
        if not loaded:
            raise validation_error("not_loaded")
        if len(loaded) > 1:
            raise validation_error("config_entry_required")
        return loaded[0]
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise validation_error("config_entry_not_found", config_entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise validation_error("config_entry_not_loaded", title=entry.title)
    return entry


async def _async_create_call(call: ServiceCall) -> ServiceResponse:
    """Place calls and return one result per destination."""
    hass = call.hass
    data = validate_create_call(call.data)
    entry = _entry(hass, data)
    data = with_defaults(data, entry.options)

    outcome = await async_place_calls(hass, entry, data)
    return {"calls": [response_item(to, result) for to, result in outcome]}


async def _async_hangup_call(call: ServiceCall) -> None:
    """End a call or remove it from Bandwidth's queue."""
    hass = call.hass
    data = validate_hangup_call(call.data)
    entry = _entry(hass, data)
    try:
        await entry.runtime_data.client.hangup(data["call_id"])
    except BandwidthApiError as err:
        if err.status == 404:  # noqa: PLR2004
            raise validation_error("call_not_found", call_id=data["call_id"]) from err
        raise to_home_assistant_error(hass, entry, err) from err
    except BandwidthError as err:
        raise to_home_assistant_error(hass, entry, err) from err


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions.

    Data is validated in the handlers (validation.py) so that every refusal is
    a translated ServiceValidationError naming the field, rather than the
    voluptuous error Home Assistant would raise for a registered schema.
    """
    hass.services.async_register(
        DOMAIN,
        SERVICE_CREATE_CALL,
        _async_create_call,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(DOMAIN, SERVICE_HANGUP_CALL, _async_hangup_call)
