"""How create_call turns into Bandwidth calls: bodies, live calls, limits."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

import sandbox
from custom_components.bandwidth import bxml
from custom_components.bandwidth.calls import CallScript, GatherScript, LiveCall
from sandbox import Sandbox

from .helpers import (
    FROM_NUMBER,
    INBOUND_SECRET,
    WEBHOOK_ID,
    WEBHOOK_URL,
    create_call,
    created_bodies,
)

TO = "+15555551234"


def live(entry: MockConfigEntry, call_id: str) -> LiveCall:
    """The entry's live call of an id."""
    call = entry.runtime_data.calls.by_call_id(call_id)
    assert call is not None
    return call


def is_call_url(url: str, call: LiveCall) -> bool:
    """Tell whether a URL is the webhook's, with the call's ref and secret."""
    parsed = URL(url)
    return str(parsed.with_query(None)) == WEBHOOK_URL and dict(parsed.query) == {
        "ref": call.ref,
        "key": call.secret,
    }


async def test_minimal_call(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Only `to`: the entry fills from, application and the call's webhook URL."""
    response = await create_call(hass, to=TO)

    (body,) = created_bodies(bandwidth_sandbox)
    (call_id,) = bandwidth_sandbox.calls
    call = live(init_integration, call_id)
    assert body == {
        "to": TO,
        "from": FROM_NUMBER,
        "applicationId": sandbox.APPLICATION_ID,
        "answerUrl": body["answerUrl"],
        "disconnectUrl": body["answerUrl"],
    }
    assert is_call_url(body["answerUrl"], call)
    assert call.script is None
    sandbox_call = bandwidth_sandbox.calls[call_id]
    assert response == {
        "calls": [
            {
                "call_id": call_id,
                "call_url": sandbox_call.call_url,
                "account_id": sandbox.ACCOUNT_ID,
                "application_id": sandbox.APPLICATION_ID,
                "to": TO,
                "from": FROM_NUMBER,
                "answer_method": "POST",
                "answer_fallback_method": "POST",
                "disconnect_method": "POST",
                "enqueued_time": sandbox_call.enqueued_time,
                "call_timeout": 30,
                "callback_timeout": 15,
                "priority": 5,
            }
        ]
    }
    # No secret comes back in the result.
    for secret in (WEBHOOK_ID, call.secret, INBOUND_SECRET):
        assert secret not in str(response)


async def test_message_is_remembered_for_the_answer(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """What Home Assistant says is kept per call; the voice defaults to the option."""
    response = await create_call(
        hass,
        to=TO,
        message="The alarm went off",
        audio_url="https://example.test/siren.mp3",
        gather={"prompt": "Press 1", "max_digits": 1, "terminating_digits": "#"},
    )
    call = live(init_integration, response["calls"][0]["call_id"])
    assert call.script == CallScript(
        message="The alarm went off",
        voice="susan",
        audio_url="https://example.test/siren.mp3",
        gather=GatherScript(prompt="Press 1", max_digits=1, terminating_digits="#"),
    )
    assert call.webhook_url == WEBHOOK_URL
    assert call.machine_detection is None
    assert "machineDetection" not in created_bodies(bandwidth_sandbox)[0]
    # The answer is built before the call is placed: nothing left to do then.
    assert set(call.documents) == {False, True}


async def test_one_answer_for_a_person_and_a_machine(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Without a voicemail message or digits, both are answered alike: built once."""
    response = await create_call(hass, to=TO, message="The alarm went off")
    call = live(init_integration, response["calls"][0]["call_id"])
    assert call.documents[True] is call.documents[False]
    assert call.script is not None
    url = call.callback_url(WEBHOOK_URL)
    assert call.documents[True] == bxml.play_script(
        call.script, machine=True, gather_url=url
    )


async def test_every_field(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Every field reaches Bandwidth under the spec's name."""
    await create_call(
        hass,
        config_entry_id=init_integration.entry_id,
        to=[TO],
        **{"from": "+15555550111"},
        application_id=sandbox.APPLICATION_ID,
        answer_url="https://my.example.test/answer",
        answer_method="GET",
        answer_fallback_url="https://my.example.test/fallback",
        answer_fallback_method="POST",
        disconnect_url="https://my.example.test/disconnect",
        disconnect_method="GET",
        username="me",
        password="my-secret",
        fallback_username="fb",
        fallback_password="fb-secret",
        call_timeout=12.5,
        callback_timeout=7.5,
        tag="alarm",
        uui="aGVsbG8;encoding=base64,abcd;encoding=hex",
        privacy=True,
        display_name="Anonymous",
        priority=1,
        machine_detection={
            "mode": "async",
            "detection_timeout": 20,
            "silence_timeout": 8,
            "speech_threshold": 9,
            "speech_end_threshold": 4,
            "machine_speech_end_threshold": 3,
            "delay_result": False,
            "callback_url": "https://my.example.test/md",
            "callback_method": "GET",
            "fallback_url": "https://my.example.test/md-fallback",
            "fallback_method": "POST",
            "username": "md",
            "password": "md-secret",
            "fallback_username": "mdfb",
            "fallback_password": "mdfb-secret",
        },
    )
    assert created_bodies(bandwidth_sandbox) == [
        {
            "to": TO,
            "from": "+15555550111",
            "applicationId": sandbox.APPLICATION_ID,
            "answerUrl": "https://my.example.test/answer",
            "answerMethod": "GET",
            "answerFallbackUrl": "https://my.example.test/fallback",
            "answerFallbackMethod": "POST",
            "disconnectUrl": "https://my.example.test/disconnect",
            "disconnectMethod": "GET",
            "username": "me",
            "password": "my-secret",
            "fallbackUsername": "fb",
            "fallbackPassword": "fb-secret",
            "callTimeout": 12.5,
            "callbackTimeout": 7.5,
            "tag": "alarm",
            "uui": "aGVsbG8;encoding=base64,abcd;encoding=hex",
            "privacy": True,
            "displayName": "Anonymous",
            "priority": 1,
            "machineDetection": {
                "mode": "async",
                "detectionTimeout": 20,
                "silenceTimeout": 8,
                "speechThreshold": 9,
                "speechEndThreshold": 4,
                "machineSpeechEndThreshold": 3,
                "delayResult": False,
                "callbackUrl": "https://my.example.test/md",
                "callbackMethod": "GET",
                "fallbackUrl": "https://my.example.test/md-fallback",
                "fallbackMethod": "POST",
                "username": "md",
                "password": "md-secret",
                "fallbackUsername": "mdfb",
                "fallbackPassword": "mdfb-secret",
            },
        }
    ]
    # Nothing points at Home Assistant, so there is nothing to remember.
    assert init_integration.runtime_data.calls.active_calls == 0


async def test_machine_message_turns_on_detection(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A voicemail message asks for async detection after the greeting, to the call."""
    response = await create_call(
        hass, to=TO, message="Alarm!", machine_message="Alarm at home", voice="paul"
    )
    (body,) = created_bodies(bandwidth_sandbox)
    call = live(init_integration, response["calls"][0]["call_id"])
    assert body["machineDetection"] == {
        "mode": "async",
        "delayResult": True,
        "callbackUrl": body["answerUrl"],
    }
    assert is_call_url(body["answerUrl"], call)
    assert call.script == CallScript(
        message="Alarm!", voice="paul", machine_message="Alarm at home"
    )
    assert call.machine_detection == "async"


async def test_machine_detection_defaults(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Detection defaults to async mode reporting to the call; sync has no callback."""
    await create_call(hass, to=TO, machine_detection={})
    await create_call(hass, to="+15555551235", machine_detection={"mode": "sync"})
    await create_call(
        hass,
        to="+15555551236",
        machine_message="Hi",
        machine_detection={"delay_result": False},
    )
    first, second, third = created_bodies(bandwidth_sandbox)
    assert first["machineDetection"] == {
        "mode": "async",
        "callbackUrl": first["answerUrl"],
    }
    assert second["machineDetection"] == {"mode": "sync"}
    assert third["machineDetection"]["delayResult"] is False


async def test_own_answer_url(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """The user's answer URL gets no secret; the call's disconnect comes here."""
    response = await create_call(hass, to=TO, answer_url="https://my.example.test/bxml")
    (body,) = created_bodies(bandwidth_sandbox)
    call = live(init_integration, response["calls"][0]["call_id"])
    assert body["answerUrl"] == "https://my.example.test/bxml"
    assert is_call_url(body["disconnectUrl"], call)
    assert "username" not in body
    assert "password" not in body
    assert call.script is None


async def test_user_credentials_go_only_where_the_user_says(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """The user's credentials are passed on as given, nothing added."""
    await create_call(
        hass,
        to=TO,
        answer_url="https://my.example.test/bxml",
        username="me",
        password="pw",
        machine_detection={"username": "md", "password": "x"},
    )
    (body,) = created_bodies(bandwidth_sandbox)
    assert (body["username"], body["password"]) == ("me", "pw")
    assert body["machineDetection"]["username"] == "md"
    assert body["machineDetection"]["callbackUrl"] == body["disconnectUrl"]


async def test_no_callbacks_to_home_assistant(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """With every URL the user's, nothing is registered or invented."""
    await create_call(
        hass,
        to=TO,
        answer_url="https://my.example.test/a",
        disconnect_url="https://my.example.test/d",
        machine_detection={"mode": "sync"},
    )
    (body,) = created_bodies(bandwidth_sandbox)
    assert "username" not in body
    assert "password" not in body
    assert init_integration.runtime_data.calls.active_calls == 0


async def test_only_detection_comes_here(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """User URLs with async detection: the call is registered for that callback."""
    await create_call(
        hass,
        to=TO,
        answer_url="https://my.example.test/a",
        disconnect_url="https://my.example.test/d",
        machine_detection={},
    )
    (body,) = created_bodies(bandwidth_sandbox)
    (call_id,) = bandwidth_sandbox.calls
    assert is_call_url(
        body["machineDetection"]["callbackUrl"], live(init_integration, call_id)
    )


async def test_own_disconnect_url(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """A message with the user's disconnect URL: the answer comes to the call URL."""
    response = await create_call(
        hass, to=TO, message="Hi", disconnect_url="https://my.example.test/end"
    )
    (body,) = created_bodies(bandwidth_sandbox)
    call = live(init_integration, response["calls"][0]["call_id"])
    assert is_call_url(body["answerUrl"], call)
    assert body["disconnectUrl"] == "https://my.example.test/end"


async def test_get_answer_method(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A call answered by GET gathers and holds by GET too."""
    response = await create_call(hass, to=TO, message="Hi", answer_method="GET")
    assert live(init_integration, response["calls"][0]["call_id"]).method == "GET"
    response = await create_call(
        hass,
        to="+15555551235",
        answer_url="https://my.example.test/a",
        answer_method="GET",
    )
    assert live(init_integration, response["calls"][0]["call_id"]).method == "POST"


async def test_several_destinations_in_order(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """One call per destination, each its own URL, one token, results in order."""
    destinations = [f"+1555555{n:04d}" for n in range(20)]
    destinations[3] = "sip:door@pbx.example.test"
    response = await create_call(hass, to=destinations, message="Fire")
    assert [item["to"] for item in response["calls"]] == destinations
    assert len(bandwidth_sandbox.calls) == 20
    assert bandwidth_sandbox.token_requests == 1  # the one from setup
    calls = [live(init_integration, item["call_id"]) for item in response["calls"]]
    assert len({call.ref for call in calls}) == 20
    assert len({call.secret for call in calls}) == 20


@pytest.mark.parametrize(
    "data",
    [
        {"message": "&" * 10000, "gather": {"prompt": "<" * 10000}},
        {
            "message": "&" * 10000,
            "audio_url": "https://example.test/a.mp3?" + "&" * 1900,
            "gather": {"prompt": "&" * 2000},
        },
    ],
)
async def test_answer_larger_than_bandwidth_accepts(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    data: dict[str, Any],
) -> None:
    """A document beyond 64 KB once escaped is refused before anything is sent."""
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=[TO, "+15555551235"], **data)
    assert info.value.translation_key == "bxml_too_large"
    placeholders = info.value.translation_placeholders or {}
    assert int(placeholders["size"]) > int(placeholders["max_size"]) == 64000
    assert created_bodies(bandwidth_sandbox) == []
    assert init_integration.runtime_data.calls.active_calls == 0


async def test_answer_at_the_limit(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A document of 64,000 bytes is sent, one byte more is not: "64 KB" at its least."""
    # The message escaped is 50,000 bytes, each & of the prompt 5, the rest 319.
    prompt = "&" * 2736 + "a"
    await create_call(hass, to=TO, message="&" * 10000, gather={"prompt": prompt})
    assert len(bandwidth_sandbox.calls) == 1

    with pytest.raises(ServiceValidationError) as info:
        await create_call(
            hass, to=TO, message="&" * 10000, gather={"prompt": prompt + "a"}
        )
    assert info.value.translation_placeholders == {
        "size": "64001",
        "max_size": "64000",
    }
    assert len(bandwidth_sandbox.calls) == 1


async def test_answer_just_under_the_limit(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """The same text unescaped fits: what counts is the document Bandwidth gets."""
    await create_call(hass, to=TO, message="a" * 10000, gather={"prompt": "b" * 10000})
    assert len(bandwidth_sandbox.calls) == 1


async def test_refused_call_to_user_urls(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A refused call of the user's own URLs leaves nothing behind either."""
    bandwidth_sandbox.fail_next(
        400, {"type": "validation", "description": "No"}, path_contains="/calls"
    )
    response = await create_call(
        hass,
        to=[TO, "+15555551235"],
        answer_url="https://my.example.test/a",
        disconnect_url="https://my.example.test/d",
    )
    assert [("error" in item) for item in response["calls"]].count(True) == 1
    assert init_integration.runtime_data.calls.active_calls == 0
