"""Tests for the webhook receiving Bandwidth's callbacks."""

from __future__ import annotations

import base64
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any
from unittest.mock import AsyncMock, Mock
from xml.etree import ElementTree as ET

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from homeassistant import components
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.bandwidth import webhook as webhook_module
from custom_components.bandwidth.calls import CallScript, CallStore, GatherScript
from custom_components.bandwidth.const import (
    CONF_CLOUDHOOK_URL,
    EVENT_CALL_ANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALLBACK,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
)
from custom_components.bandwidth.webhook import async_get_webhook_url
from sandbox import Call, Sandbox, Scenario

from .conftest import CALLBACK_PASSWORD, CALLBACK_USERNAME, EXTERNAL_URL, WEBHOOK_ID
from .helpers import basic

type ClientFactory = Callable[[], Awaitable[TestClient[Any, Any]]]

PATH = f"/api/webhook/{WEBHOOK_ID}"
WEBHOOK_URL = f"{EXTERNAL_URL}{PATH}"
CALL_ID = "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d"
OTHER_CALL_ID = "c-aa90dc63-4a750bed-ddbf-47ac-8375-a90af5ca3ad1"
CHALLENGE = 'Basic realm="bandwidth"'
EVENTS = (
    EVENT_CALL_ANSWERED,
    EVENT_MACHINE_DETECTION_COMPLETE,
    EVENT_GATHER_COMPLETE,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALLBACK,
)
SCRIPT = CallScript(
    message="The garage door is open.",
    voice="kate",
    machine_message="Please check the garage.",
    gather=GatherScript(prompt="Press 1 to close it.", max_digits=1),
)


AUTH = {"Authorization": basic(CALLBACK_USERNAME, CALLBACK_PASSWORD)}


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


def event_data(entry: MockConfigEntry, event_type: str, **extra: Any) -> dict[str, Any]:
    """Return the event data expected for callback(event_type, **extra)."""
    return {
        "event_type": event_type,
        "event_time": "2019-06-20T15:54:25.435Z",
        "account_id": "55555555",
        "application_id": "7fc9698a-b04a-468b-9e8f-91238c0d0086",
        "from": "+15551112222",
        "to": "+15553334444",
        "direction": "outbound",
        "call_id": CALL_ID,
        "start_time": "2019-06-20T15:54:22.234Z",
        "answer_time": "2019-06-20T15:54:25.432Z",
        "config_entry_id": entry.entry_id,
        **extra,
    }


async def bxml_of(response: ClientResponse) -> ET.Element:
    """Check a BXML answer and return its root."""
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    body = await response.read()
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(body)  # noqa: S314 - our own output
    assert root.tag == "Response"
    return root


def verbs(root: ET.Element) -> list[str]:
    """Return the names of a document's top-level verbs."""
    return [child.tag for child in root]


@dataclass
class Harness:
    """A loaded entry and a client posting callbacks the way Bandwidth does."""

    hass: HomeAssistant
    entry: MockConfigEntry
    client: TestClient[Any, Any]
    fired: dict[str, list[Event]]

    @property
    def calls(self) -> CallStore:
        """The entry's call store."""
        store: CallStore = self.entry.runtime_data.calls
        return store

    async def post(
        self, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> ClientResponse:
        """POST a callback, with the entry's credentials unless told otherwise."""
        return await self.client.post(PATH, json=body, headers=headers or AUTH)

    async def bxml(self, body: dict[str, Any]) -> ET.Element:
        """POST a callback and return the BXML answer."""
        return await bxml_of(await self.post(body))

    def expected(self, event_type: str, **extra: Any) -> dict[str, Any]:
        """Return the event data expected for callback(event_type, **extra)."""
        return event_data(self.entry, event_type, **extra)

    async def events(self, name: str) -> list[Event]:
        """Return the events of a name fired so far."""
        await self.hass.async_block_till_done()
        return self.fired[name]

    async def fired_count(self) -> int:
        """Return how many Bandwidth events were fired in all."""
        await self.hass.async_block_till_done()
        return sum(len(events) for events in self.fired.values())


@pytest.fixture
async def harness(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> Harness:
    """The integration set up, its events captured, a client ready."""
    return Harness(
        hass=hass,
        entry=init_integration,
        client=await hass_client_no_auth(),
        fired={name: async_capture_events(hass, name) for name in EVENTS},
    )


async def test_challenge_without_credentials(harness: Harness) -> None:
    """Bandwidth's first, unauthenticated attempt gets the Basic challenge."""
    response = await harness.client.post(PATH, json=callback("answer"))
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    response = await harness.client.get(
        PATH, params={"eventType": "answer", "callId": CALL_ID}
    )
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert await harness.fired_count() == 0


@pytest.mark.parametrize(
    "authorization",
    [
        basic(CALLBACK_USERNAME, "wrong"),
        basic("wrong", CALLBACK_PASSWORD),
        basic(CALLBACK_USERNAME, ""),
        basic("", ""),
        basic(CALLBACK_USERNAME.upper(), CALLBACK_PASSWORD),
        f"Bearer {CALLBACK_PASSWORD}",
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
    ],
)
async def test_wrong_credentials(harness: Harness, authorization: str) -> None:
    """Wrong or unreadable credentials are challenged; nothing happens."""
    harness.calls.add(CALL_ID, SCRIPT)
    for body in (callback("answer"), callback("disconnect")):
        response = await harness.post(body, {"Authorization": authorization})
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert await harness.fired_count() == 0
    assert harness.calls.get(CALL_ID) == SCRIPT


async def test_answer_plays_the_script(harness: Harness) -> None:
    """An answered call hears its message and is asked for digits."""
    harness.calls.add(CALL_ID, SCRIPT)
    root = await harness.bxml(callback("answer", tag="garage"))
    assert verbs(root) == ["SpeakSentence", "Gather", "Hangup"]
    assert root[0].text == "The garage door is open."
    assert root[0].get("voice") == "kate"
    gather = root[1]
    assert gather.attrib == {
        "gatherUrl": WEBHOOK_URL,
        "username": CALLBACK_USERNAME,
        "password": CALLBACK_PASSWORD,
        "maxDigits": "1",
    }
    assert [child.text for child in gather] == ["Press 1 to close it."]

    assert await harness.fired_count() == 1
    [event] = await harness.events(EVENT_CALL_ANSWERED)
    assert event.data == harness.expected("answer", tag="garage")
    assert harness.calls.recent[-1] == (CALL_ID, "answer")


async def test_answer_without_script_hangs_up(harness: Harness) -> None:
    """A call the integration has nothing to say on ends at once."""
    root = await harness.bxml(callback("answer"))
    assert verbs(root) == ["Hangup"]
    assert len(await harness.events(EVENT_CALL_ANSWERED)) == 1


@pytest.mark.parametrize(
    ("value", "spoken"),
    [
        ("human", "The garage door is open."),
        ("answering-machine", "Please check the garage."),
        ("tone-detected", "Please check the garage."),
        ("silence", "The garage door is open."),
        ("timeout", "The garage door is open."),
        ("error", "The garage door is open."),
        ("something-new", "The garage door is open."),
    ],
)
async def test_sync_machine_detection(
    harness: Harness, value: str, spoken: str
) -> None:
    """With sync detection the answer says who answered; machines get their message."""
    harness.calls.add(CALL_ID, replace(SCRIPT, gather=None))
    result = {"value": value, "duration": "PT5.045329368S"}
    root = await harness.bxml(callback("answer", machineDetectionResult=result))
    assert verbs(root) == ["SpeakSentence", "Hangup"]
    assert root[0].text == spoken
    [event] = await harness.events(EVENT_CALL_ANSWERED)
    assert event.data == harness.expected("answer", machine_detection_result=result)


async def test_get_callbacks(harness: Harness) -> None:
    """GET callbacks carry the same fields as query parameters."""
    harness.calls.add(CALL_ID, SCRIPT)
    result = {"value": "answering-machine", "duration": "PT4.9S"}
    params = callback("answer", machineDetectionResult=json.dumps(result))
    response = await harness.client.get(PATH, params=params, headers=AUTH)
    root = await bxml_of(response)
    assert [child.text for child in root] == ["Please check the garage.", None]

    params = callback("disconnect", endTime="2019-06-20T15:55:54.123Z", cause="hangup")
    response = await harness.client.get(PATH, params=params, headers=AUTH)
    assert response.status == 204
    [answered] = await harness.events(EVENT_CALL_ANSWERED)
    assert answered.data == harness.expected("answer", machine_detection_result=result)
    [ended] = await harness.events(EVENT_CALL_DISCONNECTED)
    assert ended.data == harness.expected(
        "disconnect", end_time="2019-06-20T15:55:54.123Z", cause="hangup"
    )
    assert harness.calls.get(CALL_ID) is None


async def test_get_machine_detection_result_null(harness: Harness) -> None:
    """A GET machineDetectionResult of JSON null is no result."""
    harness.calls.add(CALL_ID, SCRIPT)
    params = callback("answer", machineDetectionResult="null")
    response = await harness.client.get(PATH, params=params, headers=AUTH)
    root = await bxml_of(response)
    assert root[0].text == "The garage door is open."
    [event] = await harness.events(EVENT_CALL_ANSWERED)
    assert event.data["machine_detection_result"] is None


def is_keep_alive(root: ET.Element) -> bool:
    """Check a document holds the call silently and comes back."""
    assert verbs(root) == ["Pause", "Redirect"]
    assert root[0].attrib == {"duration": "1"}
    assert root[1].attrib == {
        "redirectUrl": WEBHOOK_URL,
        "username": CALLBACK_USERNAME,
        "password": CALLBACK_PASSWORD,
    }
    return True


def spoken_in(root: ET.Element) -> list[str]:
    """Return every sentence of a document, nested ones included."""
    return [str(verb.text) for verb in root.iter("SpeakSentence")]


@pytest.mark.parametrize(
    ("value", "spoken"),
    [
        ("human", ["The garage door is open.", "Press 1 to close it."]),
        ("answering-machine", ["Please check the garage."]),
        ("silence", ["The garage door is open.", "Press 1 to close it."]),
    ],
)
async def test_async_machine_detection(
    harness: Harness, value: str, spoken: list[str]
) -> None:
    """With async detection the call waits until the result is in."""
    harness.calls.add(CALL_ID, replace(SCRIPT, machine_detection="async"))
    assert is_keep_alive(await harness.bxml(callback("answer")))
    assert is_keep_alive(await harness.bxml(callback("redirect")))

    result = {"value": value, "duration": "PT4.9891287S"}
    complete = callback("machineDetectionComplete", machineDetectionResult=result)
    assert spoken_in(await harness.bxml(complete)) == spoken
    assert spoken_in(await harness.bxml(callback("redirect"))) == spoken

    [detected] = await harness.events(EVENT_MACHINE_DETECTION_COMPLETE)
    assert detected.data == harness.expected(
        "machineDetectionComplete", machine_detection_result=result
    )
    redirects = await harness.events(EVENT_CALLBACK)
    assert [event.data["event_type"] for event in redirects] == ["redirect"] * 2
    assert len(await harness.events(EVENT_CALL_ANSWERED)) == 1


async def test_async_machine_detection_gives_up(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a result in time, the call plays the script for a person."""
    monkeypatch.setattr(webhook_module, "MAX_KEEP_ALIVES", 2)
    harness.calls.add(CALL_ID, CallScript(message="Hello", machine_detection="async"))
    documents = [
        verbs(await harness.bxml(callback(kind)))
        for kind in ("answer", "redirect", "redirect")
    ]
    assert documents == [
        ["Pause", "Redirect"],
        ["Pause", "Redirect"],
        ["SpeakSentence", "Hangup"],
    ]


async def test_machine_detection_for_other_calls(harness: Harness) -> None:
    """A result for a call whose BXML comes from elsewhere gets no BXML."""
    result = {"value": "human", "duration": "PT1S"}
    harness.calls.add(OTHER_CALL_ID, CallScript(credentials=(("call", "secret"),)))
    for call_id in (CALL_ID, OTHER_CALL_ID):
        response = await harness.post(
            callback("machineDetectionComplete", call_id, machineDetectionResult=result)
        )
        assert response.status == 204
        assert await response.read() == b""
    assert len(await harness.events(EVENT_MACHINE_DETECTION_COMPLETE)) == 2


@pytest.mark.parametrize(
    ("script", "voice"),
    [(SCRIPT, "kate"), (CallScript(message="Hi"), None), (None, None)],
)
async def test_gather_says_goodbye(
    harness: Harness, script: CallScript | None, voice: str | None
) -> None:
    """The digits are reported and the call ends politely."""
    if script is not None:
        harness.calls.add(CALL_ID, script)
    root = await harness.bxml(callback("gather", digits="1", terminatingDigit=""))
    assert verbs(root) == ["SpeakSentence", "Hangup"]
    assert root[0].text == "Thank you. Goodbye."
    assert root[0].get("voice") == voice
    [event] = await harness.events(EVENT_GATHER_COMPLETE)
    assert event.data == harness.expected("gather", digits="1", terminating_digit="")


async def test_disconnect_forgets_the_call(harness: Harness) -> None:
    """The call's script is forgotten; null fields stay None."""
    harness.calls.add(CALL_ID, SCRIPT)
    body = callback(
        "disconnect",
        endTime="2019-06-20T15:55:54.123Z",
        cause="callback-error",
        errorMessage=None,
        errorId="4642074b-7b58-478b-96e4-3a60955c6765",
        answerTime=None,
        sipResponseCode=486,
        username="never-copied",
        password="never-copied",
    )
    response = await harness.post(body)
    assert response.status == 204
    assert harness.calls.get(CALL_ID) is None
    [event] = await harness.events(EVENT_CALL_DISCONNECTED)
    assert event.data == harness.expected(
        "disconnect",
        end_time="2019-06-20T15:55:54.123Z",
        cause="callback-error",
        error_message=None,
        error_id="4642074b-7b58-478b-96e4-3a60955c6765",
        answer_time=None,
    )
    # The call is gone: a late answer for it hangs up.
    assert verbs(await harness.bxml(callback("answer"))) == ["Hangup"]


@pytest.mark.parametrize("event_type", ["transferComplete", "dtmf", "somethingNew"])
async def test_other_callbacks(harness: Harness, event_type: str) -> None:
    """Any other eventType is fired as a generic event, never an error."""
    response = await harness.post(callback(event_type))
    assert response.status == 204
    assert await harness.fired_count() == 1
    [event] = await harness.events(EVENT_CALLBACK)
    assert event.data == harness.expected(event_type)


async def test_redirect_without_script(harness: Harness) -> None:
    """A redirect for a call without a script ends it."""
    assert verbs(await harness.bxml(callback("redirect"))) == ["Hangup"]
    assert len(await harness.events(EVENT_CALLBACK)) == 1


def _oversized() -> bytes:
    return json.dumps(callback("answer", tag="x" * (64 * 1024))).encode()


def _json(**fields: Any) -> bytes:
    return json.dumps(callback("answer") | fields).encode()


@pytest.mark.parametrize(
    ("method", "body", "params"),
    [
        ("POST", b"not json", None),
        ("POST", b"", None),
        ("POST", b"\xff\xfe{}", None),
        ("POST", b"[1, 2]", None),
        ("POST", b'"answer"', None),
        ("POST", b"null", None),
        ("POST", json.dumps({"callId": CALL_ID}).encode(), None),
        ("POST", json.dumps({"eventType": "answer"}).encode(), None),
        ("POST", _json(callId=""), None),
        ("POST", _json(eventType=None), None),
        ("POST", _json(eventType=42), None),
        ("POST", _json(callId=7), None),
        ("POST", _json(eventType="gather", digits=25), None),
        ("POST", _json(tag=["a"]), None),
        ("POST", _json(machineDetectionResult="human"), None),
        ("POST", _json(machineDetectionResult={"value": 1}), None),
        ("POST", _oversized(), None),
        ("GET", None, {"callId": CALL_ID}),
        ("GET", None, callback("answer", machineDetectionResult="human")),
        ("GET", None, callback("answer", machineDetectionResult="[1]")),
        ("GET", None, callback("answer", machineDetectionResult='{"value": 5}')),
    ],
)
async def test_malformed_callbacks(
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
    method: str,
    body: bytes | None,
    params: dict[str, Any] | None,
) -> None:
    """With valid credentials, what is not a callback gets 400 and fires nothing."""
    harness.calls.add(CALL_ID, SCRIPT)
    caplog.set_level(logging.DEBUG, logger="custom_components.bandwidth")
    response = await harness.client.request(
        method,
        PATH,
        data=body,
        params=params,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert await harness.fired_count() == 0
    assert harness.calls.get(CALL_ID) == SCRIPT
    assert "Ignoring a malformed callback" in caplog.text
    assert "Traceback" not in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_body_at_the_limit_is_read(harness: Harness) -> None:
    """A body of exactly 64 KiB is still a callback."""
    body = json.dumps(callback("somethingNew", tag="")).encode()
    padding = b"x" * (64 * 1024 - len(body))
    body = body.replace(b'"tag": ""', b'"tag": "' + padding + b'"')
    assert len(body) == 64 * 1024
    response = await harness.client.post(
        PATH, data=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status == 204
    assert len(await harness.events(EVENT_CALLBACK)) == 1


async def test_per_call_credentials(harness: Harness) -> None:
    """Credentials given for one call are accepted for that call's callbacks only."""
    harness.calls.add(
        CALL_ID,
        CallScript(message="Hi", credentials=(("other", "x"), ("call", "s3cret"))),
    )
    harness.calls.add(OTHER_CALL_ID, CallScript(message="Hi"))
    per_call = {"Authorization": basic("call", "s3cret")}

    root = await bxml_of(await harness.post(callback("answer"), per_call))
    assert verbs(root) == ["SpeakSentence", "Hangup"]
    # An empty password is what Bandwidth sends for a username given alone.
    harness.calls.add(CALL_ID, CallScript(message="Hi", credentials=(("alone", ""),)))
    alone = {"Authorization": basic("alone", "")}
    response = await harness.post(callback("somethingNew"), alone)
    assert response.status == 204

    for body in (
        callback("answer", OTHER_CALL_ID),
        callback("answer", "c-unknown"),
        {"callId": OTHER_CALL_ID},
    ):
        response = await harness.post(body, per_call)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == CHALLENGE
    # An unreadable body names no call, so only the entry's credentials count.
    response = await harness.client.post(PATH, data=_oversized(), headers=alone)
    assert response.status == 401
    assert await harness.fired_count() == 2


async def test_gather_url_falls_back_to_a_relative_url(harness: Harness) -> None:
    """Without an external URL, Bandwidth resolves the webhook path itself."""
    harness.hass.config.external_url = None
    harness.calls.add(CALL_ID, SCRIPT)
    root = await harness.bxml(callback("answer"))
    assert root[1].get("gatherUrl") == PATH


async def test_call_keeps_the_url_it_was_placed_with(harness: Harness) -> None:
    """Digits and keep-alives go back where the call was placed, URL changes aside."""
    placed_with = "https://old.example.test/api/webhook/" + WEBHOOK_ID
    harness.calls.add(CALL_ID, replace(SCRIPT, webhook_url=placed_with))
    root = await harness.bxml(callback("answer"))
    assert root[1].get("gatherUrl") == placed_with


async def test_unload_unregisters_the_webhook(harness: Harness) -> None:
    """Once unloaded, callbacks reach nothing."""
    assert await harness.hass.config_entries.async_unload(harness.entry.entry_id)
    await harness.hass.async_block_till_done()
    response = await harness.post(callback("answer"))
    # Home Assistant answers 200 for unknown webhooks, not to reveal them.
    assert response.status == 200
    assert await response.read() == b""
    assert await harness.fired_count() == 0


async def test_scripts_survive_a_reload(
    harness: Harness, hass_storage: dict[str, Any]
) -> None:
    """A call placed before a restart still hears its message."""
    hass, entry = harness.hass, harness.entry
    harness.calls.add(CALL_ID, SCRIPT)
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[f"bandwidth.calls.{entry.entry_id}"]["data"]["calls"]
    assert stored[CALL_ID]["script"]["message"] == SCRIPT.message
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    root = await harness.bxml(callback("answer"))
    assert root[0].text == SCRIPT.message


CLOUDHOOK_URL = "https://hooks.nabu.casa/cloudhook-token"


@pytest.fixture
def cloud(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Home Assistant Cloud, set up with an active subscription."""
    module = ModuleType("homeassistant.components.cloud")
    module.CloudNotAvailable = CloudNotAvailableError  # type: ignore[attr-defined]
    module.async_active_subscription = Mock(return_value=True)  # type: ignore[attr-defined]
    module.async_create_cloudhook = AsyncMock(return_value=CLOUDHOOK_URL)  # type: ignore[attr-defined]
    module.async_delete_cloudhook = AsyncMock()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "homeassistant.components.cloud", module)
    monkeypatch.setattr(components, "cloud", module, raising=False)
    hass.config.components.add("cloud")
    return module


class CloudNotAvailableError(HomeAssistantError):
    """Stands for the cloud component's error of the same name."""


async def test_cloudhook(
    hass: HomeAssistant,
    cloud: ModuleType,
    init_integration: MockConfigEntry,
    harness: Harness,
) -> None:
    """With Home Assistant Cloud, callbacks come through a cloudhook made once."""
    cloud.async_create_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)  # type: ignore[attr-defined]
    assert init_integration.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert async_get_webhook_url(hass, init_integration) == CLOUDHOOK_URL

    harness.calls.add(CALL_ID, SCRIPT)
    root = await harness.bxml(callback("answer"))
    assert root[1].get("gatherUrl") == CLOUDHOOK_URL

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    cloud.async_create_cloudhook.assert_awaited_once()  # type: ignore[attr-defined]

    # Once the subscription lapses, Bandwidth is sent the external URL again.
    cloud.async_active_subscription.return_value = False  # type: ignore[attr-defined]
    assert async_get_webhook_url(hass, init_integration) == WEBHOOK_URL

    await hass.config_entries.async_remove(init_integration.entry_id)
    cloud.async_delete_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)  # type: ignore[attr-defined]


async def test_cloud_without_subscription(
    hass: HomeAssistant, cloud: ModuleType, init_integration: MockConfigEntry
) -> None:
    """Logged out of the cloud, no cloudhook is made."""
    cloud.async_active_subscription.return_value = False  # type: ignore[attr-defined]
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    # The fixture's subscription was active at first setup only.
    cloud.async_create_cloudhook.assert_awaited_once()  # type: ignore[attr-defined]


async def test_cloud_inactive_at_setup(
    hass: HomeAssistant,
    cloud: ModuleType,
    mock_config_entry: MockConfigEntry,
    external_url: str,
) -> None:
    """Without an active subscription the external URL is used."""
    cloud.async_active_subscription.return_value = False  # type: ignore[attr-defined]
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    cloud.async_create_cloudhook.assert_not_awaited()  # type: ignore[attr-defined]
    assert CONF_CLOUDHOOK_URL not in mock_config_entry.data
    assert async_get_webhook_url(hass, mock_config_entry) == WEBHOOK_URL


async def test_cloudhook_creation_fails(
    hass: HomeAssistant,
    cloud: ModuleType,
    mock_config_entry: MockConfigEntry,
    external_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cloud that cannot make the cloudhook leaves the external URL in use."""
    cloud.async_create_cloudhook.side_effect = CloudNotAvailableError("not connected")  # type: ignore[attr-defined]
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert CONF_CLOUDHOOK_URL not in mock_config_entry.data
    assert "Could not create a Home Assistant Cloud webhook" in caplog.text
    assert async_get_webhook_url(hass, mock_config_entry) == WEBHOOK_URL


async def test_cloudhook_deletion_fails(
    hass: HomeAssistant, cloud: ModuleType, init_integration: MockConfigEntry
) -> None:
    """Removing the entry goes on when the cloud cannot delete the cloudhook."""
    cloud.async_delete_cloudhook.side_effect = CloudNotAvailableError  # type: ignore[attr-defined]
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    cloud.async_delete_cloudhook.assert_awaited_once()  # type: ignore[attr-defined]
    assert hass.config_entries.async_get_entry(init_integration.entry_id) is None


async def test_remove_without_cloud(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    external_url: str,
    hass_storage: dict[str, Any],
) -> None:
    """A cloudhook URL left from a cloud no longer set up is just dropped."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_CLOUDHOOK_URL: CLOUDHOOK_URL},
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert async_get_webhook_url(hass, mock_config_entry) == WEBHOOK_URL
    mock_config_entry.runtime_data.calls.add(CALL_ID, SCRIPT)
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert f"bandwidth.calls.{mock_config_entry.entry_id}" not in hass_storage


@pytest.fixture
def live(harness: Harness, bandwidth_sandbox: Sandbox) -> Sandbox:
    """The sandbox playing its calls, its callbacks reaching Home Assistant."""
    bandwidth_sandbox.lifecycle = True
    local = str(harness.client.make_url("/")).rstrip("/")
    bandwidth_sandbox.url_rewrites = {EXTERNAL_URL: local}
    return bandwidth_sandbox


async def place_call(harness: Harness, live: Sandbox, **data: Any) -> Call:
    """Place one call with the create_call action and let it play out."""
    response = await harness.hass.services.async_call(
        "bandwidth",
        "create_call",
        {"to": "+15553334444", **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    [result] = response["calls"]  # type: ignore[misc]
    call = await live.wait_for_call(result["call_id"])
    await harness.hass.async_block_till_done()
    return call


async def test_call_with_digits_end_to_end(harness: Harness, live: Sandbox) -> None:
    """A placed call speaks, gathers, thanks and ends; every step is an event."""
    call = await place_call(
        harness,
        live,
        message="The garage door is open.",
        gather={"prompt": "Press 1 to close it.", "max_digits": 1},
        answer_method="GET",
    )
    assert call.spoken == [
        "The garage door is open.",
        "Press 1 to close it.",
        "Thank you. Goodbye.",
    ]
    assert call.gathered == ["1"]
    assert call.disconnect_cause == "hangup"
    # Each callback was challenged first, then sent with the credentials.
    assert [(a.event_type, a.authenticated, a.status) for a in call.attempts] == [
        ("answer", False, 401),
        ("answer", True, 200),
        ("gather", False, 401),
        ("gather", True, 200),
        ("disconnect", False, 401),
        ("disconnect", True, 204),
    ]
    assert call.attempts[1].method == "GET"

    [answered] = await harness.events(EVENT_CALL_ANSWERED)
    assert answered.data["call_id"] == call.call_id
    [gathered] = await harness.events(EVENT_GATHER_COMPLETE)
    assert gathered.data["digits"] == "1"
    assert gathered.data["terminating_digit"] == ""
    [ended] = await harness.events(EVENT_CALL_DISCONNECTED)
    assert ended.data["cause"] == "hangup"
    assert harness.calls.get(call.call_id) is None


async def test_voicemail_end_to_end(harness: Harness, live: Sandbox) -> None:
    """Async detection holds the call, then the machine gets its message."""
    live.scenarios["+15553334444"] = Scenario(outcome="voicemail")
    call = await place_call(
        harness,
        live,
        message="The garage door is open.",
        machine_message="Please check the garage.",
    )
    assert call.spoken == ["Please check the garage."]
    assert call.disconnect_cause == "hangup"
    [detected] = await harness.events(EVENT_MACHINE_DETECTION_COMPLETE)
    assert detected.data["machine_detection_result"]["value"] == "answering-machine"
    assert [event.data["event_type"] for event in harness.fired[EVENT_CALLBACK]] == [
        "redirect"
    ]
    assert len(await harness.events(EVENT_CALL_DISCONNECTED)) == 1


async def test_person_with_async_detection_end_to_end(
    harness: Harness, live: Sandbox
) -> None:
    """A person answering an async-detected call hears the message."""
    call = await place_call(
        harness,
        live,
        message="The garage door is open.",
        machine_message="Please check the garage.",
    )
    assert call.spoken == ["The garage door is open."]
    [detected] = await harness.events(EVENT_MACHINE_DETECTION_COMPLETE)
    assert detected.data["machine_detection_result"]["value"] == "human"
