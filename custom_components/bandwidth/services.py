"""Actions bandwidth.create_call and bandwidth.hangup_call."""

from __future__ import annotations

import math
import re
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from yarl import URL

from .api import BandwidthApiError, BandwidthError
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CALLER_ID_KEYWORDS,
    CONF_FROM,
    CONF_VOICE,
    DOMAIN,
)
from .data import BandwidthConfigEntry
from .dialer import async_place_calls, has_script, response_item
from .errors import to_home_assistant_error, validation_error

SERVICE_CREATE_CALL = "create_call"
SERVICE_HANGUP_CALL = "hangup_call"

MAX_DESTINATIONS = 20
MAX_SAFE_INTEGER = 2**53
# \Z, not $: $ also matches before a trailing new line. [0-9], not \d: \d
# also matches other scripts' digits.
E164 = r"^\+[1-9][0-9]{1,14}\Z"
SIP_URI = r"^sip:[^@\s]+@[^@\s]+\Z"
UUI_VALUE = r"[^,;\s]+;encoding=(?:base64|jwt|hex)"
UUI = rf"^{UUI_VALUE}(?:,{UUI_VALUE})*\Z"
DIGITS = r"^[0-9*#]+\Z"
VOICE = r"^[A-Za-z][A-Za-z_-]*\Z"
# Bandwidth's ids look like c-15ac29a2-1331029c-2cb0-...; nothing else can
# name a call, and nothing that could be a path.
CALL_ID = r"^[A-Za-z0-9_-]+\Z"

# What each field accepts, named in validation errors.
LIMITS: dict[str, str] = {
    ATTR_CONFIG_ENTRY_ID: "the id of a loaded Bandwidth Voice entry",
    "to": f"1 to {MAX_DESTINATIONS} distinct destinations, each E.164 (+ then 2-15 digits, the first 1-9) or a SIP URI (sip:user@host)",
    "from": "E.164 (+ then 2-15 digits) or Restricted, Anonymous, Private or Unavailable",
    "application_id": "1 to 1024 characters",
    "answer_url": "an http(s) URL of at most 2048 characters; https when its callbacks carry credentials",
    "answer_fallback_url": "an http(s) URL of at most 2048 characters; https with fallback_username",
    "disconnect_url": "an http(s) URL of at most 2048 characters",
    "answer_method": "GET or POST",
    "answer_fallback_method": "GET or POST",
    "disconnect_method": "GET or POST",
    "username": "at most 1024 characters",
    "password": "at most 1024 characters",
    "fallback_username": "at most 1024 characters",
    "fallback_password": "at most 1024 characters",
    "call_timeout": "a number of seconds from 1 to 300",
    "callback_timeout": "a number of seconds from 1 to 25",
    "tag": "at most 4096 characters",
    "uui": "at most 350 characters; comma-separated values each ending in ;encoding=base64, jwt or hex",
    "privacy": "true or false",
    "display_name": "at most 256 characters, no control characters; with privacy, Restricted, Anonymous, Private or Unavailable",
    "priority": "a whole number from 1 to 5",
    "machine_detection": "an object with the machine detection settings",
    "machine_detection.mode": "sync or async",
    "machine_detection.detection_timeout": "a positive number of seconds",
    "machine_detection.silence_timeout": "a positive number of seconds",
    "machine_detection.speech_threshold": "a positive number of seconds",
    "machine_detection.speech_end_threshold": "a positive number of seconds",
    "machine_detection.machine_speech_end_threshold": "a positive number of seconds",
    "machine_detection.delay_result": "true or false",
    "machine_detection.callback_url": "an http(s) URL of at most 2048 characters",
    "machine_detection.callback_method": "GET or POST",
    "machine_detection.fallback_url": "an http(s) URL of at most 2048 characters",
    "machine_detection.fallback_method": "GET or POST",
    "machine_detection.username": "at most 1024 characters",
    "machine_detection.password": "at most 1024 characters",
    "machine_detection.fallback_username": "at most 1024 characters",
    "machine_detection.fallback_password": "at most 1024 characters",
    "message": "1 to 10000 characters",
    "machine_message": "1 to 10000 characters",
    "voice": "a Bandwidth voice name such as julie, kate, susan, dave or paul",
    "audio_url": "an http(s) URL of a .wav or .mp3 file, at most 2048 characters",
    "gather": "an object with the digit gathering settings",
    "gather.prompt": "1 to 10000 characters",
    "gather.max_digits": "a whole number from 1 to 50",
    "gather.terminating_digits": "1 to 50 of the keys 0-9, * and #",
    "gather.first_digit_timeout": "a number of seconds from 0 to 60",
    "gather.inter_digit_timeout": "a number of seconds from 1 to 60",
    "gather.repeat_count": "a whole number from 1 to 20",
    "call_id": "a Bandwidth call id: 1 to 256 letters, digits, - and _",
}


def _unicode(value: Any) -> str:
    """Validate a string that can be sent: no lone surrogates."""
    if not isinstance(value, str):
        raise vol.Invalid("expected a string")
    try:
        value.encode()
    except UnicodeEncodeError as err:
        raise vol.Invalid("expected valid Unicode text") from err
    return value


def _text(max_length: int, *, min_length: int = 0) -> vol.All:
    """Validate a string (not a number or list) of bounded length."""
    return vol.All(_unicode, vol.Length(min=min_length, max=max_length))


def _number(minimum: float | None, maximum: float | None = None) -> vol.All:
    """Validate a finite number (booleans and strings excluded) in a range."""

    def finite(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise vol.Invalid("expected a number")
        # Only floats can be infinite or NaN (math.isfinite overflows on huge ints).
        if isinstance(value, float) and not math.isfinite(value):
            raise vol.Invalid("expected a finite number")
        # JSON numbers past 2**53 are not portable; past 2**64 they cannot be sent.
        if abs(value) > MAX_SAFE_INTEGER:
            raise vol.Invalid("expected a number of at most 2**53")
        return value

    return vol.All(finite, vol.Range(min=minimum, max=maximum))


def _integer(minimum: int, maximum: int) -> vol.All:
    """Validate a whole number (a float such as 3.0 is accepted as 3)."""

    def whole(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise vol.Invalid("expected a whole number")
        if isinstance(value, float) and not value.is_integer():
            raise vol.Invalid("expected a whole number")
        return int(value)

    return vol.All(whole, vol.Range(min=minimum, max=maximum))


def _url(value: Any) -> str:
    """Validate an absolute http(s) URL of at most 2048 characters."""
    if not isinstance(value, str) or len(value) > 2048:  # noqa: PLR2004
        raise vol.Invalid("expected a URL of at most 2048 characters")
    if not re.match(r"^https?://[^\s/?#]+[^\s]*\Z", value, re.IGNORECASE):
        raise vol.Invalid("expected an http or https URL")
    try:
        # yarl refuses what Bandwidth cannot parse either: a bad port, an
        # unclosed [IPv6] host, no host at all (older yarl: IndexError on []).
        URL(_unicode(value))
    except (ValueError, IndexError) as err:
        raise vol.Invalid("expected an http or https URL") from err
    return value


def _audio_url(value: Any) -> str:
    """Validate a URL of a .wav or .mp3 file."""
    url = _url(value)
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    if not path.endswith((".wav", ".mp3")):
        raise vol.Invalid("expected a .wav or .mp3 file")
    return url


def _no_control_characters(value: str) -> str:
    """Refuse new lines and other control or invisible characters."""
    if not value.isprintable():
        raise vol.Invalid("control characters are not allowed")
    return value


def _distinct(values: list[str]) -> list[str]:
    """Refuse the same destination twice: it would ring one phone twice."""
    if len(set(values)) != len(values):
        raise vol.Invalid("destinations must be distinct")
    return values


_METHOD = vol.In(["GET", "POST"])
_CREDENTIAL = _text(1024)

MACHINE_DETECTION_SCHEMA = vol.Schema(
    {
        vol.Optional("mode"): vol.In(["sync", "async"]),
        vol.Optional("detection_timeout"): _number(0),
        vol.Optional("silence_timeout"): _number(0),
        vol.Optional("speech_threshold"): _number(0),
        vol.Optional("speech_end_threshold"): _number(0),
        vol.Optional("machine_speech_end_threshold"): _number(0),
        vol.Optional("delay_result"): bool,
        vol.Optional("callback_url"): _url,
        vol.Optional("callback_method"): _METHOD,
        vol.Optional("fallback_url"): _url,
        vol.Optional("fallback_method"): _METHOD,
        vol.Optional("username"): _CREDENTIAL,
        vol.Optional("password"): _CREDENTIAL,
        vol.Optional("fallback_username"): _CREDENTIAL,
        vol.Optional("fallback_password"): _CREDENTIAL,
    }
)

GATHER_SCHEMA = vol.Schema(
    {
        vol.Optional("prompt"): _text(10000, min_length=1),
        vol.Optional("max_digits"): _integer(1, 50),
        vol.Optional("terminating_digits"): vol.All(
            _text(50, min_length=1), vol.Match(DIGITS)
        ),
        vol.Optional("first_digit_timeout"): _number(0, 60),
        vol.Optional("inter_digit_timeout"): _number(1, 60),
        vol.Optional("repeat_count"): _integer(1, 20),
    }
)

CREATE_CALL_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): _text(256, min_length=1),
        vol.Required("to"): vol.All(
            vol.Any(vol.All(str, lambda value: [value]), list),
            vol.Length(min=1, max=MAX_DESTINATIONS),
            [vol.All(_unicode, vol.Any(vol.Match(E164), vol.Match(SIP_URI)))],
            _distinct,
        ),
        vol.Optional("from"): vol.All(
            str, vol.Any(vol.Match(E164), vol.In(CALLER_ID_KEYWORDS))
        ),
        vol.Optional("application_id"): _text(1024, min_length=1),
        vol.Optional("answer_url"): _url,
        vol.Optional("answer_method"): _METHOD,
        vol.Optional("answer_fallback_url"): _url,
        vol.Optional("answer_fallback_method"): _METHOD,
        vol.Optional("disconnect_url"): _url,
        vol.Optional("disconnect_method"): _METHOD,
        vol.Optional("username"): _CREDENTIAL,
        vol.Optional("password"): _CREDENTIAL,
        vol.Optional("fallback_username"): _CREDENTIAL,
        vol.Optional("fallback_password"): _CREDENTIAL,
        vol.Optional("call_timeout"): _number(1, 300),
        vol.Optional("callback_timeout"): _number(1, 25),
        vol.Optional("tag"): _text(4096),
        vol.Optional("uui"): vol.All(_text(350), vol.Match(UUI)),
        vol.Optional("privacy"): bool,
        vol.Optional("display_name"): vol.All(_text(256), _no_control_characters),
        vol.Optional("priority"): _integer(1, 5),
        vol.Optional("machine_detection"): MACHINE_DETECTION_SCHEMA,
        vol.Optional("message"): _text(10000, min_length=1),
        vol.Optional("machine_message"): _text(10000, min_length=1),
        vol.Optional("voice"): vol.All(_text(64, min_length=1), vol.Match(VOICE)),
        vol.Optional("audio_url"): _audio_url,
        vol.Optional("gather"): GATHER_SCHEMA,
    }
)

HANGUP_CALL_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): _text(256, min_length=1),
        vol.Required("call_id"): vol.All(_text(256, min_length=1), vol.Match(CALL_ID)),
    }
)


def _validate(schema: vol.Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Validate action data, naming the field and its limit on failure."""
    try:
        result: dict[str, Any] = schema(dict(data))
    except vol.Invalid as err:
        error = err.errors[0] if isinstance(err, vol.MultipleInvalid) else err
        field = ".".join(str(part) for part in error.path if not isinstance(part, int))
        raise _invalid_field(field, error.msg) from None
    return result


def _invalid_field(field: str, error: str) -> ServiceValidationError:
    """Return the error naming a field, its limit and what is wrong."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="invalid_field",
        translation_placeholders={
            "field": field,
            "limit": LIMITS.get(field, "not a field of this action"),
            "error": error,
        },
    )


def _check_combinations(data: dict[str, Any]) -> None:
    """Refuse field combinations Bandwidth refuses, naming the field to change."""
    name = data.get("display_name")
    if data.get("privacy") and name and name not in CALLER_ID_KEYWORDS:
        raise _invalid_field(
            "display_name",
            f"with privacy it must be one of {', '.join(CALLER_ID_KEYWORDS)}",
        )
    # Bandwidth only sends credentials over https.
    answer_credentials = bool(data.get("username"))
    for field, sends_credentials in (
        ("answer_url", answer_credentials),
        ("answer_fallback_url", bool(data.get("fallback_username"))),
    ):
        url = data.get(field)
        if sends_credentials and url and url.lower().startswith("http:"):
            raise _invalid_field(
                field, "must be https when its callbacks carry credentials"
            )


def _entry(hass: HomeAssistant, data: dict[str, Any]) -> BandwidthConfigEntry:
    """Return the loaded entry the action is for; implicit when there is one."""
    if (entry_id := data.get(ATTR_CONFIG_ENTRY_ID)) is None:
        loaded = [
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.state is ConfigEntryState.LOADED
        ]
        if not loaded:
            raise validation_error("not_loaded")
        if len(loaded) > 1:
            raise validation_error("config_entry_required")
        return loaded[0]
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise validation_error("config_entry_not_found", config_entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise validation_error("config_entry_not_loaded", title=entry.title)
    return entry


async def _async_create_call(call: ServiceCall) -> ServiceResponse:
    """Place calls and return one result per destination."""
    hass = call.hass
    data = _validate(CREATE_CALL_SCHEMA, dict(call.data))
    _check_combinations(data)
    entry = _entry(hass, data)
    if "answer_url" in data and has_script(data):
        raise validation_error("script_with_answer_url")
    if "from" not in data:
        if not (default_from := entry.options.get(CONF_FROM)):
            raise validation_error("from_required")
        data["from"] = default_from
    if "voice" not in data and (voice := entry.options.get(CONF_VOICE)):
        data["voice"] = voice

    outcome = await async_place_calls(hass, entry, data)
    return {"calls": [response_item(to, result) for to, result in outcome]}


async def _async_hangup_call(call: ServiceCall) -> None:
    """End a call or remove it from Bandwidth's queue."""
    hass = call.hass
    data = _validate(HANGUP_CALL_SCHEMA, dict(call.data))
    entry = _entry(hass, data)
    try:
        await entry.runtime_data.client.hangup(data["call_id"])
    except BandwidthApiError as err:
        if err.status == 404:  # noqa: PLR2004
            raise validation_error("call_not_found", call_id=data["call_id"]) from err
        raise to_home_assistant_error(hass, entry, err) from err
    except BandwidthError as err:
        raise to_home_assistant_error(hass, entry, err) from err


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions.

    Data is validated in the handlers so that every refusal is a translated
    ServiceValidationError naming the field, rather than a bare vol.Invalid.
    """
    hass.services.async_register(
        DOMAIN,
        SERVICE_CREATE_CALL,
        _async_create_call,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(DOMAIN, SERVICE_HANGUP_CALL, _async_hangup_call)
