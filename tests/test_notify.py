"""Tests for the Phone call notify entity."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from homeassistant.components.notify import (
    ATTR_TITLE,
    NotifyEntityFeature,
)
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    ATTR_FRIENDLY_NAME,
    ATTR_SUPPORTED_FEATURES,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

import sandbox
from custom_components.bandwidth.calls import CallScript
from custom_components.bandwidth.const import (
    CONF_FROM,
    CONF_NOTIFY_TO,
    CONF_VOICE,
    DOMAIN,
)
from custom_components.bandwidth.notify import spoken_text
from sandbox import Sandbox

from .helpers import (
    FROM_NUMBER,
    INBOUND_SECRET,
    WEBHOOK_URL,
    assert_refused,
    created_bodies,
    notify_entity_id,
    script_of,
    send_message,
)

RECIPIENTS = ["+15555551234", "sip:alarm@pbx.example.test"]


def set_options(hass: HomeAssistant, entry: MockConfigEntry, **options: Any) -> None:
    """Replace the entry's options (applied at once, no reload)."""
    hass.config_entries.async_update_entry(entry, options=options)


async def test_entity_and_device(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """One notify entity, named by translation, on the call events' device."""
    entity_id = notify_entity_id(hass, init_integration)
    registry = er.async_get(hass)
    entity = registry.async_get(entity_id)
    assert entity is not None
    assert entity.translation_key == "phone_call"
    assert entity.has_entity_name
    event_entity_id = registry.async_get_entity_id(
        "event", DOMAIN, f"{init_integration.entry_id}_call"
    )
    assert event_entity_id is not None
    event_entity = registry.async_get(event_entity_id)
    assert event_entity is not None
    assert entity.device_id == event_entity.device_id

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert (
        state.attributes[ATTR_FRIENDLY_NAME] == f"{init_integration.title} Phone call"
    )
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == NotifyEntityFeature.TITLE


async def test_send_message_calls_every_recipient(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Each default recipient is called; the title and message are spoken."""
    entry = init_integration
    set_options(
        hass,
        entry,
        **{CONF_FROM: FROM_NUMBER, CONF_VOICE: "kate", CONF_NOTIFY_TO: RECIPIENTS},
    )
    await send_message(hass, entry, "Motion in the garage.", **{ATTR_TITLE: "Alarm"})

    bodies = created_bodies(bandwidth_sandbox)
    assert sorted(body["to"] for body in bodies) == sorted(RECIPIENTS)
    for body in bodies:
        assert body["answerUrl"].startswith(f"{WEBHOOK_URL}?ref=")
        assert body == {
            "to": body["to"],
            "from": FROM_NUMBER,
            "applicationId": sandbox.APPLICATION_ID,
            "answerUrl": body["answerUrl"],
            "disconnectUrl": body["answerUrl"],
            "machineDetection": {
                "mode": "async",
                "delayResult": True,
                "callbackUrl": body["answerUrl"],
            },
        }
    spoken = "Alarm. Motion in the garage."
    for call_id in bandwidth_sandbox.calls:
        assert script_of(entry, call_id) == CallScript(
            message=spoken, machine_message=spoken, voice="kate"
        )
    state = hass.states.get(notify_entity_id(hass, entry))
    assert state is not None
    assert state.state != STATE_UNKNOWN


async def test_send_message_without_voice_or_title(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Without a default voice Bandwidth's own is used; the message alone is spoken."""
    entry = init_integration
    set_options(hass, entry, **{CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: RECIPIENTS[:1]})
    await send_message(hass, entry, "  Water leak in the basement.  ")

    (call_id,) = bandwidth_sandbox.calls
    assert script_of(entry, call_id) == CallScript(
        message="Water leak in the basement.",
        machine_message="Water leak in the basement.",
    )


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({CONF_FROM: FROM_NUMBER}, "notify_to_required"),
        ({CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: []}, "notify_to_required"),
        ({CONF_NOTIFY_TO: RECIPIENTS}, "from_required"),
        # Saved before Bandwidth wanted a number even with privacy.
        ({CONF_FROM: "Anonymous", CONF_NOTIFY_TO: RECIPIENTS}, "invalid_default_from"),
        ({CONF_FROM: "private", CONF_NOTIFY_TO: RECIPIENTS}, "invalid_default_from"),
        # Saved before the options form checked voices.
        (
            {CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: RECIPIENTS, CONF_VOICE: "a b"},
            "invalid_default_voice",
        ),
    ],
)
async def test_missing_or_refused_options(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    options: dict[str, Any],
    key: str,
) -> None:
    """Without recipients or a valid caller number nothing is sent; the user is told why."""
    set_options(hass, init_integration, **options)
    with pytest.raises(ServiceValidationError) as info:
        await send_message(hass, init_integration, "Hello")
    message = await assert_refused(hass, info.value, key)
    assert "options" in message
    assert created_bodies(bandwidth_sandbox) == []


@pytest.mark.parametrize(
    ("message", "title", "key", "placeholders"),
    [
        ("", None, "text_empty", {}),
        ("  ", " ", "text_empty", {}),
        ("\x00\u200b", None, "text_blank", {}),
        ("\x07", "\n", "text_blank", {}),
        ("x" * 9995, "Alarm", "text_too_long", {"max": "10000"}),
    ],
)
async def test_invalid_text(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    message: str,
    title: str | None,
    key: str,
    placeholders: dict[str, str],
) -> None:
    """Nothing to say, or more than Bandwidth speaks, is refused before calling."""
    set_options(
        hass, init_integration, **{CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: RECIPIENTS}
    )
    data = {} if title is None else {ATTR_TITLE: title}
    with pytest.raises(ServiceValidationError) as info:
        await send_message(hass, init_integration, message, **data)
    await assert_refused(hass, info.value, key, field="message", **placeholders)
    assert created_bodies(bandwidth_sandbox) == []


async def test_longest_text(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Exactly as much text as Bandwidth speaks is sent."""
    set_options(
        hass, init_integration, **{CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: RECIPIENTS}
    )
    await send_message(hass, init_integration, "x" * 9993, **{ATTR_TITLE: "Alarm"})
    assert len(created_bodies(bandwidth_sandbox)) == 2


async def test_some_recipients_fail(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A recipient Bandwidth refuses is logged; the others are still called."""
    set_options(
        hass,
        init_integration,
        **{CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: ["+15555551234", "+1"]},
    )
    with caplog.at_level(logging.WARNING):
        await send_message(hass, init_integration, "Hello")
    assert [call.request["to"] for call in bandwidth_sandbox.calls.values()] == [
        "+15555551234"
    ]
    assert "Could not call +1: Invalid to" in caplog.text
    assert INBOUND_SECRET not in caplog.text


async def test_all_recipients_fail(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """When no call could be placed the action raises Bandwidth's reason."""
    set_options(
        hass, init_integration, **{CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: ["+1"]}
    )
    with pytest.raises(HomeAssistantError) as info:
        await send_message(hass, init_integration, "Hello")
    assert info.value.translation_key == "api_error"
    assert info.value.translation_placeholders is not None
    assert info.value.translation_placeholders["status"] == "400"
    assert bandwidth_sandbox.calls == {}


async def test_refused_credentials_start_reauth(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Refused credentials raise and start re-authentication, as actions do."""
    set_options(
        hass, init_integration, **{CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: RECIPIENTS}
    )
    bandwidth_sandbox.revoke_tokens()
    bandwidth_sandbox.client_secret = "rotated"
    with pytest.raises(HomeAssistantError) as info:
        await send_message(hass, init_integration, "Hello")
    assert info.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_no_external_url(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Without a URL Bandwidth can reach, no call is placed."""
    await async_process_ha_core_config(
        hass, {"internal_url": "http://192.168.1.2:8123"}
    )
    mock_config_entry.add_to_hass(hass)
    set_options(
        hass,
        mock_config_entry,
        **{CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: RECIPIENTS},
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(HomeAssistantError) as info:
        await send_message(hass, mock_config_entry, "Hello")
    assert info.value.translation_key == "no_external_url"
    assert created_bodies(bandwidth_sandbox) == []


async def test_live_call_speaks_the_message(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    live_sandbox: Sandbox,
) -> None:
    """Through the sandbox: a person hears the title and message, then the call ends."""
    set_options(
        hass,
        init_integration,
        **{CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: RECIPIENTS[:1]},
    )
    await send_message(
        hass, init_integration, "The front door is open.", **{ATTR_TITLE: "Home"}
    )
    (call_id,) = live_sandbox.calls
    call = await live_sandbox.wait_for_call(call_id)
    assert call.spoken == ["Home. The front door is open."]
    assert call.disconnect_cause == "hangup"


@pytest.mark.parametrize(
    ("message", "title", "spoken"),
    [
        ("Hello", None, "Hello"),
        ("Hello", "", "Hello"),
        ("Hello", "  ", "Hello"),
        (" Hello ", " Alarm ", "Alarm. Hello"),
        ("Hello", "Alarm!", "Alarm! Hello"),
        ("Hello", "Alarm:", "Alarm: Hello"),
        ("", "Alarm", "Alarm"),
    ],
)
def test_spoken_text(message: str, title: str | None, spoken: str) -> None:
    """The title becomes its own sentence before the message."""
    assert spoken_text(message, title) == spoken
