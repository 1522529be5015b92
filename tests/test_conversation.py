"""A conversation's parts, one by one: the stream's frames, answers, turns, endings."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from homeassistant.components.assist_pipeline import PipelineEvent, PipelineEventType
from homeassistant.components.assist_pipeline.error import PipelineError
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bandwidth import conversation, stream
from custom_components.bandwidth.assist_calls import (
    async_end_conversations,
    async_follow_stream,
)
from custom_components.bandwidth.calls import LiveCall
from custom_components.bandwidth.const import (
    CONF_ASSIST_MAX_MINUTES,
    DOMAIN,
    EVENT_ASSIST_ENDED,
)
from custom_components.bandwidth.conversation import Conversation, PipelineAgent
from custom_components.bandwidth.parse import CallbackEvent
from custom_components.bandwidth.stream import MediaStream
from custom_components.bandwidth.wav import wav_samples

from .helpers import wav
from .live_calls import (
    wait_for,
)


class Message:
    """A websocket message, as aiohttp hands it over."""

    def __init__(
        self, data: Any, kind: aiohttp.WSMsgType = aiohttp.WSMsgType.TEXT
    ) -> None:
        """Hold a frame."""
        self.type = kind
        self.data = data


class FakeSocket:
    """Bandwidth's end of a stream, as far as a conversation sees it."""

    def __init__(self, *incoming: Any) -> None:
        """Open, with frames to receive (then silence until closed)."""
        self.sent: list[dict[str, Any]] = []
        self.closed = False
        self.broken = False
        self._incoming = list(incoming)
        self._closing = asyncio.Event()

    async def send_json(self, data: dict[str, Any]) -> None:
        """Take a frame (or fail as a connection going away does)."""
        if self.broken:
            raise ConnectionResetError
        self.sent.append(data)

    async def receive(self) -> Any:
        """Give the next frame; then wait until closed."""
        if self._incoming:
            return self._incoming.pop(0)
        await self._closing.wait()
        return Message(None, aiohttp.WSMsgType.CLOSED)

    def __aiter__(self) -> FakeSocket:
        """Iterate over frames until closed, as aiohttp does."""
        return self

    async def __anext__(self) -> Any:
        """Give the next frame, or stop once closed."""
        message = await self.receive()
        if message.type is aiohttp.WSMsgType.CLOSED:
            raise StopAsyncIteration
        return message

    async def close(self) -> None:
        """Close."""
        self.closed = True
        self._closing.set()


class FakeResult:
    """A text-to-speech result: some bytes, in pieces."""

    def __init__(self, data: bytes, size: int = 10) -> None:
        """Hold the audio."""
        self.data = data
        self.size = size

    async def async_stream_result(self) -> AsyncIterator[bytes]:
        """Give the audio in pieces."""
        for start in range(0, len(self.data), self.size):
            yield self.data[start : start + self.size]


class FakeAgent:
    """Whoever answers: runs that do what the test says."""

    def __init__(self, *runs: Any, pipeline: str = "p1") -> None:
        """Answer with these runs in turn (each a list of events or an exception)."""
        self.runs = list(runs)
        self.pipeline = pipeline
        self.answers_finished = 0
        self.ended = False
        self.questions = False

    def pipeline_id(self) -> str:
        """Return the pipeline, or fail as a deleted one does."""
        if isinstance(self.pipeline, Exception):
            raise self.pipeline
        return self.pipeline

    async def async_run(
        self,
        audio: AsyncIterator[bytes],  # noqa: ARG002 - nobody listens here
        on_event: Any,
    ) -> None:
        """Run once: report the events, or fail."""
        run = self.runs.pop(0) if self.runs else []
        if isinstance(run, Exception):
            raise run
        for event in run:
            on_event(event)
        await asyncio.sleep(0)

    def answer_finished(self) -> None:
        """Count answers heard."""
        self.answers_finished += 1

    def conversation_ended(self) -> None:
        """Note the end."""
        self.ended = True

    def question_answered(self) -> bool:
        """Say whether the question has its answer."""
        return self.questions


def event(kind: PipelineEventType, data: dict[str, Any] | None = None) -> PipelineEvent:
    """A pipeline event."""
    return PipelineEvent(kind, data)


@pytest.fixture
def call(init_integration: MockConfigEntry) -> LiveCall:
    """A call talking to Assist."""
    live = LiveCall.create(None, None, direction="inbound", phase="conversing")
    live.call_id = "c-1"
    live.assist = ""
    init_integration.runtime_data.calls.add(live)
    return live


@pytest.fixture
def talk(
    hass: HomeAssistant, init_integration: MockConfigEntry, call: LiveCall
) -> Iterator[tuple[Conversation, FakeSocket, FakeAgent]]:
    """A conversation on a fake stream, with a fake agent."""
    socket = FakeSocket()
    agent = FakeAgent()
    talking = Conversation(
        hass,
        init_integration,
        call,
        MediaStream(socket),
        agent,  # type: ignore[arg-type]
    )
    yield talking, socket, agent
    talking._stop_listening()


def answer(monkeypatch: pytest.MonkeyPatch, data: bytes | None, size: int = 10) -> None:
    """Make every text-to-speech token stand for this audio (None: for nothing)."""
    monkeypatch.setattr(
        conversation.tts,
        "async_get_stream",
        lambda _hass, _token: None if data is None else FakeResult(data, size),
    )


# --- The stream's frames ---------------------------------------------------------


async def test_frames_that_carry_no_audio() -> None:
    """Only inbound media frames with base64 µ-law reach the pipeline."""
    media = MediaStream(FakeSocket())  # type: ignore[arg-type]
    for data in (
        "not JSON",
        "[1, 2]",
        '{"eventType": "mark"}',
        '{"eventType": "media", "payload": 5}',
        '{"eventType": "media", "payload": "not base64!"}',
        # Not even ASCII: base64 refuses it with a ValueError.
        '{"eventType": "media", "payload": "/w==é"}',
        '{"eventType": "media", "track": "outbound", "payload": "/w=="}',
        b"\xff\xfe",
    ):
        kind = (
            aiohttp.WSMsgType.BINARY
            if isinstance(data, bytes)
            else aiohttp.WSMsgType.TEXT
        )
        assert media.take(Message(data, kind))
    assert media.take(Message(None, aiohttp.WSMsgType.PING))
    assert media.audio.empty()
    assert media.take(Message('{"eventType": "media", "payload": "/w=="}'))
    # JSON in a binary frame, as Bandwidth's own parser reads it too.
    assert media.take(
        Message(b'{"eventType": "media", "payload": "/w=="}', aiohttp.WSMsgType.BINARY)
    )
    assert media.audio.get_nowait() == b"\0\0\0\0"
    assert media.audio.qsize() == 1
    assert not media.take(Message('{"eventType": "stop"}'))


async def test_audio_waiting_is_bounded() -> None:
    """Audio nobody reads keeps only the latest five seconds."""
    media = MediaStream(FakeSocket())  # type: ignore[arg-type]
    for _ in range(stream.MAX_QUEUED_FRAMES + 50):
        media.take(Message('{"eventType": "media", "payload": "/w=="}'))
    assert media.audio.qsize() == stream.MAX_QUEUED_FRAMES
    media.clear_audio()
    assert media.audio.empty()


async def test_frames_are_capped(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The websocket is opened with a size cap that fits Bandwidth's frames."""
    sizes: list[int] = []

    class Recorded(stream.web.WebSocketResponse):
        def __init__(self, **kwargs: Any) -> None:
            sizes.append(kwargs["max_msg_size"])
            super().__init__(**kwargs)

    monkeypatch.setattr(stream.web, "WebSocketResponse", Recorded)
    assert stream.MAX_MESSAGE_SIZE == 16 * 1024
    # The rest is exercised end to end (test_assist.py); the cap is what counts.
    stream.web.WebSocketResponse(max_msg_size=stream.MAX_MESSAGE_SIZE)
    assert sizes == [stream.MAX_MESSAGE_SIZE]


async def test_stream_that_never_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream that says nothing, or not as its call, is not taken."""
    monkeypatch.setattr(stream, "START_TIMEOUT", 0.01)
    assert not await MediaStream(FakeSocket()).async_started("c-1")  # type: ignore[arg-type]
    starts = [
        Message('{"eventType": "start", "metadata": {"callId": "c-1"}}'),
        Message('{"eventType": "start", "metadata": {"callId": "c-2"}}'),
        Message('{"eventType": "start", "metadata": "c-1"}'),
        Message('{"eventType": "media"}'),
        Message(b"\xff", aiohttp.WSMsgType.BINARY),
    ]
    results = [
        await MediaStream(FakeSocket(start)).async_started("c-1")  # type: ignore[arg-type]
        for start in starts
    ]
    assert results == [True, False, False, False, False]
    assert not await MediaStream(FakeSocket(starts[0])).async_started(None)  # type: ignore[arg-type]


# --- Answers ---------------------------------------------------------------------


async def test_barge_in_clears_the_answer(
    hass: HomeAssistant,
    talk: tuple[Conversation, FakeSocket, FakeAgent],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The caller talking over an answer stops it: clear."""
    talking, socket, agent = talk
    answer(monkeypatch, wav(2))
    turn: dict[str, str | None] = {"heard": None, "answered": None}
    run = conversation._Run()
    talking.on_event(
        turn, run, event(PipelineEventType.TTS_END, {"tts_output": {"token": "t"}})
    )
    await wait_for(lambda: len(socket.sent) > 5)
    talking.on_event(turn, run, event(PipelineEventType.STT_VAD_START, {}))
    await wait_for(lambda: socket.sent[-1] == {"eventType": "clear"})
    assert run.speech
    await hass.async_block_till_done()
    assert agent.answers_finished == 1
    talking.end("stopped")
    talking.end("silence")
    assert talking.reason == "stopped"
    await hass.async_block_till_done()
    assert socket.closed


async def test_streamed_answer_plays_before_it_is_done(
    hass: HomeAssistant,
    talk: tuple[Conversation, FakeSocket, FakeAgent],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An answer the pipeline streams plays from its first audio, once."""
    talking, socket, _ = talk
    answer(monkeypatch, wav(0.1))
    turn: dict[str, str | None] = {"heard": None, "answered": None}
    run = conversation._Run()
    talking.on_event(
        turn, run, event(PipelineEventType.RUN_START, {"tts_output": {"token": "s"}})
    )
    talking.on_event(
        turn, run, event(PipelineEventType.INTENT_PROGRESS, {"chat_log_delta": {}})
    )
    assert talking._playback is None
    talking.on_event(
        turn,
        run,
        event(PipelineEventType.INTENT_PROGRESS, {"tts_start_streaming": True}),
    )
    playback = talking._playback
    assert playback is not None
    # Its end says the same token: not played twice.
    talking.on_event(
        turn, run, event(PipelineEventType.TTS_END, {"tts_output": {"token": "s"}})
    )
    assert talking._playback is playback
    await playback
    assert len(socket.sent) == 5
    # A run that never said its token streams nothing.
    talking._response_token = None
    talking.on_event(turn, run, event(PipelineEventType.RUN_START, {}))
    talking.on_event(
        turn,
        run,
        event(PipelineEventType.INTENT_PROGRESS, {"tts_start_streaming": True}),
    )
    assert talking._playback is playback


@pytest.mark.parametrize(
    ("data", "closed", "broken"),
    [
        (None, False, False),
        (b"not audio", False, False),
        (b"RIFF", False, False),
        (wav(0.1, rate=16000), False, False),
        (wav(0.1, channels=2), False, False),
        (wav(1), True, False),
        (wav(1), False, True),
    ],
    ids=["unknown", "not-audio", "short", "16k", "stereo", "closed", "broken"],
)
async def test_answers_that_are_not_played(
    hass: HomeAssistant,
    talk: tuple[Conversation, FakeSocket, FakeAgent],
    monkeypatch: pytest.MonkeyPatch,
    data: bytes | None,
    closed: bool,
    broken: bool,
) -> None:
    """What cannot be played is skipped; what is cut short ends quietly."""
    talking, socket, _ = talk
    answer(monkeypatch, data)
    socket.closed, socket.broken = closed, broken
    playback = hass.async_create_task(talking._async_play("t"))
    await asyncio.sleep(0.05)
    playback.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await playback
    # Nothing plays, or it is cut short without a clear once the stream is gone.
    assert bool(socket.sent) is closed
    assert {"eventType": "clear"} not in socket.sent


async def test_answer_of_no_length(
    hass: HomeAssistant,
    talk: tuple[Conversation, FakeSocket, FakeAgent],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An answer sent faster than it plays (time standing still) ends at once."""
    talking, socket, _ = talk
    monkeypatch.setattr(stream, "FRAME_SECONDS", 0)
    # An odd size: the last frame is short.
    answer(monkeypatch, wav(0.1)[:-2], size=7)
    await talking._async_play("t")
    assert len(socket.sent) == 5
    assert {frame["eventType"] for frame in socket.sent} == {"playAudio"}


async def test_pipeline_events_without_answers(
    hass: HomeAssistant, talk: tuple[Conversation, FakeSocket, FakeAgent]
) -> None:
    """A run without spoken answer plays nothing; an error counts as failed."""
    talking, _, _ = talk
    turn: dict[str, str | None] = {"heard": None, "answered": None}
    run = conversation._Run()
    talking.on_event(turn, run, event(PipelineEventType.TTS_END, {"tts_output": None}))
    talking.on_event(turn, run, event(PipelineEventType.TTS_END, None))
    talking.on_event(
        turn, run, event(PipelineEventType.ERROR, {"code": "stt-no-text-recognized"})
    )
    assert run.failed
    assert talking._playback is None


# --- WAV as it arrives --------------------------------------------------------------


async def _samples(data: bytes, size: int) -> bytes:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    return b"".join([chunk async for chunk in wav_samples(chunks())])


def _wav(chunks: list[tuple[bytes, bytes]], data_size: int | None = None) -> bytes:
    body = b"WAVE"
    for name, payload in chunks:
        size = len(payload) if data_size is None or name != b"data" else data_size
        body += (
            name
            + struct.pack("<I", size)
            + payload
            + (b"\0" if len(payload) % 2 and name != b"data" else b"")
        )
    return b"RIFF" + struct.pack("<I", len(body)) + body


FMT = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)


@pytest.mark.parametrize("size", [1, 7, 44, 4096])
async def test_wav_samples(size: int) -> None:
    """8 kHz mono 16-bit WAV is played whatever pieces it comes in."""
    assert await _samples(wav(0.01), size) == b"\0\0" * 80
    # Other chunks are skipped; an odd-sized one keeps its pad byte.
    extra = _wav([(b"LIST", b"abc"), (b"fmt ", FMT), (b"data", b"\1\0\2\0")])
    assert await _samples(extra, size) == b"\1\0\2\0"
    # A streamed WAV does not know its length: read to the end.
    for unknown in (0, 0xFFFFFFFF):
        streamed = _wav([(b"fmt ", FMT), (b"data", b"\1\0\2\0\3\0")], unknown)
        assert await _samples(streamed, size) == b"\1\0\2\0\3\0"
    # A known length ends the samples, whatever follows.
    assert (
        await _samples(_wav([(b"fmt ", FMT), (b"data", b"\1\0")]) + b"junk", size)
        == b"\1\0"
    )


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"RIFF", "not WAV audio"),
        (b"RIFX" + b"\0" * 40, "not WAV audio"),
        (_wav([(b"data", b"\1\0")]), "without a format"),
        (_wav([(b"fmt ", FMT)]), "no audio"),
        (wav(0.01, rate=16000), "16000 Hz, 16-bit, 1 channels"),
        (wav(0.01, channels=2), "8000 Hz, 16-bit, 2 channels"),
    ],
)
async def test_wav_that_is_not_played(data: bytes, error: str) -> None:
    """Anything else is refused before a frame is sent."""
    with pytest.raises(ValueError, match=error):
        await _samples(data, 3)


# --- Turns and endings ----------------------------------------------------------------


async def test_pipeline_failing_again_and_again(
    hass: HomeAssistant, talk: tuple[Conversation, FakeSocket, FakeAgent]
) -> None:
    """Three failed runs in a row end the conversation."""
    talking, _, agent = talk
    agent.runs = [PipelineError("boom", "it failed")] * conversation.MAX_FAILED_TURNS
    await talking._async_converse()
    assert talking.reason == "error"
    assert agent.runs == []


async def test_goodbye_without_an_answer(
    hass: HomeAssistant, talk: tuple[Conversation, FakeSocket, FakeAgent]
) -> None:
    """A goodbye that gets no spoken answer ends the conversation at once."""
    talking, _, agent = talk
    agent.runs = [
        [
            event(PipelineEventType.STT_VAD_START, {}),
            event(PipelineEventType.STT_VAD_END, {}),
            event(PipelineEventType.STT_END, {"stt_output": {"text": "Bye."}}),
            event(
                PipelineEventType.INTENT_END,
                {
                    "intent_output": {
                        "response": {"speech": {"plain": {"speech": "Bye!"}}}
                    }
                },
            ),
        ]
    ]
    await talking._async_converse()
    assert talking.reason == "goodbye"
    assert talking.turns == [{"heard": "Bye.", "answered": "Bye!"}]


async def test_question_answered_ends_the_call(
    hass: HomeAssistant, talk: tuple[Conversation, FakeSocket, FakeAgent]
) -> None:
    """A call made to ask a question ends once it has its answer."""
    talking, _, agent = talk
    agent.questions = True
    await talking._async_converse()
    assert talking.reason == "answered"


async def test_conversation_runs_and_ends(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    talk: tuple[Conversation, FakeSocket, FakeAgent],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Started, it tells automations; at its time limit it ends, and hangs up."""
    talking, socket, agent = talk
    monkeypatch.setattr(conversation, "MINUTE", 0.01)
    hass.config_entries.async_update_entry(
        init_integration,
        options={**init_integration.options, CONF_ASSIST_MAX_MINUTES: 1},
    )
    ended = []
    hass.bus.async_listen(EVENT_ASSIST_ENDED, ended.append)
    await asyncio.wait_for(talking.async_run(), 5)
    await hass.async_block_till_done()
    assert talking.reason == "time_limit"
    assert agent.ended
    assert socket.closed
    [fired] = ended
    assert fired.data["reason"] == "time_limit"
    assert fired.data["pipeline_id"] == "p1"


async def test_deleted_pipeline_hangs_up(
    hass: HomeAssistant,
    talk: tuple[Conversation, FakeSocket, FakeAgent],
) -> None:
    """A call whose pipeline no longer exists is hung up when its stream starts."""
    from homeassistant.components.assist_pipeline.error import PipelineNotFound  # noqa: PLC0415

    talking, _, agent = talk
    agent.pipeline = PipelineNotFound("x", "gone")  # type: ignore[assignment]
    await talking.async_run()
    await hass.async_block_till_done()
    assert not agent.ended


async def test_pipeline_agent(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs the pipeline directly, carrying the conversation from run to run."""
    runs: list[dict[str, Any]] = []

    async def run(_hass: HomeAssistant, **kwargs: Any) -> None:
        runs.append(kwargs)
        kwargs["event_callback"](
            event(
                PipelineEventType.INTENT_END,
                {"intent_output": {"conversation_id": f"conv-{len(runs)}"}},
            )
        )
        kwargs["event_callback"](event(PipelineEventType.INTENT_END, None))

    monkeypatch.setattr(conversation, "async_pipeline_from_audio_stream", run)
    agent = PipelineAgent(hass, "p1", conversation.Context())
    heard: list[PipelineEvent] = []
    for _ in range(2):
        await agent.async_run(None, heard.append)  # type: ignore[arg-type]
    assert [r["conversation_id"] for r in runs] == [None, "conv-1"]
    assert [r["pipeline_id"] for r in runs] == ["p1", "p1"]
    assert len(heard) == 4
    assert not agent.question_answered()
    agent.answer_finished()
    agent.conversation_ended()
    assert PipelineAgent(hass, "", conversation.Context())._pipeline_id == ""


# --- The call's end, and its stream's ------------------------------------------------


async def test_disconnect_ends_the_conversation_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    call: LiveCall,
    talk: tuple[Conversation, FakeSocket, FakeAgent],
) -> None:
    """Bandwidth's disconnect ends the conversation, before the socket closes."""
    talking, socket, _ = talk
    init_integration.runtime_data.conversations[call.ref] = talking
    async_follow_stream(
        hass, init_integration, call, CallbackEvent("answer", "c-1", None, {})
    )
    assert not talking._ending
    async_follow_stream(
        hass, init_integration, call, CallbackEvent("disconnect", "c-1", None, {})
    )
    assert talking.reason == "stopped"
    await hass.async_block_till_done()
    assert socket.closed


async def test_rejected_stream_ends_the_conversation(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    call: LiveCall,
    talk: tuple[Conversation, FakeSocket, FakeAgent],
) -> None:
    """A stream Bandwidth could not start ends its conversation at once."""
    talking, _, _ = talk
    init_integration.runtime_data.conversations[call.ref] = talking
    rejected = CallbackEvent(
        "mediaStreamRejected", "c-1", None, {"cause": "connection-error"}
    )
    async_follow_stream(hass, init_integration, call, rejected)
    assert talking.reason == "stream_failed"


async def test_unload_ends_conversations(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    call: LiveCall,
    talk: tuple[Conversation, FakeSocket, FakeAgent],
) -> None:
    """An entry unloading ends its conversations."""
    talking, _, _ = talk
    init_integration.runtime_data.conversations[call.ref] = talking
    async_end_conversations(init_integration)
    assert talking.reason == "stopped"
    assert talking._ending


async def test_stream_url_naming_a_call_of_an_entry_not_loaded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Entries not loaded have no calls to stream."""
    MockConfigEntry(domain=DOMAIN, title="Other").add_to_hass(hass)
    assert stream._find_call(hass, "ref", "secret") is None
    assert stream._find_call(hass, "", "") is None


async def test_finish_before_it_started(
    hass: HomeAssistant, talk: tuple[Conversation, FakeSocket, FakeAgent]
) -> None:
    """A conversation that never started its timers still finishes cleanly."""
    talking, _, agent = talk
    await talking._async_finish()
    assert agent.ended


async def test_rejected_stream_of_a_call_not_talking_yet(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    call: LiveCall,
    bandwidth_sandbox: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stream rejected before it ever connected: the event, then a hang-up."""
    ended: list[Any] = []
    hass.bus.async_listen(EVENT_ASSIST_ENDED, ended.append)
    rejected = CallbackEvent("mediaStreamRejected", "c-1", None, {"cause": "duplicate"})
    async_follow_stream(hass, init_integration, call, rejected)
    await hass.async_block_till_done(wait_background_tasks=True)
    [fired] = ended
    assert fired.data["reason"] == "stream_failed"
    assert fired.data["turns"] == []
    assert "duplicate" in caplog.text
    # The hang-up was asked for (the sandbox knows no such call: nothing more).
    assert any("/calls/c-1" in r.path for r in bandwidth_sandbox.requests), [
        r.path for r in bandwidth_sandbox.requests
    ]
    # A call not known by Bandwidth's id yet: nothing to hang up.
    call.call_id = None
    async_follow_stream(hass, init_integration, call, rejected)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(ended) == 2
    # A call not talking to Assist: its stream events mean nothing.
    call.assist = None
    async_follow_stream(hass, init_integration, call, rejected)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(ended) == 2
