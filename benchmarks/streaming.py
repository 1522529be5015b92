"""A conversation agent that streams its answer, and a voice that speaks as text comes.

Both are set up the way the test engines are (tests/voices.py: a config entry
forwarding to its platform), on Home Assistant's real conversation and tts
components. With both in a pipeline, Home Assistant streams the answer: once
the agent has said more than 60 characters, the pipeline hands its text to
the voice as it comes, and the voice's audio (converted by Home Assistant to
the 8 kHz WAV the integration asks for) can be played before the agent has
finished.

Each records, with time.monotonic(), what a benchmark needs to take the
engines' own time out: when the agent said its first sentence, when the
voice was handed its first text and when it gave its first audio.
"""

from __future__ import annotations

import asyncio
import math
import struct
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from homeassistant.components import conversation
from homeassistant.components.assist_pipeline.pipeline import (
    async_create_default_pipeline,
    async_update_pipeline,
)
from homeassistant.components.tts import (
    TextToSpeechEntity,
    TTSAudioRequest,
    TTSAudioResponse,
)
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import mock_config_flow

from tests.voices import STT_ENTITY_ID, VoiceFlow, _async_set_up_entity

AGENT_DOMAIN = "test_streaming_agent"
AGENT_ENTITY_ID = "conversation.streaming_agent"
VOICE_DOMAIN = "test_streaming_voice"
VOICE_ENTITY_ID = "tts.streaming_voice"
PIPELINE_NAME = "Streaming"

# The agent's answer: a first sentence long enough for Home Assistant to start
# streaming (more than 60 characters), a pause as a language model might take
# before going on, then the rest.
FIRST_SENTENCE = (
    "The porch light has been on since sunset, and the front door is locked."
)
PAUSE = 1.5  # seconds
REST = " The garage door was opened at noon and closed again ten minutes later."

# The voice: 16 kHz mono 16-bit WAV, as many engines speak, about 16
# characters a second, a tone rather than silence.
RATE = 16000
SECONDS_PER_CHARACTER = 0.06
TONE_HZ = 440


@dataclass
class StreamedAnswer:
    """When one answer's first sentence was said, heard and spoken (monotonic)."""

    first_sentence: float
    rest: float | None = None
    first_text: float | None = None
    first_audio: float | None = None


class StreamingAgent(conversation.ConversationEntity):
    """Answers every request with FIRST_SENTENCE, a pause, then REST, streamed."""

    _attr_name = "Streaming agent"
    _attr_supports_streaming = True

    def __init__(self) -> None:
        """No answers yet."""
        self.answers: list[StreamedAnswer] = []

    @property
    def supported_languages(self) -> str:
        """Any language."""
        return MATCH_ALL

    async def _async_handle_message(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> conversation.ConversationResult:
        """Stream the answer into the chat log, as a language model's agent does."""
        async for _content in chat_log.async_add_delta_content_stream(
            self.entity_id, self._deltas()
        ):
            pass
        return conversation.async_get_result_from_chat_log(user_input, chat_log)

    async def _deltas(self) -> AsyncIterator[conversation.AssistantContentDeltaDict]:
        yield {"role": "assistant"}
        answer = StreamedAnswer(first_sentence=time.monotonic())
        self.answers.append(answer)
        yield {"content": FIRST_SENTENCE}
        await asyncio.sleep(PAUSE)
        answer.rest = time.monotonic()
        yield {"content": REST}


def _wav_header() -> bytes:
    """A streamed WAV's header: its sizes unknown (the largest), as ffmpeg writes."""
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        0xFFFFFFFF,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        1,
        RATE,
        RATE * 2,
        2,
        16,
        b"data",
        0xFFFFFFFF,
    )


def _tone(seconds: float) -> bytes:
    """A quiet tone, as 16-bit little-endian PCM."""
    count = round(seconds * RATE)
    return struct.pack(
        f"<{count}h",
        *(
            round(4000 * math.sin(2 * math.pi * TONE_HZ * index / RATE))
            for index in range(count)
        ),
    )


class StreamingVoice(TextToSpeechEntity):
    """Speaks each piece of text as it arrives: WAV, a tone as long as the text."""

    _attr_name = "Streaming voice"

    def __init__(self, agent: StreamingAgent) -> None:
        """Record, on the agent's answers, when text came and audio went."""
        self._agent = agent

    @property
    def default_language(self) -> str:
        """English."""
        return "en-US"

    @property
    def supported_languages(self) -> list[str]:
        """English."""
        return ["en-US"]

    async def async_stream_tts_audio(
        self, request: TTSAudioRequest
    ) -> TTSAudioResponse:
        """Speak the text as it comes (this makes the engine take streamed text)."""
        return TTSAudioResponse("wav", self._speak(request.message_gen))

    async def _speak(self, texts: AsyncGenerator[str]) -> AsyncGenerator[bytes]:
        answer = self._agent.answers[-1] if self._agent.answers else None
        header = _wav_header()
        async for text in texts:
            if answer is not None and answer.first_text is None:
                answer.first_text = time.monotonic()
            audio = _tone(len(text) * SECONDS_PER_CHARACTER)
            if answer is not None and answer.first_audio is None:
                answer.first_audio = time.monotonic()
            yield header + audio
            header = b""


@dataclass
class Streaming:
    """The pipeline "Streaming": the streaming agent and voice, the test ears."""

    agent: StreamingAgent
    voice: StreamingVoice
    pipeline_id: str


@contextmanager
def streaming_flows() -> Iterator[None]:
    """The config flows the agent's and the voice's entries claim to come from."""
    with (
        mock_config_flow(AGENT_DOMAIN, VoiceFlow),
        mock_config_flow(VOICE_DOMAIN, VoiceFlow),
    ):
        yield


async def async_set_up_streaming(hass: HomeAssistant) -> Streaming:
    """Set up the agent, the voice and their pipeline, within streaming_flows().

    Assist (tests.voices' `assist`) is set up already.
    """
    agent = StreamingAgent()
    voice = StreamingVoice(agent)
    await _async_set_up_entity(
        hass, AGENT_DOMAIN, "conversation", agent, AGENT_ENTITY_ID
    )
    await _async_set_up_entity(hass, VOICE_DOMAIN, "tts", voice, VOICE_ENTITY_ID)
    pipeline = await async_create_default_pipeline(
        hass,
        stt_engine_id=STT_ENTITY_ID,
        tts_engine_id=VOICE_ENTITY_ID,
        pipeline_name=PIPELINE_NAME,
    )
    assert pipeline is not None
    await async_update_pipeline(hass, pipeline, conversation_engine=AGENT_ENTITY_ID)
    return Streaming(agent, voice, pipeline.id)
