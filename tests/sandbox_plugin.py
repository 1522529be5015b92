"""Pytest fixtures serving the Bandwidth sandbox on loopback.

A plugin rather than conftest.py fixtures, so the benchmarks use them too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from pytest_homeassistant_custom_component.common import MockConfigEntry

from sandbox import Sandbox

from .helpers import EXTERNAL_URL, ClientFactory


@pytest.fixture
async def bandwidth_sandbox(socket_enabled: None) -> AsyncIterator[Sandbox]:
    """Serve a sandbox for the demo account; `.url` is its root URL.

    The call lifecycle is off: use `live_sandbox` to have created calls
    answered and their callbacks sent. Sockets are enabled (as for Home
    Assistant's own test clients); connections stay limited to 127.0.0.1.
    """
    sandbox = Sandbox(lifecycle=False)
    server = TestServer(sandbox.app, host="127.0.0.1")
    await server.start_server()
    sandbox.url = str(server.make_url("/")).rstrip("/")
    try:
        yield sandbox
    finally:
        await sandbox.close()
        await server.close()


@pytest.fixture
async def live_sandbox(
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    hass_client_no_auth: ClientFactory,
) -> Sandbox:
    """The sandbox playing the calls of the integration, set up on a real server.

    Created calls are answered and their callbacks sent. Callbacks are
    addressed to the entry's https external URL, as Bandwidth would; the
    sandbox delivers them to Home Assistant's local test server instead.
    """
    client = await hass_client_no_auth()
    bandwidth_sandbox.lifecycle = True
    bandwidth_sandbox.url_rewrites = {
        EXTERNAL_URL: str(client.make_url("")).rstrip("/")
    }
    return bandwidth_sandbox
