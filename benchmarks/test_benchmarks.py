"""Benchmarks, each against a baseline measured in the same Home Assistant instance.

Run with `benchmarks/run`. The figures are printed as a table at the end.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from homeassistant.components import twilio, webhook
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.helpers import storage
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bandwidth.api.pacing import WINDOW
from custom_components.bandwidth.bxml import GOODBYE
from custom_components.bandwidth.call_store import SAVE_DELAY, STORAGE_KEY
from custom_components.bandwidth.calls import (
    CallScript,
    GatherScript,
    LiveCall,
    Media,
    Speech,
)
from custom_components.bandwidth.const import (
    CONF_FROM,
    CONF_MAX_CALLS_PER_HOUR,
    CONF_VOICE,
    DOMAIN,
)
from custom_components.bandwidth.helpers import async_create_client
from custom_components.bandwidth.inbound import ROUND
from custom_components.bandwidth.media import async_prepare_media
from custom_components.bandwidth.option_rules import MAX_CALLS_PER_HOUR
from sandbox import Call, Sandbox, Scenario
from tests.helpers import (
    CLOUDHOOK_URL,
    EXTERNAL_URL,
    FROM_NUMBER,
    WEBHOOK_ID,
    ClientFactory,
    CloudRelay,
    Live,
    callback,
    entry_data,
    query,
)
from tests.voices import TTS_ENTITY_ID, FakeVoice

from .load_client import LoadClient
from .report import (
    Rounds,
    Row,
    blocks,
    median,
    ms,
    percentile,
    record,
    round_ratio,
)
from .stub import CALL_ID as STUB_CALL_ID
from .stub import CALLS_PATH as STUB_CALLS_PATH
from .stub import StubApi

PATH = f"/api/webhook/{WEBHOOK_ID}"
TWILIO_ID = "twilio-benchmark-webhook"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
TO = "+15555551234"
ROOT = Path(__file__).parents[1]
# Ratio goals (the quick pass allows report.QUICK_HEADROOM over each). An
# answer callback does more than Twilio's webhook: it checks the call's secret
# (in the query string, which Home Assistant's HTTP filters scan), finds the
# call, answers with its BXML, and writes the event entity's state, after the
# reply but on the same loop, which alone costs about a quarter of Twilio's
# whole request.
WEBHOOK_P50 = 1.7
# One callback at a time, as Bandwidth sends a call's: the reply goes before
# the entity's state is written, so Bandwidth waits for none of it. Callbacks
# in parallel share the loop with the writes of the others, which count there.
WEBHOOK_P50_ONE = 1.3
WEBHOOK_P99 = 2.0
# The action's own work on top of the least any action placing a call does
# (Home Assistant's service call, the POST, reading its answer): validation,
# the call's state and documents, pacing, the time limit.
CREATE_CALL_P50 = 1.7
# Answering a call spoken by a Home Assistant voice vs by Bandwidth's.
TTS_ANSWER_P50 = 1.1
FAN_OUT = 1.3


async def unthrottle(
    hass: HomeAssistant, entry: MockConfigEntry, calls_per_second: int
) -> None:
    """Pace the entry's calls at `calls_per_second`, and allow it the most an hour.

    Its calls are counted as any are, without reaching the maximum. The
    options apply first: applying them sets the pace from the options.
    """
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_MAX_CALLS_PER_HOUR: MAX_CALLS_PER_HOUR}
    )
    await hass.async_block_till_done()
    entry.runtime_data.client.calls_per_second = calls_per_second


def _url_of(client: TestClient[Any, Any], path: str, call: LiveCall | None) -> str:
    """Return the test server's URL of a path, with a call's reference and secret."""
    return str(client.make_url(path).with_query(query(call)))


def _twilio_form(number: int) -> str:
    """Return a call status callback as Twilio posts it (form-encoded)."""
    return urlencode(
        {
            "AccountSid": "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
            "CallSid": f"CA{number:032d}",
            "CallStatus": "in-progress",
            "Called": TO,
            "CalledCountry": "US",
            "Caller": "+15555550100",
            "CallerCountry": "US",
            "Direction": "outbound-api",
            "From": "+15555550100",
            "FromCountry": "US",
            "To": TO,
            "ToCountry": "US",
            "Timestamp": "Fri, 27 Nov 2026 10:00:05 +0000",
        }
    )


async def _interleaved(
    load_client: LoadClient,
    jobs: dict[str, list[tuple[str, str, str]]],
    *,
    rounds: int,
    total: int,
    concurrency: int,
) -> dict[str, tuple[list[list[float]], float]]:
    """Measure each side's jobs in alternating rounds, after a warm-up of each.

    Alternating lets drift (another process, a frequency change) weigh on both
    sides alike. Returns each side's latencies, round by round, and its total
    duration.
    """
    results: dict[str, tuple[list[list[float]], float]] = {
        name: ([], 0.0) for name in jobs
    }
    for requests in jobs.values():
        await load_client.run(requests, total=total, concurrency=concurrency)
    # The test process holds far more long-lived objects than a Home Assistant
    # instance (pytest, Hypothesis, Bandwidth's SDK): kept out of the garbage
    # collector's full passes, whose pauses would otherwise decide the p99.
    gc.collect()
    gc.freeze()
    try:
        for number in range(rounds):
            for name in list(jobs) if number % 2 == 0 else list(reversed(jobs)):
                samples, duration = await load_client.run(
                    jobs[name], total=total, concurrency=concurrency
                )
                latencies, durations = results[name]
                results[name] = ([*latencies, samples], durations + duration)
    finally:
        gc.unfreeze()
    return results


def _pooled(rounds: list[list[float]]) -> list[float]:
    """Return every round's samples together."""
    return [sample for samples in rounds for sample in samples]


# --- 1. The webhook answer path --------------------------------------------------


@pytest.mark.quick
@pytest.mark.parametrize("concurrency", [1, 10, 50])
async def test_webhook_answer_path(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    load_client: LoadClient,
    rounds: Rounds,
    concurrency: int,
) -> None:
    """Authenticated answer callbacks vs Home Assistant's own Twilio webhook.

    Twilio's handler is a peer doing the least such a webhook does: it parses
    the body (a form) and fires an event. Ours also checks the call's secret,
    finds the call, fires its event and answers with the call's BXML.
    """
    webhook.async_register(
        hass, "twilio", "Twilio", TWILIO_ID, twilio.handle_webhook, local_only=False
    )
    calls = init_integration.runtime_data.calls
    client = await hass_client_no_auth()
    jobs: dict[str, list[tuple[str, str, str]]] = {"ours": [], "twilio": []}
    for number in range(concurrency):
        call = LiveCall.create(
            f"{EXTERNAL_URL}{PATH}",
            CallScript(
                message="The garage door is open.",
                voice="susan",
                gather=GatherScript(prompt="Press 1 to close it.", max_digits=1),
            ),
        )
        call.call_id = f"c-bench-{number:04d}"
        calls.add(call)
        body = json.dumps(callback("answer", call.call_id))
        jobs["ours"].append((_url_of(client, PATH, call), body, JSON))
        twilio_url = _url_of(client, f"/api/webhook/{TWILIO_ID}", None)
        jobs["twilio"].append((twilio_url, _twilio_form(number), FORM))
    results = await _interleaved(
        load_client,
        jobs,
        rounds=rounds.webhook_rounds,
        total=rounds.webhook_total,
        concurrency=concurrency,
    )
    await hass.async_block_till_done()

    (our_rounds, duration) = results["ours"]
    (twilio_rounds, twilio_duration) = results["twilio"]
    ours, twilio_ = _pooled(our_rounds), _pooled(twilio_rounds)
    p50, p99 = percentile(ours, 0.5), percentile(ours, 0.99)
    base_p50, base_p99 = percentile(twilio_, 0.5), percentile(twilio_, 0.99)
    ratio = round_ratio(our_rounds, twilio_rounds)
    goal = WEBHOOK_P50_ONE if concurrency == 1 else WEBHOOK_P50
    counted = f"{len(ours):,} answer callbacks, {concurrency} concurrent"
    record(
        Row(
            f"Webhook answer, p50 ({counted}; ratio: median of the rounds')",
            ms(p50),
            ms(base_p50) + " (Home Assistant's Twilio webhook)",
            f"{ratio:.2f}x",
            rounds.target(goal),
            ratio <= rounds.bound(goal),
        )
    )
    record(
        Row(
            f"Webhook answer, p99 ({concurrency} concurrent)",
            ms(p99),
            ms(base_p99),
            f"{p99 / base_p99:.2f}x",
            f"<= {WEBHOOK_P99}x" + (" (full run)" if rounds.quick else ""),
            None if rounds.quick else p99 / base_p99 <= WEBHOOK_P99,
        )
    )
    rate, base_rate = len(ours) / duration, len(twilio_) / twilio_duration
    record(
        Row(
            f"Webhook answer, callbacks per second ({concurrency} concurrent)",
            f"{rate:.0f}/s",
            f"{base_rate:.0f}/s",
            f"{rate / base_rate:.2f}x",
            "-",
            None,
        )
    )


# --- 1b. Answering in a Home Assistant voice ---------------------------------------


@pytest.mark.quick
async def test_answer_in_a_home_assistant_voice(
    hass: HomeAssistant,
    voice: FakeVoice,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    load_client: LoadClient,
    rounds: Rounds,
) -> None:
    """Answer callbacks of calls spoken by a TTS entity vs by Bandwidth.

    The speech is rendered when the call is placed: answering only names its
    URLs. 50 at a time, interleaved.
    """
    speech = Speech(engine=TTS_ENTITY_ID)
    gather = GatherScript(prompt="Press 1 to close it.", max_digits=1)
    texts = ["The garage door is open.", "Press 1 to close it.", GOODBYE]
    prepared = await async_prepare_media(
        hass, texts=texts, audio_url=None, speech=speech
    )
    assert len(voice.renders) == len(texts)
    calls = init_integration.runtime_data.calls
    client = await hass_client_no_auth()
    jobs: dict[str, list[tuple[str, str, str]]] = {"tts": [], "bandwidth": []}
    for number in range(100):
        name = "tts" if number % 2 else "bandwidth"
        call = LiveCall.create(
            f"{EXTERNAL_URL}{PATH}",
            CallScript(
                message=texts[0],
                voice="susan",
                gather=gather,
                media=prepared.for_call() if name == "tts" else Media(),
            ),
        )
        call.call_id = f"c-voice-{number:04d}"
        calls.add(call)
        body = json.dumps(callback("answer", call.call_id))
        jobs[name].append((_url_of(client, PATH, call), body, JSON))
    results = await _interleaved(
        load_client,
        jobs,
        rounds=rounds.webhook_rounds,
        total=rounds.webhook_total,
        concurrency=50,
    )
    await hass.async_block_till_done()
    assert len(voice.renders) == len(texts)  # nothing rendered while answering
    tts_rounds, bandwidth_rounds = results["tts"][0], results["bandwidth"][0]
    ours = percentile(_pooled(tts_rounds), 0.5)
    base = percentile(_pooled(bandwidth_rounds), 0.5)
    ratio = round_ratio(tts_rounds, bandwidth_rounds)
    record(
        Row(
            "Answer callback, p50, call spoken by a Home Assistant TTS entity "
            f"({len(_pooled(tts_rounds)):,} answers, 50 concurrent)",
            ms(ours),
            ms(base) + " (the same call spoken by Bandwidth)",
            f"{ratio:.2f}x",
            rounds.target(TTS_ANSWER_P50),
            ratio <= rounds.bound(TTS_ANSWER_P50),
        )
    )


# --- 2. Placing a call ----------------------------------------------------------


MINIMAL_DOMAIN = "benchmark"


@pytest.mark.quick
@pytest.mark.usefixtures("external_url")
async def test_create_call_latency(
    hass: HomeAssistant, stub_api: StubApi, rounds: Rounds
) -> None:
    """bandwidth.create_call for one number vs the least an action placing a call does.

    The baseline is a minimal Home Assistant action returning a response, as
    `create_call` does: it POSTs the same body with the same session and token
    and reads the answer. Both go through Home Assistant's service call and
    talk to the same minimal server (benchmarks/stub.py): the difference is
    the action's own work. A bare POST, with no action around it, is shown
    for scale.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Bandwidth stub",
        data=entry_data(stub_api.url),
        # Counted as any call is, without reaching the maximum.
        options={
            CONF_FROM: FROM_NUMBER,
            CONF_VOICE: "susan",
            CONF_MAX_CALLS_PER_HOUR: MAX_CALLS_PER_HOUR,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = entry.runtime_data.client
    client.calls_per_second = 10**6  # latency, not the account's limit
    calls = entry.runtime_data.calls
    session = async_get_clientsession(hass)
    data = {"to": TO, "message": "The garage door is open."}

    async def create_call() -> None:
        response = await hass.services.async_call(
            DOMAIN, "create_call", data, blocking=True, return_response=True
        )
        assert isinstance(response, dict)
        assert response["calls"][0]["call_id"] == STUB_CALL_ID

    await create_call()
    url = stub_api.url + STUB_CALLS_PATH
    body = stub_api.last_json()
    assert body["to"] == TO
    headers = {"Authorization": f"Bearer {client._token}", "Accept": "application/json"}  # noqa: SLF001

    async def bare_post() -> dict[str, Any]:
        async with session.post(url, json=body, headers=headers) as response:
            assert response.status == 201
            created: dict[str, Any] = await response.json()
            return created

    async def place(_call: ServiceCall) -> ServiceResponse:
        created = await bare_post()
        return {"calls": [{"to": TO, "call_id": created["callId"]}]}

    hass.services.async_register(
        MINIMAL_DOMAIN, "place", place, supports_response=SupportsResponse.ONLY
    )

    async def minimal_action() -> None:
        response = await hass.services.async_call(
            MINIMAL_DOMAIN, "place", data, blocking=True, return_response=True
        )
        assert isinstance(response, dict)
        assert response["calls"][0]["call_id"] == STUB_CALL_ID

    def end_call() -> None:
        # The call ends (untimed), as calls do: live calls stay few.
        live = calls.by_call_id(STUB_CALL_ID)
        assert live is not None
        calls.remove(live)

    samples: dict[str, list[float]] = {"ours": [], "minimal": [], "bare": []}
    operations = {"ours": create_call, "minimal": minimal_action, "bare": bare_post}
    for _ in range(50):  # warm up
        end_call()
        for operation in operations.values():
            await operation()
    end_call()
    for number in range(rounds.create_call):
        order = list(operations) if number % 2 else list(reversed(operations))
        for name in order:
            started = time.perf_counter()
            await operations[name]()
            samples[name].append(time.perf_counter() - started)
        end_call()
    await hass.async_block_till_done()
    p50, base_p50 = (
        percentile(samples["ours"], 0.5),
        percentile(samples["minimal"], 0.5),
    )
    ratio = round_ratio(blocks(samples["ours"]), blocks(samples["minimal"]))
    bare_p50 = percentile(samples["bare"], 0.5)
    record(
        Row(
            f"`create_call`, one number, p50 ({len(samples['ours'])} calls; "
            "ratio: median of blocks of 50)",
            ms(p50),
            ms(base_p50)
            + " (a minimal action POSTing the same body to the same stub server; "
            + f"a bare POST takes {ms(bare_p50)})",
            f"{ratio:.2f}x",
            rounds.target(CREATE_CALL_P50),
            ratio <= rounds.bound(CREATE_CALL_P50),
        )
    )


# --- 3. Fan-out -------------------------------------------------------------------


@pytest.mark.quick
async def test_fan_out(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    rounds: Rounds,
) -> None:
    """20 numbers with 100 ms per request take about as long as one.

    On an account whose limit allows it (calls_per_second 100): the figure is
    what concurrency costs, not what the account allows.
    """
    bandwidth_sandbox.max_active_calls = 10**9
    bandwidth_sandbox.rate_limit = (100, 1.0)
    bandwidth_sandbox.delay = 0.1
    await unthrottle(hass, init_integration, 100)
    client = init_integration.runtime_data.client
    destinations = [f"+1555555{number:04d}" for number in range(20)]

    async def timed(to: list[str], *, expired: bool) -> tuple[float, int]:
        if expired:  # the cached token has run out: the first request fetches one
            client._token_expires = 0.0  # noqa: SLF001
        tokens = bandwidth_sandbox.token_requests
        started = time.perf_counter()
        response = await hass.services.async_call(
            DOMAIN, "create_call", {"to": to}, blocking=True, return_response=True
        )
        elapsed = time.perf_counter() - started
        assert isinstance(response, dict)
        assert all("error" not in item for item in response["calls"])
        return elapsed, bandwidth_sandbox.token_requests - tokens

    for expired in (True, False):
        one, many, token_counts = [], [], []
        for _ in range(3):
            one.append((await timed(destinations[:1], expired=expired))[0])
            await asyncio.sleep(WINDOW)  # a fresh second for the next fan-out
            elapsed, tokens = await timed(destinations, expired=expired)
            await asyncio.sleep(WINDOW)
            many.append(elapsed)
            token_counts.append(tokens)
        ratio = median(many) / median(one)
        label = "token expired" if expired else "token cached"
        tokens = max(token_counts)
        record(
            Row(
                f"Fan-out to 20 numbers, 100 ms per request, {label}",
                f"{ms(median(many))}, {tokens} token request{'' if tokens == 1 else 's'}",
                ms(median(one)) + " (one number)",
                f"{ratio:.2f}x",
                rounds.target(FAN_OUT) + (", 1 token request" if expired else ""),
                ratio <= rounds.bound(FAN_OUT)
                and (not expired or set(token_counts) == {1}),
            )
        )


@pytest.mark.usefixtures("init_integration")
async def test_fan_out_at_the_default_rate(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """20 + 5 numbers at once on Bandwidth's default 5/s: all placed, none refused.

    The baseline is the least time 25 creations take at that rate when each
    waits out its window: 4 full windows, then the last request's latency.
    """
    bandwidth_sandbox.max_active_calls = 10**9
    bandwidth_sandbox.delay = 0.05
    assert bandwidth_sandbox.rate_limit == (5, 1.0)
    fan_out = [f"+1555123{index:04d}" for index in range(20)]
    others = [f"+1555987{index:04d}" for index in range(5)]
    started = time.perf_counter()
    first, second = await asyncio.gather(
        *(
            hass.services.async_call(
                DOMAIN,
                "create_call",
                {"to": to, "message": "Alarm"},
                blocking=True,
                return_response=True,
            )
            for to in (fan_out, others)
        )
    )
    elapsed = time.perf_counter() - started
    assert isinstance(first, dict)
    assert isinstance(second, dict)
    items = first["calls"] + second["calls"]
    placed = sum("error" not in item for item in items)
    refused = sum(
        1
        for request in bandwidth_sandbox.requests
        if request.method == "POST" and request.path.endswith("/calls")
    ) - len(bandwidth_sandbox.calls)
    least = 4 * WINDOW + bandwidth_sandbox.delay
    record(
        Row(
            "25 numbers at once (20 + 5) at Bandwidth's default 5 creations/s",
            f"{ms(elapsed)}, {placed} of 25 placed, {refused} refused (429)",
            ms(least) + " (4 rate windows, then one request)",
            f"{elapsed / least:.2f}x",
            "all placed, <= 1.1x",
            placed == 25 and elapsed / least <= 1.1,
        )
    )


# --- 3b. HTTP exchanges per callback ------------------------------------------------


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("path", ["external URL", "Home Assistant Cloud"])
async def test_exchanges_per_callback(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    hass_client_no_auth: ClientFactory,
    path: str,
) -> None:
    """Each callback is one HTTP exchange, on both ways to reach Home Assistant."""
    bandwidth_sandbox.lifecycle = True
    bandwidth_sandbox.max_active_calls = 10**9
    if path == "external URL":
        client = await hass_client_no_auth()
        bandwidth_sandbox.url_rewrites = {
            EXTERNAL_URL: str(client.make_url("")).rstrip("/")
        }
    else:
        cloudhook = f"{EXTERNAL_URL}{PATH}"  # relayed to the same webhook
        relay = CloudRelay(hass, WEBHOOK_ID)

        async def transport(
            method: str, url: str, headers: dict[str, str], body: bytes | None
        ) -> Any:
            return await relay(
                method, url.replace(cloudhook, CLOUDHOOK_URL), headers, body
            )

        bandwidth_sandbox.callback_transport = transport
    response = await hass.services.async_call(
        DOMAIN,
        "create_call",
        {
            "to": [f"+1555444{number:04d}" for number in range(10)],
            "message": "The garage door is open.",
            "machine_message": "Please check the garage.",
            "gather": {"prompt": "Press 1 to close it.", "max_digits": 1},
        },
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    await bandwidth_sandbox.wait_idle(timeout=30)
    await hass.async_block_till_done()
    attempts = len(bandwidth_sandbox.callback_attempts)
    delivered = bandwidth_sandbox.callback_deliveries
    ok = all(attempt.ok for attempt in bandwidth_sandbox.callback_attempts)
    record(
        Row(
            f"HTTP exchanges per callback, {path} (10 calls: answer, detection, "
            "hold, gather, disconnect)",
            f"{attempts / delivered:.2f} ({attempts} for {delivered} callbacks)",
            "2.00 with a Basic challenge per callback",
            f"{attempts / delivered:.2f}x",
            "1, every callback answered",
            attempts == delivered and ok,
        )
    )


# --- 3c. Steering a live call -------------------------------------------------------


STEP_ID = "step-benchmark-webhook"
LONG_MESSAGE = " ".join(["The quick brown fox jumps over the lazy dog."] * 12)
STEP_BXML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b"<Response><SpeakSentence>Stop.</SpeakSentence><Hangup/></Response>"
)


async def test_update_call_heard(
    hass: HomeAssistant, live: Live, hass_client_no_auth: ClientFactory
) -> None:
    """Time from `update_call` to the callee hearing the step, in real time.

    A call in the middle of a long message is interrupted; a call waiting after
    its digits takes the step at its next round. The baseline is the least
    any client pays to cut in: a bare Update Call POST whose redirect URL is a
    webhook returning the step's BXML, on a call playing the same message.
    """

    async def step(_hass: HomeAssistant, _id: str, _request: Any) -> web.Response:
        return web.Response(body=STEP_BXML, content_type="application/xml")

    webhook.async_register(hass, "benchmark", "Step", STEP_ID, step, local_only=False)
    await hass_client_no_auth()
    box = live.sandbox
    box.time_scale = 1  # real time: the figures are about what a callee hears
    box.max_active_calls = 10**9
    box.rate_limit = None
    client = live.entry.runtime_data.client
    session = async_get_clientsession(hass)

    async def playing(number: int) -> Call:
        to = f"+1555666{number:04d}"
        box.scenarios[to] = Scenario(ring_seconds=0)
        [call_id] = await live.create_call(to, message=LONG_MESSAGE)
        call = box.calls[call_id]
        await box.wait_for(lambda: bool(call.heard))
        return call

    async def heard(call: Call, started: float) -> float:
        await box.wait_for(lambda: call.spoken[-1:] == ["Stop."])
        return call.heard[-1][0] - started

    async def ours(call: Call) -> float:
        started = time.monotonic()
        await hass.services.async_call(
            DOMAIN,
            "update_call",
            {"call_id": call.call_id, "message": "Stop.", "hangup": True},
            blocking=True,
        )
        return await heard(call, started)

    async def bare(call: Call) -> float:
        headers = {"Authorization": f"Bearer {client._token}"}  # noqa: SLF001
        body = {"redirectUrl": f"{EXTERNAL_URL}/api/webhook/{STEP_ID}"}
        started = time.monotonic()
        async with session.post(call.call_url, json=body, headers=headers) as response:
            assert response.status == 200, await response.text()
        return await heard(call, started)

    samples: dict[str, list[float]] = {"ours": [], "bare": []}
    for number in range(10):  # interleaved, so drift affects both alike
        pairs = (("ours", ours), ("bare", bare))
        for name, operation in pairs if number % 2 else reversed(pairs):
            call = await playing(len(box.calls))
            samples[name].append(await operation(call))
            await box.wait_for_call(call.call_id)
    await hass.async_block_till_done()

    waiting: list[float] = []
    for number in range(5):
        to = f"+1555777{number:04d}"
        box.scenarios[to] = Scenario(ring_seconds=0, digits="1")
        [call_id] = await live.create_call(
            to, gather={"prompt": "Press 1.", "max_digits": 1}
        )
        call = box.calls[call_id]
        await box.wait_for(lambda call=call: bool(call.gathered))
        await asyncio.sleep(0.3 * number)  # anywhere in the waiting round
        waiting.append(await ours(call))
        await box.wait_for_call(call_id)
    await hass.async_block_till_done()

    interrupt, base = median(samples["ours"]), median(samples["bare"])
    record(
        Row(
            "`update_call` to the step heard, call playing a long message "
            "(median of 5, real time)",
            ms(interrupt),
            ms(base) + " (a bare Update Call redirected to a fixed BXML webhook)",
            f"{interrupt / base:.2f}x",
            "<= 1.5 s",
            max(samples["ours"]) <= 1.5,
        )
    )
    worst = max(waiting)
    record(
        Row(
            "`update_call` to the step heard, call waiting after its digits "
            "(worst of 5, real time)",
            ms(worst),
            ms(ROUND) + " (one waiting round: the step is taken at the next)",
            f"{worst / ROUND:.2f}x",
            "<= 1.5 s",
            worst <= 1.5,
        )
    )


# --- 4. Memory -----------------------------------------------------------------------


IGNORED = [
    tracemalloc.Filter(inclusive=False, filename_pattern=tracemalloc.__file__),
    tracemalloc.Filter(inclusive=False, filename_pattern="<unknown>"),
    tracemalloc.Filter(inclusive=False, filename_pattern=__file__),
]


def _grown(
    before: tracemalloc.Snapshot, after: tracemalloc.Snapshot
) -> tuple[int, int, list[tracemalloc.StatisticDiff]]:
    """Return bytes grown in all and in the integration, and the largest sites."""
    differences = after.filter_traces(IGNORED).compare_to(
        before.filter_traces(IGNORED), "lineno"
    )
    ours = [
        stat
        for stat in differences
        if "custom_components/bandwidth" in stat.traceback[0].filename
    ]
    return (
        sum(stat.size_diff for stat in differences),
        sum(stat.size_diff for stat in ours),
        [stat for stat in differences[:3] + ours[:3] if stat.size_diff],
    )


async def test_memory_after_lifecycles(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    hass_client_no_auth: ClientFactory,
    hass_storage: dict[str, Any],
) -> None:
    """10,000 calls placed, answered, detected and ended leave nothing behind."""
    bandwidth_sandbox.max_active_calls = 10**9
    bandwidth_sandbox.rate_limit = None
    await unthrottle(hass, init_integration, 10**6)
    calls = init_integration.runtime_data.calls
    client = await hass_client_no_auth()
    data = {
        "to": TO,
        "message": "The garage door is open.",
        "machine_message": "Please check the garage.",
    }

    async def post(body: dict[str, Any]) -> None:
        # The session itself: the test client keeps every response it returns.
        call = calls.by_call_id(body["callId"])
        async with client.session.post(
            _url_of(client, PATH, call),
            data=json.dumps(body),
            headers={"Content-Type": JSON},
        ) as response:
            await response.read()
            assert response.status in (200, 204), response.status

    async def lifecycle() -> None:
        response = await hass.services.async_call(
            DOMAIN, "create_call", data, blocking=True, return_response=True
        )
        assert isinstance(response, dict)
        call_id = response["calls"][0]["call_id"]
        detection = {"value": "answering-machine", "duration": "PT4.2S"}
        await post(callback("answer", call_id))  # held while detection runs
        await post(
            callback(
                "machineDetectionComplete", call_id, machineDetectionResult=detection
            )
        )
        await post(callback("redirect", call_id))  # plays the voicemail message
        await post(
            callback(
                "disconnect",
                call_id,
                endTime="2026-11-27T10:00:35.000Z",
                cause="hangup",
            )
        )

    async def run(count: int) -> None:
        for _ in range(count // 50):
            await asyncio.gather(*(lifecycle() for _ in range(50)))
            # The sandbox is a test double: its records are not ours to count.
            bandwidth_sandbox.requests.clear()
            bandwidth_sandbox.calls.clear()

    async def settle() -> None:
        # Let the call store write what is pending, then collect.
        await asyncio.sleep(SAVE_DELAY + 0.2)
        await hass.async_block_till_done()
        # The test harness mocks storage writes, and the mock keeps every
        # call's arguments: every version of the data ever written.
        storage.Store._async_write_data.reset_mock()  # type: ignore[attr-defined]  # noqa: SLF001
        gc.collect()

    def state_size() -> int:
        return len(calls._calls) + len(calls._by_call_id)  # noqa: SLF001

    # Traced from before the warm-up: what fills a bounded table then (the
    # last 500 calls' outcomes) and is replaced later is no growth.
    tracemalloc.start()
    await run(1000)  # warm up connections, pools and caches
    await settle()
    state_before = state_size()
    snapshots = [tracemalloc.take_snapshot()]
    started = time.perf_counter()
    for _ in range(2):  # 10,000 in two halves: a leak grows in both
        await run(5000)
        await settle()
        snapshots.append(tracemalloc.take_snapshot())
    duration = time.perf_counter() - started
    tracemalloc.stop()
    state_after = state_size()
    stored = hass_storage[STORAGE_KEY.format(init_integration.entry_id)]["data"]

    total, ours, details = _grown(snapshots[0], snapshots[2])
    second_total, second_ours, _ = _grown(snapshots[1], snapshots[2])
    print("\nTraced memory after the 10,000 lifecycles, largest differences:")
    for stat in details:
        print(f"  {stat}")
    record(
        Row(
            "Memory after 10,000 call lifecycles (create, answer, detection, "
            "redirect, disconnect; 50 at a time)",
            f"{total:+,} B in all, {ours:+,} B allocated by the integration; "
            f"over the second 5,000: {second_total:+,} B, {second_ours:+,} B",
            "traced memory before them",
            f"{second_total / 5000:+.1f} B per call",
            "back to baseline",
            abs(second_ours) < 1024 and second_total / 5000 < 16 and ours < 32 * 1024,
        )
    )
    record(
        Row(
            "Per-call state after the 10,000 (CallStore entries)",
            f"{state_after} in memory, {len(stored['calls'])} stored "
            f"({10_000 / duration:.0f} lifecycles/s under tracemalloc)",
            f"{state_before}",
            "-",
            "back to baseline",
            state_after == state_before == 0 and stored["calls"] == [],
        )
    )


# --- 5. Start-up -------------------------------------------------------------------

IMPORT_SCRIPT = """
import importlib, json, sys, time
# What Home Assistant has imported before it loads an integration like these.
for name in (
    "homeassistant.core", "homeassistant.config_entries",
    "homeassistant.helpers.config_validation", "homeassistant.helpers.storage",
    "homeassistant.helpers.aiohttp_client", "homeassistant.helpers.dispatcher",
    "homeassistant.helpers.config_entry_flow", "homeassistant.helpers.network",
    "homeassistant.helpers.issue_registry", "homeassistant.components.webhook",
    "aiohttp", "voluptuous", "yarl",
):
    importlib.import_module(name)
started = time.perf_counter()
importlib.import_module(sys.argv[1])
print(json.dumps(time.perf_counter() - started))
"""


def _import_time(module: str) -> float:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", IMPORT_SCRIPT, module],
        capture_output=True,
        check=True,
        cwd=ROOT,
        text=True,
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1]))


def test_import_time() -> None:
    """Importing the integration vs Home Assistant's own Mailgun webhook integration."""
    ours, baseline = [], []
    for _ in range(5):
        ours.append(_import_time("custom_components.bandwidth"))
        baseline.append(_import_time("homeassistant.components.mailgun"))
    record(
        Row(
            "Import of `custom_components.bandwidth` (median of 5 fresh interpreters)",
            ms(median(ours)),
            ms(median(baseline)) + " (`homeassistant.components.mailgun`)",
            f"{median(ours) / median(baseline):.1f}x",
            "-",
            None,
        )
    )


@pytest.mark.quick
@pytest.mark.usefixtures("external_url")
async def test_setup_entry_time(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
) -> None:
    """async_setup_entry waits on nothing but the credential check."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    async def setup_once() -> tuple[float, int]:
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        requests = len(bandwidth_sandbox.requests)
        started = time.perf_counter()
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        elapsed = time.perf_counter() - started
        await hass.async_block_till_done()
        return elapsed, len(bandwidth_sandbox.requests) - requests

    async def verify_once() -> float:
        client = async_create_client(hass, mock_config_entry.data)
        started = time.perf_counter()
        await client.verify()  # a token, then one small read: what setup checks
        return time.perf_counter() - started

    for delay, label in ((0.0, "loopback"), (0.1, "100 ms per request")):
        bandwidth_sandbox.delay = delay
        setups, checks, requests = [], [], set()
        for _ in range(7):
            elapsed, sent = await setup_once()
            setups.append(elapsed)
            requests.add(sent)
            checks.append(await verify_once())
        ratio = median(setups) / median(checks)
        record(
            Row(
                f"`async_setup_entry`, {label} (median of 7)",
                f"{ms(median(setups))}, {'/'.join(map(str, sorted(requests)))} requests",
                ms(median(checks)) + " (the credential check alone)",
                f"{ratio:.2f}x",
                "no other network wait" if delay else "-",
                (ratio <= 1.1 and requests == {2}) if delay else None,
            )
        )
