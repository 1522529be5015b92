"""Voicemail: callers leave messages, kept on the Home Assistant machine.

Each call is played by the sandbox over real HTTP: it answers with the
greeting, records the caller's message (a WAV file the test gives), and
sends recordingAvailable and transcriptionAvailable after the disconnect,
as Bandwidth does; the messages are fetched from its recordings API.
"""

from __future__ import annotations

import json
import struct
from collections.abc import AsyncIterable
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import media_source
from homeassistant.components.media_player.browse_media import (
    async_process_play_media_url,
)
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.stt import SpeechMetadata, SpeechResult, SpeechResultState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
    mock_config_flow,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.bandwidth.api import BandwidthApiError, BandwidthConnectionError
from custom_components.bandwidth.calls import LiveCall
from custom_components.bandwidth.const import (
    CONF_INBOUND_CALLS,
    CONF_RING_TIMEOUT,
    CONF_TTS_ENTITY_ID,
    CONF_VOICEMAIL_DELETE_AT_BANDWIDTH,
    CONF_VOICEMAIL_FOR_OTHER_CALLERS,
    CONF_VOICEMAIL_GREETING,
    CONF_VOICEMAIL_RETENTION_DAYS,
    CONF_VOICEMAIL_STT_ENTITY_ID,
    CONF_VOICEMAIL_TRANSCRIPTION,
    DEFAULT_VOICEMAIL_GREETING,
    EVENT_CALLBACK,
    EVENT_VOICEMAIL_RECEIVED,
)
from custom_components.bandwidth.diagnostics import (
    async_get_config_entry_diagnostics,
)
from custom_components.bandwidth.greeting import TONE_PATH, Greeting
from custom_components.bandwidth.media_source import UNKNOWN_CALLER, message_title
from custom_components.bandwidth.voicemail import (
    EXPECT_FOR,
    MAX_MESSAGES,
    TRANSCRIPT_WAIT,
    VoicemailBox,
)
from custom_components.bandwidth.voicemail_messages import (
    Expected,
    Message,
    parse_duration,
)
from custom_components.bandwidth.voicemail_stt import async_transcribe, pcm16k
from sandbox import Call
from sandbox.audio import silence_wav

from .helpers import WEBHOOK_ID, Live, add_contact, entity_id_of
from .live_calls import (
    CALLER,
    OUR_NUMBER,
    automate,
    finish,
    ring_in,
    set_options,
)
from .voices import (
    EARS_DOMAIN,
    STT_ENTITY_ID,
    TTS_ENTITY_ID,
    FakeEars,
    VoiceFlow,
    _async_set_up_entity,
)

TRANSCRIPT = "Hi, it's Sam. Call me back."


@pytest.fixture
def message_file(tmp_path: Path) -> Path:
    """Two seconds of a caller's message, as a WAV file."""
    path = tmp_path / "message.wav"
    path.write_bytes(silence_wav(2))
    return path


def box_of(live: Live) -> VoicemailBox:
    """The entry's voicemail."""
    return live.entry.runtime_data.voicemail


def received(live: Live) -> list[dict[str, Any]]:
    """The data of every bandwidth_voicemail_received so far."""
    return [
        dict(event.data)
        for event in live.captured
        if event.event_type == EVENT_VOICEMAIL_RECEIVED
    ]


async def leave_message(live: Live, message_file: Path, **kwargs: Any) -> Call:
    """Call in, leave a message, and wait until Home Assistant is done with it."""
    call = await finish(live, ring_in(live, message=str(message_file), **kwargs))
    await live.hass.async_block_till_done(wait_background_tasks=True)
    return call


def recording_requests(live: Live) -> list[tuple[str, str]]:
    """The requests made to the sandbox's recordings API."""
    return [
        (request.method, request.path)
        for request in live.sandbox.requests
        if "/recordings/" in request.path
    ]


@pytest.fixture
async def media(hass: HomeAssistant) -> None:
    """Home Assistant's media sources, set up before its HTTP server starts."""
    assert await async_setup_component(hass, "media_source", {})


async def test_message_end_to_end(
    media: None,
    live: Live,
    message_file: Path,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A caller leaves a message: event, media browser, audio, deleted at Bandwidth."""
    hass = live.hass
    set_options(live, **{CONF_INBOUND_CALLS: "voicemail"})
    notified = async_mock_service(hass, "test", "automation")
    [device] = dr.async_entries_for_config_entry(
        dr.async_get(hass), live.entry.entry_id
    )
    await automate(
        hass,
        {
            "triggers": [
                {
                    "platform": "device",
                    "domain": "bandwidth",
                    "device_id": device.id,
                    "type": "voicemail_received",
                }
            ],
            "actions": [
                {
                    "action": "test.automation",
                    "data": {"transcript": "{{ trigger.event.data.transcript }}"},
                }
            ],
        },
    )
    call = await leave_message(live, message_file)
    await hass.async_block_till_done()
    assert [service.data for service in notified] == [
        {"transcript": "This is a message left in the sandbox."}
    ]

    assert call.spoken == [DEFAULT_VOICEMAIL_GREETING]
    # Then the tone, as the greeting says.
    [tone] = call.audio
    assert tone.ok
    assert tone.url.endswith(TONE_PATH)
    assert call.answer_time is not None
    [recording] = call.recordings
    assert [event for event, _, _ in call.callbacks][-3:] == [
        "disconnect",
        "recordingAvailable",
        "transcriptionAvailable",
    ]
    [event] = received(live)
    message_id = event["media_content_id"].rsplit("/", 1)[1]
    assert event == {
        "call_id": call.call_id,
        "from": CALLER,
        "to": OUR_NUMBER,
        "contact": None,
        "caller_verified": True,
        "duration": 2.0,
        "transcript": "This is a message left in the sandbox.",
        "media_content_id": (
            f"media-source://bandwidth/{live.entry.entry_id}/{message_id}"
        ),
        "received": event["received"],
        "config_entry_id": live.entry.entry_id,
    }
    # The transcript stays off the event entity's state.
    state = hass.states.get(entity_id_of(hass, live.entry))
    assert state is not None
    assert state.attributes["event_type"] == "voicemail_received"
    assert "transcript" not in state.attributes
    # Fetched once, then deleted at Bandwidth.
    assert recording.deleted
    path = (
        f"/api/v2/accounts/{live.sandbox.account_id}/calls/{call.call_id}"
        f"/recordings/{recording.recording_id}"
    )
    assert sorted(recording_requests(live)) == [
        ("DELETE", path),
        ("GET", f"{path}/media"),
        ("GET", f"{path}/transcription"),
    ]
    # The call's secret opens nothing any more once the message is in.
    assert live.entry.runtime_data.calls.by_call_id(call.call_id) is None
    # Diagnostics count messages; who called and what they said stay out.
    diagnostics = await async_get_config_entry_diagnostics(hass, live.entry)
    assert diagnostics["voicemail"] == {"messages": 1, "new": 1, "awaited": 0}
    assert "This is a message" not in json.dumps(diagnostics)
    assert CALLER not in json.dumps(diagnostics)

    root = await media_source.async_browse_media(hass, "media-source://bandwidth")
    assert root.title == "Voicemail"
    [child] = root.children
    assert child.title.startswith(f"{CALLER}, ")
    assert child.can_play
    resolved = await media_source.async_resolve_media(
        hass, event["media_content_id"], None
    )
    assert resolved.mime_type == "audio/wav"
    client = await hass_client()
    response = await client.get(resolved.url)
    assert response.status == HTTPStatus.OK
    assert await response.read() == recording.media
    anonymous = await hass_client_no_auth()
    assert (await anonymous.get(resolved.url)).status == HTTPStatus.UNAUTHORIZED
    signed = async_process_play_media_url(hass, resolved.url, allow_relative_url=True)
    response = await anonymous.get(signed)
    assert response.status == HTTPStatus.OK
    assert await response.read() == recording.media


async def test_no_transcription(live: Live, message_file: Path) -> None:
    """Without transcription the message is announced at once, and kept at Bandwidth."""
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "voicemail",
            CONF_VOICEMAIL_TRANSCRIPTION: "none",
            CONF_VOICEMAIL_DELETE_AT_BANDWIDTH: False,
            CONF_VOICEMAIL_GREETING: "Nobody is home.",
        },
    )
    call = await leave_message(live, message_file)
    assert call.spoken == ["Nobody is home."]
    [event] = received(live)
    assert event["transcript"] is None
    [recording] = call.recordings
    assert not recording.deleted
    assert [event for event, _, _ in call.callbacks][-1] == "recordingAvailable"


async def test_unanswered_call_goes_to_voicemail(
    live: Live, message_file: Path
) -> None:
    """Ringing for automations that do nothing: voicemail answers."""
    set_options(live, **{CONF_INBOUND_CALLS: "automation", CONF_RING_TIMEOUT: 2})
    call = await leave_message(live, message_file)
    assert call.spoken == [DEFAULT_VOICEMAIL_GREETING]
    assert len(received(live)) == 1


async def test_transcript_that_never_comes(
    live: Live, message_file: Path, hass_client: ClientSessionGenerator
) -> None:
    """A transcript that does not come holds the message back a few minutes only.

    Home Assistant restarts (the entry reloads) while it waits.
    """
    set_options(live, **{CONF_INBOUND_CALLS: "voicemail"})
    await leave_message(live, message_file, transcript=None)
    assert received(live) == []
    assert box_of(live).messages == []

    assert await live.hass.config_entries.async_reload(live.entry.entry_id)
    await live.hass.async_block_till_done()
    assert received(live) == []
    async_fire_time_changed(live.hass, dt_util.utcnow() + TRANSCRIPT_WAIT)
    await live.hass.async_block_till_done(wait_background_tasks=True)
    [event] = received(live)
    assert event["transcript"] is None
    [message] = box_of(live).messages
    assert box_of(live).path(message).exists()


async def test_messages_survive_a_restart(live: Live, message_file: Path) -> None:
    """Messages and their audio are still there after the entry reloads."""
    set_options(live, **{CONF_INBOUND_CALLS: "voicemail"})
    await leave_message(live, message_file)
    [before] = box_of(live).messages
    assert await live.hass.config_entries.async_reload(live.entry.entry_id)
    await live.hass.async_block_till_done()
    [after] = box_of(live).messages
    assert after == before
    assert box_of(live).path(after).read_bytes() == silence_wav(2)


async def test_retention(live: Live, message_file: Path) -> None:
    """Messages past the retention are deleted, audio and all."""
    set_options(live, **{CONF_INBOUND_CALLS: "voicemail"})
    await leave_message(live, message_file)
    box = box_of(live)
    [message] = box.messages
    path = box.path(message)
    set_options(live, **{CONF_VOICEMAIL_RETENTION_DAYS: 1})
    await box.async_prune()
    assert box.messages == [message]
    message.received = (dt_util.utcnow() - timedelta(days=2)).isoformat()
    async_fire_time_changed(live.hass, dt_util.utcnow() + timedelta(hours=1))
    await live.hass.async_block_till_done(wait_background_tasks=True)
    assert box.messages == []
    assert not path.exists()


async def test_at_most_200_messages(live: Live, message_file: Path) -> None:
    """Beyond 200 messages, the oldest go."""
    set_options(live, **{CONF_INBOUND_CALLS: "voicemail"})
    await leave_message(live, message_file)
    box = box_of(live)
    [message] = box.messages
    now = dt_util.utcnow()
    for number in range(MAX_MESSAGES):
        copy = Message(
            **{
                **message.__dict__,
                "id": f"m{number}",
                "received": (now + timedelta(seconds=number + 1)).isoformat(),
            }
        )
        box._messages[copy.id] = copy
    await box.async_prune()
    assert len(box.messages) == MAX_MESSAGES
    assert message not in box.messages
    assert not box.path(message).exists()


# --- Callbacks that must fetch nothing --------------------------------------------


class Caller:
    """Posts recording callbacks to the webhook, as Bandwidth would."""

    def __init__(self, live: Live, client: Any) -> None:
        """Post through this client."""
        self.live = live
        self.client = client

    async def post(self, url: str, body: dict[str, Any]) -> int:
        """Post a callback; return the status."""
        response = await self.client.post(url, json=body)
        await self.live.hass.async_block_till_done(wait_background_tasks=True)
        return response.status


def recording_body(
    live: Live, call_id: str, event_type: str = "recordingAvailable", **extra: Any
) -> dict[str, Any]:
    """A recording callback's body."""
    media_url = str(live.entry.runtime_data.client.recording_media_url(call_id, "r-1"))
    return {
        "eventType": event_type,
        "callId": call_id,
        "from": CALLER,
        "to": OUR_NUMBER,
        "recordingId": "r-1",
        "mediaUrl": media_url,
        "duration": "PT3S",
        "fileFormat": "mp3",
        "status": "complete",
        **extra,
    }


def ended_voicemail_call(live: Live) -> tuple[LiveCall, str]:
    """A voicemail call that ended: its URL opens its recording's callbacks."""
    call = LiveCall.create(None, None, direction="inbound", phase="recording")
    call.call_id = "c-ended"
    box_of(live).expect(call, {"from": CALLER, "to": OUR_NUMBER}, "Sam")
    return call, call.callback_url(f"/api/webhook/{WEBHOOK_ID}")


@pytest.fixture
async def caller(live: Live, hass_client_no_auth: ClientSessionGenerator) -> Caller:
    """Posts callbacks to the live entry's webhook."""
    return Caller(live, await hass_client_no_auth())


async def test_foreign_media_url(live: Live, caller: Caller) -> None:
    """A mediaUrl anywhere but the account's Voice API gets no request."""
    _call, url = ended_voicemail_call(live)
    body = recording_body(live, "c-ended", mediaUrl="https://evil.example/media")
    assert await caller.post(url, body) == HTTPStatus.NO_CONTENT
    assert recording_requests(live) == []
    # Replayed with Bandwidth's URL: the recording was already dealt with.
    assert await caller.post(url, recording_body(live, "c-ended")) == 204
    assert recording_requests(live) == []
    assert received(live) == []


async def test_replayed_callbacks_fetch_nothing_again(
    live: Live, caller: Caller
) -> None:
    """A replayed recordingAvailable or transcriptionAvailable adds nothing."""
    set_options(live, **{CONF_VOICEMAIL_TRANSCRIPTION: "none"})
    _call, url = ended_voicemail_call(live)
    live.sandbox.recordings.clear()
    # Nothing to fetch: the sandbox answers 404, and nothing is stored.
    assert await caller.post(url, recording_body(live, "c-ended")) == 204
    assert await caller.post(url, recording_body(live, "c-ended")) == 204
    transcript = recording_body(live, "c-ended", "transcriptionAvailable")
    assert await caller.post(url, transcript) == 204
    assert await caller.post(url, transcript) == 204
    assert recording_requests(live) == [
        (
            "GET",
            f"/api/v2/accounts/{live.sandbox.account_id}/calls/c-ended/recordings/r-1/media",
        )
    ]
    assert received(live) == []


async def test_an_ended_calls_secret_opens_nothing_else(
    live: Live, caller: Caller
) -> None:
    """Past its end, a voicemail call's URL takes its recording's callbacks only."""
    _call, url = ended_voicemail_call(live)
    body = {"eventType": "disconnect", "callId": "c-ended", "cause": "hangup"}
    assert await caller.post(url, body) == HTTPStatus.UNAUTHORIZED
    # Another call's recording, or one without a usable id: ignored.
    other = recording_body(live, "c-other")
    assert await caller.post(url, other) == 204
    no_id = recording_body(live, "c-ended", recordingId="../x")
    assert await caller.post(url, no_id) == 204
    assert recording_requests(live) == []


async def test_recording_of_a_call_that_left_no_message(
    live: Live, caller: Caller
) -> None:
    """Recording callbacks of no voicemail call fetch nothing.

    They are news like any other callback (bandwidth_callback); the Voice
    application's URL speaks for no call it did not receive.
    """
    url = f"/api/webhook/{WEBHOOK_ID}?key={live.entry.data['inbound_secret']}"
    assert await caller.post(url, recording_body(live, "c-unknown")) == 401
    # A live call that is not leaving a message.
    call = LiveCall.create(None, None, direction="inbound", phase="ringing")
    call.call_id = "c-ringing"
    live.entry.runtime_data.calls.add(call)
    own = call.callback_url(f"/api/webhook/{WEBHOOK_ID}")
    assert await caller.post(own, recording_body(live, "c-ringing")) == 204
    assert recording_requests(live) == []
    assert received(live) == []
    assert [
        event.data["call_id"]
        for event in live.captured
        if event.event_type == EVENT_CALLBACK
    ] == ["c-ringing"]


async def test_recording_error(live: Live, caller: Caller) -> None:
    """A recording Bandwidth could not make is not fetched."""
    _call, url = ended_voicemail_call(live)
    body = recording_body(live, "c-ended", status="error")
    assert await caller.post(url, body) == 204
    assert recording_requests(live) == []


def test_durations() -> None:
    """Bandwidth's ISO 8601 durations, in seconds."""
    assert parse_duration("PT7.4S") == 7.4
    assert parse_duration("PT1M2S") == 62.0
    assert parse_duration("PT1H") == 3600.0
    assert parse_duration("7 seconds") == 0.0
    assert parse_duration(None) == 0.0


def test_titles(hass: HomeAssistant) -> None:
    """A message is named after its contact, else its number, and its time."""
    message = Message(
        id="m",
        call_id="c",
        recording_id="r",
        caller=None,
        called=None,
        contact=None,
        caller_verified=False,
        duration=1,
        received="2026-12-07T13:00:00+00:00",
        format="mp3",
    )
    assert message_title(message).startswith(f"{UNKNOWN_CALLER}, 2026-12-07 ")
    message.contact = "Sam"
    assert message_title(message).startswith("Sam, ")


async def test_recording_before_the_disconnect(live: Live, caller: Caller) -> None:
    """A recording ready while its call is still up is taken in all the same."""
    live.sandbox.recordings.clear()
    call = LiveCall.create(None, None, direction="inbound", phase="recording")
    call.call_id = "c-live"
    live.entry.runtime_data.calls.add(call)
    url = call.callback_url(f"/api/webhook/{WEBHOOK_ID}")
    # Another call's recording, on this call's URL: not taken.
    assert await caller.post(url, recording_body(live, "c-other")) == 204
    assert box_of(live).expected(call.ref) is None
    assert await caller.post(url, recording_body(live, "c-live")) == 204
    expected = box_of(live).expected(call.ref)
    assert expected is not None
    # Its disconnect comes after: it stays as it is.
    box_of(live).expect(call, {}, None)
    assert box_of(live).expected(call.ref) is expected
    assert len(recording_requests(live)) == 1


# --- The Voicemail sensor and the actions ----------------------------------------


def sensor_id(live: Live) -> str:
    """The entity id of the entry's Voicemail sensor."""
    entity_id = er.async_get(live.hass).async_get_entity_id(
        "sensor", "bandwidth", f"{live.entry.entry_id}_voicemail"
    )
    assert entity_id is not None
    return entity_id


async def voicemail_action(live: Live, action: str, **data: Any) -> None:
    """Run bandwidth.mark_voicemail_heard or bandwidth.delete_voicemail."""
    await live.hass.services.async_call("bandwidth", action, data, blocking=True)
    await live.hass.async_block_till_done()


async def test_sensor_and_actions(live: Live, message_file: Path) -> None:
    """The sensor counts new messages; the actions mark them heard and delete them."""
    hass = live.hass
    set_options(live, **{CONF_INBOUND_CALLS: "voicemail"})
    state = hass.states.get(sensor_id(live))
    assert state is not None
    assert state.state == "0"
    assert state.attributes["newest_caller"] is None
    await leave_message(live, message_file)
    await leave_message(live, message_file)
    newest, oldest = [event["media_content_id"] for event in reversed(received(live))]
    state = hass.states.get(sensor_id(live))
    assert state is not None
    assert state.state == "2"
    assert state.attributes["newest_caller"] == CALLER
    assert state.attributes["newest_received"] == received(live)[1]["received"]
    assert "transcript" not in state.attributes

    await voicemail_action(live, "mark_voicemail_heard", media_content_id=oldest)
    assert hass.states.get(sensor_id(live)).state == "1"  # type: ignore[union-attr]
    await voicemail_action(live, "mark_voicemail_heard")
    assert hass.states.get(sensor_id(live)).state == "0"  # type: ignore[union-attr]

    # Refused: nothing is deleted.
    box = box_of(live)
    for content_id, key in (
        ([newest, "media-source://bandwidth/other/x"], "voicemail_not_found"),
        (f"{newest}0", "voicemail_not_found"),
        ("media-source://tts/x", "voicemail_not_found"),
        ([], "invalid_value"),
        (7, "invalid_value"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await voicemail_action(
                live, "delete_voicemail", media_content_id=content_id
            )
        assert err.value.translation_key == key
    assert len(box.messages) == 2

    paths = [box.path(message) for message in box.messages]
    await voicemail_action(live, "delete_voicemail", media_content_id=[newest])
    [kept] = box.messages
    assert kept.id == oldest.rsplit("/", 1)[1]
    assert not paths[0].exists()
    assert paths[1].exists()
    await voicemail_action(
        live, "delete_voicemail", config_entry_id=live.entry.entry_id
    )
    assert box.messages == []
    assert not paths[1].exists()
    assert hass.states.get(sensor_id(live)).attributes["newest_caller"] is None  # type: ignore[union-attr]


async def test_media_source_without_the_message(
    media: None,
    live: Live,
    hass_client: ClientSessionGenerator,
) -> None:
    """Unknown messages and entries neither browse, resolve nor play."""
    hass = live.hass
    for content_id in (
        f"media-source://bandwidth/{live.entry.entry_id}/nope",
        "media-source://bandwidth/no-entry/nope",
    ):
        with pytest.raises(media_source.Unresolvable):
            await media_source.async_resolve_media(hass, content_id, None)
    with pytest.raises(BrowseError):
        await media_source.async_browse_media(hass, "media-source://bandwidth/x")
    root = await media_source.async_browse_media(hass, "media-source://bandwidth")
    assert root.children == []
    client = await hass_client()
    response = await client.get(f"/api/bandwidth/voicemail/{live.entry.entry_id}/x")
    assert response.status == HTTPStatus.NOT_FOUND


async def test_removing_the_entry_deletes_its_messages(
    live: Live, message_file: Path
) -> None:
    """Messages and their details go with the entry."""
    set_options(live, **{CONF_INBOUND_CALLS: "voicemail"})
    await leave_message(live, message_file)
    directory = box_of(live).directory
    assert directory.exists()
    assert await live.hass.config_entries.async_remove(live.entry.entry_id)
    await live.hass.async_block_till_done()
    assert not directory.exists()


# --- The voicemail box on its own -----------------------------------------------------


class FakeClient:
    """Bandwidth's recordings API, answering as a test says."""

    def __init__(
        self,
        *,
        media: bytes | Exception = b"ID3 audio",
        transcript: str | Exception | None = "Hello.",
        delete: Exception | None = None,
    ) -> None:
        """Answer with these (an exception is raised)."""
        self.media, self.transcript, self.delete = media, transcript, delete
        self.requests: list[str] = []

    def recording_media_url(self, call_id: str, recording_id: str) -> str:
        """Where the media is."""
        return f"https://voice.example/{call_id}/{recording_id}/media"

    async def get_recording_media(self, _call_id: str, _recording_id: str) -> bytes:
        """The media, or the error."""
        self.requests.append("media")
        if isinstance(self.media, Exception):
            raise self.media
        return self.media

    async def get_transcription(self, _call_id: str, _recording_id: str) -> str | None:
        """The transcript, or the error."""
        self.requests.append("transcription")
        if isinstance(self.transcript, Exception):
            raise self.transcript
        return self.transcript

    async def delete_recording(self, _call_id: str, _recording_id: str) -> None:
        """Delete it, or fail."""
        self.requests.append("delete")
        if self.delete is not None:
            raise self.delete


async def a_box(
    hass: HomeAssistant, client: FakeClient, **options: Any
) -> VoicemailBox:
    """A loaded voicemail box of an entry "e1"."""
    box = VoicemailBox(hass, "e1", client, lambda: options)  # type: ignore[arg-type]
    await box.async_load()
    return box


def an_expected_call(box: VoicemailBox, call_id: str = "c-1") -> LiveCall:
    """A voicemail call that ended, expected by the box."""
    call = LiveCall.create(None, None, direction="inbound", phase="recording")
    call.call_id = call_id
    box.expect(call, {"from": CALLER, "to": OUR_NUMBER}, None)
    return call


def available(box: VoicemailBox, call: LiveCall, event_type: str) -> None:
    """Deliver a recording callback of the call to the box."""
    expected = box.expected(call.ref)
    assert expected is not None
    box.receive(
        expected,
        event_type,
        {
            "callId": call.call_id,
            "recordingId": "r-1",
            "mediaUrl": f"https://voice.example/{call.call_id}/r-1/media",
            "duration": "PT1S",
        },
    )


async def test_transcript_before_the_recording_is_stored(
    hass: HomeAssistant,
) -> None:
    """A transcript ready before the recording is stored is fetched after it."""
    events = async_capture_events(hass, EVENT_VOICEMAIL_RECEIVED)
    client = FakeClient(delete=BandwidthConnectionError("down"))
    box = await a_box(hass, client)
    call = an_expected_call(box)
    available(box, call, "recordingAvailable")
    available(box, call, "recordingAvailable")  # a replay
    available(box, call, "transcriptionAvailable")
    available(box, call, "transcriptionAvailable")  # a replay
    await hass.async_block_till_done(wait_background_tasks=True)
    assert client.requests == ["media", "transcription", "delete"]
    [event] = events
    assert event.data["transcript"] == "Hello."
    # Done with: nothing more is taken.
    available(box, call, "recordingAvailable")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(client.requests) == 3
    await box.async_unload()


@pytest.mark.parametrize(
    ("client", "transcript", "messages"),
    [
        (FakeClient(media=b""), None, 0),
        (FakeClient(media=BandwidthConnectionError("down")), None, 0),
        (FakeClient(transcript=BandwidthConnectionError("down")), None, 1),
        (FakeClient(transcript=None), None, 1),
    ],
)
async def test_what_bandwidth_fails_to_give(
    hass: HomeAssistant, client: FakeClient, transcript: str | None, messages: int
) -> None:
    """No audio: no message; no transcript: a message without one."""
    events = async_capture_events(hass, EVENT_VOICEMAIL_RECEIVED)
    box = await a_box(hass, client)
    call = an_expected_call(box)
    available(box, call, "recordingAvailable")
    await hass.async_block_till_done(wait_background_tasks=True)
    available(box, call, "transcriptionAvailable")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(box.messages) == messages
    assert [event.data["transcript"] for event in events] == [transcript] * messages
    await box.async_unload()


async def test_an_expected_call_runs_out_of_time(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Past its time a call's secret opens nothing; its message is announced."""
    events = async_capture_events(hass, EVENT_VOICEMAIL_RECEIVED)
    box = await a_box(hass, FakeClient())
    call = an_expected_call(box)
    available(box, call, "recordingAvailable")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []
    unheard = an_expected_call(box, "c-2")
    freezer.tick(EXPECT_FOR + timedelta(seconds=1))
    assert box.expected(unheard.ref) is None
    await box.async_prune()
    [event] = events
    assert event.data["transcript"] is None
    # Announced once, whatever comes late.
    box._announce(
        box._expected.get(call.ref)
        or Expected(
            ref="x",
            secret="x",
            call_id="c-1",
            caller=None,
            called=None,
            contact=None,
            caller_verified=False,
            transcribe=False,
            expires=0,
        ),
        box.messages[0],
    )
    assert len(events) == 1
    await box.async_unload()


async def test_unreadable_storage(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Unreadable stored messages and calls are dropped, not fatal."""
    hass_storage["bandwidth.voicemail.e1"] = {
        "version": 1,
        "data": {"messages": [{"id": "m"}], "expected": [{"ref": "r"}]},
    }
    box = await a_box(hass, FakeClient())
    assert box.messages == []
    assert box.expected("r") is None
    await box.async_unload()


async def test_transcripts_from_the_api(live: Live) -> None:
    """What Bandwidth's transcription endpoint may answer."""
    client = live.entry.runtime_data.client
    with pytest.raises(ValueError, match="recording id"):
        client.recording_media_url("c-1", "..")
    with pytest.raises(BandwidthApiError):
        await client.get_transcription("c-1", "r-none")
    for answer, transcript in (
        ({}, None),
        ({"transcripts": "no"}, None),
        ({"transcripts": [{"text": " Hi. "}, {"text": ""}, {"speaker": 1}]}, "Hi."),
    ):
        with patch.object(client, "_request", AsyncMock(return_value=answer)):
            assert await client.get_transcription("c-1", "r-1") == transcript


# --- The greeting in Home Assistant's voice -------------------------------------------


@pytest.mark.usefixtures("voice")
async def test_greeting_in_home_assistants_voice(
    live: Live, message_file: Path
) -> None:
    """With a text-to-speech entity, the greeting plays in its voice."""
    hass = live.hass
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "voicemail",
            CONF_TTS_ENTITY_ID: TTS_ENTITY_ID,
            CONF_VOICEMAIL_GREETING: "Leave it here.",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    call = await leave_message(live, message_file)
    assert call.spoken == []
    greeting_fetch, tone_fetch = call.audio
    assert greeting_fetch.ok
    assert tone_fetch.ok
    assert tone_fetch.url.endswith(TONE_PATH)
    assert len(received(live)) == 1

    # Changed, and not rendered yet: Bandwidth would speak it.
    greeting = live.entry.runtime_data.greeting
    set_options(live, **{CONF_VOICEMAIL_GREETING: "Another greeting."})
    assert greeting.for_call() is None
    await hass.async_block_till_done(wait_background_tasks=True)
    assert greeting.for_call() is not None
    # Rendered again twice a day.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=12))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert greeting.for_call() is not None


@pytest.mark.usefixtures("voice")
async def test_greeting_from_a_media_source(live: Live, message_file: Path) -> None:
    """A media source ID as greeting plays that audio."""
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "voicemail",
            CONF_VOICEMAIL_GREETING: (
                f"media-source://tts/{TTS_ENTITY_ID}?message=Hi+there"
            ),
        },
    )
    await live.hass.async_block_till_done(wait_background_tasks=True)
    call = await leave_message(live, message_file)
    assert call.spoken == []
    assert [fetch.ok for fetch in call.audio] == [True, True]


async def test_greeting_that_cannot_play(
    live: Live, message_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A media source that does not resolve: Bandwidth speaks the default greeting."""
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "voicemail",
            CONF_VOICEMAIL_GREETING: "media-source://nowhere/greeting.mp3",
        },
    )
    await live.hass.async_block_till_done(wait_background_tasks=True)
    assert "The voicemail greeting cannot be played" in caplog.text
    call = await leave_message(live, message_file)
    assert call.spoken == [DEFAULT_VOICEMAIL_GREETING]


@pytest.mark.parametrize(("language", "detect"), [("en-GB", False), ("fr", True)])
async def test_transcripts_in_home_assistants_language(
    live: Live, message_file: Path, language: str, detect: bool
) -> None:
    """Bandwidth detects the language unless Home Assistant's is English."""
    live.hass.config.language = language
    set_options(live, **{CONF_INBOUND_CALLS: "voicemail"})
    call = await leave_message(live, message_file)
    [initiate] = [
        attempt for attempt in call.attempts if attempt.event_type == "initiate"
    ]
    assert 'transcribe="true"' in initiate.body
    assert ('detectLanguage="true"' in initiate.body) is detect


@pytest.mark.usefixtures("voice_stack")
@pytest.mark.parametrize("voicemail", [True, False])
async def test_callers_assist_does_not_answer(
    live: Live, message_file: Path, voicemail: bool
) -> None:
    """With Answer with Assist, other callers may go to voicemail."""
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "assist",
            CONF_VOICEMAIL_FOR_OTHER_CALLERS: voicemail,
        },
    )
    # A contact allowed to talk to Assist, without a PIN, whose number is not
    # verified; then a stranger.
    await add_contact(live.hass, live.entry, CALLER, name="Sam", assist=True)
    unverified = await leave_message(live, message_file, verstat="TN-Validation-Failed")
    await async_remove_contacts(live)
    stranger = await leave_message(live, message_file)
    for call in (unverified, stranger):
        assert bool(call.recordings) is voicemail
        assert (call.answer_time is not None) is voicemail
    assert [event["contact"] for event in received(live)] == (
        ["Sam", None] if voicemail else []
    )
    assert [event["caller_verified"] for event in received(live)] == (
        [False, True] if voicemail else []
    )


async def async_remove_contacts(live: Live) -> None:
    """Forget the entry's contacts."""
    for subentry_id in list(live.entry.subentries):
        live.hass.config_entries.async_remove_subentry(live.entry, subentry_id)
    await live.hass.async_block_till_done()


async def test_transcript_first_and_replayed(hass: HomeAssistant) -> None:
    """A transcript announced (twice) before its recording is fetched once."""
    client = FakeClient()
    box = await a_box(hass, client)
    call = an_expected_call(box)
    available(box, call, "transcriptionAvailable")
    available(box, call, "transcriptionAvailable")
    assert client.requests == []
    available(box, call, "recordingAvailable")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert client.requests == ["media", "transcription", "delete"]
    await box.async_unload()


async def test_no_tone_without_an_address(hass: HomeAssistant) -> None:
    """Without an address Bandwidth can fetch audio from, no tone plays."""
    assert Greeting(hass, dict).tone_url() is None


# --- Transcripts by Home Assistant's speech-to-text ----------------------------------


async def test_speech_to_text(ears: FakeEars, live: Live, message_file: Path) -> None:
    """Home Assistant's speech-to-text transcribes the message, recorded as WAV."""
    ears.texts = ["Call me back, it's Sam."]
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "voicemail",
            CONF_VOICEMAIL_TRANSCRIPTION: "stt",
            CONF_VOICEMAIL_STT_ENTITY_ID: STT_ENTITY_ID,
        },
    )
    call = await leave_message(live, message_file)
    [initiate] = [
        attempt for attempt in call.attempts if attempt.event_type == "initiate"
    ]
    assert 'fileFormat="wav"' in initiate.body
    assert "transcribe" not in initiate.body
    [event] = received(live)
    assert event["transcript"] == "Call me back, it's Sam."
    # Two seconds of 8 kHz audio, heard at 16 kHz, 16-bit.
    assert ears.heard == [2 * 16000 * 2]
    [message] = box_of(live).messages
    assert message.format == "wav"


async def test_speech_to_text_entity_gone(live: Live, message_file: Path) -> None:
    """Without its speech-to-text entity, a message comes without a transcript."""
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "voicemail",
            CONF_VOICEMAIL_TRANSCRIPTION: "stt",
            CONF_VOICEMAIL_STT_ENTITY_ID: "stt.gone",
        },
    )
    await leave_message(live, message_file)
    [event] = received(live)
    assert event["transcript"] is None


def wav(tag: int, rate: int, bits: int, data: bytes, channels: int = 1) -> bytes:
    """A WAV file of this format."""
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * bits // 8, bits // 8, bits)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def test_audio_for_speech_to_text() -> None:
    """Telephone WAV becomes 16 kHz 16-bit PCM; anything else is not heard."""
    assert pcm16k(wav(1, 16000, 16, b"\x01\x00")) == b"\x01\x00"
    # Other chunks (LIST, an odd size padded) are skipped.
    listed = wav(1, 16000, 16, b"\x01\x00")
    listed = listed[:12] + b"LIST" + struct.pack("<I", 3) + b"abc\x00" + listed[12:]
    assert pcm16k(listed) == b"\x01\x00"
    assert len(pcm16k(wav(1, 8000, 16, bytes(4))) or b"") == 8
    assert len(pcm16k(wav(7, 8000, 8, bytes(3))) or b"") == 12
    for unheard in (
        b"ID3 an mp3",
        wav(1, 8000, 16, bytes(4), channels=2),
        wav(1, 44100, 16, bytes(4)),
        wav(7, 16000, 8, bytes(4)),
        wav(1, 8000, 16, b"")[:36],
    ):
        assert pcm16k(unheard) is None


class Deaf(FakeEars):
    """Hears in other languages only, or fails."""

    def __init__(self, languages: list[str], *, error: bool = False) -> None:
        """Speak these languages; fail when told to."""
        super().__init__()
        self.languages = languages
        self.error = error

    @property
    def supported_languages(self) -> list[str]:
        """The languages given."""
        return self.languages

    async def async_process_audio_stream(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> SpeechResult:
        """Fail, or hear nothing."""
        if self.error:
            raise HomeAssistantError("broken")
        self.texts = [metadata.language]
        result = await super().async_process_audio_stream(metadata, stream)
        if metadata.language == "fr-CA":
            return SpeechResult(None, SpeechResultState.ERROR)
        return result


@pytest.mark.parametrize(
    ("ears", "language", "transcript"),
    [
        (Deaf(["de-DE"]), "en-US", None),
        (Deaf(["en-GB", "en-US"]), "en-US", "en-US"),
        (Deaf(["en-GB"]), "en", "en-GB"),
        (Deaf(["fr-CA"]), "fr", None),
        (Deaf(["en-US"], error=True), "en-US", None),
    ],
)
async def test_speech_to_text_languages(
    hass: HomeAssistant, ears: Deaf, language: str, transcript: str | None
) -> None:
    """The entity hears in Home Assistant's language, or the closest it speaks."""
    hass.config.language = language
    with mock_config_flow(EARS_DOMAIN, VoiceFlow):
        await _async_set_up_entity(hass, EARS_DOMAIN, "stt", ears, STT_ENTITY_ID)
    message = wav(1, 8000, 16, bytes(1600))
    assert await async_transcribe(hass, STT_ENTITY_ID, message) == transcript
    assert await async_transcribe(hass, STT_ENTITY_ID, b"not audio") is None
