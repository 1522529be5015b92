"""Tests for the config entry diagnostics."""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import ConfigSubentryData
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
    CONF_ASSIST_CALLERS,
    CONF_FORWARD_TO,
    CONF_FROM,
    CONF_INBOUND_CALLS,
    CONF_NOTIFY_TO,
    CONF_VOICE,
    DOMAIN,
    INBOUND_ASSIST,
)
from custom_components.bandwidth.diagnostics import _without_numbers
from sandbox import Sandbox

from .helpers import (
    CLOUDHOOK_URL,
    FROM_NUMBER,
    INBOUND_SECRET,
    WEBHOOK_ID,
    basic_entry,
    entry_data,
    live_call,
    set_up,
)

# Who the entry calls, forwards to, lets talk to Assist, and its contacts.
NOTIFY_TO = ["+15555551234", "+442079460000", "sip:door@pbx.example.com"]
FORWARD_TO = ["+15555559876", "SIP:Front@PBX.example.com"]
ASSIST_CALLERS = ["+15555550177", "+15555550178", "sips:me@example.com"]
CONTACTS = [
    ConfigSubentryData(
        data={"name": "Alice Example", "number": "+15555550181", "assist": True},
        subentry_type="contact",
        title="Alice Example",
        unique_id="+15555550181",
    ),
    ConfigSubentryData(
        data={
            "name": "Bob Example",
            "number": "sip:bob@pbx.example.com",
            "assist": False,
            "pin": "4711",
        },
        subentry_type="contact",
        title="Bob Example",
        unique_id="sip:bob@pbx.example.com",
    ),
]
PERSONAL = [
    FROM_NUMBER,
    *NOTIFY_TO,
    *FORWARD_TO,
    *ASSIST_CALLERS,
    "+15555550181",
    "bob@pbx.example.com",
    "Alice",
    "Bob",
    "4711",
]


@pytest.mark.usefixtures("external_url")
async def test_diagnostics(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """Settings without secrets or numbers, how callbacks arrive, the latest calls."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Bandwidth {sandbox.ACCOUNT_ID}",
        unique_id=f"{sandbox.ACCOUNT_ID}_{sandbox.APPLICATION_ID}",
        data=entry_data(bandwidth_sandbox.url),
        options={
            CONF_FROM: FROM_NUMBER,
            CONF_VOICE: "susan",
            CONF_NOTIFY_TO: NOTIFY_TO,
            CONF_INBOUND_CALLS: INBOUND_ASSIST,
            CONF_FORWARD_TO: FORWARD_TO,
            CONF_ASSIST_CALLERS: ASSIST_CALLERS,
        },
        subentries_data=CONTACTS,
    )
    await set_up(hass, entry)
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
    # Numbers are redacted one by one: how many there are still shows.
    options = diagnostics["entry"]["options"]
    assert options[CONF_FROM] == REDACTED
    assert options[CONF_NOTIFY_TO] == [REDACTED] * len(NOTIFY_TO)
    assert options[CONF_FORWARD_TO] == [REDACTED] * len(FORWARD_TO)
    # Migrated: those callers are contacts now, shown as contacts are.
    assert CONF_ASSIST_CALLERS not in options
    # Of contacts, only how many of each kind, who may talk to Assist, and
    # whether they have a PIN.
    assert diagnostics["entry"]["subentries"] == {
        "contact": [
            {
                "title": REDACTED,
                "data": {"name": REDACTED, "number": REDACTED, "assist": True},
            },
            {
                "title": REDACTED,
                "data": {
                    "name": REDACTED,
                    "number": REDACTED,
                    "assist": False,
                    "pin": REDACTED,
                },
            },
            # The callers once listed as allowed to talk to Assist.
            *[
                {
                    "title": REDACTED,
                    "data": {"name": REDACTED, "number": REDACTED, "assist": True},
                }
            ]
            * len(ASSIST_CALLERS),
        ]
    }
    text = json.dumps(diagnostics)
    for secret in (
        sandbox.CLIENT_ID,
        sandbox.CLIENT_SECRET,
        WEBHOOK_ID,
        live.secret,
        INBOUND_SECRET,
        *PERSONAL,
    ):
        assert secret not in text


@pytest.mark.parametrize(
    ("value", "redacted"),
    [
        ("+15555550100", True),
        (" +1 (555) 555-0100 ", True),
        ("+4420.7946.0000", True),
        ("sip:door@pbx.example.com", True),
        ("SIPS:door@pbx.example.com", True),
        ("tel:+15555550100", True),
        ("+", False),
        ("+ -", False),
        ("9900000", False),
        ("Anonymous", False),
        ("susan", False),
        ("c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d", False),
        ("https://ha.example.test", False),
    ],
)
def test_what_counts_as_a_number(value: str, redacted: bool) -> None:
    """Numbers however written and SIP URIs are redacted; ids and words are not."""
    assert (_without_numbers({"key": [value]}) == {"key": [REDACTED]}) is redacted


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
    for secret in (sandbox.USERNAME, sandbox.PASSWORD, INBOUND_SECRET):
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
