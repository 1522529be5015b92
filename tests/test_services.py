"""Tests for the bandwidth.create_call and bandwidth.hangup_call actions."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bandwidth.const import CONF_ALLOWED_COUNTRY_CODES, DOMAIN
from sandbox import Sandbox

from .helpers import (
    FROM_NUMBER,
    INBOUND_SECRET,
    assert_refused,
    create_call,
    created_bodies,
    entry_data,
)

TO = "+15555551234"


async def test_some_destinations_fail(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A destination Bandwidth refuses carries its error; the others ring."""
    bandwidth_sandbox.fail_next(
        400,
        {"type": "validation", "description": "Invalid to: not allowed"},
        path_contains="/calls",
        method="POST",
    )
    with caplog.at_level(logging.WARNING):
        response = await create_call(hass, to=[TO, "+15555551235"])
    errors = [item for item in response["calls"] if "error" in item]
    assert len(errors) == 1
    assert errors[0]["error"] == "Invalid to: not allowed"
    assert len(bandwidth_sandbox.calls) == 1
    assert "Invalid to: not allowed" in caplog.text
    assert INBOUND_SECRET not in caplog.text


@pytest.mark.usefixtures("init_integration")
async def test_all_destinations_fail(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """When every call fails the action raises Bandwidth's own description."""
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO, application_id="someone-elses")
    assert info.value.translation_key == "api_error"
    assert info.value.translation_placeholders == {
        "status": "400",
        "description": "Invalid applicationId: application someone-elses not found",
    }


@pytest.mark.parametrize(
    ("status", "body", "headers", "key"),
    [
        (503, "<html>down</html>", {}, "call_outcome_unknown"),
        (
            429,
            {"type": "error", "description": "Slow down"},
            {"Retry-After": "60"},
            "rate_limited",
        ),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_bandwidth_failures(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    status: int,
    body: Any,
    headers: dict[str, str],
    key: str,
) -> None:
    """Server errors and lasting rate limits become clear errors."""
    bandwidth_sandbox.fail_next(
        status, body, headers=headers, path_contains="/calls", method="POST"
    )
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == key


@pytest.mark.usefixtures("init_integration")
async def test_rate_limit_is_retried(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """A short 429 is waited out and the call is placed once."""
    bandwidth_sandbox.fail_next(
        429, "", headers={"Retry-After": "0"}, path_contains="/calls", method="POST"
    )
    await create_call(hass, to=TO)
    assert len(bandwidth_sandbox.calls) == 1


async def test_refused_credentials_start_reauth(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """401/403 during an action raises and starts re-authentication."""
    bandwidth_sandbox.revoke_tokens()
    bandwidth_sandbox.client_secret = "rotated"
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_no_external_url(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Without a URL Bandwidth can reach, nothing is sent and the user is told why."""
    await async_process_ha_core_config(
        hass, {"internal_url": "http://192.168.1.2:8123"}
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "no_external_url"
    assert created_bodies(bandwidth_sandbox) == []


async def test_from_is_required_without_a_default(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    external_url: str,
    bandwidth_sandbox: Sandbox,
) -> None:
    """With no from and no default caller number the action explains what to set."""
    mock_config_entry = MockConfigEntry(
        domain=DOMAIN,
        data=mock_config_entry.data,
        options={CONF_ALLOWED_COUNTRY_CODES: ["+1"]},
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO)
    await assert_refused(hass, info.value, "from_required")
    await create_call(hass, to=TO, **{"from": "+15555550111"})
    assert created_bodies(bandwidth_sandbox)[0]["from"] == "+15555550111"
    assert "voice" not in str(mock_config_entry.runtime_data.calls)


@pytest.mark.parametrize(
    ("options", "key"),
    [
        # Saved before Bandwidth wanted a number even with privacy.
        ({"from": "Anonymous"}, "invalid_default_from"),
        ({"from": "restricted"}, "invalid_default_from"),
        ({"from": "+1"}, "invalid_default_from"),
        # Saved before the options form checked voices.
        ({"from": FROM_NUMBER, "voice": "new voice"}, "invalid_default_voice"),
    ],
)
async def test_defaults_the_action_would_refuse(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    external_url: str,
    bandwidth_sandbox: Sandbox,
    options: dict[str, Any],
    key: str,
) -> None:
    """A stored default the action's rules refuse is named, not sent to Bandwidth."""
    mock_config_entry = MockConfigEntry(
        domain=DOMAIN,
        data=mock_config_entry.data,
        # Where calls go, without the caller ID's country to go by.
        options={CONF_ALLOWED_COUNTRY_CODES: ["+1"], **options},
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO, message="Hi")
    message = await assert_refused(hass, info.value, key)
    assert "options" in message
    assert created_bodies(bandwidth_sandbox) == []

    # The action's own from and voice do without the defaults.
    await create_call(
        hass, to=TO, message="Hi", voice="kate", **{"from": "+15555550111"}
    )
    (body,) = created_bodies(bandwidth_sandbox)
    assert body["from"] == "+15555550111"


@pytest.mark.usefixtures("init_integration")
async def test_message_with_own_answer_url(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """Home Assistant cannot speak on a call whose BXML comes from elsewhere."""
    with pytest.raises(ServiceValidationError) as info:
        await create_call(
            hass, to=TO, message="Hi", answer_url="https://my.example.test/a"
        )
    await assert_refused(hass, info.value, "script_with_answer_url", field="answer_url")
    assert created_bodies(bandwidth_sandbox) == []


# --- Which entry --------------------------------------------------------------


async def test_entry_selection(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """config_entry_id is needed once several entries are loaded, and must be one."""
    second = MockConfigEntry(
        domain=DOMAIN,
        unique_id="second",
        data=entry_data(bandwidth_sandbox.url, webhook_id="second-webhook"),
        options={"from": FROM_NUMBER},
    )
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)

    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "config_entry_required"

    response = await create_call(hass, to=TO, config_entry_id=second.entry_id)
    assert len(response["calls"]) == 1
    assert "/second-webhook?ref=" in created_bodies(bandwidth_sandbox)[0]["answerUrl"]

    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO, config_entry_id="nope")
    assert info.value.translation_key == "config_entry_not_found"
    assert info.value.translation_placeholders == {"config_entry_id": "nope"}

    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO, config_entry_id=other.entry_id)
    assert info.value.translation_key == "config_entry_not_found"

    assert await hass.config_entries.async_unload(second.entry_id)
    assert second.state is ConfigEntryState.NOT_LOADED
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO, config_entry_id=second.entry_id)
    assert info.value.translation_key == "config_entry_not_loaded"

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "not_loaded"


# --- Validation: one case per bound, both sides ---------------------------------

LONG_URL = "https://example.test/" + "a" * (2048 - len("https://example.test/"))
RANGE = {"min": "1", "max": "300"}

VALID: list[tuple[str, Any]] = [
    ("to", "+12"),
    ("to", "+123456789012345"),
    ("to", "sip:alarm@pbx.example.test"),
    ("to", [f"+1555555{n:04d}" for n in range(20)]),
    ("from", "+123456789012345"),
    ("call_timeout", 1),
    ("call_timeout", 300),
    ("call_timeout", 29.5),
    ("callback_timeout", 1),
    ("callback_timeout", 25),
    ("callback_timeout", 1.5),
    ("tag", ""),
    ("tag", "t" * 4096),
    ("uui", "a;encoding=jwt"),
    ("uui", "a" * 337 + ";encoding=hex"),
    ("display_name", "d" * 256),
    ("priority", 1),
    ("priority", 5),
    ("priority", 3.0),
    ("answer_method", "GET"),
    ("audio_url", "https://example.test/a.WAV?x=1"),
    ("message", "m" * 10000),
    ("message", " . "),
    ("voice", "kate"),
    (
        "gather",
        {
            "max_digits": 1,
            "first_digit_timeout": 0,
            "inter_digit_timeout": 1,
            "repeat_count": 1,
        },
    ),
    (
        "gather",
        {
            "max_digits": 50,
            "first_digit_timeout": 60,
            "inter_digit_timeout": 60,
            "repeat_count": 20,
        },
    ),
    ("gather", {"terminating_digits": "*#0"}),
    (
        "machine_detection",
        {
            "mode": "sync",
            "detection_timeout": 1,
            "silence_timeout": 2.0,
            "speech_threshold": 2**53,
        },
    ),
]

# (data beside `to`, translation key, placeholders)
INVALID: list[tuple[dict[str, Any], str, dict[str, str]]] = [
    ({"to": "+1"}, "invalid_destination", {"field": "to"}),
    ({"to": "+1234567890123456"}, "invalid_destination", {"field": "to"}),
    ({"to": "+0123"}, "invalid_destination", {"field": "to"}),
    ({"to": "5555551234"}, "invalid_destination", {"field": "to"}),
    ({"to": "sip:nobody"}, "invalid_destination", {"field": "to"}),
    ({"to": [TO, 15555551235]}, "invalid_destination", {"field": "to"}),
    ({"to": 15555551234}, "invalid_destination", {"field": "to"}),
    ({"to": {"number": TO}}, "invalid_destination", {"field": "to"}),
    ({"to": []}, "destination_count", {"field": "to", "min": "1", "max": "20"}),
    (
        {"to": [f"+1555555{n:04d}" for n in range(21)]},
        "destination_count",
        {"field": "to", "min": "1", "max": "20"},
    ),
    ({"to": [TO, TO]}, "duplicate_destination", {"field": "to"}),
    ({"from": "+1"}, "invalid_from", {"field": "from"}),
    ({"from": 15555550100}, "invalid_from", {"field": "from"}),
    ({"from": "Anonymous"}, "from_privacy_keyword", {"field": "from"}),
    ({"from": "restricted"}, "from_privacy_keyword", {"field": "from"}),
    ({"from": " Private "}, "from_privacy_keyword", {"field": "from"}),
    ({"from": "UNAVAILABLE"}, "from_privacy_keyword", {"field": "from"}),
    ({"call_timeout": 0.99}, "number_range", {"field": "call_timeout", **RANGE}),
    ({"call_timeout": 300.01}, "number_range", {"field": "call_timeout", **RANGE}),
    ({"call_timeout": "30"}, "number_range", {"field": "call_timeout", **RANGE}),
    ({"call_timeout": True}, "number_range", {"field": "call_timeout", **RANGE}),
    (
        {"call_timeout": float("nan")},
        "number_range",
        {"field": "call_timeout", **RANGE},
    ),
    (
        {"callback_timeout": 0.5},
        "number_range",
        {"field": "callback_timeout", "min": "1", "max": "25"},
    ),
    (
        {"callback_timeout": 25.5},
        "number_range",
        {"field": "callback_timeout", "min": "1", "max": "25"},
    ),
    ({"tag": "t" * 4097}, "text_too_long", {"field": "tag", "max": "4096"}),
    ({"tag": 5}, "invalid_text", {"field": "tag"}),
    ({"tag": "\ud800"}, "invalid_unicode", {"field": "tag"}),
    ({"uui": "a;encoding=utf8"}, "invalid_uui", {"field": "uui", "max": "350"}),
    (
        {"uui": "a" * 338 + ";encoding=hex"},
        "invalid_uui",
        {"field": "uui", "max": "350"},
    ),
    ({"uui": "abc"}, "invalid_uui", {"field": "uui", "max": "350"}),
    (
        {"display_name": "d" * 257},
        "text_too_long",
        {"field": "display_name", "max": "256"},
    ),
    ({"display_name": "two\nlines"}, "control_characters", {"field": "display_name"}),
    (
        {"priority": 0},
        "whole_number_range",
        {"field": "priority", "min": "1", "max": "5"},
    ),
    (
        {"priority": 6},
        "whole_number_range",
        {"field": "priority", "min": "1", "max": "5"},
    ),
    (
        {"priority": 2.5},
        "whole_number_range",
        {"field": "priority", "min": "1", "max": "5"},
    ),
    (
        {"priority": False},
        "whole_number_range",
        {"field": "priority", "min": "1", "max": "5"},
    ),
    ({"privacy": "yes"}, "boolean", {"field": "privacy"}),
    ({"answer_method": "PUT"}, "http_method", {"field": "answer_method"}),
    (
        {"answer_url": "ftp://example.test/a"},
        "invalid_url",
        {"field": "answer_url", "max": "2048"},
    ),
    (
        {"answer_url": LONG_URL + "a"},
        "invalid_url",
        {"field": "answer_url", "max": "2048"},
    ),
    (
        {"disconnect_url": "not a url"},
        "invalid_url",
        {"field": "disconnect_url", "max": "2048"},
    ),
    ({"username": "u" * 1025}, "text_too_long", {"field": "username", "max": "1024"}),
    ({"password": "p" * 1025}, "text_too_long", {"field": "password", "max": "1024"}),
    ({"application_id": ""}, "text_empty", {"field": "application_id"}),
    (
        {"audio_url": "media-source://Not Valid"},
        "invalid_audio_url",
        {"field": "audio_url", "max": "2048"},
    ),
    (
        {"audio_url": "media-source://media_source/" + "a" * 2030},
        "invalid_audio_url",
        {"field": "audio_url", "max": "2048"},
    ),
    (
        {"tts_entity_id": "light.kitchen"},
        "invalid_tts_entity",
        {"field": "tts_entity_id", "max": "255"},
    ),
    (
        {"tts_entity_id": 5},
        "invalid_tts_entity",
        {"field": "tts_entity_id", "max": "255"},
    ),
    (
        {"tts_entity_id": "tts.x", "language": "en US"},
        "invalid_language",
        {"field": "language", "max": "35"},
    ),
    (
        {"tts_entity_id": "tts.x", "tts_options": ["voice"]},
        "invalid_tts_options",
        {"field": "tts_options", "max": "20"},
    ),
    (
        {"tts_entity_id": "tts.x", "tts_options": {f"o{n}": n for n in range(21)}},
        "invalid_tts_options",
        {"field": "tts_options", "max": "20"},
    ),
    (
        {"tts_entity_id": "tts.x", "tts_options": {"": "x"}},
        "invalid_tts_options",
        {"field": "tts_options", "max": "20"},
    ),
    (
        {"tts_entity_id": "tts.x", "tts_options": {"voice": "v" * 10001}},
        "invalid_tts_options",
        {"field": "tts_options", "max": "20"},
    ),
    (
        {"tts_entity_id": "tts.x", "tts_options": {"voice": "\ud800"}},
        "invalid_tts_options",
        {"field": "tts_options", "max": "20"},
    ),
    (
        {"tts_entity_id": "tts.x", "tts_options": {"voice": ["a"]}},
        "invalid_tts_options",
        {"field": "tts_options", "max": "20"},
    ),
    (
        {"tts_options": {"voice": "anna"}},
        "tts_entity_required",
        {"field": "tts_options"},
    ),
    (
        {"audio_url": "https://example.test/a.ogg"},
        "invalid_audio_url",
        {"field": "audio_url", "max": "2048"},
    ),
    ({"message": ""}, "text_empty", {"field": "message"}),
    ({"message": "m" * 10001}, "text_too_long", {"field": "message", "max": "10000"}),
    ({"message": " \n\t "}, "text_blank", {"field": "message"}),
    ({"message": "\x00\u200b\ufeff"}, "text_blank", {"field": "message"}),
    ({"machine_message": "\r\n"}, "text_blank", {"field": "machine_message"}),
    ({"message": "Hi \udc80"}, "invalid_unicode", {"field": "message"}),
    ({"voice": "<script>"}, "invalid_voice", {"field": "voice", "max": "64"}),
    ({"voice": "v" * 65}, "invalid_voice", {"field": "voice", "max": "64"}),
    ({"gather": "press 1"}, "invalid_object", {"field": "gather"}),
    (
        {"gather": {"max_digits": 0}},
        "whole_number_range",
        {"field": "gather.max_digits", "min": "1", "max": "50"},
    ),
    (
        {"gather": {"max_digits": 51}},
        "whole_number_range",
        {"field": "gather.max_digits", "min": "1", "max": "50"},
    ),
    (
        {"gather": {"first_digit_timeout": -0.1}},
        "number_range",
        {"field": "gather.first_digit_timeout", "min": "0", "max": "60"},
    ),
    (
        {"gather": {"first_digit_timeout": 60.1}},
        "number_range",
        {"field": "gather.first_digit_timeout", "min": "0", "max": "60"},
    ),
    (
        {"gather": {"inter_digit_timeout": 0.9}},
        "number_range",
        {"field": "gather.inter_digit_timeout", "min": "1", "max": "60"},
    ),
    (
        {"gather": {"inter_digit_timeout": 61}},
        "number_range",
        {"field": "gather.inter_digit_timeout", "min": "1", "max": "60"},
    ),
    (
        {"gather": {"repeat_count": 0}},
        "whole_number_range",
        {"field": "gather.repeat_count", "min": "1", "max": "20"},
    ),
    (
        {"gather": {"repeat_count": 21}},
        "whole_number_range",
        {"field": "gather.repeat_count", "min": "1", "max": "20"},
    ),
    (
        {"gather": {"terminating_digits": "1a"}},
        "invalid_digits",
        {"field": "gather.terminating_digits", "max": "50"},
    ),
    ({"gather": {"prompt": ""}}, "text_empty", {"field": "gather.prompt"}),
    ({"gather": {"prompt": "\t"}}, "text_blank", {"field": "gather.prompt"}),
    ({"gather": {"color": "red"}}, "unknown_field", {"field": "gather.color"}),
    (
        {"machine_detection": {"mode": "maybe"}},
        "machine_detection_mode",
        {"field": "machine_detection.mode"},
    ),
    *(
        (
            {"machine_detection": {name: value}},
            "whole_seconds",
            {"field": f"machine_detection.{name}", "min": "1"},
        )
        for name, value in (
            ("detection_timeout", 0),
            ("detection_timeout", 14.5),
            ("silence_timeout", 0.5),
            ("speech_threshold", -1),
            ("speech_end_threshold", "5"),
            ("machine_speech_end_threshold", 2.25),
            ("machine_speech_end_threshold", float("inf")),
        )
    ),
    (
        {"machine_detection": {"detection_timeout": 2**53 + 1}},
        "number_too_large",
        {"field": "machine_detection.detection_timeout", "max": str(2**53)},
    ),
    (
        {"machine_detection": {"delay_result": "yes"}},
        "boolean",
        {"field": "machine_detection.delay_result"},
    ),
    (
        {"machine_detection": {"callback_url": "nope"}},
        "invalid_url",
        {"field": "machine_detection.callback_url", "max": "2048"},
    ),
    ({"machine_detection": []}, "invalid_object", {"field": "machine_detection"}),
    ({"surprise": 1}, "unknown_field", {"field": "surprise"}),
    ({"config_entry_id": ""}, "text_empty", {"field": "config_entry_id"}),
    # Fields together.
    (
        {"privacy": True, "display_name": "Ann"},
        "display_name_with_privacy",
        {"field": "display_name"},
    ),
    (
        {"password": "x"},
        "password_without_username",
        {"field": "password", "username": "username"},
    ),
    (
        {"username": "", "password": "x"},
        "password_without_username",
        {"field": "password", "username": "username"},
    ),
    (
        {"fallback_password": "x"},
        "password_without_username",
        {"field": "fallback_password", "username": "fallback_username"},
    ),
    (
        {"machine_detection": {"password": "x"}},
        "password_without_username",
        {
            "field": "machine_detection.password",
            "username": "machine_detection.username",
        },
    ),
    (
        {"machine_detection": {"fallback_password": "x"}},
        "password_without_username",
        {
            "field": "machine_detection.fallback_password",
            "username": "machine_detection.fallback_username",
        },
    ),
    (
        {"username": "me", "answer_url": "http://my.example.test/a"},
        "credentials_need_https",
        {"field": "answer_url", "credential": "username"},
    ),
    (
        {"username": "me", "disconnect_url": "HTTP://my.example.test/d"},
        "credentials_need_https",
        {"field": "disconnect_url", "credential": "username"},
    ),
    (
        {"fallback_username": "me", "answer_fallback_url": "http://my.example.test/f"},
        "credentials_need_https",
        {"field": "answer_fallback_url", "credential": "fallback_username"},
    ),
    (
        {
            "machine_detection": {
                "username": "md",
                "callback_url": "http://my.example.test/md",
            }
        },
        "credentials_need_https",
        {
            "field": "machine_detection.callback_url",
            "credential": "machine_detection.username",
        },
    ),
    (
        {
            "machine_detection": {
                "fallback_username": "md",
                "fallback_url": "http://my.example.test/md",
            }
        },
        "credentials_need_https",
        {
            "field": "machine_detection.fallback_url",
            "credential": "machine_detection.fallback_username",
        },
    ),
]


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("empty", [None, "", {}])
async def test_empty_speech_fields(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, empty: Any
) -> None:
    """Empty text-to-speech fields (a blueprint's unset inputs) are not given."""
    await create_call(
        hass,
        to=TO,
        message="Hello.",
        tts_entity_id=empty,
        language=empty,
        tts_options=empty,
    )
    assert created_bodies(bandwidth_sandbox)


@pytest.mark.parametrize(("field", "value"), VALID)
@pytest.mark.usefixtures("init_integration")
async def test_valid_bounds(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, field: str, value: Any
) -> None:
    """Values at the edge of each limit are accepted and sent."""
    await create_call(hass, **{"to": "+15555559999", field: value})
    assert created_bodies(bandwidth_sandbox)


@pytest.mark.usefixtures("init_integration")
async def test_credentials_with_https(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """Credentials go with https URLs; longest credentials accepted."""
    await create_call(
        hass,
        to=TO,
        answer_url="https://my.example.test/a",
        disconnect_url="https://my.example.test/d",
        username="u" * 1024,
        password="p" * 1024,
    )
    (body,) = created_bodies(bandwidth_sandbox)
    assert body["username"] == "u" * 1024


@pytest.mark.parametrize(("data", "key", "placeholders"), INVALID)
@pytest.mark.usefixtures("init_integration")
async def test_invalid_bounds(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """Each refusal names its rule, field and limits, fully translated; nothing is sent."""
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, **{"to": TO, **data})
    await assert_refused(hass, info.value, key, **placeholders)
    assert created_bodies(bandwidth_sandbox) == []


@pytest.mark.usefixtures("init_integration")
async def test_to_is_required(hass: HomeAssistant) -> None:
    """Without `to` there is no one to call."""
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, message="Hi")
    await assert_refused(hass, info.value, "required_field", field="to")


@pytest.mark.usefixtures("init_integration")
async def test_first_refused_field_is_named(hass: HomeAssistant) -> None:
    """With several bad fields, unknown ones come first, then the first in order."""
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO, tag=5, priority=9, surprise=1)
    await assert_refused(hass, info.value, "unknown_field", field="surprise")
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO, tag=5, priority=9)
    await assert_refused(hass, info.value, "invalid_text", field="tag")


# --- hangup_call --------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_hangup_call(hass: HomeAssistant, bandwidth_sandbox: Sandbox) -> None:
    """hangup_call sends state completed for the call."""
    response = await create_call(hass, to=TO)
    call_id = response["calls"][0]["call_id"]
    await hass.services.async_call(
        DOMAIN, "hangup_call", {"call_id": call_id}, blocking=True
    )
    assert bandwidth_sandbox.requests[-1].json == {"state": "completed"}
    assert bandwidth_sandbox.calls[call_id].completed


@pytest.mark.usefixtures("init_integration")
async def test_hangup_unknown_call(hass: HomeAssistant) -> None:
    """An unknown or finished call is a clear error."""
    with pytest.raises(ServiceValidationError) as info:
        await hass.services.async_call(
            DOMAIN, "hangup_call", {"call_id": "c-gone"}, blocking=True
        )
    assert info.value.translation_key == "call_not_found"
    assert info.value.translation_placeholders == {"call_id": "c-gone"}


@pytest.mark.usefixtures("init_integration")
async def test_hangup_failures(hass: HomeAssistant, bandwidth_sandbox: Sandbox) -> None:
    """Other Bandwidth errors surface with their own words."""
    bandwidth_sandbox.fail_next(
        409,
        {"type": "conflict", "description": "Call is busy"},
        path_contains="/calls/c-1",
    )
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN, "hangup_call", {"call_id": "c-1"}, blocking=True
        )
    assert info.value.translation_placeholders == {
        "status": "409",
        "description": "Call is busy",
    }

    bandwidth_sandbox.reset_next(path_contains="/calls/c-1")
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN, "hangup_call", {"call_id": "c-1"}, blocking=True
        )
    assert info.value.translation_key == "cannot_connect"

    for call_id in ("..", "c-1/../../other", "c 1", "", "c" * 257, 5):
        with pytest.raises(ServiceValidationError) as info:
            await hass.services.async_call(
                DOMAIN, "hangup_call", {"call_id": call_id}, blocking=True
            )
        await assert_refused(
            hass, info.value, "invalid_call_id", field="call_id", max="256"
        )

    with pytest.raises(ServiceValidationError) as info:
        await hass.services.async_call(DOMAIN, "hangup_call", {}, blocking=True)
    await assert_refused(hass, info.value, "required_field", field="call_id")

    with pytest.raises(ServiceValidationError) as info:
        await hass.services.async_call(
            DOMAIN, "hangup_call", {"call_id": "c-1", "to": TO}, blocking=True
        )
    await assert_refused(hass, info.value, "unknown_field", field="to")
