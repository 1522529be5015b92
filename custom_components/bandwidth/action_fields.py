"""The fields of each action and the combinations Bandwidth refuses.

Each action's fields map to their rules (rules.py, call_values.py); a check
then refuses what Bandwidth would refuse of the fields together, naming the
field to change. services.yaml describes the same fields to users.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Final

import voluptuous as vol

from .call_values import (
    ASSIST,
    AUDIO_SOURCE,
    CALL_ID,
    CALLER_ID,
    CREDENTIAL,
    DESTINATIONS,
    DIGITS,
    METHOD,
    SPEECH_FIELDS,
    SPOKEN,
    TRANSFER_DESTINATIONS,
    URL_RULE,
    UUI,
    VOICE_NAME,
    TransferCallerId,
)
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CALLER_ID_KEYWORDS,
)
from .rules import (
    Choice,
    DisplayName,
    Number,
    Object,
    Pattern,
    Refused,
    Text,
    Whole,
    WholeSeconds,
    boolean,
    field_name,
)

# How long Bandwidth lets a call ring, at most (call_timeout).
MAX_CALL_TIMEOUT: Final = 300
# How long create_call may wait for its calls to turn out (wait_for).
MAX_WAIT: Final = 600
# Fields of a call that Home Assistant speaks or plays itself.
SCRIPT_FIELDS: Final = ("message", "audio_url", "machine_message", "gather", "assist")


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
                username=field_name([*prefix, username]),
            )
        if not data.get(username):
            continue
        for url in urls:
            if data.get(url, "")[:5].lower() == "http:":
                raise Refused(
                    "credentials_need_https",
                    [*prefix, url],
                    credential=field_name([*prefix, username]),
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
