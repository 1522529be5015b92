"""Call screening: callers who are not contacts say who they are and why.

Each call is played by the sandbox over real HTTP: it asks the question,
records the caller's answer, and sends recordingAvailable and
transcriptionAvailable while the caller holds; an automation decides with
bandwidth.update_call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import (
    async_mock_service,
)

from custom_components.bandwidth.api import BandwidthConnectionError
from custom_components.bandwidth.calls import LiveCall
from custom_components.bandwidth.const import (
    CONF_HOLD_TIME,
    CONF_INBOUND_CALLS,
    CONF_RING_TIMEOUT,
    CONF_VOICEMAIL_DELETE_AT_BANDWIDTH,
    CONF_VOICEMAIL_STT_ENTITY_ID,
    CONF_VOICEMAIL_TRANSCRIPTION,
    DEFAULT_VOICEMAIL_GREETING,
    EVENT_CALL_RECEIVED,
    EVENT_CALL_SCREENED,
    EVENT_VOICEMAIL_RECEIVED,
)
from custom_components.bandwidth.inbound import SCREEN_HOLD, SCREEN_QUESTION
from sandbox import Call, Scenario
from sandbox.audio import silence_wav

from .helpers import Live, add_contact, entity_id_of
from .live_calls import (
    CALLER,
    MONITORING,
    automate,
    events_of,
    finish,
    ring_in,
    set_options,
)
from .voices import (
    STT_ENTITY_ID,
    FakeEars,
)

REASON = "It's Sam from the garage, about your car."


@pytest.fixture
def answer_file(tmp_path: Path) -> Path:
    """Two seconds of a caller's answer, as a WAV file."""
    path = tmp_path / "answer.wav"
    path.write_bytes(silence_wav(2))
    return path


def screened(live: Live) -> list[dict[str, Any]]:
    """The data of every bandwidth_call_screened so far."""
    return [
        dict(event.data)
        for event in live.captured
        if event.event_type == EVENT_CALL_SCREENED
    ]


def voicemails(live: Live) -> list[dict[str, Any]]:
    """The data of every bandwidth_voicemail_received so far."""
    return [
        dict(event.data)
        for event in live.captured
        if event.event_type == EVENT_VOICEMAIL_RECEIVED
    ]


async def decide(live: Live, **decision: Any) -> None:
    """Set up an automation answering every screened call with update_call."""
    await automate(
        live.hass,
        {
            "triggers": [{"trigger": "event", "event_type": EVENT_CALL_SCREENED}],
            "actions": [
                {
                    "action": "bandwidth.update_call",
                    "data": {
                        "call_id": "{{ trigger.event.data.call_id }}",
                        **decision,
                    },
                }
            ],
        },
    )


async def screen_call(
    live: Live, answer_file: Path, *, hold_time: int = 3, **kwargs: Any
) -> Call:
    """Call in, in screen mode, answer the question, and wait for the end."""
    set_options(live, **{CONF_INBOUND_CALLS: "screen", CONF_HOLD_TIME: hold_time})
    kwargs.setdefault("transcript", REASON)
    call = await finish(live, ring_in(live, message=str(answer_file), **kwargs))
    await live.hass.async_block_till_done(wait_background_tasks=True)
    return call


async def test_no_decision_goes_to_voicemail(live: Live, answer_file: Path) -> None:
    """Screened, told to automations; nobody decides: voicemail."""
    hass = live.hass
    notified = async_mock_service(hass, "test", "automation")
    [device] = dr.async_entries_for_config_entry(
        dr.async_get(hass), live.entry.entry_id
    )
    await automate(
        hass,
        {
            "triggers": [
                {
                    "platform": "device",
                    "domain": "bandwidth",
                    "device_id": device.id,
                    "type": "call_screened",
                }
            ],
            "actions": [
                {
                    "action": "test.automation",
                    "data": {"reason": "{{ trigger.event.data.reason }}"},
                }
            ],
        },
    )
    call = await screen_call(live, answer_file)
    assert [service.data for service in notified] == [{"reason": REASON}]
    [event] = screened(live)
    assert event == {
        "call_id": call.call_id,
        "from": CALLER,
        "contact": None,
        "caller_verified": True,
        "reason": REASON,
        "config_entry_id": live.entry.entry_id,
    }
    # The reason stays off the event entity's state.
    state = hass.states.get(entity_id_of(hass, live.entry))
    assert state is not None
    assert "reason" not in state.attributes
    assert call.spoken[:2] == [SCREEN_QUESTION, SCREEN_HOLD]
    assert call.spoken[-1] == DEFAULT_VOICEMAIL_GREETING
    # The answer, then the message; Bandwidth keeps neither.
    assert len(call.recordings) == 2
    assert all(recording.deleted for recording in call.recordings)
    [message] = voicemails(live)
    assert message["call_id"] == call.call_id


async def test_put_through(live: Live, answer_file: Path) -> None:
    """An automation puts the caller through."""
    live.sandbox.scenarios[MONITORING] = Scenario(ring_seconds=1, talk_seconds=1)
    await decide(live, transfer_to=MONITORING)
    call = await screen_call(live, answer_file, hold_time=30)
    assert len(screened(live)) == 1
    [leg] = call.transfers
    assert leg.request["to"] == MONITORING
    assert len(call.recordings) == 1
    assert voicemails(live) == []


async def test_sent_to_voicemail(live: Live, answer_file: Path) -> None:
    """An automation sends the caller to voicemail at once."""
    await decide(live, voicemail=True)
    call = await screen_call(live, answer_file, hold_time=30)
    assert call.spoken[-1] == DEFAULT_VOICEMAIL_GREETING
    assert len(voicemails(live)) == 1


async def test_hung_up(live: Live, answer_file: Path) -> None:
    """An automation hangs up on the caller."""
    await decide(live, hangup=True, message="Not today.")
    call = await screen_call(live, answer_file, hold_time=30)
    assert call.spoken[-1] == "Not today."
    assert len(call.recordings) == 1
    assert voicemails(live) == []


async def test_no_transcript(live: Live, answer_file: Path) -> None:
    """No transcript in time: automations are told without a reason.

    Bandwidth detects the language of an answer in French, say.
    """
    live.hass.config.language = "fr"
    call = await screen_call(live, answer_file, transcript=None)
    [initiate] = [a for a in call.attempts if a.event_type == "initiate"]
    assert 'detectLanguage="true"' in initiate.body
    [event] = screened(live)
    assert event["reason"] is None
    assert event["call_id"] == call.call_id


async def test_without_transcription(live: Live, answer_file: Path) -> None:
    """Transcription off: automations are told once the answer is recorded."""
    set_options(live, **{CONF_VOICEMAIL_TRANSCRIPTION: "none"})
    await decide(live, hangup=True)
    call = await screen_call(live, answer_file, hold_time=30)
    [event] = screened(live)
    assert event["reason"] is None
    [initiate] = [a for a in call.attempts if a.event_type == "initiate"]
    assert "transcribe" not in initiate.body


async def test_speech_to_text(ears: FakeEars, live: Live, answer_file: Path) -> None:
    """Home Assistant's speech-to-text hears the answer, recorded as WAV."""
    ears.texts = [REASON]
    set_options(
        live,
        **{
            CONF_VOICEMAIL_TRANSCRIPTION: "stt",
            CONF_VOICEMAIL_STT_ENTITY_ID: STT_ENTITY_ID,
        },
    )
    await decide(live, hangup=True)
    # Real time, for the engine to hear it on a busy machine before the wait
    # for the reason ends.
    live.sandbox.time_scale = 1
    call = await screen_call(live, answer_file, hold_time=30)
    [initiate] = [a for a in call.attempts if a.event_type == "initiate"]
    assert 'fileFormat="wav"' in initiate.body
    [answer] = call.recordings
    assert answer.deleted
    [event] = screened(live)
    assert event["reason"] == REASON


async def test_answer_that_cannot_be_fetched(
    live: Live, answer_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bandwidth fails to give the answer or its transcript: told without one."""
    client = live.entry.runtime_data.client

    async def fail(*_args: Any) -> Any:
        raise BandwidthConnectionError("down")

    monkeypatch.setattr(client, "get_transcription", fail)
    await decide(live, hangup=True)
    await screen_call(live, answer_file, hold_time=30)
    set_options(
        live,
        **{
            CONF_VOICEMAIL_TRANSCRIPTION: "stt",
            CONF_VOICEMAIL_STT_ENTITY_ID: STT_ENTITY_ID,
        },
    )
    monkeypatch.setattr(client, "get_recording_media", fail)
    await screen_call(live, answer_file, hold_time=30)
    assert [event["reason"] for event in screened(live)] == [None, None]


async def test_contact_rings_through(live: Live, answer_file: Path) -> None:
    """A contact's call rings for automations, as in automation mode."""
    await add_contact(live.hass, live.entry, CALLER, assist=False)
    set_options(live, **{CONF_RING_TIMEOUT: 2})
    call = await screen_call(live, answer_file)
    assert screened(live) == []
    [received] = events_of(live, call.call_id, EVENT_CALL_RECEIVED)
    assert received["ringing"] is True
    assert call.spoken == [DEFAULT_VOICEMAIL_GREETING]


async def test_answer_kept_at_bandwidth(live: Live, answer_file: Path) -> None:
    """Delete messages at Bandwidth off: the answer stays there too."""
    set_options(live, **{CONF_VOICEMAIL_DELETE_AT_BANDWIDTH: False})
    await decide(live, hangup=True)
    call = await screen_call(live, answer_file, hold_time=30)
    assert screened(live)[0]["reason"] == REASON
    [answer] = call.recordings
    assert not answer.deleted


async def test_screening_lost(
    live: Live, answer_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screening Home Assistant lost (a restart): the caller goes to voicemail."""
    monkeypatch.setattr("custom_components.bandwidth.screening.MAX_SCREENS", 0)
    call = await screen_call(live, answer_file, transcript=None)
    assert screened(live) == []
    assert call.spoken[-1] == DEFAULT_VOICEMAIL_GREETING


async def test_voicemail_refused(live: Live) -> None:
    """voicemail: true only for a call received waiting for it; on its own."""
    calls = live.entry.runtime_data.calls
    placed = LiveCall.create(None, None)
    placed.call_id = "c-placed"
    calls.add(placed)
    with pytest.raises(ServiceValidationError) as refused:
        await live.hass.services.async_call(
            "bandwidth",
            "update_call",
            {"call_id": "c-placed", "voicemail": True},
            blocking=True,
        )
    assert refused.value.translation_key == "voicemail_not_waiting"
    assert placed.pending is None
    with pytest.raises(ServiceValidationError) as refused:
        await live.hass.services.async_call(
            "bandwidth",
            "update_call",
            {"call_id": "c-placed", "voicemail": True, "hangup": True},
            blocking=True,
        )
    assert refused.value.translation_key == "exclusive_fields"
    with pytest.raises(ServiceValidationError) as refused:
        await live.hass.services.async_call(
            "bandwidth",
            "update_call",
            {"call_id": "c-placed", "voicemail": True, "message": "Hi."},
            blocking=True,
        )
    assert refused.value.translation_key == "exclusive_fields"
    assert refused.value.translation_placeholders["other"] == "voicemail"


async def test_what_bandwidth_sends_amiss(live: Live) -> None:
    """Replays, errors, foreign URLs and empty answers: told without a reason."""
    set_options(
        live,
        **{
            CONF_VOICEMAIL_TRANSCRIPTION: "stt",
            CONF_VOICEMAIL_STT_ENTITY_ID: STT_ENTITY_ID,
        },
    )
    runtime = live.entry.runtime_data
    screener = runtime.screener

    def screening(call_id: str) -> LiveCall:
        call = LiveCall.create(None, None, direction="inbound", phase="screening")
        call.call_id = call_id
        runtime.calls.add(call)
        screener.start(call, {"from": 42})
        return call

    def available(call: LiveCall, event_type: str, **fields: Any) -> None:
        fields = {"callId": call.call_id, "recordingId": "r-1", **fields}
        screener.receive(call.ref, event_type, fields)

    screener.receive("unknown", "recordingAvailable", {})
    erred = screening("c-error")
    # Only Bandwidth's own transcription is fetched.
    available(erred, "transcriptionAvailable")
    available(erred, "recordingAvailable", status="error")
    available(erred, "recordingAvailable")
    assert erred.phase == "screened"
    foreign = screening("c-foreign")
    available(foreign, "recordingAvailable", mediaUrl="https://example.com/r-1")
    assert foreign.phase == "screened"
    empty = screening("c-empty")
    client = runtime.client
    media_url = str(client.recording_media_url("c-empty", "r-1"))
    with patch.object(client, "get_recording_media", AsyncMock(return_value=b"")):
        available(empty, "recordingAvailable", mediaUrl=media_url)
        await live.hass.async_block_till_done(wait_background_tasks=True)
    assert empty.phase == "screened"
    assert [event["reason"] for event in screened(live)] == [None, None, None]
    assert screened(live)[0]["from"] is None
    # Bandwidth's transcription: the recording, replayed, then nothing.
    set_options(live, **{CONF_VOICEMAIL_TRANSCRIPTION: "bandwidth"})
    replayed = screening("c-replayed")
    available(replayed, "recordingAvailable")
    available(replayed, "recordingAvailable", recordingId="r-2")
    assert replayed.phase == "screening"
    gone = screening("c-gone")
    runtime.calls.remove(gone)
    assert not screener.announce(gone.ref, "Hello")
    assert len(screened(live)) == 3
    # An answer recorded after automations were told is deleted all the same.
    late = screening("c-late")
    assert screener.announce(late.ref, None)
    with patch.object(client, "delete_recording", AsyncMock()) as delete:
        available(late, "recordingAvailable")
        await live.hass.async_block_till_done(wait_background_tasks=True)
    delete.assert_awaited_once_with("c-late", "r-1")
