"""Offline speech for trying Assist over the phone with scripts/develop.

Not part of the integration and never installed with it: scripts/develop puts
it on Home Assistant's path and configuration.yaml names it, which sets it up.
Its speech-to-text hears the same request whatever is said; its
text-to-speech answers every text with the same short tone.
"""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.typing import ConfigType

DOMAIN = "develop_voice"
PLATFORMS = [Platform.STT, Platform.TTS]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Create the entry when configuration.yaml names the integration."""
    if DOMAIN in config and not hass.config_entries.async_entries(DOMAIN):
        hass.async_create_task(
            hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_IMPORT}, data={}
            )
        )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Set up the speech-to-text and text-to-speech entities."""
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Unload the entities."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
