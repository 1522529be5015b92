"""Home Assistant's voices and media on calls.

Texts are rendered by a text-to-speech entity, and media source IDs
resolved, before Bandwidth is asked to place or update a call: the BXML
answering its callbacks then only names URLs whose audio is ready, built
without waiting on anything. A failure is the action's error, and nothing is
sent.

Rendered audio is served to Bandwidth by this integration's own view, without
a login, under names of each call's own: unguessable, and never given to
another call, even one speaking the same text. A name is served while a call
playing it is live, across restarts (Home Assistant's own TTS URLs expire
within minutes and do not survive one), and for a short grace after the call
ended; then it is a 404. The audio itself is rendered once per text and
voice and shared by the names of every call speaking it; what is kept in
memory is bounded, and audio let go of is rendered again from Home
Assistant's TTS cache when asked for. Other media (local files, say) is
served by Home Assistant on a path signed for as long as a call may last.
Either way Bandwidth fetches the audio from Home Assistant's external URL
(or Home Assistant Cloud's remote access): a cloudhook carries text only.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final
from urllib.parse import quote

from aiohttp import web
from homeassistant.core import HassJob, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from .call_store import MAX_AGE
from .calls import NO_MEDIA, Media, Speech
from .cloudhook import async_direct_url
from .const import DOMAIN, LOGGER
from .validation import MAX_CALL_TIMEOUT

DATA_AUDIO: HassKey[AudioLibrary] = HassKey(f"{DOMAIN}_audio")
AUDIO_PATH: Final = "/api/bandwidth/audio"
QUERY_CLIP: Final = "clip"
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
# How long a name is still served once no live call plays it. Bandwidth
# fetches audio while the call plays it, never after the call ended; but a
# call's disconnect callback and a fetch begun just before the hang-up travel
# separately, and a fetch may be slow or tried again, so the disconnect can
# arrive first. A minute is ample for that, and short enough that what a call
# said ("the alarm code is 1234") is out of reach soon after it ended.
GRACE: Final = timedelta(seconds=60)
# Bandwidth may cache audio this long: a name always serves the same audio.
CACHE_CONTROL: Final = "private, max-age=86400, immutable"


@dataclass(slots=True)
class _Clip:
    """Audio served under one name: where it comes from, and who may play it."""

    source: str  # a text-to-speech media source ID
    extension: str
    # The references of the live calls given the name; once none is left,
    # the name expires after the grace.
    owners: set[str] = field(default_factory=set)


@dataclass(frozen=True, kw_only=True)
class PreparedMedia:
    """Audio ready for calls, before any call has names for it."""

    base: str = ""
    # Each text (or text-to-speech media source ID) rendered, with the media
    # source ID of its audio and that audio's extension.
    rendered: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Other media source IDs, with the signed URL every call plays them from.
    urls: Mapping[str, str] = field(default_factory=dict)

    def for_call(self) -> Media:
        """Return the audio under names of one call's own."""
        if not self.rendered:
            return Media(audio=dict(self.urls)) if self.urls else NO_MEDIA
        audio = dict(self.urls)
        clips: dict[str, str] = {}
        for key, (source, extension) in self.rendered.items():
            name = f"{secrets.token_urlsafe(16)}.{extension}"
            # The name is the credential: in the query, out of the paths
            # Home Assistant logs; the path keeps only the format.
            audio[key] = (
                f"{self.base}{AUDIO_PATH}/audio.{extension}?{QUERY_CLIP}={name}"
            )
            clips[name] = source
        return Media(audio=audio, clips=clips)


NOTHING_PREPARED: Final = PreparedMedia()


class UnplayableAudioError(HomeAssistantError):
    """An engine gave audio in a format Bandwidth does not play."""


class AudioLibrary:
    """Rendered audio, served to Bandwidth under the names of live calls.

    Calls' names are lent by the entries' call stores: when a call is placed
    (or restored after a restart) and when an automation gives it a step.
    When the call is forgotten (it ended, or is too old to be live) its names
    are released, and expire after the grace.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Keep the audio of calls rendered by this Home Assistant."""
        self._hass = hass
        self._clips: dict[str, _Clip] = {}  # name -> clip
        # source -> (extension, audio), least recently used first.
        self._audio: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._bytes = 0

    async def async_render(self, source: str) -> str:
        """Render a source's audio, unless it is at hand; return its extension.

        Raises:
            UnplayableAudioError: the engine's audio is not MP3 or WAV.
            HomeAssistantError (or whatever the engine raises): rendering failed.

        """
        if (rendered := self._audio.get(source)) is not None:
            self._audio.move_to_end(source)
            return rendered[0]
        extension, data = await _async_render(self._hass, source)
        self._keep(source, extension, data)
        return extension

    @callback
    def lend(self, owner: str, clips: Mapping[str, str]) -> None:
        """Serve names (to their media source IDs) while the call `owner` lives."""
        for name, source in clips.items():
            if (clip := self._clips.get(name)) is None:
                extension = name.rpartition(".")[2]
                if extension not in CONTENT_TYPES:
                    continue
                clip = self._clips[name] = _Clip(source=source, extension=extension)
            clip.owners.add(owner)

    @callback
    def release(self, owner: str, names: Iterable[str]) -> None:
        """Let the names of a call that ended expire, after the grace."""
        released: list[str] = []
        for name in names:
            if (clip := self._clips.get(name)) is not None and owner in clip.owners:
                clip.owners.discard(owner)
                if not clip.owners:
                    released.append(name)
        if released:
            async_call_later(
                self._hass,
                GRACE,
                HassJob(
                    partial(self._expire, released),
                    f"{DOMAIN} audio expiry",
                    cancel_on_shutdown=True,
                ),
            )

    @callback
    def _expire(self, names: list[str], _now: datetime) -> None:
        """Stop serving names no call was given again meanwhile."""
        for name in names:
            if (clip := self._clips.get(name)) is not None and not clip.owners:
                del self._clips[name]

    async def async_audio(self, name: str) -> tuple[bytes, str] | None:
        """Return the audio served under a name and its content type.

        Audio let go of (or not rendered since a restart) is rendered again,
        from Home Assistant's TTS cache when it still has it.
        """
        if (clip := self._clips.get(name)) is None:
            return None
        if (rendered := self._audio.get(clip.source)) is not None:
            self._audio.move_to_end(clip.source)
            extension, data = rendered
        else:
            try:
                extension, data = await _async_render(self._hass, clip.source)
            except Exception as err:  # noqa: BLE001 - any engine failure is a 404
                LOGGER.warning("Could not render audio for a call again: %s", err)
                return None
            self._keep(clip.source, extension, data)
        return data, CONTENT_TYPES[extension]

    def _keep(self, source: str, extension: str, data: bytes) -> None:
        """Keep a source's audio; let go of the least recently used beyond the bound."""
        if (previous := self._audio.pop(source, None)) is not None:
            self._bytes -= len(previous[1])
        self._audio[source] = (extension, data)
        self._bytes += len(data)
        while self._bytes > MAX_BYTES:
            _, (_, dropped) = self._audio.popitem(last=False)
            self._bytes -= len(dropped)


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
    proxy, and only while its call lives (and the grace after); unknown and
    expired names get a plain 404.
    """

    url = AUDIO_PATH + "/{file}"
    name = "api:bandwidth:audio"
    requires_auth = False

    def __init__(self, library: AudioLibrary) -> None:
        """Serve the library's audio."""
        self._library = library

    async def get(self, request: web.Request, file: str) -> web.Response:
        """Return the audio under a name.

        The name is in the query; calls placed before it moved there name it
        in the path.
        """
        name = request.query.get(QUERY_CLIP) or file
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


def needs_preparing(speech: Speech | None, audio_url: str | None) -> bool:
    """Return whether Home Assistant renders or resolves anything for a call."""
    return speech is not None or bool(audio_url and audio_url.startswith(MEDIA_SOURCE))


async def async_prepare_media(
    hass: HomeAssistant,
    *,
    texts: Collection[str],
    audio_url: str | None,
    speech: Speech | None,
) -> PreparedMedia:
    """Render the texts with `speech` and resolve a media source `audio_url`.

    Each call then takes the audio under names of its own (`for_call`).

    Raises:
        ServiceValidationError: the TTS entity, its language or options, or
            the media source ID are not usable.
        HomeAssistantError: Bandwidth cannot reach Home Assistant for audio,
            or the engine failed.

    """
    if not needs_preparing(speech, audio_url):
        return NOTHING_PREPARED
    base = _audio_base_url(hass)
    sources: dict[str, str] = {}  # text or media source ID -> TTS source
    urls: dict[str, str] = {}
    if speech is not None:
        for text in dict.fromkeys(texts):
            sources[text] = _tts_source(hass, speech, text)
    if audio_url and audio_url.startswith(TTS_SOURCE):
        sources[audio_url] = audio_url
    elif audio_url and audio_url.startswith(MEDIA_SOURCE):
        urls[audio_url] = await _async_resolve_media(hass, audio_url, base)
    library = hass.data[DATA_AUDIO]
    engine = speech.engine if speech is not None else audio_url or ""
    try:
        extensions = await asyncio.gather(
            *(library.async_render(source) for source in sources.values())
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
    return PreparedMedia(
        base=base,
        rendered={
            key: (source, extension)
            for (key, source), extension in zip(
                sources.items(), extensions, strict=True
            )
        },
        urls=urls,
    )


def _audio_base_url(hass: HomeAssistant) -> str:
    """Return where Bandwidth can fetch audio from Home Assistant.

    Raises:
        HomeAssistantError: only a cloudhook (or nothing) reaches Home Assistant.

    """
    if (base := async_direct_url(hass)) is None:
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
