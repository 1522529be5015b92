"""Tests for the Bandwidth Voice config flow, reauth, reconfigure and options.

Every flow talks to the loopback Bandwidth sandbox; created entries are set up
for real against it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from pytest_homeassistant_custom_component.common import MockConfigEntry

import sandbox
from custom_components.bandwidth.api import BandwidthClient
from custom_components.bandwidth.const import (
    AUTH_BASIC,
    AUTH_OAUTH,
    CONF_ACCOUNT_ID,
    CONF_ALLOWED_COUNTRY_CODES,
    CONF_API_URL,
    CONF_APPLICATION_ID,
    CONF_ASSIST_MAX_CONVERSATIONS,
    CONF_ASSIST_MAX_MINUTES,
    CONF_ASSIST_PIPELINE,
    CONF_AUTH_TYPE,
    CONF_CALLS_PER_SECOND,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_FORWARD_TO,
    CONF_FROM,
    CONF_HOLD_TIME,
    CONF_INBOUND_CALLS,
    CONF_INBOUND_SECRET,
    CONF_LANGUAGE,
    CONF_MAX_CALLS_PER_HOUR,
    CONF_NOTIFY_TO,
    CONF_RING_TIMEOUT,
    CONF_TTS_ENTITY_ID,
    CONF_VOICE,
    DEFAULT_ASSIST_MAX_CONVERSATIONS,
    DEFAULT_ASSIST_MAX_MINUTES,
    DEFAULT_CALLS_PER_SECOND,
    DEFAULT_HOLD_TIME,
    DEFAULT_MAX_CALLS_PER_HOUR,
    DEFAULT_RING_TIMEOUT,
    DOMAIN,
    INBOUND_REJECT,
)
from custom_components.bandwidth.option_rules import validate_options
from custom_components.bandwidth.options_flow import CONF_NEW_ADDRESS
from sandbox import Application, Sandbox

from .helpers import (
    EXTERNAL_URL,
    FROM_NUMBER,
    INBOUND_SECRET,
    WEBHOOK_ID,
    ClientFactory,
    entry_data,
)
from .metadata import STRINGS

UNIQUE_ID = f"{sandbox.ACCOUNT_ID}_{sandbox.APPLICATION_ID}"
TITLE = f"Bandwidth {sandbox.APPLICATION_NAME}"
OTHER_APPLICATION_ID = "other-application"
OTHER_APPLICATION = Application(OTHER_APPLICATION_ID, "Door bell")
OTHER_TITLE = "Bandwidth Door bell"
MESSAGING_APPLICATION = Application(
    "messaging-application", "Texts", service_type="Messaging-V2"
)
# What entries were titled before they were named after their application.
LEGACY_TITLE = f"Bandwidth {sandbox.ACCOUNT_ID}"
PLACEHOLDER = re.compile(r"\{(\w+)\}")

OAUTH_INPUT = {
    CONF_ACCOUNT_ID: sandbox.ACCOUNT_ID,
    CONF_APPLICATION_ID: sandbox.APPLICATION_ID,
    CONF_CLIENT_ID: sandbox.CLIENT_ID,
    CONF_CLIENT_SECRET: sandbox.CLIENT_SECRET,
}
BASIC_INPUT = {
    CONF_ACCOUNT_ID: sandbox.ACCOUNT_ID,
    CONF_APPLICATION_ID: sandbox.APPLICATION_ID,
    CONF_USERNAME: sandbox.USERNAME,
    CONF_PASSWORD: sandbox.PASSWORD,
}
INPUTS = {AUTH_OAUTH: OAUTH_INPUT, AUTH_BASIC: BASIC_INPUT}
SECRET_KEY = {AUTH_OAUTH: CONF_CLIENT_SECRET, AUTH_BASIC: CONF_PASSWORD}


def _fields(result: FlowResult[Any, Any]) -> list[str]:
    """Return the field names of a form, in order."""
    assert result["data_schema"] is not None
    return [str(marker.schema) for marker in result["data_schema"].schema]


def _suggested(result: FlowResult[Any, Any]) -> dict[str, Any]:
    """Return the suggested value of each form field that has one."""
    assert result["data_schema"] is not None
    return {
        str(marker.schema): marker.description["suggested_value"]
        for marker in result["data_schema"].schema
        if marker.description and "suggested_value" in marker.description
    }


def _assert_filled(text: str, result: FlowResult[Any, Any]) -> None:
    """Every {placeholder} of a text shown with the result is given a value."""
    given = set(result.get("description_placeholders") or {})
    assert set(PLACEHOLDER.findall(text)) <= given, text


def _assert_translated(result: FlowResult[Any, Any], section: str) -> None:
    """Every step, field, menu option, error and abort shown has English text.

    Its placeholders are all filled, except in a menu's title, where the
    frontend fills none: a placeholder there would show as an error.
    """
    strings = STRINGS[section]
    texts: list[str] = []
    if result["type"] is FlowResultType.FORM:
        step = strings["step"][result["step_id"]]
        assert step["title"]
        texts += [step["title"], step.get("description", "")]
        for field in _fields(result):
            assert step["data"][field]
            assert step["data_description"][field]
            texts += [step["data"][field], step["data_description"][field]]
        for error in (result["errors"] or {}).values():
            assert strings["error"][error]
            texts.append(strings["error"][error])
    elif result["type"] is FlowResultType.MENU:
        step = strings["step"][result["step_id"]]
        assert not PLACEHOLDER.search(step.get("title", "")), step["title"]
        texts.append(step.get("description", ""))
        for option in result["menu_options"]:
            assert step["menu_options"][option]
            texts.append(step["menu_options"][option])
    elif result["type"] is FlowResultType.ABORT:
        assert strings["abort"][result["reason"]]
        texts.append(strings["abort"][result["reason"]])
    for text in texts:
        _assert_filled(text, result)


async def _init(hass: HomeAssistant, **context: Any) -> FlowResult[Any, Any]:
    """Start a config flow and check its first step is translated."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER} | context
    )
    _assert_translated(result, "config")
    return result


async def _configure(
    hass: HomeAssistant, result: FlowResult[Any, Any], user_input: dict[str, Any]
) -> FlowResult[Any, Any]:
    """Submit a config flow step and check what comes back is translated."""
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    _assert_translated(result, "config")
    return result


async def _start_form(
    hass: HomeAssistant, auth_type: str, *, advanced: bool = True
) -> FlowResult[Any, Any]:
    """Open the user menu and pick a scheme; return its form."""
    result = await _init(hass, show_advanced_options=advanced)
    result = await _configure(hass, result, {"next_step_id": auth_type})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == auth_type
    assert result["errors"] == {}
    return result


async def _start_reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, auth_type: str, *, advanced: bool
) -> FlowResult[Any, Any]:
    """Start reconfiguring an entry and pick a scheme; return its form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={
            "source": SOURCE_RECONFIGURE,
            "entry_id": entry.entry_id,
            "show_advanced_options": advanced,
        },
    )
    _assert_translated(result, "config")
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reconfigure"
    assert result["menu_options"] == ["reconfigure_oauth", "reconfigure_basic"]
    result = await _configure(
        hass, result, {"next_step_id": f"reconfigure_{auth_type}"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == f"reconfigure_{auth_type}"
    return result


def _reauth_flow(hass: HomeAssistant) -> FlowResult[Any, Any]:
    """Return the one reauth flow in progress."""
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert len(flows) == 1
    return flows[0]


def _generated(entry_data_: dict[str, Any]) -> tuple[str, str]:
    """Return the webhook id and inbound secret of entry data."""
    return entry_data_[CONF_WEBHOOK_ID], entry_data_[CONF_INBOUND_SECRET]


async def test_user_menu(hass: HomeAssistant) -> None:
    """Setup starts with a choice of scheme, API credentials first."""
    result = await _init(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == [AUTH_OAUTH, AUTH_BASIC]


@pytest.mark.parametrize(
    ("auth_type", "fields"),
    [
        (
            AUTH_OAUTH,
            [CONF_ACCOUNT_ID, CONF_APPLICATION_ID, CONF_CLIENT_ID, CONF_CLIENT_SECRET],
        ),
        (
            AUTH_BASIC,
            [CONF_ACCOUNT_ID, CONF_APPLICATION_ID, CONF_USERNAME, CONF_PASSWORD],
        ),
    ],
)
async def test_api_url_only_in_advanced_mode(
    hass: HomeAssistant, auth_type: str, fields: list[str]
) -> None:
    """The sandbox field is shown in advanced mode only, and refused otherwise."""
    result = await _start_form(hass, auth_type, advanced=False)
    assert _fields(result) == fields
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"], INPUTS[auth_type] | {CONF_API_URL: "http://127.0.0.1"}
        )

    result = await _start_form(hass, auth_type, advanced=True)
    assert _fields(result) == [*fields, CONF_API_URL]
    # Secret fields are password fields.
    schema = result["data_schema"]
    assert schema is not None
    selectors = {str(key.schema): value for key, value in schema.schema.items()}
    assert selectors[SECRET_KEY[auth_type]].config["type"] == "password"


@pytest.mark.parametrize("auth_type", [AUTH_OAUTH, AUTH_BASIC])
async def test_user_flow(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, auth_type: str
) -> None:
    """Credentials are trimmed, checked live, and a working entry is created."""
    result = await _start_form(hass, auth_type)
    padded = {key: f"  {value}\t" for key, value in INPUTS[auth_type].items()}
    result = await _configure(
        hass, result, padded | {CONF_API_URL: f" {bandwidth_sandbox.url} "}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Titled after the application's name in Bandwidth.
    assert result["title"] == TITLE
    entry = result["result"]
    assert entry.unique_id == UNIQUE_ID
    webhook_id, inbound = _generated(entry.data)
    assert entry.data == {
        CONF_AUTH_TYPE: auth_type,
        **INPUTS[auth_type],
        CONF_API_URL: bandwidth_sandbox.url,
        CONF_WEBHOOK_ID: webhook_id,
        CONF_INBOUND_SECRET: inbound,
    }
    assert len(webhook_id) >= 32
    assert len(inbound) >= 32
    assert entry.options == {}
    # The credentials and the application were really checked with Bandwidth,
    # the application as Bandwidth's CLI reads it: XML, same authorization.
    requests = bandwidth_sandbox.requests
    if auth_type == AUTH_OAUTH:
        assert requests.pop(0).path == "/api/v1/oauth2/token"
    assert requests[0].path == f"/api/v2/accounts/{sandbox.ACCOUNT_ID}/calls"
    assert requests[1].path == (
        f"/api/v2/accounts/{sandbox.ACCOUNT_ID}/applications/{sandbox.APPLICATION_ID}"
    )
    assert requests[1].headers["Accept"] == "application/xml"
    assert requests[1].headers["Authorization"] == requests[0].headers["Authorization"]

    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_generated_values_differ_per_entry(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """Each entry gets its own webhook id, callback credentials and title."""
    bandwidth_sandbox.applications[OTHER_APPLICATION_ID] = OTHER_APPLICATION
    created = []
    for application_id in (sandbox.APPLICATION_ID, OTHER_APPLICATION_ID):
        result = await _start_form(hass, AUTH_OAUTH)
        result = await _configure(
            hass,
            result,
            OAUTH_INPUT
            | {
                CONF_APPLICATION_ID: application_id,
                CONF_API_URL: bandwidth_sandbox.url,
            },
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        created.append(result["result"])
    await hass.async_block_till_done()

    # Several applications of one account live side by side.
    assert [entry.unique_id for entry in created] == [
        UNIQUE_ID,
        f"{sandbox.ACCOUNT_ID}_{OTHER_APPLICATION_ID}",
    ]
    # Entries of one account are told apart by their application's name.
    assert [entry.title for entry in created] == [TITLE, OTHER_TITLE]
    first, second = (_generated(entry.data) for entry in created)
    assert not set(first) & set(second)
    assert all(entry.state is ConfigEntryState.LOADED for entry in created)


# Stands for the secret field of the scheme under test.
SECRET = "<secret>"
# Errors found without asking Bandwidth.
OFFLINE_ERRORS = {"invalid_account_id", "invalid_application_id", "invalid_api_url"}


def _add_messaging_application(box: Sandbox) -> None:
    box.applications[MESSAGING_APPLICATION.application_id] = MESSAGING_APPLICATION


@pytest.mark.parametrize("auth_type", [AUTH_OAUTH, AUTH_BASIC])
@pytest.mark.parametrize(
    ("fault", "user_input", "errors"),
    [
        (None, {SECRET: "wrong"}, {"base": "invalid_auth"}),
        # Valid credentials, but not for this account: Bandwidth answers 403.
        (None, {CONF_ACCOUNT_ID: "1234567"}, {"base": "invalid_auth"}),
        (
            lambda s: s.fail_next(503, {"type": "error", "description": "Down"}),
            {},
            {"base": "cannot_connect"},
        ),
        # Dropped connections (every retry too).
        (lambda s: s.reset_next(times=None), {}, {"base": "cannot_connect"}),
        (
            lambda s: s.fail_next(
                200, "<html>maintenance</html>", content_type="text/html"
            ),
            {},
            {"base": "cannot_connect"},
        ),
        (
            lambda s: s.fail_next(
                404,
                {"type": "validation", "description": "Nope"},
                path_contains="/calls",
            ),
            {},
            {"base": "unknown"},
        ),
        (None, {CONF_ACCOUNT_ID: "99-00000"}, {CONF_ACCOUNT_ID: "invalid_account_id"}),
        (None, {CONF_ACCOUNT_ID: "acct"}, {CONF_ACCOUNT_ID: "invalid_account_id"}),
        (None, {CONF_ACCOUNT_ID: "  "}, {CONF_ACCOUNT_ID: "invalid_account_id"}),
        (
            None,
            {CONF_APPLICATION_ID: " "},
            {CONF_APPLICATION_ID: "invalid_application_id"},
        ),
        # It would name another path of Bandwidth's.
        (
            None,
            {CONF_APPLICATION_ID: ".."},
            {CONF_APPLICATION_ID: "invalid_application_id"},
        ),
        (None, {CONF_API_URL: "ftp://127.0.0.1"}, {CONF_API_URL: "invalid_api_url"}),
        (None, {CONF_API_URL: "not a url"}, {CONF_API_URL: "invalid_api_url"}),
        (None, {CONF_API_URL: "http://[::1"}, {CONF_API_URL: "invalid_api_url"}),
        # The application is checked with Bandwidth too.
        (
            None,
            {CONF_APPLICATION_ID: "no-such-application"},
            {CONF_APPLICATION_ID: "application_not_found"},
        ),
        (
            _add_messaging_application,
            {CONF_APPLICATION_ID: MESSAGING_APPLICATION.application_id},
            {CONF_APPLICATION_ID: "not_voice_application"},
        ),
        (
            lambda s: s.fail_next(200, "<Unexpected/>", content_type="application/xml"),
            {},
            {"base": "cannot_connect"},
        ),
    ],
)
async def test_user_flow_errors(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
    auth_type: str,
    fault: Callable[[Sandbox], None] | None,
    user_input: dict[str, str],
    errors: dict[str, str],
) -> None:
    """Each error is shown on the form; corrected input then finishes the flow."""
    base = INPUTS[auth_type] | {CONF_API_URL: bandwidth_sandbox.url}
    bad = {
        (SECRET_KEY[auth_type] if key == SECRET else key): value
        for key, value in user_input.items()
    }
    if fault is not None:
        fault(bandwidth_sandbox)

    result = await _start_form(hass, auth_type)
    result = await _configure(hass, result, base | bad)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == auth_type
    assert result["errors"] == errors
    if errors == {"base": "unknown"}:
        assert "Unexpected error" in caplog.text
    # Input errors are found before asking Bandwidth anything.
    if set(errors.values()) <= OFFLINE_ERRORS:
        assert bandwidth_sandbox.requests == []
    # The form keeps what was typed, never the secret.
    suggested = _suggested(result)
    assert SECRET_KEY[auth_type] not in suggested
    assert suggested[CONF_APPLICATION_ID] == (base | bad)[CONF_APPLICATION_ID].strip()
    # Secrets never reach the log.
    assert sandbox.CLIENT_SECRET not in caplog.text
    assert sandbox.PASSWORD not in caplog.text

    bandwidth_sandbox.clear_faults()
    result = await _configure(hass, result, base)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == TITLE
    assert result["result"].unique_id == UNIQUE_ID
    assert result["result"].data[CONF_AUTH_TYPE] == auth_type
    assert result["result"].data[SECRET_KEY[auth_type]] == base[SECRET_KEY[auth_type]]
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("name", "title"),
    [
        # Read but not allowed: the application stays unchecked, titled by id.
        (None, f"Bandwidth {sandbox.ACCOUNT_ID} {sandbox.APPLICATION_ID}"),
        ("  ", f"Bandwidth {sandbox.ACCOUNT_ID} {sandbox.APPLICATION_ID}"),
        (" Alarm line ", "Bandwidth Alarm line"),
        ("Bandwidth alarms", "Bandwidth alarms"),
    ],
)
async def test_title(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
    name: str | None,
    title: str,
) -> None:
    """The title names the application, or its id when it cannot be read."""
    if name is None:
        # Every try, the one after a token refresh too.
        bandwidth_sandbox.fail_next(
            403,
            {"type": "authorization-error"},
            path_contains="/applications/",
            times=None,
        )
    else:
        bandwidth_sandbox.applications[sandbox.APPLICATION_ID] = Application(
            sandbox.APPLICATION_ID, name
        )
    result = await _start_form(hass, AUTH_OAUTH)
    result = await _configure(
        hass, result, OAUTH_INPUT | {CONF_API_URL: bandwidth_sandbox.url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    if name is None:
        assert "may not read Bandwidth application" in caplog.text


# Answers about the application that say nothing clear about it.
UNREADABLE_ANSWERS: dict[str, Callable[[Sandbox], None]] = {
    "refused": lambda s: s.fail_next(
        400, "<bad/>", content_type="application/xml", path_contains="/applications/"
    ),
    "conflict": lambda s: s.fail_next(
        409,
        {"type": "conflict", "description": "Busy"},
        path_contains="/applications/",
    ),
    "rate limited": lambda s: s.fail_next(
        429, headers={"Retry-After": "0"}, path_contains="/applications/", times=None
    ),
    "failed": lambda s: s.fail_next(503, path_contains="/applications/"),
    "dropped": lambda s: s.reset_next(path_contains="/applications/", times=None),
    "not xml": lambda s: s.fail_next(
        200, "<html>maintenance</html>", path_contains="/applications/"
    ),
    "another document": lambda s: s.fail_next(
        200,
        "<ApplicationList><Application/></ApplicationList>",
        content_type="application/xml",
        path_contains="/applications/",
    ),
    "no id": lambda s: s.fail_next(
        200,
        "<ApplicationProvisioningResponse><Application><ServiceType>Messaging-V2"
        "</ServiceType></Application></ApplicationProvisioningResponse>",
        content_type="application/xml",
        path_contains="/applications/",
    ),
}


@pytest.mark.parametrize("answer", list(UNREADABLE_ANSWERS))
async def test_application_that_cannot_be_checked(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
    answer: str,
) -> None:
    """Only a 404 or another service type stop the flow; other answers are logged."""
    UNREADABLE_ANSWERS[answer](bandwidth_sandbox)
    result = await _start_form(hass, AUTH_OAUTH)
    result = await _configure(
        hass, result, OAUTH_INPUT | {CONF_API_URL: bandwidth_sandbox.url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Bandwidth {sandbox.ACCOUNT_ID} {sandbox.APPLICATION_ID}"
    assert (
        f"Could not check Bandwidth application {sandbox.APPLICATION_ID}" in caplog.text
    )
    assert sandbox.CLIENT_SECRET not in caplog.text
    bandwidth_sandbox.clear_faults()
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_application_without_a_service_type(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """An application whose kind is not said is accepted, and named."""
    bandwidth_sandbox.applications[sandbox.APPLICATION_ID] = Application(
        sandbox.APPLICATION_ID, "Alarm line", service_type=""
    )
    result = await _start_form(hass, AUTH_BASIC)
    result = await _configure(
        hass, result, BASIC_INPUT | {CONF_API_URL: bandwidth_sandbox.url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Bandwidth Alarm line"
    assert "Bandwidth gave no service type" in caplog.text


async def test_reauth_and_reconfigure_with_an_unreadable_application(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither flow is stopped by an answer about the application it cannot read."""
    entry = init_integration
    credentials = {
        CONF_CLIENT_ID: sandbox.CLIENT_ID,
        CONF_CLIENT_SECRET: sandbox.CLIENT_SECRET,
    }
    UNREADABLE_ANSWERS["failed"](bandwidth_sandbox)
    result = await entry.start_reauth_flow(hass)
    result = await _configure(hass, result, credentials)
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()

    UNREADABLE_ANSWERS["not xml"](bandwidth_sandbox)
    result = await _start_reconfigure(hass, entry, AUTH_OAUTH, advanced=False)
    result = await _configure(
        hass, result, credentials | {CONF_APPLICATION_ID: sandbox.APPLICATION_ID}
    )
    assert result["reason"] == "reconfigure_successful"
    assert caplog.text.count("it was accepted unchecked") == 2
    # The title stays what it was: the application's name could not be read.
    assert entry.title == LEGACY_TITLE


async def test_unexpected_error_reading_the_application(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Anything the client did not expect is logged and shown as unknown."""

    async def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(BandwidthClient, "get_application", broken)
    result = await _start_form(hass, AUTH_OAUTH)
    result = await _configure(
        hass, result, OAUTH_INPUT | {CONF_API_URL: bandwidth_sandbox.url}
    )
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error reading the Bandwidth application" in caplog.text


async def test_empty_api_url_is_not_stored(hass: HomeAssistant) -> None:
    """A blank sandbox field counts as not given."""
    result = await _start_form(hass, AUTH_OAUTH)
    result = await _configure(
        hass, result, OAUTH_INPUT | {CONF_ACCOUNT_ID: "x", CONF_API_URL: "   "}
    )
    assert result["errors"] == {CONF_ACCOUNT_ID: "invalid_account_id"}
    assert CONF_API_URL not in _suggested(result)


@pytest.mark.parametrize("auth_type", [AUTH_OAUTH, AUTH_BASIC])
async def test_user_flow_already_configured(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    mock_config_entry: MockConfigEntry,
    auth_type: str,
) -> None:
    """The same account + application cannot be added twice, in any scheme."""
    mock_config_entry.add_to_hass(hass)
    result = await _start_form(hass, auth_type)
    result = await _configure(
        hass, result, INPUTS[auth_type] | {CONF_API_URL: bandwidth_sandbox.url}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# --- Reauthentication ------------------------------------------------------


async def test_reauth_oauth(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """New client credentials replace the old ones; nothing else changes."""
    entry = init_integration
    before = dict(entry.data)
    running = entry.runtime_data
    bandwidth_sandbox.client_id = "rotated-client"
    bandwidth_sandbox.client_secret = "rotated-secret"

    result = await entry.start_reauth_flow(hass)
    _assert_translated(result, "config")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert _fields(result) == [CONF_CLIENT_ID, CONF_CLIENT_SECRET]
    assert _suggested(result) == {CONF_CLIENT_ID: sandbox.CLIENT_ID}
    assert result["description_placeholders"]["account_id"] == sandbox.ACCOUNT_ID

    result = await _configure(
        hass,
        result,
        {CONF_CLIENT_ID: " rotated-client ", CONF_CLIENT_SECRET: " rotated-secret "},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == before | {
        CONF_CLIENT_ID: "rotated-client",
        CONF_CLIENT_SECRET: "rotated-secret",
    }
    assert entry.unique_id == UNIQUE_ID
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    # Reloaded once, by the entry's own update listener, with the new client.
    assert entry.runtime_data is not running
    assert entry.runtime_data.client.credentials.client_id == "rotated-client"


async def test_reauth_basic(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, external_url: str
) -> None:
    """A legacy API user is asked for its username and new password."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Bandwidth {sandbox.ACCOUNT_ID}",
        unique_id=UNIQUE_ID,
        data={
            key: value
            for key, value in entry_data(
                bandwidth_sandbox.url,
                **{
                    CONF_AUTH_TYPE: AUTH_BASIC,
                    CONF_USERNAME: sandbox.USERNAME,
                    CONF_PASSWORD: "old-password",
                },
            ).items()
            if key not in (CONF_CLIENT_ID, CONF_CLIENT_SECRET)
        },
    )
    entry.add_to_hass(hass)
    before = dict(entry.data)

    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert _fields(result) == [CONF_USERNAME, CONF_PASSWORD]
    assert _suggested(result) == {CONF_USERNAME: sandbox.USERNAME}

    result = await _configure(
        hass, result, {CONF_USERNAME: sandbox.USERNAME, CONF_PASSWORD: sandbox.PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == before | {CONF_PASSWORD: sandbox.PASSWORD}
    await hass.async_block_till_done()
    # Not loaded before (no update listener): Home Assistant's helper loads it.
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("fault", "user_input", "errors"),
    [
        (None, {CONF_CLIENT_SECRET: "still-wrong"}, {"base": "invalid_auth"}),
        (
            lambda s: s.fail_next(500, path_contains="oauth2"),
            {},
            {"base": "cannot_connect"},
        ),
        (lambda s: s.fail_next(400, path_contains="/calls"), {}, {"base": "unknown"}),
    ],
)
async def test_reauth_errors(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    init_integration: MockConfigEntry,
    fault: Callable[[Sandbox], None] | None,
    user_input: dict[str, str],
    errors: dict[str, str],
) -> None:
    """A failed check keeps the form open and the entry untouched."""
    entry = init_integration
    before = dict(entry.data)
    good = {CONF_CLIENT_ID: sandbox.CLIENT_ID, CONF_CLIENT_SECRET: "rotated-secret"}
    bandwidth_sandbox.client_secret = "rotated-secret"
    if fault is not None:
        fault(bandwidth_sandbox)

    result = await entry.start_reauth_flow(hass)
    result = await _configure(hass, result, good | user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == errors
    assert entry.data == before
    assert _suggested(result) == {CONF_CLIENT_ID: sandbox.CLIENT_ID}

    result = await _configure(hass, result, good)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == before | {CONF_CLIENT_SECRET: "rotated-secret"}


@pytest.mark.parametrize(
    ("application", "error"),
    [
        (None, "application_not_found"),
        (MESSAGING_APPLICATION, "not_voice_application"),
    ],
)
async def test_reauth_checks_the_application(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    init_integration: MockConfigEntry,
    application: Application | None,
    error: str,
) -> None:
    """An application gone from Bandwidth is said so on the form (it has no field)."""
    entry = init_integration
    before = dict(entry.data)
    voice_application = bandwidth_sandbox.applications.pop(sandbox.APPLICATION_ID)
    if application is not None:
        bandwidth_sandbox.applications[sandbox.APPLICATION_ID] = application
    good = {
        CONF_CLIENT_ID: sandbox.CLIENT_ID,
        CONF_CLIENT_SECRET: sandbox.CLIENT_SECRET,
    }

    result = await entry.start_reauth_flow(hass)
    result = await _configure(hass, result, good)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert entry.data == before

    bandwidth_sandbox.applications[sandbox.APPLICATION_ID] = voice_application
    result = await _configure(hass, result, good)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"


@pytest.mark.parametrize(
    ("title", "readable", "expected"),
    [
        # A name the user gave is kept.
        ("Front door", True, "Front door"),
        # The title entries had before they named their application is
        # replaced by the application's name, when it can be read.
        (LEGACY_TITLE, True, TITLE),
        (LEGACY_TITLE, False, LEGACY_TITLE),
    ],
)
async def test_reauth_and_reconfigure_keep_the_title(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    init_integration: MockConfigEntry,
    title: str,
    readable: bool,
    expected: str,
) -> None:
    """The same application keeps its entry's title through both flows."""
    entry = init_integration
    hass.config_entries.async_update_entry(entry, title=title)
    if not readable:
        bandwidth_sandbox.fail_next(403, path_contains="/applications/", times=None)
    credentials = {
        CONF_CLIENT_ID: sandbox.CLIENT_ID,
        CONF_CLIENT_SECRET: sandbox.CLIENT_SECRET,
    }

    result = await entry.start_reauth_flow(hass)
    result = await _configure(hass, result, credentials)
    assert result["reason"] == "reauth_successful"
    assert entry.title == expected
    await hass.async_block_till_done()

    hass.config_entries.async_update_entry(entry, title=title)
    result = await _start_reconfigure(hass, entry, AUTH_OAUTH, advanced=False)
    result = await _configure(
        hass, result, credentials | {CONF_APPLICATION_ID: sandbox.APPLICATION_ID}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.title == expected


async def test_revoked_credentials_start_reauth(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    mock_config_entry: MockConfigEntry,
    external_url: str,
) -> None:
    """Setup refused with 401 asks the user for new credentials, which fix it."""
    bandwidth_sandbox.client_secret = "rotated-secret"
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR

    flow = _reauth_flow(hass)
    assert flow["step_id"] == "reauth_confirm"
    assert flow["context"]["entry_id"] == mock_config_entry.entry_id

    result = await _configure(
        hass,
        flow,
        {CONF_CLIENT_ID: sandbox.CLIENT_ID, CONF_CLIENT_SECRET: "rotated-secret"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert _generated(mock_config_entry.data) == (
        WEBHOOK_ID,
        INBOUND_SECRET,
    )


# --- Reconfiguration -------------------------------------------------------


async def test_reconfigure_to_basic(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """Switching scheme drops the old credentials and keeps callback settings."""
    entry = init_integration
    result = await _start_reconfigure(hass, entry, AUTH_BASIC, advanced=False)
    assert _fields(result) == [CONF_APPLICATION_ID, CONF_USERNAME, CONF_PASSWORD]
    # The other scheme's identifier is not offered.
    assert _suggested(result) == {CONF_APPLICATION_ID: sandbox.APPLICATION_ID}
    assert result["description_placeholders"] == {
        "title": LEGACY_TITLE,
        "account_id": sandbox.ACCOUNT_ID,
    }

    result = await _configure(
        hass,
        result,
        {
            CONF_APPLICATION_ID: sandbox.APPLICATION_ID,
            CONF_USERNAME: f" {sandbox.USERNAME}",
            CONF_PASSWORD: f"{sandbox.PASSWORD} ",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == UNIQUE_ID
    # The title entries had before they named their application is replaced.
    assert entry.title == TITLE
    assert entry.data == {
        CONF_AUTH_TYPE: AUTH_BASIC,
        CONF_ACCOUNT_ID: sandbox.ACCOUNT_ID,
        CONF_APPLICATION_ID: sandbox.APPLICATION_ID,
        CONF_USERNAME: sandbox.USERNAME,
        CONF_PASSWORD: sandbox.PASSWORD,
        # Not in advanced mode: the sandbox URL is kept as it was.
        CONF_API_URL: bandwidth_sandbox.url,
        CONF_WEBHOOK_ID: WEBHOOK_ID,
        CONF_INBOUND_SECRET: INBOUND_SECRET,
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    # Reloaded by the entry's update listener: the client is the new user's.
    assert entry.runtime_data.client.credentials.username == sandbox.USERNAME


async def test_reconfigure_application_and_api_url(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """A new application id moves the unique id and the title; advanced mode edits the URL."""
    bandwidth_sandbox.applications[OTHER_APPLICATION_ID] = OTHER_APPLICATION
    entry = init_integration
    result = await _start_reconfigure(hass, entry, AUTH_OAUTH, advanced=True)
    assert _fields(result) == [
        CONF_APPLICATION_ID,
        CONF_CLIENT_ID,
        CONF_CLIENT_SECRET,
        CONF_API_URL,
    ]
    assert _suggested(result) == {
        CONF_APPLICATION_ID: sandbox.APPLICATION_ID,
        CONF_CLIENT_ID: sandbox.CLIENT_ID,
        CONF_API_URL: bandwidth_sandbox.url,
    }

    result = await _configure(
        hass,
        result,
        {
            CONF_APPLICATION_ID: OTHER_APPLICATION_ID,
            CONF_CLIENT_ID: sandbox.CLIENT_ID,
            CONF_CLIENT_SECRET: sandbox.CLIENT_SECRET,
            CONF_API_URL: f"{bandwidth_sandbox.url}/",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == f"{sandbox.ACCOUNT_ID}_{OTHER_APPLICATION_ID}"
    assert entry.title == OTHER_TITLE
    assert entry.data == entry_data(
        bandwidth_sandbox.url,
        **{
            CONF_APPLICATION_ID: OTHER_APPLICATION_ID,
            CONF_API_URL: f"{bandwidth_sandbox.url}/",
        },
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_conflict(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """An application another entry already has is refused."""
    other = MockConfigEntry(
        domain=DOMAIN,
        title=f"Bandwidth {sandbox.ACCOUNT_ID}",
        unique_id=f"{sandbox.ACCOUNT_ID}_{OTHER_APPLICATION_ID}",
        data=entry_data(
            bandwidth_sandbox.url, **{CONF_APPLICATION_ID: OTHER_APPLICATION_ID}
        ),
    )
    other.add_to_hass(hass)
    entry = init_integration
    before = dict(entry.data)

    result = await _start_reconfigure(hass, entry, AUTH_OAUTH, advanced=False)
    result = await _configure(
        hass,
        result,
        {
            CONF_APPLICATION_ID: OTHER_APPLICATION_ID,
            CONF_CLIENT_ID: sandbox.CLIENT_ID,
            CONF_CLIENT_SECRET: sandbox.CLIENT_SECRET,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.unique_id == UNIQUE_ID
    assert entry.data == before


@pytest.mark.parametrize(
    ("fault", "user_input", "errors"),
    [
        (None, {CONF_PASSWORD: "wrong"}, {"base": "invalid_auth"}),
        (lambda s: s.reset_next(times=None), {}, {"base": "cannot_connect"}),
        (lambda s: s.fail_next(404, path_contains="/calls"), {}, {"base": "unknown"}),
        (
            None,
            {CONF_APPLICATION_ID: ""},
            {CONF_APPLICATION_ID: "invalid_application_id"},
        ),
        (None, {CONF_API_URL: "127.0.0.1:8080"}, {CONF_API_URL: "invalid_api_url"}),
        (
            None,
            {CONF_APPLICATION_ID: "no-such-application"},
            {CONF_APPLICATION_ID: "application_not_found"},
        ),
        (
            _add_messaging_application,
            {CONF_APPLICATION_ID: MESSAGING_APPLICATION.application_id},
            {CONF_APPLICATION_ID: "not_voice_application"},
        ),
    ],
)
async def test_reconfigure_errors(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    init_integration: MockConfigEntry,
    fault: Callable[[Sandbox], None] | None,
    user_input: dict[str, str],
    errors: dict[str, str],
) -> None:
    """A failed check keeps the form (and what was typed); then it finishes."""
    entry = init_integration
    before = dict(entry.data)
    good = {
        CONF_APPLICATION_ID: sandbox.APPLICATION_ID,
        CONF_USERNAME: sandbox.USERNAME,
        CONF_PASSWORD: sandbox.PASSWORD,
        CONF_API_URL: bandwidth_sandbox.url,
    }
    if fault is not None:
        fault(bandwidth_sandbox)

    result = await _start_reconfigure(hass, entry, AUTH_BASIC, advanced=True)
    result = await _configure(hass, result, good | user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_basic"
    assert result["errors"] == errors
    assert entry.data == before
    assert _suggested(result) == {
        key: value for key, value in (good | user_input).items() if key != CONF_PASSWORD
    }

    bandwidth_sandbox.clear_faults()
    result = await _configure(hass, result, good)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_AUTH_TYPE] == AUTH_BASIC
    assert CONF_CLIENT_SECRET not in entry.data
    assert _generated(entry.data) == _generated(before)


# --- Options ---------------------------------------------------------------

OPTION_FIELDS = [
    CONF_FROM,
    CONF_VOICE,
    CONF_TTS_ENTITY_ID,
    CONF_LANGUAGE,
    CONF_NOTIFY_TO,
    CONF_CALLS_PER_SECOND,
    CONF_MAX_CALLS_PER_HOUR,
    CONF_ALLOWED_COUNTRY_CODES,
    CONF_HOLD_TIME,
    CONF_INBOUND_CALLS,
    CONF_RING_TIMEOUT,
    CONF_FORWARD_TO,
    CONF_ASSIST_PIPELINE,
    CONF_ASSIST_MAX_MINUTES,
    CONF_ASSIST_MAX_CONVERSATIONS,
    "voicemail_when_unanswered",
    "voicemail_for_other_callers",
    "voicemail_greeting",
    "voicemail_max_duration",
    "voicemail_transcription",
    "voicemail_stt_entity_id",
    "voicemail_delete_at_bandwidth",
    "voicemail_retention_days",
    CONF_NEW_ADDRESS,
]
# What the form stores when its numbers and choices are left as they are.
CPS = {
    CONF_CALLS_PER_SECOND: DEFAULT_CALLS_PER_SECOND,
    CONF_MAX_CALLS_PER_HOUR: DEFAULT_MAX_CALLS_PER_HOUR,
    CONF_HOLD_TIME: DEFAULT_HOLD_TIME,
    CONF_INBOUND_CALLS: INBOUND_REJECT,
    CONF_RING_TIMEOUT: DEFAULT_RING_TIMEOUT,
    CONF_ASSIST_MAX_MINUTES: DEFAULT_ASSIST_MAX_MINUTES,
    CONF_ASSIST_MAX_CONVERSATIONS: DEFAULT_ASSIST_MAX_CONVERSATIONS,
}
VOICEMAIL_DEFAULTS = {
    "voicemail_when_unanswered": True,
    "voicemail_for_other_callers": False,
    "voicemail_greeting": "Please leave a message after the tone.",
    "voicemail_max_duration": 120,
    "voicemail_transcription": "bandwidth",
    "voicemail_delete_at_bandwidth": True,
    "voicemail_retention_days": 90,
}
CPS |= VOICEMAIL_DEFAULTS


async def _options_init(
    hass: HomeAssistant, entry: MockConfigEntry
) -> FlowResult[Any, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    _assert_translated(result, "options")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert _fields(result) == OPTION_FIELDS
    return result


async def _options_configure(
    hass: HomeAssistant, result: FlowResult[Any, Any], user_input: dict[str, Any]
) -> FlowResult[Any, Any]:
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    _assert_translated(result, "options")
    return result


def _error_text(result: FlowResult[Any, Any], field: str) -> str:
    """Return a form error as the frontend shows it, placeholders filled in."""
    assert result["errors"] is not None
    template: str = STRINGS["options"]["error"][result["errors"][field]]
    return template.format(**(result["description_placeholders"] or {}))


@pytest.mark.parametrize(
    ("user_input", "options"),
    [
        (
            {CONF_FROM: " +15555550199 ", CONF_VOICE: "kate"},
            {CONF_FROM: "+15555550199", CONF_VOICE: "kate", **CPS},
        ),
        # A voice name not in the list is accepted as typed.
        ({CONF_VOICE: " newvoice "}, {CONF_VOICE: "newvoice", **CPS}),
        ({}, CPS),
        ({CONF_FROM: "", CONF_VOICE: "", CONF_NOTIFY_TO: []}, CPS),
        # Numbers to call for notifications: trimmed, blanks and repeats dropped;
        # where they go is the caller ID's country.
        (
            {
                CONF_FROM: "+15555550100",
                CONF_NOTIFY_TO: [" +15555550111 ", "", "sip:alarm@pbx.example.com"],
            },
            {
                CONF_FROM: "+15555550100",
                CONF_NOTIFY_TO: ["+15555550111", "sip:alarm@pbx.example.com"],
                **CPS,
            },
        ),
        (
            {
                CONF_ALLOWED_COUNTRY_CODES: ["+1"],
                CONF_NOTIFY_TO: ["+15555550111", "+15555550111", "+15555550112"],
            },
            {
                CONF_ALLOWED_COUNTRY_CODES: ["+1"],
                CONF_NOTIFY_TO: ["+15555550111", "+15555550112"],
                **CPS,
            },
        ),
        (
            {
                CONF_FROM: "+15555550100",
                CONF_NOTIFY_TO: [f"+155555502{n:02}" for n in range(20)],
            },
            {
                CONF_FROM: "+15555550100",
                CONF_NOTIFY_TO: [f"+155555502{n:02}" for n in range(20)],
                **CPS,
            },
        ),
        # Calls per second: whole numbers from 1 to 100, stored as such.
        ({CONF_CALLS_PER_SECOND: 1}, {**CPS, CONF_CALLS_PER_SECOND: 1}),
        ({CONF_CALLS_PER_SECOND: 100.0}, {**CPS, CONF_CALLS_PER_SECOND: 100}),
        ({CONF_CALLS_PER_SECOND: "12"}, {**CPS, CONF_CALLS_PER_SECOND: 12}),
    ],
)
async def test_options(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    user_input: dict[str, Any],
    options: dict[str, Any],
) -> None:
    """Defaults are saved and apply at once, without reloading the entry."""
    entry = init_integration
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            CONF_NOTIFY_TO: ["+15555550110"],
            "not_on_the_form": True,
        },
    )
    runtime_data = entry.runtime_data

    result = await _options_init(hass, entry)
    assert _suggested(result) == {
        CONF_FROM: "+15555550100",
        CONF_VOICE: "susan",
        CONF_NOTIFY_TO: ["+15555550110"],
    }
    schema = result["data_schema"]
    assert schema is not None
    selectors = {str(key): value for key, value in schema.schema.items()}
    voice = selectors[CONF_VOICE]
    assert voice.config["custom_value"] is True
    assert "julie" in voice.config["options"]
    assert selectors[CONF_NOTIFY_TO].config["multiple"] is True
    calls_per_second = selectors[CONF_CALLS_PER_SECOND]
    assert calls_per_second.config == {
        "min": 1,
        "max": 100,
        "step": 1,
        "mode": "box",
    }
    (marker,) = [key for key in schema.schema if key == CONF_CALLS_PER_SECOND]
    assert marker.default() == DEFAULT_CALLS_PER_SECOND == 5

    result = await _options_configure(hass, result, user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Options this form does not show are kept; cleared fields are dropped.
    assert entry.options == options | {"not_on_the_form": True}
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is runtime_data


async def test_options_suggest_the_stored_rate(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A stored rate is suggested again and kept when the form is sent unchanged."""
    entry = init_integration
    hass.config_entries.async_update_entry(
        entry, options={CONF_FROM: "+15555550100", CONF_CALLS_PER_SECOND: 20}
    )
    result = await _options_init(hass, entry)
    assert _suggested(result) == {
        CONF_FROM: "+15555550100",
        CONF_CALLS_PER_SECOND: 20,
    }
    result = await _options_configure(hass, result, _suggested(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        **CPS,
        CONF_FROM: "+15555550100",
        CONF_CALLS_PER_SECOND: 20,
    }


@pytest.mark.parametrize(
    ("caller", "error"),
    [
        ("5555550100", "invalid_from"),
        ("+0555550100", "invalid_from"),
        ("+1555555010012345", "invalid_from"),
        ("+1 555 555 0100", "invalid_from"),
        ("Secret", "invalid_from"),
        ("+", "invalid_from"),
        # Bandwidth wants a number even when privacy hides it.
        ("Anonymous", "from_privacy_keyword"),
        ("anonymous", "from_privacy_keyword"),
        ("Restricted", "from_privacy_keyword"),
        ("PRIVATE", "from_privacy_keyword"),
        ("Unavailable", "from_privacy_keyword"),
    ],
)
async def test_options_invalid_from(
    hass: HomeAssistant, init_integration: MockConfigEntry, caller: str, error: str
) -> None:
    """A default caller ID the action would refuse is refused on the form."""
    entry = init_integration
    before = dict(entry.options)
    result = await _options_init(hass, entry)
    result = await _options_configure(
        hass, result, {CONF_FROM: caller, CONF_VOICE: "paul"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_FROM: error}
    if error == "from_privacy_keyword":
        assert "privacy" in _error_text(result, CONF_FROM)
    assert _suggested(result) == {
        CONF_FROM: caller.strip(),
        CONF_VOICE: "paul",
        **CPS,
        # Not stored: asked for again with the rest of the form.
        CONF_NEW_ADDRESS: False,
    }
    assert entry.options == before

    result = await _options_configure(
        hass, result, {CONF_FROM: "+15555550142", CONF_VOICE: "paul"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_FROM: "+15555550142", CONF_VOICE: "paul", **CPS}


@pytest.mark.parametrize("voice", ["new voice", "kate!", "1kate", "v" * 65])
async def test_options_invalid_voice(
    hass: HomeAssistant, init_integration: MockConfigEntry, voice: str
) -> None:
    """A default voice the action would refuse is refused on the form."""
    entry = init_integration
    before = dict(entry.options)
    result = await _options_init(hass, entry)
    result = await _options_configure(hass, result, {CONF_VOICE: voice})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_VOICE: "invalid_voice"}
    assert entry.options == before


@pytest.mark.parametrize(
    "notify_to",
    [
        ["5555550111"],
        ["+15555550111", "+1 555 555 0112"],
        ["sip:alarm"],
        ["tel:+15555550111"],
        [f"+155555502{n:02}" for n in range(21)],
    ],
)
async def test_options_invalid_notify_to(
    hass: HomeAssistant, init_integration: MockConfigEntry, notify_to: list[str]
) -> None:
    """Numbers to call must each be E.164 or a SIP URI, 20 at most."""
    entry = init_integration
    before = dict(entry.options)
    result = await _options_init(hass, entry)
    result = await _options_configure(
        hass, result, {CONF_FROM: "+15555550142", CONF_NOTIFY_TO: notify_to}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NOTIFY_TO: "invalid_notify_to"}
    assert _suggested(result) == {
        CONF_FROM: "+15555550142",
        CONF_NOTIFY_TO: notify_to,
        **CPS,
        # Not stored: asked for again with the rest of the form.
        CONF_NEW_ADDRESS: False,
    }
    assert entry.options == before

    result = await _options_configure(
        hass, result, {CONF_FROM: "+15555550142", CONF_NOTIFY_TO: ["+15555550111"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_FROM: "+15555550142",
        CONF_NOTIFY_TO: ["+15555550111"],
        **CPS,
    }


@pytest.mark.parametrize("rate", [2.5, 1.000001])
async def test_options_calls_per_second_whole(
    hass: HomeAssistant, init_integration: MockConfigEntry, rate: float
) -> None:
    """A rate that is not a whole number is a form error naming the range."""
    entry = init_integration
    before = dict(entry.options)
    result = await _options_init(hass, entry)
    result = await _options_configure(hass, result, {CONF_CALLS_PER_SECOND: rate})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_CALLS_PER_SECOND: "invalid_calls_per_second"}
    assert _error_text(result, CONF_CALLS_PER_SECOND) == (
        "Enter a whole number from 1 to 100."
    )
    assert entry.options == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (CONF_ASSIST_MAX_MINUTES, 0),
        (CONF_ASSIST_MAX_MINUTES, 121),
        (CONF_ASSIST_MAX_CONVERSATIONS, 0),
        (CONF_ASSIST_MAX_CONVERSATIONS, 11),
    ],
)
async def test_options_assist_limits_out_of_range(
    hass: HomeAssistant, init_integration: MockConfigEntry, field: str, value: Any
) -> None:
    """The number fields refuse limits outside their range, and fractions."""
    entry = init_integration
    before = dict(entry.options)
    result = await _options_init(hass, entry)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {field: value}
        )
    assert entry.options == before


@pytest.mark.parametrize("rate", [0, 101, -5, "many"])
async def test_options_calls_per_second_out_of_range(
    hass: HomeAssistant, init_integration: MockConfigEntry, rate: Any
) -> None:
    """The number field itself refuses what lies outside 1 to 100."""
    entry = init_integration
    before = dict(entry.options)
    result = await _options_init(hass, entry)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_CALLS_PER_SECOND: rate}
        )
    assert entry.options == before


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({CONF_INBOUND_CALLS: "forward"}, {CONF_FORWARD_TO: "forward_to_required"}),
        (
            {CONF_INBOUND_CALLS: "forward", CONF_FORWARD_TO: ["  ", ""]},
            {CONF_FORWARD_TO: "forward_to_required"},
        ),
        (
            {CONF_INBOUND_CALLS: "forward", CONF_FORWARD_TO: ["555"]},
            {CONF_FORWARD_TO: "invalid_forward_to"},
        ),
        (
            {CONF_FORWARD_TO: [f"+155555502{n:02}" for n in range(9)]},
            {CONF_FORWARD_TO: "invalid_forward_to"},
        ),
        ({CONF_HOLD_TIME: 2.5}, {CONF_HOLD_TIME: "invalid_seconds"}),
        (
            {CONF_ASSIST_MAX_MINUTES: 2.5},
            {CONF_ASSIST_MAX_MINUTES: "invalid_assist_max_minutes"},
        ),
        (
            {CONF_ASSIST_MAX_CONVERSATIONS: 1.5},
            {CONF_ASSIST_MAX_CONVERSATIONS: "invalid_assist_max_conversations"},
        ),
        ({CONF_RING_TIMEOUT: 30.5}, {CONF_RING_TIMEOUT: "invalid_seconds"}),
        (
            {CONF_ASSIST_PIPELINE: "x" * 300},
            {CONF_ASSIST_PIPELINE: "invalid_assist_pipeline"},
        ),
    ],
)
async def test_options_calls_received_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    user_input: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """What happens to calls received is checked; every error reads in full."""
    result = await _options_init(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == errors
    for field in errors:
        assert "{" not in _error_text(result, field)


async def test_options_calls_received(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The URL for the Voice application shows, with the entry's inbound secret."""
    result = await _options_init(hass, init_integration)
    placeholders = result["description_placeholders"] or {}
    assert placeholders["callback_url"] == (
        f"{EXTERNAL_URL}/api/webhook/{WEBHOOK_ID}?key={INBOUND_SECRET}"
    )
    result = await _options_configure(
        hass,
        result,
        {
            CONF_ALLOWED_COUNTRY_CODES: ["+1"],
            CONF_INBOUND_CALLS: "forward",
            CONF_FORWARD_TO: [" +15555550123 ", "sip:desk@pbx.example.test", ""],
            CONF_RING_TIMEOUT: 45,
            CONF_HOLD_TIME: 20.0,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_ALLOWED_COUNTRY_CODES: ["+1"],
        CONF_CALLS_PER_SECOND: DEFAULT_CALLS_PER_SECOND,
        CONF_MAX_CALLS_PER_HOUR: DEFAULT_MAX_CALLS_PER_HOUR,
        CONF_INBOUND_CALLS: "forward",
        CONF_FORWARD_TO: ["+15555550123", "sip:desk@pbx.example.test"],
        CONF_RING_TIMEOUT: 45,
        CONF_HOLD_TIME: 20,
        CONF_ASSIST_MAX_MINUTES: DEFAULT_ASSIST_MAX_MINUTES,
        CONF_ASSIST_MAX_CONVERSATIONS: DEFAULT_ASSIST_MAX_CONVERSATIONS,
        **VOICEMAIL_DEFAULTS,
    }


async def test_options_new_address(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    """A new secret for the Voice application's URL: shown to copy, the old refused."""
    entry = init_integration
    result = await _options_init(hass, entry)
    result = await _options_configure(
        hass, result, {CONF_FROM: FROM_NUMBER, CONF_NEW_ADDRESS: True}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "new_address"
    new_secret = entry.data[CONF_INBOUND_SECRET]
    assert new_secret != INBOUND_SECRET
    assert len(new_secret) >= 32
    placeholders = result["description_placeholders"] or {}
    assert placeholders == {
        "title": entry.title,
        "callback_url": f"{EXTERNAL_URL}/api/webhook/{WEBHOOK_ID}?key={new_secret}",
    }
    # The webhook reads the secret on each request: no reload, nothing to wait for.
    client = await hass_client_no_auth()
    initiate = {
        "eventType": "initiate",
        "callId": "c-in-1",
        "direction": "inbound",
        "from": "+15555550123",
        "to": FROM_NUMBER,
    }
    response = await client.post(
        f"/api/webhook/{WEBHOOK_ID}", json=initiate, params={"key": INBOUND_SECRET}
    )
    assert response.status == 401
    response = await client.post(
        f"/api/webhook/{WEBHOOK_ID}", json=initiate, params={"key": new_secret}
    )
    assert response.status == 200

    result = await _options_configure(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The request itself is not an option.
    assert entry.options == {CONF_FROM: FROM_NUMBER, **CPS}
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_INBOUND_SECRET] == new_secret


async def test_options_without_an_address(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Without an address Bandwidth can reach, no URL shows."""
    await hass.config.async_update(external_url=None)
    result = await _options_init(hass, init_integration)
    assert (result["description_placeholders"] or {})["callback_url"] == ""


def test_unknown_inbound_mode() -> None:
    """A mode the form does not offer (it refuses one itself) is refused too."""
    assert validate_options({CONF_INBOUND_CALLS: "answer_everything"}) == (
        {},
        {CONF_INBOUND_CALLS: "invalid_inbound_calls"},
    )


@pytest.mark.usefixtures("voice")
@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({CONF_TTS_ENTITY_ID: "tts.test_voice", CONF_LANGUAGE: " de-DE "}, {}),
        ({CONF_TTS_ENTITY_ID: "tts.test_voice"}, {}),
        (
            {CONF_TTS_ENTITY_ID: "tts.test_voice", CONF_LANGUAGE: "fr"},
            {CONF_LANGUAGE: "tts_refused"},
        ),
        (
            {CONF_TTS_ENTITY_ID: "tts.test_voice", CONF_LANGUAGE: "not a language"},
            {CONF_LANGUAGE: "invalid_language"},
        ),
        ({CONF_TTS_ENTITY_ID: "tts.nobody"}, {CONF_TTS_ENTITY_ID: "tts_not_found"}),
    ],
)
async def test_options_text_to_speech(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    user_input: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """The default text-to-speech entity must exist and speak the language."""
    entry = init_integration
    result = await _options_init(hass, entry)
    schema = result["data_schema"]
    assert schema is not None
    selectors = {str(key): value for key, value in schema.schema.items()}
    assert selectors[CONF_TTS_ENTITY_ID].config["domain"] == ["tts"]
    result = await _options_configure(hass, result, user_input)
    if errors:
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors
        for field in errors:
            assert _error_text(result, field)
        assert CONF_TTS_ENTITY_ID not in entry.options
        return
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_TTS_ENTITY_ID] == "tts.test_voice"
    assert entry.options.get(CONF_LANGUAGE) == (
        "de-DE" if CONF_LANGUAGE in user_input else None
    )
