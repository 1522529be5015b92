"""Constants and helpers shared by the test modules.

The test account's settings, callbacks, actions, live calls, the cloud relay,
the entry's entities. Helpers for calls played end to end are in
live_calls.py; fixtures are in conftest.py (and, shared with the benchmarks, in the *_plugin.py modules).
"""

from __future__ import annotations

import io
import re
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import MappingProxyType, SimpleNamespace
from typing import Any
from xml.etree import ElementTree as ET

from aiohttp.test_utils import TestClient
from homeassistant.components.notify import ATTR_MESSAGE
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
from multidict import CIMultiDict
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

import sandbox
from custom_components.bandwidth.calls import CallScript, GatherScript, LiveCall
from custom_components.bandwidth.const import (
    AUTH_BASIC,
    AUTH_OAUTH,
    CONF_ACCOUNT_ID,
    CONF_API_URL,
    CONF_APPLICATION_ID,
    CONF_AUTH_TYPE,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_INBOUND_SECRET,
    DOMAIN,
    EVENT_ASSIST_ENDED,
    EVENT_ASSIST_STARTED,
    EVENT_CALL_ANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALL_RECEIVED,
    EVENT_CALL_SCREENED,
    EVENT_CALLBACK,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
    EVENT_TRANSFER_ANSWERED,
    EVENT_TRANSFER_COMPLETE,
    EVENT_VOICEMAIL_RECEIVED,
)
from sandbox import Call, Sandbox, basic_auth

from .metadata import STRINGS
from .spec import check_against_spec, check_callback

WEBHOOK_ID = "0123456789abcdef0123456789abcdef"
INBOUND_SECRET = "inbound-Secret-4c1d-9A7e-x2Lm-05Pq"
EXTERNAL_URL = "https://ha.example.test"
FROM_NUMBER = "+15555550100"
PATH = f"/api/webhook/{WEBHOOK_ID}"
WEBHOOK_URL = f"{EXTERNAL_URL}{PATH}"
CALL_ID = "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d"
OTHER_CALL_ID = "c-aa90dc63-4a750bed-ddbf-47ac-8375-a90af5ca3ad1"
# Callback credentials as entries stored them until 0.2: they prove nothing now.
CALLBACK_USERNAME = "cb-user-3f9a"
CALLBACK_PASSWORD = "cb-pass-7d1e5c0b2a"
CLOUDHOOK_ID = "Y2xvdWRob29rLWlkLWV4YW1wbGU"
CLOUDHOOK_URL = f"https://hooks.nabu.casa/{CLOUDHOOK_ID}"

# What the webhook's tests have a call play.
SCRIPT = CallScript(
    message="The garage door is open.",
    voice="kate",
    machine_message="Please check the garage.",
    gather=GatherScript(prompt="Press 1 to close it.", max_digits=1),
)
# A contact's number in the logbook's stories.
ALICE = "+17045550100"
# Every event the integration fires on the bus.
EVENTS = (
    EVENT_CALL_RECEIVED,
    EVENT_CALL_ANSWERED,
    EVENT_MACHINE_DETECTION_COMPLETE,
    EVENT_GATHER_COMPLETE,
    EVENT_TRANSFER_ANSWERED,
    EVENT_TRANSFER_COMPLETE,
    EVENT_ASSIST_STARTED,
    EVENT_ASSIST_ENDED,
    EVENT_CALL_DISCONNECTED,
    EVENT_VOICEMAIL_RECEIVED,
    EVENT_CALL_SCREENED,
    EVENT_CALLBACK,
)

MEDIA_STREAM_EVENTS = frozenset(
    {"mediaStreamStarted", "mediaStreamStopped", "mediaStreamRejected"}
)

# An HTTP Basic Authorization header value.
basic = basic_auth

EXCEPTIONS: dict[str, Any] = STRINGS["exceptions"]
# What a refusal may carry from code: field names as users type them, numbers,
# country calling codes (+44) and lists of them.
NOT_WORDS = re.compile(r"[a-z_]+(\.[a-z_]+)*|[0-9]+|\+[0-9]+(, \+[0-9]+)*")

# hass_client_no_auth: a client of Home Assistant's HTTP server, no user.
type ClientFactory = Callable[[], Awaitable[TestClient[Any, Any]]]


def entry_data(sandbox_url: str, **overrides: Any) -> dict[str, Any]:
    """Config entry data for the sandbox's demo account, OAuth scheme."""
    return {
        CONF_AUTH_TYPE: AUTH_OAUTH,
        CONF_ACCOUNT_ID: sandbox.ACCOUNT_ID,
        CONF_APPLICATION_ID: sandbox.APPLICATION_ID,
        CONF_CLIENT_ID: sandbox.CLIENT_ID,
        CONF_CLIENT_SECRET: sandbox.CLIENT_SECRET,
        CONF_WEBHOOK_ID: WEBHOOK_ID,
        CONF_INBOUND_SECRET: INBOUND_SECRET,
        CONF_API_URL: sandbox_url,
        **overrides,
    }


def callback(event_type: str, call_id: str = CALL_ID, **extra: Any) -> dict[str, Any]:
    """Return a callback shaped like Bandwidth's examples."""
    return {
        "eventType": event_type,
        "eventTime": "2019-06-20T15:54:25.435Z",
        "accountId": "55555555",
        "applicationId": "7fc9698a-b04a-468b-9e8f-91238c0d0086",
        "from": "+15551112222",
        "to": "+15553334444",
        "direction": "outbound",
        "callId": call_id,
        "callUrl": f"https://voice.bandwidth.com/api/v2/accounts/55555555/calls/{call_id}",
        "startTime": "2019-06-20T15:54:22.234Z",
        "answerTime": "2019-06-20T15:54:25.432Z",
        **extra,
    }


def live_call(
    entry: MockConfigEntry,
    script: CallScript | None = None,
    *,
    call_id: str | None = CALL_ID,
    **options: Any,
) -> LiveCall:
    """Register a call on a loaded entry, as the dialer does before placing it."""
    call = LiveCall.create(WEBHOOK_URL, script, **options)
    call.call_id = call_id
    entry.runtime_data.calls.add(call)
    return call


def script_of(entry: MockConfigEntry, call_id: str) -> CallScript | None:
    """What a live call of the entry plays (None: not live, or nothing to play)."""
    call = entry.runtime_data.calls.by_call_id(call_id)
    return None if call is None else call.script


def query(call: LiveCall | None) -> dict[str, str]:
    """The query string a call's callback URLs carry."""
    return {} if call is None else {"ref": call.ref, "key": call.secret}


def basic_entry(bandwidth_sandbox: Sandbox) -> MockConfigEntry:
    """An entry signing in with the sandbox's legacy API user."""
    data = entry_data(
        bandwidth_sandbox.url,
        **{
            CONF_AUTH_TYPE: AUTH_BASIC,
            CONF_USERNAME: sandbox.USERNAME,
            CONF_PASSWORD: sandbox.PASSWORD,
        },
    )
    del data[CONF_CLIENT_ID], data[CONF_CLIENT_SECRET]
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Bandwidth {sandbox.ACCOUNT_ID}",
        unique_id=f"{sandbox.ACCOUNT_ID}_{sandbox.APPLICATION_ID}",
        data=data,
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add an entry and set it up."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def create_call(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Run bandwidth.create_call and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "create_call", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


def created_bodies(bandwidth_sandbox: Sandbox) -> list[dict[str, Any]]:
    """The createCall bodies Bandwidth received (retries included), spec-checked."""
    bodies = [
        request.json
        for request in bandwidth_sandbox.requests
        if request.method == "POST" and request.path.endswith("/calls")
    ]
    for body in bodies:
        check_against_spec(body, "createCall")
    return bodies


class CloudRelay:
    """Home Assistant Cloud relaying callbacks sent to a cloudhook URL.

    The request reaches Home Assistant through the real cloud client's
    async_webhook_message, fed the payload the relay sends it; what goes back
    to the caller is what the relay returns: the status, the body and the
    Content-Type, nothing else.
    """

    def __init__(self, hass: HomeAssistant, webhook_id: str) -> None:
        """Relay the cloudhook of one webhook id."""
        # Imported here: loading the cloud component is slow and only the
        # tests of the cloud relay need it.
        from homeassistant.components.cloud.client import (  # noqa: PLC0415
            CloudClient,
        )

        prefs = SimpleNamespace(
            cloudhooks={
                webhook_id: {
                    "webhook_id": webhook_id,
                    "cloudhook_id": CLOUDHOOK_ID,
                    "cloudhook_url": CLOUDHOOK_URL,
                    "managed": True,
                }
            }
        )
        self.client = CloudClient(hass, prefs, None, {}, {})  # type: ignore[arg-type]
        self.exchanges = 0

    async def __call__(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, CIMultiDict[str], str]:
        """Deliver one request the way the relay does; return what it returns."""
        target = URL(url)
        assert str(target.with_query(None)) == CLOUDHOOK_URL
        self.exchanges += 1
        result = await self.client.async_webhook_message(
            {
                "cloudhook_id": target.name,
                "body": (body or b"").decode(),
                "headers": headers,
                "method": method,
                "query": target.raw_query_string,
            }
        )
        assert set(result) <= {"body", "status", "headers"}
        assert set(result.get("headers", {})) <= {"Content-Type"}
        return (
            int(result["status"]),
            CIMultiDict(result.get("headers", {})),
            result.get("body") or "",
        )


@dataclass
class Live:
    """Home Assistant serving the webhook, and the sandbox playing its calls."""

    hass: HomeAssistant
    entry: MockConfigEntry
    sandbox: Sandbox
    captured: list[Event]

    async def create_call(self, to: str | list[str], **data: Any) -> list[str]:
        """Run bandwidth.create_call; return the call ids, in `to` order."""
        response = await create_call(self.hass, to=to, **data)
        results: list[dict[str, Any]] = response["calls"]
        assert all("error" not in result for result in results), results
        return [result["call_id"] for result in results]

    async def finish(self, call_id: str) -> Call:
        """Wait until the call has ended and its disconnect was handled."""
        call = await self.sandbox.wait_for_call(call_id)
        await self.hass.async_block_till_done()
        assert call.completed
        # One HTTP exchange per callback, each one accepted, each shaped as
        # Bandwidth's own models of its callbacks say.
        assert all(attempt.ok for attempt in call.attempts), call.callbacks
        assert not any(attempt.authenticated for attempt in call.attempts)
        for attempt in call.attempts:
            if attempt.event_type in MEDIA_STREAM_EVENTS:
                # Neither Bandwidth's SDK nor its OpenAPI spec models these:
                # their fields are its webhook docs' (tests/test_sandbox.py).
                continue
            check_callback(attempt.payload, f"{attempt.event_type}Callback")
        # Audio Home Assistant serves is fetched, and plays, as Bandwidth's.
        for fetch in call.audio:
            if fetch.url.startswith(EXTERNAL_URL):
                assert fetch.ok, fetch
        assert self.entry.runtime_data.calls.by_call_id(call_id) is None
        return call

    def events(self, call_id: str) -> list[Event]:
        """The Bandwidth events fired about one call, in order."""
        return [
            event
            for event in self.captured
            if event.event_type.startswith(f"{DOMAIN}_")
            and event.data.get("call_id") == call_id
        ]

    def sequence(self, call_id: str) -> list[tuple[str, str]]:
        """(bus event, Bandwidth eventType) of each event about the call.

        Also checks what every event carries, whatever its type.
        """
        events = self.events(call_id)
        request = self.sandbox.calls[call_id].request
        for event in events:
            assert event.data["config_entry_id"] == self.entry.entry_id
            assert event.data["account_id"] == sandbox.ACCOUNT_ID
            assert event.data["application_id"] == sandbox.APPLICATION_ID
            assert event.data["from"] == FROM_NUMBER
            assert event.data["to"] == request["to"]
            assert event.data["direction"] == "outbound"
        return [(event.event_type, event.data["event_type"]) for event in events]

    def last(self, call_id: str, event_type: str) -> dict[str, Any]:
        """The data of the last event of a type about the call."""
        return next(
            dict(event.data)
            for event in reversed(self.events(call_id))
            if event.event_type == event_type
        )


async def rendered(hass: HomeAssistant, err: HomeAssistantError) -> str:
    """Return the message users read for an error, as Home Assistant renders it."""
    await async_get_translations(hass, "en", "exceptions", {DOMAIN})
    return str(err)


async def assert_refused(
    hass: HomeAssistant, err: HomeAssistantError, key: str, **placeholders: str
) -> str:
    """Assert a translated refusal: its key, its placeholders, its whole message.

    Placeholders are field names and numbers only, so no English from code
    reaches the user; the message is the translation with them filled in.
    """
    assert err.translation_domain == DOMAIN
    assert err.translation_key == key
    assert (err.translation_placeholders or {}) == placeholders
    for value in placeholders.values():
        assert NOT_WORDS.fullmatch(value), value
    message = await rendered(hass, err)
    template: str = EXCEPTIONS[key]["message"]
    assert message == template.format(**placeholders).rstrip(".")
    assert "{" not in message
    return message


async def add_contact(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    number: str,
    *,
    name: str = "Alice",
    assist: bool = True,
    pin: str | None = None,
) -> str:
    """Add a contact to an entry, as the contact form would; return its id."""
    data: dict[str, Any] = {"name": name, "number": number, "assist": assist}
    if pin is not None:
        data["pin"] = pin
    subentry = ConfigSubentry(
        data=MappingProxyType(data),
        subentry_type="contact",
        title=name,
        unique_id=number.casefold() if number.startswith("sip:") else number,
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    await hass.async_block_till_done()
    return subentry.subentry_id


def wav(seconds: float, rate: int = 8000, channels: int = 1) -> bytes:
    """Silent 16-bit WAV audio."""
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(channels)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(b"\0\0" * int(rate * seconds) * channels)
    return out.getvalue()


def verbs(root: ET.Element) -> list[str]:
    """Return the names of a document's top-level verbs."""
    return [child.tag for child in root]


def entity_id_of(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the entity id of the entry's call event entity."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{entry.entry_id}_call"
    )
    assert entity_id is not None
    return entity_id


def notify_entity_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the entity id of the entry's notify entity."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "notify", DOMAIN, f"{entry.entry_id}_phone_call"
    )
    assert entity_id is not None
    return entity_id


async def send_message(
    hass: HomeAssistant, entry: MockConfigEntry, message: str, **data: Any
) -> None:
    """Run notify.send_message on the entry's entity."""
    await hass.services.async_call(
        "notify",
        "send_message",
        {ATTR_ENTITY_ID: notify_entity_id(hass, entry), ATTR_MESSAGE: message, **data},
        blocking=True,
    )
