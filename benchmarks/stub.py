"""A minimal stand-in for Bandwidth's API: the least a server does to place a call.

It answers the three requests a config entry makes with fixed bodies: a token,
the credential check's one-call page, and a 201 createCall response. Nothing is
checked or recorded beyond the last createCall body, so that a benchmark
comparing the integration with a bare POST counts the server's work as little
as possible, and the same on both sides.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from sandbox import ACCOUNT_ID, APPLICATION_ID

CALL_ID = "c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85"
CALLS_PATH = f"/api/v2/accounts/{ACCOUNT_ID}/calls"
TOKEN_PATH = "/api/v1/oauth2/token"
CREATED = json.dumps(
    {
        "callId": CALL_ID,
        "callUrl": f"https://voice.bandwidth.com/api/v2/accounts/{ACCOUNT_ID}/calls/{CALL_ID}",
        "accountId": ACCOUNT_ID,
        "applicationId": APPLICATION_ID,
        "to": "+15555551234",
        "from": "+15555550100",
        "enqueuedTime": "2026-11-27T10:00:00.012Z",
        "answerUrl": "https://ha.example.test/api/webhook/stub",
        "answerMethod": "POST",
        "disconnectMethod": "POST",
        "callTimeout": 30.0,
        "callbackTimeout": 15.0,
        "priority": 5,
    }
).encode()
TOKEN = json.dumps(
    {"access_token": "stub-token", "token_type": "bearer", "expires_in": 3600}
).encode()


class StubApi:
    """Serves fixed answers on loopback; start it, then use `.url`."""

    def __init__(self) -> None:
        """Route the token, the credential check and createCall."""
        self.app = web.Application()
        self.app.router.add_post(TOKEN_PATH, self._token)
        self.app.router.add_get(CALLS_PATH, self._calls)
        self.app.router.add_post(CALLS_PATH, self._create_call)
        self.server = TestServer(self.app, host="127.0.0.1")
        self.url = ""
        self.last_body: bytes = b""

    async def start(self) -> None:
        """Listen on a free loopback port."""
        await self.server.start_server()
        self.url = str(self.server.make_url("/")).rstrip("/")

    async def close(self) -> None:
        """Stop listening."""
        await self.server.close()

    def last_json(self) -> Any:
        """Return the last createCall body received, decoded."""
        return json.loads(self.last_body)

    async def _token(self, _request: web.Request) -> web.Response:
        return web.Response(body=TOKEN, content_type="application/json")

    async def _calls(self, _request: web.Request) -> web.Response:
        return web.Response(body=b"[]", content_type="application/json")

    async def _create_call(self, request: web.Request) -> web.Response:
        self.last_body = await request.read()
        return web.Response(status=201, body=CREATED, content_type="application/json")
