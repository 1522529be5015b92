"""Tests for the config entry diagnostics."""

from __future__ import annotations

import json
from types import ModuleType

from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

import sandbox
from custom_components.bandwidth.calls import CallScript
from custom_components.bandwidth.const import (
    CONF_FROM,
    CONF_NOTIFY_TO,
    CONF_VOICE,
)
from sandbox import Sandbox

from .helpers import (
    CALLBACK_PASSWORD,
    CALLBACK_USERNAME,
    CLOUDHOOK_URL,
    INBOUND_SECRET,
    WEBHOOK_ID,
    basic_entry,
    live_call,
    set_up,
)


async def test_diagnostics(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """Settings without secrets, how callbacks arrive, the latest calls."""
    entry = init_integration
    hass.config_entries.async_update_entry(
        entry,
        options={
            CONF_FROM: "+15555550100",
            CONF_VOICE: "susan",
            CONF_NOTIFY_TO: ["+15555551234"],
        },
    )
    calls = entry.runtime_data.calls
    live = live_call(entry, CallScript(message="Hello"), call_id="c-live")
    for call_id, event_type in (
        ("c-1", "answer"),
        ("c-2", "answer"),
        ("c-1", "disconnect"),
        ("c-live", "answer"),
    ):
        calls.record(call_id, event_type)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics == snapshot(exclude=props("api_url"))
    # The sandbox's port changes from run to run; the URL is no secret.
    assert diagnostics["entry"]["data"]["api_url"] == bandwidth_sandbox.url
    text = json.dumps(diagnostics)
    for secret in (
        sandbox.CLIENT_ID,
        sandbox.CLIENT_SECRET,
        CALLBACK_USERNAME,
        CALLBACK_PASSWORD,
        WEBHOOK_ID,
        "+15555551234",
        live.secret,
        INBOUND_SECRET,
    ):
        assert secret not in text


async def test_diagnostics_legacy_api_user_without_url(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """A legacy API user's credentials are redacted; open issues are listed."""
    await async_process_ha_core_config(
        hass, {"internal_url": "http://192.168.1.2:8123"}
    )
    entry = basic_entry(bandwidth_sandbox)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics == snapshot(exclude=props("api_url"))
    text = json.dumps(diagnostics)
    for secret in (sandbox.USERNAME, sandbox.PASSWORD, CALLBACK_PASSWORD):
        assert secret not in text


async def test_diagnostics_cloudhook(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    cloud: ModuleType,
) -> None:
    """Callbacks through a cloudhook are told apart; its URL is redacted."""
    await set_up(hass, mock_config_entry)

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )

    assert diagnostics["callbacks"] == {
        "reachable": True,
        "via": "cloudhook",
        "scheme": "https",
    }
    assert diagnostics["entry"]["data"]["cloudhook_url"] == "**REDACTED**"
    assert CLOUDHOOK_URL not in json.dumps(diagnostics)
