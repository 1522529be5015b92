"""Recordings: their audio, their transcript, and deleting them at Bandwidth.

A recording is reached only through its call, on the account's Voice API:
.../calls/{callId}/recordings/{recordingId}.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from bandwidth_voice import BandwidthApiError, BandwidthOutcomeUnknownError

from sandbox import ACCOUNT_ID, Recording, Sandbox

from .helpers import make_client, voice_requests

CALL_ID = "c-1"
RECORDING = f"/api/v2/accounts/{ACCOUNT_ID}/calls/{CALL_ID}/recordings/r-1"
AUDIO = b"ID3\x04\x00 not quite an mp3"


@pytest.fixture
def recording(bandwidth_sandbox: Sandbox) -> Recording:
    """A recorded message of call c-1, with its transcript."""
    recording = Recording(
        recording_id="r-1",
        call_id=CALL_ID,
        media=AUDIO,
        file_format="mp3",
        duration=3.5,
        transcript="  Call me back.  ",
    )
    bandwidth_sandbox.recordings["r-1"] = recording
    return recording


async def test_media_url_and_audio(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, recording: Recording
) -> None:
    """The audio comes back as stored, from the URL its callback names."""
    client = make_client(bandwidth_sandbox, session)
    url = client.recording_media_url(CALL_ID, "r-1")
    assert str(url) == f"{bandwidth_sandbox.url}{RECORDING}/media"

    assert await client.get_recording_media(CALL_ID, "r-1") == AUDIO
    (request,) = voice_requests(bandwidth_sandbox)
    assert (request.method, request.path) == ("GET", f"{RECORDING}/media")
    assert request.headers["Accept"] == "*/*"


async def test_transcript(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, recording: Recording
) -> None:
    """The transcript's text, trimmed; a recording without one is Bandwidth's 404."""
    client = make_client(bandwidth_sandbox, session)
    assert await client.get_transcription(CALL_ID, "r-1") == "Call me back."
    assert voice_requests(bandwidth_sandbox)[-1].path == f"{RECORDING}/transcription"

    recording.transcript = None
    with pytest.raises(BandwidthApiError) as err:
        await client.get_transcription(CALL_ID, "r-1")
    assert err.value.status == 404


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"transcripts": [{"text": "Hello"}, {"text": " there "}]}, "Hello there"),
        ({"transcripts": [{"text": "Hi"}, {"text": 5}, "no", {}]}, "Hi"),
        ({"transcripts": [{"text": "  "}]}, None),
        ({"transcripts": []}, None),
        ({"transcripts": "Hello"}, None),
        ({}, None),
        ([{"text": "Hello"}], None),
        ("", None),
    ],
)
async def test_transcript_shapes(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    body: Any,
    text: str | None,
) -> None:
    """Several transcripts are joined; what holds no text is no transcript."""
    bandwidth_sandbox.fail_next(200, body, path_contains="/transcription")
    client = make_client(bandwidth_sandbox, session)
    assert await client.get_transcription(CALL_ID, "r-1") == text


async def test_unreadable_transcript(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A success answer that is not JSON is a lost answer, as for any read."""
    bandwidth_sandbox.fail_next(200, "{trunc", path_contains="/transcription")
    client = make_client(bandwidth_sandbox, session)
    with pytest.raises(BandwidthOutcomeUnknownError):
        await client.get_transcription(CALL_ID, "r-1")


async def test_delete(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, recording: Recording
) -> None:
    """Deleting removes the recording at Bandwidth; deleting again is a 404."""
    client = make_client(bandwidth_sandbox, session)
    await client.delete_recording(CALL_ID, "r-1")
    assert recording.deleted
    assert voice_requests(bandwidth_sandbox)[-1].method == "DELETE"
    assert voice_requests(bandwidth_sandbox)[-1].path == RECORDING

    with pytest.raises(BandwidthApiError) as err:
        await client.delete_recording(CALL_ID, "r-1")
    assert err.value.status == 404


async def test_recording_of_another_call(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, recording: Recording
) -> None:
    """A recording is only found through the call that made it."""
    with pytest.raises(BandwidthApiError) as err:
        await make_client(bandwidth_sandbox, session).get_recording_media("c-2", "r-1")
    assert err.value.status == 404


@pytest.mark.parametrize(("call_id", "recording_id"), [("c-1", ".."), ("..", "r-1")])
async def test_relative_ids_are_refused(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    call_id: str,
    recording_id: str,
) -> None:
    """Ids that would name the collection or its parent are never sent."""
    client = make_client(bandwidth_sandbox, session)
    with pytest.raises(ValueError, match="Invalid"):
        client.recording_media_url(call_id, recording_id)
    for operation in (
        client.get_recording_media,
        client.get_transcription,
        client.delete_recording,
    ):
        with pytest.raises(ValueError, match="Invalid"):
            await operation(call_id, recording_id)
    assert bandwidth_sandbox.requests == []
