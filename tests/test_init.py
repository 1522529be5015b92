"""Tests for setting up the Bandwidth Voice integration."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component

from custom_components.bandwidth.const import DOMAIN


async def test_integration_loads(hass: HomeAssistant) -> None:
    """The integration is found as a custom integration and sets up."""
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.name == "Bandwidth Voice"
    assert not integration.is_built_in
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components
