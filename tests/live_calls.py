"""Helpers for the tests that play whole calls on the live stack.

With the `live` fixture (Home Assistant serving the webhook, the sandbox
playing Bandwidth): place a call or ring the application's number, change
the entry's options, set up automations, wait for what happens and read the
events a call fired.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.bandwidth.cloudhook import async_inbound_url
from custom_components.bandwidth.const import (
    EVENT_CALL_ANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
)
from sandbox import Call
from sandbox.models import MediaStream

from .helpers import Live

CALLER = "+15555550177"
OUR_NUMBER = "+15555550100"
MONITORING = "+15555550911"
TO = "+15553334444"
# A call placed to TO: what it says, to a person and to a machine, and asks.
MESSAGE = "The garage door is open."
MACHINE_MESSAGE = "Hello, this is Home Assistant: the garage door is open."
PROMPT = "Press 1 to close it."
GATHER = {"prompt": PROMPT, "max_digits": 1}
# What each kind of call fires, as (bus event, Bandwidth eventType).
ANSWERED = (EVENT_CALL_ANSWERED, "answer")
DETECTED = (EVENT_MACHINE_DETECTION_COMPLETE, "machineDetectionComplete")
GATHERED = (EVENT_GATHER_COMPLETE, "gather")
DISCONNECTED = (EVENT_CALL_DISCONNECTED, "disconnect")
# Bandwidth's 2026 spellings (the 2023 docs said TN-Verification-...).
PASSED = "TN-Validation-Passed"
FAILED = "TN-Validation-Failed"


def set_options(live: Live, **options: Any) -> None:
    """Change the entry's options (they apply at once)."""
    live.hass.config_entries.async_update_entry(
        live.entry, options={**live.entry.options, **options}
    )


def ring_in(live: Live, **kwargs: Any) -> Call:
    """Call the application's number, as the Voice application would be told."""
    url = async_inbound_url(live.hass, live.entry)
    assert url is not None
    kwargs.setdefault("verstat", PASSED)
    if kwargs["verstat"] == PASSED:
        kwargs.setdefault("attestation", "A")
    return live.sandbox.call_in(url, CALLER, OUR_NUMBER, status_url=url, **kwargs)


def events_of(live: Live, call_id: str, name: str) -> list[dict[str, Any]]:
    """The data of the events of one name about one call."""
    return [
        dict(event.data)
        for event in live.captured
        if event.event_type == name and event.data.get("call_id") == call_id
    ]


async def finish(live: Live, call: Call) -> Call:
    """Wait until the call has ended and Home Assistant has forgotten it."""
    await live.sandbox.wait_for_call(call.call_id, timeout=15)
    await live.hass.async_block_till_done()
    assert call.completed
    assert all(attempt.ok for attempt in call.attempts), call.callbacks
    assert live.entry.runtime_data.calls.by_call_id(call.call_id) is None
    return call


async def automate(hass: HomeAssistant, *automations: dict[str, Any]) -> None:
    """Set up automations, as written in YAML."""
    assert await async_setup_component(
        hass, "automation", {"automation": list(automations)}
    )
    await hass.async_block_till_done()


async def wait_for(predicate: Callable[[], Any], timeout: float = 20) -> None:  # noqa: ASYNC109
    """Wait, in real time, until `predicate()` holds."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - polls the sandbox's records
            await asyncio.sleep(0.05)


def stream_of(call: Call) -> MediaStream:
    """The call's one media stream."""
    [stream] = call.streams
    return stream
