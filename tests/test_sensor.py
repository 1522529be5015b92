"""The Last call and Missed calls sensors, following calls through the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import Context, HomeAssistant, State
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.restore_state import DATA_RESTORE_STATE
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.bandwidth.cloudhook import async_inbound_url
from custom_components.bandwidth.const import (
    CONF_INBOUND_CALLS,
    CONF_RING_TIMEOUT,
    DOMAIN,
    EVENT_CALL_RECEIVED,
    EVENT_TYPE_ANSWERED,
    SIGNAL_CALL_EVENT,
)
from custom_components.bandwidth.sensor import ATTRIBUTES, _started
from sandbox import Call, Scenario

from .helpers import FROM_NUMBER, Live, add_contact, create_call, set_up
from .live_calls import set_options

LAST_CALL = "sensor.bandwidth_9900000_last_call"
MISSED = "sensor.bandwidth_9900000_missed_calls"
ALICE = "+15553330001"
CALLER = "+15555550177"


def state(hass: HomeAssistant, entity_id: str) -> State:
    """The state of an entity, which must exist."""
    found = hass.states.get(entity_id)
    assert found is not None, entity_id
    return found


async def ring_in(live: Live, caller: str = CALLER) -> Call:
    """Call the application's number; wait until the call is over."""
    url = async_inbound_url(live.hass, live.entry)
    assert url is not None
    call = live.sandbox.call_in(
        url, caller, FROM_NUMBER, status_url=url, verstat="TN-Validation-Passed"
    )
    await live.sandbox.wait_for_call(call.call_id, timeout=15)
    await live.hass.async_block_till_done()
    return call


async def test_sensor_names(hass: HomeAssistant, live: Live) -> None:
    """Both sensors start empty: no call yet, none missed."""
    assert state(hass, LAST_CALL).state == STATE_UNKNOWN
    assert state(hass, LAST_CALL).attributes["friendly_name"].endswith("Last call")
    missed = state(hass, MISSED)
    assert missed.state == "0"
    assert missed.attributes["unit_of_measurement"] == "calls"


@pytest.mark.usefixtures("voice_stack")
async def test_outbound_call(hass: HomeAssistant, live: Live) -> None:
    """A call placed is the last call, with the contact called and its outcome."""
    await add_contact(hass, live.entry, ALICE, name="Alice")
    response = await create_call(hass, to=ALICE, message="Hello.", wait_for="end")
    [result] = response["calls"]
    await live.sandbox.wait_for_call(result["call_id"])
    await hass.async_block_till_done()

    last = state(hass, LAST_CALL)
    call = live.sandbox.calls[result["call_id"]]
    started = dt_util.parse_datetime(call.start_time or "")
    assert started is not None
    assert last.state == started.replace(microsecond=0).isoformat()
    assert last.attributes["device_class"] == "timestamp"
    assert {key: last.attributes[key] for key in ATTRIBUTES} == {
        "direction": "outbound",
        "number": ALICE,
        "contact": "Alice",
        "outcome": "answered",
    }
    assert state(hass, MISSED).state == "0"


async def test_missed_and_answered_calls(hass: HomeAssistant, live: Live) -> None:
    """Calls turned away count as missed; a call an automation answers does not."""
    await ring_in(live)
    assert state(hass, MISSED).state == "1"
    last = state(hass, LAST_CALL)
    assert last.attributes["direction"] == "inbound"
    assert last.attributes["number"] == CALLER
    assert last.attributes["contact"] is None
    assert last.attributes["outcome"] == "no_answer"

    set_options(live, **{CONF_INBOUND_CALLS: "automation", CONF_RING_TIMEOUT: 300})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "trigger": {"trigger": "event", "event_type": EVENT_CALL_RECEIVED},
                "action": {
                    "action": "bandwidth.update_call",
                    "data": {
                        "call_id": "{{ trigger.event.data.call_id }}",
                        "message": "Hello.",
                        "hangup": True,
                    },
                },
            }
        },
    )
    call = await ring_in(live)
    assert call.spoken == ["Hello."]
    assert state(hass, MISSED).state == "1"
    assert state(hass, LAST_CALL).attributes["outcome"] == "answered"

    await hass.services.async_call(DOMAIN, "reset_missed_calls", {}, blocking=True)
    missed = state(hass, MISSED)
    assert missed.state == "0"
    assert missed.attributes["last_reset"]


async def test_an_older_call_ending_later(hass: HomeAssistant, live: Live) -> None:
    """A call that started before the last one does not replace it when it ends."""
    live.sandbox.scenarios[ALICE] = Scenario(hangup_after=50)
    first = await create_call(hass, to=ALICE, message="Hello.", wait_for="answer")
    second = await create_call(hass, to=CALLER, message="Hello.", wait_for="end")
    assert state(hass, LAST_CALL).attributes["number"] == CALLER
    await live.sandbox.wait_for_call(first["calls"][0]["call_id"])
    await hass.async_block_till_done()
    assert state(hass, LAST_CALL).attributes["number"] == CALLER
    assert second["calls"][0]["outcome"] == "answered"


async def test_nothing_new_writes_nothing(hass: HomeAssistant, live: Live) -> None:
    """An event that changes nothing the sensor says leaves its state alone."""
    signal = SIGNAL_CALL_EVENT.format(live.entry.entry_id)
    data = {
        "call_id": "c-1",
        "direction": "outbound",
        "to": ALICE,
        "start_time": "2026-12-07T10:00:00Z",
    }
    async_dispatcher_send(hass, signal, EVENT_TYPE_ANSWERED, data, Context())
    await hass.async_block_till_done()
    written = state(hass, LAST_CALL)
    assert written.attributes["number"] == ALICE
    async_dispatcher_send(hass, signal, EVENT_TYPE_ANSWERED, data, Context())
    await hass.async_block_till_done()
    assert state(hass, LAST_CALL).last_reported == written.last_reported


@pytest.mark.parametrize("data", [{"config_entry_id": ""}])
async def test_reset_refused(
    hass: HomeAssistant, live: Live, data: dict[str, Any]
) -> None:
    """The reset action's data is checked like any other action's."""
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "reset_missed_calls", data, blocking=True
        )


async def test_restored(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, external_url: str
) -> None:
    """Both sensors take back what they said before Home Assistant restarted."""
    started = "2026-12-07T12:00:00+00:00"
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(
                    LAST_CALL,
                    started,
                    {
                        "direction": "inbound",
                        "number": CALLER,
                        "contact": "Bob",
                        "outcome": "answered",
                    },
                ),
                {
                    "native_value": {
                        "__type": "<class 'datetime.datetime'>",
                        "isoformat": started,
                    },
                    "native_unit_of_measurement": None,
                },
            ),
            (
                State(MISSED, "3", {"last_reset": "2026-12-01T08:00:00+00:00"}),
                {"native_value": 3, "native_unit_of_measurement": None},
            ),
        ],
    )
    data = hass.data[DATA_RESTORE_STATE]
    if hasattr(data, "last_states_by_entity_registry_id"):
        # Home Assistant 2026.11 indexes stored states by registry entry, as
        # its setup does; the test harness of .venv-next predates that.
        data.last_states_by_entity_id = dict(data.last_states)
        hass.bus.async_listen(
            er.EVENT_ENTITY_REGISTRY_UPDATED,
            data._async_entity_registry_entry_created,
        )
    await set_up(hass, mock_config_entry)
    last = state(hass, LAST_CALL)
    assert last.state == started
    assert last.attributes["contact"] == "Bob"
    missed = state(hass, MISSED)
    assert missed.state == "3"
    assert missed.attributes["last_reset"] == "2026-12-01T08:00:00+00:00"


async def test_reset_while_the_sensor_is_away(hass: HomeAssistant, live: Live) -> None:
    """With the sensor disabled, resetting does nothing, and fails nothing."""
    live.entry.runtime_data.reset_missed_calls = None
    await hass.services.async_call(DOMAIN, "reset_missed_calls", {}, blocking=True)


def test_when_a_call_started() -> None:
    """Its start, else the event's time, else now."""
    assert _started({"start_time": "2026-12-07T10:00:00Z"}).hour == 10
    assert _started({"start_time": 5, "event_time": "2026-12-07T11:00:00Z"}).hour == 11
    before = dt_util.utcnow()
    assert _started({"event_time": "no time"}) >= before
