"""The base of the integration's entities: one service device per entry."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .data import BandwidthConfigEntry


class BandwidthEntity(Entity):
    """An entity of a Bandwidth Voice entry, on the entry's service device.

    `key` names it twice: in its unique id, after the entry's, and as its
    translation key.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: BandwidthConfigEntry, key: str) -> None:
        """Describe the entity `key` of an entry."""
        self._attr_translation_key = key
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Bandwidth",
            model="Voice API",
            entry_type=DeviceEntryType.SERVICE,
        )
