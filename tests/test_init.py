"""Tests for setting up, unloading and removing Bandwidth Voice entries."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bandwidth.api import (
    DASHBOARD_URL,
    TOKEN_URL,
    VOICE_URL,
    BasicCredentials,
)
from custom_components.bandwidth.calls import CallScript
from custom_components.bandwidth.const import (
    AUTH_BASIC,
    CONF_API_URL,
    CONF_AUTH_TYPE,
    CONF_INBOUND_SECRET,
    DOMAIN,
)
from custom_components.bandwidth.helpers import async_create_client
from sandbox import Sandbox

from .helpers import WEBHOOK_ID, entry_data, live_call


async def test_integration_loads(hass: HomeAssistant) -> None:
    """The integration is found as a custom integration and sets up."""
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.name == "Bandwidth Voice"
    assert not integration.is_built_in
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components
    assert hass.services.has_service(DOMAIN, "create_call")
    assert hass.services.has_service(DOMAIN, "hangup_call")


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Setup checks the credentials live, registers the webhook; unload undoes it."""
    entry = init_integration
    assert entry.state is ConfigEntryState.LOADED
    assert bandwidth_sandbox.token_requests == 1
    assert WEBHOOK_ID in hass.data.get("webhook", {})

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert WEBHOOK_ID not in hass.data.get("webhook", {})


async def test_setup_retries_when_bandwidth_is_down(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """An unreachable or failing Bandwidth makes Home Assistant retry later."""
    bandwidth_sandbox.fail_next(
        503, "<html>down</html>", content_type="text/html", path_contains="/calls"
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "503" in (mock_config_entry.reason or "")


async def test_setup_with_bad_credentials_starts_reauth(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Refused credentials fail setup and start the re-authentication flow."""
    bandwidth_sandbox.client_secret = "rotated"
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


async def test_remove_entry_forgets_stored_calls(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, object],
) -> None:
    """Removing the entry deletes its stored call scripts."""
    entry = init_integration
    key = f"{DOMAIN}.calls.{entry.entry_id}"
    live_call(entry, CallScript(message="hi"))
    await hass.async_block_till_done()
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    assert WEBHOOK_ID not in hass.data.get("webhook", {})


async def test_client_for_entry_data(hass: HomeAssistant) -> None:
    """Entries talk to Bandwidth itself unless a sandbox root is configured."""
    data = entry_data("http://127.0.0.1:8090")
    client = async_create_client(hass, data)
    assert str(client.voice_url) == "http://127.0.0.1:8090/api/v2"
    assert str(client.token_url) == "http://127.0.0.1:8090/api/v1/oauth2/token"
    assert str(client.dashboard_url) == "http://127.0.0.1:8090/api/v2"
    data.pop(CONF_API_URL)
    data.update({CONF_AUTH_TYPE: AUTH_BASIC, "username": "u", "password": "p"})
    client = async_create_client(hass, data)
    assert client.voice_url == VOICE_URL
    assert client.token_url == TOKEN_URL
    assert client.dashboard_url == DASHBOARD_URL
    assert client.credentials == BasicCredentials("u", "p")


async def test_older_entries_get_an_inbound_secret(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, external_url: str
) -> None:
    """An entry made before calls could be received gets its secret at setup."""
    data = dict(mock_config_entry.data)
    del data[CONF_INBOUND_SECRET]
    entry = MockConfigEntry(domain=DOMAIN, data=data, options=mock_config_entry.options)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert len(entry.data[CONF_INBOUND_SECRET]) >= 32
