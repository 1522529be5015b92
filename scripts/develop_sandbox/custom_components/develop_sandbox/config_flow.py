"""Hand over to Bandwidth Voice's setup, with the API root field shown."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigFlow,
    ConfigFlowResult,
    FlowType,
)

from . import DOMAIN


class DevelopSandboxConfigFlow(ConfigFlow, domain=DOMAIN):
    """Start Bandwidth Voice's setup as advanced mode did, and continue there."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start the Bandwidth Voice flow; the frontend opens it in this dialog.

        Bandwidth Voice shows its Bandwidth API root field to flows started in
        advanced mode, which recent Home Assistant releases no longer let the
        frontend ask for: a flow started here is one.
        """
        del user_input
        result = await self.hass.config_entries.flow.async_init(
            "bandwidth",
            context={"source": SOURCE_USER, "show_advanced_options": True},
        )
        return self.async_abort(
            reason="continued", next_flow=(FlowType.CONFIG_FLOW, result["flow_id"])
        )
