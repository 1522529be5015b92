"""A call's media stream: Bandwidth's websocket, the caller's audio in, answers out.

A call told to talk to Assist runs `<StartStream>` (see bxml.py), and
Bandwidth opens a websocket to Home Assistant's external URL carrying the
caller's audio as 8 kHz µ-law, 20 ms a frame. The URL's query names the call
and holds its secret, compared in constant time: Bandwidth has no login. It
is in the query, not the path, because Home Assistant logs paths it serves.

Anyone can reach this URL, so every frame is read as hostile: one that is not
a JSON object, not Bandwidth's shape, or not µ-law in base64 is dropped;
frames are capped in size, and the audio waiting to be heard is bounded.
Answers go back as µ-law frames paced in real time, a few ahead; cutting one
short sends `clear`, which drops what Bandwidth has not played yet.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine
from http import HTTPStatus
from typing import Any, Final

from aiohttp import WSMsgType, web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util.json import json_loads
from yarl import URL

from . import ulaw
from .calls import QUERY_KEY, QUERY_REF, LiveCall
from .cloudhook import async_direct_url
from .const import DOMAIN, LOGGER
from .data import BandwidthConfigEntry

STREAM_PATH: Final = "/api/bandwidth/stream"
# How long Bandwidth has, once connected, to say which call it streams.
START_TIMEOUT: Final = 10.0  # seconds
# Bandwidth's frames are a few hundred bytes (the start frame about one KB):
# anything much larger is not Bandwidth, and would hold the loop.
MAX_MESSAGE_SIZE: Final = 16 * 1024
# Audio waiting to be heard by the pipeline: 5 s of frames; older audio is
# dropped first when nothing reads it (between two runs, say).
MAX_QUEUED_FRAMES: Final = 250
# Bandwidth's frames: 20 ms of 8 kHz audio, two bytes a sample as 16-bit PCM.
FRAME_SECONDS: Final = 0.02
FRAME_BYTES: Final = 160 * 2
# Frames sent ahead of real time, so the caller never hears a gap.
LEAD_FRAMES: Final = 3

type Converse = Callable[
    [BandwidthConfigEntry, LiveCall, MediaStream], Coroutine[Any, Any, None]
]


def stream_base(hass: HomeAssistant) -> str | None:
    """Return the ws(s):// root Bandwidth reaches Home Assistant at, if any.

    Only the external URL or Home Assistant Cloud's remote UI will do:
    cloudhooks carry no websockets.
    """
    if (base := async_direct_url(hass)) is None:
        return None
    url = URL(base)
    return str(url.with_scheme("wss" if url.scheme == "https" else "ws")).rstrip("/")


@callback
def async_stream_url(hass: HomeAssistant, call: LiveCall) -> str | None:
    """Return where a call's media stream goes; None without an external URL."""
    if (base := stream_base(hass)) is None:
        return None
    return str(
        URL(f"{base}{STREAM_PATH}").with_query(
            {QUERY_REF: call.ref, QUERY_KEY: call.secret}
        )
    )


class StreamView(HomeAssistantView):
    """Accepts the media streams of calls talking to Assist.

    A URL naming no call talking to Assist, or without its secret, is refused
    before the handshake.
    """

    url = STREAM_PATH
    name = "api:bandwidth:stream"
    requires_auth = False

    def __init__(self, hass: HomeAssistant, converse: Converse) -> None:
        """Hand each accepted stream to `converse`."""
        self._hass = hass
        self._converse = converse

    async def get(self, request: web.Request) -> web.StreamResponse:
        """Take a call's stream into its conversation."""
        found = _find_call(
            self._hass,
            request.query.get(QUERY_REF, ""),
            request.query.get(QUERY_KEY, ""),
        )
        if found is None:
            LOGGER.debug("Refused a media stream for no call talking to Assist")
            return web.Response(status=HTTPStatus.NOT_FOUND)
        entry, call = found
        if call.streaming:
            LOGGER.debug("Call %s already streams to Assist", call.call_id)
            return web.Response(status=HTTPStatus.CONFLICT)
        socket = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_SIZE)
        await socket.prepare(request)
        stream = MediaStream(socket)
        call.streaming = True
        try:
            if await stream.async_started(call.call_id):
                await self._converse(entry, call, stream)
        finally:
            call.streaming = False
            await stream.async_close()
        return socket


def _find_call(
    hass: HomeAssistant, ref: str, key: str
) -> tuple[BandwidthConfigEntry, LiveCall] | None:
    """Return the call talking to Assist whose reference and secret are given."""
    found: tuple[BandwidthConfigEntry, LiveCall] | None = None
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is not ConfigEntryState.LOADED:
            continue
        if ref and (call := entry.runtime_data.calls.by_ref(ref)) is not None:
            found = (entry, call)
    # Compared even for an unknown reference: timing tells nothing.
    secret = found[1].secret if found is not None else "-"
    if not hmac.compare_digest(key.encode(), secret.encode()) or found is None:
        return None
    call = found[1]
    if call.assist is None or call.phase != "conversing":
        return None
    return found


class MediaStream:
    """One call's websocket: the caller's audio in, answers out."""

    def __init__(self, socket: web.WebSocketResponse) -> None:
        """Wrap an accepted websocket."""
        self.socket = socket
        self.audio: asyncio.Queue[bytes] = asyncio.Queue(MAX_QUEUED_FRAMES)
        self._previous = 0  # the last sample heard, to join frames smoothly

    async def async_started(self, call_id: str | None) -> bool:
        """Wait for the start frame; tell whether it is this call's stream."""
        try:
            async with asyncio.timeout(START_TIMEOUT):
                message = await self.socket.receive()
        except TimeoutError:
            LOGGER.debug("No start frame on call %s's stream", call_id)
            return False
        frame = _frame(message)
        metadata = frame.get("metadata") if frame is not None else None
        if (
            frame is None
            or frame.get("eventType") != "start"
            or not isinstance(metadata, dict)
            or call_id is None
            or metadata.get("callId") != call_id
        ):
            LOGGER.debug("Call %s's stream does not start as its own", call_id)
            return False
        return True

    async def async_receive(self) -> None:
        """Take the caller's audio until the stream stops or closes."""
        async for message in self.socket:
            if not self.take(message):
                return

    def take(self, message: Any) -> bool:
        """Take one websocket message; False once the stream stops.

        Text and binary frames are read alike, as Bandwidth's own stream
        parser does; anything that is not one of its frames is dropped.
        """
        frame = _frame(message)
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
        except (binascii.Error, ValueError):  # ValueError: not even ASCII
            return True
        pcm, self._previous = ulaw.to_pcm16k(data, self._previous)
        if self.audio.full():
            self.audio.get_nowait()
        self.audio.put_nowait(pcm)
        return True

    def clear_audio(self) -> None:
        """Forget what the caller said so far."""
        while not self.audio.empty():
            self.audio.get_nowait()

    async def heard(self) -> AsyncIterator[bytes]:
        """Yield the caller's audio (16 kHz PCM) as it comes."""
        while True:
            yield await self.audio.get()

    async def async_play(
        self, pcm: AsyncIterable[bytes], on_first_frame: Callable[[], None]
    ) -> None:
        """Send 8 kHz 16-bit audio as µ-law frames, paced, a few ahead.

        Returns once the caller has heard it all. Cancelled, it tells
        Bandwidth to drop what it has not played yet.
        """
        loop = asyncio.get_running_loop()
        start: float | None = None
        sent = 0
        pending = b""
        try:
            async for chunk in pcm:
                pending += chunk
                while len(pending) >= FRAME_BYTES:
                    frame, pending = pending[:FRAME_BYTES], pending[FRAME_BYTES:]
                    start = await self._send_frame(frame, start, sent, on_first_frame)
                    sent += 1
            if pending:
                start = await self._send_frame(pending, start, sent, on_first_frame)
                sent += 1
            # Done when the caller has heard it all.
            if start is not None and (end := start + sent * FRAME_SECONDS) > (
                now := loop.time()
            ):
                await asyncio.sleep(end - now)
        except asyncio.CancelledError:
            if not self.socket.closed:
                with contextlib.suppress(ConnectionError):
                    await self.socket.send_json({"eventType": "clear"})
            raise

    async def _send_frame(
        self,
        pcm: bytes,
        start: float | None,
        index: int,
        on_first_frame: Callable[[], None],
    ) -> float:
        """Send one frame when its time comes; return when the first was sent."""
        loop = asyncio.get_running_loop()
        payload = base64.b64encode(ulaw.encode(pcm)).decode()
        await self.socket.send_json(
            {
                "eventType": "playAudio",
                "media": {"contentType": "audio/pcmu", "payload": payload},
            }
        )
        if start is None:
            start = loop.time()
            on_first_frame()
        if (due := start + (index + 1 - LEAD_FRAMES) * FRAME_SECONDS) > (
            now := loop.time()
        ):
            await asyncio.sleep(due - now)
        return start

    async def async_close(self) -> None:
        """Close the websocket (the call goes on until Bandwidth is told)."""
        await self.socket.close()


def _frame(message: Any) -> dict[str, Any] | None:
    """Return a websocket message's JSON object, or None for anything else."""
    if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
        return None
    try:
        frame = json_loads(message.data)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None
