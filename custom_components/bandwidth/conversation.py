"""Talk to Assist over the phone: the turns of one call's conversation.

The caller's audio (from the call's media stream, stream.py) goes into Home
Assistant's voice pipeline, one run per thing said (the pipeline's own voice
activity detection ends each). A contact's call runs through their Assist
satellite (assist_satellite.py), so the satellite's pipeline, device and
conversation carry over; any other call runs the pipeline directly. Answers,
rendered as 8 kHz WAV, are played as they come: a streamed answer starts
playing before it is complete. The caller talking over an answer stops it.

A conversation ends when the caller hangs up (the stream stops, or the
call's disconnect arrives), says goodbye, stays silent, the pipeline keeps
failing, or it reaches the entry's time limit.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator, Callable
from typing import Any, Final, Protocol

from homeassistant.components import stt, tts
from homeassistant.components.assist_pipeline import (
    AudioSettings,
    PipelineEvent,
    PipelineEventType,
    async_pipeline_from_audio_stream,
)
from homeassistant.components.assist_pipeline.error import (
    PipelineError,
    PipelineNotFound,
)
from homeassistant.components.assist_pipeline.pipeline import async_get_pipeline
from homeassistant.core import Context, HomeAssistant, callback

from .api import BandwidthError
from .calls import LiveCall
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_ASSIST_MAX_MINUTES,
    DEFAULT_ASSIST_MAX_MINUTES,
    DOMAIN,
    EVENT_ASSIST_ENDED,
    EVENT_ASSIST_STARTED,
    EVENT_TYPE_ASSIST_ENDED,
    EVENT_TYPE_ASSIST_STARTED,
    LOGGER,
)
from .data import BandwidthConfigEntry
from .parse import (
    ATTR_CONTACT,
)
from .signals import async_fire_call_event
from .stream import MediaStream
from .wav import SAMPLE_RATE, wav_samples

# How long the caller may stay silent before the conversation ends.
SILENCE_TIMEOUT: Final = 30.0  # seconds
MINUTE: Final = 60.0  # seconds
# Consecutive failed pipeline runs after which the conversation gives up.
MAX_FAILED_TURNS: Final = 3
# What ends a conversation when the caller says it last.
GOODBYES: Final = frozenset({"bye", "goodbye"})
_WORDS: Final = re.compile(r"\w+")

STT_METADATA: Final = stt.SpeechMetadata(
    language="",  # the pipeline's own
    format=stt.AudioFormats.WAV,
    codec=stt.AudioCodecs.PCM,
    bit_rate=stt.AudioBitRates.BITRATE_16,
    sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
    channel=stt.AudioChannels.CHANNEL_MONO,
)
# Answers come at the phone network's rate: converting costs nothing later.
TTS_OUTPUT: Final = {
    tts.ATTR_PREFERRED_FORMAT: "wav",
    tts.ATTR_PREFERRED_SAMPLE_RATE: SAMPLE_RATE,
    tts.ATTR_PREFERRED_SAMPLE_CHANNELS: 1,
    tts.ATTR_PREFERRED_SAMPLE_BYTES: 2,
}

# Why a conversation ended.
ENDED_STOPPED: Final = "stopped"  # the stream stopped: hang-up, or a new step
ENDED_GOODBYE: Final = "goodbye"
ENDED_SILENCE: Final = "silence"
ENDED_ERROR: Final = "error"
ENDED_TIME_LIMIT: Final = "time_limit"
ENDED_STREAM_FAILED: Final = "stream_failed"
ENDED_ANSWERED: Final = "answered"  # the question the call asked has its answer

type EventHandler = Callable[[PipelineEvent], None]


class Agent(Protocol):
    """Who answers the caller: one pipeline run per thing said."""

    def pipeline_id(self) -> str:
        """Return the pipeline the next run uses.

        Raises:
            PipelineNotFound: it no longer exists.

        """

    async def async_run(
        self, audio: AsyncIterator[bytes], on_event: EventHandler
    ) -> None:
        """Run the pipeline once on the caller's audio, reporting its events."""

    def answer_finished(self) -> None:
        """Tell that an answer has been heard (or cut short)."""

    def conversation_ended(self) -> None:
        """Tell that the call's conversation is over."""

    def question_answered(self) -> bool:
        """Tell whether the call was to ask a question, now answered."""


class PipelineAgent:
    """A pipeline run directly, for calls that are not a contact's."""

    def __init__(self, hass: HomeAssistant, pipeline_id: str, context: Context) -> None:
        """Run `pipeline_id` ("" for the preferred one) in `context`."""
        self._hass = hass
        self._pipeline_id = pipeline_id
        self._context = context
        self._conversation_id: str | None = None

    def pipeline_id(self) -> str:
        """Return the pipeline's id (the preferred one's, for "")."""
        return async_get_pipeline(self._hass, self._pipeline_id or None).id

    async def async_run(
        self, audio: AsyncIterator[bytes], on_event: EventHandler
    ) -> None:
        """Run the pipeline once, keeping the conversation going between runs."""

        @callback
        def follow(event: PipelineEvent) -> None:
            if event.type is PipelineEventType.INTENT_END and event.data:
                self._conversation_id = event.data["intent_output"].get(
                    "conversation_id"
                )
            on_event(event)

        await async_pipeline_from_audio_stream(
            self._hass,
            context=self._context,
            event_callback=follow,
            stt_metadata=STT_METADATA,
            stt_stream=audio,
            pipeline_id=self._pipeline_id or None,
            conversation_id=self._conversation_id,
            tts_audio_output=TTS_OUTPUT,
            audio_settings=AudioSettings(),
        )

    def answer_finished(self) -> None:
        """Nothing follows an answer here."""

    def conversation_ended(self) -> None:
        """Nothing to tidy up."""

    def question_answered(self) -> bool:
        """Such calls ask nothing."""
        return False


class Conversation:
    """One call talking to Assist over its media stream."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: BandwidthConfigEntry,
        call: LiveCall,
        stream: MediaStream,
        agent: Agent,
    ) -> None:
        """Talk to `agent` over an accepted stream."""
        self.hass = hass
        self.entry = entry
        self.call = call
        self.stream = stream
        self.agent = agent
        # What was heard and answered, turn by turn (for the ended event).
        self.turns: list[dict[str, str | None]] = []
        self.reason = ENDED_STOPPED
        self._pipeline_id = ""
        self._goodbye = False
        self._ending = False
        self._pipeline: asyncio.Task[None] | None = None
        self._playback: asyncio.Task[None] | None = None
        self._silence: asyncio.TimerHandle | None = None
        self._limit: asyncio.TimerHandle | None = None
        # The token of the answer that is streaming, once the run said so.
        self._response_token: str | None = None
        self._streamed: str | None = None

    async def async_run(self) -> None:
        """Converse until the stream stops or the conversation ends."""
        try:
            self._pipeline_id = self.agent.pipeline_id()
        except PipelineNotFound:
            LOGGER.warning(
                "Call %s cannot talk to Assist: its pipeline was deleted",
                self.call.call_id,
            )
            self._hang_up()
            return
        self._fire(EVENT_ASSIST_STARTED, EVENT_TYPE_ASSIST_STARTED, {})
        self._listen_for_silence()
        minutes = self.entry.options.get(
            CONF_ASSIST_MAX_MINUTES, DEFAULT_ASSIST_MAX_MINUTES
        )
        self._limit = self.hass.loop.call_later(
            minutes * MINUTE, self.end, ENDED_TIME_LIMIT
        )
        self._pipeline = self.entry.async_create_background_task(
            self.hass, self._async_converse(), f"{DOMAIN} assist {self.call.call_id}"
        )
        try:
            await self.stream.async_receive()
        finally:
            await self._async_finish()

    @callback
    def end(self, reason: str) -> None:
        """End the conversation: close the stream (then hang up, unless stopped)."""
        if self._ending:
            return
        self._ending = True
        self.reason = reason
        # Not the entry's: an entry unloading cancels its tasks.
        self.hass.async_create_background_task(
            self.stream.async_close(), f"{DOMAIN} assist close"
        )

    async def _async_finish(self) -> None:
        """Stop everything, tell automations, and end the call if it was ours to end."""
        self._ending = True
        for timer in (self._silence, self._limit):
            if timer is not None:
                timer.cancel()
        tasks = [
            task
            for task in (self._pipeline, self._playback)
            if task is not None and not task.done()
        ]
        for task in tasks:
            task.cancel()
        self.agent.conversation_ended()
        said = [turn for turn in self.turns if any(turn.values())]
        self._fire(
            EVENT_ASSIST_ENDED,
            EVENT_TYPE_ASSIST_ENDED,
            {"reason": self.reason, "turns": said},
        )
        if self.reason != ENDED_STOPPED:
            self._hang_up()
        await asyncio.gather(*tasks, return_exceptions=True)

    @callback
    def _hang_up(self) -> None:
        self.entry.async_create_background_task(
            self.hass, async_hang_up(self.entry, self.call), f"{DOMAIN} assist hangup"
        )

    @callback
    def _fire(self, name: str, entity_event: str, extra: dict[str, Any]) -> None:
        contact = self.entry.runtime_data.contacts.get(self.call.contact or "")
        data = {
            "call_id": self.call.call_id,
            ATTR_CONFIG_ENTRY_ID: self.entry.entry_id,
            "pipeline_id": self._pipeline_id,
            # Who is talking, for the logbook and automations.
            ATTR_CONTACT: contact.name if contact is not None else None,
            **extra,
        }
        async_fire_call_event(self.hass, self.entry.entry_id, name, entity_event, data)

    # -- The pipeline ----------------------------------------------------------

    async def _async_converse(self) -> None:
        """Run the pipeline again and again, one run per thing the caller says."""
        failed = 0
        while not self._ending:
            # What was said while Assist was thinking is not the next request.
            self.stream.clear_audio()
            turn: dict[str, str | None] = {"heard": None, "answered": None}
            self.turns.append(turn)
            outcome = _Run()
            try:
                await self.agent.async_run(
                    self.stream.heard(), functools.partial(self.on_event, turn, outcome)
                )
            except PipelineError as err:
                LOGGER.warning("Assist failed on call %s: %s", self.call.call_id, err)
                outcome.failed = True
            failed = failed + 1 if outcome.failed and not outcome.speech else 0
            if failed >= MAX_FAILED_TURNS:
                self.end(ENDED_ERROR)
            elif self.agent.question_answered():
                self.end(ENDED_ANSWERED)
            elif self._goodbye:
                if self._playback is not None:
                    # Cut short or not, the answer is over.
                    await asyncio.wait([self._playback])
                self.end(ENDED_GOODBYE)

    @callback
    def on_event(
        self, turn: dict[str, str | None], outcome: _Run, event: PipelineEvent
    ) -> None:
        """Follow a pipeline run: barge in, keep what was said, play answers."""
        data = event.data or {}
        match event.type:
            case PipelineEventType.RUN_START:
                self._response_token = (data.get("tts_output") or {}).get("token")
            case PipelineEventType.STT_VAD_START:
                outcome.speech = True
                self._barge_in()
                self._listen_for_silence()
            case PipelineEventType.STT_VAD_END:
                self._listen_for_silence()
            case PipelineEventType.STT_END:
                turn["heard"] = heard = data["stt_output"]["text"]
                words = _WORDS.findall(heard.casefold())
                self._goodbye = bool(words) and words[-1] in GOODBYES
            case PipelineEventType.INTENT_PROGRESS if data.get("tts_start_streaming"):
                # The answer streams: play it as it is spoken, not once done.
                if self._response_token is not None:
                    self._play(self._response_token)
            case PipelineEventType.INTENT_END:
                speech = data["intent_output"].get("response", {}).get("speech", {})
                turn["answered"] = speech.get("plain", {}).get("speech")
            case PipelineEventType.TTS_END:
                token = (data.get("tts_output") or {}).get("token")
                if token and token != self._streamed:
                    self._play(token)
            case PipelineEventType.ERROR:
                outcome.failed = True
                LOGGER.debug("Assist on call %s: %s", self.call.call_id, data)

    # -- Answers ---------------------------------------------------------------

    @callback
    def _barge_in(self) -> None:
        """Stop the answer playing: the caller is talking."""
        if self._playback is not None and not self._playback.done():
            self._playback.cancel()

    @callback
    def _play(self, token: str) -> None:
        """Start playing an answer, in place of any still playing."""
        self._barge_in()
        self._streamed = token
        self._playback = self.entry.async_create_background_task(
            self.hass, self._async_play(token), f"{DOMAIN} assist answer"
        )

    async def _async_play(self, token: str) -> None:
        """Play an answer's audio as it comes from text-to-speech."""
        if (result := tts.async_get_stream(self.hass, token)) is None:
            return
        try:
            await self.stream.async_play(
                wav_samples(result.async_stream_result()), self._stop_listening
            )
        except ValueError as err:
            LOGGER.warning("Cannot play Assist's answer on a call: %s", err)
        except ConnectionError:
            # The stream is ending: the conversation sees it on its own.
            return
        finally:
            self.agent.answer_finished()
            self._listen_for_silence()

    # -- Silence ---------------------------------------------------------------

    @callback
    def _listen_for_silence(self) -> None:
        """(Re)start the time the caller may stay silent."""
        self._stop_listening()
        if self._ending:
            return
        self._silence = self.hass.loop.call_later(
            SILENCE_TIMEOUT, self.end, ENDED_SILENCE
        )

    @callback
    def _stop_listening(self) -> None:
        if self._silence is not None:
            self._silence.cancel()


class _Run:
    """How one pipeline run went."""

    __slots__ = ("failed", "speech")

    def __init__(self) -> None:
        self.failed = False
        self.speech = False


async def async_hang_up(entry: BandwidthConfigEntry, call: LiveCall) -> None:
    """Hang a call up through Bandwidth; it may be over already."""
    if call.call_id is None:
        return
    try:
        await entry.runtime_data.client.hangup(call.call_id)
    except BandwidthError as err:
        LOGGER.debug("Could not hang up call %s: %s", call.call_id, err)
