"""Callback delivery: the HTTP client side of the sandbox, as Bandwidth's.

`CallbackClient` sends each callback the way Bandwidth does: JSON in a POST
(or the fields as query parameters in a GET), the User-Agent Bandwidth uses,
credentials only after a 401 Basic challenge, then the fallback URL if the
first one failed; each callback but answer, gather and redirect is tried
again once after a connection error. It applies the sandbox's url_rewrites, hands callbacks to
its callback_transport when one is set, and records every exchange as a
CallbackAttempt. <PlayAudio> media requests (`fetch_audio`) share its HTTP
session and url_rewrites, but never the transport.

What callbacks carry (`event`) and where a verb's callbacks go (`verb_hook`,
and `stream_hook` for a <StartStream>'s stream events) are built here too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from .audio import AudioError, audio_duration, audio_format
from .auth import Credentials, basic_auth, credentials_from
from .bxml import Verb
from .models import AudioFetch, Call, CallbackAttempt, Hook, now

_LOGGER = logging.getLogger("sandbox")
_BXML_EVENTS = frozenset({"answer", "gather", "redirect"})
_USER_AGENT = "BandwidthAPI/v2 (sandbox)"
# Seconds a <PlayAudio> media request may take (not scaled by time_scale).
_AUDIO_TIMEOUT = 15.0

# (method, url, headers, body) -> (status, headers, body text)
type CallbackTransport = Callable[
    [str, str, dict[str, str], bytes | None],
    Awaitable[tuple[int, CIMultiDict[str], str]],
]


class CallbackSettings(Protocol):
    """What the callback client reads and records of the sandbox."""

    url_rewrites: dict[str, str]
    callback_transport: CallbackTransport | None
    query_objects: str
    callback_attempts: list[CallbackAttempt]
    callback_deliveries: int


class CallbackClient:
    """Sends callbacks and fetches media for the calls the sandbox plays.

    Its settings and records are the sandbox's (`CallbackSettings`):
    url_rewrites, callback_transport, query_objects, callback_attempts and
    callback_deliveries.
    """

    def __init__(self, sandbox: CallbackSettings) -> None:
        """Work for this sandbox; the HTTP session is made on first use."""
        self._sandbox = sandbox
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP session, if one was made."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def deliver(
        self, call: Call, event_type: str, hook: Hook, payload: dict[str, Any]
    ) -> CallbackAttempt:
        """Send a callback like Bandwidth: challenge-driven auth, then fallback."""
        targets = [(hook.url, hook.method, hook.credentials)]
        if hook.fallback_url:
            targets.append(
                (hook.fallback_url, hook.fallback_method, hook.fallback_credentials)
            )
        self._sandbox.callback_deliveries += 1
        # Callbacks that answer no BXML are retried once after a connection error.
        tries = 1 if event_type in _BXML_EVENTS else 2
        for url, method, credentials in targets:
            for _ in range(tries):
                attempt = CallbackAttempt(event_type, method.upper(), url, payload)
                if (await self._send(call, attempt, None)).status is not None:
                    break
            challenge = attempt.headers.get("WWW-Authenticate", "").lower()
            if attempt.status == 401 and challenge.startswith("basic") and credentials:  # noqa: PLR2004
                attempt = CallbackAttempt(
                    event_type, method.upper(), url, payload, authenticated=True
                )
                await self._send(call, attempt, credentials)
            if attempt.ok:
                break
        return attempt

    async def _send(
        self, call: Call, attempt: CallbackAttempt, credentials: Credentials
    ) -> CallbackAttempt:
        """Make one callback request and record it in the attempt."""
        target = self._rewrite(attempt.url)
        headers = {"User-Agent": _USER_AGENT}
        if credentials is not None:
            headers["Authorization"] = basic_auth(*credentials)
        try:
            body: bytes | None = None
            if attempt.method == "GET":
                target = str(URL(target).extend_query(self._query(attempt.payload)))
            else:
                body = json.dumps(attempt.payload).encode()
                headers["Content-Type"] = "application/json"
            if self._sandbox.callback_transport is not None:
                status, response_headers, text = await self._sandbox.callback_transport(
                    attempt.method, target, headers, body
                )
            else:
                status, response_headers, text = await self._http(
                    call, attempt.method, target, headers, body
                )
            attempt.status, attempt.body = status, text
            attempt.headers = CIMultiDict(response_headers)
        except Exception as err:  # noqa: BLE001 - any failure is a lost callback, as at Bandwidth
            attempt.body = repr(err)
        call.attempts.append(attempt)
        call.callbacks.append((attempt.event_type, attempt.status, attempt.body))
        self._sandbox.callback_attempts.append(attempt)
        _LOGGER.info(
            "call %s: %s %s %s%s -> %s",
            call.call_id,
            attempt.event_type,
            attempt.method,
            # The query carries the call's secret: a log is no place for it.
            without_query(attempt.url),
            " (with credentials)" if credentials else "",
            attempt.status or f"failed: {attempt.body}",
        )
        return attempt

    async def _http(
        self,
        call: Call,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
    ) -> tuple[int, CIMultiDict[str], str]:
        """Make one callback HTTP request."""
        timeout = aiohttp.ClientTimeout(total=call.request.get("callbackTimeout", 15))
        async with self._client().request(
            method,
            url,
            data=body,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
        ) as response:
            return (
                response.status,
                CIMultiDict(response.headers),
                await response.text(),
            )

    def _query(self, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """GET callbacks carry fields as query parameters."""
        query: list[tuple[str, str]] = []
        for name, value in payload.items():
            if isinstance(value, dict) and self._sandbox.query_objects == "dotted":
                query.extend(
                    (f"{name}.{key}", _query_value(item)) for key, item in value.items()
                )
            else:
                query.append((name, _query_value(value)))
        return query

    def _client(self) -> aiohttp.ClientSession:
        """Return the HTTP client for callbacks and media, made on first use."""
        if self._session is None:
            # The threaded resolver keeps aiodns' helper thread out of tests.
            connector = aiohttp.TCPConnector(resolver=aiohttp.ThreadedResolver())
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    def _rewrite(self, url: str) -> str:
        """Apply the first url_rewrites prefix that matches."""
        for prefix, replacement in self._sandbox.url_rewrites.items():
            if url.startswith(prefix):
                return replacement + url.removeprefix(prefix)
        return url

    async def fetch_audio(self, url: str, credentials: Credentials) -> AudioFetch:
        """GET the media as Bandwidth does and decode it to measure its length.

        url_rewrites apply; callback_transport does not: it relays callbacks,
        while media is always fetched over HTTP.
        """
        fetch = AudioFetch(url)
        headers = {"User-Agent": _USER_AGENT}
        if credentials is not None:
            headers["Authorization"] = basic_auth(*credentials)
        timeout = aiohttp.ClientTimeout(total=_AUDIO_TIMEOUT)
        try:
            async with self._client().get(
                self._rewrite(url),
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                fetch.status = response.status
                fetch.content_type = response.headers.get("Content-Type")
                if response.status != 200:  # noqa: PLR2004
                    fetch.error = f"HTTP {response.status}"
                    return fetch
                body = await response.read()
        except aiohttp.InvalidURL:
            fetch.error = "invalid URL"  # its text would repeat the query
            return fetch
        except Exception as err:  # noqa: BLE001 - any failure leaves nothing to play
            fetch.error = str(err) or type(err).__name__
            return fetch
        fetch.format = audio_format(fetch.content_type, url)
        try:
            fetch.duration = audio_duration(body, fetch.format)
        except AudioError as err:
            fetch.error = str(err)
        return fetch


def event(call: Call, event_type: str, **extra: Any) -> dict[str, Any]:
    """Fields every callback about this call carries (absent when unset)."""
    payload = {
        "eventType": event_type,
        "eventTime": now(),
        "accountId": call.account_id,
        "applicationId": call.request["applicationId"],
        "from": call.request["from"],
        "to": call.request["to"],
        "direction": call.direction,
        "callId": call.call_id,
        "callUrl": call.call_url,
        "enqueuedTime": call.enqueued_time,
        "startTime": call.start_time,
        "answerTime": call.answer_time,
        "tag": call.tag,
        **extra,
    }
    return {key: value for key, value in payload.items() if value is not None}


def without_query(url: str) -> URL:
    """Return the URL fit for a log: its query may carry a secret."""
    return URL(url).with_query(None)


def call_credentials(call: Call) -> Credentials:
    """Return the credentials the call was created with, if any."""
    return credentials_from(call.request, "username", "password")


def verb_hook(call: Call, verb: Verb, base: str, prefix: str) -> Hook:
    """Build the callback target of a <Gather>/<Redirect>, resolved against base."""
    attrs = verb.attrs
    fallback = attrs.get(f"{prefix}FallbackUrl")
    return Hook(
        str(URL(base).join(URL(attrs[f"{prefix}Url"]))),
        attrs.get(f"{prefix}Method", "POST"),
        credentials_from(attrs, "username", "password") or call_credentials(call),
        str(URL(base).join(URL(fallback))) if fallback else None,
        attrs.get(f"{prefix}FallbackMethod", "POST"),
        credentials_from(attrs, "fallbackUsername", "fallbackPassword"),
    )


def stream_hook(call: Call, verb: Verb, base: str) -> Hook | None:
    """Build where a <StartStream>'s stream events go; None without streamEventUrl.

    An absolute URL is used exactly as given (its query may carry a secret);
    a relative one is resolved against base.
    """
    attrs = verb.attrs
    url = attrs.get("streamEventUrl")
    if not url:
        return None
    if URL(url).scheme not in {"http", "https"}:
        url = str(URL(base).join(URL(url)))
    return Hook(
        url,
        attrs.get("streamEventMethod", "POST"),
        credentials_from(attrs, "username", "password") or call_credentials(call),
    )


def _query_value(value: Any) -> str:
    """GET callbacks carry fields as query parameters; objects go as JSON."""
    if isinstance(value, dict | list | bool):
        return json.dumps(value)
    return str(value)
