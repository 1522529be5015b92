"""Each contact's Assist settings: which pipeline answers them, how long a pause ends a request."""

from __future__ import annotations

from homeassistant.components.assist_pipeline.select import (
    AssistPipelineSelect,
    VadSensitivitySelect,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .data import BandwidthConfigEntry
from .entity import BandwidthContactEntity
from .identity import Contact

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: BandwidthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each contact's pipeline and voice detection selects, as contacts come."""

    @callback
    def add(contact: Contact) -> None:
        async_add_entities(
            [
                ContactPipelineSelect(hass, entry, contact),
                ContactVadSensitivitySelect(hass, entry, contact),
            ],
            config_subentry_id=contact.subentry_id,
        )

    for contact in entry.runtime_data.contacts:
        add(contact)

    @callback
    def changed(before: Contact | None, after: Contact | None) -> None:
        if before is None and after is not None:
            add(after)

    entry.async_on_unload(entry.runtime_data.contacts.async_listen(changed))


class ContactPipelineSelect(BandwidthContactEntity, AssistPipelineSelect):
    """Which Assist pipeline a contact talks to (Home Assistant's own selector)."""

    def __init__(
        self, hass: HomeAssistant, entry: BandwidthConfigEntry, contact: Contact
    ) -> None:
        """Describe the pipeline select of a contact."""
        BandwidthContactEntity.__init__(self, entry, contact)
        AssistPipelineSelect.__init__(self, hass, DOMAIN, contact.subentry_id)


class ContactVadSensitivitySelect(BandwidthContactEntity, VadSensitivitySelect):
    """How long a pause ends what a contact says (Home Assistant's own selector)."""

    def __init__(
        self, hass: HomeAssistant, entry: BandwidthConfigEntry, contact: Contact
    ) -> None:
        """Describe the voice detection select of a contact."""
        BandwidthContactEntity.__init__(self, entry, contact)
        VadSensitivitySelect.__init__(self, hass, contact.subentry_id)
