"""End-to-end calls through the sandbox over real HTTP.

The create_call action places the call, the sandbox plays it, the webhook
answers its callbacks, and the test checks the events and what was said.
"""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.exceptions import ServiceValidationError

from custom_components.bandwidth.bxml import GOODBYE
from custom_components.bandwidth.const import (
    DOMAIN,
    EVENT_CALL_DISCONNECTED,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
)
from sandbox import Scenario

from .helpers import EXTERNAL_URL, Live
from .live_calls import (
    ANSWERED,
    DETECTED,
    DISCONNECTED,
    GATHER,
    GATHERED,
    MACHINE_MESSAGE,
    MESSAGE,
    PROMPT,
    TO,
)


async def test_person_answers(live: Live) -> None:
    """A person answers and hears the message; the call then ends."""
    [call_id] = await live.create_call(TO, message=MESSAGE)
    call = await live.finish(call_id)

    assert call.spoken == [MESSAGE]
    assert live.sequence(call_id) == [ANSWERED, DISCONNECTED]
    assert live.last(call_id, EVENT_CALL_DISCONNECTED)["cause"] == "hangup"


async def test_person_presses_a_digit(live: Live) -> None:
    """The person hears the prompt, presses 1, is thanked; the digit is an event."""
    [call_id] = await live.create_call(TO, message=MESSAGE, gather=GATHER)
    call = await live.finish(call_id)

    assert call.spoken == [MESSAGE, PROMPT, GOODBYE]
    assert call.gathered == ["1"]
    assert live.sequence(call_id) == [ANSWERED, GATHERED, DISCONNECTED]
    gathered = live.last(call_id, EVENT_GATHER_COMPLETE)
    assert gathered["digits"] == "1"
    assert gathered["terminating_digit"] == ""
    assert live.last(call_id, EVENT_CALL_DISCONNECTED)["cause"] == "hangup"


async def test_voicemail(live: Live) -> None:
    """An answering machine gets the voicemail message, never the prompt."""
    live.sandbox.scenarios[TO] = Scenario(outcome="voicemail")
    [call_id] = await live.create_call(
        TO, message=MESSAGE, machine_message=MACHINE_MESSAGE, gather=GATHER
    )
    call = await live.finish(call_id)

    assert call.spoken == [MACHINE_MESSAGE]
    assert call.gathered == []
    assert live.sequence(call_id) == [ANSWERED, DETECTED, DISCONNECTED]
    # The hold loop's redirect was answered but fired nothing.
    assert [event for event, _, _ in call.callbacks] == [
        "answer",
        "machineDetectionComplete",
        "redirect",
        "disconnect",
    ]
    detected = live.last(call_id, EVENT_MACHINE_DETECTION_COMPLETE)
    assert detected["machine_detection_result"]["value"] == "answering-machine"
    assert live.last(call_id, EVENT_CALL_DISCONNECTED)["cause"] == "hangup"


@pytest.mark.parametrize(
    ("outcome", "cause"), [("no-answer", "timeout"), ("busy", "busy")]
)
async def test_not_answered(live: Live, outcome: str, cause: str) -> None:
    """An unanswered call only reports its end, with Bandwidth's cause."""
    live.sandbox.scenarios[TO] = Scenario(outcome=outcome)
    [call_id] = await live.create_call(TO, message=MESSAGE, call_timeout=5)
    call = await live.finish(call_id)

    assert call.spoken == []
    assert live.sequence(call_id) == [DISCONNECTED]
    assert live.last(call_id, EVENT_CALL_DISCONNECTED)["cause"] == cause


async def test_hangup_answered_call(live: Live) -> None:
    """hangup_call ends a call waiting for digits; a second hangup finds no call."""
    # Simulated time runs at full speed so the call is sure to be waiting.
    live.sandbox.time_scale = 1
    live.sandbox.scenarios[TO] = Scenario(digits="", ring_seconds=0)
    [call_id] = await live.create_call(
        TO, message=MESSAGE, gather={**GATHER, "first_digit_timeout": 60}
    )
    call = live.sandbox.calls[call_id]
    await live.sandbox.wait_for(lambda: PROMPT in call.spoken)

    await live.hass.services.async_call(
        DOMAIN, "hangup_call", {"call_id": call_id}, blocking=True
    )
    await live.finish(call_id)

    assert call.spoken == [MESSAGE, PROMPT]
    assert live.sequence(call_id) == [ANSWERED, DISCONNECTED]
    assert live.last(call_id, EVENT_CALL_DISCONNECTED)["cause"] == "hangup"
    with pytest.raises(ServiceValidationError) as info:
        await live.hass.services.async_call(
            DOMAIN, "hangup_call", {"call_id": call_id}, blocking=True
        )
    assert info.value.translation_key == "call_not_found"


async def test_hangup_ringing_call(live: Live) -> None:
    """hangup_call cancels a call that is still ringing."""
    live.sandbox.time_scale = 1
    live.sandbox.scenarios[TO] = Scenario(outcome="no-answer")
    [call_id] = await live.create_call(TO, message=MESSAGE, call_timeout=300)
    call = live.sandbox.calls[call_id]
    await live.sandbox.wait_for(lambda: call.start_time is not None)

    await live.hass.services.async_call(
        DOMAIN, "hangup_call", {"call_id": call_id}, blocking=True
    )
    await live.finish(call_id)

    assert call.spoken == []
    assert live.sequence(call_id) == [DISCONNECTED]
    assert live.last(call_id, EVENT_CALL_DISCONNECTED)["cause"] == "cancel"


async def test_ten_destinations_at_once(live: Live) -> None:
    """One action rings ten phones; each call plays out on its own."""
    destinations = [f"+1555444{number:04d}" for number in range(10)]
    outcomes = {
        destinations[7]: "voicemail",
        destinations[8]: "no-answer",
        destinations[9]: "busy",
    }
    for to, outcome in outcomes.items():
        live.sandbox.scenarios[to] = Scenario(outcome=outcome)

    call_ids = await live.create_call(
        destinations,
        message=MESSAGE,
        machine_message=MACHINE_MESSAGE,
        gather=GATHER,
        call_timeout=5,
    )
    assert len(set(call_ids)) == 10
    calls = [await live.finish(call_id) for call_id in call_ids]

    assert [call.request["to"] for call in calls] == destinations
    for call in calls:
        call_id, outcome = call.call_id, outcomes.get(call.request["to"], "answer")
        cause = live.last(call_id, EVENT_CALL_DISCONNECTED)["cause"]
        if outcome == "answer":
            assert call.spoken == [MESSAGE, PROMPT, GOODBYE]
            assert live.sequence(call_id) == [
                ANSWERED,
                DETECTED,
                GATHERED,
                DISCONNECTED,
            ]
            assert cause == "hangup"
        elif outcome == "voicemail":
            assert call.spoken == [MACHINE_MESSAGE]
            assert live.sequence(call_id) == [
                ANSWERED,
                DETECTED,
                DISCONNECTED,
            ]
            assert cause == "hangup"
        else:
            assert call.spoken == []
            assert live.sequence(call_id) == [DISCONNECTED]
            assert cause == {"no-answer": "timeout", "busy": "busy"}[outcome]
    assert live.entry.runtime_data.calls.active_calls == 0


async def test_plain_http_as_in_development(
    hass: HomeAssistant,
    live: Live,
) -> None:
    """As scripts/develop runs it: an http external URL, no rewriting.

    No credentials ride on the callback URLs, so Bandwidth (and the sandbox)
    accept plain http ones.
    """
    # The callbacks go to Home Assistant's local server as they are addressed.
    local = live.sandbox.url_rewrites.pop(EXTERNAL_URL)
    await async_process_ha_core_config(hass, {"external_url": local})

    [call_id] = await live.create_call(TO, message=MESSAGE, gather=GATHER)
    call = await live.finish(call_id)

    assert call.request["answerUrl"].startswith(f"{local}/api/webhook/")
    assert call.spoken == [MESSAGE, PROMPT, GOODBYE]
    assert live.sequence(call_id) == [ANSWERED, GATHERED, DISCONNECTED]
