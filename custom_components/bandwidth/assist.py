"""Talk to Assist over the phone: a call's media stream into a voice pipeline.

A call told to talk to Assist runs `<StartStream>` (see replies.py), and
Bandwidth opens a websocket to Home Assistant's external URL, carrying the
caller's audio as 8 kHz µ-law. The websocket's URL names the call and holds
its secret, compared in constant time: Bandwidth has no login. The caller's
audio goes, upsampled to 16 kHz, into Home Assistant's voice pipeline, one
run per thing said (the pipeline's own voice activity detection ends each);
each answer, rendered as 8 kHz WAV, goes back as µ-law frames paced in real
time. The caller talking over an answer stops it (barge-in). The
conversation ends when the caller hangs up, says goodbye, or stays silent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import hmac
import io
import re
import time
import wave
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final

from aiohttp import WSMsgType, web
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
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.json import json_loads
from yarl import URL

from . import ulaw
from .api import BandwidthError
from .calls import LiveCall
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_ASSIST_PIPELINE,
    DOMAIN,
    EVENT_ASSIST_ENDED,
    EVENT_ASSIST_STARTED,
    EVENT_TYPE_ASSIST_ENDED,
    EVENT_TYPE_ASSIST_STARTED,
    LOGGER,
)
from .data import BandwidthConfigEntry
from .errors import validation_error
from .signals import async_fire_call_event

STREAM_PATH: Final = "/api/bandwidth/stream"
DATA_CONVERSATIONS: HassKey[dict[str, Conversation]] = HassKey(
    f"{DOMAIN}_conversations"
)
# Pipeline ids meaning Home Assistant's preferred pipeline ("preferred" is
# what the pipeline selector offers for it).
PREFERRED: Final = ("", "preferred")
# How long Bandwidth has, once connected, to say which call it streams.
START_TIMEOUT: Final = 10.0  # seconds
# How long the caller may stay silent before the conversation ends.
SILENCE_TIMEOUT: Final = 30.0  # seconds
# Consecutive failed pipeline runs after which the conversation gives up.
MAX_FAILED_TURNS: Final = 3
# Bandwidth's frames: 20 ms of 8 kHz audio, one byte (µ-law) or two
# (16-bit PCM) per sample.
FRAME_SECONDS: Final = 0.02
FRAME_SAMPLES: Final = 160
# Frames sent ahead of real time, so the caller never hears a gap.
LEAD_FRAMES: Final = 3
SAMPLE_RATE: Final = 8000
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
# Answers come as the phone network's rate: converting costs nothing later.
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


# --- Before the call: which pipeline, which URL ------------------------------


@callback
def resolve_pipeline(
    hass: HomeAssistant, options: Mapping[str, Any], *, assist: bool | str
) -> str:
    """Return the pipeline a call talks to ("" for the preferred one).

    `true` is the pipeline the entry's options name, else the preferred one.

    Raises:
        ServiceValidationError: Assist is not set up, the pipeline does not
            exist, or Bandwidth cannot reach Home Assistant with a websocket.

    """
    if "assist_pipeline" not in hass.config.components:
        raise validation_error("assist_unavailable")
    pipeline_id = (
        (options.get(CONF_ASSIST_PIPELINE) or "") if assist is True else assist
    )
    assert isinstance(pipeline_id, str)  # noqa: S101 - validated
    if pipeline_id not in PREFERRED:
        try:
            async_get_pipeline(hass, pipeline_id)
        except PipelineNotFound:
            raise validation_error("assist_pipeline_not_found") from None
    if _stream_base(hass) is None:
        raise validation_error("assist_no_url")
    return "" if pipeline_id in PREFERRED else pipeline_id


def _stream_base(hass: HomeAssistant) -> str | None:
    """Return the ws(s):// root Bandwidth reaches Home Assistant at, if any.

    Only the external URL or Home Assistant Cloud's remote UI will do:
    cloudhooks carry no websockets.
    """
    try:
        url = URL(get_url(hass, allow_internal=False, prefer_external=True))
    except NoURLAvailableError:
        return None
    return str(url.with_scheme("wss" if url.scheme == "https" else "ws")).rstrip("/")


@callback
def async_stream_url(hass: HomeAssistant, call: LiveCall) -> str | None:
    """Return where a call's media stream goes; None without an external URL."""
    if (base := _stream_base(hass)) is None:
        return None
    return f"{base}{STREAM_PATH}/{call.ref}.{call.secret}"


# --- The websocket -----------------------------------------------------------


@callback
def async_setup_streams(hass: HomeAssistant) -> None:
    """Start accepting media streams (once, for every entry)."""
    hass.data[DATA_CONVERSATIONS] = {}
    hass.http.register_view(StreamView(hass))


@callback
def async_end_conversations(hass: HomeAssistant, entry: BandwidthConfigEntry) -> None:
    """End the conversations of an entry being unloaded; their calls hang up."""
    ending = [
        conversation
        for conversation in hass.data[DATA_CONVERSATIONS].values()
        if conversation.entry is entry
    ]
    for conversation in ending:
        conversation.end(ENDED_STOPPED)


class StreamView(HomeAssistantView):
    """Accepts the media streams of calls talking to Assist.

    Bandwidth has no login: the call's secret in the URL is the credential.
    A URL naming no call talking to Assist is refused before the handshake.
    """

    url = STREAM_PATH + "/{token}"
    name = "api:bandwidth:stream"
    requires_auth = False

    def __init__(self, hass: HomeAssistant) -> None:
        """Accept streams for this Home Assistant."""
        self._hass = hass

    async def get(self, request: web.Request, token: str) -> web.StreamResponse:
        """Take a call's stream into its conversation."""
        hass = self._hass
        if (found := _find_call(hass, token)) is None:
            LOGGER.debug("Refused a media stream for no call talking to Assist")
            return web.Response(status=HTTPStatus.NOT_FOUND)
        entry, call = found
        conversations = hass.data[DATA_CONVERSATIONS]
        if call.ref in conversations:
            LOGGER.debug("Call %s already streams to Assist", call.call_id)
            return web.Response(status=HTTPStatus.CONFLICT)
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        conversation = Conversation(hass, entry, call, socket)
        conversations[call.ref] = conversation
        try:
            await conversation.async_run()
        finally:
            del conversations[call.ref]
        return socket


def _find_call(
    hass: HomeAssistant, token: str
) -> tuple[BandwidthConfigEntry, LiveCall] | None:
    """Return the call talking to Assist whose reference and secret `token` holds."""
    ref, _, key = token.partition(".")
    found: tuple[BandwidthConfigEntry, LiveCall] | None = None
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is not ConfigEntryState.LOADED:
            continue
        if (call := entry.runtime_data.calls.by_ref(ref)) is not None:
            found = (entry, call)
    # Compared even for an unknown reference: timing tells nothing.
    secret = found[1].secret if found is not None else "-"
    if not hmac.compare_digest(key.encode(), secret.encode()) or found is None:
        return None
    call = found[1]
    if call.assist is None or call.phase != "conversing":
        return None
    return found


# --- The conversation --------------------------------------------------------


@dataclass
class Turn:
    """One run of the pipeline: what the caller said and what Assist answered.

    The times (time.monotonic) are when each stage was reported.
    """

    heard: str | None = None
    answered: str | None = None
    speech: bool = False
    failed: bool = False
    vad_end: float | None = None
    stt_end: float | None = None
    tts_start: float | None = None
    tts_end: float | None = None
    audio_ready: float | None = None
    first_frame: float | None = None
    errors: list[str] = field(default_factory=list)


class Conversation:
    """One call talking to an Assist pipeline over its media stream."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: BandwidthConfigEntry,
        call: LiveCall,
        socket: web.WebSocketResponse,
    ) -> None:
        """Talk to the pipeline the call names, over an accepted websocket."""
        self.hass = hass
        self.entry = entry
        self.call = call
        self.socket = socket
        self.turns: list[Turn] = []
        self.reason = ENDED_STOPPED
        self.audio: asyncio.Queue[bytes] = asyncio.Queue()
        self._previous = 0  # the last sample heard, to join frames smoothly
        self._pipeline_id = ""
        self._conversation_id: str | None = None
        self._context = Context()
        self._goodbye = False
        self._ending = False
        self._pipeline: asyncio.Task[None] | None = None
        self._playback: asyncio.Task[None] | None = None
        self._silence: asyncio.TimerHandle | None = None

    # -- The stream ----------------------------------------------------------

    async def async_run(self) -> None:
        """Converse until the stream stops or the conversation ends."""
        if not await self._async_started():
            await self.socket.close()
            return
        try:
            self._pipeline_id = async_get_pipeline(
                self.hass, self.call.assist or None
            ).id
        except PipelineNotFound:
            LOGGER.warning(
                "Call %s cannot talk to Assist: its pipeline was deleted",
                self.call.call_id,
            )
            await self.socket.close()
            self._hang_up()
            return
        self.call.streaming = True
        self._fire(EVENT_ASSIST_STARTED, EVENT_TYPE_ASSIST_STARTED, {})
        self._listen_for_silence()
        self._pipeline = self.entry.async_create_background_task(
            self.hass, self._async_converse(), f"{DOMAIN} assist {self.call.call_id}"
        )
        try:
            async for message in self.socket:
                if message.type is WSMsgType.TEXT and not self.handle_text(
                    message.data
                ):
                    break
        finally:
            await self._async_finish()

    async def _async_started(self) -> bool:
        """Wait for the start frame; tell whether it is this call's stream."""
        try:
            async with asyncio.timeout(START_TIMEOUT):
                message = await self.socket.receive()
        except TimeoutError:
            LOGGER.debug("No start frame on call %s's stream", self.call.call_id)
            return False
        frame = _frame(message.data) if message.type is WSMsgType.TEXT else None
        metadata = frame.get("metadata") if frame is not None else None
        if (
            frame is None
            or frame.get("eventType") != "start"
            or not isinstance(metadata, dict)
            or self.call.call_id is None
            or metadata.get("callId") != self.call.call_id
        ):
            LOGGER.debug(
                "Call %s's stream does not start as its own", self.call.call_id
            )
            return False
        return True

    def handle_text(self, text: str) -> bool:
        """Take one frame of the stream; False once the stream stops."""
        frame = _frame(text)
        if frame is None:
            return True
        event_type = frame.get("eventType")
        if event_type == "stop":
            return False
        payload = frame.get("payload")
        if (
            event_type != "media"
            or frame.get("track", "inbound") != "inbound"
            or not isinstance(payload, str)
        ):
            return True
        try:
            data = base64.b64decode(payload, validate=True)
        except binascii.Error:
            return True
        pcm, self._previous = ulaw.to_pcm16k(data, self._previous)
        self.audio.put_nowait(pcm)
        return True

    async def _async_finish(self) -> None:
        """Stop everything, tell automations, and end the call if it was ours to end."""
        self._ending = True
        self.call.streaming = False
        self._stop_listening()
        tasks = [
            task
            for task in (self._pipeline, self._playback)
            if task is not None and not task.done()
        ]
        for task in tasks:
            task.cancel()
        said = [
            {"heard": turn.heard, "answered": turn.answered}
            for turn in self.turns
            if turn.heard is not None or turn.answered is not None
        ]
        self._fire(
            EVENT_ASSIST_ENDED,
            EVENT_TYPE_ASSIST_ENDED,
            {"reason": self.reason, "turns": said},
        )
        if self.reason != ENDED_STOPPED:
            self._hang_up()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.socket.close()

    @callback
    def end(self, reason: str) -> None:
        """End the conversation: close the stream (then hang up, unless stopped)."""
        if self._ending:
            return
        self._ending = True
        self.reason = reason
        # Not the entry's: an entry unloading cancels its tasks.
        self.hass.async_create_background_task(
            self.socket.close(), f"{DOMAIN} assist close"
        )

    @callback
    def _hang_up(self) -> None:
        self.entry.async_create_background_task(
            self.hass, self._async_hang_up(), f"{DOMAIN} assist hangup"
        )

    async def _async_hang_up(self) -> None:
        """Hang the call up through Bandwidth; it may be over already."""
        assert self.call.call_id is not None  # noqa: S101 - checked at the start
        try:
            await self.entry.runtime_data.client.hangup(self.call.call_id)
        except BandwidthError as err:
            LOGGER.debug("Could not hang up call %s: %s", self.call.call_id, err)

    @callback
    def _fire(self, name: str, entity_event: str, extra: dict[str, Any]) -> None:
        data = {
            "call_id": self.call.call_id,
            ATTR_CONFIG_ENTRY_ID: self.entry.entry_id,
            "pipeline_id": self._pipeline_id,
            **extra,
        }
        async_fire_call_event(self.hass, self.entry.entry_id, name, entity_event, data)

    # -- The pipeline ----------------------------------------------------------

    async def _async_converse(self) -> None:
        """Run the pipeline again and again, one run per thing the caller says."""
        failed = 0
        while not self._ending:
            # What was said while Assist was thinking is not the next request.
            while not self.audio.empty():
                self.audio.get_nowait()
            turn = Turn()
            self.turns.append(turn)
            try:
                await async_pipeline_from_audio_stream(
                    self.hass,
                    context=self._context,
                    event_callback=functools.partial(self._on_event, turn),
                    stt_metadata=STT_METADATA,
                    stt_stream=self._stt_stream(),
                    pipeline_id=self._pipeline_id,
                    conversation_id=self._conversation_id,
                    tts_audio_output=TTS_OUTPUT,
                    audio_settings=AudioSettings(),
                )
            except PipelineError as err:
                LOGGER.warning("Assist failed on call %s: %s", self.call.call_id, err)
                turn.failed = True
            failed = failed + 1 if turn.failed and not turn.speech else 0
            if failed >= MAX_FAILED_TURNS:
                self.end(ENDED_ERROR)
            elif self._goodbye:
                if self._playback is not None:
                    # Cut short or not, the answer is over.
                    await asyncio.wait([self._playback])
                self.end(ENDED_GOODBYE)

    async def _stt_stream(self) -> AsyncIterator[bytes]:
        """Yield the caller's audio until the pipeline stops listening."""
        while True:
            yield await self.audio.get()

    @callback
    def _on_event(self, turn: Turn, event: PipelineEvent) -> None:
        """Follow a pipeline run: barge in, keep what was said, play answers."""
        now = time.monotonic()
        data = event.data or {}
        match event.type:
            case PipelineEventType.STT_VAD_START:
                turn.speech = True
                self._barge_in()
                self._listen_for_silence()
            case PipelineEventType.STT_VAD_END:
                turn.vad_end = now
                self._listen_for_silence()
            case PipelineEventType.STT_END:
                turn.stt_end = now
                turn.heard = data["stt_output"]["text"]
                words = _WORDS.findall(turn.heard.casefold())
                self._goodbye = bool(words) and words[-1] in GOODBYES
            case PipelineEventType.INTENT_END:
                output = data["intent_output"]
                self._conversation_id = output.get("conversation_id")
                speech = output.get("response", {}).get("speech", {})
                turn.answered = speech.get("plain", {}).get("speech")
            case PipelineEventType.TTS_START:
                turn.tts_start = now
            case PipelineEventType.TTS_END:
                turn.tts_end = now
                if token := (data.get("tts_output") or {}).get("token"):
                    self._barge_in()
                    self._playback = self.entry.async_create_background_task(
                        self.hass,
                        self._async_play(turn, token),
                        f"{DOMAIN} assist answer {self.call.call_id}",
                    )
            case PipelineEventType.ERROR:
                turn.failed = True
                turn.errors.append(str(data.get("code")))
                LOGGER.debug("Assist on call %s: %s", self.call.call_id, data)

    # -- Answers ---------------------------------------------------------------

    @callback
    def _barge_in(self) -> None:
        """Stop the answer playing: the caller is talking."""
        if self._playback is not None and not self._playback.done():
            self._playback.cancel()

    async def _async_play(self, turn: Turn, token: str) -> None:
        """Send an answer to the caller in real time; `clear` if cut short."""
        if (stream := tts.async_get_stream(self.hass, token)) is None:
            return
        data = b"".join([chunk async for chunk in stream.async_stream_result()])
        try:
            pcm = wav_samples(data)
        except ValueError as err:
            LOGGER.warning("Cannot play Assist's answer on a call: %s", err)
            return
        turn.audio_ready = time.monotonic()
        self._stop_listening()
        try:
            await self._async_send_audio(turn, pcm)
        except asyncio.CancelledError:
            if not self.socket.closed:
                with contextlib.suppress(ConnectionError):
                    await self.socket.send_json({"eventType": "clear"})
            raise
        except ConnectionError:
            # The stream is ending: the conversation sees it on its own.
            return
        finally:
            self._listen_for_silence()

    async def _async_send_audio(self, turn: Turn, pcm: bytes) -> None:
        """Send 8 kHz 16-bit audio as µ-law frames, a few ahead of real time."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        size = FRAME_SAMPLES * 2
        frames = range(0, len(pcm), size)
        for index, offset in enumerate(frames):
            payload = base64.b64encode(ulaw.encode(pcm[offset : offset + size]))
            await self.socket.send_json(
                {
                    "eventType": "playAudio",
                    "media": {"contentType": "audio/pcmu", "payload": payload.decode()},
                }
            )
            if index == 0:
                turn.first_frame = time.monotonic()
            if (delay := start + (index + 1 - LEAD_FRAMES) * FRAME_SECONDS) > (
                now := loop.time()
            ):
                await asyncio.sleep(delay - now)
        # Done when the caller has heard it all.
        if (end := start + len(frames) * FRAME_SECONDS) > (now := loop.time()):
            await asyncio.sleep(end - now)

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


def _frame(text: Any) -> dict[str, Any] | None:
    """Return a stream frame's JSON object, or None for anything else."""
    try:
        frame = json_loads(text)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None


def wav_samples(data: bytes) -> bytes:
    """Return the samples of 8 kHz mono 16-bit WAV audio.

    Raises:
        ValueError: the audio is not that.

    """
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            shape = (wav.getframerate(), wav.getsampwidth(), wav.getnchannels())
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as err:
        msg = f"not WAV audio: {err}"
        raise ValueError(msg) from None
    if shape != (SAMPLE_RATE, 2, 1):
        msg = f"{shape[0]} Hz, {shape[1] * 8}-bit, {shape[2]} channels"
        raise ValueError(msg)
    return frames
