"""create_call waiting for its calls to turn out: every outcome, through the sandbox.

The action places the calls, the sandbox plays them, the webhook's callbacks
tell the entry's CallWatcher how each went, and the action's response says.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from sandbox import Scenario

from .helpers import Live, assert_refused, create_call

FIRST, SECOND, THIRD = "+15553330001", "+15553330002", "+15553330003"
MESSAGE = "The garage door is open."
GATHER = {"prompt": "Press 1 to close it.", "max_digits": 1}


async def wait(live: Live, to: str | list[str], **data: Any) -> list[dict[str, Any]]:
    """Run create_call waiting for the outcome; return each number's result."""
    response = await create_call(live.hass, to=to, message=MESSAGE, **data)
    results: list[dict[str, Any]] = response["calls"]
    return results


async def finish(live: Live, *results: dict[str, Any]) -> None:
    """Let the calls end, and their last callbacks be handled."""
    for result in results:
        await live.sandbox.wait_for_call(result["call_id"])
    await live.hass.async_block_till_done()


async def test_person_answers(live: Live) -> None:
    """wait_for answer returns once answered; wait_for end once the call is over."""
    [answered] = await wait(live, FIRST, wait_for="answer")
    assert answered["outcome"] == "answered"
    assert answered["answered_at"]
    assert "duration" not in answered
    await finish(live, answered)

    [ended] = await wait(live, FIRST, wait_for="end")
    assert ended["outcome"] == "answered"
    assert ended["disconnect_cause"] == "hangup"
    assert isinstance(ended["duration"], int)
    assert ended["duration"] >= 0
    assert "digits" not in ended
    assert "error" not in ended


async def test_person_presses_a_digit(live: Live) -> None:
    """With digits asked for, an answer comes with them."""
    [result] = await wait(live, FIRST, wait_for="answer", gather=GATHER)
    assert result["outcome"] == "answered"
    assert result["digits"] == "1"
    await finish(live, result)


async def test_machine(live: Live) -> None:
    """An answering machine is told apart by machine detection."""
    live.sandbox.scenarios[FIRST] = Scenario(outcome="voicemail")
    [result] = await wait(
        live,
        FIRST,
        wait_for="answer",
        machine_message="Call us back.",
        gather=GATHER,
    )
    assert result["outcome"] == "machine"
    await finish(live, result)


@pytest.mark.parametrize(
    ("scenario", "outcome", "cause"),
    [
        ("no-answer", "no_answer", "timeout"),
        ("busy", "busy", "busy"),
        ("rejected", "rejected", "rejected"),
        ("error", "failed", "error"),
    ],
)
async def test_not_answered(
    live: Live, scenario: str, outcome: str, cause: str
) -> None:
    """Calls nobody answered end the wait for an answer too, with their cause."""
    live.sandbox.scenarios[FIRST] = Scenario(outcome=scenario)
    [result] = await wait(live, FIRST, wait_for="answer", call_timeout=5)
    assert result["outcome"] == outcome
    assert result["disconnect_cause"] == cause
    assert "answered_at" not in result
    assert ("error" in result) is (outcome == "failed")


async def test_hung_up_before_pressing(live: Live) -> None:
    """A person who hangs up while asked for digits has hung up."""
    live.sandbox.scenarios[FIRST] = Scenario(digits="", hangup_after=5)
    [result] = await wait(
        live,
        FIRST,
        wait_for="end",
        gather={**GATHER, "first_digit_timeout": 60},
    )
    assert result["outcome"] == "hung_up"
    assert "digits" not in result


async def test_timeout(live: Live) -> None:
    """A call still ringing at the timeout goes on, told as in_progress."""
    live.sandbox.scenarios[FIRST] = Scenario(outcome="no-answer")
    [result] = await wait(live, FIRST, wait_for="end", timeout=1, call_timeout=300)
    assert result["outcome"] == "in_progress"
    call = live.sandbox.calls[result["call_id"]]
    assert not call.completed
    await live.hass.services.async_call(
        "bandwidth", "hangup_call", {"call_id": result["call_id"]}, blocking=True
    )
    await finish(live, result)


async def waiting(live: Live, to: str) -> tuple[asyncio.Task[dict[str, Any]], str]:
    """Start create_call waiting on a call that rings for long; return it and the call id."""
    live.sandbox.scenarios[to] = Scenario(outcome="no-answer")
    task = live.hass.async_create_task(
        create_call(live.hass, to=to, message=MESSAGE, wait_for="end", call_timeout=300)
    )
    await live.sandbox.wait_for(lambda: bool(live.sandbox.calls))
    [call_id] = live.sandbox.calls
    await asyncio.sleep(0.05)
    assert not task.done()
    return task, call_id


async def test_home_assistant_stopping(live: Live) -> None:
    """Home Assistant stopping ends the wait with what is known."""
    task, call_id = await waiting(live, FIRST)
    live.hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    response = await task
    assert response["calls"][0]["outcome"] == "in_progress"
    assert response["calls"][0]["call_id"] == call_id


async def test_entry_unloading(live: Live) -> None:
    """The entry unloading ends the wait with what is known."""
    task, _ = await waiting(live, FIRST)
    assert await live.hass.config_entries.async_unload(live.entry.entry_id)
    response = await task
    assert response["calls"][0]["outcome"] == "in_progress"


async def test_a_number_that_could_not_be_called(live: Live) -> None:
    """A number Bandwidth refused has failed; the others are waited for."""
    live.sandbox.fail_next(400, {"type": "validation", "description": "Bad number"})
    first, second = await wait(live, [FIRST, SECOND], wait_for="end")
    assert first["outcome"] == "failed"
    assert "call_id" not in first
    assert second["outcome"] == "answered"


async def test_hang_up_others_two_numbers(live: Live) -> None:
    """The first to answer and press wins; the one still ringing is cancelled."""
    live.sandbox.scenarios[SECOND] = Scenario(outcome="no-answer")
    first, second = await wait(
        live,
        [FIRST, SECOND],
        wait_for="answer",
        gather=GATHER,
        hang_up_others=True,
        call_timeout=300,
    )
    assert first["outcome"] == "answered"
    assert first["digits"] == "1"
    assert second["outcome"] == "cancelled"
    await finish(live, first, second)
    assert live.sandbox.calls[second["call_id"]].disconnect_cause == "cancel"


async def test_hang_up_others_cannot_hang_up(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """A call Bandwidth will not end is cancelled all the same; the failure is logged."""
    live.sandbox.scenarios[SECOND] = Scenario(outcome="no-answer")
    live.sandbox.fail_next(500, path_contains="/calls/", method="POST")
    _, second = await wait(
        live,
        [FIRST, SECOND],
        wait_for="answer",
        hang_up_others=True,
        call_timeout=5,
    )
    assert second["outcome"] == "cancelled"
    await finish(live, second)
    assert "Could not hang up call" in caplog.text
    assert live.sandbox.calls[second["call_id"]].disconnect_cause == "timeout"


async def test_hang_up_others_three_numbers(live: Live) -> None:
    """One answered but still to press, one ended already, one wins."""
    live.sandbox.scenarios[FIRST] = Scenario(digits="", ring_seconds=0)
    live.sandbox.scenarios[SECOND] = Scenario(outcome="busy", ring_seconds=0)
    live.sandbox.scenarios[THIRD] = Scenario(ring_seconds=20)
    first, second, third = await wait(
        live,
        [FIRST, SECOND, THIRD],
        wait_for="end",
        gather={**GATHER, "first_digit_timeout": 60},
        hang_up_others=True,
    )
    assert first["outcome"] == "cancelled"
    assert first["answered_at"]
    assert second["outcome"] == "busy"
    assert third["outcome"] == "answered"
    assert third["digits"] == "1"
    assert third["disconnect_cause"] == "hangup"
    await finish(live, first, second, third)
    assert live.sandbox.calls[first["call_id"]].disconnect_cause == "hangup"


async def test_nobody_reached(live: Live) -> None:
    """Without anyone answering, hang_up_others ends nothing."""
    live.sandbox.scenarios[FIRST] = Scenario(outcome="busy")
    live.sandbox.scenarios[SECOND] = Scenario(outcome="voicemail")
    first, second = await wait(
        live, [FIRST, SECOND], wait_for="end", hang_up_others=True, gather=GATHER
    )
    assert first["outcome"] == "busy"
    assert second["outcome"] == "answered"
    assert second["digits"] == ""


@pytest.mark.parametrize(
    ("data", "key", "field"),
    [
        ({"wait_for": "ring"}, "wait_for", "wait_for"),
        ({"timeout": 30}, "wait_for_required", "timeout"),
        ({"hang_up_others": True}, "wait_for_required", "hang_up_others"),
        ({"wait_for": "end", "timeout": 601}, "whole_number_range", "timeout"),
        (
            {"wait_for": "end", "disconnect_url": "https://example.com/d"},
            "wait_for_own_url",
            "disconnect_url",
        ),
    ],
)
async def test_refused(
    hass: HomeAssistant,
    live: Live,
    data: dict[str, Any],
    key: str,
    field: str,
) -> None:
    """Waiting asked for wrongly is refused before any call is placed."""
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=FIRST, message=MESSAGE, **data)
    placeholders = {"field": field}
    if key == "whole_number_range":
        placeholders |= {"min": "1", "max": "600"}
    await assert_refused(hass, info.value, key, **placeholders)
    assert not live.sandbox.calls


async def test_hang_up_others_false_alone(live: Live) -> None:
    """hang_up_others off needs no wait_for: the call is placed at once."""
    [result] = await wait(live, FIRST, hang_up_others=False)
    assert "outcome" not in result
    await finish(live, result)
