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

from custom_components.bandwidth.const import DOMAIN
from custom_components.bandwidth.services import LIMITS
from sandbox import Sandbox

from .conftest import (
    CALLBACK_PASSWORD,
    FROM_NUMBER,
    entry_data,
)
from .helpers import create_call, created_bodies

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
    assert CALLBACK_PASSWORD not in caplog.text


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
        domain=DOMAIN, data=mock_config_entry.data, options={}
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "from_required"
    await create_call(hass, to=TO, **{"from": "Anonymous"})
    assert created_bodies(bandwidth_sandbox)[0]["from"] == "Anonymous"
    assert "voice" not in str(mock_config_entry.runtime_data.calls)


@pytest.mark.usefixtures("init_integration")
async def test_message_with_own_answer_url(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """Home Assistant cannot speak on a call whose BXML comes from elsewhere."""
    with pytest.raises(ServiceValidationError) as info:
        await create_call(
            hass, to=TO, message="Hi", answer_url="https://my.example.test/a"
        )
    assert info.value.translation_key == "script_with_answer_url"
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

VALID: list[tuple[str, Any]] = [
    ("to", "+12"),
    ("to", "+123456789012345"),
    ("to", "sip:alarm@pbx.example.test"),
    ("to", [f"+1555555{n:04d}" for n in range(20)]),
    ("from", "+123456789012345"),
    ("from", "Restricted"),
    ("from", "Unavailable"),
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
    ("username", "u" * 1024),
    ("audio_url", "https://example.test/a.WAV?x=1"),
    ("message", "m" * 10000),
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
    ("machine_detection", {"mode": "sync", "detection_timeout": 0}),
]

INVALID: list[tuple[str, Any, str]] = [
    ("to", "+1", "to"),
    ("to", "+1234567890123456", "to"),
    ("to", "+0123", "to"),
    ("to", "5555551234", "to"),
    ("to", "sip:nobody", "to"),
    ("to", [], "to"),
    ("to", [f"+1555555{n:04d}" for n in range(21)], "to"),
    ("to", [TO, TO], "to"),
    ("to", 15555551234, "to"),
    ("to", {"number": TO}, "to"),
    ("from", "+1", "from"),
    ("from", "anonymous", "from"),
    ("call_timeout", 0.99, "call_timeout"),
    ("call_timeout", 300.01, "call_timeout"),
    ("call_timeout", "30", "call_timeout"),
    ("call_timeout", True, "call_timeout"),
    ("call_timeout", float("nan"), "call_timeout"),
    ("callback_timeout", 0.5, "callback_timeout"),
    ("callback_timeout", 25.5, "callback_timeout"),
    ("tag", "t" * 4097, "tag"),
    ("tag", 5, "tag"),
    ("uui", "a;encoding=utf8", "uui"),
    ("uui", "a" * 338 + ";encoding=hex", "uui"),
    ("uui", "abc", "uui"),
    ("display_name", "d" * 257, "display_name"),
    ("display_name", "two\nlines", "display_name"),
    ("priority", 0, "priority"),
    ("priority", 6, "priority"),
    ("priority", 2.5, "priority"),
    ("priority", False, "priority"),
    ("privacy", "yes", "privacy"),
    ("answer_method", "PUT", "answer_method"),
    ("answer_url", "ftp://example.test/a", "answer_url"),
    ("answer_url", LONG_URL + "a", "answer_url"),
    ("disconnect_url", "not a url", "disconnect_url"),
    ("username", "u" * 1025, "username"),
    ("password", "p" * 1025, "password"),
    ("application_id", "", "application_id"),
    ("audio_url", "https://example.test/a.ogg", "audio_url"),
    ("message", "", "message"),
    ("message", "m" * 10001, "message"),
    ("voice", "<script>", "voice"),
    ("gather", "press 1", "gather"),
    ("gather", {"max_digits": 0}, "gather.max_digits"),
    ("gather", {"max_digits": 51}, "gather.max_digits"),
    ("gather", {"first_digit_timeout": -0.1}, "gather.first_digit_timeout"),
    ("gather", {"first_digit_timeout": 60.1}, "gather.first_digit_timeout"),
    ("gather", {"inter_digit_timeout": 0.9}, "gather.inter_digit_timeout"),
    ("gather", {"inter_digit_timeout": 61}, "gather.inter_digit_timeout"),
    ("gather", {"repeat_count": 0}, "gather.repeat_count"),
    ("gather", {"repeat_count": 21}, "gather.repeat_count"),
    ("gather", {"terminating_digits": "1a"}, "gather.terminating_digits"),
    ("gather", {"prompt": ""}, "gather.prompt"),
    ("gather", {"color": "red"}, "gather.color"),
    ("machine_detection", {"mode": "maybe"}, "machine_detection.mode"),
    (
        "machine_detection",
        {"detection_timeout": -1},
        "machine_detection.detection_timeout",
    ),
    ("machine_detection", {"delay_result": "yes"}, "machine_detection.delay_result"),
    ("machine_detection", {"callback_url": "nope"}, "machine_detection.callback_url"),
    ("machine_detection", [], "machine_detection"),
    ("surprise", 1, "surprise"),
    ("config_entry_id", "", "config_entry_id"),
]


@pytest.mark.parametrize(("field", "value"), VALID)
@pytest.mark.usefixtures("init_integration")
async def test_valid_bounds(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, field: str, value: Any
) -> None:
    """Values at the edge of each limit are accepted and sent."""
    data: dict[str, Any] = {"to": "+15555559999", field: value}
    if field in ("username", "password"):
        data["answer_url"] = "https://my.example.test/a"
    await create_call(hass, **data)
    assert created_bodies(bandwidth_sandbox)


@pytest.mark.parametrize(("field", "value", "named"), INVALID)
@pytest.mark.usefixtures("init_integration")
async def test_invalid_bounds(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, field: str, value: Any, named: str
) -> None:
    """Values past each limit are refused, naming field and limit; nothing is sent."""
    data: dict[str, Any] = {"to": TO, field: value}
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, **data)
    assert info.value.translation_domain == DOMAIN
    assert info.value.translation_key == "invalid_field"
    placeholders = info.value.translation_placeholders or {}
    assert placeholders["field"] == named
    assert placeholders["limit"] == LIMITS.get(named, "not a field of this action")
    assert placeholders["error"]
    assert created_bodies(bandwidth_sandbox) == []


def test_every_field_has_a_limit() -> None:
    """Each validated field names its limit in errors."""
    from custom_components.bandwidth.services import (  # noqa: PLC0415
        CREATE_CALL_SCHEMA,
        GATHER_SCHEMA,
        HANGUP_CALL_SCHEMA,
        MACHINE_DETECTION_SCHEMA,
    )

    for prefix, schema in (
        ("", CREATE_CALL_SCHEMA),
        ("", HANGUP_CALL_SCHEMA),
        ("gather.", GATHER_SCHEMA),
        ("machine_detection.", MACHINE_DETECTION_SCHEMA),
    ):
        for key in schema.schema:
            assert f"{prefix}{key}" in LIMITS


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

    for call_id in ("..", "c-1/../../other", "c 1"):
        with pytest.raises(ServiceValidationError) as info:
            await hass.services.async_call(
                DOMAIN, "hangup_call", {"call_id": call_id}, blocking=True
            )
        assert info.value.translation_placeholders is not None
        assert info.value.translation_placeholders["field"] == "call_id"

    with pytest.raises(ServiceValidationError) as info:
        await hass.services.async_call(DOMAIN, "hangup_call", {}, blocking=True)
    assert info.value.translation_placeholders is not None
    assert info.value.translation_placeholders["field"] == "call_id"
