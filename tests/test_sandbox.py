"""Tests for the local Bandwidth sandbox itself."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import socket
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict
from yarl import URL

import sandbox
from sandbox import BxmlError, Call, Sandbox, Scenario, basic_auth, parse_bxml
from sandbox.audio import AudioError, audio_duration, audio_format
from sandbox.stream import caller_audio, write_ulaw_wav

CB_USER, CB_PASS = "cb-user", "cb-pass"
TO = "+15555550123"
AUDIO = Path(__file__).parent / "fixtures" / "audio"
MP3 = (AUDIO / "silence.mp3").read_bytes()
WAV = (AUDIO / "silence.wav").read_bytes()
ULAW = (AUDIO / "silence-ulaw.wav").read_bytes()
# Bodies the media tests serve, by a name that reads well in test ids.
BODIES = {
    "mp3": MP3,
    "wav": WAV,
    "ulaw": ULAW,
    "wav-header": WAV[:44],
    "empty": b"",
    "garbage": b"ID3 but nothing else",
}


def _call_body(
    receiver: str = "https://callbacks.example.test", **extra: Any
) -> dict[str, Any]:
    return {
        "to": TO,
        "from": "+15555550100",
        "applicationId": sandbox.APPLICATION_ID,
        "answerUrl": f"{receiver}/answer",
        **extra,
    }


@pytest.fixture
def basic() -> dict[str, str]:
    """Headers with the legacy API credentials."""
    return {"Authorization": basic_auth(sandbox.USERNAME, sandbox.PASSWORD)}


def _calls_url(box: Sandbox, account: str = sandbox.ACCOUNT_ID) -> str:
    return f"{box.url}/api/v2/accounts/{account}/calls"


async def _token(box: Sandbox, session: aiohttp.ClientSession) -> str:
    async with session.post(
        f"{box.url}/api/v1/oauth2/token",
        headers={"Authorization": basic_auth(sandbox.CLIENT_ID, sandbox.CLIENT_SECRET)},
        data={"grant_type": "client_credentials"},
    ) as response:
        assert response.status == 200
        return str((await response.json())["access_token"])


async def test_token_endpoint(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """Tokens are issued for the right client only, with a client_credentials grant."""
    url = f"{bandwidth_sandbox.url}/api/v1/oauth2/token"
    good = {"Authorization": basic_auth(sandbox.CLIENT_ID, sandbox.CLIENT_SECRET)}
    grant = {"grant_type": "client_credentials"}
    async with session.post(url, headers=good, data=grant) as response:
        assert response.status == 200
        body = await response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    async with session.post(
        url, headers={"Authorization": basic_auth("x", "y")}, data=grant
    ) as response:
        assert response.status == 401
        assert (await response.json())["error"] == "invalid_client"
    async with session.post(url, headers=good, data={}) as response:
        assert response.status == 400
    async with session.post(
        url, headers=good, data={"grant_type": "password"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "unsupported_grant_type"
    assert bandwidth_sandbox.token_requests == 4
    assert bandwidth_sandbox.requests[0].form == grant


async def test_create_get_list_and_hang_up(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A call is created with a Bearer token, read back, listed and hung up."""
    headers = {"Authorization": f"Bearer {await _token(bandwidth_sandbox, session)}"}
    url = _calls_url(bandwidth_sandbox)
    async with session.post(url, json=_call_body(tag="t"), headers=headers) as response:
        assert response.status == 201
        created = await response.json()
        assert response.headers["Location"] == created["callUrl"]
    call_id = created["callId"]
    assert created["accountId"] == sandbox.ACCOUNT_ID
    assert created["answerMethod"] == "POST"
    assert created["tag"] == "t"
    assert bandwidth_sandbox.requests[-1].json == _call_body(tag="t")

    async with session.get(f"{url}/{call_id}", headers=headers) as response:
        state = await response.json()
    assert state["state"] == "initiated"
    assert state["direction"] == "outbound"
    async with session.get(url, params={"pageSize": "1"}, headers=headers) as response:
        assert [item["callId"] for item in await response.json()] == [call_id]

    hangup = {"state": "completed"}
    async with session.post(
        f"{url}/{call_id}", json=hangup, headers=headers
    ) as response:
        assert response.status == 200
    call = bandwidth_sandbox.calls[call_id]
    assert call.completed
    assert call.disconnect_cause == "cancel"  # never answered: cancelled
    async with session.post(
        f"{url}/{call_id}", json=hangup, headers=headers
    ) as response:
        assert response.status == 404
    async with session.get(f"{url}/c-unknown", headers=headers) as response:
        assert response.status == 404
        assert await response.json() == {
            "type": "validation",
            "description": "Call [c-unknown] not found",
            "id": None,
        }


async def test_auth_errors(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, basic: dict[str, str]
) -> None:
    """Missing/wrong credentials get 401, another account 403, revoked tokens 401."""
    url = _calls_url(bandwidth_sandbox)
    async with session.get(url) as response:
        assert response.status == 401
        assert (await response.json())["type"] == "authentication-error"
    async with session.get(
        url, headers={"Authorization": basic_auth("x", "y")}
    ) as response:
        assert response.status == 401
    async with session.get(url, headers=basic) as response:
        assert response.status == 200
    async with session.get(
        _calls_url(bandwidth_sandbox, "123"), headers=basic
    ) as response:
        assert response.status == 403
    headers = {"Authorization": f"Bearer {await _token(bandwidth_sandbox, session)}"}
    bandwidth_sandbox.revoke_tokens()
    async with session.get(url, headers=headers) as response:
        assert response.status == 401


@pytest.mark.parametrize(
    ("change", "description"),
    [
        ({"to": None}, "Invalid to: must not be null"),
        ({"answerUrl": ...}, "Missing required property: answerUrl"),
        ({"colour": "red"}, "Unknown property: colour"),
        ({"callTimeout": 0.5}, "Invalid callTimeout: must be between 1 and 300"),
        ({"callbackTimeout": 26}, "Invalid callbackTimeout: must be between 1 and 25"),
        ({"priority": 2.0}, "Invalid priority: wrong type"),
        ({"priority": True}, "Invalid priority: wrong type"),
        ({"tag": "x" * 4097}, "Invalid tag: longer than 4096"),
        ({"displayName": "x" * 257}, "Invalid displayName: longer than 256"),
        ({"uui": "abc"}, "Invalid uui"),
        ({"answerMethod": "PUT"}, "Invalid answerMethod: must be one of GET, POST"),
        ({"to": "5551234"}, "Invalid to: must be an E164"),
        ({"answerUrl": "/answer"}, "Invalid answerUrl: must be an absolute"),
        ({"machineDetection": {"mode": "fast"}}, "Invalid machineDetection.mode"),
        (
            {"machineDetection": {"speed": 1}},
            "Unknown property: machineDetection.speed",
        ),
        (
            {"machineDetection": {"callbackMethod": "PATCH"}},
            "machineDetection.callbackMethod",
        ),
        ({"applicationId": "other"}, "Invalid applicationId"),
        (
            {"answerUrl": "http://x.example/a", "username": "u", "password": "p"},
            "must use https",
        ),
    ],
)
async def test_create_call_validation(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    basic: dict[str, str],
    change: dict[str, Any],
    description: str,
) -> None:
    """Bodies outside the createCall schema get 400 with a description."""
    body = _call_body() | change
    body = {key: value for key, value in body.items() if value is not ...}
    async with session.post(
        _calls_url(bandwidth_sandbox), json=body, headers=basic
    ) as response:
        assert response.status == 400
        error = await response.json()
    assert set(error) == {"type", "description", "id"}
    assert description in error["description"]
    assert not bandwidth_sandbox.calls


async def test_create_call_content_type(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, basic: dict[str, str]
) -> None:
    """A non-JSON content type is 415, broken JSON 400."""
    url = _calls_url(bandwidth_sandbox)
    async with session.post(url, data="to=1", headers=basic) as response:
        assert response.status == 415
    headers = {"Content-Type": "application/json", **basic}
    async with session.post(url, data="{", headers=headers) as response:
        assert response.status == 400


async def test_faults(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, basic: dict[str, str]
) -> None:
    """Injected failures, resets, hangs and rate limits reach the client."""
    url = _calls_url(bandwidth_sandbox)
    bandwidth_sandbox.fail_next(500, "<html>oops</html>", content_type="text/html")
    bandwidth_sandbox.fail_next(429, {"type": "error"}, headers={"Retry-After": "7"})
    async with session.get(url, headers=basic) as response:
        assert response.status == 500
        assert await response.text() == "<html>oops</html>"
    async with session.get(url, headers=basic) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "7"
    async with session.get(url, headers=basic) as response:
        assert response.status == 200

    # aiohttp retries an idempotent request once on a reused connection.
    bandwidth_sandbox.reset_next(path_contains="/calls", times=2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with session.get(url, headers=basic):
            pass
    bandwidth_sandbox.reset_next(method="POST")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with session.post(url, json=_call_body(), headers=basic):
            pass
    assert not bandwidth_sandbox.calls

    bandwidth_sandbox.hang_next()
    with pytest.raises(TimeoutError):
        async with session.get(
            url, headers=basic, timeout=aiohttp.ClientTimeout(total=0.1)
        ):
            pass

    bandwidth_sandbox.rate_limit = (1, 3)
    async with session.post(url, json=_call_body(), headers=basic) as response:
        assert response.status == 201
    async with session.post(url, json=_call_body(), headers=basic) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "3"
        assert (await response.json())["description"].startswith(
            "Account call creation"
        )


class Receiver:
    """A tiny callback server standing in for the application."""

    def __init__(self) -> None:
        """Serve `bxml[name]` at /name (204 for names without BXML).

        `media[name]` (body, content type) is served at /name to anyone;
        `media_requests` records (name, Authorization header) of each GET.
        """
        self.bxml: dict[str, str] = {"answer": "<Response/>", "gather": "<Response/>"}
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_requests: list[tuple[str, str | None]] = []
        self.events: list[dict[str, Any]] = []
        # The path and query of each request that delivered an event.
        self.targets: list[str] = []
        self.on_event: dict[str, Any] = {}
        # Websockets at /ws/{name}: the frames each received, the frames
        # each sends back once `start` arrives (bytes as binary frames), the
        # names that close after `start` or refuse the handshake (403), and
        # an event that, while unset, holds each socket's answer to the
        # sandbox's close (so its stream has not ended).
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self.replies: dict[str, list[str | bytes]] = {}
        self.close_after_start: set[str] = set()
        self.refuse: set[str] = set()
        self.hold_close: asyncio.Event | None = None
        self.app = web.Application()
        self.app.router.add_get("/ws/{name}", self.stream)
        self.app.router.add_route("*", "/{name}", self.handle)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """Take a media stream: record its frames, answer, close as told."""
        name = request.match_info["name"]
        if name in self.refuse:
            return web.Response(status=403)
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        frames = self.frames.setdefault(name, [])
        async for message in socket:
            frame = json.loads(message.data)
            frames.append(frame)
            if frame["eventType"] == "start":
                for reply in self.replies.get(name, []):
                    if isinstance(reply, bytes):
                        await socket.send_bytes(reply)
                    else:
                        await socket.send_str(reply)
                if name in self.close_after_start:
                    await socket.close()
            elif frame["eventType"] == "stop" and self.hold_close is not None:
                await self.hold_close.wait()
        return socket

    async def handle(self, request: web.Request) -> web.Response:
        """Serve media; challenge unauthenticated requests, then answer BXML."""
        name = request.match_info["name"]
        if (media := self.media.get(name)) is not None:
            self.media_requests.append((name, request.headers.get("Authorization")))
            body, content_type = media
            return web.Response(body=body, headers={"Content-Type": content_type})
        if request.headers.get("Authorization") != basic_auth(CB_USER, CB_PASS):
            return web.Response(
                status=401, headers={"WWW-Authenticate": 'Basic realm="app"'}
            )
        if request.method == "GET":
            event: dict[str, Any] = dict(request.query)
        else:
            event = await request.json()
        self.events.append(event)
        self.targets.append(request.path_qs)
        if (hook := self.on_event.get(event["eventType"])) is not None:
            await hook(event)
        if (bxml := self.bxml.get(name)) is not None:
            return web.Response(text=bxml, content_type="application/xml")
        return web.Response(status=204)


@pytest.fixture
async def receiver_server() -> AsyncIterator[tuple[Receiver, str]]:
    """Serve a receiver; each test sets the BXML it answers."""
    receiver = Receiver()
    server = TestServer(receiver.app, host="127.0.0.1")
    await server.start_server()
    try:
        yield receiver, str(server.make_url("/")).rstrip("/")
    finally:
        await server.close()


async def _place(
    box: Sandbox, session: aiohttp.ClientSession, receiver_url: str, **extra: Any
) -> str:
    box.lifecycle = True
    box.allow_insecure_callbacks = True
    body = _call_body(
        receiver_url,
        disconnectUrl=f"{receiver_url}/disconnect",
        username=CB_USER,
        password=CB_PASS,
        **extra,
    )
    auth = {"Authorization": basic_auth(sandbox.USERNAME, sandbox.PASSWORD)}
    async with session.post(_calls_url(box), json=body, headers=auth) as response:
        assert response.status == 201
        return str((await response.json())["callId"])


async def test_lifecycle_round_trip(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
) -> None:
    """Answer, challenge + retry, SpeakSentence, Gather, gather callback, disconnect."""
    receiver, receiver_url = receiver_server
    receiver.bxml["answer"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        "<SpeakSentence>The <emphasis>garage</emphasis> is open.</SpeakSentence>"
        '<Gather gatherUrl="/gather" maxDigits="1">'
        "<SpeakSentence>Press 1 to close it.</SpeakSentence>"
        "<PlayAudio>/beep.wav</PlayAudio></Gather>"
        "<SpeakSentence>Never reached</SpeakSentence></Response>"
    )
    receiver.bxml["gather"] = (
        "<Response><SpeakSentence>Closing.</SpeakSentence><Hangup/></Response>"
    )
    call_id = await _place(bandwidth_sandbox, session, receiver_url, tag="door")
    call = await bandwidth_sandbox.wait_for_call(call_id)

    assert call.spoken == ["The garage is open.", "Press 1 to close it.", "Closing."]
    assert call.played == [f"{receiver_url}/beep.wav"]
    assert call.gathered == ["1"]
    assert [(event, status) for event, status, _ in call.callbacks] == [
        ("answer", 401),
        ("answer", 200),
        ("gather", 401),
        ("gather", 200),
        ("disconnect", 401),
        ("disconnect", 204),
    ]
    assert [attempt.authenticated for attempt in call.attempts[:2]] == [False, True]
    answer, gather, disconnect = receiver.events
    assert answer["eventType"] == "answer"
    assert answer["callId"] == call_id
    assert answer["tag"] == "door"
    assert answer["direction"] == "outbound"
    assert "machineDetectionResult" not in answer
    assert gather["digits"] == "1"
    assert gather["terminatingDigit"] == ""
    assert disconnect["cause"] == "hangup"
    assert call.state_json()["disconnectCause"] == "hangup"
    assert call.state == "disconnected"


async def test_lifecycle_without_challenge_header_loses_callback(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A 401 without WWW-Authenticate is not retried: the call fails."""

    async def deny(_request: web.Request) -> web.Response:
        return web.Response(status=401)

    app = web.Application()
    app.router.add_route("*", "/{name}", deny)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/")).rstrip("/")
        call = await bandwidth_sandbox.wait_for_call(
            await _place(bandwidth_sandbox, session, url)
        )
    finally:
        await server.close()
    assert [status for _, status, _ in call.callbacks] == [
        401,
        401,
    ]  # answer, disconnect
    assert call.disconnect_cause == "callback-error"
    assert call.error_message


@pytest.mark.parametrize(
    ("scenario", "cause"),
    [(Scenario(outcome="busy"), "busy"), (Scenario(outcome="no-answer"), "timeout")],
)
async def test_unanswered_scenarios(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    scenario: Scenario,
    cause: str,
) -> None:
    """Busy and unanswered calls only send the disconnect callback."""
    receiver, receiver_url = receiver_server
    bandwidth_sandbox.scenarios[TO] = scenario
    call = await bandwidth_sandbox.wait_for_call(
        await _place(bandwidth_sandbox, session, receiver_url)
    )
    assert [event["eventType"] for event in receiver.events] == ["disconnect"]
    assert receiver.events[0]["cause"] == cause
    assert "answerTime" not in receiver.events[0]
    assert call.disconnect_cause == cause


async def test_sync_machine_detection_and_get_method(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
) -> None:
    """In sync mode the answer callback (here a GET) carries the result."""
    receiver, receiver_url = receiver_server
    bandwidth_sandbox.scenarios[TO] = Scenario(outcome="voicemail")
    receiver.bxml["answer"] = (
        "<Response><SpeakSentence>Hello machine</SpeakSentence></Response>"
    )
    call = await bandwidth_sandbox.wait_for_call(
        await _place(
            bandwidth_sandbox,
            session,
            receiver_url,
            answerMethod="GET",
            machineDetection={"mode": "sync"},
        )
    )
    answer = receiver.events[0]
    assert answer["eventType"] == "answer"
    assert '"value": "answering-machine"' in answer["machineDetectionResult"]
    assert call.spoken == ["Hello machine"]


async def test_async_machine_detection_then_redirect(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    basic: dict[str, str],
) -> None:
    """Machine detection completes while the BXML waits; Update Call redirects."""
    receiver, receiver_url = receiver_server
    bandwidth_sandbox.scenarios[TO] = Scenario(outcome="voicemail")
    receiver.bxml["answer"] = '<Response><Pause duration="300"/></Response>'
    receiver.bxml["gather"] = (
        "<Response><SpeakSentence>Left a message</SpeakSentence></Response>"
    )

    async def redirect(event: dict[str, Any]) -> None:
        body = {
            "redirectUrl": f"{receiver_url}/gather",
            "username": CB_USER,
            "password": CB_PASS,
        }
        async with session.post(event["callUrl"], json=body, headers=basic) as response:
            assert response.status == 200

    receiver.on_event["machineDetectionComplete"] = redirect
    call_id = await _place(
        bandwidth_sandbox,
        session,
        receiver_url,
        machineDetection={"callbackUrl": f"{receiver_url}/amd"},
    )
    call = await bandwidth_sandbox.wait_for_call(call_id)
    kinds = [event["eventType"] for event in receiver.events]
    assert kinds == ["answer", "machineDetectionComplete", "redirect", "disconnect"]
    assert receiver.events[1]["machineDetectionResult"]["value"] == "answering-machine"
    assert call.spoken == ["Left a message"]
    assert call.disconnect_cause == "hangup"


async def test_hangup_during_pause_and_invalid_bxml(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    basic: dict[str, str],
) -> None:
    """Update Call completed ends a paused call; bad BXML ends with invalid-bxml."""
    receiver, receiver_url = receiver_server
    receiver.bxml["answer"] = '<Response><Pause duration="300"/></Response>'
    call_id = await _place(bandwidth_sandbox, session, receiver_url)
    call = bandwidth_sandbox.calls[call_id]
    await bandwidth_sandbox.wait_for(
        lambda: call.state == "answered" and len(call.callbacks) >= 2
    )
    async with session.post(
        call.call_url, json={"state": "completed"}, headers=basic
    ) as response:
        assert response.status == 200
    await bandwidth_sandbox.wait_for_call(call_id)
    assert receiver.events[-1]["cause"] == "hangup"

    receiver.bxml["answer"] = "<Response><Dance/></Response>"
    call = await bandwidth_sandbox.wait_for_call(
        await _place(bandwidth_sandbox, session, receiver_url)
    )
    assert call.disconnect_cause == "invalid-bxml"
    assert receiver.events[-1]["errorMessage"] == "Invalid BXML: unknown verb <Dance>"


async def test_close_releases_everything(session: aiohttp.ClientSession) -> None:
    """close() cancels running lifecycles so nothing lingers."""
    box = Sandbox(time_scale=1)
    server = TestServer(box.app, host="127.0.0.1")
    await server.start_server()
    box.url = str(server.make_url("/")).rstrip("/")
    auth = {"Authorization": basic_auth(sandbox.USERNAME, sandbox.PASSWORD)}
    async with session.post(
        _calls_url(box), json=_call_body(), headers=auth
    ) as response:
        call_id = (await response.json())["callId"]
    await box.close()
    await server.close()
    task = box.calls[call_id].task
    assert task is not None
    assert task.cancelled()
    await asyncio.sleep(0)


@pytest.mark.parametrize(
    "document",
    [
        "<Response><Speak>hi</Speak></Response>",
        "<Reply/>",
        "<Response><SpeakSentence> </SpeakSentence></Response>",
        '<Response><Pause duration="0"/></Response>',
        "<Response><Redirect/></Response>",
        "<Response><Gather><Pause/></Gather></Response>",
        "<Response>",
        '<!DOCTYPE r [<!ENTITY a "a">]><Response/>',
    ],
)
def test_invalid_bxml(document: str) -> None:
    """Documents Bandwidth would refuse raise BxmlError."""
    with pytest.raises(BxmlError):
        parse_bxml(document)


def test_parse_bxml() -> None:
    """Verbs keep their attributes, text and nesting."""
    verbs = parse_bxml(
        '<Response><Gather gatherUrl="/g" maxDigits="2"><SpeakSentence voice="susan">'
        "Hi  <break/> there</SpeakSentence></Gather><Record/></Response>"
    )
    gather, record = verbs
    assert gather.number("maxDigits") == 2
    assert gather.number("repeatCount") == 1
    assert gather.children[0].text == "Hi there"
    assert gather.children[0].attrs == {"voice": "susan"}
    assert record.name == "Record"


async def test_callee_hangs_up(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
) -> None:
    """A callee hanging up mid-Pause ends the call with cause hangup."""
    receiver, receiver_url = receiver_server
    bandwidth_sandbox.default_scenario = Scenario(hangup_after=1)
    receiver.bxml["answer"] = '<Response><Pause duration="300"/></Response>'
    call = await bandwidth_sandbox.wait_for_call(
        await _place(bandwidth_sandbox, session, receiver_url)
    )
    assert [event["eventType"] for event in receiver.events] == ["answer", "disconnect"]
    assert call.disconnect_cause == "hangup"


async def test_rewrites_fallback_and_machine_detection_bxml(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
) -> None:
    """Callback URLs can be rewritten; a failing answerUrl falls back.

    With execute_machine_detection_bxml, BXML answered to
    machineDetectionComplete replaces the running document.
    """
    receiver, receiver_url = receiver_server
    bandwidth_sandbox.url_rewrites["https://app.example.test"] = receiver_url
    bandwidth_sandbox.execute_machine_detection_bxml = True
    bandwidth_sandbox.fail_next(500, path_contains="/down")  # the sandbox's own URL
    receiver.bxml["answer"] = '<Response><Pause duration="300"/></Response>'
    receiver.bxml["amd"] = "<Response><SpeakSentence>Hi</SpeakSentence></Response>"
    call = await bandwidth_sandbox.wait_for_call(
        await _place(
            bandwidth_sandbox,
            session,
            "https://app.example.test",
            answerUrl=f"{bandwidth_sandbox.url}/down",
            answerFallbackUrl="https://app.example.test/answer",
            fallbackUsername=CB_USER,
            fallbackPassword=CB_PASS,
            machineDetection={"callbackUrl": "https://app.example.test/amd"},
        )
    )
    assert [(a.event_type, a.status) for a in call.attempts][:3] == [
        ("answer", 500),
        ("answer", 401),
        ("answer", 200),
    ]
    assert call.attempts[2].url == "https://app.example.test/answer"
    assert call.spoken == ["Hi"]
    assert call.disconnect_cause == "hangup"


async def test_list_paging_and_delay(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, basic: dict[str, str]
) -> None:
    """Listing pages with a Link header; delay slows every answer."""
    url = _calls_url(bandwidth_sandbox)
    for _ in range(3):
        async with session.post(url, json=_call_body(), headers=basic) as response:
            assert response.status == 201
    async with session.get(url, params={"pageSize": "2"}, headers=basic) as response:
        assert len(await response.json()) == 2
        next_url = response.links["next"]["url"]
    async with session.get(next_url, headers=basic) as response:
        assert len(await response.json()) == 1
        assert "Link" not in response.headers
    async with session.get(url, params={"pageSize": "0"}, headers=basic) as response:
        assert response.status == 400
    bandwidth_sandbox.delay = 0.05
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with session.get(url, headers=basic) as response:
        assert response.status == 200
    assert loop.time() - start >= 0.05


async def test_redirect_during_answer_callback(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    basic: dict[str, str],
) -> None:
    """An Update Call redirect made while a callback is answered wins over its BXML."""
    receiver, receiver_url = receiver_server
    receiver.bxml["answer"] = (
        "<Response><SpeakSentence>Ignored</SpeakSentence></Response>"
    )
    receiver.bxml["next"] = (
        "<Response><SpeakSentence>Redirected</SpeakSentence></Response>"
    )

    async def redirect(event: dict[str, Any]) -> None:
        body = {
            "redirectUrl": f"{receiver_url}/next",
            "username": CB_USER,
            "password": CB_PASS,
            "tag": "moved",
        }
        async with session.post(event["callUrl"], json=body, headers=basic) as response:
            assert response.status == 200

    receiver.on_event["answer"] = redirect
    call = await bandwidth_sandbox.wait_for_call(
        await _place(bandwidth_sandbox, session, receiver_url)
    )
    assert [event["eventType"] for event in receiver.events] == [
        "answer",
        "redirect",
        "disconnect",
    ]
    assert receiver.events[1]["tag"] == "moved"
    assert call.spoken == ["Redirected"]


# --- PlayAudio media ---------------------------------------------------------


async def _play(
    box: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    bxml: str,
) -> Call:
    """Place a call whose answer BXML is `<Response>{bxml}</Response>`."""
    receiver, receiver_url = receiver_server
    receiver.bxml["answer"] = f"<Response>{bxml}</Response>"
    return await box.wait_for_call(await _place(box, session, receiver_url))


@pytest.mark.parametrize(
    ("name", "body", "content_type", "kind", "duration"),
    [
        ("clip.mp3", "mp3", "audio/mpeg", "mp3", 0.5),
        ("clip.wav", "wav", "audio/wav", "wav", 0.5),
        ("clip-ulaw.wav", "ulaw", "audio/x-wav", "wav", 0.5),
        # The Content-Type decides, whatever the extension says.
        ("clip", "mp3", "audio/mpeg3", "mp3", 0.5),
        ("clip.wav", "mp3", "audio/mp3", "mp3", 0.5),
        ("clip", "ulaw", "audio/wav; codec=ulaw", "wav", 0.5),
        # Any other type: the extension decides, WAV when it says nothing.
        ("clip.mp3", "mp3", "application/octet-stream", "mp3", 0.5),
        ("CLIP.WAV", "wav", "application/octet-stream", "wav", 0.5),
        ("clip.ogg", "wav", "audio/ogg", "wav", 0.5),
    ],
)
async def test_play_audio_decodes(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    caplog: pytest.LogCaptureFixture,
    name: str,
    body: str,
    content_type: str,
    kind: str,
    duration: float,
) -> None:
    """The media is fetched, its format picked as Bandwidth does, and measured."""
    receiver, receiver_url = receiver_server
    receiver.media[name] = (BODIES[body], content_type)
    url = f"{receiver_url}/{name}"
    with caplog.at_level(logging.INFO, logger="sandbox"):
        call = await _play(
            bandwidth_sandbox,
            session,
            receiver_server,
            f"<PlayAudio>{url}</PlayAudio><SpeakSentence>Done</SpeakSentence>",
        )
    (fetch,) = call.audio
    assert fetch.url == url
    assert fetch.status == 200
    assert fetch.content_type == content_type
    assert fetch.format == kind
    assert fetch.duration == pytest.approx(duration, abs=0.1)
    assert fetch.error is None
    assert fetch.ok
    assert bandwidth_sandbox.audio_fetches == [fetch]
    assert call.played == [url]
    assert [heard_url for _, heard_url in call.heard_audio] == [url]
    assert call.spoken == ["Done"]
    assert f"plays: {url} ({kind}, {fetch.duration:.2f} s)" in caplog.text
    assert receiver.media_requests == [(name, None)]


@pytest.mark.parametrize(
    ("name", "body", "content_type", "kind", "error"),
    [
        # No type Bandwidth knows and no extension: tried, and failing, as WAV.
        ("clip", "mp3", "text/plain", "wav", "not WAV: no RIFF/WAVE header"),
        ("clip.mp3", "garbage", "audio/mpeg", "mp3", "not MP3: "),
        ("clip.wav", "mp3", "audio/wav", "wav", "not WAV: no RIFF/WAVE header"),
        ("clip.wav", "empty", "audio/wav", "wav", "not WAV: no RIFF/WAVE header"),
        ("clip.wav", "wav-header", "audio/wav", "wav", "no audio in it"),
    ],
)
async def test_play_audio_undecodable(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    caplog: pytest.LogCaptureFixture,
    name: str,
    body: str,
    content_type: str,
    kind: str,
    error: str,
) -> None:
    """Media that does not decode is logged and skipped; the call goes on."""
    receiver, receiver_url = receiver_server
    receiver.media[name] = (BODIES[body], content_type)
    url = f"{receiver_url}/{name}"
    call = await _play(
        bandwidth_sandbox,
        session,
        receiver_server,
        f"<PlayAudio>{url}</PlayAudio><SpeakSentence>Still here</SpeakSentence>",
    )
    (fetch,) = call.audio
    assert fetch.status == 200
    assert fetch.format == kind
    assert fetch.error is not None
    assert fetch.error.startswith(error)
    assert not fetch.ok
    assert fetch.duration == 0
    assert call.played == [url]
    assert call.heard_audio == []
    assert call.spoken == ["Still here"]
    assert call.disconnect_cause == "hangup"
    assert f"call {call.call_id} could not play {url}: {error}" in caplog.text
    assert any(
        record.levelno == logging.WARNING and "could not play" in record.getMessage()
        for record in caplog.records
    )


def _refused_url() -> str:
    """An http URL on loopback where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/clip.wav"


async def test_play_audio_unreachable(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 404, a 401, a refused connection and an unknown host are skipped.

    The query of the URL, which may carry a secret, stays out of the log.
    """
    _, receiver_url = receiver_server
    missing = f"{bandwidth_sandbox.url}/missing.wav?token=s3cret-404"
    denied = f"{receiver_url}/denied.wav?token=s3cret-401"
    refused = _refused_url() + "?token=s3cret-refused"
    unresolved = "https://example.test/a.mp3?token=s3cret-dns"
    call = await _play(
        bandwidth_sandbox,
        session,
        receiver_server,
        f"<PlayAudio>{missing}</PlayAudio><PlayAudio>{denied}</PlayAudio>"
        f"<PlayAudio>{refused}</PlayAudio>"
        f"<Gather><PlayAudio>{unresolved}</PlayAudio></Gather>"
        "<SpeakSentence>Goodbye</SpeakSentence>",
    )
    not_found, unauthorized, no_connection, no_host = call.audio
    urls = [missing, denied, refused, unresolved]
    assert [fetch.url for fetch in call.audio] == urls
    assert call.played == urls
    assert bandwidth_sandbox.audio_fetches == call.audio
    assert (not_found.status, not_found.error, not_found.format) == (
        404,
        "HTTP 404",
        None,
    )
    assert not_found.content_type is not None
    assert not_found.content_type.startswith("application/json")
    assert (unauthorized.status, unauthorized.error) == (401, "HTTP 401")
    for fetch in (no_connection, no_host):
        assert fetch.status is None
        assert fetch.content_type is None
        assert fetch.format is None
        assert fetch.error
    assert call.heard_audio == []
    assert call.gathered == ["1"]
    assert call.spoken == ["Goodbye"]
    played = [line for line in caplog.messages if "could not play" in line]
    assert len(played) == len(urls)
    assert f"could not play {receiver_url}/denied.wav: HTTP 401" in played[1]
    assert "could not play https://example.test/a.mp3: " in played[3]
    assert not [line for line in played if "s3cret" in line]


async def test_play_audio_relative_url_and_credentials(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
) -> None:
    """Relative URLs resolve against the document; username/password go as Basic."""
    receiver, receiver_url = receiver_server
    receiver.media["clip.wav"] = (WAV, "audio/wav")
    receiver.media["clip.mp3"] = (MP3, "audio/mpeg")
    call = await _play(
        bandwidth_sandbox,
        session,
        receiver_server,
        '<PlayAudio username="media-user" password="media-pass">clip.wav</PlayAudio>'
        '<Gather maxDigits="1"><PlayAudio>/clip.mp3</PlayAudio></Gather>',
    )
    assert [fetch.url for fetch in call.audio] == [
        f"{receiver_url}/clip.wav",
        f"{receiver_url}/clip.mp3",
    ]
    assert [fetch.format for fetch in call.audio if fetch.ok] == ["wav", "mp3"]
    assert receiver.media_requests == [
        ("clip.wav", basic_auth("media-user", "media-pass")),
        ("clip.mp3", None),
    ]
    assert len(call.heard_audio) == 2
    assert call.gathered == ["1"]


async def test_play_audio_url_rewrites_without_callback_transport(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """url_rewrites apply to media; callback_transport carries callbacks only."""
    receiver, receiver_url = receiver_server
    receiver.media["clip.wav"] = (ULAW, "audio/wav")
    bandwidth_sandbox.url_rewrites["https://media.example.test"] = receiver_url
    relayed: list[str] = []

    async def relay(
        method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, CIMultiDict[str], str]:
        relayed.append(url)
        async with session.request(method, url, headers=headers, data=body) as response:
            return (
                response.status,
                CIMultiDict(response.headers),
                await response.text(),
            )

    bandwidth_sandbox.callback_transport = relay
    url = "https://media.example.test/clip.wav?v=2"
    with caplog.at_level(logging.INFO, logger="sandbox"):
        call = await _play(
            bandwidth_sandbox, session, receiver_server, f"<PlayAudio>{url}</PlayAudio>"
        )
    assert "plays: https://media.example.test/clip.wav (wav, 0.50 s)" in caplog.text
    assert not [
        r for r in caplog.records if r.name == "sandbox" and "v=2" in r.getMessage()
    ]
    (fetch,) = call.audio
    assert fetch.url == url
    assert fetch.ok
    assert fetch.duration == pytest.approx(0.5)
    assert receiver.media_requests == [("clip.wav", None)]
    assert relayed
    assert not [target for target in relayed if "clip.wav" in target]


@pytest.mark.parametrize("time_scale", [0.02, 0.4])
async def test_play_audio_takes_its_time(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    time_scale: float,
) -> None:
    """Half a second of audio lasts half a second of simulated time."""
    receiver, _ = receiver_server
    receiver.media["clip.wav"] = (WAV, "audio/wav")
    bandwidth_sandbox.time_scale = time_scale
    bandwidth_sandbox.default_scenario = Scenario(ring_seconds=0)
    call = await _play(
        bandwidth_sandbox,
        session,
        receiver_server,
        "<PlayAudio>/clip.wav</PlayAudio><SpeakSentence>After</SpeakSentence>",
    )
    ((started, _),) = call.heard_audio
    ((after, _),) = call.heard
    assert 0.5 * time_scale <= after - started < 0.5 * time_scale + 0.2


def _wav(
    tag: int = 7,
    bits: int = 8,
    byte_rate: int = 8000,
    data: bytes | None = b"\xff" * 4000,
    *,
    chunks: bytes = b"",
    fmt: bool = True,
) -> bytes:
    """A RIFF/WAVE file: fmt chunk, extra chunks, then the data chunk."""
    body = b"WAVE" + chunks
    if fmt:
        fields = struct.pack("<HHIIHH", tag, 1, 8000, byte_rate, bits // 8, bits)
        body += b"fmt " + struct.pack("<I", len(fields)) + fields
    if data is not None:
        body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


async def test_play_audio_interrupted_by_redirect(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    basic: dict[str, str],
) -> None:
    """An Update Call redirect cuts a long file short."""
    receiver, receiver_url = receiver_server
    receiver.media["long.wav"] = (_wav(data=bytes(8000 * 60)), "audio/wav")  # 1 min
    receiver.bxml["next"] = (
        "<Response><SpeakSentence>Moved on</SpeakSentence></Response>"
    )
    bandwidth_sandbox.time_scale = 1
    bandwidth_sandbox.default_scenario = Scenario(ring_seconds=0)
    receiver.bxml["answer"] = (
        "<Response><PlayAudio>/long.wav</PlayAudio>"
        "<SpeakSentence>Never said</SpeakSentence></Response>"
    )
    call_id = await _place(bandwidth_sandbox, session, receiver_url)
    call = bandwidth_sandbox.calls[call_id]
    await bandwidth_sandbox.wait_for(lambda: bool(call.heard_audio))
    body = {
        "redirectUrl": f"{receiver_url}/next",
        "username": CB_USER,
        "password": CB_PASS,
    }
    async with session.post(call.call_url, json=body, headers=basic) as response:
        assert response.status == 200
    await bandwidth_sandbox.wait_for_call(call_id, timeout=5)
    assert call.audio[0].duration == pytest.approx(60)
    assert call.spoken == ["Moved on"]
    assert [event["eventType"] for event in receiver.events] == [
        "answer",
        "redirect",
        "disconnect",
    ]


@pytest.mark.parametrize(
    ("content_type", "url", "kind"),
    [
        (None, "https://example.test/a.mp3", "mp3"),
        (None, "https://example.test/a.wav", "wav"),
        (None, "https://example.test/a", "wav"),
        ("AUDIO/MPEG; charset=binary", "https://example.test/a.wav", "mp3"),
        ("audio/x-wav", "https://example.test/a.mp3", "wav"),
        ("audio/ogg", "https://example.test/a.Mp3?x=.wav", "mp3"),
        ("text/html", "https://example.test/a.mp3/", "wav"),
        ("", "https://example.test/sounds.mp3/a.ogg", "wav"),
    ],
)
def test_audio_format(content_type: str | None, url: str, kind: str) -> None:
    """Content-Type first, then the path's extension, then WAV."""
    assert audio_format(content_type, url) == kind


@pytest.mark.parametrize(
    ("body", "duration"),
    [
        (_wav(), 0.5),
        (_wav(tag=6), 0.5),
        (_wav(tag=1, bits=16, byte_rate=16000, data=bytes(16000)), 1.0),
        # Chunks are padded to an even size; other chunks are skipped.
        (_wav(chunks=b"LIST\x03\x00\x00\x00abc\x00"), 0.5),
        # A data chunk declaring more than there is counts what arrived.
        (_wav()[:-2000], 0.25),
    ],
    ids=["mu-law", "a-law", "pcm", "odd-chunk", "truncated"],
)
def test_wav_duration(body: bytes, duration: float) -> None:
    """PCM 16-bit, A-law and µ-law WAV files are measured from their data."""
    assert audio_duration(body, "wav") == pytest.approx(duration)


@pytest.mark.parametrize(
    ("body", "kind", "error"),
    [
        (b"RIFF\x00\x00\x00\x00WAVE", "wav", "not WAV: no fmt chunk"),
        (_wav(data=None), "wav", "not WAV: no data chunk"),
        (_wav(fmt=False), "wav", "not WAV: no fmt chunk"),
        (_wav(tag=3, bits=32), "wav", "WAV format tag 0x0003"),
        (_wav(tag=0xFFFE, bits=16), "wav", "WAV format tag 0xfffe"),
        (_wav(tag=1), "wav", "WAV with 8 bits per sample for format tag 1"),
        (_wav(byte_rate=0), "wav", "WAV with a byte rate of 0"),
        (_wav(data=b""), "wav", "no audio in it"),
        (WAV, "mp3", "not MP3: "),
        # MPEG-1 layer 2 frames: MPEG audio, but not MP3.
        ((bytes([0xFF, 0xFD, 0x80, 0xC0]) + bytes(413)) * 30, "mp3", "MPEG layer 2"),
    ],
    ids=[
        "riff-header-only",
        "no-data",
        "no-fmt",
        "float",
        "extensible",
        "pcm-8-bit",
        "no-byte-rate",
        "empty-data",
        "wav-as-mp3",
        "mp2",
    ],
)
def test_audio_that_does_not_decode(body: bytes, kind: str, error: str) -> None:
    """What Bandwidth could not play raises AudioError."""
    with pytest.raises(AudioError, match=f"^{re.escape(error)}"):
        audio_duration(body, kind)


# --- Media streams ---------------------------------------------------------------


def test_start_stream_needs_a_websocket_destination() -> None:
    """<StartStream> streams to ws:// or wss:// only; it may carry parameters."""
    [verb] = parse_bxml(
        '<Response><StartStream name="a" destination="wss://h/s">'
        '<StreamParam name="n" value="v"/></StartStream></Response>'
    )
    assert verb.attrs["destination"] == "wss://h/s"
    with pytest.raises(BxmlError, match="ws:// or wss://"):
        parse_bxml('<Response><StartStream destination="https://h/s"/></Response>')


def test_stream_verbs_attributes() -> None:
    """Stream events go to streamEventUrl; <StopStream> may wait for the end."""
    start, stop, waiting = parse_bxml(
        '<Response><StartStream name="a" tracks="both" destination="wss://h/s"'
        ' streamEventUrl="https://h/events?key=k" streamEventMethod="GET"'
        ' username="u" password="p"/>'
        '<StopStream name="a"/><StopStream name="a" wait="true"/></Response>'
    )
    assert start.attrs["streamEventUrl"] == "https://h/events?key=k"
    assert start.attrs["streamEventMethod"] == "GET"
    assert "wait" not in stop.attrs
    assert waiting.attrs["wait"] == "true"


@pytest.mark.parametrize(
    ("verb", "error"),
    [
        ('<StopStream name="a" wait="yes"/>', "wait must be true or false"),
        ('<StopStream name="a" wait=""/>', "wait must be true or false"),
        ("<StopStream/>", "<StopStream> requires name"),
        (
            '<StartStream destination="wss://h/s" streamEventMethod="PUT"/>',
            "streamEventMethod must be GET or POST",
        ),
        (
            '<StartStream destination="wss://h/s" tracks="sideways"/>',
            "tracks must be inbound, outbound or both",
        ),
    ],
)
def test_invalid_stream_verbs(verb: str, error: str) -> None:
    """Stream verbs Bandwidth would refuse make the document invalid."""
    with pytest.raises(BxmlError, match=re.escape(error)):
        parse_bxml(f"<Response>{verb}</Response>")


def test_caller_audio(tmp_path: Path) -> None:
    """The caller speaks 8 kHz µ-law or 16-bit PCM WAV files, as µ-law."""
    assert caller_audio(None) == b""
    ulaw_file = tmp_path / "caller.wav"
    write_ulaw_wav(ulaw_file, b"\x01\x02\x03")
    assert caller_audio(str(ulaw_file)) == b"\x01\x02\x03"
    assert audio_duration(ulaw_file.read_bytes(), "wav") == pytest.approx(3 / 8000)
    pcm_file = tmp_path / "pcm.wav"
    pcm_file.write_bytes(_wav_file(1, 8000, 16, struct.pack("<2h", 0, -32768)))
    assert caller_audio(str(pcm_file)) == b"\xff\x00"
    for name, data in (
        ("16k.wav", _wav_file(1, 16000, 16, b"\0\0")),
        ("alaw.wav", _wav_file(6, 8000, 8, b"\0")),
    ):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=name):
            caller_audio(str(tmp_path / name))


def _wav_file(tag: int, rate: int, bits: int, data: bytes) -> bytes:
    fmt = struct.pack("<HHIIHH", tag, 1, rate, rate * bits // 8, bits // 8, bits)
    body = b"WAVEfmt " + struct.pack("<I", 16) + fmt + b"data"
    body += struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _ws(receiver_url: str, name: str) -> str:
    """The receiver's websocket of that name."""
    return "ws" + receiver_url.removeprefix("http") + f"/ws/{name}"


def _stream_events(call: Call) -> list[str]:
    """The stream events delivered, in order (each once, whatever its retries)."""
    return [
        attempt.event_type
        for attempt in call.attempts
        if attempt.event_type.startswith("mediaStream") and attempt.ok
    ]


async def test_stream_reads_binary_frames(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
) -> None:
    """Frames come back as text or binary JSON; unreadable ones are skipped."""
    receiver, receiver_url = receiver_server
    audio = bytes(range(160))
    play = json.dumps(
        {
            "eventType": "playAudio",
            "media": {
                "contentType": "audio/pcmu",
                "payload": base64.b64encode(audio).decode(),
            },
        }
    )
    receiver.replies["a"] = [
        play.encode(),
        b'{"eventType": "clear"}',
        b"\xff\xfe not JSON",
        "[1, 2]",
        play,
    ]
    receiver.bxml["answer"] = (
        f'<Response><StartStream name="a" destination="{_ws(receiver_url, "a")}"/>'
        '<Pause duration="300"/></Response>'
    )
    call_id = await _place(bandwidth_sandbox, session, receiver_url)
    call = bandwidth_sandbox.calls[call_id]
    await bandwidth_sandbox.wait_for(
        lambda: bool(call.streams) and len(call.streams[0].received) == 2 * len(audio)
    )
    call.end("hangup")
    await bandwidth_sandbox.wait_for_call(call_id)
    [stream] = call.streams
    assert [frame["eventType"] for frame in stream.messages] == [
        "playAudio",
        "clear",
        "playAudio",
    ]
    assert stream.clears == 1
    assert stream.received == audio * 2
    assert stream.ended == "stop"


@pytest.mark.parametrize("wait", [False, True])
async def test_stop_stream_waits_only_when_told(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    wait: bool,
) -> None:
    """<StopStream> goes on at once; with wait="true" once the stream has ended."""
    receiver, receiver_url = receiver_server
    receiver.hold_close = asyncio.Event()
    waiting = ' wait="true"' if wait else ""
    receiver.bxml["answer"] = (
        f'<Response><StartStream name="a" destination="{_ws(receiver_url, "a")}"/>'
        f'<Pause duration="10"/><StopStream name="a"{waiting}/>'
        '<SpeakSentence>After</SpeakSentence><Pause duration="300"/></Response>'
    )
    call_id = await _place(bandwidth_sandbox, session, receiver_url)
    call = bandwidth_sandbox.calls[call_id]
    # The destination has the stop frame but holds its close: the stream
    # is ending, not ended.
    await bandwidth_sandbox.wait_for(
        lambda: any(
            frame["eventType"] == "stop" for frame in receiver.frames.get("a", [])
        )
    )
    [stream] = call.streams
    if wait:
        await asyncio.sleep(0.2)
        assert call.spoken == []
    else:
        await bandwidth_sandbox.wait_for(lambda: call.spoken == ["After"])
    assert stream.active
    receiver.hold_close.set()
    await bandwidth_sandbox.wait_for(lambda: call.spoken == ["After"])
    await stream.finished.wait()
    [(said_at, _)] = call.heard
    assert stream.ended_at is not None
    assert (said_at >= stream.ended_at) is wait
    assert stream.ended == "stop"
    assert stream.close_code == 1000  # the destination answered the close
    call.end("hangup")
    await bandwidth_sandbox.wait_for_call(call_id)


@pytest.mark.parametrize("wait", [False, True])
async def test_stream_name_in_use_is_rejected(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    wait: bool,
) -> None:
    """A name whose stream has not ended yet is refused: mediaStreamRejected."""
    receiver, receiver_url = receiver_server
    events = f"{receiver_url}/events?ref=r-1&amp;key=k-1"
    waiting = ' wait="true"' if wait else ""
    second = _ws(receiver_url, "second")
    receiver.bxml["answer"] = (
        "<Response>"
        f'<StartStream name="a" destination="{_ws(receiver_url, "first")}"'
        f' streamEventUrl="{events}"/>'
        f'<Pause duration="10"/><StopStream name="a"{waiting}/>'
        f'<StartStream name="a" destination="{second}" streamEventUrl="{events}"/>'
        '<Pause duration="10"/></Response>'
    )
    call = await bandwidth_sandbox.wait_for_call(
        await _place(bandwidth_sandbox, session, receiver_url)
    )
    first, again = call.streams
    assert first.ended == "stop"
    if wait:
        assert again.rejected is None
        assert again.ended == "stop"
        # The first stream's stopped and the second's started may cross.
        assert sorted(_stream_events(call)) == [
            "mediaStreamStarted",
            "mediaStreamStarted",
            "mediaStreamStopped",
            "mediaStreamStopped",
        ]
        return
    assert again.rejected == "duplicate"
    assert again.error == "A stream with the name a already exists"
    assert not again.connected
    assert "second" not in receiver.frames
    assert sorted(_stream_events(call)) == [
        "mediaStreamRejected",
        "mediaStreamStarted",
        "mediaStreamStopped",
    ]
    [rejected] = [
        event
        for event in receiver.events
        if event["eventType"] == "mediaStreamRejected"
    ]
    assert rejected["callId"] == call.call_id
    assert rejected["cause"] == "duplicate"
    assert rejected["errorMessage"] == again.error
    assert rejected["mediaStream"] == {
        "id": again.stream_id,
        "name": "a",
        "destination": second,
        "startTime": again.start_time,
        "tracks": ["inbound"],
        "type": "WebSocket",
    }
    assert rejected["originalMediaStream"]["id"] == first.stream_id
    assert rejected["originalMediaStream"]["destination"] == _ws(receiver_url, "first")


@pytest.mark.parametrize(
    ("method", "query_objects"),
    [("POST", "json"), ("GET", "json"), ("GET", "dotted")],
)
async def test_stream_events(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    method: str,
    query_objects: str,
) -> None:
    """Stream events go to streamEventUrl as given: started, then stopped.

    Its query (the application's secret) is kept; url_rewrites apply.
    """
    receiver, receiver_url = receiver_server
    app = "https://app.example.test"
    bandwidth_sandbox.url_rewrites[app] = receiver_url
    bandwidth_sandbox.query_objects = query_objects
    given = f"{app}/events?ref=r-1&key=Secret_k-1"
    receiver.bxml["answer"] = (
        '<Response><StartStream name="talk" tracks="both"'
        f' destination="wss://app.example.test/ws/talk"'
        f' streamEventUrl="{given.replace("&", "&amp;")}"'
        f' streamEventMethod="{method}" username="{CB_USER}" password="{CB_PASS}"/>'
        '<Pause duration="10"/><StopStream name="talk" wait="true"/></Response>'
    )
    call = await bandwidth_sandbox.wait_for_call(
        await _place(bandwidth_sandbox, session, app)
    )
    [stream] = call.streams
    assert stream.ended == "stop"
    assert receiver.frames["talk"][0]["eventType"] == "start"
    attempts = [a for a in call.attempts if a.event_type.startswith("mediaStream")]
    assert [(a.event_type, a.method, a.url, a.status) for a in attempts] == [
        ("mediaStreamStarted", method, given, 401),
        ("mediaStreamStarted", method, given, 204),
        ("mediaStreamStopped", method, given, 401),
        ("mediaStreamStopped", method, given, 204),
    ]
    index = [
        i
        for i, event in enumerate(receiver.events)
        if event["eventType"].startswith("mediaStream")
    ]
    started, stopped = (receiver.events[i] for i in index)
    for i in index:
        target = URL(receiver.targets[i])
        assert target.path == "/events"
        assert (target.query["ref"], target.query["key"]) == ("r-1", "Secret_k-1")
        if method == "POST":
            assert receiver.targets[i] == "/events?ref=r-1&key=Secret_k-1"
    media = {
        "id": stream.stream_id,
        "name": "talk",
        "destination": "wss://app.example.test/ws/talk",
        "startTime": stream.start_time,
        "tracks": ["inbound", "outbound"],
        "type": "WebSocket",
    }
    if method == "GET" and query_objects == "dotted":
        assert started["mediaStream.tracks"] == '["inbound", "outbound"]'
        assert started["mediaStream.id"] == stream.stream_id
        assert stopped["mediaStream.duration"].startswith("PT")
    else:
        if method == "GET":
            started["mediaStream"] = json.loads(started["mediaStream"])
            stopped["mediaStream"] = json.loads(stopped["mediaStream"])
        assert started["mediaStream"] == media
        duration = stopped["mediaStream"].pop("duration")
        assert re.fullmatch(r"PT\d+\.\d{3}S", duration)
        assert stopped["mediaStream"] == media
    for event in (started, stopped):
        assert event["callId"] == call.call_id
        assert event["accountId"] == sandbox.ACCOUNT_ID
        assert event["direction"] == "outbound"
    assert "cause" not in started
    assert stopped["cause"] == "closed"
    assert "errorMessage" not in stopped


async def test_stream_closed_by_the_destination(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
) -> None:
    """A stream the destination closes stops: mediaStreamStopped, cause closed."""
    receiver, receiver_url = receiver_server
    receiver.close_after_start.add("a")
    receiver.bxml["answer"] = (
        f'<Response><StartStream name="a" destination="{_ws(receiver_url, "a")}"'
        f' streamEventUrl="{receiver_url}/events"/><Pause duration="20"/></Response>'
    )
    call = await bandwidth_sandbox.wait_for_call(
        await _place(bandwidth_sandbox, session, receiver_url)
    )
    [stream] = call.streams
    assert stream.ended == "closed"
    assert stream.close_code == 1000
    assert _stream_events(call) == ["mediaStreamStarted", "mediaStreamStopped"]
    assert receiver.events[-2]["eventType"] == "mediaStreamStopped"
    assert receiver.events[-2]["cause"] == "closed"


@pytest.mark.parametrize("refused", [True, False])
async def test_stream_that_cannot_connect_is_rejected(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    receiver_server: tuple[Receiver, str],
    refused: bool,
) -> None:
    """A refused handshake or no connection: mediaStreamRejected, connection-error."""
    receiver, receiver_url = receiver_server
    receiver.refuse.add("a")
    destination = (
        _ws(receiver_url, "a")
        if refused
        else "ws" + _refused_url().removeprefix("http")
    )
    receiver.bxml["answer"] = (
        f'<Response><StartStream destination="{destination}"'
        f' streamEventUrl="{receiver_url}/events?key=k"/>'
        '<Pause duration="10"/></Response>'
    )
    call = await bandwidth_sandbox.wait_for_call(
        await _place(bandwidth_sandbox, session, receiver_url)
    )
    [stream] = call.streams
    assert stream.name == stream.stream_id  # no name: the id stands for it
    assert stream.rejected == "connection-error"
    assert not stream.connected
    assert stream.status == (403 if refused else None)
    assert _stream_events(call) == ["mediaStreamRejected"]
    [rejected] = [
        event
        for event in receiver.events
        if event["eventType"] == "mediaStreamRejected"
    ]
    assert rejected["cause"] == "connection-error"
    assert rejected["errorMessage"] == stream.error
    assert ("HTTP 403" in stream.error) is refused
    assert "originalMediaStream" not in rejected
    assert rejected["mediaStream"]["name"] == stream.stream_id
    assert rejected["mediaStream"]["destination"] == destination


async def test_close_ends_streams(
    session: aiohttp.ClientSession, receiver_server: tuple[Receiver, str]
) -> None:
    """close() also ends the streams of the calls it cuts short."""
    receiver, receiver_url = receiver_server
    box = Sandbox(time_scale=1)
    box.default_scenario = Scenario(ring_seconds=0)
    server = TestServer(box.app, host="127.0.0.1")
    await server.start_server()
    box.url = str(server.make_url("/")).rstrip("/")
    receiver.bxml["answer"] = (
        f'<Response><StartStream name="a" destination="{_ws(receiver_url, "a")}"/>'
        '<Pause duration="300"/></Response>'
    )
    call = box.calls[await _place(box, session, receiver_url)]
    await box.wait_for(lambda: bool(call.streams) and call.streams[0].frames_sent > 0)
    await box.close()
    await server.close()
    [stream] = call.streams
    assert stream.task is not None
    assert stream.task.done()


async def test_calls_in_followed_and_hung_up(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """`python -m sandbox call`'s routes: ring, follow, hang up; the application is known."""
    bandwidth_sandbox.lifecycle = True
    bandwidth_sandbox.application_ids.add("door-bell")
    initiated: list[dict[str, Any]] = []

    async def answer(request: web.Request) -> web.Response:
        body = await request.json()
        if body["eventType"] != "initiate":
            return web.Response(status=204)
        initiated.append(body)
        return web.Response(
            text="<Response><SpeakSentence>Hello.</SpeakSentence>"
            '<Pause duration="300"/></Response>',
            content_type="application/xml",
        )

    app = web.Application()
    app.router.add_post("/{name}", answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = bandwidth_sandbox.url
    try:
        url = str(server.make_url("/initiate"))
        for extra in ({}, {"applicationId": "door-bell"}):
            async with session.post(
                f"{base}/sandbox/inbound",
                json={"url": url, "from": "+15555550177", "to": "+15555550100"}
                | {"statusUrl": url}
                | extra,
            ) as response:
                assert response.status == 201
                call_id = (await response.json())["callId"]
            call = bandwidth_sandbox.calls[call_id]
            await bandwidth_sandbox.wait_for(lambda c=call: c.spoken == ["Hello."])
            async with session.post(f"{base}/sandbox/calls/{call_id}/hangup") as hangup:
                assert hangup.status == 204
            await bandwidth_sandbox.wait_for_call(call_id)
            async with session.get(f"{base}/sandbox/calls/{call_id}") as response:
                followed = await response.json()
            assert followed["state"] == "disconnected"
            assert followed["disconnectCause"] == "hangup"
            assert followed["spoken"] == ["Hello."]
            assert followed["callbacks"] == [
                {"eventType": "initiate", "status": 200},
                {"eventType": "disconnect", "status": 204},
            ]
        for route in ("", "/hangup"):
            method = session.post if route else session.get
            async with method(f"{base}/sandbox/calls/c-unknown{route}") as response:
                assert response.status == 404
    finally:
        await server.close()
    assert [body["applicationId"] for body in initiated] == [
        sandbox.APPLICATION_ID,
        "door-bell",
    ]
