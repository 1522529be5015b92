"""Fault injection: Bandwidth times out, drops connections, fails or garbles.

Every fault goes through bandwidth.create_call. Each test checks that the
user gets a clear answer, that no call is created twice (POSTs to /calls are
counted), that Home Assistant keeps working meanwhile, and that the entry
recovers by itself once Bandwidth behaves again.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.bandwidth import helpers
from custom_components.bandwidth.api import BandwidthClient, BandwidthRateLimitError
from custom_components.bandwidth.const import DOMAIN
from sandbox import Sandbox

from .helpers import Live, create_call, created_bodies

TO = "+15555551234"
OTHER = "+15555551299"
HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"
# The client's time limit: far longer than any test takes, so it never runs out
# by itself, however loaded the machine; run_out_the_time_limit() makes it.
TIMEOUT = 30


async def assert_recovers(hass: HomeAssistant, bandwidth_sandbox: Sandbox) -> None:
    """The next call goes through without a reload, once, and is kept."""
    posts = len(created_bodies(bandwidth_sandbox))
    calls = len(bandwidth_sandbox.calls)
    response = await create_call(hass, to=OTHER, message="Back again")
    [item] = response["calls"]
    assert "error" not in item
    assert item["call_id"] in bandwidth_sandbox.calls
    assert len(created_bodies(bandwidth_sandbox)) == posts + 1
    assert len(bandwidth_sandbox.calls) == calls + 1


def run_out_the_time_limit(hass: HomeAssistant) -> None:
    """Let TIMEOUT seconds pass at once for whatever waits on the event loop.

    A request to Bandwidth that hangs then fails as it would after that long.
    """
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=TIMEOUT))


async def assert_responsive(hass: HomeAssistant, stuck: asyncio.Task[Any]) -> None:
    """A state write and an action complete while a task waits on Bandwidth."""

    async def ping(call: ServiceCall) -> dict[str, Any]:
        return {"pong": call.data["n"]}

    if not hass.services.has_service("test", "ping"):
        hass.services.async_register(
            "test", "ping", ping, supports_response=SupportsResponse.ONLY
        )
    hass.states.async_set("sensor.probe", "responsive")
    response = await hass.services.async_call(
        "test", "ping", {"n": 1}, blocking=True, return_response=True
    )
    assert response == {"pong": 1}
    assert hass.states.get("sensor.probe").state == "responsive"  # type: ignore[union-attr]
    assert not stuck.done()


async def fail_while_stuck(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    stuck: Callable[[], bool],
) -> HomeAssistantError:
    """Start a call, prove Home Assistant works while it is stuck, return its error.

    The call fails once the client's time limit has run out.
    """
    task = hass.async_create_task(create_call(hass, to=TO))
    await bandwidth_sandbox.wait_for(stuck)
    await assert_responsive(hass, task)
    run_out_the_time_limit(hass)
    with pytest.raises(HomeAssistantError) as info:
        await task
    return info.value


@pytest.fixture
def entry(init_integration: MockConfigEntry) -> MockConfigEntry:
    """The loaded entry, its client's time limit TIMEOUT."""
    init_integration.runtime_data.client.request_timeout = TIMEOUT
    return init_integration


# --- Bandwidth does not answer ----------------------------------------------


async def test_timeout(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A create that hangs fails after the timeout, is never resent, blocks nothing."""
    bandwidth_sandbox.hang_next(path_contains="/calls", method="POST")
    task = hass.async_create_task(create_call(hass, to=TO))
    await bandwidth_sandbox.wait_for(
        lambda: len(created_bodies(bandwidth_sandbox)) == 1
    )

    # While the create hangs: Home Assistant works, another call goes through.
    await assert_responsive(hass, task)
    response = await create_call(hass, to=OTHER)
    assert "error" not in response["calls"][0]
    assert not task.done()

    # It waits for its time limit, and fails then.
    run_out_the_time_limit(hass)
    with pytest.raises(HomeAssistantError) as info:
        await task
    assert info.value.translation_key == "call_outcome_unknown"
    assert info.value.translation_placeholders == {
        "error": f"Timed out talking to Bandwidth after {TIMEOUT:g} s"
    }
    assert "Timed out talking to Bandwidth" in str(info.value)
    assert "may have placed the call" in str(info.value)
    # The call may ring: what it plays is kept for its answer callback
    # (the other call is live too, as the sandbox leaves it ringing).
    assert entry.runtime_data.calls.active_calls == 2
    # One POST each: the hung one was not sent again.
    assert Counter(body["to"] for body in created_bodies(bandwidth_sandbox)) == {
        TO: 1,
        OTHER: 1,
    }
    assert entry.state is ConfigEntryState.LOADED
    await assert_recovers(hass, bandwidth_sandbox)


async def test_token_endpoint_hangs(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A token refresh that hangs counts against the same timeout; nothing is sent."""
    bandwidth_sandbox.revoke_tokens()
    bandwidth_sandbox.hang_next(path_contains="/oauth2/token")
    tokens = bandwidth_sandbox.token_requests
    error = await fail_while_stuck(
        hass,
        bandwidth_sandbox,
        lambda: any(r.path.endswith("/token") for r in bandwidth_sandbox.requests[1:]),
    )
    assert error.translation_key == "cannot_connect"
    # The create was refused (401) before the refresh hung; it did nothing.
    assert len(created_bodies(bandwidth_sandbox)) == 1
    assert bandwidth_sandbox.calls == {}
    assert bandwidth_sandbox.token_requests == tokens  # the hung one never finished
    await assert_recovers(hass, bandwidth_sandbox)


# --- Bandwidth drops the connection or fails ---------------------------------


async def test_connection_reset(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A dropped connection may have placed the call; the POST is not replayed."""
    bandwidth_sandbox.reset_next(path_contains="/calls", method="POST")
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "call_outcome_unknown"
    assert (info.value.translation_placeholders or {})["error"].startswith(
        "Lost the connection to Bandwidth"
    )
    assert len(created_bodies(bandwidth_sandbox)) == 1
    await assert_recovers(hass, bandwidth_sandbox)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_with_html(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    status: int,
) -> None:
    """5xx pages (HTML, not voiceApiError) are reported by status, never retried."""
    bandwidth_sandbox.fail_next(
        status, HTML, content_type="text/html", path_contains="/calls", method="POST"
    )
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "call_outcome_unknown"
    assert info.value.translation_placeholders == {
        "error": f"Bandwidth failed (HTTP {status}): HTTP {status}"
    }
    # The HTML is not shown to the user.
    assert "<html>" not in str(info.value)
    assert len(created_bodies(bandwidth_sandbox)) == 1
    assert entry.state is ConfigEntryState.LOADED
    await assert_recovers(hass, bandwidth_sandbox)


NOT_JSON = (
    "Bandwidth answered HTTP {status} with a body that is not JSON; "
    "the request may have been carried out"
)


@pytest.mark.parametrize("status", [200, 201])
@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            '{"callId": "c-1234", "accountId": "99',
            NOT_JSON,
        ),
        ("{", NOT_JSON),
        (
            '{"callId": "c-1234"}',
            "Bandwidth accepted the call but returned an unexpected body",
        ),
        ("", "Bandwidth accepted the call but returned an unexpected body"),
        ("[]", "Bandwidth accepted the call but returned an unexpected body"),
        ('"callId"', "Bandwidth accepted the call but returned an unexpected body"),
    ],
)
async def test_success_with_a_garbled_body(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    status: int,
    body: str,
    error: str,
) -> None:
    """A 2xx whose body is cut short or not a call: an error, and no second POST.

    Bandwidth may well have created the call, so sending it again could ring
    the phone twice.
    """
    bandwidth_sandbox.fail_next(
        status,
        body,
        content_type="application/json",
        path_contains="/calls",
        method="POST",
    )
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO, message="Hello")
    assert info.value.translation_key == "call_outcome_unknown"
    assert info.value.translation_placeholders == {"error": error.format(status=status)}
    assert len(created_bodies(bandwidth_sandbox)) == 1
    # The call may exist: its answer callback must find what to say.
    assert entry.runtime_data.calls.active_calls == 1
    await assert_recovers(hass, bandwidth_sandbox)


# --- Bandwidth says: slow down -------------------------------------------------


async def test_rate_limit_waits_and_places_once(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """429 with Retry-After: 20 is waited out, then the call is placed exactly once."""
    bandwidth_sandbox.fail_next(
        429,
        {"type": "error", "description": "Account call creation rate limit exceeded"},
        headers={"Retry-After": "20"},
        path_contains="/calls",
        method="POST",
    )
    client = entry.runtime_data.client
    refused = asyncio.Event()
    send = client._send

    async def send_and_tell(*args: Any, **kwargs: Any) -> Any:
        try:
            return await send(*args, **kwargs)
        except BandwidthRateLimitError:
            refused.set()  # the client goes straight on to wait
            raise

    monkeypatch.setattr(client, "_send", send_and_tell)
    task = hass.async_create_task(create_call(hass, to=TO))
    await bandwidth_sandbox.wait_for(refused.is_set)

    # It waits, and Home Assistant works meanwhile; nothing is sent yet.
    await assert_responsive(hass, task)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=10))
    await assert_responsive(hass, task)
    assert len(created_bodies(bandwidth_sandbox)) == 1

    # Once the 20 seconds have passed, the call is placed.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=20))
    response = await task
    assert "error" not in response["calls"][0]
    assert len(created_bodies(bandwidth_sandbox)) == 2  # the refused one and the call
    assert len(bandwidth_sandbox.calls) == 1


async def test_rate_limit_beyond_the_timeout(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A Retry-After longer than the time left is reported at once, not slept on.

    Slept on, the call would be placed on the next try (the 429 comes once).
    """
    entry.runtime_data.client.create_timeout = TIMEOUT
    bandwidth_sandbox.fail_next(
        429,
        {"type": "error", "description": "Slow down"},
        headers={"Retry-After": str(TIMEOUT * 2)},
        path_contains="/calls",
        method="POST",
    )
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "rate_limited"
    assert info.value.translation_placeholders == {"description": "Slow down"}
    assert len(created_bodies(bandwidth_sandbox)) == 1
    await assert_recovers(hass, bandwidth_sandbox)


async def test_rate_limit_that_does_not_end(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """429s are retried until the action's deadline, then reported."""
    entry.runtime_data.client.create_timeout = 1
    bandwidth_sandbox.fail_next(
        429,
        {"type": "error", "description": "Slow down"},
        headers={"Retry-After": "0"},
        path_contains="/calls",
        method="POST",
        times=None,
    )
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "rate_limited"
    assert len(created_bodies(bandwidth_sandbox)) > 2
    assert bandwidth_sandbox.calls == {}
    assert entry.runtime_data.calls.active_calls == 0
    bandwidth_sandbox.clear_faults()
    entry.runtime_data.client.create_timeout = 60
    await assert_recovers(hass, bandwidth_sandbox)


async def test_fan_out_beside_another_call_at_the_account_rate(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """20 destinations and 5 more at the same moment: all 25 are placed.

    Bandwidth allows 5 creations per second (the sandbox enforces it): the
    entry paces every creation it makes, whichever action asked for it.
    """
    assert bandwidth_sandbox.rate_limit == (5, 1.0)
    fan_out = [f"+1555123{index:04d}" for index in range(20)]
    others = [f"+1555987{index:04d}" for index in range(5)]
    first, second = await asyncio.gather(
        create_call(hass, to=fan_out, message="Alarm"),
        create_call(hass, to=others, message="Alarm"),
    )
    results = first["calls"] + second["calls"]
    assert [item["to"] for item in results] == fan_out + others
    assert all("error" not in item for item in results)
    assert len(bandwidth_sandbox.calls) == 25
    refused = len(created_bodies(bandwidth_sandbox)) - 25
    assert refused <= 2  # the odd 429 from timing jitter is waited out


# --- Bandwidth places the call but its answer is lost ----------------------


@pytest.mark.parametrize("how", ["hang", "reset", "garble"])
async def test_call_whose_answer_was_lost_still_plays(
    hass: HomeAssistant, live: Live, how: str
) -> None:
    """Bandwidth created the call and lost the answer: the callee still hears it.

    The action says the call may have been placed and does not place it again.
    """
    live.entry.runtime_data.client.request_timeout = TIMEOUT
    live.sandbox.lose_response_next(how, path_contains="/calls", method="POST")
    task = hass.async_create_task(
        create_call(hass, to=TO, message="The garage door is open.")
    )
    await live.sandbox.wait_for(lambda: bool(live.sandbox.calls))
    [call] = live.sandbox.calls.values()
    # Bandwidth plays the call; an answer that hangs runs out of time after.
    await live.sandbox.wait_for_call(call.call_id)
    run_out_the_time_limit(hass)
    with pytest.raises(HomeAssistantError) as info:
        await task
    assert info.value.translation_key == "call_outcome_unknown"
    finished = await live.finish(call.call_id)
    assert finished.spoken == ["The garage door is open."]
    assert len(created_bodies(live.sandbox)) == 1
    assert live.entry.runtime_data.calls.active_calls == 0


async def test_lost_answer_for_some_destinations(
    hass: HomeAssistant, live: Live
) -> None:
    """Per destination, a lost answer is reported as maybe placed."""
    live.sandbox.lose_response_next("garble", path_contains="/calls", method="POST")
    response = await create_call(hass, to=[TO, OTHER], message="Hello")
    items = {item["to"]: item for item in response["calls"]}
    lost = next(item for item in items.values() if "error" in item)
    placed = next(item for item in items.values() if "error" not in item)
    assert lost["may_have_been_placed"] is True
    assert "may_have_been_placed" not in placed
    for call in list(live.sandbox.calls.values()):
        assert (await live.finish(call.call_id)).spoken == ["Hello"]


# --- Bandwidth forgets the token -------------------------------------------


async def test_token_revoked_mid_run(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """401 on a revoked token: one refresh, the call is placed once."""
    await create_call(hass, to=OTHER)
    assert bandwidth_sandbox.token_requests == 1
    bandwidth_sandbox.revoke_tokens()

    response = await create_call(hass, to=TO)
    assert "error" not in response["calls"][0]
    assert bandwidth_sandbox.token_requests == 2
    # The refused POST created nothing; the retried one created the call.
    assert [body["to"] for body in created_bodies(bandwidth_sandbox)] == [OTHER, TO, TO]
    assert len(bandwidth_sandbox.calls) == 2
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_token_revoked_for_many_calls_at_once(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Calls refused together share one refresh."""
    bandwidth_sandbox.revoke_tokens()
    destinations = [f"+1555555{n:04d}" for n in range(5)]
    response = await create_call(hass, to=destinations)
    assert all("error" not in item for item in response["calls"])
    assert bandwidth_sandbox.token_requests == 2
    assert len(bandwidth_sandbox.calls) == 5


async def test_refused_again_after_refresh_starts_reauth(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """401 after a fresh token: no third try; the user is asked to re-authenticate."""
    bandwidth_sandbox.fail_next(
        401,
        {"type": "authentication-error", "description": "Invalid credentials"},
        path_contains="/calls",
        method="POST",
        times=2,
    )
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "invalid_auth"
    assert bandwidth_sandbox.token_requests == 2  # setup's, then one refresh
    assert len(created_bodies(bandwidth_sandbox)) == 2
    assert bandwidth_sandbox.calls == {}
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    # The entry stays loaded: when Bandwidth accepts again, calls just work.
    assert entry.state is ConfigEntryState.LOADED
    await assert_recovers(hass, bandwidth_sandbox)


async def test_token_endpoint_fails_mid_run(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A failing token endpoint is a connection problem, not bad credentials."""
    bandwidth_sandbox.revoke_tokens()
    bandwidth_sandbox.fail_next(
        503, HTML, content_type="text/html", path_contains="/token"
    )
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "cannot_connect"
    assert info.value.translation_placeholders == {
        "error": "Bandwidth failed (HTTP 503): HTTP 503"
    }
    assert bandwidth_sandbox.calls == {}
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await assert_recovers(hass, bandwidth_sandbox)


# --- Several destinations, several faults --------------------------------------


async def test_faults_on_some_destinations(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each destination gets its own outcome and is sent exactly once."""
    destinations = [f"+1555555{n:04d}" for n in range(4)]
    client = entry.runtime_data.client
    answered: list[bool] = []
    send = client._send

    async def send_and_count(*args: Any, **kwargs: Any) -> Any:
        try:
            return await send(*args, **kwargs)
        finally:
            answered.append(True)

    # Only the hanging create may still wait when its time limit runs out.
    monkeypatch.setattr(client, "_send", send_and_count)
    bandwidth_sandbox.reset_next(path_contains="/calls", method="POST")
    bandwidth_sandbox.fail_next(
        502, HTML, content_type="text/html", path_contains="/calls", method="POST"
    )
    bandwidth_sandbox.hang_next(path_contains="/calls", method="POST")
    task = hass.async_create_task(create_call(hass, to=destinations))
    await bandwidth_sandbox.wait_for(lambda: len(answered) == len(destinations) - 1)
    assert len(created_bodies(bandwidth_sandbox)) == len(destinations)
    run_out_the_time_limit(hass)
    outcomes = (await task)["calls"]
    assert [item["to"] for item in outcomes] == destinations
    assert sorted("error" in item for item in outcomes) == [False, True, True, True]
    assert len(bandwidth_sandbox.calls) == 1
    assert Counter(
        body["to"] for body in created_bodies(bandwidth_sandbox)
    ) == dict.fromkeys(destinations, 1)
    await assert_recovers(hass, bandwidth_sandbox)


# --- Bandwidth is down while the entry sets up ----------------------------------


def _hang_setup(bandwidth_sandbox: Sandbox) -> None:
    bandwidth_sandbox.hang_next(path_contains="/calls", method="GET")


def _reset_setup(bandwidth_sandbox: Sandbox) -> None:
    # aiohttp resends an idempotent request once on a dropped connection.
    bandwidth_sandbox.reset_next(path_contains="/calls", method="GET", times=2)


def _fail_setup(bandwidth_sandbox: Sandbox) -> None:
    bandwidth_sandbox.fail_next(
        503, HTML, content_type="text/html", path_contains="/calls", method="GET"
    )


def _fail_token(bandwidth_sandbox: Sandbox) -> None:
    bandwidth_sandbox.fail_next(
        502, HTML, content_type="text/html", path_contains="/token"
    )


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (_hang_setup, "Timed out talking to Bandwidth"),
        (_reset_setup, "Could not reach Bandwidth"),
        (_fail_setup, "HTTP 503"),
        (_fail_token, "HTTP 502"),
    ],
    ids=["hang", "reset", "503", "token-502"],
)
@pytest.mark.usefixtures("external_url")
async def test_setup_retries_until_bandwidth_is_back(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    fault: Callable[[Sandbox], None],
    reason: str,
) -> None:
    """Setup waits for Bandwidth in SETUP_RETRY and loads on the next try by itself."""
    monkeypatch.setattr(
        helpers,
        "BandwidthClient",
        functools.partial(BandwidthClient, request_timeout=TIMEOUT),
    )
    fault(bandwidth_sandbox)
    mock_config_entry.add_to_hass(hass)
    setup = hass.async_create_task(
        hass.config_entries.async_setup(mock_config_entry.entry_id)
    )
    if fault is _hang_setup:
        # Setup waits on Bandwidth, and Home Assistant works meanwhile.
        await bandwidth_sandbox.wait_for(
            lambda: any(r.method == "GET" for r in bandwidth_sandbox.requests)
        )
        await assert_responsive(hass, setup)
        run_out_the_time_limit(hass)
    await setup
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert reason in (mock_config_entry.reason or "")
    # Meanwhile the action says why it cannot call.
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, to=TO)
    assert info.value.translation_key == "not_loaded"

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1))
    # The retry runs as a background task.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    response = await create_call(hass, to=TO)
    assert "error" not in response["calls"][0]


async def test_reload_while_a_call_hangs(
    hass: HomeAssistant, entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Reloading the entry does not wait for a stuck request; both finish cleanly."""
    bandwidth_sandbox.hang_next(path_contains="/calls", method="POST")
    task = hass.async_create_task(create_call(hass, to=TO))
    await bandwidth_sandbox.wait_for(
        lambda: len(created_bodies(bandwidth_sandbox)) == 1
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert not task.done()
    run_out_the_time_limit(hass)
    with pytest.raises(HomeAssistantError):
        await task
    await assert_recovers(hass, bandwidth_sandbox)
