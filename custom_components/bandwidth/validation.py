"""The rules every input is held to: the actions', the options form's, notify's.

Each rule refuses with a translation key of its own. The field, as users type
it (`gather.max_digits`), and the rule's limits (numbers only) travel as
translation placeholders, so a refusal reads entirely in the user's language.

The schemas are built from these rules alone. voluptuous (and probatio, which
Home Assistant 2026 installs under that name) only walks the mappings and
passes each value to a rule; both keep a rule's own `vol.Invalid` subclass
intact through `vol.Schema`, `vol.All` and `vol.Any`, prefixing its path, where
their built-in validators would each word a failure their own way. Unknown
and missing fields and non-mappings are refused here too, before the library
sees them, so the two libraries give the same error.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Collection, Hashable, Mapping
from typing import Any, Final

import voluptuous as vol
from homeassistant.exceptions import ServiceValidationError
from yarl import URL

from .calls import Speech
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CALLER_ID_KEYWORDS,
    CONF_ALLOWED_COUNTRY_CODES,
    CONF_ASSIST_MAX_CONVERSATIONS,
    CONF_ASSIST_MAX_MINUTES,
    CONF_ASSIST_PIPELINE,
    CONF_CALLS_PER_SECOND,
    CONF_FORWARD_TO,
    CONF_FROM,
    CONF_HOLD_TIME,
    CONF_INBOUND_CALLS,
    CONF_LANGUAGE,
    CONF_MAX_CALLS_PER_HOUR,
    CONF_NOTIFY_TO,
    CONF_RING_TIMEOUT,
    CONF_TTS_ENTITY_ID,
    CONF_VOICE,
    CONF_VOICEMAIL_DELETE_AT_BANDWIDTH,
    CONF_VOICEMAIL_FOR_OTHER_CALLERS,
    CONF_VOICEMAIL_GREETING,
    CONF_VOICEMAIL_MAX_DURATION,
    CONF_VOICEMAIL_RETENTION_DAYS,
    CONF_VOICEMAIL_STT_ENTITY_ID,
    CONF_VOICEMAIL_TRANSCRIPTION,
    CONF_VOICEMAIL_WHEN_UNANSWERED,
    DOMAIN,
    INBOUND_FORWARD,
    INBOUND_MODES,
    TRANSCRIPTIONS,
)
from .countries import (
    ALLOWABLE_COUNTRY_CODES,
    allowed_country_codes,
    destination_refusal,
)
from .errors import validation_error

MAX_DESTINATIONS: Final = 20
# How long a voicemail message may be, in seconds, and kept, in days.
MIN_VOICEMAIL_DURATION: Final = 5
MAX_VOICEMAIL_DURATION: Final = 600
MAX_RETENTION_DAYS: Final = 3650
# What Bandwidth speaks in one sentence.
MAX_TEXT_LENGTH: Final = 10000
MAX_URL_LENGTH: Final = 2048
MAX_CREDENTIAL_LENGTH: Final = 1024
# JSON numbers past 2**53 are not portable; past 2**64 they cannot be sent.
MAX_SAFE_INTEGER: Final = 2**53
MIN_CALLS_PER_SECOND: Final = 1
MAX_CALLS_PER_SECOND: Final = 100
# How long calls ring or wait for automations, in the options.
MIN_SECONDS: Final = 1
MAX_SECONDS: Final = 300
# How long Bandwidth lets a call ring, at most (call_timeout).
MAX_CALL_TIMEOUT: Final = 300
# How long create_call may wait for its calls to turn out (wait_for).
MAX_WAIT: Final = 600

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
MAX_TTS_OPTIONS: Final = 20
_KEYWORDS = {keyword.casefold() for keyword in CALLER_ID_KEYWORDS}
# Fields of a call that Home Assistant speaks or plays itself.
SCRIPT_FIELDS: Final = ("message", "audio_url", "machine_message", "gather", "assist")
# How many numbers may talk to Assist by calling in.
MAX_ASSIST_MINUTES: Final = 120
MAX_ASSIST_CONVERSATIONS: Final = 10
# How many calls an entry may place in an hour, in the options.
MIN_CALLS_PER_HOUR: Final = 1
# Room for accounts above Bandwidth's default 5 calls a second (18,000 an hour).
MAX_CALLS_PER_HOUR: Final = 100_000
MAX_PIPELINE_ID_LENGTH: Final = 256


class Refused(vol.Invalid):
    """A value broke a rule: the rule's translation key and placeholders.

    The message voluptuous keeps is the key itself, never English words.
    `values` are the rule's limits (numbers), other fields' names or
    country calling codes (+44).
    """

    def __init__(
        self, rule: str, path: list[Hashable] | None = None, /, **values: int | str
    ) -> None:
        """Refuse with `rule`, at `path` below the value being validated."""
        super().__init__(rule, path)
        self.rule = rule
        self.values = values


# --- Rules -------------------------------------------------------------------


def _encodable(value: str) -> bool:
    """Return whether text can be sent: no lone surrogates."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def is_blank(value: str) -> bool:
    """Return whether text is only whitespace, control or invisible format characters."""
    return all(
        char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in value
    )


class Text:
    """Text (not a number or a list) of bounded length."""

    def __init__(
        self, max_length: int, *, empty: bool = True, blank: bool = True
    ) -> None:
        """Allow at most `max_length` characters; `empty`/`blank` text or not."""
        self.max_length = max_length
        self.empty = empty
        self.blank = blank
        self.limits = {"max": max_length}

    def __call__(self, value: Any) -> str:
        """Return the text, or refuse it."""
        if not isinstance(value, str):
            raise Refused("invalid_text")
        if not _encodable(value):
            raise Refused("invalid_unicode")
        if not value and not self.empty:
            raise Refused("text_empty")
        if len(value) > self.max_length:
            raise Refused("text_too_long", max=self.max_length)
        if not self.blank and is_blank(value):
            raise Refused("text_blank")
        return value


class DisplayName(Text):
    """Text without control characters: Bandwidth refuses a new line in a name."""

    def __call__(self, value: Any) -> str:
        """Return the name, or refuse it."""
        name = super().__call__(value)
        # isprintable() is also false for invisible and non-space separators.
        if not name.isprintable():
            raise Refused("control_characters")
        return name


class Pattern:
    """Text of a fixed form and bounded length, refused with one key."""

    def __init__(self, pattern: re.Pattern[str], max_length: int, *, rule: str) -> None:
        """Match `pattern` whole, in at most `max_length` characters."""
        self.pattern = pattern
        self.rule = rule
        self.limits = {"max": max_length}

    def __call__(self, value: Any) -> str:
        """Return the text, or refuse it."""
        if (
            not isinstance(value, str)
            or len(value) > self.limits["max"]
            or not self.pattern.fullmatch(value)
            or not _encodable(value)
        ):
            raise Refused(self.rule, **self.limits)
        return value


def _is_number(value: Any) -> bool:
    """Return whether value is a finite number (booleans and strings are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    # Only floats can be infinite or NaN (math.isfinite overflows on huge ints).
    return not isinstance(value, float) or math.isfinite(value)


class Number:
    """A number (decimals allowed) from `minimum` to `maximum`."""

    def __init__(self, minimum: int, maximum: int) -> None:
        """Allow numbers from `minimum` to `maximum`, both included."""
        self.limits = {"min": minimum, "max": maximum}

    def __call__(self, value: Any) -> float:
        """Return the number as given, or refuse it."""
        if not _is_number(value) or not (
            self.limits["min"] <= value <= self.limits["max"]
        ):
            raise Refused("number_range", **self.limits)
        number: float = value
        return number


class Whole:
    """A whole number from `minimum` to `maximum`; 3.0 is taken as 3."""

    def __init__(self, minimum: int, maximum: int) -> None:
        """Allow whole numbers from `minimum` to `maximum`, both included."""
        self.limits = {"min": minimum, "max": maximum}

    def __call__(self, value: Any) -> int:
        """Return the number as an int, or refuse it."""
        if (
            not _is_number(value)
            or (isinstance(value, float) and not value.is_integer())
            or not self.limits["min"] <= value <= self.limits["max"]
        ):
            raise Refused("whole_number_range", **self.limits)
        return int(value)


class WholeSeconds:
    """Whole seconds, at least one, for machine detection.

    Bandwidth's spec warns that decimals are not processed correctly there,
    and gives no maximum; numbers past 2**53 cannot be sent faithfully.
    """

    limits: Final = {"min": 1}

    def __call__(self, value: Any) -> int:
        """Return the seconds as an int, or refuse them."""
        if (
            not _is_number(value)
            or (isinstance(value, float) and not value.is_integer())
            or value < 1
        ):
            raise Refused("whole_seconds", **self.limits)
        if value > MAX_SAFE_INTEGER:
            raise Refused("number_too_large", max=MAX_SAFE_INTEGER)
        return int(value)


class Choice:
    """One of a few exact values (named in the rule's message)."""

    limits: Final[dict[str, int]] = {}

    def __init__(self, choices: tuple[str, ...], *, rule: str) -> None:
        """Allow exactly `choices`."""
        self.choices = choices
        self.rule = rule

    def __call__(self, value: Any) -> str:
        """Return the value, or refuse it."""
        if not isinstance(value, str) or value not in self.choices:
            raise Refused(self.rule)
        return value


def boolean(value: Any) -> bool:
    """Return true or false; nothing else is taken for one."""
    if not isinstance(value, bool):
        raise Refused("boolean")
    return value


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
            or not _encodable(value)
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
                and _encodable(value)
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
            and _encodable(value)
        ):
            return value
        raise Refused("invalid_assist")


class Unset:
    """A rule that also takes "nothing": None, or an empty value, is no value.

    Blueprints pass an optional input left empty as "" (or as {}): the field
    is then left out, as if not given.
    """

    def __init__(self, rule: Callable[[Any], Any]) -> None:
        """Apply `rule` to anything but an empty value."""
        self.rule = rule
        self.limits = getattr(rule, "limits", {})

    def __call__(self, value: Any) -> Any:
        """Return None for an empty value, else the rule's result."""
        if value is None or value in ("", {}):
            return None
        return self.rule(value)


class TtsOptions:
    """A text-to-speech engine's options: names to texts, numbers or booleans."""

    limits: Final = {"max": MAX_TTS_OPTIONS}

    def __call__(self, value: Any) -> dict[str, Any]:
        """Return the options, or refuse them."""
        if not isinstance(value, dict) or len(value) > MAX_TTS_OPTIONS:
            raise Refused("invalid_tts_options", **self.limits)
        for key, item in value.items():
            if not isinstance(key, str) or not key or len(key) > 64:  # noqa: PLR2004
                raise Refused("invalid_tts_options", **self.limits)
            if isinstance(item, str):
                if len(item) > MAX_TEXT_LENGTH or not _encodable(item):
                    raise Refused("invalid_tts_options", **self.limits)
            elif not isinstance(item, bool) and not _is_number(item):
                raise Refused("invalid_tts_options", **self.limits)
        return dict(value)


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
                E164.fullmatch(item) or (SIP_URI.fullmatch(item) and _encodable(item))
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


class CountryCodes:
    """Country calling codes calls may go to, as the options form offers them."""

    limits: Final[dict[str, int]] = {}

    def __call__(self, value: Any) -> list[str]:
        """Return the codes, or refuse them."""
        if not isinstance(value, list) or not all(
            code in ALLOWABLE_COUNTRY_CODES for code in value
        ):
            raise Refused("invalid_value")
        return list(value)


class Object:
    """A mapping of known fields, each checked by its rule, then checked whole."""

    limits: Final[dict[str, int]] = {}

    def __init__(
        self,
        fields: dict[vol.Marker, Any],
        check: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Take `fields` (vol.Required / vol.Optional markers to rules)."""
        self.fields = fields
        self.known = {marker.schema for marker in fields}
        self.required = [
            marker.schema for marker in fields if isinstance(marker, vol.Required)
        ]
        self.check = check
        self.rules: dict[str, Callable[[Any], Any]] = {
            marker.schema: rule for marker, rule in fields.items()
        }

    def __call__(self, value: Any) -> dict[str, Any]:
        """Return the validated mapping, or refuse the first bad field.

        Fields are checked in the order given, as voluptuous walks a mapping.
        """
        if not isinstance(value, dict):
            raise Refused("invalid_object")
        for key in value:
            if key not in self.known:
                raise Refused("unknown_field", [str(key)])
        for key in self.required:
            if key not in value:
                raise Refused("required_field", [key])
        result: dict[str, Any] = {}
        for key, item in value.items():
            try:
                result[key] = self.rules[key](item)
            except vol.Invalid as err:
                err.prepend([key])
                raise
        if self.check is not None:
            self.check(result)
        return result


CREDENTIAL = Text(MAX_CREDENTIAL_LENGTH)
URL_RULE = Url(rule="invalid_url")
CALLER_ID = CallerId()
DESTINATIONS = Destinations()
METHOD = Choice(("GET", "POST"), rule="http_method")
VOICE_NAME = Pattern(VOICE, 64, rule="invalid_voice")
SPOKEN = Text(MAX_TEXT_LENGTH, empty=False, blank=False)
CALLS_PER_SECOND = Whole(MIN_CALLS_PER_SECOND, MAX_CALLS_PER_SECOND)
CALLS_PER_HOUR = Whole(MIN_CALLS_PER_HOUR, MAX_CALLS_PER_HOUR)
SECONDS = Whole(MIN_SECONDS, MAX_SECONDS)
INBOUND_CALLS = Choice(INBOUND_MODES, rule="invalid_value")
TTS_ENTITY = Pattern(TTS_ENTITY_ID, 255, rule="invalid_tts_entity")
LANGUAGE = Pattern(LANGUAGE_TAG, 35, rule="invalid_language")
AUDIO_SOURCE = AudioSource()
ASSIST = Unset(Assist())
PIPELINE_ID = Text(MAX_PIPELINE_ID_LENGTH, empty=False, blank=False)
ASSIST_MINUTES = Whole(1, MAX_ASSIST_MINUTES)
ASSIST_CONVERSATIONS = Whole(1, MAX_ASSIST_CONVERSATIONS)
VOICEMAIL_DURATION = Whole(MIN_VOICEMAIL_DURATION, MAX_VOICEMAIL_DURATION)
RETENTION_DAYS = Whole(1, MAX_RETENTION_DAYS)
TRANSCRIPTION = Choice(TRANSCRIPTIONS, rule="invalid_value")
STT_ENTITY = Pattern(STT_ENTITY_ID, 255, rule="invalid_voicemail_stt_entity")
# Fields choosing Home Assistant's text-to-speech; empty means not given.
SPEECH_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional("tts_entity_id"): Unset(TTS_ENTITY),
    vol.Optional("language"): Unset(LANGUAGE),
    vol.Optional("tts_options"): Unset(TtsOptions()),
}

# Which credentials Bandwidth sends to which URLs, (username, password, URLs):
# the top-level ones with the answer and disconnect callbacks, the fallback
# ones to the fallback URL; machine detection's alike.
CALL_CREDENTIALS: Final = (
    ("username", "password", ("answer_url", "disconnect_url")),
    ("fallback_username", "fallback_password", ("answer_fallback_url",)),
)
MACHINE_DETECTION_CREDENTIALS: Final = (
    ("username", "password", ("callback_url",)),
    ("fallback_username", "fallback_password", ("fallback_url",)),
)


def _check_credentials(
    data: dict[str, Any],
    routes: tuple[tuple[str, str, tuple[str, ...]], ...],
    prefix: list[Hashable],
) -> None:
    """Refuse a password without its username, and credentials sent over http."""
    for username, password, urls in routes:
        if data.get(password) and not data.get(username):
            raise Refused(
                "password_without_username",
                [*prefix, password],
                username=_name([*prefix, username]),
            )
        if not data.get(username):
            continue
        for url in urls:
            if data.get(url, "")[:5].lower() == "http:":
                raise Refused(
                    "credentials_need_https",
                    [*prefix, url],
                    credential=_name([*prefix, username]),
                )


def _check_call(data: dict[str, Any]) -> None:
    """Refuse field combinations Bandwidth refuses, naming the field to change."""
    name = data.get("display_name")
    if data.get("privacy") and name and name not in CALLER_ID_KEYWORDS:
        raise Refused("display_name_with_privacy", ["display_name"])
    _check_credentials(data, CALL_CREDENTIALS, [])
    if (detection := data.get("machine_detection")) is not None:
        _check_credentials(
            detection, MACHINE_DETECTION_CREDENTIALS, ["machine_detection"]
        )
    if "answer_url" in data and any(data.get(key) is not None for key in SCRIPT_FIELDS):
        raise Refused("script_with_answer_url", ["answer_url"])
    if data.get("assist") is not None and data.get("gather") is not None:
        raise Refused("exclusive_fields", ["assist"], other="gather")
    if "wait_for" in data:
        # Their callbacks would not come here: how the call went is unknown.
        for key in ("answer_url", "disconnect_url"):
            if key in data:
                raise Refused("wait_for_own_url", [key])
    else:
        for key in ("timeout", "hang_up_others"):
            if data.get(key) not in (None, False):
                raise Refused("wait_for_required", [key])


MACHINE_DETECTION_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional("mode"): Choice(("sync", "async"), rule="machine_detection_mode"),
    vol.Optional("detection_timeout"): WholeSeconds(),
    vol.Optional("silence_timeout"): WholeSeconds(),
    vol.Optional("speech_threshold"): WholeSeconds(),
    vol.Optional("speech_end_threshold"): WholeSeconds(),
    vol.Optional("machine_speech_end_threshold"): WholeSeconds(),
    vol.Optional("delay_result"): boolean,
    vol.Optional("callback_url"): URL_RULE,
    vol.Optional("callback_method"): METHOD,
    vol.Optional("fallback_url"): URL_RULE,
    vol.Optional("fallback_method"): METHOD,
    vol.Optional("username"): CREDENTIAL,
    vol.Optional("password"): CREDENTIAL,
    vol.Optional("fallback_username"): CREDENTIAL,
    vol.Optional("fallback_password"): CREDENTIAL,
}
GATHER_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional("prompt"): SPOKEN,
    vol.Optional("max_digits"): Whole(1, 50),
    vol.Optional("terminating_digits"): Pattern(DIGITS, 50, rule="invalid_digits"),
    vol.Optional("first_digit_timeout"): Number(0, 60),
    vol.Optional("inter_digit_timeout"): Number(1, 60),
    vol.Optional("repeat_count"): Whole(1, 20),
    vol.Optional("pin"): boolean,
}
CREATE_CALL_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_CONFIG_ENTRY_ID): Text(256, empty=False),
    vol.Required("to"): DESTINATIONS,
    vol.Optional("from"): CALLER_ID,
    vol.Optional("application_id"): Text(1024, empty=False),
    vol.Optional("answer_url"): URL_RULE,
    vol.Optional("answer_method"): METHOD,
    vol.Optional("answer_fallback_url"): URL_RULE,
    vol.Optional("answer_fallback_method"): METHOD,
    vol.Optional("disconnect_url"): URL_RULE,
    vol.Optional("disconnect_method"): METHOD,
    vol.Optional("username"): CREDENTIAL,
    vol.Optional("password"): CREDENTIAL,
    vol.Optional("fallback_username"): CREDENTIAL,
    vol.Optional("fallback_password"): CREDENTIAL,
    vol.Optional("call_timeout"): Number(1, MAX_CALL_TIMEOUT),
    vol.Optional("callback_timeout"): Number(1, 25),
    vol.Optional("tag"): Text(4096),
    vol.Optional("uui"): Pattern(UUI, 350, rule="invalid_uui"),
    vol.Optional("privacy"): boolean,
    vol.Optional("display_name"): DisplayName(256),
    vol.Optional("priority"): Whole(1, 5),
    vol.Optional("machine_detection"): Object(MACHINE_DETECTION_FIELDS),
    vol.Optional("message"): SPOKEN,
    vol.Optional("machine_message"): SPOKEN,
    vol.Optional("voice"): VOICE_NAME,
    **SPEECH_FIELDS,
    vol.Optional("audio_url"): AUDIO_SOURCE,
    vol.Optional("gather"): Object(GATHER_FIELDS),
    vol.Optional("assist"): ASSIST,
    vol.Optional("wait_for"): Choice(("answer", "end"), rule="wait_for"),
    vol.Optional("timeout"): Whole(1, MAX_WAIT),
    vol.Optional("hang_up_others"): boolean,
}
# What a step of update_call does; at least one of them.
STEP_FIELDS: Final = (
    "message",
    "audio_url",
    "gather",
    "transfer_to",
    "hangup",
    "assist",
    "voicemail",
)
# Each ends what the step does: digits call back, a transfer connects, a
# hang-up ends the call, a conversation with Assist lasts until it is over,
# voicemail records a message.
EXCLUSIVE_STEP_FIELDS: Final = (
    "gather",
    "transfer_to",
    "hangup",
    "assist",
    "voicemail",
)
MAX_TRANSFER_DESTINATIONS: Final = 8


def _check_step(data: dict[str, Any]) -> None:
    """Refuse a step that does nothing, or two endings at once."""
    if not any(data.get(key) not in (None, False) for key in STEP_FIELDS):
        raise Refused("step_required", ["message"])
    endings = [
        key for key in EXCLUSIVE_STEP_FIELDS if data.get(key) not in (None, False)
    ]
    if len(endings) > 1:
        raise Refused("exclusive_fields", [endings[1]], other=endings[0])
    if data.get("voicemail"):
        # The caller hears the voicemail greeting, nothing before it.
        for key in ("message", "audio_url"):
            if key in data:
                raise Refused("exclusive_fields", [key], other="voicemail")
    for key in ("transfer_caller_id", "transfer_timeout"):
        if key in data and "transfer_to" not in data:
            raise Refused("transfer_to_required", [key])


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


UPDATE_CALL_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_CONFIG_ENTRY_ID): Text(256, empty=False),
    vol.Required("call_id"): Pattern(CALL_ID, 256, rule="invalid_call_id"),
    vol.Optional("message"): SPOKEN,
    vol.Optional("voice"): VOICE_NAME,
    **SPEECH_FIELDS,
    vol.Optional("audio_url"): AUDIO_SOURCE,
    vol.Optional("gather"): Object(GATHER_FIELDS),
    vol.Optional("transfer_to"): TRANSFER_DESTINATIONS,
    vol.Optional("transfer_caller_id"): TransferCallerId(),
    vol.Optional("transfer_timeout"): Number(1, 300),
    vol.Optional("hangup"): boolean,
    vol.Optional("assist"): ASSIST,
    vol.Optional("voicemail"): boolean,
}
HANGUP_CALL_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_CONFIG_ENTRY_ID): Text(256, empty=False),
    vol.Required("call_id"): Pattern(CALL_ID, 256, rule="invalid_call_id"),
}


def _media_content_ids(value: Any) -> list[str]:
    """Return one media source ID, or a list of them, as a list."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise Refused("invalid_value")
    return [MEDIA_CONTENT_ID(item) for item in values]


MEDIA_CONTENT_ID = Text(1024, empty=False, blank=False)
VOICEMAIL_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_CONFIG_ENTRY_ID): Text(256, empty=False),
    vol.Optional("media_content_id"): _media_content_ids,
}

CREATE_CALL_SCHEMA: Final = vol.Schema(Object(CREATE_CALL_FIELDS, _check_call))
UPDATE_CALL_SCHEMA: Final = vol.Schema(Object(UPDATE_CALL_FIELDS, _check_step))
HANGUP_CALL_SCHEMA: Final = vol.Schema(Object(HANGUP_CALL_FIELDS))
RESET_MISSED_CALLS_SCHEMA: Final = vol.Schema(
    Object({vol.Optional(ATTR_CONFIG_ENTRY_ID): Text(256, empty=False)})
)


VOICEMAIL_SCHEMA: Final = vol.Schema(Object(VOICEMAIL_FIELDS))


# --- Refusals ----------------------------------------------------------------


def _name(path: list[Hashable]) -> str:
    """Return a field's name as users type it: `gather.max_digits`."""
    return ".".join(str(part) for part in path if not isinstance(part, int))


def _first(err: vol.Invalid) -> vol.Invalid:
    """Return the first single error of a (possibly nested) MultipleInvalid."""
    while isinstance(err, vol.MultipleInvalid) and err.errors:
        err = err.errors[0]
    return err


def _as_refused(err: vol.Invalid) -> Refused:
    """Return a library's own error as the rule it stands for."""
    if isinstance(err, Refused):
        return err
    path = list(err.path)
    if isinstance(err, vol.RequiredFieldInvalid):
        return Refused("required_field", path)
    if isinstance(err, vol.DictInvalid):
        return Refused("invalid_object", path)
    if _name(path) not in FIELD_NAMES:
        return Refused("unknown_field", path)
    return Refused("invalid_value", path)


def refusal(err: vol.Invalid) -> ServiceValidationError:
    """Return the translated error for a failed validation: its first failure."""
    refused = _as_refused(_first(err))
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=refused.rule,
        translation_placeholders={
            "field": _name(refused.path),
            **{key: str(value) for key, value in refused.values.items()},
        },
    )


def _field_names(fields: dict[vol.Marker, Any], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for marker, rule in fields.items():
        names.add(f"{prefix}{marker.schema}")
        if isinstance(rule, Object):
            names |= _field_names(rule.fields, f"{prefix}{marker.schema}.")
    return names


# Every field of both actions, nested ones by their dotted name.
FIELD_NAMES: Final = (
    _field_names(CREATE_CALL_FIELDS)
    | _field_names(UPDATE_CALL_FIELDS)
    | _field_names(HANGUP_CALL_FIELDS)
)


def _validate(schema: vol.Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        result: dict[str, Any] = schema(dict(data))
    except vol.Invalid as err:
        raise refusal(err) from None
    # Fields left empty are not given.
    return {key: value for key, value in result.items() if value is not None}


def validate_create_call(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return create_call's validated data, or raise its translated refusal."""
    return _validate(CREATE_CALL_SCHEMA, data)


def validate_update_call(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return update_call's validated data, or raise its translated refusal."""
    return _validate(UPDATE_CALL_SCHEMA, data)


def validate_hangup_call(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return hangup_call's validated data, or raise its translated refusal."""
    return _validate(HANGUP_CALL_SCHEMA, data)


def validate_reset_missed_calls(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return reset_missed_calls' validated data, or raise its translated refusal."""
    return _validate(RESET_MISSED_CALLS_SCHEMA, data)


def validate_voicemail(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the voicemail actions' validated data, or raise their refusal."""
    return _validate(VOICEMAIL_SCHEMA, data)


def with_defaults(data: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """Fill `from`, the voice and the text-to-speech from the entry's options.

    Options saved by older versions may hold a caller ID keyword or a voice
    the action refuses; they are refused naming the option, not sent.
    """
    if "from" not in data:
        if not (caller := options.get(CONF_FROM)):
            raise validation_error("from_required")
        try:
            data["from"] = CALLER_ID(caller)
        except Refused:
            raise validation_error("invalid_default_from") from None
    return with_default_voice(data, options)


def with_default_voice(
    data: dict[str, Any],
    options: Mapping[str, Any],
    speech: Speech | None = None,
) -> dict[str, Any]:
    """Fill the voice: the action's own, else `speech`, else the entry's.

    An action naming a Bandwidth voice (and no text-to-speech entity) is
    spoken by Bandwidth even when the entry has a default text-to-speech
    entity; `speech` is what a call was placed with, for its later steps. A language or options without any
    text-to-speech entity are refused.
    """
    if "tts_entity_id" not in data and "voice" not in data:
        if speech is not None:
            data["tts_entity_id"] = speech.engine
            if speech.language is not None:
                data["language"] = speech.language
            if speech.options is not None:
                data["tts_options"] = speech.options
        elif engine := options.get(CONF_TTS_ENTITY_ID):
            data["tts_entity_id"] = engine
            if "language" not in data and (language := options.get(CONF_LANGUAGE)):
                data["language"] = language
    for key in ("language", "tts_options"):
        if key in data and "tts_entity_id" not in data:
            raise validation_error("tts_entity_required", field=key)
    if "voice" not in data and (voice := options.get(CONF_VOICE)):
        try:
            data["voice"] = VOICE_NAME(voice)
        except Refused:
            raise validation_error("invalid_default_voice") from None
    return data


def notify_recipients(options: Mapping[str, Any]) -> list[str]:
    """Return who the notify entity calls (the options form checked them)."""
    if not (recipients := options.get(CONF_NOTIFY_TO)):
        raise validation_error("notify_to_required")
    return list(recipients)


def check_destinations(
    destinations: Collection[str],
    options: Mapping[str, Any],
    field: str,
    *,
    anywhere: bool = False,
    sip: bool = True,
) -> None:
    """Refuse the first of `field`'s destinations calls may not go to.

    Premium-rate numbers always; numbers outside the entry's allowed country
    codes unless calls may go `anywhere`; SIP URIs unless `sip`.
    """
    allowed = allowed_country_codes(options)
    for destination in destinations:
        refused = destination_refusal(destination, allowed, anywhere=anywhere, sip=sip)
        if refused is not None:
            raise refusal(Refused(refused.rule, [field], **refused.values))


def validate_message(text: str) -> str:
    """Return text to speak as a call's `message`, or raise its refusal."""
    try:
        return SPOKEN(text)
    except Refused as err:
        err.prepend(["message"])
        raise refusal(err) from None


# Each option, its rule and the form's error; a list loses blanks and repeats.
OPTION_RULES: Final[tuple[tuple[str, Callable[[Any], Any], str], ...]] = (
    (CONF_FROM, CALLER_ID, "invalid_from"),
    (CONF_VOICE, VOICE_NAME, "invalid_voice"),
    (CONF_NOTIFY_TO, DESTINATIONS, "invalid_notify_to"),
    (CONF_TTS_ENTITY_ID, TTS_ENTITY, "invalid_tts_entity"),
    (CONF_LANGUAGE, LANGUAGE, "invalid_language"),
    (CONF_CALLS_PER_SECOND, CALLS_PER_SECOND, "invalid_calls_per_second"),
    (CONF_MAX_CALLS_PER_HOUR, CALLS_PER_HOUR, "invalid_max_calls_per_hour"),
    (CONF_ALLOWED_COUNTRY_CODES, CountryCodes(), "invalid_allowed_country_codes"),
    (CONF_HOLD_TIME, SECONDS, "invalid_seconds"),
    (CONF_INBOUND_CALLS, INBOUND_CALLS, "invalid_inbound_calls"),
    (CONF_RING_TIMEOUT, SECONDS, "invalid_seconds"),
    (CONF_FORWARD_TO, TRANSFER_DESTINATIONS, "invalid_forward_to"),
    (CONF_ASSIST_PIPELINE, PIPELINE_ID, "invalid_assist_pipeline"),
    (CONF_ASSIST_MAX_MINUTES, ASSIST_MINUTES, "invalid_assist_max_minutes"),
    (
        CONF_ASSIST_MAX_CONVERSATIONS,
        ASSIST_CONVERSATIONS,
        "invalid_assist_max_conversations",
    ),
    (CONF_VOICEMAIL_WHEN_UNANSWERED, boolean, "invalid_value"),
    (CONF_VOICEMAIL_FOR_OTHER_CALLERS, boolean, "invalid_value"),
    (CONF_VOICEMAIL_GREETING, SPOKEN, "invalid_voicemail_greeting"),
    (CONF_VOICEMAIL_MAX_DURATION, VOICEMAIL_DURATION, "invalid_voicemail_max_duration"),
    (CONF_VOICEMAIL_TRANSCRIPTION, TRANSCRIPTION, "invalid_value"),
    (CONF_VOICEMAIL_STT_ENTITY_ID, STT_ENTITY, "invalid_voicemail_stt_entity"),
    (CONF_VOICEMAIL_DELETE_AT_BANDWIDTH, boolean, "invalid_value"),
    (
        CONF_VOICEMAIL_RETENTION_DAYS,
        RETENTION_DAYS,
        "invalid_voicemail_retention_days",
    ),
)


def validate_options(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the options form's values to store, and its errors by field.

    Text is expected trimmed. Empty fields are not stored; the numbers to call
    lose blanks and repeats. What is stored passes the action's own rules.
    """
    options: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, rule, error in OPTION_RULES:
        value = user_input.get(key)
        if isinstance(value, list):
            value = _distinct_entries(value)
        if value is None or value in ("", []):
            continue
        try:
            options[key] = rule(value)
        except Refused as err:
            # A keyword as caller ID gets its own reason.
            errors[key] = err.rule if err.rule == "from_privacy_keyword" else error
    if (
        options.get(CONF_INBOUND_CALLS) == INBOUND_FORWARD
        and CONF_FORWARD_TO not in options
        and CONF_FORWARD_TO not in errors
    ):
        errors[CONF_FORWARD_TO] = "forward_to_required"
    return options, errors


# The options naming where calls go, in the form's order.
DESTINATION_OPTIONS: Final = (CONF_NOTIFY_TO, CONF_FORWARD_TO)


def refused_option_destinations(
    options: Mapping[str, Any],
) -> tuple[dict[str, str], dict[str, str]]:
    """Return the options form's error for a destination calls may not go to.

    Also the values its message names, for the form's placeholders; with one
    error at a time, they are that error's. SIP URIs set here are an
    administrator's choice: only administrators change options.
    """
    allowed = allowed_country_codes(options)
    for key in DESTINATION_OPTIONS:
        for destination in options.get(key, ()):
            if (refused := destination_refusal(destination, allowed)) is not None:
                return {key: refused.rule}, refused.values
    return {}, {}


def _distinct_entries(values: list[str]) -> list[str]:
    """Return a list field's entries, trimmed, without blanks or repeats."""
    # dict.fromkeys keeps the first of repeated values, in order.
    return list(dict.fromkeys(filter(None, (item.strip() for item in values))))
