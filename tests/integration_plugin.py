"""Pytest fixtures setting the integration up against the loopback sandbox.

A plugin rather than conftest.py fixtures, so the benchmarks use them too.
"""

from __future__ import annotations

import pytest
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

import sandbox
from custom_components.bandwidth.const import CONF_FROM, CONF_VOICE, DOMAIN
from sandbox import Sandbox

from .helpers import EXTERNAL_URL, FROM_NUMBER, Live, entry_data, set_up


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/bandwidth in every test."""


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
    await set_up(hass, mock_config_entry)
    return mock_config_entry


@pytest.fixture
async def live(
    hass: HomeAssistant, init_integration: MockConfigEntry, live_sandbox: Sandbox
) -> Live:
    """The integration on a real HTTP server, the sandbox playing its calls.

    The sandbox is `live_sandbox`; every event fired meanwhile is captured.
    """
    return Live(
        hass, init_integration, live_sandbox, async_capture_events(hass, MATCH_ALL)
    )
