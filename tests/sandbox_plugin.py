"""Pytest fixture serving the Bandwidth sandbox on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from sandbox import Sandbox


@pytest.fixture
async def bandwidth_sandbox(socket_enabled: None) -> AsyncIterator[Sandbox]:
    """Serve a sandbox for the demo account; `.url` is its root URL.

    The call lifecycle is off: set `bandwidth_sandbox.lifecycle = True` to
    have created calls answered and their callbacks sent. Sockets are
    enabled (as for Home Assistant's own test clients); connections stay
    limited to 127.0.0.1.
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
