"""Tests of the spec checks, and of the sandbox's callbacks against them."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from bandwidth.models import (
    RecordingAvailableCallback,
    RecordingTranscriptions,
    TranscriptionAvailableCallback,
)

import sandbox
from sandbox import Sandbox, Scenario, basic_auth
from sandbox.player import RECORDING_PROCESSING

from .spec import CALLBACKS, check_against_spec, check_callback, property_names
from .voices import AUDIO

CREATE_CALL = {
    "to": "+15555550123",
    "from": "+15555550100",
    "applicationId": sandbox.APPLICATION_ID,
    "answerUrl": "https://ha.example.test/answer",
}
ANSWER = {
    "eventType": "answer",
    "eventTime": "2026-07-01T12:00:00.000Z",
    "callId": "c-1",
    "direction": "outbound",
    "machineDetectionResult": {"value": "human", "duration": "PT1S"},
}


def test_property_names_are_wire_names() -> None:
    """Properties are named as on the wire, never as the SDK's attributes."""
    names = property_names("createCall")
    assert {"from", "applicationId", "machineDetection", "callTimeout"} <= names
    assert not {"var_from", "application_id", "additional_properties"} & names
    assert "machineSpeechEndThreshold" in property_names(
        "machineDetectionConfiguration"
    )
    assert property_names("updateCall") >= {"state", "redirectUrl", "tag"}
    assert property_names("disconnectCallback") >= {"cause", "errorId", "endTime"}


def test_valid_bodies_pass() -> None:
    """Bodies within the spec pass, numbers as int or float where it allows."""
    check_against_spec(CREATE_CALL, "createCall")
    check_against_spec(
        {
            **CREATE_CALL,
            "answerMethod": "GET",
            "callTimeout": 45.5,
            "callbackTimeout": 10,
            "priority": 1,
            "privacy": False,
            "tag": "t" * 4096,
            "machineDetection": {"mode": "sync", "detectionTimeout": 15.5},
        },
        "createCall",
    )
    check_against_spec({"state": "completed"}, "updateCall")
    check_callback(ANSWER, "answerCallback")


@pytest.mark.parametrize(
    ("body", "schema_name"),
    [
        ([CREATE_CALL], "createCall"),
        ({**CREATE_CALL, "unknown": "x"}, "createCall"),
        ({**CREATE_CALL, "display_name": "Private"}, "createCall"),
        ({**CREATE_CALL, "additional_properties": {}}, "createCall"),
        ({**CREATE_CALL, "tag": None}, "createCall"),
        ({key: CREATE_CALL[key] for key in ("from", "applicationId")}, "createCall"),
        ({**CREATE_CALL, "to": 15555550123}, "createCall"),
        ({**CREATE_CALL, "privacy": 1}, "createCall"),
        ({**CREATE_CALL, "callTimeout": True}, "createCall"),
        ({**CREATE_CALL, "callTimeout": "30"}, "createCall"),
        ({**CREATE_CALL, "callTimeout": float("nan")}, "createCall"),
        ({**CREATE_CALL, "callTimeout": 301}, "createCall"),
        ({**CREATE_CALL, "callbackTimeout": 0.5}, "createCall"),
        ({**CREATE_CALL, "priority": 1.0}, "createCall"),
        ({**CREATE_CALL, "priority": 6}, "createCall"),
        ({**CREATE_CALL, "answerMethod": "post"}, "createCall"),
        ({**CREATE_CALL, "displayName": "x" * 257}, "createCall"),
        ({**CREATE_CALL, "tag": "t" * 4097}, "createCall"),
        ({**CREATE_CALL, "answerUrl": "https://a.test/" + "x" * 2048}, "createCall"),
        ({**CREATE_CALL, "machineDetection": "async"}, "createCall"),
        ({**CREATE_CALL, "machineDetection": {"mode": "later"}}, "createCall"),
        ({**CREATE_CALL, "machineDetection": {"timeout": 5}}, "createCall"),
        ({**CREATE_CALL, "machineDetection": {"delayResult": None}}, "createCall"),
        ({**CREATE_CALL, "machineDetection": {"silenceTimeout": "5"}}, "createCall"),
        ({"state": "hungup"}, "updateCall"),
        ({"redirectUrl": None}, "updateCall"),
    ],
)
def test_request_outside_the_spec_fails(body: Any, schema_name: str) -> None:
    """Unknown names, nulls, missing fields, wrong types, enums and limits fail."""
    with pytest.raises(AssertionError):
        check_against_spec(body, schema_name)


@pytest.mark.parametrize(
    ("body", "schema_name"),
    [
        ({**ANSWER, "eventType": "disconnect"}, "answerCallback"),
        (
            {key: value for key, value in ANSWER.items() if key != "eventType"},
            "answerCallback",
        ),
        ({**ANSWER, "eventTime": 1782907200}, "answerCallback"),
        ({**ANSWER, "eventTime": "noon"}, "answerCallback"),
        ({**ANSWER, "direction": "sideways"}, "answerCallback"),
        ({**ANSWER, "machineDetectionResult": {"result": "human"}}, "answerCallback"),
        ({**ANSWER, "call_id": "c-1"}, "answerCallback"),
        ({**ANSWER, "eventType": "createCall"}, "createCall"),
    ],
)
def test_callback_outside_the_spec_fails(body: Any, schema_name: str) -> None:
    """Callbacks carry their own event type and the schema's names and types."""
    with pytest.raises(AssertionError):
        check_callback(body, schema_name)


class Receiver:
    """An application's callback URLs: records each body, answers BXML."""

    def __init__(self, bxml: dict[str, str]) -> None:
        """Answer each path's BXML (204 for the others)."""
        self.bxml = bxml
        self.events: list[dict[str, Any]] = []
        self.app = web.Application()
        self.app.router.add_post("/{name}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """Record a callback's JSON body as it arrived."""
        self.events.append(await request.json())
        if (bxml := self.bxml.get(request.match_info["name"])) is not None:
            return web.Response(text=bxml, content_type="application/xml")
        return web.Response(status=204)


async def _callbacks(
    box: Sandbox,
    session: aiohttp.ClientSession,
    bxml: dict[str, str],
    machine_detection: dict[str, Any] | None = None,
    **extra: Any,
) -> list[dict[str, Any]]:
    """Place a call through the sandbox; return the callbacks it sent."""
    receiver = Receiver(bxml)
    server = TestServer(receiver.app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    box.lifecycle = True
    body = {
        **CREATE_CALL,
        "answerUrl": f"{url}/answer",
        "disconnectUrl": f"{url}/disconnect",
        **extra,
    }
    if machine_detection is not None:
        body["machineDetection"] = {**machine_detection, "callbackUrl": f"{url}/amd"}
    auth = {"Authorization": basic_auth(sandbox.USERNAME, sandbox.PASSWORD)}
    try:
        async with session.post(
            f"{box.url}/api/v2/accounts/{sandbox.ACCOUNT_ID}/calls",
            json=body,
            headers=auth,
        ) as response:
            assert response.status == 201
            call_id = (await response.json())["callId"]
        await box.wait_for_call(call_id)
    finally:
        await server.close()
    return receiver.events


async def test_sandbox_callbacks_follow_the_spec(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """Every callback the sandbox sends is shaped like Bandwidth's."""
    events = await _callbacks(
        bandwidth_sandbox,
        session,
        {
            "answer": '<Response><Redirect redirectUrl="/redirect"/></Response>',
            "redirect": (
                '<Response><Gather gatherUrl="/gather" maxDigits="1">'
                "<SpeakSentence>Press 1.</SpeakSentence></Gather></Response>"
            ),
            "gather": "<Response><Hangup/></Response>",
        },
        tag="door",
        machine_detection={"mode": "async"},
    )
    events += await _callbacks(
        bandwidth_sandbox,
        session,
        {"answer": "<Response><Dance/></Response>"},
        machine_detection={"mode": "sync"},
    )
    bandwidth_sandbox.scenarios[CREATE_CALL["to"]] = Scenario(outcome="busy")
    events += await _callbacks(bandwidth_sandbox, session, {})

    assert [event["eventType"] for event in events] == [
        "answer",
        "machineDetectionComplete",
        "redirect",
        "gather",
        "disconnect",
        "answer",
        "disconnect",
        "disconnect",
    ]
    for event in events:
        check_callback(event, f"{event['eventType']}Callback")
    assert events[3]["digits"] == "1"
    assert "machineDetectionResult" in events[5]
    assert "errorMessage" in events[6]
    assert "answerTime" not in events[7]
    assert set(CALLBACKS) >= {f"{event['eventType']}Callback" for event in events}


async def test_sandbox_recording_callbacks_follow_the_sdk(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A message left at a <Record>: its callbacks are shaped like Bandwidth's.

    Bandwidth's own models (its SDK) read recordingAvailable and
    transcriptionAvailable as the sandbox sends them, after the disconnect.
    """
    bandwidth_sandbox.scenarios[CREATE_CALL["to"]] = Scenario(
        message=str(AUDIO / "silence.mp3"), transcript="Call me back."
    )
    events = await _callbacks(
        bandwidth_sandbox,
        session,
        {
            "answer": (
                '<Response><Record recordingAvailableUrl="/recording"'
                ' transcriptionAvailableUrl="/transcription" transcribe="true"'
                ' maxDuration="5" fileFormat="mp3"/></Response>'
            ),
        },
    )
    for _ in range(100):
        if len(events) >= 4:
            break
        await asyncio.sleep(0.05)
    # The sandbox's own wait for a recording to be processed runs out too.
    await asyncio.sleep(RECORDING_PROCESSING * bandwidth_sandbox.time_scale + 0.1)
    kinds = [event["eventType"] for event in events]
    assert kinds == [
        "answer",
        "disconnect",
        "recordingAvailable",
        "transcriptionAvailable",
    ]
    recording = RecordingAvailableCallback.from_dict(events[2])
    assert recording is not None
    assert recording.media_url is not None
    assert recording.media_url.endswith(f"/recordings/{recording.recording_id}/media")
    assert recording.additional_properties == {}
    transcription = TranscriptionAvailableCallback.from_dict(events[3])
    assert transcription is not None
    assert transcription.transcription is not None
    assert transcription.transcription.text == "Call me back."
    assert transcription.additional_properties == {}
    # The recordings API serves the transcript as Bandwidth's model reads it.
    auth = {"Authorization": basic_auth(sandbox.USERNAME, sandbox.PASSWORD)}
    async with session.get(
        f"{recording.media_url.removesuffix('/media')}/transcription", headers=auth
    ) as response:
        assert response.status == 200
        served = RecordingTranscriptions.from_dict(await response.json())
    assert served is not None
    assert served.additional_properties == {}
    assert [part.text for part in served.transcripts or []] == ["Call me back."]
