"""Created from configuration.yaml, or added once from the UI."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult


class DevelopVoiceConfigFlow(ConfigFlow, domain="develop_voice"):
    """One entry, nothing to ask."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add the entry."""
        del user_input
        return self.async_create_entry(title="Develop voice", data={})

    async def async_step_import(self, import_data: dict[str, Any]) -> ConfigFlowResult:
        """Add the entry configuration.yaml asks for."""
        return await self.async_step_user(import_data)
