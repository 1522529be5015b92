"""Talking to Assist over the phone, end to end.

The sandbox plays Bandwidth: it answers the call with Home Assistant's BXML,
opens the media stream to Home Assistant's websocket like Bandwidth, says
the caller's request (a recording) in real time and records what comes
back. Home Assistant's real voice pipeline hears it (its own voice activity
detection), the test speech-to-text engine reports the words, the default
conversation agent acts on them, and the test voice answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import wave
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from homeassistant.components.assist_pipeline import PipelineEvent, PipelineEventType
from homeassistant.components.assist_pipeline.error import PipelineError
from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.network import NoURLAvailableError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bandwidth import assist as assist_module
from custom_components.bandwidth import bxml, ulaw
from custom_components.bandwidth.assist import Conversation, Turn
from custom_components.bandwidth.calls import CallScript, CallStep, LiveCall
from custom_components.bandwidth.const import (
    CONF_ASSIST_CALLERS,
    CONF_ASSIST_PIPELINE,
    CONF_INBOUND_CALLS,
    DOMAIN,
    EVENT_ASSIST_ENDED,
    EVENT_ASSIST_STARTED,
    EVENT_CALL_DISCONNECTED,
    INBOUND_ASSIST,
    INBOUND_AUTOMATION,
)
from custom_components.bandwidth.parse import CallbackEvent
from custom_components.bandwidth.replies import CallFlow
from sandbox import Call, Sandbox, Scenario
from sandbox.stream import MediaStream

from .helpers import (
    EXTERNAL_URL,
    Live,
    assert_refused,
    create_call,
    created_bodies,
)
from .test_two_way import CALLER, TO, events_of, finish, ring_in, set_options
from .voices import PORCH, PORCH_LIGHT, Assist


async def wait_for(predicate: Any, timeout: float = 20) -> None:  # noqa: ASYNC109
    """Wait, in real time, until `predicate()` holds."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - polls the sandbox's records
            await asyncio.sleep(0.05)


def stream_of(call: Call) -> MediaStream:
    """The call's one media stream."""
    [stream] = call.streams
    return stream


async def test_caller_turns_on_the_porch_light(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """A call in assist mode: the request is heard, done, and answered."""
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: INBOUND_ASSIST,
            CONF_ASSIST_CALLERS: [CALLER],
            CONF_ASSIST_PIPELINE: assist.pipeline_id,
        },
    )
    live.sandbox.time_scale = 1
    entity_id = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{live.entry.entry_id}_call"
    )
    shown: list[str] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None:
            shown.append(state.attributes[ATTR_EVENT_TYPE])

    async_track_state_change_event(hass, entity_id or "", record)
    call = ring_in(live, speech=str(PORCH))

    await wait_for(lambda: call.streams and stream_of(call).received)
    await hass.async_block_till_done()
    [turned_on] = assist.turned_on
    assert turned_on.data["entity_id"] == [PORCH_LIGHT]
    # The answer (half a second, from the test voice) comes back whole.
    await wait_for(lambda: len(stream_of(call).heard) >= 3200)
    call.end("hangup")
    await finish(live, call)

    stream = stream_of(call)
    assert stream.ended in ("stop", "closed")
    assert stream.clears == 0
    assert assist.ears.heard[0] > 16000 * 2 * 2  # more than two seconds heard
    [started] = events_of(live, call.call_id, EVENT_ASSIST_STARTED)
    assert started["pipeline_id"] == assist.pipeline_id
    await wait_for(lambda: events_of(live, call.call_id, EVENT_ASSIST_ENDED))
    [ended] = events_of(live, call.call_id, EVENT_ASSIST_ENDED)
    assert ended["reason"] == "stopped"
    assert ended["turns"][0]["heard"] == "turn on the porch light"
    assert ended["turns"][0]["answered"]
    assert events_of(live, call.call_id, EVENT_CALL_DISCONNECTED)
    # The event entity shows the conversation too.
    assert {"assist_started", "assist_ended"} <= set(shown)


async def test_caller_talks_over_the_answer(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """The caller speaking during an answer stops it (clear), then is answered."""
    assist.ears.texts = ["turn on the porch light", "turn on the porch light"]
    assist.voice.audio = ("wav", wav(6, rate=16000))  # a long answer
    set_options(
        live,
        **{CONF_INBOUND_CALLS: INBOUND_ASSIST, CONF_ASSIST_CALLERS: [CALLER]},
    )
    live.sandbox.time_scale = 1
    call = ring_in(live, speech=str(PORCH), barge_in=str(PORCH))

    await wait_for(lambda: call.streams and stream_of(call).clears, timeout=30)
    await wait_for(lambda: len(assist.ears.heard) == 2, timeout=30)
    call.end("hangup")
    await finish(live, call)
    # The first answer (6 s: 300 frames) was cut short by a clear.
    kinds = [message["eventType"] for message in stream_of(call).messages]
    assert kinds.index("clear") < 300
    assert set(kinds[: kinds.index("clear")]) == {"playAudio"}
    [ended] = events_of(live, call.call_id, EVENT_ASSIST_ENDED)
    assert [turn["heard"] for turn in ended["turns"]][:2] == [
        "turn on the porch light",
        "turn on the porch light",
    ]


def server_url(live: Live, path: str) -> str:
    """Return the URL of a path on Home Assistant's test server."""
    return live.sandbox.url_rewrites[EXTERNAL_URL] + path


def assist_inbound(live: Live) -> None:
    """Answer calls from CALLER with Assist."""
    set_options(
        live, **{CONF_INBOUND_CALLS: INBOUND_ASSIST, CONF_ASSIST_CALLERS: [CALLER]}
    )
    live.sandbox.time_scale = 1


def stream_nowhere(live: Live) -> None:
    """Send the sandbox's media streams to a port nobody listens on."""
    live.sandbox.url_rewrites = {
        f"{EXTERNAL_URL}/api/bandwidth/stream": "http://127.0.0.1:9/nowhere",
        **live.sandbox.url_rewrites,
    }


@pytest.mark.parametrize(
    "token", ["", "nothing", "{ref}", "{ref}.", "{ref}.wrong{secret}", ".{secret}"]
)
async def test_stream_without_the_secret_is_refused(
    hass: HomeAssistant, assist: Assist, live: Live, token: str
) -> None:
    """A stream URL without the call's own secret is refused at the handshake."""
    assist_inbound(live)
    stream_nowhere(live)
    call = ring_in(live)
    await wait_for(lambda: call.streams and stream_of(call).error)
    live_call = live.entry.runtime_data.calls.by_call_id(call.call_id)
    assert live_call is not None
    path = token.format(ref=live_call.ref, secret=live_call.secret)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(server_url(live, f"/api/bandwidth/stream/{path}"))
    assert refused.value.status >= 400
    call.end("hangup")
    await finish(live, call)
    assert assist.ears.heard == []
    assert not events_of(live, call.call_id, EVENT_ASSIST_STARTED)


async def test_stream_of_another_call_is_closed(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """A start frame naming another call closes the stream before any audio."""
    assist_inbound(live)
    stream_nowhere(live)
    call = ring_in(live)
    await wait_for(lambda: call.streams and stream_of(call).error)
    live_call = live.entry.runtime_data.calls.by_call_id(call.call_id)
    assert live_call is not None
    url = server_url(live, f"/api/bandwidth/stream/{live_call.ref}.{live_call.secret}")
    async with aiohttp.ClientSession() as session:
        for start in (
            {"eventType": "start", "metadata": {"callId": "c-someone-else"}},
            {"eventType": "start", "metadata": "nothing"},
            {"eventType": "media", "payload": ""},
        ):
            socket = await session.ws_connect(url)
            await socket.send_json(start)
            await socket.send_json({"eventType": "media", "payload": "/w=="})
            message = await socket.receive()
            assert message.type is aiohttp.WSMsgType.CLOSE
            await socket.close()
        # Not a word: closed too.
        socket = await session.ws_connect(url)
        await socket.send_bytes(b"\xff" * 160)
        assert (await socket.receive()).type is aiohttp.WSMsgType.CLOSE
        await socket.close()
    call.end("hangup")
    await finish(live, call)
    assert assist.ears.heard == []
    assert not events_of(live, call.call_id, EVENT_ASSIST_STARTED)
    # The call is over: its URL names no call talking to Assist any more.
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)


async def test_second_stream_of_a_call_is_refused(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """While a call streams to Assist, its URL takes no other stream."""
    assist_inbound(live)
    call = ring_in(live)
    await wait_for(lambda: events_of(live, call.call_id, EVENT_ASSIST_STARTED))
    live_call = live.entry.runtime_data.calls.by_call_id(call.call_id)
    assert live_call is not None
    url = server_url(live, f"/api/bandwidth/stream/{live_call.ref}.{live_call.secret}")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url)
    assert refused.value.status == 409
    call.end("hangup")
    await finish(live, call)


async def test_call_placed_with_assist_ends_with_goodbye(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """A call placed with a message and assist: true; the callee says goodbye."""
    assist.ears.texts = ["Thanks, goodbye!"]
    live.sandbox.time_scale = 1
    live.sandbox.scenarios[TO] = Scenario(speech=str(PORCH))
    [call_id] = await live.create_call(TO, message="Hello from home.", assist=True)
    call = await live.sandbox.wait_for_call(call_id, timeout=30)
    await live.finish(call_id)

    assert call.spoken == ["Hello from home."]
    stream = stream_of(call)
    assert stream.ended == "closed"
    assert stream.received
    [ended] = events_of(live, call_id, EVENT_ASSIST_ENDED)
    assert ended["reason"] == "goodbye"
    assert ended["pipeline_id"] == assist.pipeline_id
    assert ended["turns"] == [
        {"heard": "Thanks, goodbye!", "answered": ended["turns"][0]["answered"]}
    ]
    # Home Assistant hung up once the answer was played.
    assert call.disconnect_cause == "hangup"


async def test_automation_starts_and_ends_a_conversation(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """update_call starts a conversation, restarts it, then ends the call."""
    set_options(live, **{CONF_INBOUND_CALLS: INBOUND_AUTOMATION})
    live.sandbox.time_scale = 1
    call = ring_in(live)
    await wait_for(lambda: live.entry.runtime_data.calls.by_call_id(call.call_id))
    live_call = live.entry.runtime_data.calls.by_call_id(call.call_id)
    assert live_call is not None
    # A ringing call talks to nobody: its URL takes no stream.
    url = server_url(live, f"/api/bandwidth/stream/{live_call.ref}.{live_call.secret}")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)

    await update(hass, call.call_id, assist=True)
    await wait_for(lambda: events_of(live, call.call_id, EVENT_ASSIST_STARTED))
    await update(hass, call.call_id, message="Once more.", assist=assist.pipeline_id)
    await wait_for(
        lambda: len(events_of(live, call.call_id, EVENT_ASSIST_STARTED)) == 2
    )
    await update(hass, call.call_id, message="Bye now.", hangup=True)
    await finish(live, call)

    assert call.spoken == ["Once more.", "Bye now."]
    assert [stream.ended for stream in call.streams] == ["stop", "stop"]
    ended = events_of(live, call.call_id, EVENT_ASSIST_ENDED)
    assert [event["reason"] for event in ended] == ["stopped", "stopped"]


async def update(hass: HomeAssistant, call_id: str, **data: Any) -> None:
    """Run bandwidth.update_call."""
    await hass.services.async_call(
        DOMAIN, "update_call", {"call_id": call_id, **data}, blocking=True
    )


@pytest.mark.parametrize("hangup_fails", [False, True])
async def test_silent_caller_is_hung_up(
    hass: HomeAssistant,
    assist: Assist,
    live: Live,
    monkeypatch: pytest.MonkeyPatch,
    hangup_fails: bool,
) -> None:
    """A caller who says nothing is hung up on."""
    monkeypatch.setattr(assist_module, "SILENCE_TIMEOUT", 0.5)
    assist_inbound(live)
    if hangup_fails:
        live.sandbox.fail_next(500, path_contains="/calls/", method="POST")
    call = ring_in(live)
    await wait_for(lambda: events_of(live, call.call_id, EVENT_ASSIST_ENDED))
    if hangup_fails:
        await wait_for(
            lambda: any(
                request.path.endswith(call.call_id) for request in live.sandbox.requests
            )
        )
        # Bandwidth refused: the caller hangs up.
        call.end("hangup")
    await finish(live, call)
    [ended] = events_of(live, call.call_id, EVENT_ASSIST_ENDED)
    assert ended["reason"] == "silence"
    assert ended["turns"] == []


async def test_reload_ends_the_conversation(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """An entry reloaded ends its calls' conversations."""
    assist_inbound(live)
    call = ring_in(live)
    await wait_for(lambda: events_of(live, call.call_id, EVENT_ASSIST_STARTED))
    assert await hass.config_entries.async_reload(live.entry.entry_id)
    await wait_for(lambda: events_of(live, call.call_id, EVENT_ASSIST_ENDED))
    await wait_for(lambda: stream_of(call).ended is not None)
    assert stream_of(call).ended == "closed"
    [ended] = events_of(live, call.call_id, EVENT_ASSIST_ENDED)
    assert ended["reason"] == "stopped"
    call.end("hangup")
    await finish(live, call)


async def test_deleted_pipeline_hangs_up(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """A call whose pipeline no longer exists is hung up when its stream starts."""
    assist_inbound(live)
    set_options(live, **{CONF_ASSIST_PIPELINE: "01deleted"})
    call = ring_in(live)
    await finish(live, call)
    assert stream_of(call).connected
    assert not events_of(live, call.call_id, EVENT_ASSIST_STARTED)


async def test_no_address_for_the_stream(
    hass: HomeAssistant,
    assist: Assist,
    live: Live,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without an external URL, a call to talk to Assist is turned away."""
    assist_inbound(live)

    def no_url(*_args: Any, **_kwargs: Any) -> str:
        raise NoURLAvailableError

    monkeypatch.setattr(assist_module, "get_url", no_url)
    call = ring_in(live)
    await finish(live, call)
    assert call.answer_time is None
    assert not call.streams
    with pytest.raises(ServiceValidationError) as refused:
        await live.create_call(TO, assist=True)
    await assert_refused(hass, refused.value, "assist_no_url")


# --- The conversation's parts, one by one --------------------------------------


class FakeSocket:
    """Bandwidth's end of a stream, as far as a conversation sees it."""

    def __init__(self) -> None:
        """Open, nothing sent yet."""
        self.sent: list[dict[str, Any]] = []
        self.closed = False
        self.broken = False

    async def send_json(self, data: dict[str, Any]) -> None:
        """Take a frame (or fail as a connection going away does)."""
        if self.broken:
            raise ConnectionResetError
        self.sent.append(data)

    async def receive(self) -> None:
        """Say nothing, ever."""
        await asyncio.Event().wait()

    async def close(self) -> None:
        """Close."""
        self.closed = True


class FakeStream:
    """A text-to-speech result: some bytes."""

    def __init__(self, data: bytes) -> None:
        """Hold the audio."""
        self.data = data

    async def async_stream_result(self) -> AsyncIterator[bytes]:
        """Give the audio in two pieces."""
        yield self.data[:10]
        yield self.data[10:]


def wav(seconds: float, rate: int = 8000, channels: int = 1) -> bytes:
    """Silent 16-bit WAV audio."""
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(channels)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(b"\0\0" * int(rate * seconds) * channels)
    return out.getvalue()


@pytest.fixture
def conversation(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> Iterator[tuple[Conversation, FakeSocket]]:
    """A conversation of a call talking to Assist, on a fake stream."""
    call = LiveCall.create(None, None, direction="inbound", phase="conversing")
    call.call_id = "c-1"
    call.assist = ""
    socket = FakeSocket()
    talk = Conversation(hass, init_integration, call, socket)  # type: ignore[arg-type]
    yield talk, socket
    talk._stop_listening()


def answer(monkeypatch: pytest.MonkeyPatch, data: bytes | None) -> None:
    """Make every text-to-speech token stand for this audio (None: for nothing)."""
    monkeypatch.setattr(
        assist_module.tts,
        "async_get_stream",
        lambda _hass, _token: None if data is None else FakeStream(data),
    )


async def test_barge_in_clears_the_answer(
    hass: HomeAssistant,
    conversation: tuple[Conversation, FakeSocket],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The caller talking over an answer stops it: clear."""
    talk, socket = conversation
    answer(monkeypatch, wav(2))
    turn = Turn()
    talk._on_event(
        turn, PipelineEvent(PipelineEventType.TTS_END, {"tts_output": {"token": "t"}})
    )
    await wait_for(lambda: len(socket.sent) > 5)
    assert turn.first_frame is not None
    talk._on_event(turn, PipelineEvent(PipelineEventType.STT_VAD_START, {}))
    await wait_for(lambda: socket.sent[-1] == {"eventType": "clear"})
    assert turn.speech
    talk.end("stopped")
    talk.end("silence")
    assert talk.reason == "stopped"
    await hass.async_block_till_done()
    assert socket.closed


@pytest.mark.parametrize(
    ("data", "closed", "broken"),
    [
        (None, False, False),
        (b"not audio", False, False),
        (wav(0.1, rate=16000), False, False),
        (wav(0.1, channels=2), False, False),
        (wav(1), True, False),
        (wav(1), False, True),
    ],
    ids=["unknown", "not-audio", "16k", "stereo", "closed", "broken"],
)
async def test_answers_that_are_not_played(
    hass: HomeAssistant,
    conversation: tuple[Conversation, FakeSocket],
    monkeypatch: pytest.MonkeyPatch,
    data: bytes | None,
    closed: bool,
    broken: bool,
) -> None:
    """What cannot be played is skipped; what is cut short ends quietly."""
    talk, socket = conversation
    answer(monkeypatch, data)
    socket.closed, socket.broken = closed, broken
    turn = Turn()
    playback = hass.async_create_task(talk._async_play(turn, "t"))
    await asyncio.sleep(0.05)
    playback.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await playback
    # Nothing plays, or it is cut short without a clear once the stream is gone.
    assert bool(socket.sent) is closed
    assert {"eventType": "clear"} not in socket.sent


async def test_answer_of_no_length(
    hass: HomeAssistant,
    conversation: tuple[Conversation, FakeSocket],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An answer sent faster than it plays (time standing still) ends at once."""
    talk, socket = conversation
    monkeypatch.setattr(assist_module, "FRAME_SECONDS", 0)
    answer(monkeypatch, wav(0.1))
    await talk._async_play(Turn(), "t")
    assert len(socket.sent) == 5
    assert {frame["eventType"] for frame in socket.sent} == {"playAudio"}


async def test_pipeline_events_without_answers(
    hass: HomeAssistant, conversation: tuple[Conversation, FakeSocket]
) -> None:
    """A run without spoken answer plays nothing; errors are kept."""
    talk, _ = conversation
    turn = Turn()
    talk._on_event(turn, PipelineEvent(PipelineEventType.TTS_END, {"tts_output": None}))
    talk._on_event(turn, PipelineEvent(PipelineEventType.TTS_END, None))
    talk._on_event(
        turn, PipelineEvent(PipelineEventType.ERROR, {"code": "stt-no-text-recognized"})
    )
    assert turn.failed
    assert turn.errors == ["stt-no-text-recognized"]
    assert talk._playback is None


async def test_pipeline_failing_again_and_again(
    hass: HomeAssistant,
    conversation: tuple[Conversation, FakeSocket],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three failed runs in a row end the conversation."""
    talk, _ = conversation
    runs: list[dict[str, Any]] = []

    async def fail(_hass: HomeAssistant, **kwargs: Any) -> None:
        runs.append(kwargs)
        raise PipelineError("boom", "it failed")

    monkeypatch.setattr(assist_module, "async_pipeline_from_audio_stream", fail)
    await talk._async_converse()
    assert len(runs) == assist_module.MAX_FAILED_TURNS
    assert talk.reason == "error"


async def test_goodbye_without_an_answer(
    hass: HomeAssistant,
    conversation: tuple[Conversation, FakeSocket],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A goodbye that gets no spoken answer ends the conversation at once."""
    talk, _ = conversation

    async def hear_goodbye(_hass: HomeAssistant, **kwargs: Any) -> None:
        kwargs["event_callback"](
            PipelineEvent(PipelineEventType.STT_END, {"stt_output": {"text": "Bye."}})
        )

    monkeypatch.setattr(assist_module, "async_pipeline_from_audio_stream", hear_goodbye)
    await talk._async_converse()
    assert talk.reason == "goodbye"
    assert [turn.heard for turn in talk.turns] == ["Bye."]


async def test_frames_that_carry_no_audio(
    hass: HomeAssistant, conversation: tuple[Conversation, FakeSocket]
) -> None:
    """Only inbound media frames with base64 audio reach the pipeline."""
    talk, _ = conversation
    for text in (
        "not JSON",
        "[1, 2]",
        '{"eventType": "mark"}',
        '{"eventType": "media", "payload": 5}',
        '{"eventType": "media", "payload": "not base64!"}',
        '{"eventType": "media", "track": "outbound", "payload": "/w=="}',
    ):
        assert talk.handle_text(text)
    assert talk.audio.empty()
    assert talk.handle_text('{"eventType": "media", "payload": "/w=="}')
    assert talk.audio.get_nowait() == b"\0\0\0\0"
    assert not talk.handle_text('{"eventType": "stop"}')


async def test_stream_that_never_starts(
    hass: HomeAssistant,
    conversation: tuple[Conversation, FakeSocket],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stream that says nothing is closed."""
    talk, socket = conversation
    monkeypatch.setattr(assist_module, "START_TIMEOUT", 0.01)
    await talk.async_run()
    assert socket.closed
    assert socket.sent == []


async def test_stream_url_naming_a_call_of_an_entry_not_loaded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Entries not loaded have no calls to stream."""
    MockConfigEntry(domain=DOMAIN, title="Other").add_to_hass(hass)
    assert assist_module._find_call(hass, "ref.secret") is None


def test_wav_samples() -> None:
    """Only 8 kHz mono 16-bit WAV is played."""
    assert assist_module.wav_samples(wav(0.01)) == b"\0\0" * 80
    with pytest.raises(ValueError, match="not WAV"):
        assist_module.wav_samples(b"RIFF")
    with pytest.raises(ValueError, match="16000 Hz, 16-bit, 1 channels"):
        assist_module.wav_samples(wav(0.01, rate=16000))


# --- Refused before anything is sent --------------------------------------------


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({"assist": 5}, "invalid_assist", {"field": "assist"}),
        ({"assist": " "}, "invalid_assist", {"field": "assist"}),
        (
            {"assist": True, "gather": {"max_digits": 1}},
            "exclusive_fields",
            {"field": "assist", "other": "gather"},
        ),
        (
            {"assist": True, "answer_url": "https://example.com/bxml"},
            "script_with_answer_url",
            {"field": "answer_url"},
        ),
        ({"assist": "01nosuchpipeline"}, "assist_pipeline_not_found", {}),
    ],
)
async def test_create_call_refuses_assist(
    hass: HomeAssistant,
    assist: Assist,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """What cannot talk to Assist is refused, and no call is placed."""
    with pytest.raises(ServiceValidationError) as refused:
        await create_call(hass, to=TO, **data)
    await assert_refused(hass, refused.value, key, **placeholders)
    assert created_bodies(bandwidth_sandbox) == []


async def test_update_call_refuses_assist_without_assist(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Without Home Assistant's Assist set up, calls cannot talk to it."""
    live_call = LiveCall.create(None, None, direction="inbound", phase="holding")
    live_call.call_id = "c-1"
    init_integration.runtime_data.calls.add(live_call)
    with pytest.raises(ServiceValidationError) as refused:
        await update(hass, "c-1", assist=True)
    await assert_refused(hass, refused.value, "assist_unavailable")
    # false is not asking for Assist: another field must say what to do.
    with pytest.raises(ServiceValidationError) as refused:
        await update(hass, "c-1", assist=False)
    await assert_refused(hass, refused.value, "step_required", field="message")
    with pytest.raises(ServiceValidationError) as refused:
        await update(hass, "c-1", assist=True, hangup=True)
    await assert_refused(
        hass, refused.value, "exclusive_fields", field="assist", other="hangup"
    )


# --- The call flow while a call talks to Assist ---------------------------------


async def test_conversation_rounds(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Each round of a conversation goes on while the stream is up."""
    flow = init_integration.runtime_data.flow
    call = LiveCall.create(None, None, direction="inbound", phase="conversing")
    call.call_id = "c-1"
    init_integration.runtime_data.calls.add(call)
    redirect = CallbackEvent("redirect", "c-1", None, {})
    call.streaming = True
    document = flow.reply(call, redirect)
    assert document is not None
    assert b'<Pause duration="60"' in document
    call.streaming = False
    assert flow.reply(call, redirect) == bxml.hangup()


async def test_flow_without_stream_urls(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A flow that knows no stream URL turns calls for Assist away."""
    flow = CallFlow(
        init_integration.runtime_data.calls,
        lambda _call, _step: "https://example.com/cb",
        lambda: {CONF_INBOUND_CALLS: INBOUND_ASSIST, CONF_ASSIST_CALLERS: [CALLER]},
    )
    event = CallbackEvent("initiate", "c-2", None, {"from": CALLER})
    assert flow.receive(event) == (None, bxml.hangup())
    assert init_integration.runtime_data.calls.by_call_id("c-2") is None
    # A call placed to talk to Assist plays the rest of its script instead.
    placed = LiveCall.create(None, CallScript(message="Hi.", assist=""))
    placed.call_id = "c-3"
    init_integration.runtime_data.calls.add(placed)
    document = flow.reply(placed, CallbackEvent("answer", "c-3", None, {}))
    assert document is not None
    assert b"<StartStream" not in document
    assert placed.phase == "playing"
    # So does a step.
    placed.phase, placed.pending = "holding", CallStep(message="Hi.", assist="")
    document = flow.reply(placed, CallbackEvent("redirect", "c-3", None, {}))
    assert document is not None
    assert b"<StartStream" not in document


def test_conversation_document() -> None:
    """A step's audio plays before the stream; a restart stops the old one first."""
    document = bxml.converse(
        message=None,
        audio_url="https://example.com/a.mp3",
        voice=None,
        audio={},
        destination="wss://example.com/s",
        redirect_url="https://example.com/cb",
        pause=60,
        method="GET",
        restart=True,
    ).decode()
    assert document.index("<StopStream") < document.index("<PlayAudio")
    assert document.index("<PlayAudio") < document.index("<StartStream")
    assert 'redirectMethod="GET"' in document


def test_silence_in_no_time() -> None:
    """No audio is no samples."""
    assert ulaw.to_pcm16k(b"", 7) == (b"", 7)
