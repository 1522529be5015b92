"""The kinds of value a call is made of, as Bandwidth takes them.

Numbers and SIP URIs to call, caller IDs, callback and audio URLs, texts to
speak, voices and text-to-speech choices: each a rule (rules.py) with the
limits Bandwidth's API sets.
"""

from __future__ import annotations

import re
from typing import Any, Final

import voluptuous as vol
from yarl import URL

from .const import (
    CALLER_ID_KEYWORDS,
)
from .rules import (
    Choice,
    Pattern,
    Refused,
    Text,
    Translated,
    Unset,
    encodable,
    finite,
    is_blank,
)

MAX_DESTINATIONS: Final = 20
# What Bandwidth speaks in one sentence.
MAX_TEXT_LENGTH: Final = 10000
MAX_URL_LENGTH: Final = 2048
MAX_CREDENTIAL_LENGTH: Final = 1024
MAX_PIPELINE_ID_LENGTH: Final = 256
MAX_TTS_OPTIONS: Final = 20
MAX_TRANSFER_DESTINATIONS: Final = 8

# Matched whole (fullmatch). [0-9], not \d: \d also matches other scripts' digits.
E164: Final = re.compile(r"\+[1-9][0-9]{1,14}")
SIP_URI: Final = re.compile(r"sip:[^@\s]+@[^@\s]+")
_UUI_VALUE = r"[^,;\s]+;encoding=(?:base64|jwt|hex)"
UUI: Final = re.compile(rf"{_UUI_VALUE}(?:,{_UUI_VALUE})*")
DIGITS: Final = re.compile(r"[0-9*#]+")
VOICE: Final = re.compile(r"[A-Za-z][A-Za-z_-]*")
# Bandwidth's ids look like c-15ac29a2-1331029c-2cb0-...; nothing else can
# name a call, and nothing that could be a path.
CALL_ID: Final = re.compile(r"[A-Za-z0-9_-]+")
_URL: Final = re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE)
# A media source ID: media-source://<domain>[/<identifier>].
MEDIA_SOURCE_ID: Final = re.compile(r"media-source://[a-z0-9_]+(?:/\S*)?")
TTS_ENTITY_ID: Final = re.compile(r"tts\.[a-z0-9_]+")
STT_ENTITY_ID: Final = re.compile(r"stt\.[a-z0-9_]+")
# A language tag as text-to-speech engines name them: en, en-US, en_GB, yue-HK.
LANGUAGE_TAG: Final = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")
_KEYWORDS = {keyword.casefold() for keyword in CALLER_ID_KEYWORDS}


class Url:
    """An absolute http(s) URL of at most 2048 characters, maybe of a file type."""

    limits: Final = {"max": MAX_URL_LENGTH}

    def __init__(self, *, rule: str, extensions: tuple[str, ...] = ()) -> None:
        """Refuse with `rule`; with `extensions`, the path must end in one."""
        self.rule = rule
        self.extensions = extensions

    def __call__(self, value: Any) -> str:
        """Return the URL, or refuse it."""
        if not self._valid(value):
            raise Refused(self.rule, **self.limits)
        url: str = value
        return url

    def _valid(self, value: Any) -> bool:
        if (
            not isinstance(value, str)
            or len(value) > MAX_URL_LENGTH
            or not _URL.fullmatch(value)
            or not encodable(value)
        ):
            return False
        try:
            # yarl refuses what Bandwidth cannot parse either: a bad port, an
            # unclosed [IPv6] host, no host at all (older yarl: IndexError on []).
            URL(value)
        except (ValueError, IndexError):
            return False
        path = value.split("?", 1)[0].split("#", 1)[0].lower()
        return not self.extensions or path.endswith(self.extensions)


class AudioSource(Url):
    """An http(s) URL of a .wav or .mp3 file, or a media source ID."""

    def __init__(self) -> None:
        """Refuse with invalid_audio_url."""
        super().__init__(rule="invalid_audio_url", extensions=(".wav", ".mp3"))

    def _valid(self, value: Any) -> bool:
        if isinstance(value, str) and value.startswith("media-source://"):
            return (
                len(value) <= MAX_URL_LENGTH
                and MEDIA_SOURCE_ID.fullmatch(value) is not None
                and encodable(value)
            )
        return super()._valid(value)


class Assist:
    """true (the entry's pipeline), or the id of an Assist pipeline."""

    limits: Final[dict[str, int]] = {}

    def __call__(self, value: Any) -> bool | str | None:
        """Return true or the pipeline's id; false is not asking for Assist."""
        if isinstance(value, bool):
            return True if value else None
        if (
            isinstance(value, str)
            and len(value) <= MAX_PIPELINE_ID_LENGTH
            and not is_blank(value)
            and encodable(value)
        ):
            return value
        raise Refused("invalid_assist")


def _sendable(value: Any) -> str:
    """Return text Bandwidth can be sent as an option's value, or refuse it."""
    if not isinstance(value, str) or not encodable(value):
        raise vol.Invalid("not sendable text")
    return value


# A text-to-speech engine's options: names to texts, numbers or booleans.
TTS_OPTIONS: Final = Translated(
    vol.All(
        dict,
        vol.Length(max=MAX_TTS_OPTIONS),
        {
            vol.All(str, vol.Length(min=1, max=64)): vol.Any(
                bool, finite, vol.All(_sendable, vol.Length(max=MAX_TEXT_LENGTH))
            )
        },
    ),
    rule="invalid_tts_options",
    max=MAX_TTS_OPTIONS,
)


class Destinations:
    """1 to 20 distinct E.164 numbers or SIP URIs; a single one becomes a list."""

    def __init__(self, maximum: int = MAX_DESTINATIONS) -> None:
        """Allow at most `maximum` destinations."""
        self.limits = {"min": 1, "max": maximum}

    def __call__(self, value: Any) -> list[str]:
        """Return the destinations as a list, or refuse them."""
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list):
            raise Refused("invalid_destination")
        if not self.limits["min"] <= len(values) <= self.limits["max"]:
            raise Refused("destination_count", **self.limits)
        for item in values:
            if not isinstance(item, str) or not (
                E164.fullmatch(item) or (SIP_URI.fullmatch(item) and encodable(item))
            ):
                raise Refused("invalid_destination")
        # The same destination twice would ring one phone twice.
        if len(set(values)) != len(values):
            raise Refused("duplicate_destination")
        return list(values)


class CallerId:
    """A Bandwidth number in E.164: the 2026 spec wants one even with privacy."""

    limits: Final[dict[str, int]] = {}

    def __call__(self, value: Any) -> str:
        """Return the number, or refuse it (the keywords with their own reason)."""
        if isinstance(value, str) and value.strip().casefold() in _KEYWORDS:
            raise Refused("from_privacy_keyword")
        if not isinstance(value, str) or not E164.fullmatch(value):
            raise Refused("invalid_from")
        return value


TRANSFER_DESTINATIONS: Final = Destinations(MAX_TRANSFER_DESTINATIONS)


class TransferCallerId:
    """The caller ID a transfer shows: E.164, or a keyword that hides it."""

    limits: Final[dict[str, int]] = {}

    def __call__(self, value: Any) -> str:
        """Return the caller ID, or refuse it."""
        if isinstance(value, str) and (
            E164.fullmatch(value) or value in CALLER_ID_KEYWORDS
        ):
            return value
        raise Refused("invalid_transfer_caller_id")


CREDENTIAL = Text(MAX_CREDENTIAL_LENGTH)
URL_RULE = Url(rule="invalid_url")
CALLER_ID = CallerId()
DESTINATIONS = Destinations()
METHOD = Choice(("GET", "POST"), rule="http_method")
VOICE_NAME = Pattern(VOICE, 64, rule="invalid_voice")
SPOKEN = Text(MAX_TEXT_LENGTH, empty=False, blank=False)
TTS_ENTITY = Pattern(TTS_ENTITY_ID, 255, rule="invalid_tts_entity")
LANGUAGE = Pattern(LANGUAGE_TAG, 35, rule="invalid_language")
AUDIO_SOURCE = AudioSource()
ASSIST = Unset(Assist())
# Fields choosing Home Assistant's text-to-speech; empty means not given.
SPEECH_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional("tts_entity_id"): Unset(TTS_ENTITY),
    vol.Optional("language"): Unset(LANGUAGE),
    vol.Optional("tts_options"): Unset(TTS_OPTIONS),
}
