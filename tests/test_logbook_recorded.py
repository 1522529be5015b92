"""The logbook lists a real call, recorded, in plain words."""

from __future__ import annotations

import pytest
from homeassistant.components.logbook.processor import EventProcessor
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from sandbox import Scenario

from .helpers import ALICE, EVENTS, Live, add_contact, create_call


@pytest.fixture(autouse=True)
async def auto_enable_custom_integrations(
    recorder_mock: Recorder, hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    """Record events and set up the logbook, before Home Assistant serves HTTP.

    The recorder must start before Home Assistant's fixture; the logbook's
    views are added before the live server starts.
    """
    # The logbook's panel needs no frontend built here.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})


@pytest.mark.usefixtures("voice_stack")
async def test_in_the_logbook(live: Live) -> None:
    """A real call, as Home Assistant's logbook lists it."""
    hass = live.hass
    start = dt_util.utcnow()
    await add_contact(hass, live.entry, ALICE, name="Alice")
    live.sandbox.scenarios[ALICE] = Scenario(digits="1")
    await create_call(
        hass,
        to=ALICE,
        message="Hello.",
        gather={"prompt": "Press 1.", "max_digits": 1},
        wait_for="end",
    )
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    rows = EventProcessor(hass, EVENTS).get_events(start, dt_util.utcnow())
    told = [(row["name"], row["message"]) for row in rows if "message" in row]
    assert told == [
        ("Alice", "answered"),
        ("Alice", "pressed 1"),
        ("Alice", "call ended"),
    ]
    # The event entity's and sensors' changes say what caused them.
    caused = [
        (row["entity_id"], row["context_name"], row["context_message"])
        for row in rows
        if row.get("entity_id") == "event.bandwidth_9900000_call_events"
    ]
    assert caused == [
        ("event.bandwidth_9900000_call_events", "Alice", "answered"),
        ("event.bandwidth_9900000_call_events", "Alice", "pressed 1"),
        ("event.bandwidth_9900000_call_events", "Alice", "call ended"),
    ]
