"""Tests for the webhook receiving Bandwidth's callbacks."""

from __future__ import annotations

import base64
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
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
from custom_components.bandwidth.webhook import async_get_webhook_url
from custom_components.bandwidth.calls import CallScript, CallStore, GatherScript
from custom_components.bandwidth.const import (
    CONF_CLOUDHOOK_URL,
    EVENT_CALL_ANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALLBACK,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
)

from .conftest import CALLBACK_PASSWORD, CALLBACK_USERNAME, EXTERNAL_URL, WEBHOOK_ID

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


def basic(username: str, password: str) -> str:
    """Return an HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


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


@pytest.fixture
def calls(init_integration: MockConfigEntry) -> CallStore:
    """The loaded entry's call store."""
    store: CallStore = init_integration.runtime_data.calls
    return store


@pytest.fixture
async def client(
    init_integration: MockConfigEntry, hass_client_no_auth: ClientFactory
) -> TestClient[Any, Any]:
    """An HTTP client for Home Assistant, as Bandwidth would connect."""
    return await hass_client_no_auth()


@pytest.fixture
def fired(hass: HomeAssistant) -> dict[str, list[Event]]:
    """Every Bandwidth event fired on the bus, by name."""
    return {name: async_capture_events(hass, name) for name in EVENTS}


def fired_count(fired: dict[str, list[Event]]) -> int:
    """Return how many Bandwidth events were fired in all."""
    return sum(len(events) for events in fired.values())


async def test_challenge_without_credentials(
    hass: HomeAssistant, client: TestClient[Any, Any], fired: dict[str, list[Event]]
) -> None:
    """Bandwidth's first, unauthenticated attempt gets the Basic challenge."""
    response = await client.post(PATH, json=callback("answer"))
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    response = await client.get(PATH, params={"eventType": "answer", "callId": CALL_ID})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    await hass.async_block_till_done()
    assert fired_count(fired) == 0


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
async def test_wrong_credentials(
    hass: HomeAssistant,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
    authorization: str,
) -> None:
    """Wrong or unreadable credentials are challenged; nothing happens."""
    calls.add(CALL_ID, SCRIPT)
    for body in (callback("answer"), callback("disconnect")):
        response = await client.post(
            PATH, json=body, headers={"Authorization": authorization}
        )
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == CHALLENGE
    await hass.async_block_till_done()
    assert fired_count(fired) == 0
    assert calls.get(CALL_ID) == SCRIPT


async def test_answer_plays_the_script(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
) -> None:
    """An answered call hears its message and is asked for digits."""
    calls.add(CALL_ID, SCRIPT)
    response = await client.post(
        PATH, json=callback("answer", tag="garage"), headers=AUTH
    )
    root = await bxml_of(response)
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

    await hass.async_block_till_done()
    assert fired_count(fired) == 1
    [event] = fired[EVENT_CALL_ANSWERED]
    assert event.data == event_data(init_integration, "answer", tag="garage")
    assert calls.recent[-1] == (CALL_ID, "answer")


async def test_answer_without_script_hangs_up(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
) -> None:
    """A call the integration has nothing to say on ends at once."""
    root = await bxml_of(await client.post(PATH, json=callback("answer"), headers=AUTH))
    assert verbs(root) == ["Hangup"]
    await hass.async_block_till_done()
    assert len(fired[EVENT_CALL_ANSWERED]) == 1


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
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
    value: str,
    spoken: str,
) -> None:
    """With sync detection the answer says who answered: a machine gets its message."""
    calls.add(CALL_ID, replace(SCRIPT, gather=None))
    result = {"value": value, "duration": "PT5.045329368S"}
    response = await client.post(
        PATH, json=callback("answer", machineDetectionResult=result), headers=AUTH
    )
    root = await bxml_of(response)
    assert verbs(root) == ["SpeakSentence", "Hangup"]
    assert root[0].text == spoken
    await hass.async_block_till_done()
    [event] = fired[EVENT_CALL_ANSWERED]
    assert event.data == event_data(
        init_integration, "answer", machine_detection_result=result
    )


async def test_get_callbacks(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
) -> None:
    """GET callbacks carry the same fields as query parameters."""
    calls.add(CALL_ID, SCRIPT)
    result = {"value": "answering-machine", "duration": "PT4.9S"}
    params = callback("answer", machineDetectionResult=json.dumps(result))
    root = await bxml_of(await client.get(PATH, params=params, headers=AUTH))
    assert [child.text for child in root] == ["Please check the garage.", None]

    params = callback("disconnect", endTime="2019-06-20T15:55:54.123Z", cause="hangup")
    response = await client.get(PATH, params=params, headers=AUTH)
    assert response.status == 204
    await hass.async_block_till_done()
    [answered] = fired[EVENT_CALL_ANSWERED]
    assert answered.data == event_data(
        init_integration, "answer", machine_detection_result=result
    )
    [ended] = fired[EVENT_CALL_DISCONNECTED]
    assert ended.data == event_data(
        init_integration,
        "disconnect",
        end_time="2019-06-20T15:55:54.123Z",
        cause="hangup",
    )
    assert calls.get(CALL_ID) is None


async def test_get_machine_detection_result_null(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
) -> None:
    """A GET machineDetectionResult of JSON null is no result."""
    calls.add(CALL_ID, SCRIPT)
    params = callback("answer", machineDetectionResult="null")
    root = await bxml_of(await client.get(PATH, params=params, headers=AUTH))
    assert root[0].text == "The garage door is open."
    await hass.async_block_till_done()
    assert fired[EVENT_CALL_ANSWERED][0].data["machine_detection_result"] is None


@pytest.mark.parametrize(
    ("value", "spoken"),
    [
        ("human", ["The garage door is open.", "Press 1 to close it."]),
        ("answering-machine", ["Please check the garage."]),
        ("silence", ["The garage door is open.", "Press 1 to close it."]),
    ],
)
async def test_async_machine_detection(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
    value: str,
    spoken: list[str],
) -> None:
    """With async detection the call waits until the result is in."""
    calls.add(CALL_ID, replace(SCRIPT, machine_detection="async"))

    def spoken_in(root: ET.Element) -> list[str]:
        return [str(verb.text) for verb in root.iter("SpeakSentence")]

    def is_keep_alive(root: ET.Element) -> bool:
        assert verbs(root) == ["Pause", "Redirect"]
        assert root[0].attrib == {"duration": "1"}
        assert root[1].attrib == {
            "redirectUrl": WEBHOOK_URL,
            "username": CALLBACK_USERNAME,
            "password": CALLBACK_PASSWORD,
        }
        return True

    answer = await client.post(PATH, json=callback("answer"), headers=AUTH)
    assert is_keep_alive(await bxml_of(answer))
    redirect = await client.post(PATH, json=callback("redirect"), headers=AUTH)
    assert is_keep_alive(await bxml_of(redirect))

    result = {"value": value, "duration": "PT4.9891287S"}
    complete = await client.post(
        PATH,
        json=callback("machineDetectionComplete", machineDetectionResult=result),
        headers=AUTH,
    )
    assert spoken_in(await bxml_of(complete)) == spoken
    redirect = await client.post(PATH, json=callback("redirect"), headers=AUTH)
    assert spoken_in(await bxml_of(redirect)) == spoken

    await hass.async_block_till_done()
    [detected] = fired[EVENT_MACHINE_DETECTION_COMPLETE]
    assert detected.data == event_data(
        init_integration,
        "machineDetectionComplete",
        machine_detection_result=result,
    )
    assert [event.data["event_type"] for event in fired[EVENT_CALLBACK]] == [
        "redirect",
        "redirect",
    ]
    assert len(fired[EVENT_CALL_ANSWERED]) == 1


async def test_async_machine_detection_gives_up(
    hass: HomeAssistant,
    client: TestClient[Any, Any],
    calls: CallStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a result in time, the call plays the script for a person."""
    monkeypatch.setattr(webhook_module, "MAX_KEEP_ALIVES", 2)
    calls.add(CALL_ID, CallScript(message="Hello", machine_detection="async"))
    documents = [
        verbs(await bxml_of(await client.post(PATH, json=callback(kind), headers=AUTH)))
        for kind in ("answer", "redirect", "redirect")
    ]
    assert documents == [
        ["Pause", "Redirect"],
        ["Pause", "Redirect"],
        ["SpeakSentence", "Hangup"],
    ]


async def test_machine_detection_for_other_calls(
    hass: HomeAssistant,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
) -> None:
    """A result for a call whose BXML comes from elsewhere gets no BXML."""
    result = {"value": "human", "duration": "PT1S"}
    calls.add(OTHER_CALL_ID, CallScript(credentials=(("call", "secret"),)))
    for call_id in (CALL_ID, OTHER_CALL_ID):
        response = await client.post(
            PATH,
            json=callback(
                "machineDetectionComplete", call_id, machineDetectionResult=result
            ),
            headers=AUTH,
        )
        assert response.status == 204
        assert await response.read() == b""
    await hass.async_block_till_done()
    assert len(fired[EVENT_MACHINE_DETECTION_COMPLETE]) == 2


@pytest.mark.parametrize(
    ("script", "voice"),
    [(SCRIPT, "kate"), (CallScript(message="Hi"), None), (None, None)],
)
async def test_gather_says_goodbye(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
    script: CallScript | None,
    voice: str | None,
) -> None:
    """The digits are reported and the call ends politely."""
    if script is not None:
        calls.add(CALL_ID, script)
    response = await client.post(
        PATH,
        json=callback("gather", digits="1", terminatingDigit=""),
        headers=AUTH,
    )
    root = await bxml_of(response)
    assert verbs(root) == ["SpeakSentence", "Hangup"]
    assert root[0].text == "Thank you. Goodbye."
    assert root[0].get("voice") == voice
    await hass.async_block_till_done()
    [event] = fired[EVENT_GATHER_COMPLETE]
    assert event.data == event_data(
        init_integration, "gather", digits="1", terminating_digit=""
    )


async def test_disconnect_forgets_the_call(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
) -> None:
    """The call's script is forgotten; null fields stay None."""
    calls.add(CALL_ID, SCRIPT)
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
    response = await client.post(PATH, json=body, headers=AUTH)
    assert response.status == 204
    assert calls.get(CALL_ID) is None
    await hass.async_block_till_done()
    [event] = fired[EVENT_CALL_DISCONNECTED]
    assert event.data == event_data(
        init_integration,
        "disconnect",
        end_time="2019-06-20T15:55:54.123Z",
        cause="callback-error",
        error_message=None,
        error_id="4642074b-7b58-478b-96e4-3a60955c6765",
        answer_time=None,
    )
    # The call is gone: a late answer for it hangs up.
    root = await bxml_of(await client.post(PATH, json=callback("answer"), headers=AUTH))
    assert verbs(root) == ["Hangup"]


@pytest.mark.parametrize("event_type", ["transferComplete", "dtmf", "somethingNew"])
async def test_other_callbacks(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    event_type: str,
) -> None:
    """Any other eventType is fired as a generic event, never an error."""
    response = await client.post(PATH, json=callback(event_type), headers=AUTH)
    assert response.status == 204
    await hass.async_block_till_done()
    assert fired_count(fired) == 1
    [event] = fired[EVENT_CALLBACK]
    assert event.data == event_data(init_integration, event_type)


async def test_redirect_without_script(
    hass: HomeAssistant, client: TestClient[Any, Any], fired: dict[str, list[Event]]
) -> None:
    """A redirect for a call without a script ends it."""
    root = await bxml_of(
        await client.post(PATH, json=callback("redirect"), headers=AUTH)
    )
    assert verbs(root) == ["Hangup"]
    await hass.async_block_till_done()
    assert len(fired[EVENT_CALLBACK]) == 1


def _oversized() -> bytes:
    return json.dumps(callback("answer", tag="x" * (64 * 1024))).encode()


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
        ("POST", json.dumps(callback("answer", callId="")).encode(), None),
        ("POST", json.dumps(callback("answer", eventType=None)).encode(), None),
        ("POST", json.dumps(callback(42)).encode(), None),  # type: ignore[arg-type]
        ("POST", json.dumps(callback("answer", callId=7)).encode(), None),
        ("POST", json.dumps(callback("gather", digits=25)).encode(), None),
        ("POST", json.dumps(callback("answer", tag=["a"])).encode(), None),
        (
            "POST",
            json.dumps(callback("answer", machineDetectionResult="human")).encode(),
            None,
        ),
        (
            "POST",
            json.dumps(
                callback("answer", machineDetectionResult={"value": 1})
            ).encode(),
            None,
        ),
        ("POST", _oversized(), None),
        ("GET", None, {"callId": CALL_ID}),
        ("GET", None, callback("answer", machineDetectionResult="human")),
        ("GET", None, callback("answer", machineDetectionResult="[1]")),
        ("GET", None, callback("answer", machineDetectionResult='{"value": 5}')),
    ],
)
async def test_malformed_callbacks(
    hass: HomeAssistant,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
    caplog: pytest.LogCaptureFixture,
    method: str,
    body: bytes | None,
    params: dict[str, Any] | None,
) -> None:
    """With valid credentials, what is not a callback gets 400 and fires nothing."""
    calls.add(CALL_ID, SCRIPT)
    caplog.set_level(logging.DEBUG, logger="custom_components.bandwidth")
    response = await client.request(
        method,
        PATH,
        data=body,
        params=params,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status == 400
    await hass.async_block_till_done()
    assert fired_count(fired) == 0
    assert calls.get(CALL_ID) == SCRIPT
    assert "Ignoring a malformed callback" in caplog.text
    assert "Traceback" not in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_body_at_the_limit_is_read(
    hass: HomeAssistant, client: TestClient[Any, Any], fired: dict[str, list[Event]]
) -> None:
    """A body of exactly 64 KiB is still a callback."""
    body = json.dumps(callback("somethingNew", tag="")).encode()
    body = body.replace(
        b'"tag": ""', b'"tag": "' + b"x" * (64 * 1024 - len(body)) + b'"'
    )
    assert len(body) == 64 * 1024
    response = await client.post(
        PATH, data=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status == 204
    await hass.async_block_till_done()
    assert len(fired[EVENT_CALLBACK]) == 1


async def test_per_call_credentials(
    hass: HomeAssistant,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
    calls: CallStore,
) -> None:
    """Credentials given for one call are accepted for that call's callbacks only."""
    calls.add(
        CALL_ID,
        CallScript(message="Hi", credentials=(("other", "x"), ("call", "s3cret"))),
    )
    calls.add(OTHER_CALL_ID, CallScript(message="Hi"))
    per_call = {"Authorization": basic("call", "s3cret")}

    root = await bxml_of(
        await client.post(PATH, json=callback("answer"), headers=per_call)
    )
    assert verbs(root) == ["SpeakSentence", "Hangup"]
    # Empty passwords are what Bandwidth sends for a username given alone.
    calls.add(CALL_ID, CallScript(message="Hi", credentials=(("alone", ""),)))
    response = await client.post(
        PATH,
        json=callback("somethingNew"),
        headers={"Authorization": basic("alone", "")},
    )
    assert response.status == 204

    for body in (
        callback("answer", OTHER_CALL_ID),
        callback("answer", "c-unknown"),
        {"callId": OTHER_CALL_ID},
    ):
        response = await client.post(PATH, json=body, headers=per_call)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == CHALLENGE
    # Unreadable bodies name no call, so only the entry's credentials count.
    response = await client.post(
        PATH, data=_oversized(), headers={"Authorization": basic("alone", "")}
    )
    assert response.status == 401
    await hass.async_block_till_done()
    assert fired_count(fired) == 2


async def test_gather_url_falls_back_to_a_relative_url(
    hass: HomeAssistant, client: TestClient[Any, Any], calls: CallStore
) -> None:
    """Without an external URL, Bandwidth resolves the webhook path itself."""
    hass.config.external_url = None
    calls.add(CALL_ID, SCRIPT)
    root = await bxml_of(await client.post(PATH, json=callback("answer"), headers=AUTH))
    assert root[1].get("gatherUrl") == PATH


async def test_unload_unregisters_the_webhook(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    fired: dict[str, list[Event]],
) -> None:
    """Once unloaded, callbacks reach nothing."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    response = await client.post(PATH, json=callback("answer"), headers=AUTH)
    # Home Assistant answers 200 for unknown webhooks, not to reveal them.
    assert response.status == 200
    assert await response.read() == b""
    await hass.async_block_till_done()
    assert fired_count(fired) == 0


async def test_scripts_survive_a_reload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
    hass_storage: dict[str, Any],
) -> None:
    """A call placed before a restart still hears its message."""
    init_integration.runtime_data.calls.add(CALL_ID, SCRIPT)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert (
        hass_storage[f"bandwidth.calls.{init_integration.entry_id}"]["data"]["calls"][
            CALL_ID
        ]["script"]["message"]
        == SCRIPT.message
    )
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    root = await bxml_of(await client.post(PATH, json=callback("answer"), headers=AUTH))
    assert root[0].text == SCRIPT.message


CLOUDHOOK_URL = "https://hooks.nabu.casa/cloudhook-token"


@pytest.fixture
def cloud(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Home Assistant Cloud, set up with an active subscription."""
    module = ModuleType("homeassistant.components.cloud")
    module.CloudNotAvailable = CloudNotAvailable  # type: ignore[attr-defined]
    module.async_active_subscription = Mock(return_value=True)  # type: ignore[attr-defined]
    module.async_create_cloudhook = AsyncMock(return_value=CLOUDHOOK_URL)  # type: ignore[attr-defined]
    module.async_delete_cloudhook = AsyncMock()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "homeassistant.components.cloud", module)
    monkeypatch.setattr(components, "cloud", module, raising=False)
    hass.config.components.add("cloud")
    return module


class CloudNotAvailable(HomeAssistantError):
    """Stands for the cloud component's error of the same name."""


async def test_cloudhook(
    hass: HomeAssistant,
    cloud: ModuleType,
    init_integration: MockConfigEntry,
    client: TestClient[Any, Any],
) -> None:
    """With Home Assistant Cloud, callbacks come through a cloudhook made once."""
    cloud.async_create_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)  # type: ignore[attr-defined]
    assert init_integration.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert async_get_webhook_url(hass, init_integration) == CLOUDHOOK_URL

    init_integration.runtime_data.calls.add(CALL_ID, SCRIPT)
    root = await bxml_of(await client.post(PATH, json=callback("answer"), headers=AUTH))
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
    cloud.async_create_cloudhook.side_effect = CloudNotAvailable("not connected")  # type: ignore[attr-defined]
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
    cloud.async_delete_cloudhook.side_effect = CloudNotAvailable  # type: ignore[attr-defined]
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
