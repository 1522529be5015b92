"""The bases of the integration's entities: the entry's service device, and contacts'."""

from __future__ import annotations

from homeassistant.helpers.entity import Entity

from .contacts import contact_device_info, service_device_info
from .data import BandwidthConfigEntry
from .identity import Contact


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
        self._attr_device_info = service_device_info(entry)


class BandwidthContactEntity(Entity):
    """An entity of one contact, on the contact's device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: BandwidthConfigEntry, contact: Contact) -> None:
        """Describe an entity of a contact (a subentry of `entry`)."""
        self.entry = entry
        self.subentry_id = contact.subentry_id
        self._attr_device_info = contact_device_info(contact)

    @property
    def contact(self) -> Contact | None:
        """The contact as it is now (None once removed)."""
        return self.entry.runtime_data.contacts.get(self.subentry_id)
