"""The rules themselves, and how both validation libraries carry their refusals.

Home Assistant 2026 installs probatio under the name voluptuous; 2025.4 has the
real voluptuous. Every test here runs on both, and must give the same
translation key, field and limits on both.
"""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from custom_components.bandwidth.action_fields import CREATE_CALL_SCHEMA, FIELD_NAMES
from custom_components.bandwidth.call_values import DIGITS
from custom_components.bandwidth.calls import Speech
from custom_components.bandwidth.const import (
    CONF_CALLS_PER_SECOND,
    CONF_FROM,
    CONF_LANGUAGE,
    CONF_NOTIFY_TO,
    CONF_TTS_ENTITY_ID,
    CONF_VOICE,
)
from custom_components.bandwidth.option_rules import validate_options
from custom_components.bandwidth.rules import Pattern, Refused, Text, Whole
from custom_components.bandwidth.validation import (
    refusal,
    validate_create_call,
    with_default_voice,
)

from .helpers import assert_refused

TO = "+15555551234"


def _refused(schema: Any, data: Any) -> ServiceValidationError:
    """Validate with a schema; return the translated refusal."""
    with pytest.raises(vol.Invalid) as info:
        schema(data)
    return refusal(info.value)


@pytest.mark.parametrize(
    ("schema", "data", "key", "placeholders"),
    [
        # vol.All stops at the first rule that refuses, and keeps its error.
        (
            vol.Schema({"tag": vol.All(Text(3), Pattern(DIGITS, 2, rule="x"))}),
            {"tag": "1234"},
            "text_too_long",
            {"field": "tag", "max": "3"},
        ),
        (
            vol.Schema(
                {"tag": vol.All(Text(3), Pattern(DIGITS, 2, rule="invalid_digits"))}
            ),
            {"tag": "123"},
            "invalid_digits",
            {"field": "tag", "max": "2"},
        ),
        # vol.Any of rules reports the first alternative's refusal.
        (
            vol.Schema({"tag": vol.Any(Text(3), Whole(1, 2))}),
            {"tag": 5},
            "invalid_text",
            {"field": "tag"},
        ),
        # Nested schemas prefix the path: the field is named as users type it.
        (
            vol.Schema({"gather": vol.Schema({"max_digits": Whole(1, 50)})}),
            {"gather": {"max_digits": 0}},
            "whole_number_range",
            {"field": "gather.max_digits", "min": "1", "max": "50"},
        ),
        (
            vol.Schema({"gather": {"max_digits": vol.All(Whole(1, 50))}}),
            {"gather": {"max_digits": 51}},
            "whole_number_range",
            {"field": "gather.max_digits", "min": "1", "max": "50"},
        ),
        # The libraries' own refusals map to a rule too.
        (
            vol.Schema({vol.Required("to"): str}),
            {},
            "required_field",
            {"field": "to"},
        ),
        (
            vol.Schema({"to": str}),
            {"surprise": 1},
            "unknown_field",
            {"field": "surprise"},
        ),
        (
            vol.Schema({"gather": {"prompt": str}}),
            {"gather": {"color": 1}},
            "unknown_field",
            {"field": "gather.color"},
        ),
        (
            vol.Schema({"gather": {"prompt": str}}),
            {"gather": "press 1"},
            "invalid_object",
            {"field": "gather"},
        ),
        (vol.Schema({"tag": str}), {"tag": 5}, "invalid_value", {"field": "tag"}),
        # probatio says "expected str or int", voluptuous "expected str".
        (
            vol.Schema({"tag": vol.Any(str, int)}),
            {"tag": None},
            "invalid_value",
            {"field": "tag"},
        ),
        (
            vol.Schema({"tag": vol.All(str, vol.Length(max=2))}),
            {"tag": "long"},
            "invalid_value",
            {"field": "tag"},
        ),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_refusals_through_the_library(
    hass: HomeAssistant,
    schema: Any,
    data: Any,
    key: str,
    placeholders: dict[str, str],
) -> None:
    """A rule's refusal survives Schema, All and Any unchanged, with its path."""
    await assert_refused(hass, _refused(schema, data), key, **placeholders)


def test_refused_is_a_library_error() -> None:
    """A rule's refusal is what either library expects a validator to raise."""
    err = Refused("text_too_long", ["tag"], max=3)
    assert isinstance(err, vol.Invalid)
    assert err.path == ["tag"]
    assert err.rule == "text_too_long"
    assert err.values == {"max": 3}
    # What the library keeps as message is the key: no English to leak.
    assert err.msg == "text_too_long"


def test_fields_are_known() -> None:
    """Every field of both actions, nested ones by their dotted name."""
    assert {
        "to",
        "gather.max_digits",
        "machine_detection.machine_speech_end_threshold",
        "call_id",
        "config_entry_id",
    } <= FIELD_NAMES
    assert "gather" in FIELD_NAMES
    assert "surprise" not in FIELD_NAMES


@pytest.mark.parametrize(
    "data",
    [
        {"to": TO, "username": "me"},
        {"to": TO, "username": "me", "answer_url": "https://my.example.test/a"},
        # Without credentials of the user's own, http is the user's choice.
        {"to": TO, "answer_url": "http://my.example.test/a"},
        {"to": TO, "disconnect_url": "http://my.example.test/d"},
        {"to": TO, "machine_detection": {"callback_url": "http://my.example.test/md"}},
        # Each pair of credentials only goes to its own URLs.
        {
            "to": TO,
            "username": "me",
            "answer_url": "https://my.example.test/a",
            "answer_fallback_url": "http://my.example.test/f",
        },
        {
            "to": TO,
            "fallback_username": "me",
            "answer_url": "http://my.example.test/a",
            "answer_fallback_url": "https://my.example.test/f",
        },
        {
            "to": TO,
            "username": "me",
            "answer_url": "https://my.example.test/a",
            "machine_detection": {"callback_url": "http://my.example.test/md"},
        },
        {
            "to": TO,
            "machine_detection": {
                "username": "md",
                "callback_url": "https://my.example.test/md",
                "fallback_url": "http://my.example.test/md2",
            },
        },
        # Detection credentials without a URL of the user's own.
        {"to": TO, "machine_detection": {"username": "md", "password": "x"}},
        # An empty password is no password.
        {"to": TO, "password": ""},
        {"to": TO, "privacy": True, "display_name": "Anonymous"},
        {"to": TO, "privacy": True},
        {"to": TO, "privacy": False, "display_name": "Ann"},
    ],
)
def test_accepted_combinations(data: dict[str, Any]) -> None:
    """Combinations next to the refused ones pass, unchanged but for `to`."""
    assert validate_create_call(data) == {**data, "to": [TO]}


def test_output_shape() -> None:
    """Whole numbers come out as int (Bandwidth mishandles decimals there)."""
    validated = CREATE_CALL_SCHEMA(
        {
            "to": [TO],
            "priority": 2.0,
            "call_timeout": 12.5,
            "gather": {"max_digits": 3.0, "first_digit_timeout": 2.5},
            "machine_detection": {"detection_timeout": 15.0, "silence_timeout": 4},
        }
    )
    assert validated == {
        "to": [TO],
        "priority": 2,
        "call_timeout": 12.5,
        "gather": {"max_digits": 3, "first_digit_timeout": 2.5},
        "machine_detection": {"detection_timeout": 15, "silence_timeout": 4},
    }
    assert type(validated["priority"]) is int
    assert type(validated["machine_detection"]["detection_timeout"]) is int


@pytest.mark.parametrize(
    ("user_input", "options", "errors"),
    [
        ({}, {}, {}),
        (
            {CONF_FROM: "+15555550100", CONF_VOICE: "kate"},
            {CONF_FROM: "+15555550100", CONF_VOICE: "kate"},
            {},
        ),
        (
            {
                CONF_FROM: "Anonymous",
                CONF_VOICE: "new voice",
                CONF_NOTIFY_TO: ["+1"],
                CONF_CALLS_PER_SECOND: 0,
            },
            {},
            {
                CONF_FROM: "from_privacy_keyword",
                CONF_VOICE: "invalid_voice",
                CONF_NOTIFY_TO: "invalid_notify_to",
                CONF_CALLS_PER_SECOND: "invalid_calls_per_second",
            },
        ),
        ({CONF_FROM: "+1"}, {}, {CONF_FROM: "invalid_from"}),
        (
            {CONF_NOTIFY_TO: [" +15555550111", "+15555550111 ", " "]},
            {CONF_NOTIFY_TO: ["+15555550111"]},
            {},
        ),
        ({CONF_CALLS_PER_SECOND: 100.0}, {CONF_CALLS_PER_SECOND: 100}, {}),
    ],
)
def test_options(
    user_input: dict[str, Any], options: dict[str, Any], errors: dict[str, str]
) -> None:
    """The options form's values pass the action's own rules, or name the field."""
    assert validate_options(user_input) == (options, errors)


def test_tts_options_take_texts_numbers_and_booleans() -> None:
    """An engine's options may be texts, numbers or true/false."""
    options = {"voice": "anna", "speed": 1.5, "pitch": -2, "ssml": True}
    data = validate_create_call(
        {"to": "+15555550123", "tts_entity_id": "tts.x", "tts_options": options}
    )
    assert data["tts_options"] == options


SPEECH = Speech(engine="tts.call", language="de-DE", options={"voice": "anna"})


@pytest.mark.parametrize(
    ("data", "options", "speech", "expected"),
    [
        # The call's own voice for its steps, whole.
        (
            {},
            {},
            SPEECH,
            {
                "tts_entity_id": "tts.call",
                "language": "de-DE",
                "tts_options": {"voice": "anna"},
            },
        ),
        ({}, {}, Speech(engine="tts.call"), {"tts_entity_id": "tts.call"}),
        # Else the entry's default, with its language if it has one.
        ({}, {CONF_TTS_ENTITY_ID: "tts.entry"}, None, {"tts_entity_id": "tts.entry"}),
        (
            {},
            {CONF_TTS_ENTITY_ID: "tts.entry", CONF_LANGUAGE: "en-GB"},
            None,
            {"tts_entity_id": "tts.entry", "language": "en-GB"},
        ),
        (
            {"language": "fr"},
            {CONF_TTS_ENTITY_ID: "tts.entry", CONF_LANGUAGE: "en-GB"},
            None,
            {"tts_entity_id": "tts.entry", "language": "fr"},
        ),
        # A Bandwidth voice, or an entity, given: nothing else is added.
        (
            {"voice": "kate"},
            {CONF_TTS_ENTITY_ID: "tts.entry"},
            SPEECH,
            {"voice": "kate"},
        ),
        (
            {"tts_entity_id": "tts.own"},
            {CONF_TTS_ENTITY_ID: "tts.entry"},
            SPEECH,
            {"tts_entity_id": "tts.own"},
        ),
    ],
)
def test_which_voice_speaks(
    data: dict[str, Any],
    options: dict[str, Any],
    speech: Speech | None,
    expected: dict[str, Any],
) -> None:
    """The action's voice, else the call's, else the entry's text-to-speech."""
    assert with_default_voice(dict(data), options, speech) == expected
