"""Media streams: what Bandwidth does on <StartStream>.

The sandbox opens a websocket to the verb's destination (url_rewrites
applied to its https:// form, as for callbacks), sends the `start` frame,
then one `media` frame of 20 ms of 8 kHz µ-law every 20 ms of real time: the
caller's speech (the call's Scenario.speech, a WAV file) once, then line
silence; Scenario.barge_in, if any, once the first answer starts playing. What comes back as `playAudio` is queued and "played" to the caller
at the same pace; `clear` drops what is queued. The stream ends, with a
`stop` frame, at <StopStream> or when the call ends; it also ends when the
destination closes the socket. Audio timing is real: the pipeline at the
other end measures speech by its length, answers are paced by the clock.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import secrets
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from .models import Call
    from .server import Sandbox

_LOGGER = logging.getLogger("sandbox")

FRAME_SECONDS = 0.02
FRAME_BYTES = 160  # 20 ms of 8 kHz µ-law
SILENCE = b"\xff" * FRAME_BYTES  # µ-law's zero


@dataclass
class MediaStream:
    """One <StartStream> of a call, and everything that went over it."""

    name: str
    destination: str  # as in the BXML, before url_rewrites
    stream_id: str = field(default_factory=lambda: f"s-{secrets.token_hex(16)}")
    status: int | None = None  # the handshake's status when it was refused
    error: str | None = None  # why it could not connect
    connected: bool = False
    frames_sent: int = 0
    # µ-law audio the destination sent (playAudio), all of it, and what the
    # caller heard of it before a clear or the end of the stream.
    received: bytearray = field(default_factory=bytearray)
    heard: bytearray = field(default_factory=bytearray)
    clears: int = 0
    # What came back and the caller has not heard yet.
    pending: bytearray = field(default_factory=bytearray, repr=False)
    # What the caller says over the first answer, not said yet.
    barge_in: bytes = field(default=b"", repr=False)
    messages: list[dict[str, Any]] = field(default_factory=list)
    # "stop": the sandbox stopped it; "closed": the destination closed it.
    ended: str | None = None
    close_code: int | None = None  # the websocket's, once closed
    # time.monotonic() when the websocket opened, and when the stream ended
    # (its socket closed, or it never opened).
    connected_at: float | None = None
    ended_at: float | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    stopping: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    # Set once the stream has ended (or never opened).
    finished: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def active(self) -> bool:
        """Whether the stream is starting or started, and has not ended."""
        return not self.finished.is_set()

    def finish(self) -> None:
        """Mark the stream ended (once)."""
        if not self.finished.is_set():
            self.ended_at = time.monotonic()
            self.finished.set()


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


class StreamPlayer:
    """Runs the media streams of the sandbox's calls (Call.streams)."""

    def __init__(self, sandbox: Sandbox) -> None:
        """Stream for this sandbox: its url_rewrites, account and recordings."""
        self._sandbox = sandbox

    def start(self, call: Call, name: str, destination: str) -> MediaStream:
        """Open a stream to `destination` in the background."""
        stream = MediaStream(name=name, destination=destination)
        call.streams.append(stream)
        stream.task = asyncio.get_running_loop().create_task(self._run(call, stream))
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
        """End the streams of a call that ended; wait until all is done."""
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

    async def _run(self, call: Call, stream: MediaStream) -> None:
        """Connect, stream the caller, record the answers, stop."""
        scenario = call.scenario or self._sandbox.scenario_for(call.request["to"])
        speech = caller_audio(scenario.speech)
        stream.barge_in = caller_audio(scenario.barge_in)
        try:
            async with aiohttp.ClientSession() as session:
                socket = await self._connect(call, stream, session)
                if socket is None:
                    return
                await self._stream(call, stream, socket, speech)
        finally:
            stream.finish()
        if self._sandbox.stream_recordings is not None:
            path = self._sandbox.stream_recordings / f"{call.call_id}-{stream.name}.wav"
            write_ulaw_wav(path, bytes(stream.heard))
            _LOGGER.info("call %s: what the caller heard is in %s", call.call_id, path)

    async def _connect(
        self, call: Call, stream: MediaStream, session: aiohttp.ClientSession
    ) -> aiohttp.ClientWebSocketResponse | None:
        """Open the websocket; None when it fails."""
        try:
            socket = await session.ws_connect(self._url(stream.destination))
        except aiohttp.WSServerHandshakeError as err:
            stream.status, stream.error = err.status, str(err)
            _LOGGER.warning("call %s: stream refused: %s", call.call_id, err.status)
            return None
        except aiohttp.ClientError as err:
            stream.error = str(err)
            _LOGGER.warning("call %s: stream failed: %s", call.call_id, err)
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
    ) -> None:
        """Send start, the media and stop; close the socket."""
        async with socket:
            await socket.send_json(
                {
                    "eventType": "start",
                    "metadata": self._metadata(call, stream),
                    "streamParams": {},
                }
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
