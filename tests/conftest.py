"""Fixtures shared by the Bandwidth Voice tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, Mock

import pytest
from aiohttp.test_utils import TestClient
from homeassistant.const import CONF_WEBHOOK_ID, MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

import sandbox
from custom_components.bandwidth.const import (
    AUTH_OAUTH,
    CONF_ACCOUNT_ID,
    CONF_API_URL,
    CONF_APPLICATION_ID,
    CONF_AUTH_TYPE,
    CONF_CALLBACK_PASSWORD,
    CONF_CALLBACK_USERNAME,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_FROM,
    CONF_INBOUND_SECRET,
    CONF_VOICE,
    DOMAIN,
)
from sandbox import Sandbox

if TYPE_CHECKING:
    from .helpers import Live

pytest_plugins = ["tests.sandbox_plugin", "tests.voices"]

WEBHOOK_ID = "0123456789abcdef0123456789abcdef"
CALLBACK_USERNAME = "cb-user-3f9a"
CALLBACK_PASSWORD = "cb-pass-7d1e5c0b2a"
INBOUND_SECRET = "inbound-Secret-4c1d-9A7e-x2Lm-05Pq"
EXTERNAL_URL = "https://ha.example.test"
FROM_NUMBER = "+15555550100"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/bandwidth in every test."""


def entry_data(sandbox_url: str, **overrides: Any) -> dict[str, Any]:
    """Config entry data for the sandbox's demo account, OAuth scheme."""
    return {
        CONF_AUTH_TYPE: AUTH_OAUTH,
        CONF_ACCOUNT_ID: sandbox.ACCOUNT_ID,
        CONF_APPLICATION_ID: sandbox.APPLICATION_ID,
        CONF_CLIENT_ID: sandbox.CLIENT_ID,
        CONF_CLIENT_SECRET: sandbox.CLIENT_SECRET,
        CONF_WEBHOOK_ID: WEBHOOK_ID,
        CONF_CALLBACK_USERNAME: CALLBACK_USERNAME,
        CONF_CALLBACK_PASSWORD: CALLBACK_PASSWORD,
        CONF_INBOUND_SECRET: INBOUND_SECRET,
        CONF_API_URL: sandbox_url,
        **overrides,
    }


@pytest.fixture
def mock_config_entry(bandwidth_sandbox: Sandbox) -> MockConfigEntry:
    """A config entry for the sandbox account (not yet added to hass)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Bandwidth {sandbox.ACCOUNT_ID}",
        unique_id=f"{sandbox.ACCOUNT_ID}_{sandbox.APPLICATION_ID}",
        data=entry_data(bandwidth_sandbox.url),
        options={CONF_FROM: FROM_NUMBER, CONF_VOICE: "susan"},
    )


@pytest.fixture
async def external_url(hass: HomeAssistant) -> str:
    """Give Home Assistant an external https URL, as callbacks need one."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    return EXTERNAL_URL


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, external_url: str
) -> MockConfigEntry:
    """Set up the integration against the sandbox and return its entry."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
async def live(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: Callable[[], Awaitable[TestClient[Any, Any]]],
    bandwidth_sandbox: Sandbox,
) -> Live:
    """The integration on a real HTTP server, the sandbox playing its calls.

    Callbacks are addressed to the entry's https external URL, as Bandwidth
    would; the sandbox delivers them to the local test server instead.
    """
    from .helpers import Live  # noqa: PLC0415 - helpers import this module

    client = await hass_client_no_auth()
    bandwidth_sandbox.lifecycle = True
    bandwidth_sandbox.url_rewrites = {
        EXTERNAL_URL: str(client.make_url("")).rstrip("/")
    }
    return Live(
        hass, init_integration, bandwidth_sandbox, async_capture_events(hass, MATCH_ALL)
    )


@pytest.fixture
def cloud(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Home Assistant Cloud, set up, signed in and connected.

    The component is the real one; only its account state and the calls that
    would reach Nabu Casa's servers are stood in for. Change
    `async_active_subscription` / `async_is_connected` return values, and send
    its connection-state signal, to act out signing in or out.
    """
    from homeassistant.components import cloud as cloud_component  # noqa: PLC0415

    from .helpers import CLOUDHOOK_URL  # noqa: PLC0415 - helpers import this module

    for name, value in (
        ("async_active_subscription", Mock(return_value=True)),
        ("async_is_connected", Mock(return_value=True)),
        ("async_create_cloudhook", AsyncMock(return_value=CLOUDHOOK_URL)),
        ("async_delete_cloudhook", AsyncMock()),
    ):
        monkeypatch.setattr(cloud_component, name, value)
    hass.config.components.add("cloud")
    return cloud_component


@pytest.fixture
async def cloud_live(
    hass: HomeAssistant,
    cloud: ModuleType,
    mock_config_entry: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
) -> Live:
    """The integration behind Home Assistant Cloud, without an external URL.

    The sandbox sends every callback to the cloudhook URL; the cloud relay
    hands it to Home Assistant's webhook as Home Assistant Cloud does.
    """
    from .helpers import CloudRelay, Live  # noqa: PLC0415 - helpers import this module

    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    bandwidth_sandbox.lifecycle = True
    bandwidth_sandbox.callback_transport = CloudRelay(hass, WEBHOOK_ID)
    return Live(
        hass,
        mock_config_entry,
        bandwidth_sandbox,
        async_capture_events(hass, MATCH_ALL),
    )
