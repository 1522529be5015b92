"""A notify entity that phones the entry's default recipients and speaks the message."""

from __future__ import annotations

from typing import Any

# NotifyEntityFeature moved to notify.const (which older releases lack); the
# package still exports it, just not explicitly enough for mypy.
from homeassistant.components.notify import (  # type: ignore[attr-defined, unused-ignore]
    NotifyEntity,
    NotifyEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import BandwidthConfigEntry
from .dialer import async_place_calls
from .entity import BandwidthEntity
from .safeguards import async_check_notified
from .validation import notify_recipients, validate_message, with_defaults

PARALLEL_UPDATES = 0


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


class BandwidthPhoneCallNotify(BandwidthEntity, NotifyEntity):
    """Calls the numbers set in the entry's options and reads the message out.

    A person hears the message when they pick up; an answering machine gets
    it after its greeting.
    """

    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: BandwidthConfigEntry) -> None:
        """Describe the notify entity of a config entry."""
        super().__init__(entry, "phone_call")
        self._entry = entry

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Call every default recipient at once and speak the title and message."""
        entry = self._entry
        data: dict[str, Any] = with_defaults(
            {"to": notify_recipients(entry.options)}, entry.options
        )
        # The context of the action sending the message.
        await async_check_notified(self.hass, self._context, data["to"], entry.options)
        text = validate_message(spoken_text(message, title))
        data["message"] = data["machine_message"] = text
        await async_place_calls(self.hass, entry, data)
