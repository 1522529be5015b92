"""A local stand-in for Bandwidth's OAuth2 token endpoint and Voice API v2.

`Sandbox` answers the HTTP requests a Bandwidth client makes, records them,
can be told to misbehave (faults, latency, rate limits), and, when
`lifecycle` is on, plays the calls it creates: it sends the answer callback,
executes the BXML it gets back (fetching and decoding the media of each
<PlayAudio>, as Bandwidth would), and ends the call with a disconnect callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict

from .applications import (
    NOT_FOUND_CODE,
    Application,
    application_document,
    error_document,
)
from .auth import basic_auth, credentials_from, parse_basic_auth
from .callbacks import (
    CallbackClient,
    CallbackTransport,
)
from .models import (
    AudioFetch,
    Call,
    CallbackAttempt,
    Hook,
    RecordedRequest,
    Scenario,
    new_call_id,
    now,
)
from .player import CallPlayer
from .validation import (
    CREATE_CALL,
    MACHINE_DETECTION,
    UPDATE_CALL,
    Field,
    create_call_rules,
    validate,
)

ACCOUNT_ID = "9900000"
APPLICATION_ID = "sandbox-application"
APPLICATION_NAME = "Home alarm"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
USERNAME = "sandbox-user"
PASSWORD = "sandbox-password"

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


@dataclass
class _Fault:
    kind: str  # "fail", "hang", "reset" or "lose-" + one of hang, reset, garble
    times: int | None
    path_contains: str | None
    method: str | None
    response: tuple[int, str | bytes, dict[str, str], str] | None = None


# --- The sandbox -------------------------------------------------------------


class Sandbox:
    """Bandwidth over HTTP on loopback, with recording and fault injection.

    Serve `sandbox.app` (an aiohttp Application) and set `sandbox.url` to its
    root URL. Attributes tests may read or set:

    - requests: every RecordedRequest received; token_requests: token count.
    - calls: call id -> Call (state, spoken, played, audio, callbacks,
      attempts...).
    - application_ids: the applications createCall accepts; applications:
      id -> Application, what the account API describes (name, service type).
    - callback_attempts: every CallbackAttempt across calls.
    - audio_fetches: every AudioFetch across calls. Each <PlayAudio> (on its
      own or as a <Gather> prompt) GETs its URL (resolved against its
      document, url_rewrites applied, the verb's username/password sent as
      HTTP Basic, redirects not followed) and needs a 200 whose body decodes
      as WAV (PCM 16-bit, A-law, µ-law) or MP3: the format Content-Type names,
      else the URL's .mp3/.wav extension, else WAV. The call then waits for
      the audio's length (times time_scale); Call.audio and Call.heard_audio
      record it. Media that cannot be played is logged as a warning and
      skipped: what Bandwidth really does with a bad media URL is not
      simulated beyond that.
    - lifecycle: play created calls (callbacks, BXML); off = calls just sit.
    - scenarios: destination -> Scenario; default_scenario otherwise; with
      number_conventions, destinations ending 0001/0002/0003 are voicemail,
      no-answer and busy.
    - time_scale: multiplies every simulated duration (ring, Pause, timeouts,
      speech, audio).
    - delay: seconds of latency before answering any request.
    - rate_limit: (creations per second, Retry-After seconds) or None;
      Bandwidth's default (5 per second) unless changed. max_active_calls:
      concurrent calls before 429.
    - token_expires_in: lifetime of issued tokens, in seconds.
    - url_rewrites: prefix -> replacement applied to callback and <PlayAudio>
      URLs before sending (e.g. Home Assistant's external URL -> a local test
      server).
    - allow_insecure_callbacks: accept http:// callback URLs with credentials.
    - execute_machine_detection_bxml: run BXML returned to
      machineDetectionComplete (Bandwidth ignores it; apps must use Update Call).
    - query_objects: how GET callbacks carry objects such as
      machineDetectionResult: "json" (one parameter holding JSON text) or
      "dotted" (machineDetectionResult.value=...&machineDetectionResult.duration=...).
    - callback_transport: when set, callbacks are handed to this coroutine
      function (method, url, headers, body) -> (status, headers, text)
      instead of being sent over HTTP; tests use it to pass them through
      Home Assistant Cloud's relay. <PlayAudio> media is still fetched over
      HTTP.
    - callback_deliveries: callbacks delivered (each may take several HTTP
      exchanges: a 401 challenge, a fallback URL); callback_attempts has
      every exchange.
    """

    def __init__(  # noqa: PLR0913 - each is a documented, independent setting
        self,
        *,
        account_id: str = ACCOUNT_ID,
        application_id: str = APPLICATION_ID,
        application_name: str = APPLICATION_NAME,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        username: str = USERNAME,
        password: str = PASSWORD,
        lifecycle: bool = True,
        time_scale: float = 0.01,
        number_conventions: bool = False,
    ) -> None:
        """Create a sandbox for one account and its credentials."""
        self.account_id = account_id
        self.application_ids = {application_id}
        self.applications = {
            application_id: Application(application_id, application_name)
        }
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self.lifecycle = lifecycle
        self.time_scale = time_scale
        self.number_conventions = number_conventions
        self.url = ""
        self.requests: list[RecordedRequest] = []
        self.token_requests = 0
        self.calls: dict[str, Call] = {}
        self.callback_attempts: list[CallbackAttempt] = []
        self.audio_fetches: list[AudioFetch] = []
        self.scenarios: dict[str, Scenario] = {}
        self.default_scenario = Scenario()
        self.delay = 0.0
        self.rate_limit: tuple[int, float] | None = (5, 1.0)
        self.max_active_calls = 100
        self.token_expires_in = 3600
        self.url_rewrites: dict[str, str] = {}
        self.allow_insecure_callbacks = False
        self.execute_machine_detection_bxml = False
        self.query_objects = "json"
        # Simulated seconds each spoken word takes (times time_scale).
        self.seconds_per_word = 0.3
        self.callback_transport: CallbackTransport | None = None
        self.callback_deliveries = 0
        self._tokens: dict[str, float] = {}
        self._faults: list[_Fault] = []
        self._creations: list[float] = []
        self._stopping = asyncio.Event()
        self._callbacks = CallbackClient(self)
        self._player = CallPlayer(self, self._callbacks)
        self._app: web.Application | None = None

    # -- Controls ------------------------------------------------------------

    def fail_next(  # noqa: PLR0913 - mirrors an HTTP response's parts
        self,
        status: int,
        body: str | bytes | dict[str, Any] | list[Any] = "",
        *,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
        times: int | None = 1,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next matching request(s) with this canned response.

        A dict/list body is sent as JSON; content_type defaults to
        application/json for those, text/plain otherwise. times=None keeps
        failing until clear_faults().
        """
        if isinstance(body, dict | list):
            body = json.dumps(body)
            content_type = content_type or "application/json"
        response = (status, body, headers or {}, content_type or "text/plain")
        self._faults.append(_Fault("fail", times, path_contains, method, response))

    def hang_next(
        self,
        *,
        times: int | None = 1,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """Never answer the next matching request(s): the client times out."""
        self._faults.append(_Fault("hang", times, path_contains, method))

    def reset_next(
        self,
        *,
        times: int | None = 1,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """Drop the connection of the next matching request(s) unanswered."""
        self._faults.append(_Fault("reset", times, path_contains, method))

    def lose_response_next(
        self,
        how: str,
        *,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """Carry out the next matching request, then lose its answer.

        how: "hang" (never answer), "reset" (drop the connection) or
        "garble" (answer 201 with a body cut short). The request takes
        effect all the same: a create places its call.
        """
        self._faults.append(_Fault(f"lose-{how}", 1, path_contains, method))

    def clear_faults(self) -> None:
        """Forget every pending fail/hang/reset."""
        self._faults.clear()

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far (the next use gets 401)."""
        self._tokens.clear()

    def scenario_for(self, to: str) -> Scenario:
        """Pick the scenario a call to this destination plays."""
        if to in self.scenarios:
            return self.scenarios[to]
        if self.number_conventions:
            for suffix, outcome in (
                ("0001", "voicemail"),
                ("0002", "no-answer"),
                ("0003", "busy"),
            ):
                if to.endswith(suffix):
                    return Scenario(outcome=outcome)
        return self.default_scenario

    async def wait_for_call(self, call_id: str, timeout: float = 5) -> Call:  # noqa: ASYNC109
        """Wait until the call's lifecycle has finished; return the call."""
        call = self.calls[call_id]
        if call.task is not None:
            async with asyncio.timeout(timeout):
                await asyncio.shield(call.task)
        return call

    async def wait_idle(self, timeout: float = 5) -> None:  # noqa: ASYNC109
        """Wait until no call lifecycle is running."""
        tasks = [
            call.task
            for call in self.calls.values()
            if call.task and not call.task.done()
        ]
        if tasks:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*(asyncio.shield(task) for task in tasks))

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5) -> None:  # noqa: ASYNC109
        """Poll until predicate() is true (e.g. a call has been created)."""
        async with asyncio.timeout(timeout):
            while not predicate():  # noqa: ASYNC110 - any condition, so polled
                await asyncio.sleep(0.005)

    async def close(self) -> None:
        """Stop every lifecycle, release hung requests, close the HTTP client."""
        self._stopping.set()
        tasks = [
            call.task
            for call in self.calls.values()
            if call.task and not call.task.done()
        ]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._callbacks.close()

    # -- HTTP app ------------------------------------------------------------

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
            app.router.add_post("/sandbox/inbound", self._control_inbound)
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
        if self.delay:
            await asyncio.sleep(self.delay)
        fault = self._take_fault(request)
        if fault is not None and not fault.kind.startswith("lose-"):
            return await self._apply_fault(request, fault)
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
            return await self._apply_fault(request, _Fault(how, 1, None, None))
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
        self.requests.append(record)

    def _take_fault(self, request: web.Request) -> _Fault | None:
        for fault in self._faults:
            if (
                fault.path_contains is not None
                and fault.path_contains not in request.path_qs
            ):
                continue
            if fault.method is not None and fault.method.upper() != request.method:
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            return fault
        return None

    async def _apply_fault(
        self, request: web.Request, fault: _Fault
    ) -> web.StreamResponse:
        _LOGGER.info(
            "%s %s -> injected %s", request.method, request.path_qs, fault.kind
        )
        if fault.kind == "hang":
            # Held until close(), so a test's teardown never waits on it.
            await self._stopping.wait()
        if fault.kind in {"hang", "reset"}:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=503)
        assert fault.response is not None  # noqa: S101 - set for every "fail"
        status, body, headers, content_type = fault.response
        raw = body.encode() if isinstance(body, str) else body
        return web.Response(
            status=status, body=raw, headers=headers, content_type=content_type
        )

    # -- Auth ----------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        """OAuth2 client-credentials token endpoint."""
        self.token_requests += 1
        auth = parse_basic_auth(request.headers.get("Authorization", ""))
        if auth != (self.client_id, self.client_secret):
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
        self._tokens[token] = time.monotonic() + self.token_expires_in
        return web.json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.token_expires_in,
            },
            headers={"Cache-Control": "no-store"},
        )

    def _authorize(self, request: web.Request) -> web.Response | None:
        """None when allowed, else the 401/403 Bandwidth would answer."""
        header = request.headers.get("Authorization", "")
        allowed = False
        if header.startswith("Bearer "):
            expiry = self._tokens.get(header.removeprefix("Bearer ").strip())
            allowed = expiry is not None and expiry > time.monotonic()
        elif header.startswith("Basic "):
            allowed = parse_basic_auth(header) == (self.username, self.password)
        if not allowed:
            return _error(
                401, "authentication-error", "The credentials provided were invalid"
            )
        if request.match_info["account_id"] != self.account_id:
            return _error(403, "authorization-error", "Access is denied")
        return None

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
        call = self.call_in(
            body["url"],
            body["from"],
            body["to"],
            method=body.get("method", "POST"),
            verstat=body.get("verstat"),
            attestation=body.get("attestation"),
            status_url=body.get("statusUrl"),
            digits=body.get("digits"),
        )
        return web.json_response({"callId": call.call_id}, status=201)

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
            body, allow_http=self.allow_insecure_callbacks
        )
        if description is None and body["applicationId"] not in self.application_ids:
            description = (
                f"Invalid applicationId: application {body['applicationId']} not found"
            )
        if description is not None:
            return _error(400, "validation", description)
        if (limited := self._rate_limited()) is not None:
            return limited
        call_id = new_call_id()
        call_url = (
            f"{request.url.origin()}/api/v2/accounts/{self.account_id}/calls/{call_id}"
        )
        call = Call(
            call_id, self.account_id, body, call_url, now(), tag=body.get("tag")
        )
        self.calls[call_id] = call
        if self.lifecycle:
            self._player.start(call)
        response = {
            "applicationId": body["applicationId"],
            "accountId": self.account_id,
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
        active = sum(not call.completed for call in self.calls.values())
        if active >= self.max_active_calls:
            return _error(
                429,
                "error",
                "Account concurrent call limit exceeded",
                **{"Retry-After": "1"},
            )
        if self.rate_limit is None:
            return None
        limit, retry_after = self.rate_limit
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
        states = [call.state_json() for call in self.calls.values()]
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

    # -- Account API -----------------------------------------------------------

    async def _get_application(self, request: web.Request) -> web.Response:
        """Describe one application, in XML, as Bandwidth's account API does."""
        if (denied := self._authorize(request)) is not None:
            return denied
        application_id = request.match_info["application_id"]
        application = self.applications.get(application_id)
        if application is None:
            body = error_document(
                NOT_FOUND_CODE, f"Application '{application_id}' not found"
            )
            status = 404
        else:
            body, status = application_document(application), 200
        return web.Response(body=body, status=status, content_type="application/xml")

    def _find_call(self, request: web.Request) -> Call | web.Response:
        call_id = request.match_info["call_id"]
        call = self.calls.get(call_id)
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

    # -- Calls to the application's numbers ----------------------------------

    def call_in(  # noqa: PLR0913 - an inbound call's documented settings
        self,
        url: str,
        from_: str,
        to: str,
        *,
        method: str = "POST",
        verstat: str | None = None,
        attestation: str | None = None,
        diversion: dict[str, str] | None = None,
        status_url: str | None = None,
        digits: str | Sequence[str] | None = None,
    ) -> Call:
        """Ring the application: a call from `from_` to its number `to`.

        `url` is the Voice application's call-initiated callback URL, where
        the initiate callback goes; `status_url` its call status URL, for the
        disconnect callback. `verstat` is STIR/SHAKEN's verdict on the caller
        ID (TN-Verification-Passed or TN-Verification-Failed). `digits` is
        what the caller presses at each <Gather> (a string for every one, or
        one per Gather in turn); nothing by default.
        """
        call_id = new_call_id()
        call_url = f"{self.url}/api/v2/accounts/{self.account_id}/calls/{call_id}"
        request = {
            "to": to,
            "from": from_,
            "applicationId": next(iter(self.application_ids)),
            "initiateUrl": url,
            "initiateMethod": method,
            # Verbs answer with the method the application was given.
            "answerMethod": method,
        }
        call = Call(
            call_id,
            self.account_id,
            request,
            call_url,
            now(),
            direction="inbound",
            status_url=status_url,
            diversion=diversion,
            scenario=Scenario(digits=digits if digits is not None else ""),
        )
        stir_shaken = {"verstat": verstat, "attestationIndicator": attestation}
        if any(stir_shaken.values()):
            call.stir_shaken = {k: v for k, v in stir_shaken.items() if v is not None}
            call.stir_shaken["originatingId"] = str(uuid.uuid4())
        self.calls[call_id] = call
        _LOGGER.info("call %s from %s to %s comes in", call_id, from_, to)
        self._player.start(call)
        return call


__all__ = [
    "ACCOUNT_ID",
    "APPLICATION_ID",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "CREATE_CALL",
    "MACHINE_DETECTION",
    "PASSWORD",
    "UPDATE_CALL",
    "USERNAME",
    "AudioFetch",
    "Call",
    "CallbackAttempt",
    "Field",
    "Hook",
    "RecordedRequest",
    "Sandbox",
    "Scenario",
    "basic_auth",
    "parse_basic_auth",
    "validate",
]
