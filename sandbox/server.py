"""A local stand-in for Bandwidth's OAuth2 token endpoint and Voice API v2.

`Sandbox` answers the HTTP requests a Bandwidth client makes, records them,
can be told to misbehave (faults, latency, rate limits), and, when
`lifecycle` is on, plays the calls it creates: it sends the answer callback,
executes the BXML it gets back (fetching and decoding the media of each
<PlayAudio>, as Bandwidth would), and ends the call with a disconnect callback.

`Sandbox` is the facade: it holds the settings and records tests read and
set, and the controls they call. The work is done by its parts:

- api.py: the HTTP API (routes, token endpoint, auth, rate limit);
- faults.py: the faults injected into requests;
- validation.py: the API's field rules for request bodies;
- player.py: the course of each call (ringing, BXML verbs, transfers);
- stream.py: the media streams of <StartStream>, and their stream events;
- callbacks.py: sending callbacks and fetching <PlayAudio> media;
- models.py: the records (Call, Scenario, CallbackAttempt, ...);
- auth.py: HTTP Basic credentials;
- bxml.py, audio.py, applications.py: parsing BXML, decoding media, the
  account API's application documents.

Only this module knows every part. A part never imports it: it declares, as
a Protocol of its own (`ApiSettings`, `PlayerSettings`, `StreamSettings`,
`CallbackSettings`), the few settings and records it reads, and the facade,
which has them all, is handed to it as that; the parts it works with are
handed to it too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from .api import Handler, HttpApi
from .applications import Application
from .auth import Credentials, basic_auth, parse_basic_auth
from .callbacks import CallbackClient, CallbackTransport
from .faults import Fault, Faults
from .models import (
    AudioFetch,
    Call,
    CallbackAttempt,
    Document,
    Hook,
    RecordedRequest,
    Recording,
    Scenario,
    new_call_id,
    now,
)
from .player import CallPlayer
from .stream import StreamPlayer
from .validation import CREATE_CALL, MACHINE_DETECTION, UPDATE_CALL, Field, validate

ACCOUNT_ID = "9900000"
APPLICATION_ID = "sandbox-application"
APPLICATION_NAME = "Home alarm"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
USERNAME = "sandbox-user"
PASSWORD = "sandbox-password"

_LOGGER = logging.getLogger("sandbox")


class Sandbox:
    """Bandwidth over HTTP on loopback, with recording and fault injection.

    Serve `sandbox.app` (an aiohttp Application) and set `sandbox.url` to its
    root URL. Attributes tests may read or set:

    - requests: every RecordedRequest received; token_requests: token count.
    - calls: call id -> Call (state, spoken, played, audio, callbacks,
      attempts, streams...).
    - application_ids: the applications createCall accepts; applications:
      id -> Application, what the account API describes (name, service type).
    - callback_attempts: every CallbackAttempt across calls.
    - recordings: recording id -> Recording, each <Record>'s (served by
      GET .../recordings/{id}/media and .../transcription, deleted by
      DELETE .../recordings/{id}: then `deleted`, and 404 to any request).
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
        # The account's first application: calls to its numbers go to it.
        self.application_id = application_id
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
        self.recordings: dict[str, Recording] = {}
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
        # Where each media stream's audio, as the caller heard it, is saved
        # (<call id>-<stream name>.wav); None: kept in memory only.
        self.stream_recordings: Path | None = None
        # The parts doing the work; they read the settings above from here.
        self._faults = Faults()
        self._callbacks = CallbackClient(self)
        self._player = CallPlayer(
            self, self._callbacks, StreamPlayer(self, self._callbacks)
        )
        self._api = HttpApi(self, self._player, self._faults)

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
        self._faults.add(Fault("fail", times, path_contains, method, response))

    def hang_next(
        self,
        *,
        times: int | None = 1,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """Never answer the next matching request(s): the client times out."""
        self._faults.add(Fault("hang", times, path_contains, method))

    def reset_next(
        self,
        *,
        times: int | None = 1,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """Drop the connection of the next matching request(s) unanswered."""
        self._faults.add(Fault("reset", times, path_contains, method))

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
        self._faults.add(Fault(f"lose-{how}", 1, path_contains, method))

    def clear_faults(self) -> None:
        """Forget every pending fail/hang/reset."""
        self._faults.clear()

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far (the next use gets 401)."""
        self._api.revoke_tokens()

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

    # -- Waiting for calls ---------------------------------------------------

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

    # -- Serving -------------------------------------------------------------

    @property
    def app(self) -> web.Application:
        """The aiohttp application serving the sandbox."""
        return self._api.app

    async def close(self) -> None:
        """Stop every lifecycle and stream, release hung requests, close the client."""
        self._faults.release()
        tasks = [
            task
            for call in self.calls.values()
            for task in (call.task, *(stream.task for stream in call.streams))
            if task and not task.done()
        ]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._callbacks.close()

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
        speech: str | None = None,
        barge_in: str | None = None,
        application_id: str | None = None,
        message: str | None = None,
        transcript: str | None = Scenario.transcript,
    ) -> Call:
        """Ring the application: a call from `from_` to its number `to`.

        `url` is the Voice application's call-initiated callback URL, where
        the initiate callback goes; `status_url` its call status URL, for the
        disconnect callback. `verstat` is STIR/SHAKEN's verdict on the caller
        ID (TN-Validation-Passed, TN-Validation-Failed or No-TN-Validation, as
        Bandwidth spells them since 2025) and `attestation` its level (A, B
        or C); neither: no stirShaken at all, as without inbound verification. `digits` is
        what the caller presses at each <Gather> (a string for every one, or
        one per Gather in turn); nothing by default. `speech` is a WAV file
        the caller says once a media stream starts (Scenario.speech);
        `barge_in` one said over the first answer (Scenario.barge_in).
        `application_id` is the application the number belongs to: the
        sandbox's own (the first) unless given.
        `message` is a WAV or MP3 file the caller leaves at a <Record>, and
        `transcript` what Bandwidth's transcription makes of it (None: none
        comes).
        """
        call_id = new_call_id()
        call_url = f"{self.url}/api/v2/accounts/{self.account_id}/calls/{call_id}"
        request = {
            "to": to,
            "from": from_,
            "applicationId": application_id or self.application_id,
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
            scenario=Scenario(
                digits=digits if digits is not None else "",
                speech=speech,
                barge_in=barge_in,
                message=message,
                transcript=transcript,
            ),
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
    "APPLICATION_NAME",
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
    "CallbackTransport",
    "Credentials",
    "Document",
    "Field",
    "Handler",
    "Hook",
    "RecordedRequest",
    "Sandbox",
    "Scenario",
    "basic_auth",
    "parse_basic_auth",
    "validate",
]
