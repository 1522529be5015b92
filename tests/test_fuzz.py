"""Hostile input: property-based tests of the action schema, the webhook and BXML.

Hypothesis drives a synchronous check in a worker thread; each check sends
its coroutine to Home Assistant's loop and waits for it, so the examples run
against the real action, the real HTTP server and the loopback sandbox.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch
from xml.etree import ElementTree as ET

import pytest
from aiohttp import ClientResponseError
from aiohttp.test_utils import TestClient
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util.json import json_loads
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

import sandbox
from custom_components.bandwidth import bxml
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
    SIGNAL_CALL_EVENT,
    VOICES,
)
from custom_components.bandwidth.validation import (
    MAX_DESTINATIONS,
    is_blank,
    validate_create_call,
)
from sandbox import Sandbox
from sandbox.bxml import parse_bxml

from .conftest import CALLBACK_PASSWORD, CALLBACK_USERNAME, WEBHOOK_ID
from .helpers import EXCEPTIONS, NOT_WORDS, basic, rendered
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
    credentials=((CALL_USERNAME, CALL_PASSWORD),),
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


# Text with nothing to say: whitespace, control and invisible format characters.
BLANK = st.text(st.sampled_from(" \t\n\r\x00\x07\x1b\x7f\x85\xa0\u2028\u200b\ufeff"))


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
# Bandwidth wants a number even when privacy hides it: the keywords are refused.
CALLER = E164
KEYWORD = st.sampled_from(CALLER_ID_KEYWORDS).flatmap(
    lambda word: st.sampled_from([word, word.lower(), word.upper(), f" {word} "])
)
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


# Machine detection: whole seconds from 1; decimals, 0 and the huge refused.
SECONDS = st.one_of(
    number(0, None),
    st.integers(1, 60).map(float),
    st.sampled_from([0.5, 2**53, 2**53 + 1, 2.0**53]),
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
    "detection_timeout": SECONDS,
    "silence_timeout": SECONDS,
    "speech_threshold": SECONDS,
    "speech_end_threshold": SECONDS,
    "machine_speech_end_threshold": SECONDS,
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
    "prompt": st.one_of(text_of(10000, 1), BLANK),
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
    "from": st.one_of(CALLER, near_misses(CALLER), KEYWORD),
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
    "message": st.one_of(text_of(10000, 1), BLANK),
    "machine_message": st.one_of(text_of(10000, 1), BLANK),
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
            "detection_timeout": st.integers(1, 100),
            "callback_url": GOOD_URL,
            "username": st.text(max_size=10),
        },
    ),
    "message": st.text(min_size=1, max_size=50).filter(lambda text: not is_blank(text)),
    "machine_message": st.text(min_size=1, max_size=50).filter(
        lambda text: not is_blank(text)
    ),
    "voice": st.sampled_from(VOICES),
    "gather": st.fixed_dictionaries(
        {},
        optional={
            "prompt": st.text(min_size=1, max_size=20).filter(
                lambda text: not is_blank(text)
            ),
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
    assert E164_RE.fullmatch(body["from"]), body["from"]
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
    for key, value in body.get("machineDetection", {}).items():
        if key.endswith(("Timeout", "Threshold")):
            # Bandwidth mishandles decimals there.
            assert type(value) is int, (key, value)
            assert 1 <= value <= 2**53
    for key in ("message", "machineMessage"):
        assert not is_blank(body.get(key, "x"))


def assert_user_credentials_over_https(
    data: dict[str, Any], body: dict[str, Any]
) -> None:
    """The user's own credentials only travel to https URLs, as Bandwidth wants.

    Home Assistant's credentials for its own webhook are the dialer's business.
    """
    for username, urls in (
        ("username", ("answerUrl", "disconnectUrl")),
        ("fallback_username", ("answerFallbackUrl",)),
    ):
        if data.get(username):
            for url in urls:
                assert not body.get(url, "https:").lower().startswith("http:"), url
    detection = data.get("machine_detection") or {}
    for username, url in (
        ("username", "callbackUrl"),
        ("fallback_username", "fallbackUrl"),
    ):
        if detection.get(username):
            value = body["machineDetection"].get(url, "https:")
            assert not value.lower().startswith("http:"), url


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
    """A refusal is translated whole and names a field of the data.

    Its placeholders are field names and numbers only, and its message is the
    translation with them filled in: no English from code reaches the user.
    """
    err = refusal.error
    assert err.translation_domain == DOMAIN
    assert err.translation_key in EXCEPTIONS
    placeholders = err.translation_placeholders or {}
    for name, value in placeholders.items():
        if name != "field":
            assert NOT_WORDS.fullmatch(value), (name, value)
    template: str = EXCEPTIONS[err.translation_key]["message"]
    assert refusal.message == template.format(**placeholders).rstrip(".")
    if "field" in placeholders:
        head = placeholders["field"].split(".")[0]
        assert head in {str(key) for key in data} or head == "to", (placeholders, data)


@pytest.mark.parametrize("data", [{"to": "+15555551234", "message": "Hi"}])
def test_schema_alone(data: dict[str, Any]) -> None:
    """The rules need no Home Assistant instance; validating twice changes nothing."""
    validated = validate_create_call(data)
    assert validated == {"to": ["+15555551234"], "message": "Hi"}
    assert validate_create_call(validated) == validated


@settings(FUZZ, max_examples=1000)
@given(data=ACTION_DATA)
def test_schema_properties(data: dict[str, Any]) -> None:
    """Any data is validated into the shape the dialer takes, or refused by a rule.

    What passes passes again unchanged, and a refusal's placeholders always
    fill its translated message.
    """
    try:
        validated = validate_create_call(data)
    except ServiceValidationError as err:
        refused: ServiceValidationError | None = err
    else:
        refused = None
    if refused is not None:
        assert refused.translation_key in EXCEPTIONS
        placeholders = refused.translation_placeholders or {}
        assert "field" in placeholders
        EXCEPTIONS[refused.translation_key]["message"].format(**placeholders)
        return
    assert set(validated) <= set(data)
    assert isinstance(validated["to"], list)
    assert all(isinstance(to, str) for to in validated["to"])
    assert validate_create_call(validated) == validated
    for key in ("message", "machine_message"):
        assert not is_blank(validated.get(key, "x"))
    if "from" in validated:
        assert E164_RE.fullmatch(validated["from"])
    for key, value in (validated.get("machine_detection") or {}).items():
        if key.endswith(("_timeout", "_threshold")):
            assert type(value) is int


@pytest.mark.usefixtures("init_integration")
async def test_create_call_schema(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """Any data validates into a request Bandwidth accepts, or is refused by name."""
    bandwidth_sandbox.max_active_calls = 10**9
    # Credentials Home Assistant adds for callbacks to its own webhook are the
    # dialer's business; the user's own are checked against each body below.
    bandwidth_sandbox.allow_insecure_callbacks = True
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
            return Refusal(err, await rendered(hass, err))

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
            assert_user_credentials_over_https(data, body)
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
        ({"to": "+15555551234", "from": "Anonymous"}, "from"),
        ({"to": "+15555551234", "message": "\u200b\n"}, "message"),
        (
            {"to": "+15555551234", "machine_detection": {"silence_timeout": 2.5}},
            "machine_detection.silence_timeout",
        ),
        (
            {
                "to": "+15555551234",
                "machine_detection": {"username": "u", "callback_url": "http://a.t/"},
            },
            "machine_detection.callback_url",
        ),
        ({"to": "+15555551234", "password": "p"}, "password"),
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
    assert_names_the_field(Refusal(info.value, await rendered(hass, info.value)), data)
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
        {"machine_detection": {"detection_timeout": 2**53, "silence_timeout": 1.0}},
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


# --- The webhook -------------------------------------------------------------------


@dataclass(frozen=True)
class Auth:
    """An Authorization header and which credentials it proves, if any.

    kind: "none" (no header), "entry" or "call" (valid for the entry, or for
    CALL_ID only) or "invalid".
    """

    header: str | None
    kind: str


@dataclass(frozen=True)
class Probe:
    """One hostile request to the webhook."""

    method: str
    auth: Auth
    body: bytes = b""
    content_type: str | None = None
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    # The callId the request is about, when its fields can be read at all.
    call_id: str | None = None

    @property
    def oversized_headers(self) -> bool:
        """Whether a header line is past what the HTTP server reads."""
        return any(len(name) + len(value) > 8000 for name, value in self.headers)


@dataclass
class Reply:
    """What the webhook answered."""

    status: int
    headers: CIMultiDict[str]
    body: bytes


@dataclass
class Observed:
    """Events and errors seen while the probes ran."""

    events: list[Event] = field(default_factory=list)
    signals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: list[logging.LogRecord] = field(default_factory=list)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


VALID = f"{CALLBACK_USERNAME}:{CALLBACK_PASSWORD}".encode()
AUTHS = st.one_of(
    st.just(Auth(None, "none")),
    st.sampled_from(["Basic", "basic", "BASIC", "bAsIc"]).map(
        lambda scheme: Auth(f"{scheme} {_b64(VALID)}", "entry")
    ),
    st.just(Auth(basic(CALL_USERNAME, CALL_PASSWORD), "call")),
    st.sampled_from(
        [
            basic(CALLBACK_USERNAME, CALLBACK_PASSWORD + "x"),
            basic(CALLBACK_USERNAME, CALLBACK_PASSWORD[:-1]),
            basic(CALLBACK_USERNAME, ""),
            basic(CALLBACK_USERNAME + "x", CALLBACK_PASSWORD),
            basic("", CALLBACK_PASSWORD),
            basic("", ""),
            basic(CALLBACK_PASSWORD, CALLBACK_USERNAME),
            basic(CALLBACK_USERNAME.upper(), CALLBACK_PASSWORD),
            basic(CALLBACK_USERNAME, CALL_PASSWORD),
            basic(CALL_USERNAME, CALLBACK_PASSWORD),
            basic(CALLBACK_USERNAME, CALLBACK_PASSWORD + "\x00"),
            basic(CALLBACK_USERNAME, CALLBACK_PASSWORD + "\n"),
            "Basic " + _b64(VALID).rstrip("="),
            "Basic " + _b64(VALID)[:-4],
            "Basic " + _b64(f"{CALLBACK_USERNAME}{CALLBACK_PASSWORD}".encode()),
            "Basic " + _b64(VALID + b"\xff"),
            "Basic " + _b64(VALID) + "=",
            "Basic " + _b64(VALID) + " extra",
            "Basic " + VALID.decode(),
            "Basic",
            "Basic ",
            "Basic :",
            f"Bearer {CALLBACK_PASSWORD}",
            f"Digest username={CALLBACK_USERNAME}",
            _b64(VALID),
            "Basic \u00e9\u00e9\u00e9=",
            "Basic " + _b64("caf\u00e9:\u00e9".encode("latin-1")),
            "Basic " + "A" * 20000,
        ]
    ).map(lambda header: Auth(header, "invalid")),
    st.one_of(
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60).map(
            lambda text: "Basic " + text
        ),
        st.binary(max_size=60).map(lambda raw: "Basic " + _b64(raw)),
    ).map(lambda header: Auth(header, "invalid")),
)
EVENT_TYPES = st.sampled_from(
    [
        "answer",
        "disconnect",
        "gather",
        "machineDetectionComplete",
        "redirect",
        "transferComplete",
    ]
) | st.text(max_size=10)
CALL_IDS = st.sampled_from([CALL_ID, OTHER_CALL_ID]) | st.text(max_size=12)
FIELD_VALUES = st.one_of(st.text(max_size=20), NASTY_TEXT, JUNK)
CALLBACKS = st.fixed_dictionaries(
    {"eventType": EVENT_TYPES | JUNK, "callId": CALL_IDS | JUNK},
    optional={
        "accountId": FIELD_VALUES,
        "from": FIELD_VALUES,
        "to": FIELD_VALUES,
        "tag": FIELD_VALUES,
        "cause": FIELD_VALUES,
        "digits": FIELD_VALUES,
        "machineDetectionResult": st.fixed_dictionaries(
            {},
            optional={
                "value": st.sampled_from(["human", "answering-machine"]) | FIELD_VALUES,
                "duration": FIELD_VALUES,
            },
        )
        | JUNK,
        "callUrl": FIELD_VALUES,
        "unknownField": JUNK,
    },
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            None,
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "text/plain",
            "application/xml",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "",
        ]
    ),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30),
)


def _call_id_of(fields: Any) -> str | None:
    if isinstance(fields, dict) and isinstance(fields.get("callId"), str):
        return fields["callId"] or None
    return None


def _parsed(raw: bytes) -> Any:
    """The fields of a JSON body as the webhook reads it, None if it cannot."""
    if len(raw) > MAX_BODY:
        return None
    try:
        return json_loads(raw)
    except ValueError:
        return None


def _json_body(fields: Any) -> bytes:
    return json.dumps(fields, ensure_ascii=False, allow_nan=True).encode(
        "utf-8", "surrogatepass"
    )


def _nested(depth: int, kind: str) -> bytes:
    if kind == "list":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"{}" + b"}" * depth


def _padded(size: int, call_id: str) -> bytes:
    head = f'{{"eventType":"answer","callId":"{call_id}","pad":"'.encode()
    return head + b"x" * max(size - len(head) - 2, 0) + b'"}'


BODIES = st.one_of(
    CALLBACKS.map(lambda fields: (_json_body(fields), fields)),
    JUNK.map(lambda fields: (_json_body(fields), fields)),
    st.binary(max_size=200).map(lambda raw: (raw, None)),
    # Deep nesting, within and beyond the size limit.
    st.builds(_nested, st.integers(1, 40000), st.sampled_from(["list", "object"])).map(
        lambda raw: (raw, None)
    ),
    # Sizes around the limit.
    st.builds(
        _padded,
        st.integers(MAX_BODY - 3, MAX_BODY + 3),
        st.sampled_from([CALL_ID, OTHER_CALL_ID]),
    ).map(lambda raw: (raw, True)),
    st.just(_padded(3 * MAX_BODY, CALL_ID)).map(lambda raw: (raw, True)),
    # Invalid UTF-8 inside a string.
    st.binary(min_size=1, max_size=20).map(
        lambda raw: (
            b'{"eventType":"answer","callId":"'
            + CALL_ID.encode()
            + b'","tag":"'
            + raw
            + b'"}',
            True,
        )
    ),
    # The same key twice: the last one counts, for the checks and the answer alike.
    st.builds(
        lambda first, second: (
            f'{{"eventType":"answer","callId":"{first}","callId":"{second}"}}'.encode(),
            True,
        ),
        st.sampled_from([CALL_ID, OTHER_CALL_ID]),
        st.sampled_from([CALL_ID, OTHER_CALL_ID]),
    ),
)
QUERY_PARAMS = st.one_of(
    CALLBACKS.map(
        lambda fields: {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in fields.items()
        }
    ),
    st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4),
)
RAW_QUERIES = st.sampled_from(
    [
        "",
        "callId=%ff%fe&eventType=answer",
        f"callId={CALL_ID}&eventType=answer&machineDetectionResult=%7B",
        f"callId={CALL_ID}&callId={OTHER_CALL_ID}&eventType=answer",
        "eventType=answer&callId=",
        "%zz=%zz",
        "a" * 4000,
        f"eventType=answer&callId={CALL_ID}&machineDetectionResult=" + "%5B" * 5000,
    ]
)
# Not X-Forwarded-For: Home Assistant's http integration answers that itself
# (400 and an error) when no reverse proxy is configured.
EXTRA_HEADERS = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(
                [
                    "X-Real-IP",
                    "User-Agent",
                    "Accept",
                    "X-Call-Id",
                    "Cookie",
                ]
            ),
            st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40),
        ),
        st.integers(100, 30000).map(lambda n: ("X-Pad", "a" * n)),
    ),
    max_size=3,
    unique_by=lambda header: header[0].lower(),
)


@st.composite
def probes(draw: st.DrawFn) -> Probe:
    """A hostile request: method, credentials, body or query, headers."""
    method = draw(
        st.sampled_from(["POST", "POST", "POST", "GET", "GET", "PUT", "HEAD", "DELETE"])
    )
    auth = draw(AUTHS)
    headers = tuple(draw(EXTRA_HEADERS))
    if method == "GET":
        if draw(st.booleans()):
            params = draw(QUERY_PARAMS)
            query = str(URL.build(query=params).query_string)
            return Probe(
                method, auth, query=query, headers=headers, call_id=_call_id_of(params)
            )
        raw = draw(RAW_QUERIES)
        fields = dict(URL("/?" + raw).query)
        return Probe(
            method, auth, query=raw, headers=headers, call_id=_call_id_of(fields)
        )
    body, fields = draw(BODIES)
    if fields is True or fields is None:
        fields = _parsed(body)
    return Probe(
        method,
        auth,
        body=body,
        content_type=draw(CONTENT_TYPES),
        headers=headers,
        call_id=_call_id_of(fields) if _parsed(body) is not None else None,
    )


def _valid(probe: Probe) -> bool:
    """Whether the request carries credentials the webhook must accept."""
    if probe.auth.kind == "entry":
        return True
    return probe.auth.kind == "call" and probe.call_id == CALL_ID


def _without_callback_attributes(body: bytes) -> str:
    """A BXML answer with the attributes that may carry credentials removed."""
    root = ET.fromstring(body)  # noqa: S314 - our own output
    for element in root.iter():
        for name in CALLBACK_ATTRIBUTES:
            element.attrib.pop(name, None)
    return ET.tostring(root, encoding="unicode")


class _ErrorHandler(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
async def observed(hass: HomeAssistant, init_integration: MockConfigEntry) -> Any:
    """Every Bandwidth event and signal, and every error logged meanwhile."""
    seen = Observed()

    @callback
    def record_event(event: Event) -> None:
        seen.events.append(event)

    @callback
    def record_signal(kind: str, data: dict[str, Any]) -> None:
        seen.signals.append((kind, data))

    for name in EVENTS:
        hass.bus.async_listen(name, record_event)
    async_dispatcher_connect(
        hass, SIGNAL_CALL_EVENT.format(init_integration.entry_id), record_signal
    )
    handler = _ErrorHandler(seen.errors)
    # Not aiohttp.server: it logs the requests its HTTP parser refuses (a header
    # line too long, a header twice) before Home Assistant sees them.
    loggers = [
        logging.getLogger(name) for name in ("homeassistant", "custom_components")
    ]
    for logger in loggers:
        logger.addHandler(handler)
    yield seen
    for logger in loggers:
        logger.removeHandler(handler)


async def _send(client: TestClient[Any, Any], probe: Probe) -> Reply:
    headers: CIMultiDict[str] = CIMultiDict(probe.headers)
    if probe.auth.header is not None:
        headers["Authorization"] = probe.auth.header
    if probe.content_type is not None:
        headers["Content-Type"] = probe.content_type
    url = URL(PATH + ("?" + probe.query if probe.query else ""))
    try:
        async with client.request(
            probe.method,
            url,
            data=probe.body if probe.method != "GET" else None,
            headers=headers,
            skip_auto_headers=["Content-Type"],
        ) as response:
            return Reply(
                response.status, CIMultiDict(response.headers), await response.read()
            )
    except ClientResponseError as err:
        # The HTTP server refused an oversized header with a body even for
        # HEAD, which the client cannot read; the status is all there is.
        if not probe.oversized_headers:
            raise
        return Reply(err.status, CIMultiDict(), b"")


def check_reply(probe: Probe, reply: Reply, new_events: int) -> None:
    """The invariants every answer of the webhook keeps."""
    assert reply.status < 500, reply
    everything = reply.body.decode("utf-8", "replace") + "".join(
        f"{name}: {value}\n" for name, value in reply.headers.items()
    )
    valid = _valid(probe)
    if not valid:
        assert new_events == 0, (probe, reply)
    if probe.method.upper() in {"GET", "POST"} and probe.auth.kind in {
        "none",
        "invalid",
    }:
        if probe.oversized_headers and reply.status in {400, 431}:
            return  # the HTTP server refused the request before the webhook saw it
        assert reply.status == 401, (probe, reply)
        assert reply.headers["WWW-Authenticate"] == CHALLENGE
        assert reply.body == b""
    if (
        probe.method.upper() in {"GET", "POST"}
        and valid
        and not probe.oversized_headers
    ):
        assert reply.status in {200, 204, 400}, (probe, reply)
        assert new_events == (1 if reply.status != 400 else 0), (probe, reply)
    if reply.status == 200 and reply.body:
        assert reply.headers["Content-Type"] == "application/xml; charset=utf-8"
        assert parse_bxml(reply.body.decode())
        everything = _without_callback_attributes(reply.body) + "".join(
            f"{name}: {value}\n" for name, value in reply.headers.items()
        )
    for secret in SECRETS:
        assert secret not in everything, (probe, reply)


async def test_webhook_hostile_requests(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    observed: Observed,
) -> None:
    """No 500, no event without credentials, no secret in any answer, no crash."""
    calls = init_integration.runtime_data.calls
    client = await hass_client_no_auth()
    bridge = Bridge(hass)

    async def exchange(probe: Probe) -> tuple[Reply, int]:
        if calls.get(CALL_ID) is None:
            calls.add(CALL_ID, SCRIPT)
        observed.errors.clear()
        before = len(observed.events)
        reply = await _send(client, probe)
        await hass.async_block_till_done()
        assert len(observed.signals) == len(observed.events)
        return reply, len(observed.events) - before

    @settings(FUZZ, max_examples=400)
    @given(probe=probes())
    def check(probe: Probe) -> None:
        reply, new_events = bridge.run(exchange(probe))
        check_reply(probe, reply, new_events)
        assert not observed.errors, [record.getMessage() for record in observed.errors]

    await run_in_worker(hass, check)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_nested(30000, "list"), "application/json"),
        (_nested(10000, "object"), "application/json"),
        (_nested(200000, "list"), "application/json"),
        (_padded(MAX_BODY + 1, CALL_ID), "application/json"),
        (_padded(16 * MAX_BODY, CALL_ID), "application/json"),
        (b'{"eventType":"answer","callId":"\xff\xfe"}', "application/json"),
        (b"\xef\xbb\xbf" + json.dumps({"eventType": "answer"}).encode(), "text/plain"),
        (b'{"eventType":"answer","callId":NaN}', "application/json"),
        (
            b'{"eventType":"answer","callId":"' + CALL_ID.encode() + b'"',
            "application/json",
        ),
        (
            b"eventType=answer&callId=" + CALL_ID.encode(),
            "application/x-www-form-urlencoded",
        ),
        (b"", None),
    ],
    ids=[
        "deep-list",
        "deep-object",
        "deep-list-huge",
        "one-past-limit",
        "sixteen-times-limit",
        "invalid-utf8",
        "bom",
        "nan",
        "truncated",
        "form",
        "empty",
    ],
)
async def test_webhook_adversarial_bodies(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    observed: Observed,
    body: bytes,
    content_type: str | None,
) -> None:
    """Each body: 401 without credentials, 400 with them, and nothing happens."""
    init_integration.runtime_data.calls.add(CALL_ID, SCRIPT)
    client = await hass_client_no_auth()
    for auth in (
        Auth(None, "none"),
        Auth(basic(CALLBACK_USERNAME, "wrong"), "invalid"),
        Auth(basic(CALL_USERNAME, CALL_PASSWORD), "call"),
        Auth(basic(CALLBACK_USERNAME, CALLBACK_PASSWORD), "entry"),
    ):
        probe = Probe("POST", auth, body=body, content_type=content_type)
        reply = await _send(client, probe)
        await hass.async_block_till_done()
        expected = 400 if auth.kind == "entry" else 401
        assert reply.status == expected, auth
        check_reply(probe, reply, len(observed.events))
    assert observed.events == []
    assert observed.errors == []
    assert init_integration.runtime_data.calls.get(CALL_ID) == SCRIPT


@pytest.mark.parametrize(
    "authorization",
    [
        basic(CALLBACK_USERNAME, CALLBACK_PASSWORD),
        basic(CALLBACK_USERNAME, "wrong-password"),
        basic("wrong-username", CALLBACK_PASSWORD),
        basic("wrong-username", "wrong-password"),
        basic(CALL_USERNAME, CALL_PASSWORD),
        basic(CALL_USERNAME, "wrong-password"),
    ],
)
async def test_credential_check_does_the_same_work_either_way(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    authorization: str,
) -> None:
    """Every accepted pair is compared in full whatever was sent.

    How long the check takes so does not tell a right username, or a right
    password under a wrong username, from a wrong one.
    """
    init_integration.runtime_data.calls.add(CALL_ID, SCRIPT)
    client = await hass_client_no_auth()
    compared: list[tuple[bytes, bytes]] = []
    real = webhook_module.hmac.compare_digest

    def counting(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return real(given, expected)

    body = {"eventType": "disconnect", "callId": CALL_ID}
    with patch.object(webhook_module.hmac, "compare_digest", counting):
        await client.post(PATH, json=body, headers={"Authorization": authorization})
    # The entry's pair and the call's pair, username and password each.
    assert [expected for _, expected in compared] == [
        CALLBACK_USERNAME.encode(),
        CALLBACK_PASSWORD.encode(),
        CALL_USERNAME.encode(),
        CALL_PASSWORD.encode(),
    ]


# --- BXML ------------------------------------------------------------------------


def spoken(text: str | None) -> str | None:
    """What a SpeakSentence of this text says, read back by an XML parser.

    Characters XML cannot carry are dropped (bxml.clean_text), and an XML
    parser reads every line ending as a line feed. Blank text is not spoken.
    """
    if text is None:
        return None
    cleaned = bxml.clean_text(text).replace("\r\n", "\n").replace("\r", "\n")
    return cleaned if cleaned.strip() else None


SPOKEN_TEXT = st.one_of(
    NASTY_TEXT,
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=50),
    # Every code point but lone surrogates (the action refuses those).
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20),
    # Text is refused when it has nothing to say.
).filter(lambda text: bool(text) and not is_blank(text))


@pytest.mark.usefixtures("init_integration")
async def test_bxml_says_exactly_the_text(
    hass: HomeAssistant,
    bandwidth_sandbox: Sandbox,
    hass_client_no_auth: ClientFactory,
    observed: Observed,
) -> None:
    """Whatever the text, the answer is well-formed BXML that says just that text."""
    bandwidth_sandbox.max_active_calls = 10**9
    client = await hass_client_no_auth()
    bridge = Bridge(hass)
    auth = {"Authorization": basic(CALLBACK_USERNAME, CALLBACK_PASSWORD)}

    async def answer(
        message: str, machine_message: str, prompt: str, tag: str, machine: bool
    ) -> tuple[list[Any], bytes, bytes, dict[str, Any]]:
        response = await hass.services.async_call(
            DOMAIN,
            "create_call",
            {
                "to": "+15555551234",
                "message": message,
                "machine_message": machine_message,
                "gather": {"prompt": prompt, "max_digits": 1},
                "tag": tag,
                "voice": "kate",
            },
            blocking=True,
            return_response=True,
        )
        assert isinstance(response, dict)
        call_id = response["calls"][0]["call_id"]
        created = bandwidth_sandbox.calls[call_id].request
        result = "answering-machine" if machine else "human"
        callback = {
            "eventType": "answer",
            "callId": call_id,
            "tag": tag,
            "machineDetectionResult": {"value": result, "duration": "PT1S"},
        }
        before = len(observed.events)
        reply = await client.post(PATH, json=callback, headers=auth)
        assert reply.status == 200
        answered = await reply.read()
        reply = await client.post(
            PATH,
            json={"eventType": "gather", "callId": call_id, "digits": "1", "tag": tag},
            headers=auth,
        )
        goodbye = await reply.read()
        await client.post(
            PATH, json={"eventType": "disconnect", "callId": call_id}, headers=auth
        )
        await hass.async_block_till_done()
        return observed.events[before:], answered, goodbye, created

    @settings(FUZZ, max_examples=150)
    @given(
        message=SPOKEN_TEXT,
        machine_message=SPOKEN_TEXT,
        prompt=SPOKEN_TEXT,
        tag=st.text(max_size=50) | NASTY_TEXT,
        machine=st.booleans(),
    )
    def check(
        message: str, machine_message: str, prompt: str, tag: str, machine: bool
    ) -> None:
        events, answered, goodbye, created = bridge.run(
            answer(message, machine_message, prompt, tag, machine)
        )
        # Bandwidth's own parser accepts both answers.
        verbs = parse_bxml(answered.decode())
        assert parse_bxml(goodbye.decode())
        root = ET.fromstring(answered)  # noqa: S314 - our own output
        said = [element.text or "" for element in root.iter("SpeakSentence")]
        expected = (
            [spoken(machine_message)] if machine else [spoken(message), spoken(prompt)]
        )
        assert said == [text for text in expected if text is not None]
        assert all(
            element.get("voice") == "kate" for element in root.iter("SpeakSentence")
        )
        # Only the verbs the script asks for: nothing smuggled in by the text.
        if machine:
            expected_verbs = ["SpeakSentence"] * bool(spoken(machine_message))
        else:
            expected_verbs = ["SpeakSentence"] * bool(spoken(message)) + ["Gather"]
        assert [verb.name for verb in verbs] == [*expected_verbs, "Hangup"]
        if not machine:
            [gather] = [verb for verb in verbs if verb.name == "Gather"]
            assert [child.name for child in gather.children] == (
                ["SpeakSentence"] * bool(spoken(prompt))
            )
        # The tag went to Bandwidth and came back in the events unchanged.
        assert created["tag"] == tag
        assert [event.data.get("tag") for event in events] == [tag, tag, None]
        assert not observed.errors, [record.getMessage() for record in observed.errors]

    await run_in_worker(hass, check)
