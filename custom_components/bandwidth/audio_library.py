"""The audio Home Assistant rendered for calls, served to Bandwidth.

Rendered audio is served to Bandwidth by this integration's own view, without
a login, under names of each call's own: unguessable, and never given to
another call, even one speaking the same text. A name is served while a call
playing it is live, across restarts (Home Assistant's own TTS URLs expire
within minutes and do not survive one), and for a short grace after the call
ended; then it is a 404. The audio itself is rendered once per text and
voice and shared by the names of every call speaking it; what is kept in
memory is bounded, and audio let go of is rendered again from Home
Assistant's TTS cache when asked for.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Final

from aiohttp import web
from homeassistant.core import HassJob, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER

DATA_AUDIO: HassKey[AudioLibrary] = HassKey(f"{DOMAIN}_audio")
AUDIO_PATH: Final = "/api/bandwidth/audio"
QUERY_CLIP: Final = "clip"
CONTENT_TYPES: Final = {"mp3": "audio/mpeg", "wav": "audio/wav"}
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
