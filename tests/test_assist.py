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
from typing import Any

import aiohttp
import pytest
from homeassistant.core import HomeAssistant

from custom_components.bandwidth.const import (
    CONF_ASSIST_CALLERS,
    CONF_ASSIST_PIPELINE,
    CONF_INBOUND_CALLS,
    EVENT_ASSIST_ENDED,
    EVENT_ASSIST_STARTED,
    EVENT_CALL_DISCONNECTED,
    INBOUND_ASSIST,
)
from sandbox import Call
from sandbox.stream import MediaStream

from .helpers import EXTERNAL_URL, Live
from .test_two_way import CALLER, events_of, finish, ring_in, set_options
from .voices import PORCH, PORCH_LIGHT, Assist


async def wait_for(predicate: Any, timeout: float = 20) -> None:  # noqa: ASYNC109
    """Wait, in real time, until `predicate()` holds."""
    async with asyncio.timeout(timeout):
        while not predicate():
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
