"""Media streams: what Bandwidth does on <StartStream> and <StopStream>.

<StartStream> does not block: the sandbox opens a websocket to the verb's
destination (url_rewrites applied to its https:// form, as for callbacks),
sends the `start` frame, then one `media` frame of 20 ms of 8 kHz µ-law every
20 ms of real time: the caller's speech (the call's Scenario.speech, a WAV
file) once, then line silence; Scenario.barge_in, if any, once the first
answer starts playing. Only the inbound track is streamed, whatever `tracks`
asks. What comes back as `playAudio` is queued and "played" to the caller at
the same pace; `clear` drops what is queued. Like Bandwidth, the sandbox
reads JSON in binary frames as in text frames.

The stream ends, with a `stop` frame and the websocket's close handshake, at
<StopStream> or when the call ends; it also ends when the destination closes
the socket. <StopStream> goes on with the next verb at once, while the
stream is still ending, unless it has wait="true": then once the stream has
ended. Until it has, its name stays taken: a <StartStream> with the name of
a stream of the call that has not ended is rejected ("duplicate"), as is one
whose websocket cannot be opened ("connection-error"); MediaStream.rejected
says which. An unnamed stream is named by its id.

With a streamEventUrl (streamEventMethod, username, password), the stream's
events go there as callbacks, through callbacks.py like every other (401
challenge, url_rewrites, the URL's query kept, recorded in Call.callbacks
and Call.attempts; the answer is ignored): mediaStreamStarted once the
`start` frame is sent, beside the media; mediaStreamStopped when the stream
has ended (cause "closed", or "connection-error" when the socket closed
abnormally); mediaStreamRejected (cause, errorMessage, and for a duplicate
the originalMediaStream) instead of both.

Audio timing is real: the pipeline at the other end measures speech by its
length, answers are paced by the clock.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import struct
import time
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from .bxml import Verb
from .callbacks import CallbackClient, event, stream_hook
from .models import Call, Hook, MediaStream, Scenario

_LOGGER = logging.getLogger("sandbox")

FRAME_SECONDS = 0.02
FRAME_BYTES = 160  # 20 ms of 8 kHz µ-law
SILENCE = b"\xff" * FRAME_BYTES  # µ-law's zero
# <StartStream tracks>: the tracks it names.
_TRACKS = {
    "inbound": ("inbound",),
    "outbound": ("outbound",),
    "both": ("inbound", "outbound"),
}


def _stop_cause(stream: MediaStream) -> dict[str, str]:
    """Why a stream that ran ended, as mediaStreamStopped says it.

    Stopped by the sandbox, or closed by the destination with a normal
    closure: "closed"; otherwise the websocket failed: "connection-error".
    """
    code = stream.close_code
    if stream.ended == "stop" or code == aiohttp.WSCloseCode.OK:
        return {"cause": "closed"}
    message = (
        f"The websocket closed with code {code}"
        if code
        else "The connection to the websocket was lost"
    )
    return {"cause": "connection-error", "errorMessage": message}


def _duration(stream: MediaStream) -> str:
    """How long a stream ran, in ISO 8601 (PT1M52.217S)."""
    seconds = (stream.ended_at or 0.0) - (stream.connected_at or 0.0)
    minutes, seconds = divmod(max(seconds, 0.0), 60)
    return f"PT{int(minutes)}M{seconds:.3f}S" if minutes else f"PT{seconds:.3f}S"


def caller_audio(path: str | None) -> bytes:
    """Return a WAV file's audio as 8 kHz µ-law (µ-law or 16-bit PCM files)."""
    if path is None:
        return b""
    data = Path(path).read_bytes()
    fmt, audio = _riff(data)
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if channels != 1 or rate != 8000:  # noqa: PLR2004
        msg = f"{path}: the caller speaks 8 kHz mono"
        raise ValueError(msg)
    if tag == 7 and bits == 8:  # noqa: PLR2004 - µ-law
        return audio
    if tag == 1 and bits == 16:  # noqa: PLR2004 - PCM
        from custom_components.bandwidth import ulaw  # noqa: PLC0415

        return ulaw.encode(audio)
    msg = f"{path}: WAV format {tag} with {bits} bits is not µ-law or PCM"
    raise ValueError(msg)


def _riff(data: bytes) -> tuple[bytes, bytes]:
    """Return a WAV file's fmt and data chunks."""
    fmt = audio = b""
    offset = 12
    while offset + 8 <= len(data):
        name = data[offset : offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        body = data[offset + 8 : offset + 8 + size]
        if name == b"fmt ":
            fmt = body
        elif name == b"data":
            audio = body
        offset += 8 + size + size % 2
    return fmt, audio


def write_ulaw_wav(path: Path, audio: bytes) -> None:
    """Save 8 kHz µ-law audio as a WAV file any player opens."""
    fmt = struct.pack("<HHIIHHH", 7, 1, 8000, 8000, 1, 8, 0)
    body = (
        b"WAVE"
        b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(audio))
        + audio
        + (b"\0" if len(audio) % 2 else b"")
    )
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


class StreamSettings(Protocol):
    """What the stream player reads of the sandbox."""

    account_id: str
    url_rewrites: dict[str, str]
    stream_recordings: Path | None

    def scenario_for(self, to: str) -> Scenario:
        """Pick the scenario a call to this destination plays."""


class StreamPlayer:
    """Runs the media streams of the sandbox's calls (Call.streams).

    Its settings are the sandbox's (`StreamSettings`): account_id,
    url_rewrites, stream_recordings and scenarios (through scenario_for).
    """

    def __init__(self, sandbox: StreamSettings, callbacks: CallbackClient) -> None:
        """Stream for this sandbox, sending stream events through `callbacks`."""
        self._sandbox = sandbox
        self._callbacks = callbacks

    def start(self, call: Call, verb: Verb, base: str) -> MediaStream:
        """Open a <StartStream>'s stream in the background, unless refused.

        A name still held by one of the call's streams is refused: the
        stream is recorded as rejected ("duplicate") and never opened.
        """
        attrs = verb.attrs
        stream = MediaStream(
            name=attrs.get("name", ""),
            destination=attrs["destination"],
            tracks=_TRACKS[attrs.get("tracks", "inbound").lower()],
        )
        stream.name = stream.name or stream.stream_id
        hook = stream_hook(call, verb, base)
        original = next(
            (
                other
                for other in call.streams
                if other.name == stream.name and other.active
            ),
            None,
        )
        call.streams.append(stream)
        loop = asyncio.get_running_loop()
        if original is None:
            stream.task = loop.create_task(self._run(call, stream, hook))
            return stream
        stream.rejected = "duplicate"
        stream.error = f"A stream with the name {stream.name} already exists"
        stream.finish()
        _LOGGER.warning(
            "call %s: stream %s rejected: duplicate", call.call_id, stream.name
        )
        stream.task = loop.create_task(
            self._notify(
                call,
                hook,
                "mediaStreamRejected",
                cause="duplicate",
                errorMessage=stream.error,
                mediaStream=stream.describe(),
                originalMediaStream=original.describe(),
            )
        )
        return stream

    async def stop(self, call: Call, name: str, *, wait: bool = False) -> None:
        """<StopStream>: tell the stream of that name to end with `stop`.

        With `wait`, return once it has ended (its socket closed); without,
        at once, the stream still ending.
        """
        streams = [stream for stream in call.streams if stream.name == name]
        for stream in streams:
            stream.stopping.set()
        if wait:
            for stream in streams:
                await stream.finished.wait()

    async def end(self, call: Call) -> None:
        """End the streams of a call that ended; wait until all is sent."""
        for stream in call.streams:
            stream.stopping.set()
        for stream in call.streams:
            if stream.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await stream.task

    def _url(self, destination: str) -> str:
        """Return where to connect: the destination, url_rewrites applied."""
        url = destination
        secure = url.startswith("wss://")
        as_http = ("https://" if secure else "http://") + url.split("://", 1)[1]
        for prefix, replacement in self._sandbox.url_rewrites.items():
            if as_http.startswith(prefix):
                as_http = replacement + as_http.removeprefix(prefix)
                break
        scheme, rest = as_http.split("://", 1)
        return ("wss://" if scheme == "https" else "ws://") + rest

    def _metadata(self, call: Call, stream: MediaStream) -> dict[str, Any]:
        return {
            "accountId": self._sandbox.account_id,
            "callId": call.call_id,
            "streamId": stream.stream_id,
            "streamName": stream.name,
            "tracks": [
                {
                    "name": "inbound",
                    "mediaFormat": {"encoding": "PCMU", "sampleRate": 8000},
                }
            ],
        }

    async def _run(self, call: Call, stream: MediaStream, hook: Hook | None) -> None:
        """Connect, stream the caller, record the answers, stop; tell the hook."""
        scenario = call.scenario or self._sandbox.scenario_for(call.request["to"])
        speech = caller_audio(scenario.speech)
        stream.barge_in = caller_audio(scenario.barge_in)
        try:
            async with aiohttp.ClientSession() as session:
                socket = await self._connect(call, stream, session)
                if socket is not None:
                    await self._stream(call, stream, socket, speech, hook)
        finally:
            stream.finish()
        if stream.rejected is not None:
            await self._notify(
                call,
                hook,
                "mediaStreamRejected",
                cause=stream.rejected,
                errorMessage=stream.error,
                mediaStream=stream.describe(),
            )
            return
        if self._sandbox.stream_recordings is not None:
            path = self._sandbox.stream_recordings / f"{call.call_id}-{stream.name}.wav"
            write_ulaw_wav(path, bytes(stream.heard))
            _LOGGER.info("call %s: what the caller heard is in %s", call.call_id, path)
        await self._notify(
            call,
            hook,
            "mediaStreamStopped",
            **_stop_cause(stream),
            mediaStream={**stream.describe(), "duration": _duration(stream)},
        )

    async def _connect(
        self, call: Call, stream: MediaStream, session: aiohttp.ClientSession
    ) -> aiohttp.ClientWebSocketResponse | None:
        """Open the websocket; None, and the stream rejected, when it fails."""
        try:
            socket = await session.ws_connect(self._url(stream.destination))
        except aiohttp.WSServerHandshakeError as err:
            stream.status = err.status
            _LOGGER.warning("call %s: stream refused: %s", call.call_id, err.status)
            stream.rejected = "connection-error"
            # The error's text names the URL, and so its secret: not this.
            stream.error = f"The websocket handshake was refused with HTTP {err.status}"
            return None
        except aiohttp.ClientError as err:
            _LOGGER.warning("call %s: stream failed: %s", call.call_id, err)
            stream.rejected = "connection-error"
            reason = (
                err.os_error.strerror
                if isinstance(err, aiohttp.ClientConnectorError)
                else None
            )
            stream.error = (
                f"Could not connect to the websocket: {reason or type(err).__name__}"
            )
            return None
        stream.connected, stream.connected_at = True, time.monotonic()
        _LOGGER.info("call %s streams to %s", call.call_id, stream.destination)
        return socket

    async def _stream(
        self,
        call: Call,
        stream: MediaStream,
        socket: aiohttp.ClientWebSocketResponse,
        speech: bytes,
        hook: Hook | None,
    ) -> None:
        """Send start, the media and stop; close the socket.

        mediaStreamStarted is sent beside the media, not before it: a slow
        streamEventUrl does not hold the audio back.
        """
        async with asyncio.TaskGroup() as events:
            async with socket:
                await socket.send_json(
                    {
                        "eventType": "start",
                        "metadata": self._metadata(call, stream),
                        "streamParams": {},
                    }
                )
                events.create_task(
                    self._notify(
                        call, hook, "mediaStreamStarted", mediaStream=stream.describe()
                    )
                )
                receiver = asyncio.get_running_loop().create_task(
                    self._receive(socket, stream)
                )
                try:
                    await self._send(socket, stream, speech, receiver)
                    stream.ended = "closed"
                    if not socket.closed:
                        with contextlib.suppress(ConnectionError):
                            await socket.send_json(
                                {
                                    "eventType": "stop",
                                    "metadata": self._metadata(call, stream),
                                }
                            )
                            stream.ended = "stop"
                        # Closed while the receiver still reads, the socket
                        # waits for the destination's answer to its close.
                        await socket.close()
                finally:
                    receiver.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await receiver
            stream.close_code = socket.close_code
            stream.finish()

    async def _notify(
        self, call: Call, hook: Hook | None, event_type: str, **fields: Any
    ) -> None:
        """Send a stream event to the <StartStream>'s streamEventUrl, if any."""
        if hook is not None:
            # What it answers is ignored (Bandwidth expects 204).
            await self._callbacks.deliver(
                call, event_type, hook, event(call, event_type, **fields)
            )

    async def _send(
        self,
        socket: aiohttp.ClientWebSocketResponse,
        stream: MediaStream,
        speech: bytes,
        receiver: asyncio.Task[None],
    ) -> None:
        """Send 20 ms frames in real time; play out what came back meanwhile."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        pending = stream.pending
        said = 0  # frames of `speech` sent
        while not stream.stopping.is_set() and not receiver.done():
            if stream.barge_in and stream.received:
                speech, stream.barge_in, said = stream.barge_in, b"", 0
            index = stream.frames_sent
            chunk = speech[said * FRAME_BYTES : (said + 1) * FRAME_BYTES]
            said += 1
            chunk += SILENCE[len(chunk) :]
            try:
                await socket.send_json(
                    {
                        "eventType": "media",
                        "track": "inbound",
                        "payload": base64.b64encode(chunk).decode(),
                        "sequenceNumber": str(index + 1),
                    }
                )
            except ConnectionError:
                return
            stream.frames_sent += 1
            # The caller hears one frame of what was sent back.
            stream.heard += pending[:FRAME_BYTES]
            del pending[:FRAME_BYTES]
            delay = start + stream.frames_sent * FRAME_SECONDS - loop.time()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(delay, 0)):
                    await stream.stopping.wait()

    async def _receive(
        self, socket: aiohttp.ClientWebSocketResponse, stream: MediaStream
    ) -> None:
        """Take playAudio and clear frames until the socket closes.

        Like Bandwidth's, the reader takes JSON in binary frames as in text
        frames; frames it cannot read are ignored.
        """
        async for message in socket:
            if message.type not in {aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY}:
                continue
            try:
                frame = json.loads(message.data)
            except ValueError:  # not JSON, or not UTF-8
                continue
            if not isinstance(frame, dict):
                continue
            stream.messages.append(frame)
            pending = stream.pending
            if frame.get("eventType") == "playAudio":
                try:
                    audio = base64.b64decode(frame["media"]["payload"])
                except (KeyError, TypeError, ValueError):
                    continue
                stream.received += audio
                pending += audio
            elif frame.get("eventType") == "clear":
                stream.clears += 1
                pending.clear()
