"""Contacts: the form that adds and edits them, their devices and entities, and the migration."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

import sandbox
from custom_components.bandwidth import async_migrate_entry
from custom_components.bandwidth.const import (
    CONF_ASSIST_CALLERS,
    CONF_FROM,
    CONF_VOICE,
    DOMAIN,
)
from sandbox import Sandbox

from .helpers import FROM_NUMBER, add_contact, entry_data, set_up
from .metadata import STRINGS

ALICE = "+15555550177"
BOB = "sip:bob@pbx.example.test"
CONTACT = STRINGS["config_subentries"]["contact"]


pytestmark = pytest.mark.usefixtures("voice_stack")


def _device(
    registry: dr.DeviceRegistry, entry: MockConfigEntry, identifier: str
) -> dr.DeviceEntry | None:
    """Return the entry's device with this integration identifier, if any."""
    return next(
        (
            device
            for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
            if (DOMAIN, identifier) in device.identifiers
        ),
        None,
    )


async def _start(hass: HomeAssistant, entry: MockConfigEntry, **context: Any) -> Any:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "contact"), context={"source": "user", **context}
    )
    assert result["type"] is FlowResultType.FORM
    return result


async def _submit(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )


def _contacts(entry: MockConfigEntry) -> list[tuple[str, dict[str, Any]]]:
    return [
        (subentry.title, dict(subentry.data))
        for subentry in entry.subentries.values()
        if subentry.subentry_type == "contact"
    ]


async def test_add_a_contact(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The form adds a contact; the description names the caller ID calls come from."""
    result = await _start(hass, init_integration)
    assert result["step_id"] == "user"
    assert result["description_placeholders"] == {
        "title": init_integration.title,
        "caller_id": FROM_NUMBER,
    }
    fields = [str(marker.schema) for marker in result["data_schema"].schema]
    assert fields == ["name", "number", "assist", "pin"]
    assert set(fields) <= set(CONTACT["step"]["user"]["data"])
    assert set(fields) <= set(CONTACT["step"]["user"]["data_description"])
    result = await _submit(
        hass,
        result,
        {"name": " Alice ", "number": f" {ALICE} ", "assist": True, "pin": " 1234 "},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Alice"
    assert _contacts(init_integration) == [
        ("Alice", {"name": "Alice", "number": ALICE, "assist": True, "pin": "1234"})
    ]
    # Without a PIN, none is stored.
    result = await _start(hass, init_integration)
    result = await _submit(hass, result, {"name": "Bob", "number": BOB})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert _contacts(init_integration)[1] == (
        "Bob",
        {"name": "Bob", "number": BOB, "assist": False},
    )
    assert init_integration.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({"name": " ", "number": ALICE}, {"name": "invalid_name"}),
        ({"name": "A" * 101, "number": ALICE}, {"name": "invalid_name"}),
        ({"name": "Alice", "number": "5555550177"}, {"number": "invalid_number"}),
        ({"name": "Alice", "number": "sip:nobody"}, {"number": "invalid_number"}),
        (
            {"name": "Alice", "number": "sip:" + "a" * 300 + "@x"},
            {"number": "invalid_number"},
        ),
        ({"name": "Alice", "number": ALICE, "pin": "123"}, {"pin": "invalid_pin"}),
        (
            {"name": "Alice", "number": ALICE, "pin": "123456789"},
            {"pin": "invalid_pin"},
        ),
        ({"name": "Alice", "number": ALICE, "pin": "12a4"}, {"pin": "invalid_pin"}),
        # Numbers are one contact's each (SIP URIs without regard to case).
        ({"name": "Other", "number": "+15555550100"}, {"number": "number_in_use"}),
        (
            {"name": "Other", "number": "sip:CAROL@PBX.example.test"},
            {"number": "number_in_use"},
        ),
    ],
)
async def test_contact_form_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    user_input: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """What the form refuses, each on its field, translated; nothing is added."""
    await add_contact(hass, init_integration, "+15555550100", name="Us")
    await add_contact(
        hass, init_integration, "sip:carol@pbx.example.test", name="Carol"
    )
    result = await _start(hass, init_integration)
    result = await _submit(hass, result, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    for error in errors.values():
        assert CONTACT["error"][error]
    # What was typed is shown again, but never a PIN.
    suggested = {
        str(marker.schema): marker.description["suggested_value"]
        for marker in result["data_schema"].schema
        if marker.description and "suggested_value" in marker.description
    }
    assert "pin" not in suggested
    assert len(_contacts(init_integration)) == 2


async def test_edit_a_contact(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Editing keeps a PIN left empty, changes one given, removes one on request."""
    subentry_id = await add_contact(hass, init_integration, ALICE, pin="1234")
    runtime = init_integration.runtime_data

    async def edit(user_input: dict[str, Any]) -> Any:
        result = await _start(
            hass, init_integration, source="reconfigure", subentry_id=subentry_id
        )
        assert result["step_id"] == "reconfigure"
        return await _submit(hass, result, user_input)

    result = await _start(
        hass, init_integration, source="reconfigure", subentry_id=subentry_id
    )
    # The integration's page names the button that starts it (else "Configure").
    assert (
        CONTACT["initiate_flow"]["reconfigure"]
        == CONTACT["step"]["reconfigure"]["title"]
    )
    fields = [str(marker.schema) for marker in result["data_schema"].schema]
    assert fields == ["name", "number", "assist", "pin", "remove_pin"]
    assert set(fields) <= set(CONTACT["step"]["reconfigure"]["data_description"])
    suggested = {
        str(marker.schema): marker.description["suggested_value"]
        for marker in result["data_schema"].schema
        if marker.description and "suggested_value" in marker.description
    }
    assert suggested == {"name": "Alice", "number": ALICE, "assist": True}

    result = await edit({"name": "Alice B.", "number": ALICE, "assist": False})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert _contacts(init_integration) == [
        (
            "Alice B.",
            {"name": "Alice B.", "number": ALICE, "assist": False, "pin": "1234"},
        )
    ]
    await edit({"name": "Alice", "number": ALICE, "pin": "98765"})
    assert _contacts(init_integration)[0][1]["pin"] == "98765"
    await edit({"name": "Alice", "number": ALICE, "remove_pin": True})
    assert "pin" not in _contacts(init_integration)[0][1]
    # Without a PIN, there is nothing to remove.
    result = await _start(
        hass, init_integration, source="reconfigure", subentry_id=subentry_id
    )
    assert "remove_pin" not in [str(m.schema) for m in result["data_schema"].schema]
    # Its own number is no conflict; another contact's is.
    await add_contact(hass, init_integration, BOB, name="Bob")
    result = await edit({"name": "Alice", "number": BOB})
    assert result["errors"] == {"number": "number_in_use"}
    # Never reloaded: the contacts follow without one.
    assert init_integration.runtime_data is runtime
    contact = runtime.contacts.by_number(ALICE)
    assert contact is not None
    assert contact.name == "Alice"


async def test_contacts_are_devices_with_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    external_url: str,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Each contact is a device under the service device, its entities on it."""
    await set_up(hass, mock_config_entry)
    entry = mock_config_entry
    assert not entry.runtime_data.contact_platforms  # no contacts, no voice stack
    alice = await add_contact(hass, entry, ALICE)
    bob = await add_contact(hass, entry, BOB, name="Bob", assist=False)
    assert entry.runtime_data.contact_platforms

    service = _device(device_registry, entry, entry.entry_id)
    assert service is not None
    for subentry_id, name in ((alice, "Alice"), (bob, "Bob")):
        device = _device(device_registry, entry, subentry_id)
        assert device is not None
        assert device.name == name
        assert device.model == "Contact"
        assert device.via_device_id == service.id
        # Home Assistant 2026.10 gives a device one entry and subentry.
        subentries = (
            {device.config_subentry_id}
            if hasattr(device, "config_subentry_id")
            else device.config_entries_subentries[entry.entry_id]
        )
        assert subentries == {subentry_id}
        entities = er.async_entries_for_device(entity_registry, device.id)
        assert sorted(
            (entity.domain, entity.config_subentry_id) for entity in entities
        ) == [
            (Platform.ASSIST_SATELLITE, subentry_id),
            (Platform.SELECT, subentry_id),
            (Platform.SELECT, subentry_id),
        ]
    state = hass.states.get("assist_satellite.alice")
    assert state is not None
    assert state.state == "idle"
    assert hass.states.get("select.alice_assist_pipeline") is not None

    # A new name names the device.
    hass.config_entries.async_update_subentry(
        entry,
        entry.subentries[alice],
        title="Alice B.",
        data={**entry.subentries[alice].data, "name": "Alice B."},
    )
    await hass.async_block_till_done()
    device = _device(device_registry, entry, alice)
    assert device is not None
    assert device.name == "Alice B."

    # A contact removed takes its device and entities along.
    hass.config_entries.async_remove_subentry(entry, bob)
    await hass.async_block_till_done()
    assert _device(device_registry, entry, bob) is None
    assert entry.runtime_data.contacts.get(bob) is None
    assert hass.states.get("assist_satellite.bob") is None

    # Unloading unloads the contacts' platforms too; loading adds them again.
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.contact_platforms
    # (Renaming a device keeps its entities' ids.)
    assert hass.states.get("assist_satellite.alice") is not None


async def test_assist_callers_become_contacts(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, external_url: str
) -> None:
    """Entries made before contacts keep letting their numbers talk to Assist."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Bandwidth {sandbox.ACCOUNT_ID}",
        unique_id=f"{sandbox.ACCOUNT_ID}_{sandbox.APPLICATION_ID}",
        data=entry_data(bandwidth_sandbox.url),
        options={
            CONF_FROM: FROM_NUMBER,
            CONF_VOICE: "susan",
            CONF_ASSIST_CALLERS: [ALICE, BOB, ALICE.replace("77", "78")],
        },
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    # A number already a contact is not added twice.
    await add_contact(hass, entry, BOB, name="Bob", assist=False)
    await set_up(hass, entry)
    assert entry.minor_version == 3
    assert CONF_ASSIST_CALLERS not in entry.options
    assert entry.options[CONF_FROM] == FROM_NUMBER
    assert _contacts(entry) == [
        ("Bob", {"name": "Bob", "number": BOB, "assist": False}),
        (ALICE, {"name": ALICE, "number": ALICE, "assist": True}),
        (
            "+15555550178",
            {"name": "+15555550178", "number": "+15555550178", "assist": True},
        ),
    ]
    contact = entry.runtime_data.contacts.by_number(ALICE)
    assert contact is not None
    assert contact.assist


async def test_entries_without_assist_callers_migrate(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, external_url: str
) -> None:
    """An entry that never listed callers migrates to no contacts."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=entry_data(bandwidth_sandbox.url),
        options={CONF_FROM: FROM_NUMBER},
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    assert entry.minor_version == 3
    assert _contacts(entry) == []


async def test_callback_credentials_are_dropped(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, external_url: str
) -> None:
    """The Basic credentials of 0.1.0's callbacks leave storage; contacts stay."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=entry_data(
            bandwidth_sandbox.url,
            callback_username="cb-user-3f9a",
            callback_password="cb-pass-7d1e5c0b2a",
        ),
        options={CONF_FROM: FROM_NUMBER},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    await add_contact(hass, entry, BOB, name="Bob", assist=False)
    await set_up(hass, entry)
    assert entry.minor_version == 3
    assert entry.data == entry_data(bandwidth_sandbox.url)
    assert entry.options == {CONF_FROM: FROM_NUMBER}
    assert [name for name, _ in _contacts(entry)] == ["Bob"]


async def test_entries_of_a_later_version_are_not_loaded(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """A downgrade leaves an entry this version cannot read alone."""
    entry = MockConfigEntry(
        domain=DOMAIN, data=entry_data(bandwidth_sandbox.url), version=2
    )
    entry.add_to_hass(hass)
    assert not await async_migrate_entry(hass, entry)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
