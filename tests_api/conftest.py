"""Fixtures of the API client's tests: the client under its own name, and Bandwidth.

The client is tested as the library it could be published as: imported as
`bandwidth_voice`, the name its wheel installs, from the integration's
`api/` folder, without importing the integration (whose package would import
Home Assistant first). Nothing here needs Home Assistant.

Bandwidth is the repository's sandbox, served on loopback: the one stand-in
for Bandwidth the integration's tests use too, with its OAuth tokens, rate
limits, faults and recorded requests. A second, smaller server here would be
a second description of Bandwidth to keep true.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from sandbox import Sandbox

PACKAGE = "bandwidth_voice"
SOURCE = Path(__file__).parents[1] / "custom_components" / "bandwidth" / "api"


def _import_in_tree() -> None:
    """Import the client's folder as `bandwidth_voice`, before any test does.

    Always the checkout's files, even where a built wheel is installed: they
    are what the tests cover.
    """
    spec = importlib.util.spec_from_file_location(
        PACKAGE, SOURCE / "__init__.py", submodule_search_locations=[str(SOURCE)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)


_import_in_tree()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, as an application would inject."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def bandwidth_sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """Serve a sandbox for the demo account; `.url` is its root URL.

    Created calls just sit (no lifecycle, no callbacks): the client only
    talks to the API.
    """
    if request.config.pluginmanager.hasplugin("socket"):
        # pytest-socket (Home Assistant's test harness turns it on) blocks
        # sockets; connections stay limited to 127.0.0.1.
        request.getfixturevalue("socket_enabled")
    sandbox = Sandbox(lifecycle=False)
    server = TestServer(sandbox.app, host="127.0.0.1")
    await server.start_server()
    sandbox.url = str(server.make_url("/")).rstrip("/")
    try:
        yield sandbox
    finally:
        await sandbox.close()
        await server.close()
