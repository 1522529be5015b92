"""Asynchronous client for Bandwidth's Voice API v2."""

from __future__ import annotations

import asyncio
import base64
import json as jsonlib
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Self
from xml.etree import ElementTree as ET

import aiohttp
from yarl import URL

from .auth import BasicCredentials, OAuth2Credentials
from .errors import error_for
from .exceptions import (
    BandwidthApiError,
    BandwidthAuthenticationError,
    BandwidthConnectionError,
    BandwidthOutcomeUnknownError,
    BandwidthRateLimitError,
)
from .models import (
    Application,
    CallState,
    CreateCallRequest,
    CreateCallResponse,
    UpdateCallRequest,
)
from .pacing import CreationPacer, PacingTimeoutError
from .urls import (
    DASHBOARD_URL,
    TOKEN_URL,
    VOICE_URL,
    account_url,
    application_path,
    call_path,
    recording_path,
)

# Refresh a token this long before Bandwidth says it expires, so a request
# never leaves with a token that dies in flight.
TOKEN_EXPIRY_MARGIN = 60.0


def _basic(username: str, password: str) -> str:
    """Return an HTTP Basic Authorization header value."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


@dataclass(kw_only=True)
class BandwidthClient:
    """Talks to one Bandwidth account's Voice API.

    Args:
        account_id: The Bandwidth account id.
        credentials: OAuth 2.0 client credentials or a legacy API user.
        session: An aiohttp session to use; one is made (and closed) otherwise.
        request_timeout: Seconds one request may take, rate-limit retries
            included, and the most any single HTTP exchange may take.
        create_timeout: Seconds a call creation may take, waiting its turn
            under calls_per_second and behind 429 answers included.
        calls_per_second: Call creations the account may start per second
            (Bandwidth's default limit is 5); shared by every creation made
            through this client.

    """

    account_id: str
    credentials: OAuth2Credentials | BasicCredentials
    session: aiohttp.ClientSession | None = None
    request_timeout: float = 15.0
    create_timeout: float = 60.0
    calls_per_second: float = 5
    voice_url: URL = VOICE_URL
    token_url: URL = TOKEN_URL
    dashboard_url: URL = DASHBOARD_URL

    _close_session: bool = field(default=False, init=False, repr=False)
    _token: str | None = field(default=None, init=False, repr=False)
    _token_expires: float = field(default=0.0, init=False, repr=False)
    _token_lock: asyncio.Lock = field(
        default_factory=asyncio.Lock, init=False, repr=False
    )
    _pacer: CreationPacer = field(default_factory=CreationPacer, init=False, repr=False)

    async def verify(self) -> None:
        """Prove the credentials and access to the account with a small read.

        Raises:
            BandwidthAuthenticationError: the credentials or account were refused.
            BandwidthError: anything else went wrong.

        """
        await self._request("GET", ("calls",), params={"pageSize": "1"})

    async def create_call(
        self, request: CreateCallRequest, *, deadline: float | None = None
    ) -> CreateCallResponse:
        """Place an outbound call.

        Creations are paced to calls_per_second and a 429 is waited out until
        the deadline (event loop time; create_timeout from now by default).
        Once the request may have reached Bandwidth it is never sent again.

        Raises:
            BandwidthOutcomeUnknownError: the call may have been placed, but
                Bandwidth's answer was lost or unreadable.
            BandwidthError: the call was not placed.

        """
        if deadline is None:
            deadline = asyncio.get_running_loop().time() + self.create_timeout
        data = await self._request(
            "POST", ("calls",), json=request.to_dict(), deadline=deadline, paced=True
        )
        try:
            return CreateCallResponse.from_dict(data)
        except (TypeError, KeyError) as err:
            # A success status came back, so the call probably exists: say so.
            msg = "Bandwidth accepted the call but returned an unexpected body"
            raise BandwidthOutcomeUnknownError(msg) from err

    async def get_call(self, call_id: str) -> CallState:
        """Return the current state of a call."""
        data = await self._request("GET", call_path(call_id))
        try:
            return CallState.from_dict(data)
        except (TypeError, KeyError) as err:
            msg = "Bandwidth returned an unexpected call state"
            raise BandwidthConnectionError(msg) from err

    async def update_call(self, call_id: str, request: UpdateCallRequest) -> None:
        """Redirect or end a call."""
        await self._request("POST", call_path(call_id), json=request.to_dict())

    async def hangup(self, call_id: str) -> None:
        """End a call (or remove it from Bandwidth's queue)."""
        await self.update_call(call_id, UpdateCallRequest(state="completed"))

    def recording_media_url(self, call_id: str, recording_id: str) -> URL:
        """Return where a recording's audio is, on this account's Voice API.

        A recordingAvailable callback's mediaUrl must be this URL: the
        credentials go nowhere else.

        Raises:
            ValueError: an id is empty or a relative path segment.

        """
        return account_url(
            self.voice_url,
            self.account_id,
            (*recording_path(call_id, recording_id), "media"),
        )

    async def get_recording_media(self, call_id: str, recording_id: str) -> bytes:
        """Return a recording's audio, as Bandwidth stored it (mp3 or wav).

        Raises:
            BandwidthError: it could not be fetched.
            ValueError: an id is empty or a relative path segment.

        """
        data: bytes = await self._request(
            "GET", (*recording_path(call_id, recording_id), "media"), raw=True
        )
        return data

    async def get_transcription(self, call_id: str, recording_id: str) -> str | None:
        """Return a recording's transcript: its transcripts' texts, joined.

        None when Bandwidth heard nothing to transcribe.

        Raises:
            BandwidthError: it could not be fetched.
            ValueError: an id is empty or a relative path segment.

        """
        data = await self._request(
            "GET", (*recording_path(call_id, recording_id), "transcription")
        )
        transcripts = data.get("transcripts") if isinstance(data, dict) else None
        if not isinstance(transcripts, list):
            return None
        texts = [
            text.strip()
            for item in transcripts
            if isinstance(item, dict) and isinstance(text := item.get("text"), str)
        ]
        return " ".join(filter(None, texts)) or None

    async def delete_recording(self, call_id: str, recording_id: str) -> None:
        """Delete a recording (and its transcript) at Bandwidth.

        Raises:
            BandwidthError: it could not be deleted.
            ValueError: an id is empty or a relative path segment.

        """
        await self._request("DELETE", recording_path(call_id, recording_id))

    async def get_application(self, application_id: str) -> Application:
        """Return one of the account's applications, as `band app get` reads it.

        GET {dashboard}/accounts/{account}/applications/{id}, authorized like
        every other request (Bearer token, or Basic for a legacy API user),
        answered in XML.

        Raises:
            BandwidthApiError: Bandwidth refused it; 404 when there is no such
                application in the account.
            BandwidthAuthenticationError: the credentials may not read it.
            BandwidthError: anything else went wrong.
            ValueError: the id is empty or a relative path segment.

        """
        root = await self._request(
            "GET", application_path(application_id), account_api=True
        )
        try:
            return Application.from_xml(root)
        except (AttributeError, KeyError) as err:
            msg = "Bandwidth returned an unexpected application description"
            raise BandwidthConnectionError(msg) from err

    async def _request(  # noqa: PLR0913 - keyword-only knobs of one request path
        self,
        method: str,
        path: tuple[str, ...],
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        deadline: float | None = None,
        paced: bool = False,
        account_api: bool = False,
        raw: bool = False,
    ) -> Any:
        """Send one request and return its decoded JSON (or None).

        The path is below the account on the Voice API; with `account_api`,
        on the account (Dashboard) API, which answers in XML, parsed. `raw`
        returns the body as it came (media).

        A 401 with an OAuth token refreshes the token once and tries again; a
        429 is waited out (Retry-After) until the deadline. Both mean Bandwidth
        did nothing, so retrying cannot place a call twice. Nothing else is
        retried. `paced` requests wait for a calls-per-second slot first.
        """
        base = self.dashboard_url if account_api else self.voice_url
        url = account_url(base, self.account_id, path)
        loop = asyncio.get_running_loop()
        if deadline is None:
            deadline = loop.time() + self.request_timeout
        refreshed = False
        rate_limited: BandwidthRateLimitError | None = None
        while True:
            if paced:
                await self._wait_turn(deadline, rate_limited)
            authorization = self._current_authorization()
            if authorization is None:
                authorization = await self._bounded(
                    deadline, self._refresh_token(stale=None), sent=False
                )
            try:
                return await self._bounded(
                    deadline,
                    self._send(
                        method,
                        url,
                        authorization,
                        json=json,
                        params=params,
                        xml=account_api,
                        raw=raw,
                    ),
                    sent=True,
                )
            except BandwidthAuthenticationError:
                if refreshed or not isinstance(self.credentials, OAuth2Credentials):
                    raise
                refreshed = True
                await self._bounded(
                    deadline, self._refresh_token(stale=authorization), sent=False
                )
            except BandwidthRateLimitError as err:
                wait = 1.0 if err.retry_after is None else err.retry_after
                if loop.time() + wait >= deadline:
                    raise
                rate_limited = err
                await asyncio.sleep(wait)

    async def _wait_turn(
        self, deadline: float, rate_limited: BandwidthRateLimitError | None
    ) -> None:
        """Wait for a calls-per-second slot, or fail as Bandwidth's 429 would.

        After Bandwidth refused the request already, its own 429 is what is
        reported: it says more than ours.
        """
        try:
            await self._pacer.acquire(self.calls_per_second, deadline)
        except PacingTimeoutError:
            if rate_limited is not None:
                raise rate_limited from None
            msg = (
                f"More calls than the account's {self.calls_per_second:g} per "
                "second could be placed in time"
            )
            raise BandwidthRateLimitError(msg, retry_after=None) from None

    async def _bounded[T](
        self, deadline: float, step: Coroutine[Any, Any, T], *, sent: bool
    ) -> T:
        """Await one step of a request within its time limits.

        `sent` says the step puts the request on the wire: running out of
        time then leaves its outcome unknown.
        """
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(
                min(deadline, loop.time() + self.request_timeout)
            ):
                return await step
        except TimeoutError as err:
            msg = f"Timed out talking to Bandwidth after {self.request_timeout:g} s"
            if sent:
                raise BandwidthOutcomeUnknownError(msg) from err
            raise BandwidthConnectionError(msg) from err

    async def _send(  # noqa: PLR0913 - the parts of one HTTP exchange
        self,
        method: str,
        url: URL,
        authorization: str,
        *,
        json: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        xml: bool = False,
        raw: bool = False,
    ) -> Any:
        """Make one HTTP exchange and map its outcome to data or an exception.

        Every request goes through here, the token's too, so each answer is
        read and each failure named the same way.
        """
        accept = "*/*" if raw else "application/xml" if xml else "application/json"
        headers = {"Authorization": authorization, "Accept": accept}
        try:
            async with self._session().request(
                method, url, headers=headers, json=json, data=form, params=params
            ) as response:
                body = await response.read()
                if response.status >= 400:  # noqa: PLR2004
                    raise error_for(response, body)
        except aiohttp.ClientConnectorError as err:
            # No connection was made: the request never left.
            msg = f"Could not reach Bandwidth: {type(err).__name__}"
            raise BandwidthConnectionError(msg) from err
        except aiohttp.ClientError as err:
            msg = (
                f"Lost the connection to Bandwidth ({type(err).__name__}); "
                "the request may have been carried out"
            )
            raise BandwidthOutcomeUnknownError(msg) from err
        if raw:
            return body
        if not body.strip():
            return None
        try:
            if xml:
                # Bandwidth's own answer; expat (2.4.1 and newer) refuses
                # entity expansion bombs and never fetches external entities.
                return ET.fromstring(body)  # noqa: S314
            return jsonlib.loads(body)
        except (ValueError, ET.ParseError) as err:
            # Only success answers get here: what was asked may have been done.
            msg = (
                f"Bandwidth answered HTTP {response.status} with a body that is "
                f"not {'XML' if xml else 'JSON'}; the request may have been "
                "carried out"
            )
            raise BandwidthOutcomeUnknownError(msg) from err

    def _current_authorization(self) -> str | None:
        """Return the Authorization header value, None when a token must be fetched."""
        if isinstance(self.credentials, BasicCredentials):
            return _basic(self.credentials.username, self.credentials.password)
        if self._token is not None and time.monotonic() < self._token_expires:
            return f"Bearer {self._token}"
        return None

    async def _refresh_token(self, *, stale: str | None) -> str:
        """Fetch a new token, once however many requests need one at a time.

        Callers that waited on the lock find the token a peer just fetched;
        `stale` is the header that Bandwidth refused, which must not be reused.
        """
        async with self._token_lock:
            current = f"Bearer {self._token}" if self._token is not None else None
            if (
                current is not None
                and current != stale
                and time.monotonic() < self._token_expires
            ):
                return current
            self._token = None
            token, expires_in = await self._fetch_token()
            self._token = token
            self._token_expires = time.monotonic() + max(
                expires_in - TOKEN_EXPIRY_MARGIN, expires_in / 2
            )
            return f"Bearer {token}"

    async def _fetch_token(self) -> tuple[str, float]:
        """Exchange the client credentials for a token; return it and its lifetime.

        OAuth 2.0 refuses client credentials with 400 (invalid_client), 401
        or 403. Asking for a token changes nothing at Bandwidth, so an answer
        lost on the way is only a failure to connect.
        """
        assert isinstance(self.credentials, OAuth2Credentials)  # noqa: S101
        credentials = self.credentials
        try:
            data = await self._send(
                "POST",
                self.token_url,
                _basic(credentials.client_id, credentials.client_secret),
                form={"grant_type": "client_credentials"},
            )
        except BandwidthApiError as err:
            if err.status == 400:  # noqa: PLR2004
                msg = "Bandwidth refused the client credentials (HTTP 400)"
                raise BandwidthAuthenticationError(msg) from err
            msg = f"Bandwidth's token endpoint answered HTTP {err.status}"
            raise BandwidthConnectionError(msg) from err
        except BandwidthOutcomeUnknownError as err:
            raise BandwidthConnectionError(str(err)) from err
        try:
            token = data["access_token"]
            expires_in = float(data.get("expires_in", 3600))
            if not isinstance(token, str) or not token:
                raise TypeError  # noqa: TRY301
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            msg = "Bandwidth's token endpoint returned an unexpected body"
            raise BandwidthConnectionError(msg) from err
        return token, expires_in

    def _session(self) -> aiohttp.ClientSession:
        """Return the injected session, creating our own only when none was."""
        if self.session is None:
            self.session = aiohttp.ClientSession()
            self._close_session = True
        return self.session

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self.session is not None and self._close_session:
            await self.session.close()

    async def __aenter__(self) -> Self:
        """Use the client as an async context manager."""
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        """Close the client's own session on exit."""
        await self.close()
