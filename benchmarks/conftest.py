"""Fixtures for the benchmarks: the test suite's, with the loop as in production."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import pytest

from custom_components.bandwidth import dialer, services, webhook

from .load_client import LoadClient
from .report import FULL, QUICK, ROWS, Rounds, missed, table
from .stub import StubApi

# The suite's fixtures: the integration set up against the loopback sandbox.
pytest_plugins = [
    "tests.integration_plugin",
    "tests.sandbox_plugin",
    "tests.voices",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --quick, and --slow-down to see a regression fail it."""
    parser.addoption(
        "--quick",
        action="store_true",
        help="run the benchmarks with ratio targets only, in fewer rounds",
    )
    parser.addoption(
        "--slow-down",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="make every answered callback and every create_call this much "
        "slower, busy on the loop, as a regression would (the targets then fail)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker of the benchmarks the quick pass runs."""
    config.addinivalue_line(
        "markers", "quick: a benchmark whose targets are ratios (run by --quick)"
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """With --quick, leave out benchmarks whose targets are absolute.

    The quick pass, run on shared machines, measures a missed target once
    more before failing: a neighbour busy during one side's rounds can cost
    that side a quarter, and a second miss is not chance.
    """
    if not config.getoption("--quick"):
        return
    kept = [item for item in items if item.get_closest_marker("quick")]
    for item in kept:
        item.add_marker(pytest.mark.flaky(reruns=1))
    deselected = [item for item in items if not item.get_closest_marker("quick")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def _busy(seconds: float) -> None:
    """Keep the loop busy, as code doing more work would."""
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


@pytest.fixture(autouse=True)
def slow_down(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> float:
    """With --slow-down, a deliberately slower answer path and action."""
    seconds: float = request.config.getoption("--slow-down")
    if seconds:
        answer = webhook.CallbackHandler._answer  # noqa: SLF001
        place = dialer.async_place_calls

        def slow_answer(handler: webhook.CallbackHandler, *args: Any) -> Any:
            _busy(seconds)
            return answer(handler, *args)

        async def slow_place(*args: Any) -> Any:
            _busy(seconds)
            return await place(*args)

        monkeypatch.setattr(webhook.CallbackHandler, "_answer", slow_answer)
        monkeypatch.setattr(services, "async_place_calls", slow_place)
    return seconds


@pytest.fixture
def rounds(request: pytest.FixtureRequest) -> Rounds:
    """How many rounds each benchmark measures: fewer in the quick pass."""
    return QUICK if request.config.getoption("--quick") else FULL


@pytest.fixture
async def stub_api(socket_enabled: None) -> AsyncIterator[StubApi]:  # noqa: ARG001
    """Serve a minimal stand-in answering createCall with a fixed 201, on loopback."""
    stub = StubApi()
    await stub.start()
    try:
        yield stub
    finally:
        await stub.close()


@pytest.fixture
async def load_client() -> AsyncIterator[LoadClient]:
    """The webhook benchmarks' load client, in a process of its own."""
    client = await LoadClient.start()
    try:
        yield client
    finally:
        await client.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:  # noqa: ARG001
    """Fail a benchmark that missed a target, once all its figures are recorded."""
    recorded = len(ROWS)
    result = yield
    if failures := missed(ROWS[recorded:]):
        pytest.fail("Missed targets:\n" + "\n".join(failures), pytrace=False)
    return result


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
    """Print the table of figures at the end of the run, targets met or not."""
    if ROWS:
        terminalreporter.write_sep("=", "Bandwidth Voice benchmarks")
        terminalreporter.write_line(table())
