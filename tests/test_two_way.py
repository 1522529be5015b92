"""Calls both ways: calls received, and automations steering live calls.

Each test plays a whole call through the sandbox over real HTTP: Bandwidth's
callbacks reach the webhook, automations (real ones, set up from YAML) act
on the events with bandwidth.update_call, and the sandbox reports what the
people on the line heard and pressed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from homeassistant.core import Event, callback
from homeassistant.setup import async_setup_component

from custom_components.bandwidth.bxml import GOODBYE
from custom_components.bandwidth.const import (
    CONF_FORWARD_TO,
    CONF_HOLD_TIME,
    CONF_INBOUND_CALLS,
    CONF_RING_TIMEOUT,
    CONF_VOICEMAIL_WHEN_UNANSWERED,
    DOMAIN,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALL_RECEIVED,
    EVENT_GATHER_COMPLETE,
    EVENT_TRANSFER_ANSWERED,
    EVENT_TRANSFER_COMPLETE,
)
from sandbox import Scenario

from .helpers import Live
from .live_calls import (
    CALLER,
    FAILED,
    MONITORING,
    OUR_NUMBER,
    PASSED,
    TO,
    automate,
    events_of,
    finish,
    ring_in,
    set_options,
)

# --- Calls received -------------------------------------------------------------


async def test_call_received_is_rejected_by_default(live: Live) -> None:
    """A call to the number fires an event and is never answered."""
    call = await finish(
        live,
        ring_in(
            live,
            attestation="A",
            diversion={"origTo": "+15555550155", "reason": "unconditional"},
        ),
    )

    assert call.answer_time is None
    assert call.spoken == []
    [received] = events_of(live, call.call_id, EVENT_CALL_RECEIVED)
    originating_id = received["stir_shaken"]["originating_id"]
    assert received == {
        "event_type": "initiate",
        "event_time": received["event_time"],
        "account_id": received["account_id"],
        "application_id": received["application_id"],
        "call_id": call.call_id,
        "from": CALLER,
        "to": OUR_NUMBER,
        "direction": "inbound",
        "start_time": call.start_time,
        "diversion": {"orig_to": "+15555550155", "reason": "unconditional"},
        "stir_shaken": {
            "verstat": PASSED,
            "attestation_indicator": "A",
            "originating_id": originating_id,
        },
        "caller_verified": True,
        "contact": None,
        "ringing": False,
        "config_entry_id": live.entry.entry_id,
    }
    [ended] = events_of(live, call.call_id, EVENT_CALL_DISCONNECTED)
    assert ended["direction"] == "inbound"


@pytest.mark.parametrize(
    ("verstat", "verified"), [(PASSED, True), (FAILED, False), (None, False)]
)
async def test_only_verified_callers_are_verified(
    live: Live, verstat: str | None, verified: bool
) -> None:
    """caller_verified is true only when STIR/SHAKEN passed the caller ID."""
    call = await finish(live, ring_in(live, verstat=verstat))
    [received] = events_of(live, call.call_id, EVENT_CALL_RECEIVED)
    assert received["caller_verified"] is verified
    assert ("stir_shaken" in received) is (verstat is not None)


async def test_unanswered_call_is_rejected_after_the_ring_time(live: Live) -> None:
    """Ringing for automations that do nothing: rejected, never answered."""
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "automation",
            CONF_RING_TIMEOUT: 3,
            CONF_VOICEMAIL_WHEN_UNANSWERED: False,
        },
    )
    call = await finish(live, ring_in(live))
    assert call.answer_time is None
    assert [event for event, _, _ in call.callbacks] == [
        "initiate",
        "redirect",
        "redirect",
        "redirect",
        "disconnect",
    ]


async def test_ringing_call_hung_up_by_an_automation(live: Live) -> None:
    """An unknown caller is turned away with hangup_call, still unanswered."""
    set_options(live, **{CONF_INBOUND_CALLS: "automation", CONF_RING_TIMEOUT: 300})
    await automate(
        live.hass,
        {
            "trigger": {"trigger": "event", "event_type": EVENT_CALL_RECEIVED},
            "action": {
                "action": "bandwidth.hangup_call",
                "data": {"call_id": "{{ trigger.event.data.call_id }}"},
            },
        },
    )
    call = await finish(live, ring_in(live))
    assert call.answer_time is None
    assert call.disconnect_cause == "cancel"


async def test_pin_and_a_two_level_menu(live: Live) -> None:
    """Call the house, enter the PIN, then 2 for the alarm, then 1 to disarm."""
    # The sandbox runs a hundred times faster than real time: give the
    # automation a few real seconds for each step.
    set_options(live, **{CONF_INBOUND_CALLS: "automation", CONF_HOLD_TIME: 300})
    live.hass.states.async_set("alarm_control_panel.home", "armed_away")

    def gathered(prompt: str, digits: int, terminator: str | None = None) -> Any:
        gather: dict[str, Any] = {"prompt": prompt, "max_digits": digits}
        if terminator:
            gather["terminating_digits"] = terminator
        return gather

    def ask(message: str, gather: dict[str, Any]) -> dict[str, Any]:
        return {
            "action": "bandwidth.update_call",
            "data": {
                "call_id": "{{ trigger.event.data.call_id }}",
                "message": message,
                "gather": gather,
            },
        }

    def wait_digits() -> dict[str, Any]:
        return {
            "wait_for_trigger": {
                "trigger": "event",
                "event_type": EVENT_GATHER_COMPLETE,
                "event_data": {"call_id": "{{ trigger.event.data.call_id }}"},
            },
            "timeout": 30,
            "continue_on_timeout": False,
        }

    def pressed(condition: str) -> dict[str, str]:
        return {
            "condition": "template",
            "value_template": f"{{{{ wait.trigger.event.data.digits {condition} }}}}",
        }

    await automate(
        live.hass,
        {
            "mode": "parallel",
            "trigger": {
                "trigger": "event",
                "event_type": EVENT_CALL_RECEIVED,
                "event_data": {"caller_verified": True},
            },
            "action": [
                ask("Welcome home.", gathered("Enter your PIN.", 6, "#")),
                wait_digits(),
                {
                    "if": pressed("!= '1234'"),
                    "then": [
                        {
                            "action": "bandwidth.update_call",
                            "data": {
                                "call_id": "{{ trigger.event.data.call_id }}",
                                "message": "Wrong PIN. Goodbye.",
                                "hangup": True,
                            },
                        },
                        {"stop": "wrong PIN"},
                    ],
                },
                {
                    "action": "bandwidth.update_call",
                    "data": {
                        "call_id": "{{ trigger.event.data.call_id }}",
                        "gather": gathered(
                            "Press 1 for the lights, 2 for the alarm.", 1
                        ),
                    },
                },
                wait_digits(),
                {
                    "if": pressed("== '2'"),
                    "then": [
                        {
                            "action": "bandwidth.update_call",
                            "data": {
                                "call_id": "{{ trigger.event.data.call_id }}",
                                "gather": gathered("Press 1 to disarm, 2 to arm.", 1),
                            },
                        },
                        wait_digits(),
                        {
                            "if": pressed("== '1'"),
                            "then": [
                                {
                                    "action": "input_boolean.turn_on",
                                    "target": {"entity_id": "input_boolean.disarmed"},
                                },
                                {
                                    "action": "bandwidth.update_call",
                                    "data": {
                                        "call_id": "{{ trigger.event.data.call_id }}",
                                        "message": "The alarm is disarmed. Goodbye.",
                                        "hangup": True,
                                    },
                                },
                            ],
                        },
                    ],
                },
            ],
        },
    )
    assert await async_setup_component(
        live.hass, "input_boolean", {"input_boolean": {"disarmed": {}}}
    )

    call = await finish(live, ring_in(live, digits=["1234#", "2", "1"]))

    assert call.spoken == [
        "Welcome home.",
        "Enter your PIN.",
        "Press 1 for the lights, 2 for the alarm.",
        "Press 1 to disarm, 2 to arm.",
        "The alarm is disarmed. Goodbye.",
    ]
    assert call.gathered == ["1234", "2", "1"]
    assert call.answer_time is not None
    assert live.hass.states.get("input_boolean.disarmed").state == "on"  # type: ignore[union-attr]
    pressed = [
        event["digits"]
        for event in events_of(live, call.call_id, EVENT_GATHER_COMPLETE)
    ]
    assert pressed == ["1234", "2", "1"]


async def test_wrong_pin(live: Live) -> None:
    """A wrong PIN ends the call after saying so; unverified callers are ignored."""
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "automation",
            CONF_RING_TIMEOUT: 2,
            CONF_VOICEMAIL_WHEN_UNANSWERED: False,
        },
    )
    await automate(
        live.hass,
        {
            "trigger": {
                "trigger": "event",
                "event_type": EVENT_CALL_RECEIVED,
                "event_data": {"caller_verified": True},
            },
            "action": {
                "action": "bandwidth.update_call",
                "data": {
                    "call_id": "{{ trigger.event.data.call_id }}",
                    "gather": {"prompt": "Enter your PIN.", "max_digits": 4},
                },
            },
        },
        {
            "trigger": {"trigger": "event", "event_type": EVENT_GATHER_COMPLETE},
            "condition": "{{ trigger.event.data.digits != '1234' }}",
            "action": {
                "action": "bandwidth.update_call",
                "data": {
                    "call_id": "{{ trigger.event.data.call_id }}",
                    "message": "Wrong PIN. Goodbye.",
                    "hangup": True,
                },
            },
        },
    )
    call = await finish(live, ring_in(live, digits="9999"))
    assert call.spoken == ["Enter your PIN.", "Wrong PIN. Goodbye."]

    stranger = await finish(live, ring_in(live, verstat=FAILED))
    assert stranger.spoken == []
    assert stranger.answer_time is None


async def test_forwarded(live: Live) -> None:
    """Forward mode connects the caller to the numbers in the options."""
    set_options(live, **{CONF_INBOUND_CALLS: "forward", CONF_FORWARD_TO: [MONITORING]})
    live.sandbox.scenarios[MONITORING] = Scenario(ring_seconds=1, talk_seconds=2)
    call = await finish(live, ring_in(live))

    [leg] = call.transfers
    assert leg.request["to"] == MONITORING
    assert leg.completed
    [answered] = events_of(live, call.call_id, EVENT_TRANSFER_ANSWERED)
    assert answered["transfer_to"] == MONITORING
    assert answered["transfer_call_id"] == leg.call_id
    assert "parent_call_id" not in answered
    [complete] = events_of(live, call.call_id, EVENT_TRANSFER_COMPLETE)
    assert complete["cause"] == "hangup"
    assert complete["transfer_to"] == MONITORING
    # A forwarded call ends with its transfer.
    assert [event for event, _, _ in call.callbacks] == [
        "initiate",
        "transferAnswer",
        "transferDisconnect",
        "transferComplete",
        "disconnect",
    ]


# --- Steering outbound calls ------------------------------------------------------


async def test_press_2_to_be_connected(live: Live) -> None:
    """The alarm calls; 2 connects the callee to the monitoring company."""
    set_options(live, **{CONF_HOLD_TIME: 2})
    live.sandbox.scenarios[TO] = Scenario(digits="2")
    live.sandbox.scenarios[MONITORING] = Scenario(ring_seconds=1, talk_seconds=1)
    await automate(
        live.hass,
        {
            "trigger": {
                "trigger": "event",
                "event_type": EVENT_GATHER_COMPLETE,
                "event_data": {"digits": "2"},
            },
            "action": {
                "action": "bandwidth.update_call",
                "data": {
                    "call_id": "{{ trigger.event.data.call_id }}",
                    "message": "Connecting you.",
                    "transfer_to": MONITORING,
                    "transfer_timeout": 20,
                },
            },
        },
    )
    [call_id] = await live.create_call(
        TO,
        message="The alarm went off.",
        gather={
            "prompt": "Press 1 to acknowledge, 2 to talk to the monitoring company.",
            "max_digits": 1,
        },
    )
    call = await finish(live, live.sandbox.calls[call_id])

    assert call.spoken == [
        "The alarm went off.",
        "Press 1 to acknowledge, 2 to talk to the monitoring company.",
        "Connecting you.",
        GOODBYE,
    ]
    [leg] = call.transfers
    assert leg.request["to"] == MONITORING
    assert leg.request["from"] == call.request["from"]
    [complete] = events_of(live, call_id, EVENT_TRANSFER_COMPLETE)
    assert complete["cause"] == "hangup"
    assert len(events_of(live, call_id, EVENT_TRANSFER_ANSWERED)) == 1


async def test_update_interrupts_a_long_message(live: Live) -> None:
    """A step given while a long message plays cuts in before the message ends.

    How soon the callee hears it is measured, and held to its target, by the
    benchmarks (`test_update_call_heard`), not by a clock in the test suite.
    """
    live.sandbox.time_scale = 1  # real time: the message lasts half a minute
    live.sandbox.scenarios[TO] = Scenario(ring_seconds=0)
    long_message = " ".join(["The quick brown fox jumps over the lazy dog."] * 12)
    [call_id] = await live.create_call(TO, message=long_message)
    call = live.sandbox.calls[call_id]
    await live.sandbox.wait_for(lambda: bool(call.heard))

    await live.hass.services.async_call(
        DOMAIN,
        "update_call",
        {"call_id": call_id, "message": "Stop.", "hangup": True},
        blocking=True,
    )
    await live.sandbox.wait_for(lambda: call.spoken[-1:] == ["Stop."])
    await finish(live, call)

    assert call.spoken == [long_message, "Stop."]
    # Interrupted: the long message did not play to its end.
    assert call.heard[1][0] - call.heard[0][0] < 0.3 * 108


async def test_update_waits_for_a_holding_call(live: Live) -> None:
    """A call waiting after its digits takes the next step at its next round."""
    set_options(live, **{CONF_HOLD_TIME: 30})
    live.sandbox.scenarios[TO] = Scenario(digits="1")
    gathered = asyncio.Event()

    @callback
    def on_gather(_event: Event) -> None:
        gathered.set()

    live.hass.bus.async_listen_once(EVENT_GATHER_COMPLETE, on_gather)
    [call_id] = await live.create_call(
        TO, gather={"prompt": "Press 1.", "max_digits": 1}
    )
    await gathered.wait()
    await live.hass.services.async_call(
        DOMAIN,
        "update_call",
        {"call_id": call_id, "message": "Thanks.", "hangup": True},
        blocking=True,
    )
    call = await finish(live, live.sandbox.calls[call_id])
    assert call.spoken == ["Press 1.", "Thanks."]
    # No Update Call was needed: the waiting loop took the step.
    assert not [
        request
        for request in live.sandbox.requests
        if request.method == "POST" and request.path.endswith(call_id)
    ]
