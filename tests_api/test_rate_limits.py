"""Rate limits: creations paced to the account's limit, Bandwidth's 429 waited out.

Nothing Bandwidth refused with a 429 was created, so it alone is retried,
and only until the deadline.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
from bandwidth_voice import BandwidthRateLimitError
from bandwidth_voice.errors import _parse_retry_after
from bandwidth_voice.pacing import WINDOW, CreationPacer, PacingTimeoutError

from sandbox import Sandbox

from .helpers import make_client, minimal_request, voice_requests


async def test_rate_limit_is_waited_out(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A 429 with Retry-After is retried after that long: nothing was created."""
    bandwidth_sandbox.fail_next(
        429,
        {"type": "error", "description": "Too many"},
        headers={"Retry-After": "0.2"},
        path_contains="/calls",
    )
    loop = asyncio.get_running_loop()
    start = loop.time()
    response = await make_client(bandwidth_sandbox, session).create_call(
        minimal_request()
    )
    assert loop.time() - start >= 0.2
    assert list(bandwidth_sandbox.calls) == [response.call_id]
    assert len(voice_requests(bandwidth_sandbox)) == 2


async def test_rate_limit_is_retried_until_the_deadline(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """429s are waited out until the deadline; the last one is then reported."""
    bandwidth_sandbox.fail_next(
        429,
        {"type": "error", "description": "Too many", "id": "r1"},
        headers={"Retry-After": "0.05"},
        times=None,
        path_contains="/calls",
    )
    client = make_client(bandwidth_sandbox, session, create_timeout=0.5)
    with pytest.raises(BandwidthRateLimitError) as info:
        await client.create_call(minimal_request())
    assert info.value.retry_after == 0.05
    assert info.value.status == 429
    assert info.value.description == "Too many"
    assert len(voice_requests(bandwidth_sandbox)) > 3
    assert bandwidth_sandbox.calls == {}


async def test_creations_are_paced(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """More concurrent creations than the rate are all placed, none refused."""
    bandwidth_sandbox.rate_limit = (3, 1)
    client = make_client(bandwidth_sandbox, session, calls_per_second=3)
    responses = await asyncio.gather(
        *(client.create_call(minimal_request()) for _ in range(7))
    )
    assert set(bandwidth_sandbox.calls) == {r.call_id for r in responses}
    assert len(bandwidth_sandbox.calls) == 7


async def test_pacer_window() -> None:
    """No more than the rate start within any second, in arrival order."""
    pacer = CreationPacer()
    loop = asyncio.get_running_loop()
    starts: list[tuple[int, float]] = []

    async def create(index: int) -> None:
        await pacer.acquire(3, loop.time() + 5)
        starts.append((index, loop.time()))

    await asyncio.gather(*(create(index) for index in range(7)))
    assert [index for index, _ in starts] == list(range(7))
    times = [moment for _, moment in starts]
    assert all(
        later - earlier >= WINDOW
        for earlier, later in zip(times, times[3:], strict=False)
    )


async def test_pacer_deadline() -> None:
    """A slot that frees only after the deadline is not waited for."""
    pacer = CreationPacer()
    loop = asyncio.get_running_loop()
    await pacer.acquire(1, loop.time() + 5)
    with pytest.raises(PacingTimeoutError):
        await pacer.acquire(1, loop.time() + 0.5)


async def test_pacing_beyond_the_deadline_is_a_rate_limit(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A creation that cannot get a slot in time fails as a 429 would: not placed."""
    client = make_client(
        bandwidth_sandbox, session, calls_per_second=1, create_timeout=0.3
    )
    await client.create_call(minimal_request())
    with pytest.raises(BandwidthRateLimitError, match="1 per second"):
        await client.create_call(minimal_request())
    assert len(bandwidth_sandbox.calls) == 1


async def test_callers_deadline_replaces_the_create_timeout(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A deadline given with the creation is kept, however long create_timeout is."""
    client = make_client(bandwidth_sandbox, session, calls_per_second=1)
    await client.create_call(minimal_request())
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(BandwidthRateLimitError):
        await client.create_call(minimal_request(), deadline=start + 0.3)
    assert loop.time() - start < 1
    assert len(bandwidth_sandbox.calls) == 1


async def test_rate_limit_beyond_deadline_fails_at_once(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A Retry-After longer than the time left is reported immediately."""
    bandwidth_sandbox.fail_next(
        429, "", headers={"Retry-After": "120"}, path_contains="/calls"
    )
    client = make_client(bandwidth_sandbox, session, request_timeout=5)
    with pytest.raises(BandwidthRateLimitError) as info:
        await client.verify()
    assert info.value.retry_after == 120
    assert info.value.description == "HTTP 429"


async def test_rate_limit_without_retry_after(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """Without Retry-After the client waits a second before its retry."""
    bandwidth_sandbox.fail_next(429, "", path_contains="/calls")
    client = make_client(bandwidth_sandbox, session, request_timeout=0.5)
    with pytest.raises(BandwidthRateLimitError) as info:
        await client.verify()
    assert info.value.retry_after is None


def test_parse_retry_after() -> None:
    """Retry-After is seconds or an HTTP date; nonsense is unknown."""
    assert _parse_retry_after(None) is None
    assert _parse_retry_after("3") == 3
    assert _parse_retry_after("-3") == 0
    assert _parse_retry_after("soon") is None
    future = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (_parse_retry_after(future) or 0) <= 30
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert _parse_retry_after(past) == 0
