"""Fixtures shared by the Bandwidth Voice tests."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from pytest_homeassistant_custom_component.common import MockConfigEntry

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
    CONF_VOICE,
    DOMAIN,
)

pytest_plugins = ["tests.sandbox_plugin"]

WEBHOOK_ID = "0123456789abcdef0123456789abcdef"
CALLBACK_USERNAME = "cb-user-3f9a"
CALLBACK_PASSWORD = "cb-pass-7d1e5c0b2a"
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
        CONF_API_URL: sandbox_url,
        **overrides,
    }


@pytest.fixture
def mock_config_entry(bandwidth_sandbox: Any) -> MockConfigEntry:
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
