"""Home Assistant's voices and media on calls.

Texts are rendered by a text-to-speech entity, and media source IDs
resolved, before Bandwidth is asked to place or update a call: the BXML
answering its callbacks then only names URLs whose audio is ready, built
without waiting on anything. A failure is the action's error, and nothing is
sent.

Rendered audio is served to Bandwidth under names of each call's own
(audio_library.py). Other media (local files, say) is served by Home
Assistant on a path signed for as long as a call may last. Either way
Bandwidth fetches the audio from Home Assistant's external URL (or Home
Assistant Cloud's remote access): a cloudhook carries text only.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final
from urllib.parse import quote

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from yarl import URL

from .action_fields import MAX_CALL_TIMEOUT
from .audio_library import (
    AUDIO_PATH,
    DATA_AUDIO,
    QUERY_CLIP,
    UnplayableAudioError,
)
from .call_store import MAX_AGE
from .calls import NO_MEDIA, Media, Speech
from .cloudhook import async_direct_url
from .const import DOMAIN

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
# A signed media path must outlive the longest ring and the longest call.
SIGNED_FOR: Final = timedelta(seconds=MAX_CALL_TIMEOUT + MAX_AGE)


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
