"""A notify entity that phones the entry's default recipients and speaks the message."""

from __future__ import annotations

from typing import Any

# NotifyEntityFeature moved to notify.const (which older releases lack); the
# package still exports it, just not explicitly enough for mypy.
from homeassistant.components.notify import (  # type: ignore[attr-defined]
    NotifyEntity,
    NotifyEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_FROM, CONF_NOTIFY_TO, CONF_VOICE
from .data import BandwidthConfigEntry
from .dialer import async_place_calls
from .errors import validation_error
from .event import device_info
from .services import LIMITS

PARALLEL_UPDATES = 0

# Bandwidth speaks at most this much text in one sentence (the create_call limit).
MAX_MESSAGE_LENGTH = 10000


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: BandwidthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's phone call notify entity."""
    async_add_entities([BandwidthPhoneCallNotify(entry)])


def spoken_text(message: str, title: str | None) -> str:
    """Return what the call says: the title as a sentence, then the message."""
    message = message.strip()
    if not title or not (title := title.strip()):
        return message
    if not message:
        return title
    if title[-1] not in ".!?:;":
        title += "."
    return f"{title} {message}"


class BandwidthPhoneCallNotify(NotifyEntity):
    """Calls the numbers set in the entry's options and reads the message out.

    A person hears the message when they pick up; an answering machine gets
    it after its greeting.
    """

    _attr_has_entity_name = True
    _attr_translation_key = "phone_call"
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: BandwidthConfigEntry) -> None:
        """Describe the notify entity of a config entry."""
        self._entry = entry
        self._attr_unique_id = f"{entry.entry_id}_phone_call"
        self._attr_device_info = device_info(entry)

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Call every default recipient at once and speak the title and message."""
        entry = self._entry
        if not (recipients := entry.options.get(CONF_NOTIFY_TO)):
            raise validation_error("notify_to_required")
        if not (caller := entry.options.get(CONF_FROM)):
            raise validation_error("from_required")
        text = spoken_text(message, title)
        if not text or len(text) > MAX_MESSAGE_LENGTH:
            raise validation_error(
                "invalid_field",
                field="message",
                limit=LIMITS["message"],
                error=f"the spoken text has {len(text)} characters",
            )

        data: dict[str, Any] = {
            "to": list(recipients),
            "from": caller,
            "message": text,
            "machine_message": text,
        }
        if voice := entry.options.get(CONF_VOICE):
            data["voice"] = voice
        await async_place_calls(self.hass, entry, data)
