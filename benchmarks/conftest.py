"""Fixtures for the benchmarks: the test suite's, with the loop as in production."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

# The suite's fixtures: the integration set up against the loopback sandbox.
from tests.conftest import (  # noqa: F401
    auto_enable_custom_integrations,
    external_url,
    init_integration,
    live,
    mock_config_entry,
)

from .report import ROWS, table

pytest_plugins = ["tests.sandbox_plugin", "tests.voices"]


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Measure with asyncio's debug mode off, as Home Assistant runs.

    The test harness turns it on for every test (this fixture has its name).
    """
    asyncio.get_running_loop().set_debug(False)


@pytest.fixture(autouse=True)
def quiet_logging() -> Iterator[None]:
    """Keep per-request INFO logging (access log, sandbox) out of the figures."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    yield
    root.setLevel(level)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the table of figures at the end of the run."""
    if ROWS:
        terminalreporter.write_sep("=", "Bandwidth Voice benchmarks")
        terminalreporter.write_line(table())
