"""The logbook tells each call's story in plain words, translated."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bandwidth import logbook
from custom_components.bandwidth.const import (
    EVENT_ASSIST_ENDED,
    EVENT_ASSIST_STARTED,
    EVENT_CALL_ANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALL_RECEIVED,
    EVENT_CALL_SCREENED,
    EVENT_CALLBACK,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
    EVENT_TRANSFER_ANSWERED,
    EVENT_TRANSFER_COMPLETE,
    EVENT_VOICEMAIL_RECEIVED,
)

from .helpers import ALICE, EVENTS, add_contact

STRANGER = "+17045550199"
ABROAD = "+442071838750"


def describers(hass: HomeAssistant) -> dict[str, Any]:
    """The describer of each event, as the logbook is told them."""
    found: dict[str, Any] = {}

    def describe(domain: str, event_type: str, describer: Any) -> None:
        assert domain == "bandwidth"
        found[event_type] = describer

    logbook.async_describe_events(hass, describe)
    return found


def outbound(to: str = STRANGER, **data: Any) -> dict[str, Any]:
    """Event data of a call placed."""
    return {"direction": "outbound", "from": "+15555550100", "to": to, **data}


def inbound(caller: str = STRANGER, **data: Any) -> dict[str, Any]:
    """Event data of a call received."""
    return {"direction": "inbound", "from": caller, "to": "+15555550100", **data}


MACHINE = {"machine_detection_result": {"value": "answering-machine"}}


@pytest.mark.parametrize(
    ("event_type", "data", "told"),
    [
        (EVENT_CALL_RECEIVED, inbound(caller_verified=True), "+1 704 555 0199 called"),
        (
            EVENT_CALL_RECEIVED,
            inbound(caller_verified=False, contact="Bob"),
            "Bob called (caller ID not verified)",
        ),
        (EVENT_CALL_ANSWERED, outbound(), "+1 704 555 0199 answered"),
        (EVENT_CALL_ANSWERED, outbound(**MACHINE), "+1 704 555 0199 went to voicemail"),
        (
            EVENT_MACHINE_DETECTION_COMPLETE,
            outbound(ABROAD, **MACHINE),
            "+442071838750 went to voicemail",
        ),
        (
            EVENT_MACHINE_DETECTION_COMPLETE,
            outbound(machine_detection_result={"value": "human"}),
            "+1 704 555 0199 answered in person",
        ),
        (
            EVENT_MACHINE_DETECTION_COMPLETE,
            outbound(machine_detection_result={"value": "silence"}),
            "+1 704 555 0199 answered; machine detection could not tell who",
        ),
        (
            EVENT_MACHINE_DETECTION_COMPLETE,
            outbound(),
            "+1 704 555 0199 answered; machine detection could not tell who",
        ),
        (EVENT_GATHER_COMPLETE, outbound(digits="1"), "+1 704 555 0199 pressed 1"),
        (
            EVENT_GATHER_COMPLETE,
            outbound(digits="1234"),
            "+1 704 555 0199 entered 4 digits",
        ),
        (EVENT_GATHER_COMPLETE, outbound(digits=""), "+1 704 555 0199 pressed nothing"),
        (
            EVENT_GATHER_COMPLETE,
            inbound(pin_valid=True),
            "+1 704 555 0199 entered a valid PIN",
        ),
        (
            EVENT_GATHER_COMPLETE,
            inbound(pin_valid=False),
            "+1 704 555 0199 entered a wrong PIN",
        ),
        (
            EVENT_TRANSFER_ANSWERED,
            outbound(),
            "+1 704 555 0199 was connected by a transfer",
        ),
        (EVENT_TRANSFER_COMPLETE, outbound(), "+1 704 555 0199 transfer ended"),
        (
            EVENT_ASSIST_STARTED,
            {"contact": "Alice"},
            "Alice started talking to Assist",
        ),
        (
            EVENT_ASSIST_ENDED,
            {"contact": "Alice", "turns": [{}, {}, {}, {}]},
            "Alice talked to Assist (4 turns)",
        ),
        (EVENT_ASSIST_ENDED, {"turns": None}, "Someone talked to Assist (0 turns)"),
        (
            EVENT_CALL_DISCONNECTED,
            outbound(answer_time="t", cause="hangup"),
            "+1 704 555 0199 call ended",
        ),
        (
            EVENT_CALL_DISCONNECTED,
            inbound(cause="hangup"),
            "+1 704 555 0199 called; nobody answered",
        ),
        (
            EVENT_CALL_DISCONNECTED,
            outbound(cause="timeout"),
            "+1 704 555 0199 did not answer",
        ),
        (EVENT_CALL_DISCONNECTED, outbound(cause="busy"), "+1 704 555 0199 was busy"),
        (
            EVENT_CALL_DISCONNECTED,
            outbound(cause="rejected"),
            "+1 704 555 0199 rejected the call",
        ),
        (
            EVENT_CALL_DISCONNECTED,
            outbound(cause="cancel"),
            "+1 704 555 0199 was not reached: the call was cancelled while ringing",
        ),
        (
            EVENT_CALL_DISCONNECTED,
            outbound(cause="error"),
            "+1 704 555 0199 could not be reached (error)",
        ),
        (
            EVENT_CALL_DISCONNECTED,
            outbound(answer_time="t", cause="application-error"),
            "+1 704 555 0199 could not be reached (application-error)",
        ),
        (
            EVENT_VOICEMAIL_RECEIVED,
            {"from": STRANGER, "to": "+15555550100", "duration": 12.4},
            "+1 704 555 0199 left a voicemail message (12 s)",
        ),
        (
            EVENT_VOICEMAIL_RECEIVED,
            {"from": None, "duration": None},
            "Someone left a voicemail message (0 s)",
        ),
        (
            EVENT_CALL_SCREENED,
            {"from": STRANGER, "reason": "It's Sam, about your car."},
            "+1 704 555 0199 was asked who is calling (call screening)",
        ),
        (
            EVENT_CALLBACK,
            outbound(event_type="conferenceCreated"),
            "+1 704 555 0199 got a conferenceCreated callback",
        ),
    ],
)
async def test_descriptions(
    hass: HomeAssistant, event_type: str, data: dict[str, Any], told: str
) -> None:
    """Each event in plain words: who, then what happened."""
    await async_get_translations(hass, "en", "common", {"bandwidth"})
    described = describers(hass)[event_type](Event(event_type, data))
    assert f"{described['name']} {described['message']}" == told
    assert described["icon"] == "mdi:phone-log"


async def test_every_event_is_described(hass: HomeAssistant) -> None:
    """Every event the integration fires has its words."""
    assert sorted(describers(hass)) == sorted(EVENTS)


async def test_contacts_by_number(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A contact's number is named after the contact, on a loaded entry."""
    await add_contact(hass, init_integration, ALICE, name="Alice", assist=False)
    await async_get_translations(hass, "en", "common", {"bandwidth"})
    describe = describers(hass)[EVENT_CALL_ANSWERED]
    entry_id = init_integration.entry_id
    data = outbound(ALICE, config_entry_id=entry_id)
    assert describe(Event(EVENT_CALL_ANSWERED, data))["name"] == "Alice"
    data = outbound(STRANGER, config_entry_id=entry_id)
    assert describe(Event(EVENT_CALL_ANSWERED, data))["name"] == "+1 704 555 0199"
    assert await hass.config_entries.async_unload(entry_id)
    data = outbound(ALICE, config_entry_id=entry_id)
    assert describe(Event(EVENT_CALL_ANSWERED, data))["name"] == "+1 704 555 0100"


async def test_translated(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    """The words are Home Assistant's language's, else English, else their key."""
    describe = describers(hass)[EVENT_CALL_ANSWERED]
    event = Event(EVENT_CALL_ANSWERED, outbound(cause="busy"))
    hass.config.language = "fr"
    await async_get_translations(hass, "fr", "common", {"bandwidth"})
    assert describe(event)["message"] == "answered"
    # Nothing cached: the key, never a crash.
    monkeypatch.setattr(logbook, "async_get_cached_translations", lambda *_: {})
    assert describe(Event(EVENT_CALL_ANSWERED, {}))["name"] == "someone"
