"""Home Assistant's voices and media on calls.

Texts are rendered by a text-to-speech entity, and media source IDs
resolved, before Bandwidth is asked to place or update a call: the BXML
answering its callbacks then only names URLs whose audio is ready, built
without waiting on anything. A failure is the action's error, and nothing is
sent.

Rendered audio is served to Bandwidth by this integration's own view, under
an unguessable name, for as long as calls may need it: Home Assistant's own
TTS URLs expire within minutes and do not survive a restart. What the view
keeps in memory is bounded; audio it let go of is rendered again from Home
Assistant's TTS cache when asked for. Other media (local files, say) is
served by Home Assistant on a path signed for as long as a call may last.
Either way Bandwidth fetches the audio from Home Assistant's external URL
(or Home Assistant Cloud's remote access): a cloudhook carries text only.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final
from urllib.parse import quote

from aiohttp import web
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from .calls import MAX_AGE, NO_MEDIA, CallStore, Media, Speech
from .const import DOMAIN, LOGGER
from .validation import MAX_CALL_TIMEOUT

DATA_AUDIO: HassKey[AudioLibrary] = HassKey(f"{DOMAIN}_audio")
AUDIO_PATH: Final = "/api/bandwidth/audio"
MEDIA_SOURCE: Final = "media-source://"
TTS_SOURCE: Final = "media-source://tts/"
# Every engine can give MP3, which Bandwidth plays at any sample rate; Home
# Assistant converts with ffmpeg only when the engine cannot.
PREFERRED_FORMAT: Final = {"preferred_format": "mp3"}
# What Bandwidth's PlayAudio plays, by content type, and what it is served as.
PLAYABLE_TYPES: Final = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mpeg3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
}
CONTENT_TYPES: Final = {"mp3": "audio/mpeg", "wav": "audio/wav"}
# A signed media path must outlive the longest ring and the longest call.
SIGNED_FOR: Final = timedelta(seconds=MAX_CALL_TIMEOUT + MAX_AGE)
# The audio kept in memory for Bandwidth to fetch; beyond it the least
# recently used is rendered again (from Home Assistant's cache) if asked for.
MAX_BYTES: Final = 16 * 1024 * 1024
# Names remembered at most; each is a few hundred bytes.
MAX_CLIPS: Final = 5000
# Bandwidth may cache audio this long: a name always serves the same audio.
CACHE_CONTROL: Final = "private, max-age=86400, immutable"


@dataclass(kw_only=True)
class _Clip:
    """Audio served under one name: where it comes from, and maybe its bytes."""

    source: str  # a text-to-speech media source ID
    extension: str
    data: bytes | None = None


class UnplayableAudioError(HomeAssistantError):
    """An engine gave audio in a format Bandwidth does not play."""


class AudioLibrary:
    """Rendered audio served to Bandwidth by name, rendered once per source."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Keep the audio of calls rendered by this Home Assistant."""
        self._hass = hass
        # name -> clip, least recently used first.
        self._clips: OrderedDict[str, _Clip] = OrderedDict()
        self._names: dict[str, str] = {}  # source -> name
        self._bytes = 0

    async def async_clip(self, source: str) -> str:
        """Return the name serving a source's audio, rendering it if needed.

        Raises:
            UnplayableAudioError: the engine's audio is not MP3 or WAV.
            HomeAssistantError (or whatever the engine raises): rendering failed.

        """
        name = self._names.get(source)
        if name is not None and self._clips[name].data is not None:
            self._clips.move_to_end(name)
            return name
        extension, data = await _async_render(self._hass, source)
        name = name or f"{secrets.token_urlsafe(16)}.{extension}"
        self._store(name, _Clip(source=source, extension=extension, data=data))
        return name

    @callback
    def restore(self, clips: dict[str, str]) -> None:
        """Serve again, after a restart, the audio of calls still live."""
        for name, source in clips.items():
            extension = name.rsplit(".", 1)[-1]
            if name not in self._clips and extension in CONTENT_TYPES:
                self._clips[name] = _Clip(source=source, extension=extension)
                self._names.setdefault(source, name)
        self._trim()

    async def async_audio(self, name: str) -> tuple[bytes, str] | None:
        """Return the audio served under a name and its content type.

        Audio let go of (or not rendered since a restart) is rendered again,
        from Home Assistant's TTS cache when it still has it.
        """
        if (clip := self._clips.get(name)) is None:
            return None
        self._clips.move_to_end(name)
        if clip.data is None:
            try:
                extension, data = await _async_render(self._hass, clip.source)
            except Exception as err:  # noqa: BLE001 - any engine failure is a 404
                LOGGER.warning("Could not render audio for a call again: %s", err)
                return None
            clip = _Clip(source=clip.source, extension=extension, data=data)
            self._store(name, clip)
        assert clip.data is not None  # noqa: S101 - rendered just above
        return clip.data, CONTENT_TYPES[clip.extension]

    def _store(self, name: str, clip: _Clip) -> None:
        previous = self._clips.pop(name, None) or _Clip(source="", extension="")
        self._bytes += len(clip.data or b"") - len(previous.data or b"")
        self._clips[name] = clip
        self._names[clip.source] = name
        self._trim()

    def _trim(self) -> None:
        """Let go of the least recently used audio, then of the oldest names."""
        for clip in self._clips.values():
            if self._bytes <= MAX_BYTES:
                break
            self._bytes -= len(clip.data or b"")
            clip.data = None
        while len(self._clips) > MAX_CLIPS:
            _, clip = self._clips.popitem(last=False)
            self._bytes -= len(clip.data or b"")
            # Were the source under another name too, it is rendered anew.
            self._names.pop(clip.source, None)


async def _async_render(hass: HomeAssistant, source: str) -> tuple[str, bytes]:
    """Render a text-to-speech media source ID; return (extension, audio)."""
    from homeassistant.components import tts  # noqa: PLC0415 - only when used

    extension, data = await tts.async_get_media_source_audio(hass, source)
    if extension not in CONTENT_TYPES or not data:
        raise UnplayableAudioError(extension)
    return extension, data


class AudioView(HomeAssistantView):
    """Serves the audio rendered for calls to Bandwidth, which has no login.

    The unguessable name is the credential, as for Home Assistant's own TTS
    proxy; unknown names get a plain 404.
    """

    url = AUDIO_PATH + "/{name}"
    name = "api:bandwidth:audio"
    requires_auth = False

    def __init__(self, library: AudioLibrary) -> None:
        """Serve the library's audio."""
        self._library = library

    async def get(self, request: web.Request, name: str) -> web.Response:  # noqa: ARG002
        """Return the audio under a name."""
        if (found := await self._library.async_audio(name)) is None:
            return web.Response(status=404)
        data, content_type = found
        return web.Response(
            body=data,
            content_type=content_type,
            headers={"Cache-Control": CACHE_CONTROL},
        )


@callback
def async_setup_audio(hass: HomeAssistant) -> None:
    """Start serving the audio of calls (once, for every entry)."""
    library = hass.data[DATA_AUDIO] = AudioLibrary(hass)
    hass.http.register_view(AudioView(library))


@callback
def restore_audio(hass: HomeAssistant, calls: CallStore) -> None:
    """Serve again the audio of calls that were live before a restart."""
    library = hass.data[DATA_AUDIO]
    for call in calls.live:
        if call.script is not None:
            library.restore(call.script.media.clips)
        if call.pending is not None:
            library.restore(call.pending.media.clips)


def needs_preparing(speech: Speech | None, audio_url: str | None) -> bool:
    """Return whether Home Assistant renders or resolves anything for a call."""
    return speech is not None or bool(audio_url and audio_url.startswith(MEDIA_SOURCE))


async def async_prepare_media(
    hass: HomeAssistant,
    *,
    texts: Collection[str],
    audio_url: str | None,
    speech: Speech | None,
) -> Media:
    """Render the texts with `speech` and resolve a media source `audio_url`.

    Raises:
        ServiceValidationError: the TTS entity, its language or options, or
            the media source ID are not usable.
        HomeAssistantError: Bandwidth cannot reach Home Assistant for audio,
            or the engine failed.

    """
    if not needs_preparing(speech, audio_url):
        return NO_MEDIA
    base = _audio_base_url(hass)
    sources: dict[str, str] = {}  # text or media source ID -> TTS source
    audio: dict[str, str] = {}
    if speech is not None:
        for text in dict.fromkeys(texts):
            sources[text] = _tts_source(hass, speech, text)
    if audio_url and audio_url.startswith(TTS_SOURCE):
        sources[audio_url] = audio_url
    elif audio_url and audio_url.startswith(MEDIA_SOURCE):
        audio[audio_url] = await _async_resolve_media(hass, audio_url, base)
    library = hass.data[DATA_AUDIO]
    engine = speech.engine if speech is not None else audio_url or ""
    try:
        names = await asyncio.gather(
            *(library.async_clip(source) for source in sources.values())
        )
    except UnplayableAudioError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="tts_unplayable",
            translation_placeholders={"entity_id": engine, "format": str(err)},
        ) from err
    except Exception as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="tts_failed",
            translation_placeholders={"entity_id": engine, "error": str(err)},
        ) from err
    clips: dict[str, str] = {}
    for key, name in zip(sources, names, strict=True):
        audio[key] = f"{base}{AUDIO_PATH}/{name}"
        clips[name] = sources[key]
    return Media(audio=audio, clips=clips)


@callback
def audio_base_url(hass: HomeAssistant) -> str | None:
    """Return where Bandwidth can fetch audio from Home Assistant, if anywhere.

    The external URL, else Home Assistant Cloud's remote access: a cloudhook
    relays text, not audio.
    """
    try:
        return get_url(hass, allow_internal=False, prefer_external=True)
    except NoURLAvailableError:
        return None


def _audio_base_url(hass: HomeAssistant) -> str:
    """Return where Bandwidth can fetch audio from Home Assistant.

    Raises:
        HomeAssistantError: only a cloudhook (or nothing) reaches Home Assistant.

    """
    if (base := audio_base_url(hass)) is None:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="audio_unreachable"
        )
    return base


def _tts_source(hass: HomeAssistant, speech: Speech, text: str) -> str:
    """Return the media source ID of a text rendered with `speech`.

    Raises:
        ServiceValidationError: no such engine, or it refuses the language or
            the options.

    """
    if "tts" not in hass.config.components:
        raise _tts_not_found(speech.engine)
    from homeassistant.components import tts  # noqa: PLC0415 - only when used

    if tts.async_resolve_engine(hass, speech.engine) is None:
        raise _tts_not_found(speech.engine)
    try:
        return tts.generate_media_source_id(
            hass,
            text,
            engine=speech.engine,
            language=speech.language,
            options={**PREFERRED_FORMAT, **(speech.options or {})},
        )
    except HomeAssistantError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="tts_refused",
            translation_placeholders={"entity_id": speech.engine, "error": str(err)},
        ) from err


@callback
def speech_error(hass: HomeAssistant, engine: str, language: str | None) -> str | None:
    """Return why calls could not speak with an engine and language, if they could not.

    Nothing is rendered: the engine is only asked whether it takes them.
    """
    try:
        _tts_source(hass, Speech(engine=engine, language=language), "")
    except ServiceValidationError as err:
        return err.translation_key
    return None


def _tts_not_found(entity_id: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="tts_not_found",
        translation_placeholders={"entity_id": entity_id},
    )


async def _async_resolve_media(hass: HomeAssistant, media_id: str, base: str) -> str:
    """Return a URL Bandwidth can fetch a media source item from for a day.

    Raises:
        ServiceValidationError: the item cannot be resolved or is not audio
            Bandwidth plays.

    """
    if "media_source" not in hass.config.components:
        raise _unresolvable(media_id, "Media Source is not set up")
    from homeassistant.components import media_source  # noqa: PLC0415
    from homeassistant.components.http.auth import async_sign_path  # noqa: PLC0415

    try:
        media = await media_source.async_resolve_media(hass, media_id, None)
    except HomeAssistantError as err:
        raise _unresolvable(media_id, str(err)) from err
    url = URL(media.url)
    content_type = media.mime_type.split(";", 1)[0].strip().lower()
    if content_type not in PLAYABLE_TYPES:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="media_unplayable",
            translation_placeholders={"media_id": media_id, "type": content_type},
        )
    if url.is_absolute():
        return str(url)
    if url.query:
        # Signed already, or needing no login: media players leave these too.
        return base + media.url
    # A path on Home Assistant, signed as media players' are, but by the
    # content user (not whoever called the action) and for a whole call.
    return base + async_sign_path(
        hass, quote(url.path), SIGNED_FOR, use_content_user=True
    )


def _unresolvable(media_id: str, error: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="media_unresolvable",
        translation_placeholders={"media_id": media_id, "error": error},
    )


def speech_settings(data: dict[str, Any]) -> Speech | None:
    """Return the text-to-speech validated action data asks for, if any."""
    if (engine := data.get("tts_entity_id")) is None:
        return None
    return Speech(
        engine=engine,
        language=data.get("language"),
        options=data.get("tts_options"),
    )
