"""Diagnostics: the entry's settings without secrets, how callbacks arrive, recent calls."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from yarl import URL

from .cloudhook import async_get_webhook_url
from .const import (
    CONF_CALLBACK_PASSWORD,
    CONF_CALLBACK_USERNAME,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_CLOUDHOOK_URL,
    CONF_FORWARD_TO,
    CONF_INBOUND_SECRET,
    CONF_NOTIFY_TO,
    DOMAIN,
)
from .data import BandwidthConfigEntry
from .issues import ALL_ISSUES, issue_id

# Secrets, what lets anyone post callbacks (the webhook id is in its URL, the
# inbound secret in its query), and the phone numbers of the people notified
# or forwarded to.
TO_REDACT: Final = {
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_USERNAME,
    CONF_PASSWORD,
    CONF_CALLBACK_USERNAME,
    CONF_CALLBACK_PASSWORD,
    CONF_WEBHOOK_ID,
    CONF_CLOUDHOOK_URL,
    CONF_INBOUND_SECRET,
    CONF_NOTIFY_TO,
    CONF_FORWARD_TO,
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> dict[str, Any]:
    """Return what helps tell why calls or their callbacks fail."""
    calls = entry.runtime_data.calls
    registry = ir.async_get(hass)
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "callbacks": _callbacks(hass, entry),
        "issues": [
            issue
            for issue in ALL_ISSUES
            if registry.async_get_issue(DOMAIN, issue_id(issue, entry.entry_id))
        ],
        "calls": {
            "active": calls.active_calls,
            "recent": [
                {"call_id": recent.call_id, "last_event": recent.event_type}
                for recent in calls.recent
            ],
        },
    }


def _callbacks(hass: HomeAssistant, entry: BandwidthConfigEntry) -> dict[str, Any]:
    """Describe where Bandwidth sends callbacks, without the secret URL itself."""
    try:
        url = async_get_webhook_url(hass, entry)
    except NoURLAvailableError:
        return {"reachable": False}
    return {
        "reachable": True,
        "via": "cloudhook" if url == entry.data.get(CONF_CLOUDHOOK_URL) else "url",
        "scheme": URL(url).scheme,
    }
