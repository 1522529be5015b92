"""Describe the integration's events in the logbook, in plain words.

Each entry is named after the other party (a contact's name when the number
is a contact's) and says what happened: "Alice answered", "+1 704 555 0199
called". Only the event's own data is used: the logbook describes events
long after their call is over.

The words are translations, in the `common` category of translations/ (core
integrations build logbook text in code; a custom integration has no other
place for them): Home Assistant caches every category of an integration's
translations in its language (English besides) when setting it up, so the
synchronous describers read them from the cache.

What a caller typed or said stays out, as on the event entity: a single key
(a menu choice) is named, longer input only counted; a voicemail's transcript
and a screened caller's reason are not told.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.translation import async_get_cached_translations

from . import kinds
from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN
from .parse import ATTR_CONTACT, ATTR_PIN_VALID, MACHINE_RESULTS

# The Call events entity's icon: without one, the frontend looks for the
# integration's brand image, which a custom integration may not have.
ICON: Final = "mdi:phone-log"
# North American numbers, written as people read them: +1 704 555 0199.
NANP: Final = re.compile(r"\+1([2-9][0-9]{2})([0-9]{3})([0-9]{4})")
# Bandwidth's causes of a call placed and never answered, by their words;
# any other is a failure.
UNANSWERED: Final = {
    "timeout": "no_answer",
    "hangup": "no_answer",
    "busy": "busy",
    "rejected": "rejected",
    "cancel": "cancelled",
}

type Describer = Callable[[Event], dict[str, str]]
type Describe = Callable[[HomeAssistant, Mapping[str, Any]], str]


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Describer], None],
) -> None:
    """Describe each kind of event, in its words or with its describer."""
    for kind in kinds.KINDS:
        describe = DESCRIBERS.get(kind.key, _words_of(kind.key))
        async_describe_event(DOMAIN, kind.event, _describer(hass, describe))


def _words_of(key: str) -> Describe:
    """Return the describer of a kind told in the same words every time."""
    return lambda hass, _: _words(hass, key)


def _describer(hass: HomeAssistant, describe: Describe) -> Describer:
    """Return the logbook's describer of one event type."""

    @callback
    def describer(event: Event) -> dict[str, str]:
        data = event.data
        return {
            LOGBOOK_ENTRY_NAME: _who(hass, data),
            LOGBOOK_ENTRY_MESSAGE: describe(hass, data),
            LOGBOOK_ENTRY_ICON: ICON,
        }

    return describer


def _words(hass: HomeAssistant, key: str, **placeholders: str) -> str:
    """Return the translated words of `key`, placeholders filled in."""
    name = f"component.{DOMAIN}.common.logbook_{key}"
    for language in (hass.config.language, "en"):
        words = async_get_cached_translations(hass, language, "common", DOMAIN)
        if name in words:
            return words[name].format(**placeholders)
    return key  # Not cached: Home Assistant caches them when setting us up.


def _who(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """Return the other party: a contact's name, or the number."""
    if isinstance(contact := data.get(ATTR_CONTACT), str) and contact:
        return contact
    # Events of calls received only (Assist, voicemail, screening) say no
    # direction.
    inbound = data.get("direction", "inbound") == "inbound"
    number = data.get("from") if inbound else data.get("to")
    if not isinstance(number, str) or not number:
        return _words(hass, "someone")
    entry = hass.config_entries.async_get_entry(str(data.get(ATTR_CONFIG_ENTRY_ID)))
    if entry is not None and entry.state is ConfigEntryState.LOADED:
        known = entry.runtime_data.contacts.by_number(number)
        if known is not None:
            return str(known.name)
    if match := NANP.fullmatch(number):
        return "+1 {} {} {}".format(*match.groups())
    return number


def _received(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    if data.get("caller_verified") is True:
        return _words(hass, "received")
    return _words(hass, "received_unverified")


def _answered(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    detected = data.get("machine_detection_result")
    if isinstance(detected, Mapping) and detected.get("value") in MACHINE_RESULTS:
        return _words(hass, "voicemail")
    return _words(hass, "answered")


def _detected(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    detected = data.get("machine_detection_result")
    value = detected.get("value") if isinstance(detected, Mapping) else None
    if value in MACHINE_RESULTS:
        return _words(hass, "voicemail")
    if value == "human":
        return _words(hass, "person")
    return _words(hass, "undetected")


def _gathered(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    if (valid := data.get(ATTR_PIN_VALID)) is not None:
        return _words(hass, "pin_valid" if valid is True else "pin_wrong")
    digits = data.get("digits")
    if not isinstance(digits, str) or not digits:
        return _words(hass, "pressed_nothing")
    if len(digits) == 1:
        return _words(hass, "pressed", digits=digits)
    return _words(hass, "entered", count=str(len(digits)))


def _assist_ended(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    turns = data.get("turns")
    return _words(
        hass, "assist_ended", turns=str(len(turns) if isinstance(turns, list) else 0)
    )


def _disconnected(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    cause = data.get("cause")
    if data.get("answer_time"):
        if cause == "hangup":
            return _words(hass, "ended")
    elif data.get("direction") == "inbound":
        return _words(hass, "missed")
    elif isinstance(cause, str) and cause in UNANSWERED:
        return _words(hass, UNANSWERED[cause])
    return _words(hass, "failed", cause=str(cause))


def _voicemail_received(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    duration = data.get("duration")
    seconds = round(duration) if isinstance(duration, int | float) else 0
    return _words(hass, "voicemail_received", seconds=str(seconds))


def _other(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    return _words(hass, "callback", event=str(data.get("event_type")))


# The kinds whose words depend on their data, by kind; any other kind the
# logbook tells is told in its words, common.logbook_<key>.
DESCRIBERS: Final[dict[str, Describe]] = {
    kinds.RECEIVED.key: _received,
    kinds.ANSWERED.key: _answered,
    kinds.MACHINE_DETECTION_COMPLETE.key: _detected,
    kinds.GATHER_COMPLETE.key: _gathered,
    kinds.ASSIST_ENDED.key: _assist_ended,
    kinds.DISCONNECTED.key: _disconnected,
    kinds.VOICEMAIL_RECEIVED.key: _voicemail_received,
    kinds.OTHER.key: _other,
}
