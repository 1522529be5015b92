"""The voicemail greeting in Home Assistant's voice, or from its media; its tone.

A call to voicemail is answered from memory, while Bandwidth waits: the
greeting's audio is prepared ahead, when the entry is set up, when its
options change, and twice a day (a media source's signed URL does not last
for ever). Until it is ready, or when it cannot be, Bandwidth speaks the
greeting itself (the default one, for a media source ID).

Bandwidth's <Record> starts without a tone: the tone the greeting promises
is a short beep this integration serves, to anyone (it is no secret), from
the address Bandwidth fetches Home Assistant's audio from.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from aiohttp import web
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.http import HomeAssistantView

from .calls import Media, Speech
from .cloudhook import async_direct_url
from .const import (
    CONF_INBOUND_CALLS,
    CONF_VOICEMAIL_FOR_OTHER_CALLERS,
    CONF_VOICEMAIL_GREETING,
    CONF_VOICEMAIL_WHEN_UNANSWERED,
    DEFAULT_VOICEMAIL_GREETING,
    INBOUND_ASSIST,
    INBOUND_AUTOMATION,
    INBOUND_SCREEN,
    INBOUND_VOICEMAIL,
    LOGGER,
)
from .media import (
    MEDIA_SOURCE,
    PreparedMedia,
    async_prepare_media,
    speech_settings,
)

REFRESH: Final = timedelta(hours=12)
TONE_PATH: Final = "/api/bandwidth/voicemail-tone.wav"
# The beep: 8 kHz, 16-bit PCM, mono, as Bandwidth plays it.
TONE_RATE: Final = 8000
TONE_HERTZ: Final = 1000
TONE_SECONDS: Final = 0.5


def tone_wav() -> bytes:
    """Return the beep that tells a caller to speak, as WAV."""
    samples = round(TONE_RATE * TONE_SECONDS)
    data = b"".join(
        struct.pack(
            "<h", round(12000 * math.sin(2 * math.pi * TONE_HERTZ * n / TONE_RATE))
        )
        for n in range(samples)
    )
    fmt = struct.pack("<HHIIHH", 1, 1, TONE_RATE, 2 * TONE_RATE, 2, 16)
    return b"".join(
        (
            b"RIFF",
            struct.pack("<I", 36 + len(data)),
            b"WAVE",
            b"fmt ",
            struct.pack("<I", len(fmt)),
            fmt,
            b"data",
            struct.pack("<I", len(data)),
            data,
        )
    )


class ToneView(HomeAssistantView):
    """Serves the beep, without a login: Bandwidth fetches it."""

    url = TONE_PATH
    name = "api:bandwidth:voicemail-tone"
    requires_auth = False

    def __init__(self) -> None:
        """Make the beep once."""
        self._tone = tone_wav()

    async def get(self, _request: web.Request) -> web.Response:
        """Return the beep."""
        return web.Response(
            body=self._tone,
            content_type="audio/wav",
            headers={"Cache-Control": "public, max-age=86400"},
        )


type Options = Callable[[], Mapping[str, Any]]
# The greeting, and the text-to-speech speaking it (None for a media source).
type Wanted = tuple[str, Speech | None]


def voicemail_possible(options: Mapping[str, Any]) -> bool:
    """Tell whether calls to the numbers may go to voicemail, as the options are."""
    mode = options.get(CONF_INBOUND_CALLS)
    return (
        mode in (INBOUND_VOICEMAIL, INBOUND_SCREEN)
        or (
            mode == INBOUND_AUTOMATION
            and options.get(CONF_VOICEMAIL_WHEN_UNANSWERED, True)
        )
        or (
            mode == INBOUND_ASSIST
            and options.get(CONF_VOICEMAIL_FOR_OTHER_CALLERS, False)
        )
    )


def _wanted(options: Mapping[str, Any]) -> Wanted | None:
    """Return what audio the greeting needs; None when none is to be prepared.

    None too when no call can go to voicemail: nothing is rendered for it.
    """
    if not voicemail_possible(options):
        return None
    greeting: str = options.get(CONF_VOICEMAIL_GREETING, DEFAULT_VOICEMAIL_GREETING)
    if greeting.startswith(MEDIA_SOURCE):
        return greeting, None
    if (speech := speech_settings(dict(options))) is None:
        return None
    return greeting, speech


class Greeting:
    """The greeting's audio for one entry, kept ready."""

    def __init__(self, hass: HomeAssistant, options: Options) -> None:
        """Prepare the greeting of an entry with these options."""
        self.hass = hass
        self._options = options
        self._wanted: Wanted | None = None
        self._prepared: PreparedMedia | None = None

    async def async_refresh(self, _now: datetime | None = None) -> None:
        """Prepare the greeting's audio as the options say."""
        wanted = _wanted(self._options())
        self._wanted = self._prepared = None
        if wanted is None:
            return
        greeting, speech = wanted
        try:
            prepared = await async_prepare_media(
                self.hass,
                texts=[greeting] if speech is not None else [],
                audio_url=None if speech is not None else greeting,
                speech=speech,
            )
        except HomeAssistantError as err:
            LOGGER.warning(
                "The voicemail greeting cannot be played; Bandwidth speaks it: %s",
                err,
            )
            return
        self._wanted, self._prepared = wanted, prepared

    @callback
    def tone_url(self) -> str | None:
        """Return where Bandwidth fetches the beep; None when it cannot."""
        if (base := async_direct_url(self.hass)) is None:
            return None
        return f"{base}{TONE_PATH}"

    @callback
    def for_call(self) -> Media | None:
        """Return the greeting's audio under one call's names, if it is ready."""
        if self._prepared is None or self._wanted != _wanted(self._options()):
            return None
        return self._prepared.for_call()
