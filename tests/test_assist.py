"""Talking to Assist over the phone, end to end.

The sandbox plays Bandwidth: it answers the call with Home Assistant's BXML,
opens the media stream to Home Assistant's websocket like Bandwidth, says
the caller's request (a recording) in real time and records what comes
back. Home Assistant's real voice pipeline hears it (its own voice activity
detection), the test speech-to-text engine reports the words, the default
conversation agent acts on them, and the test voice answers.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.network import NoURLAvailableError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bandwidth import bxml, cloudhook, conversation, ulaw
from custom_components.bandwidth.calls import CallScript, CallStep, LiveCall
from custom_components.bandwidth.const import (
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
from sandbox import Sandbox, Scenario

from .helpers import (
    EXTERNAL_URL,
    Live,
    add_contact,
    assert_refused,
    create_call,
    created_bodies,
    wav,
)
from .live_calls import (
    CALLER,
    TO,
    events_of,
    finish,
    ring_in,
    set_options,
    stream_of,
    wait_for,
)
from .voices import PORCH, PORCH_LIGHT, Assist


async def test_caller_turns_on_the_porch_light(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """A call in assist mode: the request is heard, done, and answered."""
    await assist_inbound(live)
    set_options(live, **{CONF_ASSIST_PIPELINE: "01unusedbycontacts"})
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
    await assist_inbound(live)
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


async def assist_inbound(live: Live) -> str:
    """Answer calls from CALLER, a contact allowed to, with Assist; return its id."""
    set_options(live, **{CONF_INBOUND_CALLS: INBOUND_ASSIST})
    live.sandbox.time_scale = 1
    return await add_contact(live.hass, live.entry, CALLER)


def stream_path(live_call: LiveCall) -> str:
    """Return the path of a call's media stream, its reference and secret in the query."""
    return f"/api/bandwidth/stream?ref={live_call.ref}&key={live_call.secret}"


def stream_nowhere(live: Live) -> None:
    """Send the sandbox's media streams to a port nobody listens on."""
    live.sandbox.url_rewrites = {
        f"{EXTERNAL_URL}/api/bandwidth/stream": "http://127.0.0.1:9/nowhere",
        **live.sandbox.url_rewrites,
    }


def conversing(live: Live) -> LiveCall:
    """A call of the entry talking to Assist, its stream not connected yet."""
    call = LiveCall.create(None, None, direction="inbound", phase="conversing")
    call.call_id = "c-waiting-for-its-stream"
    call.assist = ""
    live.entry.runtime_data.calls.add(call)
    return call


@pytest.mark.parametrize(
    "token",
    [
        "",
        "?ref=nothing",
        "?ref={ref}",
        "?ref={ref}&key=",
        "?ref={ref}&key=wrong{secret}",
        "?key={secret}",
        "/{ref}.{secret}",
    ],
)
async def test_stream_without_the_secret_is_refused(
    hass: HomeAssistant, assist: Assist, live: Live, token: str
) -> None:
    """A stream URL without the call's own secret is refused at the handshake."""
    live_call = conversing(live)
    path = token.format(ref=live_call.ref, secret=live_call.secret)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(server_url(live, f"/api/bandwidth/stream{path}"))
    assert refused.value.status >= 400
    assert assist.ears.heard == []
    assert live.entry.runtime_data.conversations == {}


async def test_stream_of_another_call_is_closed(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """A start frame naming another call closes the stream before any audio."""
    live_call = conversing(live)
    url = server_url(live, stream_path(live_call))
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
    assert assist.ears.heard == []
    assert live.entry.runtime_data.conversations == {}
    # The call over, its URL names no call talking to Assist any more.
    live.entry.runtime_data.calls.remove(live_call)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)


async def test_stream_that_bandwidth_cannot_open(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """Bandwidth failing to reach the stream's address ends the call at once."""
    await assist_inbound(live)
    stream_nowhere(live)
    call = ring_in(live)
    await finish(live, call)
    assert stream_of(call).rejected == "connection-error"
    [ended] = events_of(live, call.call_id, EVENT_ASSIST_ENDED)
    assert ended["reason"] == "stream_failed"
    assert not events_of(live, call.call_id, EVENT_ASSIST_STARTED)


async def test_second_stream_of_a_call_is_refused(
    hass: HomeAssistant, assist: Assist, live: Live
) -> None:
    """While a call streams to Assist, its URL takes no other stream."""
    await assist_inbound(live)
    call = ring_in(live)
    await wait_for(lambda: events_of(live, call.call_id, EVENT_ASSIST_STARTED))
    live_call = live.entry.runtime_data.calls.by_call_id(call.call_id)
    assert live_call is not None
    url = server_url(live, stream_path(live_call))
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
    url = server_url(live, stream_path(live_call))
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
    monkeypatch.setattr(conversation, "SILENCE_TIMEOUT", 0.5)
    await assist_inbound(live)
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
    await assist_inbound(live)
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


async def test_no_address_for_the_stream(
    hass: HomeAssistant,
    assist: Assist,
    live: Live,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without an external URL, a call to talk to Assist is turned away."""
    await assist_inbound(live)

    def no_url(*_args: Any, **_kwargs: Any) -> str:
        raise NoURLAvailableError

    monkeypatch.setattr(cloudhook, "get_url", no_url)
    call = ring_in(live)
    await finish(live, call)
    assert call.answer_time is None
    assert not call.streams
    with pytest.raises(ServiceValidationError) as refused:
        await live.create_call(TO, assist=True)
    await assert_refused(hass, refused.value, "assist_no_url")


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
    await add_contact(hass, init_integration, CALLER)
    flow = CallFlow(
        init_integration.runtime_data.calls,
        lambda _call, _step: "https://example.com/cb",
        lambda: {CONF_INBOUND_CALLS: INBOUND_ASSIST},
        lambda _call: None,
        contacts=init_integration.runtime_data.contacts,
    )
    event = CallbackEvent(
        "initiate", "c-2", None, {"from": CALLER, "caller_verified": True}
    )
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
    assert '<StopStream name="assist" wait="true" />' in document
    assert document.index("<StopStream") < document.index("<PlayAudio")
    assert document.index("<PlayAudio") < document.index("<StartStream")
    assert 'redirectMethod="GET"' in document


def test_silence_in_no_time() -> None:
    """No audio is no samples."""
    assert ulaw.to_pcm16k(b"", 7) == (b"", 7)
