"""Diagnostics: the entry's settings without secrets or numbers, how callbacks arrive, recent calls.

Diagnostics get pasted into public issue reports: besides the secrets, every
phone number and SIP URI is redacted, wherever it appears, one by one so
that how many there were still shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from yarl import URL

from .cloudhook import async_get_webhook_url
from .const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_CLOUDHOOK_URL,
    CONF_INBOUND_SECRET,
    DOMAIN,
)
from .data import BandwidthConfigEntry
from .issues import ALL_ISSUES, issue_id

# Secrets, and what lets anyone post callbacks (the webhook id is in its URL,
# the inbound secret in its query).
TO_REDACT: Final = {
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_USERNAME,
    CONF_PASSWORD,
    CONF_WEBHOOK_ID,
    CONF_CLOUDHOOK_URL,
    CONF_INBOUND_SECRET,
}
# A phone number (a +, then digits, maybe written with separators) or a SIP or
# tel URI: the caller ID, the numbers notified, forwarded to or allowed to
# talk to Assist, and anything else holding one.
PHONE_NUMBER: Final = re.compile(
    r"\+(?=\D*\d)[\d\s().-]+|(?:sips?|tel):.*", re.IGNORECASE | re.DOTALL
)
# What a subentry's data shows as it is: whether a contact may talk to Assist.
# Its title and every other field (a contact's name, number, PIN, and any field
# added later) are redacted; a PIN's key still shows whether one is set.
SUBENTRY_FIELDS_SHOWN: Final = frozenset({"assist"})


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> dict[str, Any]:
    """Return what helps tell why calls or their callbacks fail."""
    calls = entry.runtime_data.calls
    voicemail = entry.runtime_data.voicemail
    registry = ir.async_get(hass)
    diagnostics = {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
            "subentries": _subentries(entry),
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
        # How many, never who or what: messages are the household's.
        "voicemail": {
            "messages": len(messages := voicemail.messages),
            "new": sum(not message.heard for message in messages),
            "awaited": voicemail.awaited,
        },
    }
    redacted: dict[str, Any] = _without_numbers(diagnostics)
    return redacted


def _subentries(entry: BandwidthConfigEntry) -> dict[str, list[dict[str, Any]]]:
    """List the entry's subentries by type, without anything personal."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for subentry in entry.subentries.values():
        data = dict(subentry.data)
        by_type.setdefault(subentry.subentry_type, []).append(
            {
                "title": REDACTED,
                "data": async_redact_data(data, set(data) - SUBENTRY_FIELDS_SHOWN),
            }
        )
    return by_type


def _without_numbers(value: Any) -> Any:
    """Return a copy of the value with each phone number and SIP URI redacted."""
    if isinstance(value, str):
        return REDACTED if PHONE_NUMBER.fullmatch(value.strip()) else value
    if isinstance(value, Mapping):
        return {key: _without_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_numbers(item) for item in value]
    return value


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
