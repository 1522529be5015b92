"""The entry's contacts at run time: their devices, entities and PIN records.

Each contact is a device of its own, linked to the entry's service device,
with an Assist satellite and its pipeline settings (assist_satellite.py,
select.py). Adding, editing or removing a contact takes effect without a
reload, so conversations in progress go on: the update listener calls
`async_contacts_changed`. The platforms of contacts' entities are set up
with the first contact, so an entry without contacts loads no voice stack.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType

from .const import DOMAIN
from .data import BandwidthConfigEntry
from .identity import Contact

CONTACT_PLATFORMS: Final = [Platform.ASSIST_SATELLITE, Platform.SELECT]
MANUFACTURER: Final = "Bandwidth"
CONTACT_MODEL: Final = "Contact"
# Home Assistant 2026.10 links a device to its parent by the parent's
# registry id (via_device_id); earlier releases know only the identifiers.
_VIA_DEVICE_ID: Final = "via_device_id" in dr.DeviceInfo.__annotations__


async def async_setup_contacts(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> None:
    """Read the contacts, register their devices, set up their entities."""
    runtime = entry.runtime_data
    runtime.contacts.update(entry)
    service = _service_device(hass, entry)
    for contact in runtime.contacts:
        _contact_device(hass, entry, contact, service)

    @callback
    def changed(before: Contact | None, after: Contact | None) -> None:
        if after is not None:
            _contact_device(hass, entry, after, _service_device(hass, entry))
        # A new PIN, or none, or a contact gone: its failures no longer count.
        if before is not None and (after is None or after.pin != before.pin):
            runtime.pins.forget(before.subentry_id)

    entry.async_on_unload(runtime.contacts.async_listen(changed))
    await _async_forward_platforms(hass, entry)


async def async_contacts_changed(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> None:
    """Take in contacts added, edited or removed, without a reload."""
    entry.runtime_data.contacts.update(entry)
    await _async_forward_platforms(hass, entry)


async def async_unload_contact_platforms(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> bool:
    """Unload the contacts' platforms, if they were set up."""
    if not entry.runtime_data.contact_platforms:
        return True
    return await hass.config_entries.async_unload_platforms(entry, CONTACT_PLATFORMS)


async def _async_forward_platforms(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> None:
    """Set up the contacts' platforms once there is a contact."""
    runtime = entry.runtime_data
    if runtime.contact_platforms or not any(True for _ in runtime.contacts):
        return
    runtime.contact_platforms = True
    await hass.config_entries.async_forward_entry_setups(entry, CONTACT_PLATFORMS)


def service_device_info(entry: BandwidthConfigEntry) -> dr.DeviceInfo:
    """Return the entry's service device, which its own entities are on."""
    return dr.DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer=MANUFACTURER,
        model="Voice API",
        entry_type=DeviceEntryType.SERVICE,
    )


def contact_device_info(contact: Contact) -> dr.DeviceInfo:
    """Return a contact's device, which its entities are on (registered already)."""
    return dr.DeviceInfo(identifiers={(DOMAIN, contact.subentry_id)})


def _service_device(hass: HomeAssistant, entry: BandwidthConfigEntry) -> dr.DeviceEntry:
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **service_device_info(entry)
    )


@callback
def _contact_device(
    hass: HomeAssistant,
    entry: BandwidthConfigEntry,
    contact: Contact,
    service: dr.DeviceEntry,
) -> None:
    """Register a contact's device, named after them, under the service device."""
    via: dict[str, Any] = (
        {"via_device_id": service.id}
        if _VIA_DEVICE_ID
        else {"via_device": (DOMAIN, entry.entry_id)}
    )
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        config_subentry_id=contact.subentry_id,
        identifiers={(DOMAIN, contact.subentry_id)},
        name=contact.name,
        manufacturer=MANUFACTURER,
        model=CONTACT_MODEL,
        **via,
    )
