"""Benchmarks of calls talking to Assist: answer latency, event-loop time per frame.

Run with `benchmarks/run -k assist`. The sandbox calls in and says "turn on
the porch light" in real time; Home Assistant's real pipeline (its voice
activity detection, the default conversation agent) hears it through the
test speech-to-text engine and answers with the test voice (converted to
8 kHz WAV by ffmpeg, as a real engine's answer would be).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from homeassistant.core import HomeAssistant

from custom_components.bandwidth import assist as assist_module
from custom_components.bandwidth.assist import DATA_CONVERSATIONS, Conversation, Turn
from custom_components.bandwidth.calls import LiveCall
from custom_components.bandwidth.const import (
    CONF_ASSIST_CALLERS,
    CONF_INBOUND_CALLS,
    INBOUND_ASSIST,
)
from tests.helpers import Live
from tests.test_assist import wait_for
from tests.test_two_way import CALLER, ring_in, set_options
from tests.voices import PORCH, Assist

from .report import Row, median, ms, percentile, record

# Calls measured after one to warm Home Assistant up (intents, ffmpeg).
CALLS = 5
FRAMES = 5000
LATENCY_TARGET = 0.150  # seconds
FRAME_TARGET = 0.001  # seconds


class _Socket:
    """Bandwidth's end of a stream: takes frames, as fast as they come."""

    closed = False

    def __init__(self) -> None:
        self.sent = 0

    async def send_json(self, _data: dict[str, Any]) -> None:
        self.sent += 1

    async def close(self) -> None:
        self.closed = True


async def _one_call(live: Live, assist: Assist) -> Turn:
    """Call in, say the request, return the turn that answered it."""
    assist.ears.texts = ["turn on the porch light"]
    call = ring_in(live, speech=str(PORCH))
    conversations = live.hass.data[DATA_CONVERSATIONS]
    await wait_for(lambda: call.streams and call.streams[0].received, timeout=30)
    [conversation] = conversations.values()
    turn = conversation.turns[0]
    call.end("hangup")
    await wait_for(lambda: not conversations)
    await live.sandbox.wait_for_call(call.call_id, timeout=10)
    await live.hass.async_block_till_done()
    return turn


async def test_assist_answer_latency(assist: Assist, live: Live) -> None:
    """From the end of the caller's speech to the first frame of the answer."""
    set_options(
        live, **{CONF_INBOUND_CALLS: INBOUND_ASSIST, CONF_ASSIST_CALLERS: [CALLER]}
    )
    live.sandbox.time_scale = 1
    await _one_call(live, assist)  # warm-up
    totals: list[float] = []
    own: list[float] = []
    for _ in range(CALLS):
        turn = await _one_call(live, assist)
        assert turn.vad_end is not None
        assert turn.stt_end is not None
        assert turn.tts_start is not None
        assert turn.tts_end is not None
        assert turn.audio_ready is not None
        assert turn.first_frame is not None
        total = turn.first_frame - turn.vad_end
        # The engines' time: recognizing the speech, rendering the answer
        # (started at TTS_START, finished once its audio could be read).
        engines = (turn.stt_end - turn.vad_end) + (turn.audio_ready - turn.tts_start)
        totals.append(total)
        own.append(total - engines)
    record(
        Row(
            "Assist: end of speech to first answer frame, all included (median; "
            "test engines, the answer's audio cached after the first call)",
            ms(median(totals)),
            "-",
            "-",
            "-",
            None,
        )
    )
    worst = percentile(own, 1.0)
    record(
        Row(
            "Assist: end of speech to first answer frame, without STT/TTS engines "
            f"(median; worst {ms(worst)})",
            ms(median(own)),
            "-",
            "-",
            f"<= {ms(LATENCY_TARGET)}",
            median(own) <= LATENCY_TARGET,
        )
    )


@pytest.mark.usefixtures("init_integration")
async def test_assist_event_loop_time_per_frame(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Event-loop time to take one 20 ms frame in, and to send one out."""
    call = LiveCall.create(None, None, direction="inbound", phase="conversing")
    call.call_id = "c-bench"
    entry = hass.config_entries.async_entries("bandwidth")[0]
    socket = _Socket()
    conversation = Conversation(hass, entry, call, socket)  # type: ignore[arg-type]
    frame = json.dumps(
        {
            "eventType": "media",
            "track": "inbound",
            "payload": base64.b64encode(bytes(range(160))).decode(),
            "sequenceNumber": "1",
        }
    )
    incoming: list[float] = []
    for _ in range(FRAMES):
        start = time.perf_counter()
        conversation.handle_text(frame)
        incoming.append(time.perf_counter() - start)
        conversation.audio.get_nowait()

    monkeypatch.setattr(assist_module, "FRAME_SECONDS", 0)
    pcm = bytes(range(256)) * (FRAMES * 320 // 256)
    start = time.perf_counter()
    await conversation._async_send_audio(Turn(), pcm)  # noqa: SLF001
    outgoing = (time.perf_counter() - start) / socket.sent

    record(
        Row(
            "Assist: event-loop time per incoming 20 ms frame (median; p99 "
            f"{ms(percentile(incoming, 0.99))})",
            ms(median(incoming)),
            "-",
            "-",
            f"<= {ms(FRAME_TARGET)}",
            percentile(incoming, 0.99) <= FRAME_TARGET,
        )
    )
    record(
        Row(
            "Assist: event-loop time per answer frame sent (mean)",
            ms(outgoing),
            "-",
            "-",
            f"<= {ms(FRAME_TARGET)}",
            outgoing <= FRAME_TARGET,
        )
    )
