"""Tests for the device triggers of a Bandwidth Voice entry."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
    async_mock_service,
)

from custom_components.bandwidth import device_trigger
from custom_components.bandwidth.const import DOMAIN, EVENT_CALL_ANSWERED

from .helpers import CALL_ID, PATH, ClientFactory, callback, live_call, query, rendered

TRIGGER_TYPES = [
    "call_received",
    "answered",
    "answered_human",
    "answered_machine",
    "digits_received",
    "transfer_answered",
    "transfer_complete",
    "assist_started",
    "assist_ended",
    "call_ended",
    "voicemail_received",
    "call_screened",
]


def device_id_of(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the id of the entry's service device."""
    [device] = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert device.identifiers == {(DOMAIN, entry.entry_id)}
    return device.id


async def test_get_triggers(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry's device offers every call trigger."""
    device_id = device_id_of(hass, init_integration)
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device_id
    )
    # The sensors' own triggers (Missed calls changes) are the sensor domain's.
    assert [
        {key: value for key, value in trigger.items() if key != "metadata"}
        for trigger in triggers
        if trigger["domain"] == DOMAIN
    ] == [
        {
            "platform": "device",
            "domain": DOMAIN,
            "device_id": device_id,
            "type": trigger_type,
        }
        for trigger_type in TRIGGER_TYPES
    ]


async def test_no_triggers_for_other_devices(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Devices of other integrations, or none at all, offer nothing."""
    other_entry = MockConfigEntry(domain="other")
    other_entry.add_to_hass(hass)
    other = dr.async_get(hass).async_get_or_create(
        config_entry_id=other_entry.entry_id, identifiers={("other", "x")}
    )
    assert await device_trigger.async_get_triggers(hass, other.id) == []
    assert await device_trigger.async_get_triggers(hass, "no-such-device") == []


async def test_attach_to_an_unknown_device(hass: HomeAssistant) -> None:
    """A trigger for a device that is gone cannot be attached."""
    assert await async_setup_component(hass, DOMAIN, {})
    config = {
        "platform": "device",
        "domain": DOMAIN,
        "device_id": "no-such-device",
        "type": "answered",
    }
    with pytest.raises(InvalidDeviceAutomationConfig) as err:
        await device_trigger.async_attach_trigger(
            hass,
            config,
            lambda *_: None,  # type: ignore[arg-type,return-value]
            {"trigger_data": {}, "variables": {}},  # type: ignore[typeddict-item]
        )
    assert err.value.translation_key == "not_a_bandwidth_device"
    assert "no-such-device" in await rendered(hass, err.value)


@pytest.fixture
async def automations(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> list[ServiceCall]:
    """One automation per trigger type, recording what it was given."""
    calls = async_mock_service(hass, "test", "automation")
    device_id = device_id_of(hass, init_integration)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "id": trigger_type,
                    "alias": trigger_type,
                    "triggers": [
                        {
                            "platform": "device",
                            "domain": DOMAIN,
                            "device_id": device_id,
                            "type": trigger_type,
                        }
                    ],
                    "actions": [
                        {
                            "action": "test.automation",
                            "data": {
                                "type": trigger_type,
                                "event_type": "{{ trigger.event.data.event_type }}",
                                "call_id": "{{ trigger.event.data.call_id }}",
                                "detail": (
                                    "{{ trigger.event.data.digits"
                                    " or trigger.event.data.cause"
                                    " or (trigger.event.data.machine_detection_result"
                                    " or {}).value }}"
                                ),
                            },
                        }
                    ],
                }
                for trigger_type in TRIGGER_TYPES
            ]
        },
    )
    await hass.async_block_till_done()
    return calls


def fired(calls: list[ServiceCall]) -> list[tuple[str, str, str]]:
    """Return (trigger type, Bandwidth eventType, detail) of each run."""
    assert all(call.data["call_id"] == CALL_ID for call in calls)
    return sorted(
        (call.data["type"], call.data["event_type"], str(call.data["detail"]))
        for call in calls
    )


async def test_triggers_fire(
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    automations: list[ServiceCall],
) -> None:
    """Each callback runs the automations of its trigger, with its data."""
    client = await hass_client_no_auth()

    async def post(body: dict[str, Any]) -> list[tuple[str, str, str]]:
        [entry] = hass.config_entries.async_entries(DOMAIN)
        response = await client.post(PATH, json=body, params=query(live_call(entry)))
        assert response.status in {200, 204}
        await hass.async_block_till_done()
        result = fired(automations)
        automations.clear()
        return result

    def detection(value: str) -> dict[str, Any]:
        return {"machineDetectionResult": {"value": value, "duration": "PT4S"}}

    assert await post(callback("answer")) == [("answered", "answer", "")]
    assert await post(callback("answer", **detection("human"))) == [
        ("answered", "answer", "human"),
        ("answered_human", "answer", "human"),
    ]
    assert await post(callback("answer", **detection("answering-machine"))) == [
        ("answered", "answer", "answering-machine"),
        ("answered_machine", "answer", "answering-machine"),
    ]
    assert await post(callback("machineDetectionComplete", **detection("human"))) == [
        ("answered_human", "machineDetectionComplete", "human")
    ]
    for value in ("answering-machine", "tone-detected"):
        assert await post(callback("machineDetectionComplete", **detection(value))) == [
            ("answered_machine", "machineDetectionComplete", value)
        ]
    for value in ("silence", "timeout", "error"):
        assert (
            await post(callback("machineDetectionComplete", **detection(value))) == []
        )
    assert await post(callback("gather", digits="42", terminatingDigit="#")) == [
        ("digits_received", "gather", "42")
    ]
    assert await post(callback("disconnect", cause="busy")) == [
        ("call_ended", "disconnect", "busy")
    ]
    assert await post(callback("redirect")) == []


async def test_triggers_only_for_their_entry(
    hass: HomeAssistant, automations: list[ServiceCall]
) -> None:
    """Events of another entry leave the device's automations alone."""
    hass.bus.async_fire(
        EVENT_CALL_ANSWERED,
        {"event_type": "answer", "call_id": CALL_ID, "config_entry_id": "other"},
    )
    await hass.async_block_till_done()
    assert automations == []


async def test_detached_when_automation_is_off(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    automations: list[ServiceCall],
) -> None:
    """Turning an automation off detaches every listener of its trigger."""
    await hass.services.async_call(
        automation.DOMAIN,
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: "all"},
        blocking=True,
    )
    data = {
        "event_type": "answer",
        "call_id": CALL_ID,
        "config_entry_id": init_integration.entry_id,
        "machine_detection_result": {"value": "human", "duration": "PT1S"},
    }
    hass.bus.async_fire(EVENT_CALL_ANSWERED, data)
    await hass.async_block_till_done()
    assert automations == []
