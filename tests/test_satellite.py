"""Each contact an Assist satellite: announcements and conversations by phone.

The satellite actions are Home Assistant's own (assist_satellite.announce,
start_conversation, ask_question); the sandbox plays Bandwidth and the
contact's phone, which answers, rings out, is busy or is a machine.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from homeassistant.components import assist_satellite
from homeassistant.components.intent import TimerEventType
from homeassistant.components.select import DOMAIN as SELECT_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.bandwidth import assist_satellite as satellite_module
from custom_components.bandwidth.const import CONF_FROM, DOMAIN, EVENT_ASSIST_ENDED
from custom_components.bandwidth.stream import stream_base
from sandbox import Call, Scenario

from .helpers import FROM_NUMBER, Live, add_contact, rendered
from .live_calls import (
    CALLER,
    events_of,
    set_options,
    stream_of,
    wait_for,
)
from .voices import PORCH, Assist, Chat

SATELLITE = "assist_satellite.alice"
# Assist first: its views must exist before the live server starts.
pytestmark = pytest.mark.usefixtures("assist")


@pytest.fixture
async def alice(assist: Assist, live: Live) -> str:
    """Alice, a contact: her satellite is assist_satellite.alice."""
    live.sandbox.time_scale = 1
    return await add_contact(live.hass, live.entry, CALLER)


async def announce(hass: HomeAssistant, **data: Any) -> None:
    """Run assist_satellite.announce on Alice's satellite."""
    await hass.services.async_call(
        assist_satellite.DOMAIN,
        "announce",
        {"entity_id": SATELLITE, "preannounce": False, **data},
        blocking=True,
    )


def the_call(live: Live) -> Call:
    """The one call the sandbox placed."""
    [call] = live.sandbox.calls.values()
    return call


async def test_announce(hass: HomeAssistant, live: Live, alice: str) -> None:
    """Alice's phone rings; answered, she hears it; the action returns at the end."""
    states: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            states.append(event.data["new_state"].state)
            if event.data["entity_id"] == SATELLITE and event.data["new_state"]
            else None
        ),
    )
    await announce(hass, message="Dinner is ready.")
    call = the_call(live)
    assert call.completed
    assert call.request["to"] == CALLER
    assert call.request["from"] == FROM_NUMBER
    # The announcement, in the pipeline's voice, from the external URL.
    [played] = call.played
    assert played.startswith("https://ha.example.test/api/bandwidth/audio/")
    assert call.audio[0].ok
    assert call.disconnect_cause == "hangup"
    assert states[0] == "responding"
    assert hass.states.get(SATELLITE).state == "idle"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("scenario", "key"),
    [
        (Scenario(outcome="no-answer"), "contact_call_no_answer"),
        (Scenario(outcome="busy"), "contact_call_busy"),
        (Scenario(outcome="voicemail"), "contact_call_machine"),
    ],
    ids=["no-answer", "busy", "machine"],
)
async def test_announce_not_heard(
    hass: HomeAssistant, live: Live, alice: str, scenario: Scenario, key: str
) -> None:
    """Nobody, a busy line or a machine: a clear error, never a wait forever."""
    live.sandbox.time_scale = 0.01
    live.sandbox.scenarios[CALLER] = scenario
    with pytest.raises(HomeAssistantError) as failed:
        await announce(hass, message="Dinner is ready.")
    assert failed.value.translation_key == key
    assert "Alice" in await rendered(hass, failed.value)
    await live.sandbox.wait_for_call(the_call(live).call_id)
    # A machine hears nothing: hung up on at once.
    assert the_call(live).played == []
    assert hass.states.get(SATELLITE).state == "idle"  # type: ignore[union-attr]


async def test_announce_hung_up_midway(
    hass: HomeAssistant, live: Live, alice: str
) -> None:
    """Alice answers and hangs up before the end: she was reached."""
    live.sandbox.scenarios[CALLER] = Scenario(hangup_after=0.01)
    await announce(hass, message="A long announcement. " * 20)
    assert the_call(live).answer_time is not None


async def test_announce_taking_too_long(
    hass: HomeAssistant, live: Live, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call still going at the time limit is hung up, and the action says so."""
    monkeypatch.setattr(
        satellite_module, "ANNOUNCE_TIMEOUT", satellite_module.timedelta(seconds=0.5)
    )
    live.sandbox.scenarios[CALLER] = Scenario(ring_seconds=30)
    with pytest.raises(HomeAssistantError) as failed:
        await announce(hass, message="Dinner is ready.")
    assert failed.value.translation_key == "contact_call_in_progress"
    call = await live.sandbox.wait_for_call(the_call(live).call_id, timeout=10)
    assert call.answer_time is None


async def test_announce_without_a_caller_id(
    hass: HomeAssistant, live: Live, alice: str
) -> None:
    """Calls to contacts come from the Default caller ID: without one, none is placed."""
    set_options(live, **{CONF_FROM: ""})
    with pytest.raises(HomeAssistantError) as failed:
        await announce(hass, message="Dinner is ready.")
    assert failed.value.translation_key == "contact_call_no_caller_id"
    assert "Alice" in await rendered(hass, failed.value)
    assert live.sandbox.calls == {}
    await hass.async_block_till_done(wait_background_tasks=True)  # rendering


async def test_announce_that_cannot_be_placed(
    hass: HomeAssistant, live: Live, alice: str
) -> None:
    """Bandwidth refusing the call is Bandwidth's error."""
    live.sandbox.fail_next(400, path_contains="/calls")
    with pytest.raises(HomeAssistantError):
        await announce(hass, message="Dinner is ready.")


async def test_contact_removed_while_announcing(
    hass: HomeAssistant, live: Live, alice: str
) -> None:
    """A satellite whose contact is gone places nothing."""
    entity = hass.data[assist_satellite.DOMAIN].get_entity(SATELLITE)
    live.entry.runtime_data.contacts.update(live.entry)
    live.entry.runtime_data.contacts._by_id.clear()
    with pytest.raises(HomeAssistantError) as failed:
        await entity._async_call(
            {"message": "Hi"}, limit=satellite_module.ANNOUNCE_TIMEOUT
        )
    assert failed.value.translation_key == "contact_removed"


async def test_start_conversation(
    hass: HomeAssistant, live: Live, alice: str, chat: Chat, assist: Assist
) -> None:
    """Alice's phone rings, she hears the start, then talks to the Chat agent."""
    await hass.services.async_call(
        SELECT_DOMAIN,
        "select_option",
        {"entity_id": "select.alice_assist_pipeline", "option": "Chat"},
        blocking=True,
    )
    assist.ears.texts = ["turn on the porch light", "goodbye"]
    live.sandbox.scenarios[CALLER] = Scenario(speech=str(PORCH))
    await hass.services.async_call(
        assist_satellite.DOMAIN,
        "start_conversation",
        {
            "entity_id": SATELLITE,
            "start_message": "The garage is open.",
            "preannounce": False,
        },
        blocking=True,
    )
    call = the_call(live)
    assert call.completed
    assert call.played  # the start message, in the pipeline's voice
    assert stream_of(call).connected
    first = chat.agent.inputs[0]
    assert first.text == "turn on the porch light"
    device = dr.async_get(hass).async_get(first.device_id or "")
    assert device is not None
    assert (DOMAIN, alice) in device.identifiers
    assert first.extra_system_prompt == "The garage is open."
    if hasattr(first, "satellite_id"):
        assert first.satellite_id == SATELLITE
    [ended] = events_of(live, call.call_id, EVENT_ASSIST_ENDED)
    assert ended["pipeline_id"] == chat.pipeline_id


async def test_start_conversation_without_an_address(
    hass: HomeAssistant,
    live: Live,
    alice: str,
    chat: Chat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without an external URL for the stream, no call is placed."""
    await hass.services.async_call(
        SELECT_DOMAIN,
        "select_option",
        {"entity_id": "select.alice_assist_pipeline", "option": "Chat"},
        blocking=True,
    )
    monkeypatch.setattr(satellite_module, "stream_base", lambda _hass: None)
    assert stream_base(hass) is not None
    with pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(
            assist_satellite.DOMAIN,
            "start_conversation",
            {"entity_id": SATELLITE, "start_message": "Hi.", "preannounce": False},
            blocking=True,
        )
    assert failed.value.translation_key == "assist_no_url"
    assert live.sandbox.calls == {}
    await hass.async_block_till_done(wait_background_tasks=True)  # rendering


@pytest.mark.skipif(
    not hasattr(assist_satellite.AssistSatelliteEntity, "async_internal_ask_question"),
    reason="ask_question came with Home Assistant 2025.7",
)
async def test_ask_question(
    hass: HomeAssistant, live: Live, alice: str, assist: Assist
) -> None:
    """Home Assistant asks Alice a question; her answer comes back, the call ends."""
    assist.ears.texts = ["yes please"]
    live.sandbox.scenarios[CALLER] = Scenario(speech=str(PORCH))
    response = await hass.services.async_call(
        assist_satellite.DOMAIN,
        "ask_question",
        {
            "entity_id": SATELLITE,
            "question": "Shall I close the garage?",
            "preannounce": False,
            "answers": [
                {"id": "yes", "sentences": ["yes [please]"]},
                {"id": "no", "sentences": ["no"]},
            ],
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["id"] == "yes"
    call = the_call(live)
    [ended] = events_of(live, call.call_id, EVENT_ASSIST_ENDED)
    assert ended["reason"] == "answered"


@pytest.mark.skipif(
    not hasattr(assist_satellite.AssistSatelliteEntity, "async_internal_ask_question"),
    reason="ask_question came with Home Assistant 2025.7",
)
async def test_question_never_answered(
    hass: HomeAssistant, live: Live, alice: str, assist: Assist
) -> None:
    """Alice hangs up without answering: the question fails, it does not hang."""
    live.sandbox.scenarios[CALLER] = Scenario(hangup_after=1)
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            assist_satellite.DOMAIN,
            "ask_question",
            {"entity_id": SATELLITE, "question": "Shall I?", "preannounce": False},
            blocking=True,
            return_response=True,
        )


async def test_timer_finished_calls_back(
    hass: HomeAssistant, live: Live, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timer Alice set by phone calls her when it finishes."""
    entity = hass.data[assist_satellite.DOMAIN].get_entity(SATELLITE)
    told: list[str] = []

    async def announce_(message: str, **_kwargs: Any) -> None:
        told.append(message)
        if len(told) == 3:
            raise HomeAssistantError("nobody")

    monkeypatch.setattr(entity, "async_internal_announce", announce_)
    entity._async_handle_timer_event(
        TimerEventType.STARTED, SimpleNamespace(name="Pasta", created_seconds=60)
    )
    entity._async_handle_timer_event(
        TimerEventType.FINISHED, SimpleNamespace(name="Pasta", created_seconds=60)
    )
    entity._async_handle_timer_event(
        TimerEventType.FINISHED, SimpleNamespace(name=None, created_seconds=300)
    )
    entity._async_handle_timer_event(
        TimerEventType.FINISHED, SimpleNamespace(name="Eggs", created_seconds=1)
    )
    await hass.async_block_till_done()
    assert told == ["Pasta finished", "0:05:00 timer finished", "Eggs finished"]


async def test_satellite_configuration(
    hass: HomeAssistant, live: Live, alice: str
) -> None:
    """A phone has no wake words; its pipeline and detection are its selects."""
    entity = hass.data[assist_satellite.DOMAIN].get_entity(SATELLITE)
    config = entity.async_get_configuration()
    assert config.available_wake_words == []
    with pytest.raises(NotImplementedError):
        await entity.async_set_configuration(config)
    registry = er.async_get(hass)
    assert entity.pipeline_entity_id == registry.async_get_entity_id(
        SELECT_DOMAIN, DOMAIN, f"{alice}-pipeline"
    )
    assert (
        entity.vad_sensitivity_entity_id == "select.alice_finished_speaking_detection"
    )
    assert entity.tts_options["preferred_format"] == "wav"
    assert not entity.question_answered()
    await wait_for(lambda: True)


async def test_pipeline_events_without_a_conversation(
    hass: HomeAssistant, live: Live, alice: str
) -> None:
    """A run's events with no conversation listening go nowhere."""
    from homeassistant.components.assist_pipeline import (  # noqa: PLC0415
        PipelineEvent,
        PipelineEventType,
    )

    entity = hass.data[assist_satellite.DOMAIN].get_entity(SATELLITE)
    entity.on_pipeline_event(PipelineEvent(PipelineEventType.RUN_START, {}))


async def test_question_left_unanswered(
    hass: HomeAssistant, live: Live, alice: str
) -> None:
    """A call over with a question still waiting answers it with nothing."""
    entity = hass.data[assist_satellite.DOMAIN].get_entity(SATELLITE)
    entity._ask_question_future = hass.loop.create_future()
    assert not entity.question_answered()
    entity.conversation_ended()
    assert entity._ask_question_future.result() is None
    assert entity.question_answered()
    entity.conversation_ended()  # answered already: left as it is
