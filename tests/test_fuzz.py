"""Hostile input: property-based tests of the action schema, the webhook and BXML.

Hypothesis drives a synchronous check in a worker thread; each check sends
its coroutine to Home Assistant's loop and waits for it, so the examples run
against the real action, the real HTTP server and the loopback sandbox.
"""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

import sandbox
from custom_components.bandwidth import webhook as webhook_module
from custom_components.bandwidth.calls import CallScript, GatherScript
from custom_components.bandwidth.const import (
    CALLER_ID_KEYWORDS,
    DOMAIN,
    EVENT_CALL_ANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALLBACK,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
    VOICES,
)
from custom_components.bandwidth.services import LIMITS, MAX_DESTINATIONS
from sandbox import Sandbox

from .conftest import CALLBACK_PASSWORD, WEBHOOK_ID
from .spec import check_against_spec

type ClientFactory = Callable[[], Awaitable[TestClient[Any, Any]]]

PATH = f"/api/webhook/{WEBHOOK_ID}"
CALL_ID = "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d"
OTHER_CALL_ID = "c-aa90dc63-4a750bed-ddbf-47ac-8375-a90af5ca3ad1"
CALL_USERNAME = "call"
CALL_PASSWORD = "per-call-Secret-9b1f"
CHALLENGE = 'Basic realm="bandwidth"'
SECRETS = (CALLBACK_PASSWORD, WEBHOOK_ID, sandbox.CLIENT_SECRET, CALL_PASSWORD)
# Where a BXML answer legitimately carries the webhook URL and the credentials
# Bandwidth just proved it holds: the verbs that call back.
CALLBACK_ATTRIBUTES = ("gatherUrl", "redirectUrl", "username", "password")
EVENTS = (
    EVENT_CALL_ANSWERED,
    EVENT_MACHINE_DETECTION_COMPLETE,
    EVENT_GATHER_COMPLETE,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALLBACK,
)
MAX_BODY = webhook_module.MAX_BODY_SIZE
SCRIPT = CallScript(
    message="The garage door is open.",
    voice="kate",
    machine_message="Please check the garage.",
    gather=GatherScript(prompt="Press 1 to close it.", max_digits=1),
)
TRANSLATIONS = Path(__file__).parents[1] / "custom_components/bandwidth/translations"
TRANSLATED = frozenset(
    json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))["exceptions"]
)
E164_RE = re.compile(r"\+[1-9][0-9]{1,14}")
SIP_RE = re.compile(r"sip:[^@\s]+@[^@\s]+")
UUI_RE = re.compile(r"[^,;\s]+;encoding=(?:base64|jwt|hex)")


class Bridge:
    """Run coroutines on Home Assistant's loop from the thread Hypothesis uses."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Bridge to this instance's loop."""
        self.hass = hass

    def run[T](self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.hass.loop).result(30)


async def run_in_worker(hass: HomeAssistant, check: Callable[[], None]) -> None:
    """Run a Hypothesis test function off the loop, which stays free to serve it."""
    await hass.async_add_executor_job(check)


FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


# --- Values ------------------------------------------------------------------

# Anything a service call's data could carry (YAML, JSON, templates).
JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.just(10**400)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
# Text with everything that trips up XML, HTTP headers and regular expressions.
NASTY_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "&",
        '"',
        "'",
        "&amp;",
        "&#0;",
        "]]>",
        "<![CDATA[x]]>",
        "<!DOCTYPE x>",
        "<?xml version='1.0'?>",
        "<speak><prosody rate='slow'>hi</prosody></speak>",
        '<break time="3s"/>',
        "</SpeakSentence><Hangup/>",
        "\x00",
        "\x07",
        "\x1b[31m",
        "\x7f",
        "\x85",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "\u2028",
        "\u200b",
        "\ufeff",
        "\ufffe",
        "\uffff",
        "\U0001f4de",
        " ",
        "\xa0",
    ]
)
NASTY_TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(NASTY_PIECES, st.text(max_size=5)), max_size=8).map("".join),
)


def near_misses(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Values one edit away from valid ones: a character added, cut or appended."""
    return st.one_of(
        st.builds(
            lambda value, char, at: value[:at] + char + value[at:],
            values,
            st.one_of(NASTY_PIECES, st.characters()),
            st.integers(0, 40),
        ),
        st.builds(
            lambda value, at: value[:at] + value[at + 1 :], values, st.integers(0, 20)
        ),
        values.map(lambda value: value + "\n"),
    )


E164 = st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True)
SIP = st.builds(
    lambda user, host: f"sip:{user}@{host}",
    st.from_regex(r"[a-z0-9.+_-]{1,12}", fullmatch=True),
    st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z]{2,5}){0,2}", fullmatch=True),
)
DESTINATION = st.one_of(E164, SIP)
CALLER = st.one_of(E164, st.sampled_from(CALLER_ID_KEYWORDS))
GOOD_URL = st.one_of(
    st.sampled_from(
        [
            "https://my.example.test/answer",
            "http://192.168.1.10:8123/api/webhook/other",
            "https://example.test/a?b=c&d=%20e#frag",
            "HTTPS://EXAMPLE.TEST/",
        ]
    ),
    st.integers(0, 2048 - len("https://e.test/")).map(
        lambda n: "https://e.test/" + "a" * n
    ),
)
URL_VALUE = st.one_of(
    GOOD_URL,
    near_misses(GOOD_URL),
    st.builds(
        lambda scheme, rest: scheme + rest,
        st.sampled_from(["https://", "http://", "ftp://", "https:/", "", "//"]),
        st.text(max_size=30),
    ),
    st.just("https://e.test/" + "a" * 2034),
)
AUDIO_URL = st.one_of(
    st.builds(
        lambda url, ext: url.split("#")[0].split("?")[0].rstrip("/") + "/x" + ext,
        GOOD_URL,
        st.sampled_from([".wav", ".mp3", ".WAV", ".ogg", ""]),
    ),
    URL_VALUE,
)
UUI = st.lists(
    st.builds(
        lambda value, encoding: f"{value};encoding={encoding}",
        st.from_regex(r"[A-Za-z0-9+/=]{1,40}", fullmatch=True),
        st.sampled_from(["base64", "jwt", "hex"]),
    ),
    min_size=1,
    max_size=4,
).map(",".join)
CREDENTIAL = st.text(max_size=30) | st.integers(1020, 1026).map(lambda n: "p" * n)


def text_of(max_length: int, min_length: int = 0) -> st.SearchStrategy[str]:
    """Text of bounded length, its limits and one past them."""
    return st.one_of(
        st.text(min_size=min_length, max_size=40),
        NASTY_TEXT,
        st.sampled_from(
            sorted({max(min_length - 1, 0), min_length, max_length, max_length + 1})
        ).map(lambda n: "x" * n),
    )


def number(low: float, high: float | None) -> st.SearchStrategy[Any]:
    """Numbers around a range: inside, at and past its bounds, not finite, huge."""
    top = high if high is not None else 10_000
    return st.one_of(
        st.integers(int(low) - 2, int(top) + 2),
        st.floats(low - 1, top + 1),
        st.sampled_from([low, top, float("nan"), float("inf"), -float("inf"), 10**400]),
    )


def whole(low: int, high: int) -> st.SearchStrategy[Any]:
    """Whole numbers around a range, also written as floats."""
    return st.one_of(
        st.integers(low - 2, high + 2),
        st.integers(low, high).map(float),
        st.sampled_from([low + 0.5, 10**400]),
    )


METHOD = st.sampled_from(["GET", "POST", "get", "PUT"])
MACHINE_DETECTION: dict[str, st.SearchStrategy[Any]] = {
    "mode": st.sampled_from(["sync", "async", "Async", ""]),
    "detection_timeout": number(0, None),
    "silence_timeout": number(0, None),
    "speech_threshold": number(0, None),
    "speech_end_threshold": number(0, None),
    "machine_speech_end_threshold": number(0, None),
    "delay_result": st.booleans() | st.sampled_from([0, 1, "true"]),
    "callback_url": URL_VALUE,
    "callback_method": METHOD,
    "fallback_url": URL_VALUE,
    "fallback_method": METHOD,
    "username": CREDENTIAL,
    "password": CREDENTIAL,
    "fallback_username": CREDENTIAL,
    "fallback_password": CREDENTIAL,
}
GATHER: dict[str, st.SearchStrategy[Any]] = {
    "prompt": text_of(10000, 1),
    "max_digits": whole(1, 50),
    "terminating_digits": st.one_of(
        st.from_regex(r"[0-9*#]{1,50}", fullmatch=True),
        near_misses(st.from_regex(r"[0-9*#]{1,5}", fullmatch=True)),
        st.just("1" * 51),
    ),
    "first_digit_timeout": number(0, 60),
    "inter_digit_timeout": number(1, 60),
    "repeat_count": whole(1, 20),
}


def with_junk(
    strategies: dict[str, st.SearchStrategy[Any]],
) -> dict[str, st.SearchStrategy[Any]]:
    """The same fields, each sometimes replaced by any value at all."""
    return {name: value | JUNK for name, value in strategies.items()}


FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "from": st.one_of(CALLER, near_misses(CALLER)),
    "application_id": text_of(1024, 1),
    "answer_url": URL_VALUE,
    "answer_method": METHOD,
    "answer_fallback_url": URL_VALUE,
    "answer_fallback_method": METHOD,
    "disconnect_url": URL_VALUE,
    "disconnect_method": METHOD,
    "username": CREDENTIAL,
    "password": CREDENTIAL,
    "fallback_username": CREDENTIAL,
    "fallback_password": CREDENTIAL,
    "call_timeout": number(1, 300),
    "callback_timeout": number(1, 25),
    "tag": text_of(4096),
    "uui": st.one_of(UUI, near_misses(UUI), st.just("a;encoding=hex," * 25)),
    "privacy": st.booleans(),
    "display_name": st.one_of(
        st.sampled_from(CALLER_ID_KEYWORDS), text_of(256), near_misses(st.just("Ann"))
    ),
    "priority": whole(1, 5),
    "machine_detection": st.fixed_dictionaries({}, optional=MACHINE_DETECTION),
    "message": text_of(10000, 1),
    "machine_message": text_of(10000, 1),
    "voice": st.one_of(st.sampled_from(VOICES), near_misses(st.sampled_from(VOICES))),
    "audio_url": AUDIO_URL,
    "gather": st.fixed_dictionaries({}, optional=GATHER),
}
TO = st.one_of(
    DESTINATION,
    near_misses(DESTINATION),
    st.lists(DESTINATION, min_size=1, max_size=3),
    st.lists(
        st.one_of(DESTINATION, near_misses(DESTINATION)), max_size=MAX_DESTINATIONS + 2
    ),
    st.lists(st.just("+15555550199"), min_size=2, max_size=2),
)
VALID_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "from": CALLER,
    "application_id": st.text(min_size=1, max_size=30),
    "answer_url": GOOD_URL,
    "answer_method": st.sampled_from(["GET", "POST"]),
    "disconnect_url": GOOD_URL,
    "username": st.text(max_size=20),
    "password": st.text(max_size=20),
    "call_timeout": st.floats(1, 300),
    "callback_timeout": st.integers(1, 25),
    "tag": st.text(max_size=100),
    "uui": UUI,
    "display_name": st.text(
        st.characters(codec="ascii", min_codepoint=32, max_codepoint=126), max_size=30
    ),
    "priority": st.integers(1, 5),
    "machine_detection": st.fixed_dictionaries(
        {},
        optional={
            "mode": st.sampled_from(["sync", "async"]),
            "detection_timeout": st.floats(0, 100),
            "callback_url": GOOD_URL,
            "username": st.text(max_size=10),
        },
    ),
    "message": st.text(min_size=1, max_size=50),
    "machine_message": st.text(min_size=1, max_size=50),
    "voice": st.sampled_from(VOICES),
    "gather": st.fixed_dictionaries(
        {},
        optional={
            "prompt": st.text(min_size=1, max_size=20),
            "max_digits": st.integers(1, 50),
            "terminating_digits": st.sampled_from(["#", "*#", "0"]),
        },
    ),
}
ACTION_DATA = st.one_of(
    # What people write.
    st.fixed_dictionaries(
        {"to": st.one_of(DESTINATION, st.lists(DESTINATION, min_size=1, max_size=4))},
        optional=VALID_FIELDS,
    ),
    # Close to it.
    st.fixed_dictionaries({"to": TO}, optional=FIELDS),
    # Anything at all in any field, including unknown fields.
    st.fixed_dictionaries(
        {},
        optional={
            "to": TO | JUNK,
            **with_junk(FIELDS),
            "machine_detection": st.fixed_dictionaries(
                {}, optional=with_junk(MACHINE_DETECTION)
            )
            | JUNK,
            "gather": st.fixed_dictionaries({}, optional=with_junk(GATHER)) | JUNK,
            "config_entry_id": st.text(max_size=30) | JUNK,
            "unknown_field": JUNK,
        },
    ),
)


# --- The create_call schema ------------------------------------------------------


def assert_body_follows_spec(body: dict[str, Any]) -> None:
    """Check a createCall body against the spec, patterns and rules included."""
    check_against_spec(body, "createCall")
    assert E164_RE.fullmatch(body["to"]) or SIP_RE.fullmatch(body["to"]), body["to"]
    assert E164_RE.fullmatch(body["from"]) or body["from"] in CALLER_ID_KEYWORDS
    if "uui" in body:
        assert all(UUI_RE.fullmatch(part) for part in body["uui"].split(","))
    if "displayName" in body:
        name = body["displayName"]
        assert not any(unicodedata.category(char) == "Cc" for char in name)
        if body.get("privacy"):
            assert name in CALLER_ID_KEYWORDS
    urls = [body[key] for key in body if key.endswith("Url")]
    urls += [
        value
        for key, value in body.get("machineDetection", {}).items()
        if key.endswith("Url")
    ]
    for value in urls:
        url = URL(value)
        assert url.scheme in {"http", "https"}
        assert url.host
        assert not any(char.isspace() for char in value)
    for value in _strings(body):
        value.encode()  # valid Unicode: no lone surrogates


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    return []


class AnyApplication(set[str]):
    """Every application id exists."""

    def __contains__(self, item: object) -> bool:
        """Say yes."""
        return True


@dataclass(frozen=True)
class Refusal:
    """A ServiceValidationError and its message, rendered on the loop."""

    error: ServiceValidationError
    message: str


def assert_names_the_field(refusal: Refusal, data: dict[str, Any]) -> None:
    """A refusal is translated and names a field of the data with its limit."""
    err = refusal.error
    assert err.translation_domain == DOMAIN
    assert err.translation_key in TRANSLATED
    assert refusal.message
    if err.translation_key == "invalid_field":
        placeholders = err.translation_placeholders or {}
        name = placeholders["field"]
        if name in LIMITS:
            assert placeholders["limit"] == LIMITS[name]
            assert name.split(".")[0] in data or name == "to", (name, data)
        else:
            assert placeholders["limit"] == "not a field of this action"


@pytest.mark.usefixtures("init_integration")
async def test_create_call_schema(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """Any data validates into a request Bandwidth accepts, or is refused by name."""
    bandwidth_sandbox.max_active_calls = 10**9
    bandwidth_sandbox.rate_limit = None
    hass.config_entries.async_entries(DOMAIN)[
        0
    ].runtime_data.client.calls_per_second = 10**6
    # Which applications exist is Bandwidth's business, not the schema's.
    bandwidth_sandbox.application_ids = AnyApplication()
    bridge = Bridge(hass)
    outcomes = {"placed": 0, "refused": 0}

    def created_bodies(since: int) -> list[dict[str, Any]]:
        return [
            request.json
            for request in bandwidth_sandbox.requests[since:]
            if request.method == "POST" and request.path.endswith("/calls")
        ]

    async def create_call(data: dict[str, Any]) -> Any:
        try:
            return await hass.services.async_call(
                DOMAIN, "create_call", data, blocking=True, return_response=True
            )
        except ServiceValidationError as err:
            # Translations are read on the loop, so the message is made here.
            return Refusal(err, str(err))

    @settings(FUZZ, max_examples=300)
    @given(data=ACTION_DATA)
    def check(data: dict[str, Any]) -> None:
        sent = len(bandwidth_sandbox.requests)
        response = bridge.run(create_call(data))
        if isinstance(response, Refusal):
            assert_names_the_field(response, data)
            assert created_bodies(sent) == []
            outcomes["refused"] += 1
            return
        bodies = created_bodies(sent)
        # Every destination was sent once, and Bandwidth took every one.
        assert len(bodies) == len(response["calls"])
        assert all("error" not in item for item in response["calls"]), response
        for body in bodies:
            assert_body_follows_spec(body)
        outcomes["placed"] += 1

    await run_in_worker(hass, check)
    # Both sides of the property were exercised.
    assert outcomes["placed"] >= 20, outcomes
    assert outcomes["refused"] >= 20, outcomes


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ({"to": "+15555551234\n"}, "to"),
        ({"to": ["sip:alice@example.test\n"]}, "to"),
        ({"to": "+15555551234", "from": "+15555550100\n"}, "from"),
        ({"to": "+15555551234", "call_timeout": 10**400}, "call_timeout"),
        (
            {"to": "+15555551234", "machine_detection": {"detection_timeout": 10**400}},
            "machine_detection.detection_timeout",
        ),
        ({"to": "+15555551234", "uui": "YQ==;encoding=base64\n"}, "uui"),
        ({"to": "+15555551234", "answer_url": "https://a.test/\n"}, "answer_url"),
        ({"to": "+15555551234", "answer_url": "http://[::1"}, "answer_url"),
        ({"to": "+15555551234", "answer_url": "https://a.test:99999/"}, "answer_url"),
        ({"to": "+15555551234", "answer_url": "https://[]/"}, "answer_url"),
        ({"to": "+15555551234", "answer_url": "https://user@/"}, "answer_url"),
        ({"to": "+15555551234", "answer_url": "https://a.test/\ud800"}, "answer_url"),
        ({"to": ["sip:\ud800@example.test"]}, "to"),
        ({"to": "+1\u0663\u0663\u0663"}, "to"),
        ({"to": "+15555551234", "display_name": "Ann\xa0Lee"}, "display_name"),
        ({"to": "+15555551234", "display_name": "\u200bAnn"}, "display_name"),
        ({"to": "+15555551234", "answer_url": "http://a.test/"}, "answer_url"),
        (
            {"to": "+15555551234", "answer_url": "http://a.test/", "username": "u"},
            "answer_url",
        ),
        (
            {
                "to": "+15555551234",
                "answer_fallback_url": "http://a.test/",
                "fallback_username": "u",
            },
            "answer_fallback_url",
        ),
        ({"to": "+15555551234", "priority": 10**400}, "priority"),
        ({"to": "+15555551234", "message": "Hi \udc80"}, "message"),
        ({"to": "+15555551234", "voice": "julie\n"}, "voice"),
        ({"to": "+15555551234", "display_name": "Ann\x85"}, "display_name"),
        (
            {"to": "+15555551234", "privacy": True, "display_name": "Ann"},
            "display_name",
        ),
        ({"to": "+15555551234", "tag": "\ud800"}, "tag"),
        (
            {"to": "+15555551234", "gather": {"terminating_digits": "#\n"}},
            "gather.terminating_digits",
        ),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_create_call_refuses_what_bandwidth_would(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, data: dict[str, Any], name: str
) -> None:
    """Values the schema once let through are refused by name, before any request."""
    with pytest.raises(ServiceValidationError) as info:
        await hass.services.async_call(
            DOMAIN, "create_call", data, blocking=True, return_response=True
        )
    assert_names_the_field(Refusal(info.value, str(info.value)), data)
    assert (info.value.translation_placeholders or {})["field"] == name
    assert not [r for r in bandwidth_sandbox.requests if r.method == "POST"][1:]


@pytest.mark.parametrize(
    "data",
    [
        # No credentials travel when neither callback comes to Home Assistant.
        {"answer_url": "http://a.test/answer", "disconnect_url": "https://b.test/d"},
        {"answer_fallback_url": "http://a.test/fallback"},
        {"privacy": True, "display_name": "Anonymous"},
        {"privacy": False, "display_name": "Caf\u00e9 M\u00fcller"},
        {"machine_detection": {"detection_timeout": 2**53}},
        {"call_timeout": 300, "priority": 5.0},
        {"to": ["sip:alice@example.test", "+15555551235"]},
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_create_call_accepts_up_to_the_line(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, data: dict[str, Any]
) -> None:
    """Values next to the refused ones still go through, as Bandwidth takes them."""
    response = await hass.services.async_call(
        DOMAIN,
        "create_call",
        {"to": "+15555551234", **data},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    assert all("error" not in item for item in response["calls"]), response
    for request in bandwidth_sandbox.requests:
        if request.method == "POST" and request.path.endswith("/calls"):
            assert_body_follows_spec(request.json)
