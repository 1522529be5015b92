"""Home Assistant's voices and media on calls.

A text-to-speech entity on Home Assistant's real tts component speaks the
calls' texts; a local media folder served by Home Assistant's real media
source gives their audio. The sandbox plays the calls over real HTTP; the
audio URLs it is given are fetched from Home Assistant as Bandwidth would,
and what they return is checked for what Bandwidth plays.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from mutagen import mp3
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from yarl import URL

from custom_components.bandwidth import audio_library, media
from custom_components.bandwidth.audio_library import AUDIO_PATH, DATA_AUDIO, GRACE
from custom_components.bandwidth.bxml import GOODBYE
from custom_components.bandwidth.calls import LiveCall, Speech
from custom_components.bandwidth.const import (
    CONF_LANGUAGE,
    CONF_TTS_ENTITY_ID,
    DOMAIN,
    EVENT_GATHER_COMPLETE,
)
from custom_components.bandwidth.media import SIGNED_FOR
from sandbox import Sandbox

from .helpers import (
    EXTERNAL_URL,
    PATH,
    ClientFactory,
    Live,
    assert_refused,
    callback,
    create_call,
    created_bodies,
    query,
    rendered,
)
from .voices import MP3, TTS_ENTITY_ID, WAV, FakeVoice

TO = "+15553334444"
MESSAGE = "The garage door is open."
LOCAL_MP3 = "media-source://media_source/local/chime.mp3"


@pytest.fixture
async def media_folder(hass: HomeAssistant, tmp_path: Path, external_url: str) -> Path:
    """Home Assistant's local media, with chime.mp3 (and a few others) in it.

    After the external URL: older releases reset the media folders with the
    rest of the core configuration.
    """
    assert external_url
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "chime.mp3").write_bytes(MP3)
    (folder / "bell.wav").write_bytes(WAV)
    (folder / "song.ogg").write_bytes(b"OggS not really")
    hass.config.media_dirs = {"local": str(folder)}
    assert await async_setup_component(hass, "media_source", {})
    return folder


async def fetch(hass_client_no_auth: ClientFactory, url: str) -> tuple[int, str, bytes]:
    """GET an audio URL on Home Assistant as Bandwidth would (no login)."""
    assert url.startswith(EXTERNAL_URL), url
    client = await hass_client_no_auth()
    response = await client.get(URL(url).path_qs, allow_redirects=False)
    return response.status, response.content_type, await response.read()


def assert_mp3(data: bytes) -> None:
    """The audio is MP3 Bandwidth plays: it decodes, and lasts."""
    assert mp3.MP3(io.BytesIO(data)).info.length > 0


def nothing_sent(bandwidth_sandbox: Sandbox) -> bool:
    """No createCall or Update Call reached Bandwidth."""
    return not [
        request
        for request in bandwidth_sandbox.requests
        if request.method == "POST" and "/calls" in request.path
    ]


# --- A text-to-speech entity speaks ---------------------------------------------------


def _clip(url: str) -> str:
    """The name of a speech clip in its URL."""
    return URL(url).query["clip"]


async def test_message_spoken_by_a_tts_entity(
    voice: FakeVoice,
    live: Live,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The message is rendered before the call, played from Home Assistant."""
    [call_id] = await live.create_call(TO, message=MESSAGE, tts_entity_id=TTS_ENTITY_ID)
    call = await live.finish(call_id)

    assert call.spoken == []
    [url] = call.played
    assert url.startswith(f"{EXTERNAL_URL}{AUDIO_PATH}/")
    assert url.endswith(".mp3")
    assert voice.renders == [(MESSAGE, "en-US", {})]
    # Bandwidth (the sandbox) fetched it, and it plays.
    [played] = call.audio
    assert (played.status, played.format) == (200, "mp3")
    assert played.duration > 0
    caplog.clear()
    with caplog.at_level(logging.DEBUG, "homeassistant.helpers.http"):
        status, content_type, data = await fetch(hass_client_no_auth, url)
    assert (status, content_type, data) == (200, "audio/mpeg", MP3)
    assert_mp3(data)
    # Home Assistant logs the path it serves; the clip's name is not in it.
    served = [
        record.getMessage()
        for record in caplog.records
        if record.name == "homeassistant.helpers.http"
    ]
    assert served
    assert all(f"Serving {AUDIO_PATH}/audio.mp3 " in line for line in served)
    assert not [line for line in served if _clip(url) in line]

    # The same text in the same voice is not rendered again, but another
    # call gets it under a name of its own.
    [again] = await live.create_call(
        "+15553334445", message=MESSAGE, tts_entity_id=TTS_ENTITY_ID
    )
    [other] = (await live.finish(again)).played
    assert _clip(other) != _clip(url)
    # The name is a credential: in the query, never in the path Home
    # Assistant logs ("Serving /api/...").
    assert URL(other).path == URL(url).path == f"{AUDIO_PATH}/audio.mp3"
    assert len(voice.renders) == 1


async def test_every_text_in_the_voice(voice: FakeVoice, live: Live) -> None:
    """Message, prompt and goodbye are all the entity's; digits still work."""
    [call_id] = await live.create_call(
        TO,
        message=MESSAGE,
        machine_message="Please check the garage.",
        gather={"prompt": "Press 1 to close it.", "max_digits": 1},
        tts_entity_id=TTS_ENTITY_ID,
        language="de-DE",
        tts_options={"voice": "anna"},
    )
    call = await live.finish(call_id)

    texts = [render[0] for render in voice.renders]
    assert sorted(texts) == sorted(
        [MESSAGE, "Please check the garage.", "Press 1 to close it.", GOODBYE]
    )
    assert all(render[1:] == ("de-DE", {"voice": "anna"}) for render in voice.renders)
    assert call.spoken == []
    assert call.gathered == ["1"]
    # Message, prompt, then the goodbye after waiting for an automation.
    assert len(call.played) == 3
    assert live.last(call_id, EVENT_GATHER_COMPLETE)["digits"] == "1"


async def test_the_entrys_default_voice(
    hass: HomeAssistant, voice: FakeVoice, live: Live
) -> None:
    """The entry's default text-to-speech entity speaks calls, the notify's too."""
    hass.config_entries.async_update_entry(
        live.entry,
        options={
            **live.entry.options,
            CONF_TTS_ENTITY_ID: TTS_ENTITY_ID,
            CONF_LANGUAGE: "de-DE",
        },
    )
    [call_id] = await live.create_call(TO, message=MESSAGE)
    assert (await live.finish(call_id)).spoken == []
    assert voice.renders == [(MESSAGE, "de-DE", {})]

    # An action naming a Bandwidth voice is spoken by Bandwidth.
    [spoken] = await live.create_call(TO, message="Hello.", voice="kate")
    assert (await live.finish(spoken)).spoken == ["Hello."]
    assert len(voice.renders) == 1


async def test_steps_speak_with_the_calls_voice(
    hass: HomeAssistant, voice: FakeVoice, live: Live
) -> None:
    """update_call speaks in the voice the call was placed with, goodbye too."""
    [call_id] = await live.create_call(
        TO,
        gather={"prompt": "Press 1.", "max_digits": 1},
        tts_entity_id=TTS_ENTITY_ID,
        language="de-DE",
        tts_options={"voice": "anna"},
    )
    await live.sandbox.wait_for(lambda: bool(live.sandbox.calls[call_id].gathered))
    await hass.async_block_till_done()
    voice.renders.clear()
    await hass.services.async_call(
        DOMAIN, "update_call", {"call_id": call_id, "message": "Danke."}, blocking=True
    )
    call = await live.finish(call_id)
    assert call.spoken == []
    # The step, then (nothing more asked for) the goodbye: both in the voice.
    assert voice.renders == [("Danke.", "de-DE", {"voice": "anna"})]
    assert len(call.played) == 3
    assert all(fetch.ok for fetch in call.audio)


# --- What is refused, before anything is sent ---------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_language_needs_a_voice(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """A language without any text-to-speech entity is refused."""
    with pytest.raises(ServiceValidationError) as err:
        await create_call(hass, to=TO, message=MESSAGE, language="de-DE")
    await assert_refused(hass, err.value, "tts_entity_required", field="language")
    assert nothing_sent(bandwidth_sandbox)


@pytest.mark.usefixtures("init_integration")
async def test_no_text_to_speech_at_all(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """Without Home Assistant's tts set up, no entity can speak."""
    with pytest.raises(ServiceValidationError) as err:
        await create_call(hass, to=TO, message=MESSAGE, tts_entity_id=TTS_ENTITY_ID)
    assert err.value.translation_key == "tts_not_found"
    assert TTS_ENTITY_ID in await rendered(hass, err.value)
    assert nothing_sent(bandwidth_sandbox)


@pytest.mark.usefixtures("voice", "init_integration")
async def test_no_such_voice(hass: HomeAssistant, bandwidth_sandbox: Sandbox) -> None:
    """An entity that does not exist is refused, naming it."""
    with pytest.raises(ServiceValidationError) as err:
        await create_call(hass, to=TO, message=MESSAGE, tts_entity_id="tts.nobody")
    assert err.value.translation_key == "tts_not_found"
    assert "tts.nobody" in await rendered(hass, err.value)
    assert nothing_sent(bandwidth_sandbox)


@pytest.mark.usefixtures("init_integration", "voice")
async def test_language_the_voice_does_not_speak(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """The engine's refusal of a language is the action's, with its words."""
    with pytest.raises(ServiceValidationError) as err:
        await create_call(
            hass, to=TO, message=MESSAGE, tts_entity_id=TTS_ENTITY_ID, language="fr"
        )
    assert err.value.translation_key == "tts_refused"
    assert "fr" in await rendered(hass, err.value)
    assert nothing_sent(bandwidth_sandbox)


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("audio", "error", "key"),
    [
        (("mp3", MP3), RuntimeError("engine down"), "tts_failed"),
        ((None, None), None, "tts_failed"),
        # Not MP3 when MP3 is asked for: Home Assistant's conversion fails.
        (("ogg", b"OggS"), None, "tts_failed"),
    ],
)
async def test_rendering_fails(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    voice: FakeVoice,
    audio: tuple[str | None, bytes | None],
    error: Exception | None,
    key: str,
) -> None:
    """An engine failing: nothing is called."""
    voice.audio, voice.error = audio, error
    with pytest.raises(HomeAssistantError) as err:
        await create_call(hass, to=TO, message=MESSAGE, tts_entity_id=TTS_ENTITY_ID)
    assert err.value.translation_key == key
    assert TTS_ENTITY_ID in await rendered(hass, err.value)
    assert nothing_sent(bandwidth_sandbox)


@pytest.mark.usefixtures("init_integration")
async def test_format_bandwidth_does_not_play(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, voice: FakeVoice
) -> None:
    """Options asking the engine for a format Bandwidth cannot play are refused."""
    voice.audio = ("ogg", b"OggS")
    # The engine makes the format asked for itself: no conversion.
    voice.options = ["voice", "preferred_format"]
    with pytest.raises(HomeAssistantError) as err:
        await create_call(
            hass,
            to=TO,
            message=MESSAGE,
            tts_entity_id=TTS_ENTITY_ID,
            tts_options={"preferred_format": "ogg"},
        )
    key = "tts_unplayable"
    assert err.value.translation_key == key
    assert TTS_ENTITY_ID in await rendered(hass, err.value)
    assert nothing_sent(bandwidth_sandbox)


@pytest.mark.usefixtures("init_integration")
async def test_wav_converted_to_mp3(
    hass: HomeAssistant,
    voice: FakeVoice,
    bandwidth_sandbox: Sandbox,
    hass_client_no_auth: ClientFactory,
) -> None:
    """An engine that only speaks WAV is converted to MP3 by Home Assistant's ffmpeg."""
    voice.audio = ("wav", WAV)
    await create_call(hass, to=TO, message=MESSAGE, tts_entity_id=TTS_ENTITY_ID)
    [body] = created_bodies(bandwidth_sandbox)
    script = live_script(hass)
    url = script.media.audio[MESSAGE]
    status, content_type, data = await fetch(hass_client_no_auth, url)
    assert (status, content_type) == (200, "audio/mpeg")
    assert_mp3(data)
    assert body["answerUrl"]


def live_script(hass: HomeAssistant) -> Any:
    """The script of the one live call of the one entry."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    [call] = entry.runtime_data.calls.live
    return call.script


async def test_no_address_for_audio(
    hass: HomeAssistant, voice: FakeVoice, cloud_live: Live
) -> None:
    """Through a cloudhook alone, Bandwidth could not fetch the audio: refused."""
    with pytest.raises(HomeAssistantError) as err:
        await create_call(hass, to=TO, message=MESSAGE, tts_entity_id=TTS_ENTITY_ID)
    assert err.value.translation_key == "audio_unreachable"
    await rendered(hass, err.value)
    assert nothing_sent(cloud_live.sandbox)
    assert voice.renders == []

    # A default voice without an address is a repair issue.
    hass.config_entries.async_update_entry(
        cloud_live.entry,
        options={**cloud_live.entry.options, CONF_TTS_ENTITY_ID: TTS_ENTITY_ID},
    )
    await hass.async_block_till_done()
    issue_id = f"tts_unreachable_{cloud_live.entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {
        "title": cloud_live.entry.title,
        "external_url": "None",
        "entity_id": TTS_ENTITY_ID,
    }
    await hass.config.async_update(external_url=EXTERNAL_URL)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_cloud_remote_access_serves_audio(
    hass: HomeAssistant,
    voice: FakeVoice,
    cloud_live: Live,
    cloud: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With Home Assistant Cloud's remote access, audio goes through it.

    From Home Assistant 2026.11, remote access lists a user's own domains
    first, and Home Assistant's URL is the first whose certificate is served:
    Bandwidth is given that one.
    """
    remote = "https://abcdefgh.ui.nabu.casa"
    expected = remote
    monkeypatch.setattr(cloud, "async_remote_ui_url", lambda _hass: remote)
    if hasattr(cloud, "async_remote_ui_urls"):
        expected = "https://home.example.com"
        monkeypatch.setattr(
            cloud, "async_remote_ui_urls", lambda _hass: [expected, remote]
        )
    response = await create_call(
        hass, to=TO, message=MESSAGE, tts_entity_id=TTS_ENTITY_ID
    )
    assert "error" not in response["calls"][0]
    assert live_script(hass).media.audio[MESSAGE].startswith(f"{expected}{AUDIO_PATH}/")


# --- Media from Home Assistant's media sources ---------------------------------------


async def test_local_media(
    media_folder: Path, live: Live, hass_client_no_auth: ClientFactory
) -> None:
    """A media source ID plays from a path signed for as long as a call lasts."""
    [call_id] = await live.create_call(TO, audio_url=LOCAL_MP3)
    call = await live.finish(call_id)

    [url] = call.played
    assert URL(url).path == "/media/local/chime.mp3"
    signature = jwt.decode(
        URL(url).query["authSig"], options={"verify_signature": False}
    )
    assert signature["exp"] - signature["iat"] == SIGNED_FOR.total_seconds()
    status, _, data = await fetch(hass_client_no_auth, url)
    assert (status, data) == (200, MP3)
    assert (media_folder / "chime.mp3").read_bytes() == MP3


async def test_tts_media_source(
    voice: FakeVoice, live: Live, hass_client_no_auth: ClientFactory
) -> None:
    """A text-to-speech media source ID is rendered, then served like a message."""
    [call_id] = await live.create_call(
        TO, audio_url=f"media-source://tts/{TTS_ENTITY_ID}?message=Hello"
    )
    [url] = (await live.finish(call_id)).played
    assert URL(url).path.startswith(AUDIO_PATH)
    assert (await fetch(hass_client_no_auth, url))[0] == 200
    assert [render[0] for render in voice.renders] == ["Hello"]


@pytest.mark.usefixtures("init_integration", "media_folder")
@pytest.mark.parametrize(
    ("audio_url", "key"),
    [
        ("media-source://media_source/local/song.ogg", "media_unplayable"),
        ("media-source://media_source/elsewhere/chime.mp3", "media_unresolvable"),
        ("media-source://nothing_here/x", "media_unresolvable"),
    ],
)
async def test_media_refused(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, audio_url: str, key: str
) -> None:
    """Media Bandwidth cannot play, or Home Assistant cannot find, is refused."""
    with pytest.raises(ServiceValidationError) as err:
        await create_call(hass, to=TO, audio_url=audio_url)
    assert err.value.translation_key == key
    assert audio_url in await rendered(hass, err.value)
    assert nothing_sent(bandwidth_sandbox)


@pytest.mark.usefixtures("init_integration")
async def test_media_source_not_set_up(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """Without Media Source, no media source ID resolves."""
    with pytest.raises(ServiceValidationError) as err:
        await create_call(hass, to=TO, audio_url=LOCAL_MP3)
    assert err.value.translation_key == "media_unresolvable"
    assert nothing_sent(bandwidth_sandbox)


# --- The audio view ------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_unknown_audio(hass_client_no_auth: ClientFactory) -> None:
    """A name the library never gave is a plain 404."""
    client = await hass_client_no_auth()
    response = await client.get(f"{AUDIO_PATH}/nothing.mp3")
    assert response.status == 404


async def end_call(hass_client_no_auth: ClientFactory, call: LiveCall) -> None:
    """Deliver a call's disconnect callback, as Bandwidth would."""
    client = await hass_client_no_auth()
    response = await client.post(
        PATH,
        json=callback("disconnect", call.call_id or "", cause="hangup"),
        params=query(call),
    )
    assert response.status == 204


async def pass_time(hass: HomeAssistant, seconds: float) -> None:
    """Let `seconds` go by for Home Assistant's timers."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done()


@pytest.mark.usefixtures("voice")
async def test_speech_served_while_its_call_lives(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """A call's speech is served while it lives and a minute more, then is a 404."""
    response = await create_call(
        hass, to=[TO, "+15553334445"], message=MESSAGE, tts_entity_id=TTS_ENTITY_ID
    )
    calls = init_integration.runtime_data.calls
    first, second = (calls.by_call_id(item["call_id"]) for item in response["calls"])
    assert first is not None
    assert second is not None
    assert first.script is not None
    assert second.script is not None
    url = first.script.media.audio[MESSAGE]
    other = second.script.media.audio[MESSAGE]
    # Two calls, one text: a name each, nothing in the name from the text.
    assert _clip(url) != _clip(other)
    assert first.clips.keys().isdisjoint(second.clips)
    assert "garage" not in url.lower()
    assert (await fetch(hass_client_no_auth, url))[0] == 200

    await end_call(hass_client_no_auth, first)
    # Bandwidth may still be fetching what the call played last.
    assert (await fetch(hass_client_no_auth, url))[0] == 200
    await pass_time(hass, GRACE.total_seconds() - 5)
    assert (await fetch(hass_client_no_auth, url))[0] == 200
    await pass_time(hass, GRACE.total_seconds() + 1)
    assert (await fetch(hass_client_no_auth, url))[0] == 404
    # The other call speaking the same text still lives: its name is served.
    assert (await fetch(hass_client_no_auth, other))[0] == 200

    await end_call(hass_client_no_auth, second)
    await pass_time(hass, GRACE.total_seconds() + 1)
    assert (await fetch(hass_client_no_auth, other))[0] == 404


@pytest.mark.usefixtures("voice")
async def test_steps_speech_served_while_the_call_lives(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """A step's speech is the call's own too, and goes with it."""
    [placed] = (await create_call(hass, to=TO, message=MESSAGE))["calls"]
    call = init_integration.runtime_data.calls.by_call_id(placed["call_id"])
    assert call is not None
    assert call.clips == {}
    await hass.services.async_call(
        DOMAIN,
        "update_call",
        {"call_id": call.call_id, "message": "Danke.", "tts_entity_id": TTS_ENTITY_ID},
        blocking=True,
    )
    assert call.pending is not None
    urls = list(call.pending.media.audio.values())
    assert len(urls) == 2  # the step's message, and the goodbye after it
    assert set(call.clips) == {_clip(url) for url in urls}
    for url in urls:
        assert (await fetch(hass_client_no_auth, url))[0] == 200

    await end_call(hass_client_no_auth, call)
    await pass_time(hass, GRACE.total_seconds() + 1)
    for url in urls:
        assert (await fetch(hass_client_no_auth, url))[0] == 404


@pytest.mark.usefixtures("voice")
async def test_speech_of_an_entry_unloaded(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """A reload keeps serving its calls' speech; an entry unloaded stops."""
    await create_call(hass, to=TO, message=MESSAGE, tts_entity_id=TTS_ENTITY_ID)
    url = live_script(hass).media.audio[MESSAGE]

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await pass_time(hass, GRACE.total_seconds() + 1)
    assert (await fetch(hass_client_no_auth, url))[0] == 200

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    await pass_time(hass, GRACE.total_seconds() + 1)
    assert (await fetch(hass_client_no_auth, url))[0] == 404


async def test_audio_served_again_after_a_restart(
    hass: HomeAssistant,
    voice: FakeVoice,
    mock_config_entry: MockConfigEntry,
    external_url: str,
    hass_storage: dict[str, Any],
    hass_client_no_auth: ClientFactory,
) -> None:
    """A call placed before a restart still finds its audio after it."""
    from homeassistant.components import tts  # noqa: PLC0415

    source = tts.generate_media_source_id(
        hass, MESSAGE, TTS_ENTITY_ID, None, {"preferred_format": "mp3"}
    )
    name = "abcdefghijklmnopqrstuv.mp3"
    later = "bcdefghijklmnopqrstuvw.mp3"
    goodbye = "cdefghijklmnopqrstuvwx.mp3"
    hass_storage[f"{DOMAIN}.calls.{mock_config_entry.entry_id}"] = {
        "version": 2,
        "minor_version": 1,
        "key": f"{DOMAIN}.calls.{mock_config_entry.entry_id}",
        "data": {
            "calls": [
                {
                    "ref": "r1",
                    "secret": "s1",
                    "webhook_url": None,
                    "call_id": "c-1",
                    "script": {
                        "message": MESSAGE,
                        "media": {
                            "audio": {MESSAGE: f"{external_url}{AUDIO_PATH}/{name}"},
                            "clips": {name: source},
                        },
                    },
                    "pending": {
                        "message": "Later.",
                        "media": {
                            "audio": {"Later.": f"{external_url}{AUDIO_PATH}/{later}"},
                            "clips": {later: tts_source(hass, "Later.")},
                        },
                    },
                    "speech": {
                        "engine": TTS_ENTITY_ID,
                        "language": "de-DE",
                        "options": {"voice": "anna"},
                    },
                    "added": 9e9,
                },
                # Stored since calls keep their names: the goodbye of a step
                # played already is served too.
                {
                    "ref": "r2",
                    "secret": "s2",
                    "webhook_url": None,
                    "call_id": "c-2",
                    "phase": "holding",
                    "goodbye_audio": f"{external_url}{AUDIO_PATH}/{goodbye}",
                    "clips": {goodbye: tts_source(hass, GOODBYE)},
                    "added": 9e9,
                },
            ]
        },
    }
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    status, content_type, data = await fetch(
        hass_client_no_auth, f"{external_url}{AUDIO_PATH}/{name}"
    )
    assert (status, content_type, data) == (200, "audio/mpeg", MP3)
    assert (await fetch(hass_client_no_auth, f"{external_url}{AUDIO_PATH}/{later}"))[
        0
    ] == 200
    assert (await fetch(hass_client_no_auth, f"{external_url}{AUDIO_PATH}/{goodbye}"))[
        0
    ] == 200
    assert [render[0] for render in voice.renders] == [MESSAGE, "Later.", GOODBYE]
    call, holding = mock_config_entry.runtime_data.calls.live
    assert call.speech == Speech(
        engine=TTS_ENTITY_ID, language="de-DE", options={"voice": "anna"}
    )
    assert set(call.clips) == {name, later}

    # Once the calls end, their names go too.
    for ended in (call, holding):
        await end_call(hass_client_no_auth, ended)
    await pass_time(hass, GRACE.total_seconds() + 1)
    for gone in (name, later, goodbye):
        assert (await fetch(hass_client_no_auth, f"{external_url}{AUDIO_PATH}/{gone}"))[
            0
        ] == 404


# --- The library of rendered audio ---------------------------------------------------


def tts_source(hass: HomeAssistant, text: str) -> str:
    """The media source ID of a text in the test voice, as calls render it."""
    from homeassistant.components import tts  # noqa: PLC0415

    return tts.generate_media_source_id(
        hass, text, TTS_ENTITY_ID, None, {"preferred_format": "mp3"}
    )


@pytest.mark.usefixtures("init_integration")
async def test_library_lets_go_of_audio_and_renders_it_again(
    hass: HomeAssistant, voice: FakeVoice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its memory bound, audio is rendered again when Bandwidth asks."""
    monkeypatch.setattr(audio_library, "MAX_BYTES", len(MP3) + 1)
    library = hass.data[DATA_AUDIO]
    one, two = tts_source(hass, "One."), tts_source(hass, "Two.")
    assert await library.async_render(one) == "mp3"
    assert await library.async_render(two) == "mp3"
    assert len(voice.renders) == 2
    library.lend("call", {"one.mp3": one, "two.mp3": two})

    # The first was let go of: served again (from Home Assistant's own
    # cache), and the second is let go of in turn.
    assert library._audio.keys() == {two}
    assert await library.async_audio("one.mp3") == (MP3, "audio/mpeg")
    assert library._audio.keys() == {one}
    assert await library.async_render(one) == "mp3"
    assert await library.async_audio("two.mp3") == (MP3, "audio/mpeg")
    assert await library.async_audio("one.mp3") == (MP3, "audio/mpeg")

    # Asked for twice at once, rendered twice: kept once.
    render = audio_library._async_render

    async def slowly(hass: HomeAssistant, source: str) -> tuple[str, bytes]:
        await asyncio.sleep(0)
        return await render(hass, source)

    monkeypatch.setattr(audio_library, "_async_render", slowly)
    three = tts_source(hass, "Three.")
    await asyncio.gather(library.async_render(three), library.async_render(three))
    assert library._audio.keys() == {three}
    assert library._bytes == len(MP3)


@pytest.mark.usefixtures("init_integration")
async def test_library_serves_names_while_lent(
    hass: HomeAssistant, voice: FakeVoice
) -> None:
    """A name is served while a call has it, and a grace after the last let go."""
    library = hass.data[DATA_AUDIO]
    one = tts_source(hass, "One.")
    library.lend(
        "a",
        {
            "shared.mp3": one,
            "odd.ogg": one,
            "failing.mp3": "media-source://tts/tts.nobody?message=Three",
        },
    )
    library.lend("b", {"shared.mp3": one})
    assert await library.async_audio("odd.ogg") is None
    assert await library.async_audio("failing.mp3") is None
    assert await library.async_audio("shared.mp3") == (MP3, "audio/mpeg")

    # Let go of by one call of two, and by calls that never had it: kept.
    library.release("a", ["shared.mp3", "failing.mp3", "unknown.mp3"])
    library.release("c", ["shared.mp3"])
    await pass_time(hass, GRACE.total_seconds() + 1)
    assert set(library._clips) == {"shared.mp3"}
    assert await library.async_audio("shared.mp3") == (MP3, "audio/mpeg")

    # Given again within the grace (an entry reloaded): kept.
    library.release("b", ["shared.mp3"])
    library.lend("b", {"shared.mp3": one})
    await pass_time(hass, GRACE.total_seconds() + 1)
    assert await library.async_audio("shared.mp3") == (MP3, "audio/mpeg")

    library.release("b", ["shared.mp3"])
    await pass_time(hass, GRACE.total_seconds() + 1)
    assert await library.async_audio("shared.mp3") is None
    assert [render[0] for render in voice.renders] == ["One."]


def test_prepared_media_for_each_call() -> None:
    """Each call takes rendered audio under new names, other media as it is."""
    prepared = media.PreparedMedia(
        base=EXTERNAL_URL,
        rendered={"Hello.": ("media-source://tts/x?message=Hello.", "mp3")},
        urls={LOCAL_MP3: f"{EXTERNAL_URL}/media/local/chime.mp3?authSig=x"},
    )
    first, second = prepared.for_call(), prepared.for_call()
    assert first.audio[LOCAL_MP3] == second.audio[LOCAL_MP3]
    assert first.audio["Hello."] != second.audio["Hello."]
    [name] = first.clips
    assert first.audio["Hello."] == f"{EXTERNAL_URL}{AUDIO_PATH}/audio.mp3?clip={name}"
    assert len(name) == len("x" * 22 + ".mp3")
    only_urls = media.PreparedMedia(urls=prepared.urls)
    assert only_urls.for_call() == media.Media(audio=dict(prepared.urls))
    assert media.NOTHING_PREPARED.for_call() is media.NO_MEDIA


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("resolved", "expected"),
    [
        ("https://cdn.example.com/bell.mp3", "https://cdn.example.com/bell.mp3"),
        (
            "/api/some_proxy/bell.mp3?token=abc",
            f"{EXTERNAL_URL}/api/some_proxy/bell.mp3?token=abc",
        ),
    ],
)
async def test_media_urls_kept(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    resolved: str,
    expected: str,
) -> None:
    """URLs elsewhere, and paths already carrying their access, are not signed."""
    from homeassistant.components import media_source  # noqa: PLC0415

    assert await async_setup_component(hass, "media_source", {})

    async def resolve(*_args: Any) -> media_source.PlayMedia:
        return media_source.PlayMedia(resolved, "audio/mpeg")

    monkeypatch.setattr(media_source, "async_resolve_media", resolve)
    await create_call(hass, to=TO, audio_url="media-source://radio/bell")
    assert live_script(hass).media.audio == {"media-source://radio/bell": expected}
