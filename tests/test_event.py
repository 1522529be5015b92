"""Tests for the call event entity and its device."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from homeassistant import core
from homeassistant.components.event import ATTR_EVENT_TYPE, ATTR_EVENT_TYPES
from homeassistant.const import (
    ATTR_FRIENDLY_NAME,
    MATCH_ALL,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.bandwidth.const import (
    DOMAIN,
    EVENT_ASSIST_ENDED,
    EVENT_GATHER_COMPLETE,
    EVENT_TYPE_ASSIST_ENDED,
)
from custom_components.bandwidth.signals import async_fire_call_event

from .helpers import (
    CALL_ID,
    PATH,
    ClientFactory,
    callback,
    entity_id_of,
    live_call,
    query,
)


async def test_entity_and_device(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """One event entity, named by translation, on the entry's service device."""
    entity_id = entity_id_of(hass, init_integration)
    entity = er.async_get(hass).async_get(entity_id)
    assert entity is not None
    assert entity.translation_key == "call"
    assert entity.has_entity_name

    device = dr.async_get(hass).async_get(entity.device_id or "")
    assert device is not None
    assert device.identifiers == {(DOMAIN, init_integration.entry_id)}
    assert device.name == init_integration.title
    assert device.manufacturer == "Bandwidth"
    assert device.model == "Voice API"
    assert device.entry_type is dr.DeviceEntryType.SERVICE

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert (
        state.attributes[ATTR_FRIENDLY_NAME] == f"{init_integration.title} Call events"
    )
    assert state.attributes[ATTR_EVENT_TYPES] == [
        "received",
        "answered",
        "machine_detection_complete",
        "gather_complete",
        "transfer_answered",
        "transfer_complete",
        "assist_started",
        "assist_ended",
        "disconnected",
        "voicemail_received",
        "call_screened",
        "callback",
    ]


@pytest.mark.parametrize(
    ("bandwidth_event_type", "event_type", "extra", "attributes"),
    [
        ("answer", "answered", {"tag": "t"}, {"tag": "t"}),
        (
            "machineDetectionComplete",
            "machine_detection_complete",
            {"machineDetectionResult": {"value": "human", "duration": "PT1S"}},
            {"machine_detection_result": {"value": "human", "duration": "PT1S"}},
        ),
        (
            "gather",
            "gather_complete",
            {"digits": "42", "terminatingDigit": "#"},
            # What was typed is the bus event's only.
            {"terminating_digit": "#"},
        ),
        (
            "disconnect",
            "disconnected",
            {"cause": "busy", "errorMessage": "Callee is busy"},
            {"cause": "busy", "error_message": "Callee is busy"},
        ),
        (
            "transferComplete",
            "transfer_complete",
            {"cause": "busy", "transferTo": "+15555550123"},
            {"cause": "busy", "transfer_to": "+15555550123"},
        ),
        ("dtmf", "callback", {}, {}),
        ("conferenceCreated", "callback", {}, {}),
    ],
)
async def test_callbacks_trigger_the_entity(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    bandwidth_event_type: str,
    event_type: str,
    extra: dict[str, Any],
    attributes: dict[str, Any],
) -> None:
    """Every callback sets the entity's event type and carries its fields."""
    fired: list[Event] = []

    @core.callback
    def record(event: Event) -> None:
        fired.append(event)

    hass.bus.async_listen(MATCH_ALL, record)
    client = await hass_client_no_auth()
    response = await client.post(
        PATH,
        json=callback(bandwidth_event_type, **extra),
        params=query(live_call(init_integration)),
    )
    assert response.status in {200, 204}
    await hass.async_block_till_done()

    state = hass.states.get(entity_id_of(hass, init_integration))
    assert state is not None
    assert datetime.fromisoformat(state.state)
    assert state.attributes[ATTR_EVENT_TYPE] == event_type
    assert {
        key: value
        for key, value in state.attributes.items()
        if key not in {ATTR_EVENT_TYPES, ATTR_FRIENDLY_NAME, "icon"}
    } == {
        ATTR_EVENT_TYPE: event_type,
        "bandwidth_event_type": bandwidth_event_type,
        "event_time": "2019-06-20T15:54:25.435Z",
        "account_id": "55555555",
        "application_id": "7fc9698a-b04a-468b-9e8f-91238c0d0086",
        "from": "+15551112222",
        "to": "+15553334444",
        "direction": "outbound",
        "call_id": CALL_ID,
        "start_time": "2019-06-20T15:54:22.234Z",
        "answer_time": "2019-06-20T15:54:25.432Z",
        "config_entry_id": init_integration.entry_id,
        **attributes,
    }
    # The bus event and the state change share the callback's context.
    [bus_event] = [e for e in fired if e.event_type.startswith("bandwidth_")]
    assert state.context.id == bus_event.context.id


async def test_digits_and_transcripts_stay_on_the_bus(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """A PIN typed, or what Assist heard, never reaches the state (or history)."""
    entity_id = entity_id_of(hass, init_integration)
    gathered = async_capture_events(hass, EVENT_GATHER_COMPLETE)
    ended = async_capture_events(hass, EVENT_ASSIST_ENDED)
    client = await hass_client_no_auth()
    response = await client.post(
        PATH,
        json=callback("gather", digits="1234", terminatingDigit="#"),
        params=query(live_call(init_integration)),
    )
    assert response.status == 200
    await hass.async_block_till_done()
    [event] = gathered
    assert event.data["digits"] == "1234"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes[ATTR_EVENT_TYPE] == "gather_complete"
    assert state.attributes["terminating_digit"] == "#"
    assert "digits" not in state.attributes
    assert "1234" not in str(state.as_dict())

    turns = [{"heard": "the alarm code is 1234", "answered": "Disarmed"}]
    async_fire_call_event(
        hass,
        init_integration.entry_id,
        EVENT_ASSIST_ENDED,
        EVENT_TYPE_ASSIST_ENDED,
        {
            "call_id": CALL_ID,
            "config_entry_id": init_integration.entry_id,
            "pipeline_id": "p1",
            "reason": "goodbye",
            "turns": turns,
        },
    )
    await hass.async_block_till_done()
    [event] = ended
    assert event.data["turns"] == turns
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes[ATTR_EVENT_TYPE] == "assist_ended"
    assert state.attributes["reason"] == "goodbye"
    assert "turns" not in state.attributes
    assert "1234" not in str(state.as_dict())


async def test_unauthenticated_callbacks_leave_it_alone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """A refused request does not touch the entity."""
    client = await hass_client_no_auth()
    response = await client.post(PATH, json=callback("answer"))
    assert response.status == 401
    await hass.async_block_till_done()
    state = hass.states.get(entity_id_of(hass, init_integration))
    assert state is not None
    assert state.state == STATE_UNKNOWN


async def test_unloaded_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Unloading the entry makes the entity unavailable."""
    entity_id = entity_id_of(hass, init_integration)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
