"""bandwidth.update_call: its rules, and how a step reaches a live call."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import pytest
from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bandwidth.calls import (
    CallScript,
    CallStep,
    GatherScript,
    LiveCall,
    TransferStep,
)
from custom_components.bandwidth.const import CONF_VOICE, DOMAIN
from sandbox import Sandbox

from .helpers import (
    CALL_ID,
    PATH,
    WEBHOOK_URL,
    ClientFactory,
    assert_refused,
    callback,
    live_call,
    query,
    verbs,
)


async def update_call(hass: HomeAssistant, **data: Any) -> None:
    """Run bandwidth.update_call."""
    await hass.services.async_call(DOMAIN, "update_call", data, blocking=True)


async def document(
    client: TestClient[Any, Any],
    call: LiveCall,
    event_type: str,
    step: int | None = None,
    **extra: Any,
) -> ET.Element:
    """Post a callback of a call; return the BXML it gets."""
    params = query(call) | ({"step": str(step)} if step is not None else {})
    body = callback(event_type, call.call_id or CALL_ID, **extra)
    response = await client.post(PATH, json=body, params=params)
    assert response.status == 200
    return ET.fromstring(await response.read())  # noqa: S314 - our own output


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({"voice": "kate"}, "step_required", {"field": "message"}),
        ({}, "step_required", {"field": "message"}),
        ({"hangup": False}, "step_required", {"field": "message"}),
        (
            {"gather": {"max_digits": 1}, "hangup": True},
            "exclusive_fields",
            {"field": "hangup", "other": "gather"},
        ),
        (
            {"transfer_to": "+15555550123", "gather": {}},
            "exclusive_fields",
            {"field": "transfer_to", "other": "gather"},
        ),
        (
            {"message": "Hi", "transfer_timeout": 20},
            "transfer_to_required",
            {"field": "transfer_timeout"},
        ),
        (
            {"transfer_to": "+15555550123", "transfer_caller_id": "me"},
            "invalid_transfer_caller_id",
            {"field": "transfer_caller_id"},
        ),
        (
            {"transfer_to": [f"+1555555012{n}" for n in range(9)]},
            "destination_count",
            {"field": "transfer_to", "min": "1", "max": "8"},
        ),
        (
            {"message": "Hi", "transfer_to": "+15555550123", "transfer_timeout": 0},
            "number_range",
            {"field": "transfer_timeout", "min": "1", "max": "300"},
        ),
        ({"message": " \n "}, "text_blank", {"field": "message"}),
        ({"hangup": "yes"}, "boolean", {"field": "hangup"}),
    ],
)
async def test_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """A step that cannot be is refused, translated, and nothing is sent."""
    live_call(init_integration)
    requests = len(bandwidth_sandbox.requests)
    with pytest.raises(ServiceValidationError) as info:
        await update_call(hass, call_id=CALL_ID, **data)
    await assert_refused(hass, info.value, key, **placeholders)
    assert len(bandwidth_sandbox.requests) == requests


async def test_unknown_or_ended_call(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Whether a call is live is known here: Bandwidth is not asked."""
    requests = len(bandwidth_sandbox.requests)
    with pytest.raises(ServiceValidationError) as info:
        await update_call(hass, call_id="c-gone", message="Hello")
    assert info.value.translation_key == "call_not_live"
    assert info.value.translation_placeholders == {"call_id": "c-gone"}
    assert "c-gone" in str(info.value)
    assert len(bandwidth_sandbox.requests) == requests


@pytest.mark.parametrize("phase", ["placed", "ringing", "holding", "detecting"])
async def test_waiting_call_takes_the_step_at_its_next_round(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    hass_client_no_auth: ClientFactory,
    phase: Any,
) -> None:
    """Nothing is sent to Bandwidth; the next callback asking BXML gets the step."""
    hass.config_entries.async_update_entry(
        init_integration, options={**init_integration.options, CONF_VOICE: "kate"}
    )
    call = live_call(init_integration, CallScript(message="Hi"), phase=phase)
    requests = len(bandwidth_sandbox.requests)
    await update_call(
        hass,
        call_id=CALL_ID,
        message="Your PIN?",
        audio_url="https://example.test/beep.mp3",
        gather={"max_digits": 4},
    )
    assert len(bandwidth_sandbox.requests) == requests
    assert call.pending == CallStep(
        message="Your PIN?",
        voice="kate",
        audio_url="https://example.test/beep.mp3",
        gather=GatherScript(max_digits=4),
    )

    client = await hass_client_no_auth()
    event = "answer" if phase == "placed" else "redirect"
    root = await document(client, call, event)
    assert verbs(root) == ["SpeakSentence", "PlayAudio", "Gather"]
    assert root[0].get("voice") == "kate"
    assert call.pending is None
    assert call.phase == "playing"


async def test_playing_call_is_interrupted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    hass_client_no_auth: ClientFactory,
) -> None:
    """Bandwidth is asked to redirect the call; the step goes to that redirect."""
    response = await hass.services.async_call(
        DOMAIN,
        "create_call",
        {"to": "+15555551234", "message": "Hi"},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    call_id = response["calls"][0]["call_id"]
    call = init_integration.runtime_data.calls.by_call_id(call_id)
    assert call is not None
    # As if answered and playing its message (the sandbox plays nothing here).
    bandwidth_sandbox.calls[call_id].state = "answered"
    call.phase = "playing"

    await update_call(hass, call_id=call_id, message="Stop.", hangup=True)
    [redirect] = [
        request.json
        for request in bandwidth_sandbox.requests
        if request.method == "POST" and request.path.endswith(call_id)
    ]
    assert redirect == {
        "redirectUrl": call.callback_url(WEBHOOK_URL, step=1),
        "redirectMethod": "POST",
    }
    client = await hass_client_no_auth()
    # Whatever other callback comes first waits, silent: Bandwidth is about
    # to interrupt it.
    for event, step in (("gather", None), ("redirect", None), ("redirect", 7)):
        assert verbs(await document(client, call, event, step)) == [
            "Pause",
            "Redirect",
        ]
    root = await document(client, call, "redirect", 1)
    assert [(verb.tag, verb.text) for verb in root] == [
        ("SpeakSentence", "Stop."),
        ("Hangup", None),
    ]
    assert call.interrupt is None


async def test_interruption_refused_by_bandwidth(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """If Bandwidth will not redirect the call, the step is dropped and said so."""
    call = live_call(init_integration, phase="playing")
    # The sandbox has no such call: Bandwidth answers 404.
    with pytest.raises(HomeAssistantError) as info:
        await update_call(hass, call_id=CALL_ID, message="Stop.")
    assert info.value.translation_key == "api_error"
    assert call.pending is None
    assert call.interrupt is None


async def test_step_without_hang_up_then_waits(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """A step that neither gathers, transfers nor hangs up comes back to wait."""
    call = live_call(init_integration, phase="holding")
    call.rounds = 5
    await update_call(hass, call_id=CALL_ID, message="One moment.")
    client = await hass_client_no_auth()
    root = await document(client, call, "redirect")
    assert verbs(root) == ["SpeakSentence", "Redirect"]
    assert root[1].get("redirectUrl") == call.callback_url(WEBHOOK_URL)
    # It played to its end: the call waits again, the whole time anew.
    assert verbs(await document(client, call, "redirect")) == ["Pause", "Redirect"]
    assert call.phase == "holding"
    assert call.rounds == 10


async def test_transfer_step(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """A transfer rings its destinations together; each callback comes back here."""
    call = live_call(init_integration, phase="holding", method="GET")
    await update_call(
        hass,
        call_id=CALL_ID,
        transfer_to=["+15555550123", "sip:desk@pbx.example.test"],
        transfer_caller_id="Anonymous",
        transfer_timeout=20,
    )
    client = await hass_client_no_auth()
    params = query(call) | callback("redirect")
    response = await client.get(PATH, params=params)
    root = ET.fromstring(await response.read())  # noqa: S314 - our own output
    url = call.callback_url(WEBHOOK_URL)
    [transfer] = root
    assert transfer.attrib == {
        "transferCompleteUrl": url,
        "transferCompleteMethod": "GET",
        "transferCallerId": "Anonymous",
        "callTimeout": "20",
    }
    assert [(child.tag, child.text, child.attrib) for child in transfer] == [
        (
            tag,
            to,
            {
                "transferAnswerUrl": url,
                "transferDisconnectUrl": url,
                "transferAnswerMethod": "GET",
                "transferDisconnectMethod": "GET",
            },
        )
        for tag, to in (
            ("PhoneNumber", "+15555550123"),
            ("SipUri", "sip:desk@pbx.example.test"),
        )
    ]
    assert call.phase == "transferring"


async def test_transfer_callbacks_of_a_leg_without_parent(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """A called party's callback that names no parent call is about no call."""
    call = live_call(init_integration, phase="transferring")
    client = await hass_client_no_auth()
    response = await client.post(
        PATH, json=callback("transferDisconnect", "c-leg"), params=query(call)
    )
    assert response.status == 204


def test_stored_step_round_trip() -> None:
    """A pending step, transfer included, survives a restart."""
    call = LiveCall.create(WEBHOOK_URL, None)
    call.pending = CallStep(
        message="Hi",
        transfer=TransferStep(
            to=("+15555550123",), caller_id="+15555550100", timeout=20
        ),
    )
    call.interrupt = 3
    assert LiveCall.from_dict(call.as_dict()).pending == call.pending
    assert LiveCall.from_dict(call.as_dict()).interrupt == 3
    call.pending = CallStep(gather=GatherScript(max_digits=2), hangup=False)
    assert LiveCall.from_dict(call.as_dict()).pending == call.pending
