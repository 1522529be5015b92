"""The Voicemail sensor: how many messages are new, and who left the newest.

No transcript in its state: a state is kept in history and shown to every
user, and a message may be private.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import BandwidthConfigEntry
from .entity import BandwidthEntity

PARALLEL_UPDATES = 0

ATTR_NEWEST_CALLER: Final = "newest_caller"
ATTR_NEWEST_RECEIVED: Final = "newest_received"


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: BandwidthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's Voicemail sensor."""
    async_add_entities([VoicemailSensor(entry)])


class VoicemailSensor(BandwidthEntity, SensorEntity):
    """The number of messages not marked heard."""

    def __init__(self, entry: BandwidthConfigEntry) -> None:
        """Describe the sensor of a config entry."""
        super().__init__(entry, "voicemail")
        self._box = entry.runtime_data.voicemail

    async def async_added_to_hass(self) -> None:
        """Follow the messages as they come, are heard and go."""
        await super().async_added_to_hass()
        self.async_on_remove(self._box.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> int:
        """How many messages are new."""
        return sum(not message.heard for message in self._box.messages)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Who left the newest message (the contact's name when known), and when."""
        messages = self._box.messages
        if not messages:
            return {ATTR_NEWEST_CALLER: None, ATTR_NEWEST_RECEIVED: None}
        newest = messages[0]
        return {
            ATTR_NEWEST_CALLER: newest.contact or newest.caller,
            ATTR_NEWEST_RECEIVED: newest.received,
        }
