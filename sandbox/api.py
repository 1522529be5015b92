"""The HTTP API: what a Bandwidth client talks to.

`HttpApi` builds the aiohttp application and answers each route:

- POST /api/v1/oauth2/token: OAuth2 client credentials, issuing Bearer tokens;
- /api/v2/accounts/{accountId}/calls: createCall (validated, rate limited),
  listCalls, getCallState and updateCall (hangup, redirect) of Voice API v2;
- GET /api/v2/accounts/{accountId}/applications/{applicationId}: the
  account API's application, in XML;
- POST /sandbox/inbound: a call to the application (`python -m sandbox call`).

Voice and account routes take a Bearer token or the API's Basic credentials.
A middleware records every request, adds the configured delay, applies
injected faults and logs each answer. Settings and records are the
sandbox's; issued tokens and recent call creations are kept here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict

from .applications import (
    NOT_FOUND_CODE,
    Application,
    application_document,
    error_document,
)
from .auth import credentials_from, parse_basic_auth
from .faults import Fault, Faults
from .models import Call, Hook, RecordedRequest, Recording, new_call_id, now
from .player import CallPlayer
from .validation import CREATE_CALL, UPDATE_CALL, create_call_rules, validate

_LOGGER = logging.getLogger("sandbox")

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, kind: str, description: str, **headers: str) -> web.Response:
    """Build a voiceApiError response."""
    body = {"type": kind, "description": description, "id": None}
    return web.json_response(body, status=status, headers=headers)


def _oauth_error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> web.Response:
    """Build an OAuth2 (RFC 6749) error response."""
    body = {"error": error, "error_description": description}
    return web.json_response(body, status=status, headers=headers)


class ApiSettings(Protocol):
    """What the HTTP API reads and records of the sandbox, and rings it with."""

    account_id: str
    client_id: str
    client_secret: str
    username: str
    password: str
    application_ids: set[str]
    applications: dict[str, Application]
    lifecycle: bool
    delay: float
    rate_limit: tuple[int, float] | None
    max_active_calls: int
    token_expires_in: int
    allow_insecure_callbacks: bool
    requests: list[RecordedRequest]
    token_requests: int
    calls: dict[str, Call]
    recordings: dict[str, Recording]

    def call_in(  # noqa: PLR0913 - the inbound call's settings the API passes on
        self,
        url: str,
        from_: str,
        to: str,
        *,
        method: str = ...,
        verstat: str | None = ...,
        attestation: str | None = ...,
        status_url: str | None = ...,
        digits: str | Sequence[str] | None = ...,
        speech: str | None = ...,
        application_id: str | None = ...,
        message: str | None = ...,
    ) -> Call:
        """Ring the application: a call from `from_` to its number `to`."""


class HttpApi:
    """Serves the sandbox's routes; calls it creates go to the call player.

    Its settings and records are the sandbox's (`ApiSettings`).
    """

    def __init__(
        self, sandbox: ApiSettings, player: CallPlayer, faults: Faults
    ) -> None:
        """Answer for this sandbox, starting its calls and applying its faults."""
        self._sandbox = sandbox
        self._player = player
        self._faults = faults
        self._tokens: dict[str, float] = {}
        self._creations: list[float] = []
        self._app: web.Application | None = None

    @property
    def app(self) -> web.Application:
        """The aiohttp application serving the sandbox."""
        if self._app is None:
            app = web.Application(middlewares=[self._middleware])
            calls = "/api/v2/accounts/{account_id}/calls"
            app.router.add_post("/api/v1/oauth2/token", self._token)
            app.router.add_post(calls, self._create_call)
            app.router.add_get(calls, self._list_calls)
            app.router.add_get(calls + "/{call_id}", self._get_call)
            app.router.add_post(calls + "/{call_id}", self._update_call)
            recording = calls + "/{call_id}/recordings/{recording_id}"
            app.router.add_get(recording + "/media", self._get_recording_media)
            app.router.add_get(recording + "/transcription", self._get_transcription)
            app.router.add_delete(recording, self._delete_recording)
            app.router.add_post("/sandbox/inbound", self._control_inbound)
            app.router.add_get("/sandbox/calls/{call_id}", self._control_call)
            app.router.add_post("/sandbox/calls/{call_id}/hangup", self._control_hangup)
            app.router.add_get(
                "/api/v2/accounts/{account_id}/applications/{application_id}",
                self._get_application,
            )
            self._app = app
        return self._app

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        await self._record(request)
        if self._sandbox.delay:
            await asyncio.sleep(self._sandbox.delay)
        fault = self._faults.take(request)
        if fault is not None and not fault.kind.startswith("lose-"):
            return await self._faults.apply(request, fault)
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = _error(404, "validation", f"Path {request.path} not found")
        except web.HTTPMethodNotAllowed:
            response = _error(405, "validation", "Method Not Allowed")
        _LOGGER.info("%s %s -> %s", request.method, request.path_qs, response.status)
        if fault is not None:
            # Done, but the answer never arrives whole.
            how = fault.kind.removeprefix("lose-")
            if how == "garble":
                return web.Response(
                    status=201, body=b'{"callId": "c-', content_type="application/json"
                )
            return await self._faults.apply(request, Fault(how, 1, None, None))
        return response

    async def _record(self, request: web.Request) -> None:
        body = await request.read()
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=CIMultiDict(request.headers),
            body=body,
        )
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                record.json = json.loads(body)
        elif request.content_type == "application/x-www-form-urlencoded":
            with contextlib.suppress(ValueError):
                record.form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        self._sandbox.requests.append(record)

    # -- Auth ----------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        """OAuth2 client-credentials token endpoint."""
        self._sandbox.token_requests += 1
        auth = parse_basic_auth(request.headers.get("Authorization", ""))
        if auth != (self._sandbox.client_id, self._sandbox.client_secret):
            challenge = {"WWW-Authenticate": 'Basic realm="sandbox"'}
            return _oauth_error(
                401, "invalid_client", "Bad client credentials", challenge
            )
        if request.content_type != "application/x-www-form-urlencoded":
            return _oauth_error(400, "invalid_request", "Expected a form body")
        grant = (await request.post()).get("grant_type")
        if grant is None:
            return _oauth_error(400, "invalid_request", "grant_type is required")
        if grant != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "Only client_credentials"
            )
        token = secrets.token_urlsafe(32)
        self._tokens[token] = time.monotonic() + self._sandbox.token_expires_in
        return web.json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self._sandbox.token_expires_in,
            },
            headers={"Cache-Control": "no-store"},
        )

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far (the next use gets 401)."""
        self._tokens.clear()

    def _authorize(self, request: web.Request) -> web.Response | None:
        """None when allowed, else the 401/403 Bandwidth would answer."""
        header = request.headers.get("Authorization", "")
        allowed = False
        if header.startswith("Bearer "):
            expiry = self._tokens.get(header.removeprefix("Bearer ").strip())
            allowed = expiry is not None and expiry > time.monotonic()
        elif header.startswith("Basic "):
            allowed = parse_basic_auth(header) == (
                self._sandbox.username,
                self._sandbox.password,
            )
        if not allowed:
            return _error(
                401, "authentication-error", "The credentials provided were invalid"
            )
        if request.match_info["account_id"] != self._sandbox.account_id:
            return _error(403, "authorization-error", "Access is denied")
        return None

    # -- Voice API -----------------------------------------------------------

    async def _json_body(self, request: web.Request) -> tuple[Any, web.Response | None]:
        if request.content_type != "application/json":
            shown = request.headers.get("Content-Type", "")
            return None, _error(
                415, "validation", f"Content type '{shown}' not supported"
            )
        try:
            return json.loads(await request.read()), None
        except ValueError:
            return None, _error(400, "validation", "Request body is not valid JSON")

    async def _create_call(self, request: web.Request) -> web.Response:
        if (denied := self._authorize(request)) is not None:
            return denied
        body, problem = await self._json_body(request)
        if problem is not None:
            return problem
        description = validate(body, CREATE_CALL) or create_call_rules(
            body, allow_http=self._sandbox.allow_insecure_callbacks
        )
        if (
            description is None
            and body["applicationId"] not in self._sandbox.application_ids
        ):
            description = (
                f"Invalid applicationId: application {body['applicationId']} not found"
            )
        if description is not None:
            return _error(400, "validation", description)
        if (limited := self._rate_limited()) is not None:
            return limited
        call_id = new_call_id()
        call_url = f"{request.url.origin()}/api/v2/accounts/{self._sandbox.account_id}/calls/{call_id}"
        call = Call(
            call_id,
            self._sandbox.account_id,
            body,
            call_url,
            now(),
            tag=body.get("tag"),
        )
        self._sandbox.calls[call_id] = call
        if self._sandbox.lifecycle:
            self._player.start(call)
        response = {
            "applicationId": body["applicationId"],
            "accountId": self._sandbox.account_id,
            "callId": call_id,
            "to": body["to"],
            "from": body["from"],
            "enqueuedTime": call.enqueued_time,
            "callUrl": call_url,
            "callTimeout": body.get("callTimeout", 30),
            "callbackTimeout": body.get("callbackTimeout", 15),
            "tag": body.get("tag"),
            "answerMethod": body.get("answerMethod", "POST"),
            "answerUrl": body["answerUrl"],
            "answerFallbackMethod": body.get("answerFallbackMethod", "POST"),
            "answerFallbackUrl": body.get("answerFallbackUrl"),
            "disconnectMethod": body.get("disconnectMethod", "POST"),
            "disconnectUrl": body.get("disconnectUrl"),
            "username": body.get("username"),
            "password": body.get("password"),
            "fallbackUsername": body.get("fallbackUsername"),
            "fallbackPassword": body.get("fallbackPassword"),
            "priority": body.get("priority", 5),
        }
        _LOGGER.info("call %s created to %s", call_id, body["to"])
        return web.json_response(response, status=201, headers={"Location": call_url})

    def _rate_limited(self) -> web.Response | None:
        active = sum(not call.completed for call in self._sandbox.calls.values())
        if active >= self._sandbox.max_active_calls:
            return _error(
                429,
                "error",
                "Account concurrent call limit exceeded",
                **{"Retry-After": "1"},
            )
        if self._sandbox.rate_limit is None:
            return None
        limit, retry_after = self._sandbox.rate_limit
        now = time.monotonic()
        self._creations = [moment for moment in self._creations if now - moment < 1]
        if len(self._creations) >= limit:
            description = "Account call creation rate limit exceeded"
            return _error(
                429, "error", description, **{"Retry-After": f"{retry_after:g}"}
            )
        self._creations.append(now)
        return None

    async def _list_calls(self, request: web.Request) -> web.Response:
        if (denied := self._authorize(request)) is not None:
            return denied
        query = request.query
        try:
            size = int(query.get("pageSize", "1000"))
            offset = int(query.get("pageToken", "0"))
        except ValueError:
            return _error(400, "validation", "Invalid pageSize or pageToken")
        if not 1 <= size <= 10000:  # noqa: PLR2004
            return _error(
                400, "validation", "Invalid pageSize: must be between 1 and 10000"
            )
        states = [call.state_json() for call in self._sandbox.calls.values()]
        for key in ("to", "from", "disconnectCause"):
            if key in query:
                states = [state for state in states if state[key] == query[key]]
        if "minStartTime" in query:
            states = [
                s for s in states if (s["startTime"] or "") >= query["minStartTime"]
            ]
        if "maxStartTime" in query:
            states = [
                s for s in states if (s["startTime"] or "~") <= query["maxStartTime"]
            ]
        headers = {}
        if offset + size < len(states):
            next_url = request.url.update_query(pageToken=str(offset + size))
            headers["Link"] = f'<{next_url}>; rel="next"'
        return web.json_response(states[offset : offset + size], headers=headers)

    def _find_call(self, request: web.Request) -> Call | web.Response:
        call_id = request.match_info["call_id"]
        call = self._sandbox.calls.get(call_id)
        if call is None:
            return _error(404, "validation", f"Call [{call_id}] not found")
        return call

    async def _get_call(self, request: web.Request) -> web.Response:
        if (denied := self._authorize(request)) is not None:
            return denied
        call = self._find_call(request)
        return (
            call
            if isinstance(call, web.Response)
            else web.json_response(call.state_json())
        )

    async def _update_call(self, request: web.Request) -> web.Response:
        if (denied := self._authorize(request)) is not None:
            return denied
        call = self._find_call(request)
        if isinstance(call, web.Response):
            return call
        body, problem = await self._json_body(request)
        if problem is not None:
            return problem
        if (description := validate(body, UPDATE_CALL)) is not None:
            return _error(400, "validation", description)
        return self._apply_update(call, body)

    def _apply_update(self, call: Call, body: dict[str, Any]) -> web.Response:
        """Hang up or redirect a call, as Update Call does."""
        if call.completed:
            return _error(404, "validation", f"Call [{call.call_id}] not found")
        if body.get("state", "active") == "completed":
            if set(body) - {"state"}:
                description = "Only state is allowed when state is completed"
                return _error(400, "validation", description)
            # Ringing calls are cancelled, answered ones hung up.
            call.end("hangup" if call.state == "answered" else "cancel")
            _LOGGER.info(
                "call %s ended by the API (%s)", call.call_id, call.disconnect_cause
            )
            return web.Response(status=200)
        if "redirectUrl" not in body:
            description = "redirectUrl is required when state is active"
            return _error(400, "validation", description)
        if call.state != "answered":
            description = (
                f"Call [{call.call_id}] cannot be modified in its current state"
            )
            return _error(409, "validation", description)
        if "tag" in body:
            call.tag = body["tag"] or None
        call.redirect = Hook(
            body["redirectUrl"],
            body.get("redirectMethod", "POST"),
            credentials_from(body, "username", "password"),
            body.get("redirectFallbackUrl"),
            body.get("redirectFallbackMethod", "POST"),
            credentials_from(body, "fallbackUsername", "fallbackPassword"),
        )
        call.interrupt.set()
        return web.Response(status=200)

    # -- Account API ---------------------------------------------------------

    async def _get_application(self, request: web.Request) -> web.Response:
        """Describe one application, in XML, as Bandwidth's account API does."""
        if (denied := self._authorize(request)) is not None:
            return denied
        application_id = request.match_info["application_id"]
        application = self._sandbox.applications.get(application_id)
        if application is None:
            body = error_document(
                NOT_FOUND_CODE, f"Application '{application_id}' not found"
            )
            status = 404
        else:
            body, status = application_document(application), 200
        return web.Response(body=body, status=status, content_type="application/xml")

    # -- Recordings ----------------------------------------------------------

    def _find_recording(self, request: web.Request) -> Recording | web.Response:
        """Return the recording a request names, or the error answering it."""
        if (problem := self._authorize(request)) is not None:
            return problem
        recording = self._sandbox.recordings.get(request.match_info["recording_id"])
        if (
            recording is None
            or recording.deleted
            or recording.call_id != request.match_info["call_id"]
        ):
            return _error(404, "not-found", "Recording not found")
        return recording

    async def _get_recording_media(self, request: web.Request) -> web.Response:
        """Serve a recording's audio, as it was recorded."""
        recording = self._find_recording(request)
        if isinstance(recording, web.Response):
            return recording
        content_type = "audio/mpeg" if recording.file_format == "mp3" else "audio/wav"
        return web.Response(body=recording.media, content_type=content_type)

    async def _get_transcription(self, request: web.Request) -> web.Response:
        """Serve a recording's transcript, when it has one."""
        recording = self._find_recording(request)
        if isinstance(recording, web.Response):
            return recording
        if recording.transcript is None:
            return _error(404, "not-found", "Transcription not found")
        return web.json_response(
            {"transcripts": [{"text": recording.transcript, "confidence": 0.9}]}
        )

    async def _delete_recording(self, request: web.Request) -> web.Response:
        """Delete a recording: every later request for it is a 404."""
        recording = self._find_recording(request)
        if isinstance(recording, web.Response):
            return recording
        recording.deleted = True
        return web.Response(status=204)

    # -- Control -------------------------------------------------------------

    async def _control_inbound(self, request: web.Request) -> web.Response:
        """Start a call to the application (`python -m sandbox call` posts here)."""
        body, problem = await self._json_body(request)
        if problem is not None:
            return problem
        if not isinstance(body, dict) or not all(
            isinstance(body.get(key), str) for key in ("url", "from", "to")
        ):
            return _error(400, "validation", "url, from and to are required")
        call = self._sandbox.call_in(
            body["url"],
            body["from"],
            body["to"],
            method=body.get("method", "POST"),
            verstat=body.get("verstat"),
            attestation=body.get("attestation"),
            status_url=body.get("statusUrl"),
            digits=body.get("digits"),
            speech=body.get("speech"),
            application_id=body.get("applicationId"),
            message=body.get("message"),
        )
        return web.json_response({"callId": call.call_id}, status=201)

    async def _control_call(self, request: web.Request) -> web.Response:
        """Tell what happened to a call so far (`python -m sandbox call` follows it)."""
        call = self._find_call(request)
        if isinstance(call, web.Response):
            return call
        return web.json_response(
            {
                **call.state_json(),
                "callbacks": [
                    {"eventType": event_type, "status": status}
                    for event_type, status, _ in call.callbacks
                ],
                "spoken": call.spoken,
                "played": call.played,
                "gathered": call.gathered,
            }
        )

    async def _control_hangup(self, request: web.Request) -> web.Response:
        """Hang up a call, as its caller (or callee) does."""
        call = self._find_call(request)
        if isinstance(call, web.Response):
            return call
        call.end("hangup")
        return web.Response(status=204)
