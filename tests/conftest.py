"""Fixtures shared by the Bandwidth Voice tests.

Those the benchmarks use too are plugins: the integration set up against
the sandbox in integration_plugin.py, the sandbox in sandbox_plugin.py, the
test voices in voices.py. Constants and helpers shared by the test modules
are in helpers.py and live_calls.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from unittest.mock import AsyncMock, Mock

import aiohttp
import pytest
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.bandwidth.const import DOMAIN
from sandbox import Sandbox

from .helpers import (
    CLOUDHOOK_URL,
    WEBHOOK_ID,
    CloudRelay,
    Live,
    set_up,
)

pytest_plugins = [
    "tests.integration_plugin",
    "tests.sandbox_plugin",
    "tests.voices",
]


@pytest.fixture(autouse=True)
def no_swallowed_exceptions(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which a listener raised.

    Home Assistant's dispatcher and event loop log a listener's exception and
    go on, so nothing else would fail: an event entity that no longer accepts
    what the webhook sends it would pass unnoticed.
    """
    yield
    swallowed = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.levelno >= logging.ERROR
        and record.name in {"homeassistant.helpers.dispatcher", "homeassistant.core"}
    ]
    assert not swallowed, swallowed


@pytest.fixture(autouse=True)
def no_deprecated_use(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which Home Assistant reported the integration's use of it.

    Home Assistant logs what an integration does that a later release stops
    ("Detected that custom integration 'bandwidth' ... This will stop working
    in Home Assistant ..."); the newest leg sees such reports first.
    """
    yield
    reported = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.name == "homeassistant.helpers.frame"
        and f"integration '{DOMAIN}'" in record.getMessage()
    ]
    assert not reported, reported


@pytest.fixture
async def voice_stack(hass: HomeAssistant) -> None:
    """Home Assistant's satellites, as a default configuration has them.

    Contacts' entities need them. Ask for it before anything starts the HTTP
    test server: they add views, which a started test server refuses.
    """
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "assist_satellite", {})


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, as Home Assistant would inject."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot format, kept in tests/snapshots/."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def cloud(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Home Assistant Cloud, set up, signed in and connected.

    The component is the real one; only its account state and the calls that
    would reach Nabu Casa's servers are stood in for. Change
    `async_active_subscription` / `async_is_connected` return values, and send
    its connection-state signal, to act out signing in or out.
    """
    from homeassistant.components import cloud as cloud_component  # noqa: PLC0415

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
    await set_up(hass, mock_config_entry)
    bandwidth_sandbox.lifecycle = True
    bandwidth_sandbox.callback_transport = CloudRelay(hass, WEBHOOK_ID)
    return Live(
        hass,
        mock_config_entry,
        bandwidth_sandbox,
        async_capture_events(hass, MATCH_ALL),
    )
