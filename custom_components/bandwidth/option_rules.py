"""The options form's rules: what each option may hold, and its form error.

What is stored passes the actions' own rules (call_values.py), so a default
never fails a call that would have passed with the value given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import voluptuous as vol

from .call_values import (
    CALLER_ID,
    DESTINATIONS,
    LANGUAGE,
    MAX_PIPELINE_ID_LENGTH,
    SPOKEN,
    STT_ENTITY_ID,
    TRANSFER_DESTINATIONS,
    TTS_ENTITY,
    VOICE_NAME,
)
from .const import (
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
    INBOUND_FORWARD,
    INBOUND_MODES,
    TRANSCRIPTIONS,
)
from .countries import (
    ALLOWABLE_COUNTRY_CODES,
    allowed_country_codes,
    destination_refusal,
)
from .rules import Choice, Pattern, Refused, Text, Translated, Whole, boolean

# How long a voicemail message may be, in seconds, and kept, in days.
MIN_VOICEMAIL_DURATION: Final = 5
MAX_VOICEMAIL_DURATION: Final = 600
MAX_RETENTION_DAYS: Final = 3650

MIN_CALLS_PER_SECOND: Final = 1
MAX_CALLS_PER_SECOND: Final = 100
# How long calls ring or wait for automations, in the options.
MIN_SECONDS: Final = 1
MAX_SECONDS: Final = 300
# How many numbers may talk to Assist by calling in.
MAX_ASSIST_MINUTES: Final = 120
MAX_ASSIST_CONVERSATIONS: Final = 10
# How many calls an entry may place in an hour, in the options.
MIN_CALLS_PER_HOUR: Final = 1
# Room for accounts above Bandwidth's default 5 calls a second (18,000 an hour).
MAX_CALLS_PER_HOUR: Final = 100_000


# Country calling codes calls may go to, as the options form offers them.
COUNTRY_CODES: Final = Translated(
    vol.Schema([vol.In(ALLOWABLE_COUNTRY_CODES)]), rule="invalid_value"
)


CALLS_PER_SECOND = Whole(MIN_CALLS_PER_SECOND, MAX_CALLS_PER_SECOND)
CALLS_PER_HOUR = Whole(MIN_CALLS_PER_HOUR, MAX_CALLS_PER_HOUR)
SECONDS = Whole(MIN_SECONDS, MAX_SECONDS)
INBOUND_CALLS = Choice(INBOUND_MODES, rule="invalid_value")
PIPELINE_ID = Text(MAX_PIPELINE_ID_LENGTH, empty=False, blank=False)
ASSIST_MINUTES = Whole(1, MAX_ASSIST_MINUTES)
ASSIST_CONVERSATIONS = Whole(1, MAX_ASSIST_CONVERSATIONS)
VOICEMAIL_DURATION = Whole(MIN_VOICEMAIL_DURATION, MAX_VOICEMAIL_DURATION)
RETENTION_DAYS = Whole(1, MAX_RETENTION_DAYS)
TRANSCRIPTION = Choice(TRANSCRIPTIONS, rule="invalid_value")
STT_ENTITY = Pattern(STT_ENTITY_ID, 255, rule="invalid_voicemail_stt_entity")
# Fields choosing Home Assistant's text-to-speech; empty means not given.


# Each option, its rule and the form's error; a list loses blanks and repeats.
OPTION_RULES: Final[tuple[tuple[str, Callable[[Any], Any], str], ...]] = (
    (CONF_FROM, CALLER_ID, "invalid_from"),
    (CONF_VOICE, VOICE_NAME, "invalid_voice"),
    (CONF_NOTIFY_TO, DESTINATIONS, "invalid_notify_to"),
    (CONF_TTS_ENTITY_ID, TTS_ENTITY, "invalid_tts_entity"),
    (CONF_LANGUAGE, LANGUAGE, "invalid_language"),
    (CONF_CALLS_PER_SECOND, CALLS_PER_SECOND, "invalid_calls_per_second"),
    (CONF_MAX_CALLS_PER_HOUR, CALLS_PER_HOUR, "invalid_max_calls_per_hour"),
    (CONF_ALLOWED_COUNTRY_CODES, COUNTRY_CODES, "invalid_allowed_country_codes"),
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
