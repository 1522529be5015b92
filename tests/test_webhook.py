"""Tests for the webhook receiving Bandwidth's callbacks."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any
from unittest.mock import patch
from xml.etree import ElementTree as ET

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.bandwidth import replies
from custom_components.bandwidth import webhook as webhook_module
from custom_components.bandwidth.call_store import CallStore
from custom_components.bandwidth.calls import CallScript, LiveCall
from custom_components.bandwidth.const import (
    CONF_HOLD_TIME,
    CONF_INBOUND_CALLS,
    EVENT_CALL_ANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALLBACK,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
    INBOUND_AUTOMATION,
)

from .helpers import (
    CALL_ID,
    CALLBACK_PASSWORD,
    CALLBACK_USERNAME,
    INBOUND_SECRET,
    OTHER_CALL_ID,
    PATH,
    SCRIPT,
    WEBHOOK_URL,
    ClientFactory,
    basic,
    callback,
    live_call,
    query,
    verbs,
)

EVENTS = (
    EVENT_CALL_ANSWERED,
    EVENT_MACHINE_DETECTION_COMPLETE,
    EVENT_GATHER_COMPLETE,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALLBACK,
)
ENTRY_KEY = {"key": INBOUND_SECRET}


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


def spoken_in(root: ET.Element) -> list[str]:
    """Return every sentence of a document, nested ones included."""
    return [str(verb.text) for verb in root.iter("SpeakSentence")]


@dataclass
class Harness:
    """A loaded entry and a client posting callbacks the way Bandwidth does."""

    hass: HomeAssistant
    entry: MockConfigEntry
    client: TestClient[Any, Any]
    fired: dict[str, list[Event]]

    @property
    def calls(self) -> CallStore:
        """The entry's live calls."""
        store: CallStore = self.entry.runtime_data.calls
        return store

    def add(
        self,
        script: CallScript | None = SCRIPT,
        *,
        call_id: str | None = CALL_ID,
        **options: Any,
    ) -> LiveCall:
        """Register a call as the dialer does before placing it."""
        return live_call(self.entry, script, call_id=call_id, **options)

    async def post(
        self,
        body: dict[str, Any],
        call: LiveCall | None,
        headers: dict[str, str] | None = None,
    ) -> ClientResponse:
        """POST a callback to the URL of a call (to the bare webhook for None)."""
        return await self.client.post(
            PATH, json=body, params=query(call), headers=headers
        )

    async def bxml(self, body: dict[str, Any], call: LiveCall | None) -> ET.Element:
        """POST a callback and return the BXML answer."""
        return await bxml_of(await self.post(body, call))

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


# --- Authentication ------------------------------------------------------------


async def test_unauthenticated_requests(harness: Harness) -> None:
    """Without the call's secret: 401, nothing fired, the call untouched."""
    call = harness.add()
    wrong = [
        {},
        {"ref": call.ref},
        {"key": call.secret},
        {"ref": call.ref, "key": call.secret[:-1]},
        {"ref": call.ref, "key": call.secret + "x"},
        {"ref": call.ref, "key": ""},
        {"ref": "unknown", "key": call.secret},
        {"ref": call.ref, "key": "é" * 4},
    ]
    for params in wrong:
        for body in (callback("answer"), callback("disconnect")):
            response = await harness.client.post(PATH, json=body, params=params)
            assert response.status == 401
            # No challenge: no credentials a browser could offer open it.
            assert "WWW-Authenticate" not in response.headers
            assert await response.read() == b""
        response = await harness.client.get(
            PATH, params={**params, "eventType": "answer", "callId": CALL_ID}
        )
        assert response.status == 401
    assert await harness.fired_count() == 0
    assert harness.calls.by_ref(call.ref) is call
    assert harness.calls.recent == ()


async def test_another_calls_secret(harness: Harness) -> None:
    """A call's secret does not open another call's reference."""
    call, other = harness.add(), harness.add(call_id=OTHER_CALL_ID)
    params = {"ref": other.ref, "key": call.secret}
    response = await harness.client.post(PATH, json=callback("answer"), params=params)
    assert response.status == 401
    # Nor does it speak for another call id.
    response = await harness.post(callback("disconnect", OTHER_CALL_ID), call)
    assert response.status == 400
    assert harness.calls.by_ref(other.ref) is other
    assert await harness.fired_count() == 0


@pytest.mark.parametrize(
    "authorization",
    [
        basic(CALLBACK_USERNAME, CALLBACK_PASSWORD),
        basic(CALLBACK_USERNAME, "wrong"),
        basic("wrong", CALLBACK_PASSWORD),
        basic(CALLBACK_USERNAME, ""),
        basic("", ""),
        basic(CALLBACK_USERNAME.upper(), CALLBACK_PASSWORD),
        f"Bearer {CALLBACK_PASSWORD}",
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode("é:é".encode()).decode(),
    ],
)
async def test_basic_credentials_prove_nothing(
    harness: Harness, authorization: str
) -> None:
    """No Basic credentials open the webhook, those entries once had included."""
    harness.add()
    response = await harness.post(
        callback("answer"), None, {"Authorization": authorization}
    )
    assert response.status == 401
    assert "WWW-Authenticate" not in response.headers
    assert await harness.fired_count() == 0


async def test_entry_secret_never_speaks_for_a_call_placed(harness: Harness) -> None:
    """The Voice application's URL opens no callback of a call Home Assistant placed.

    Whoever learns it (it is in the application's settings at Bandwidth) can
    neither report digits for an outbound call nor be handed its own URL.
    """
    call = harness.add()
    for body in (
        callback("gather", digits="1234"),
        callback("answer"),
        callback("machineDetectionComplete", machineDetectionResult={"value": "human"}),
        callback("disconnect", cause="hangup"),
        callback("gather", OTHER_CALL_ID, digits="1234"),
    ):
        response = await harness.client.post(PATH, json=body, params=ENTRY_KEY)
        assert response.status == 401
        assert call.ref not in await response.text()
    assert await harness.fired_count() == 0
    assert harness.calls.by_ref(call.ref) is call
    # Its own URL still works.
    assert verbs(await harness.bxml(callback("answer"), call))[0] == "SpeakSentence"


async def test_entry_secret_speaks_for_calls_received(
    hass: HomeAssistant, harness: Harness
) -> None:
    """It opens the callbacks of a call received, and a rejected call's disconnect."""
    inbound = {"direction": "inbound", "from": "+15551112222"}
    # Rejected at once (the default): its disconnect still comes to this URL.
    await bxml_of(
        await harness.client.post(
            PATH, json=callback("initiate", "c-in-1", **inbound), params=ENTRY_KEY
        )
    )
    response = await harness.client.post(
        PATH, json=callback("disconnect", "c-in-1", **inbound), params=ENTRY_KEY
    )
    assert response.status == 204
    # A call it never told of is refused, though the secret is right.
    response = await harness.client.post(
        PATH, json=callback("disconnect", "c-in-2", **inbound), params=ENTRY_KEY
    )
    assert response.status == 401
    # An answered call received: its callbacks, told by this URL, are heard.
    hass.config_entries.async_update_entry(
        harness.entry,
        options={**harness.entry.options, CONF_INBOUND_CALLS: INBOUND_AUTOMATION},
    )
    await hass.async_block_till_done()
    await bxml_of(
        await harness.client.post(
            PATH, json=callback("initiate", "c-in-3", **inbound), params=ENTRY_KEY
        )
    )
    call = harness.calls.by_call_id("c-in-3")
    assert call is not None
    assert call.direction == "inbound"
    response = await harness.client.post(
        PATH, json=callback("disconnect", "c-in-3", **inbound), params=ENTRY_KEY
    )
    assert response.status == 204
    disconnected = await harness.events(EVENT_CALL_DISCONNECTED)
    assert [event.data["call_id"] for event in disconnected] == ["c-in-1", "c-in-3"]


async def test_rejected_calls_are_remembered_within_bounds(harness: Harness) -> None:
    """The oldest rejected call is forgotten first, past MAX_REJECTED of them."""
    inbound = {"direction": "inbound"}
    with patch.object(webhook_module, "MAX_REJECTED", 2):
        for call_id in ("c-in-1", "c-in-2", "c-in-3"):
            await bxml_of(
                await harness.client.post(
                    PATH,
                    json=callback("initiate", call_id, **inbound),
                    params=ENTRY_KEY,
                )
            )
    statuses = []
    for call_id in ("c-in-1", "c-in-2", "c-in-3"):
        response = await harness.client.post(
            PATH, json=callback("disconnect", call_id, **inbound), params=ENTRY_KEY
        )
        statuses.append(response.status)
    assert statuses == [401, 204, 204]


# --- Replies ---------------------------------------------------------------------


async def test_answer_plays_the_script(harness: Harness) -> None:
    """An answered call hears its message and is asked for digits."""
    call = harness.add()
    root = await harness.bxml(callback("answer", tag="garage"), call)
    assert verbs(root) == ["SpeakSentence", "Gather", "Hangup"]
    assert root[0].text == "The garage door is open."
    assert root[0].get("voice") == "kate"
    gather = root[1]
    assert gather.attrib == {
        "gatherUrl": call.callback_url(WEBHOOK_URL),
        "maxDigits": "1",
    }
    assert [child.text for child in gather] == ["Press 1 to close it."]

    assert await harness.fired_count() == 1
    [event] = await harness.events(EVENT_CALL_ANSWERED)
    assert event.data == harness.expected("answer", tag="garage")
    assert harness.calls.recent[-1] == (CALL_ID, "answer")


async def test_answer_finds_a_call_whose_id_was_never_learned(harness: Harness) -> None:
    """The createCall answer was lost: the call's URL still finds its script."""
    call = harness.add(call_id=None)
    root = await harness.bxml(callback("answer"), call)
    assert spoken_in(root)[0] == SCRIPT.message
    assert call.call_id == CALL_ID
    assert harness.calls.by_call_id(CALL_ID) is call


async def test_answer_without_script_hangs_up(harness: Harness) -> None:
    """A call the integration has nothing to say on ends at once."""
    call = harness.add(None)
    assert verbs(await harness.bxml(callback("answer"), call)) == ["Hangup"]
    assert len(await harness.events(EVENT_CALL_ANSWERED)) == 1


async def test_get_verbs_follow_the_answer_method(harness: Harness) -> None:
    """A call answered with GET gathers and holds with GET too."""
    call = harness.add(method="GET", machine_detection="async")
    params = {**query(call), **callback("answer")}
    root = await bxml_of(await harness.client.get(PATH, params=params))
    assert root[1].get("redirectMethod") == "GET"
    call.machine_result = "human"
    root = await bxml_of(await harness.client.get(PATH, params=params))
    assert root[1].get("gatherMethod") == "GET"


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
    call = harness.add(
        CallScript(message=SCRIPT.message, machine_message=SCRIPT.machine_message)
    )
    result = {"value": value, "duration": "PT5.045329368S"}
    root = await harness.bxml(callback("answer", machineDetectionResult=result), call)
    assert verbs(root) == ["SpeakSentence", "Hangup"]
    assert root[0].text == spoken
    [event] = await harness.events(EVENT_CALL_ANSWERED)
    assert event.data == harness.expected("answer", machine_detection_result=result)


@pytest.mark.parametrize(
    "params",
    [
        {
            "machineDetectionResult": json.dumps(
                {"value": "answering-machine", "duration": "PT4.9S"}
            )
        },
        {
            "machineDetectionResult.value": "answering-machine",
            "machineDetectionResult.duration": "PT4.9S",
        },
    ],
)
async def test_get_callbacks(harness: Harness, params: dict[str, str]) -> None:
    """GET callbacks carry the fields as query parameters, objects in either form."""
    call = harness.add()
    response = await harness.client.get(
        PATH, params={**query(call), **callback("answer"), **params}
    )
    root = await bxml_of(response)
    assert spoken_in(root) == ["Please check the garage."]

    disconnect = callback(
        "disconnect", endTime="2019-06-20T15:55:54.123Z", cause="hangup"
    )
    response = await harness.client.get(PATH, params={**query(call), **disconnect})
    assert response.status == 204
    [answered] = await harness.events(EVENT_CALL_ANSWERED)
    result = {"value": "answering-machine", "duration": "PT4.9S"}
    assert answered.data == harness.expected("answer", machine_detection_result=result)
    [ended] = await harness.events(EVENT_CALL_DISCONNECTED)
    assert ended.data == harness.expected(
        "disconnect", end_time="2019-06-20T15:55:54.123Z", cause="hangup"
    )
    assert harness.calls.by_ref(call.ref) is None


@pytest.mark.parametrize(
    "extra",
    [
        {"machineDetectionResult": "null"},
        {"machineDetectionResult": "human"},
        {"machineDetectionResult": "[1]"},
        {"machineDetectionResult": '{"value": 5}'},
        {"tag": ""},
    ],
)
async def test_get_fields_we_can_live_without(
    harness: Harness, extra: dict[str, str]
) -> None:
    """An answer is never refused for a field the integration does not need."""
    call = harness.add()
    response = await harness.client.get(
        PATH, params={**query(call), **callback("answer"), **extra}
    )
    root = await bxml_of(response)
    assert root[0].text == SCRIPT.message
    assert len(await harness.events(EVENT_CALL_ANSWERED)) == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"machineDetectionResult": "human"},
        {"machineDetectionResult": {"value": 1}},
        {"machineDetectionResult": None},
        {"tag": ["a"]},
        {"digits": 25},
        {"from": None},
        {"startTime": 12},
    ],
)
async def test_post_fields_we_can_live_without(
    harness: Harness, extra: dict[str, Any]
) -> None:
    """Odd optional fields are dropped (null is kept as None), never refused."""
    call = harness.add()
    root = await harness.bxml(callback("answer") | extra, call)
    assert root[0].text == SCRIPT.message
    [event] = await harness.events(EVENT_CALL_ANSWERED)
    expected = harness.expected("answer")
    for name, value in extra.items():
        key = {"startTime": "start_time"}.get(name, name)
        if name == "machineDetectionResult" and isinstance(value, dict):
            expected["machine_detection_result"] = {"value": None, "duration": None}
        elif value is None and name == "from":
            expected[key] = None
        else:
            expected.pop(key, None)
    assert event.data == expected


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
    """With async detection the call waits, silently, until the result is in."""
    call = harness.add(machine_detection="async")
    url = call.callback_url(WEBHOOK_URL)
    for kind in ("answer", "redirect"):
        root = await harness.bxml(callback(kind), call)
        assert verbs(root) == ["Pause", "Redirect"]
        assert root[0].attrib == {"duration": "1"}
        assert root[1].attrib == {"redirectUrl": url}

    result = {"value": value, "duration": "PT4.9891287S"}
    complete = callback("machineDetectionComplete", machineDetectionResult=result)
    response = await harness.post(complete, call)
    assert response.status == 204
    assert await response.read() == b""
    assert spoken_in(await harness.bxml(callback("redirect"), call)) == spoken

    [detected] = await harness.events(EVENT_MACHINE_DETECTION_COMPLETE)
    assert detected.data == harness.expected(
        "machineDetectionComplete", machine_detection_result=result
    )
    # The hold loop is internal: its redirects fire nothing.
    assert await harness.events(EVENT_CALLBACK) == []
    assert len(await harness.events(EVENT_CALL_ANSWERED)) == 1
    assert [recent.event_type for recent in harness.calls.recent] == [
        "machineDetectionComplete"
    ]


async def test_async_machine_detection_gives_up(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a result in time, the call plays the script for a person."""
    monkeypatch.setattr(replies, "MAX_KEEP_ALIVES", 2)
    call = harness.add(CallScript(message="Hello"), machine_detection="async")
    documents = [
        verbs(await harness.bxml(callback(kind), call))
        for kind in ("answer", "redirect", "redirect")
    ]
    assert documents == [
        ["Pause", "Redirect"],
        ["Pause", "Redirect"],
        ["SpeakSentence", "Hangup"],
    ]


async def test_machine_detection_for_other_calls(harness: Harness) -> None:
    """A result for a call whose BXML comes from elsewhere is only reported."""
    result = {"value": "human", "duration": "PT1S"}
    call = harness.add(None)
    response = await harness.post(
        callback("machineDetectionComplete", machineDetectionResult=result), call
    )
    assert response.status == 204
    assert call.machine_result == "human"
    assert len(await harness.events(EVENT_MACHINE_DETECTION_COMPLETE)) == 1


@pytest.mark.parametrize(
    ("script", "voice"),
    [(SCRIPT, "kate"), (CallScript(message="Hi"), None), (None, None)],
)
async def test_gather_waits_then_says_goodbye(
    hass: HomeAssistant,
    harness: Harness,
    script: CallScript | None,
    voice: str | None,
) -> None:
    """The digits are reported; the call waits for a next step, then ends politely."""
    hass.config_entries.async_update_entry(
        harness.entry, options={**harness.entry.options, CONF_HOLD_TIME: 2}
    )
    call = harness.add(script)
    call.phase = "playing"
    url = call.callback_url(WEBHOOK_URL)
    root = await harness.bxml(callback("gather", digits="1", terminatingDigit=""), call)
    assert [(verb.tag, verb.attrib) for verb in root] == [
        ("Pause", {"duration": "1"}),
        ("Redirect", {"redirectUrl": url}),
    ]
    assert call.phase == "holding"
    assert verbs(await harness.bxml(callback("redirect"), call)) == [
        "Pause",
        "Redirect",
    ]
    root = await harness.bxml(callback("redirect"), call)
    assert verbs(root) == ["SpeakSentence", "Hangup"]
    assert root[0].text == "Thank you. Goodbye."
    assert root[0].get("voice") == voice
    [event] = await harness.events(EVENT_GATHER_COMPLETE)
    assert event.data == harness.expected("gather", digits="1", terminating_digit="")


async def test_gather_of_a_forgotten_call(harness: Harness) -> None:
    """Digits for a call not live (one rejected at once) are thanked all the same."""
    inbound = {"direction": "inbound"}
    await harness.client.post(
        PATH, json=callback("initiate", **inbound), params=ENTRY_KEY
    )
    root = await bxml_of(
        await harness.client.post(
            PATH, json=callback("gather", digits="1", **inbound), params=ENTRY_KEY
        )
    )
    assert spoken_in(root) == ["Thank you. Goodbye."]
    # Nor does an answer for it play anything: it is hung up.
    root = await bxml_of(
        await harness.client.post(
            PATH, json=callback("answer", **inbound), params=ENTRY_KEY
        )
    )
    assert verbs(root) == ["Hangup"]


async def test_disconnect_forgets_the_call(harness: Harness) -> None:
    """The call is forgotten; null fields stay None; secrets are never copied."""
    call = harness.add()
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
    response = await harness.post(body, call)
    assert response.status == 204
    assert harness.calls.by_ref(call.ref) is None
    assert harness.calls.by_call_id(CALL_ID) is None
    [event] = await harness.events(EVENT_CALL_DISCONNECTED)
    assert event.data == harness.expected(
        "disconnect",
        end_time="2019-06-20T15:55:54.123Z",
        cause="callback-error",
        error_message=None,
        error_id="4642074b-7b58-478b-96e4-3a60955c6765",
        answer_time=None,
    )
    assert call.secret not in json.dumps(event.data)
    # The call is gone: a late callback with its URL is refused.
    response = await harness.post(callback("answer"), call)
    assert response.status == 401


@pytest.mark.parametrize("event_type", ["recordingAvailable", "dtmf", "somethingNew"])
async def test_other_callbacks(harness: Harness, event_type: str) -> None:
    """Any other eventType is fired as a generic event, never an error."""
    call = harness.add()
    response = await harness.post(callback(event_type), call)
    assert response.status == 204
    assert await harness.fired_count() == 1
    [event] = await harness.events(EVENT_CALLBACK)
    assert event.data == harness.expected(event_type)


@pytest.mark.parametrize(
    "body",
    [
        {"eventType": "conferenceCreated", "conferenceId": "conf-1"},
        {"eventType": "answer", "callId": ""},
        {"eventType": "answer", "callId": 7},
    ],
)
async def test_callbacks_about_no_call(harness: Harness, body: dict[str, Any]) -> None:
    """A callback naming no call is acknowledged with 204 and fires nothing."""
    call = harness.add()
    response = await harness.post(body, call)
    assert response.status == 204
    assert await harness.fired_count() == 0


async def test_redirect_without_script(harness: Harness) -> None:
    """A redirect to a call not waiting on Home Assistant ends it."""
    call = harness.add(None)
    assert verbs(await harness.bxml(callback("redirect"), call)) == ["Hangup"]
    assert await harness.fired_count() == 0


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
        ("POST", json.dumps(callback("answer") | {"eventType": None}).encode(), None),
        ("POST", json.dumps(callback("answer") | {"eventType": 42}).encode(), None),
        ("POST", json.dumps(callback("answer") | {"eventType": ""}).encode(), None),
        ("POST", _oversized(), None),
        ("GET", None, {"callId": CALL_ID}),
    ],
)
async def test_malformed_callbacks(
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
    method: str,
    body: bytes | None,
    params: dict[str, Any] | None,
) -> None:
    """Authenticated, what is not a callback gets 400 and fires nothing."""
    call = harness.add()
    caplog.set_level(logging.DEBUG, logger="custom_components.bandwidth")
    response = await harness.client.request(
        method,
        PATH,
        data=body,
        params={**query(call), **(params or {})},
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 400
    assert await harness.fired_count() == 0
    assert harness.calls.by_ref(call.ref) is call
    ours = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.bandwidth")
    ]
    assert any("malformed callback" in message for message in ours)
    assert not any(call.secret in message for message in ours)
    assert "Traceback" not in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_oversized_body_declared_up_front(harness: Harness) -> None:
    """A Content-Length beyond the limit is refused without reading the body."""
    call = harness.add()
    response = await harness.client.post(
        PATH,
        data=_oversized(),
        params=query(call),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 400


async def test_body_at_the_limit_is_read(harness: Harness) -> None:
    """A body of exactly 64 KiB is still a callback."""
    call = harness.add()
    body = json.dumps(callback("somethingNew", tag="")).encode()
    padding = b"x" * (64 * 1024 - len(body))
    body = body.replace(b'"tag": ""', b'"tag": "' + padding + b'"')
    assert len(body) == 64 * 1024
    response = await harness.client.post(
        PATH,
        data=body,
        params=query(call),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 204
    assert len(await harness.events(EVENT_CALLBACK)) == 1


async def test_gather_url_falls_back_to_a_relative_url(harness: Harness) -> None:
    """A call restored without its URL and no external URL: the webhook path."""
    harness.hass.config.external_url = None
    call = harness.add()
    call.webhook_url = None
    root = await harness.bxml(callback("answer"), call)
    assert root[1].get("gatherUrl") == call.callback_url(PATH)


async def test_restored_call_without_url_uses_the_current_one(harness: Harness) -> None:
    """A call restored without its URL gets the entry's current one."""
    call = harness.add()
    call.webhook_url = None
    root = await harness.bxml(callback("answer"), call)
    assert root[1].get("gatherUrl") == call.callback_url(WEBHOOK_URL)


async def test_unload_unregisters_the_webhook(harness: Harness) -> None:
    """Once unloaded, callbacks reach nothing."""
    call = harness.add()
    assert await harness.hass.config_entries.async_unload(harness.entry.entry_id)
    await harness.hass.async_block_till_done()
    response = await harness.post(callback("answer"), call)
    # Home Assistant answers 200 for unknown webhooks, not to reveal them.
    assert response.status == 200
    assert await response.read() == b""
    assert await harness.fired_count() == 0


async def test_calls_survive_a_reload(
    harness: Harness, hass_storage: dict[str, Any]
) -> None:
    """A call placed before a restart still hears its message."""
    hass, entry = harness.hass, harness.entry
    call = harness.add(machine_detection="async")
    call.machine_result = "human"
    harness.calls.changed(call)
    assert await hass.config_entries.async_unload(entry.entry_id)
    [stored] = hass_storage[f"bandwidth.calls.{entry.entry_id}"]["data"]["calls"]
    assert stored["script"]["message"] == SCRIPT.message
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    root = await harness.bxml(callback("answer"), call)
    assert root[0].text == SCRIPT.message


async def test_calls_received_need_the_entry_secret(harness: Harness) -> None:
    """initiate: the entry's inbound secret, never a call's URL, never none."""
    body = callback("initiate", "c-in-1", direction="inbound")
    for params in ({}, {"key": "wrong"}, {"key": INBOUND_SECRET[:-1]}):
        response = await harness.client.post(PATH, json=body, params=params)
        assert response.status == 401
    call = harness.add()
    response = await harness.post(body, call)
    assert response.status == 400
    assert await harness.fired_count() == 0

    root = await bxml_of(
        await harness.client.post(PATH, json=body, params={"key": INBOUND_SECRET})
    )
    # Rejected by default: never answered.
    assert verbs(root) == ["Hangup"]
    assert harness.calls.by_call_id("c-in-1") is None
