"""Hostile input: property-based tests of the action schema, the webhook and BXML.

Hypothesis drives a synchronous check in a worker thread; each check sends
its coroutine to Home Assistant's loop and waits for it, so the examples run
against the real action, the real HTTP server and the loopback sandbox.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from yarl import URL

from custom_components.bandwidth.call_values import MAX_DESTINATIONS
from custom_components.bandwidth.const import (
    CALLER_ID_KEYWORDS,
    CONF_MAX_CALLS_PER_HOUR,
    DOMAIN,
    VOICES,
)
from custom_components.bandwidth.option_rules import MAX_CALLS_PER_HOUR
from custom_components.bandwidth.rules import is_blank
from custom_components.bandwidth.validation import validate_create_call
from sandbox import Sandbox

from .fuzzing import FUZZ, JUNK, NASTY_PIECES, NASTY_TEXT, Bridge, run_in_worker
from .helpers import EXCEPTIONS, NOT_WORDS, rendered
from .spec import check_against_spec

E164_RE = re.compile(r"\+[1-9][0-9]{1,14}")
SIP_RE = re.compile(r"sip:[^@\s]+@[^@\s]+")
UUI_RE = re.compile(r"[^,;\s]+;encoding=(?:base64|jwt|hex)")


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

    Its placeholders are field names and numbers only (or the entry id typed),
    and its message is the translation with them filled in: no English from
    code reaches the user.
    """
    err = refusal.error
    assert err.translation_domain == DOMAIN
    assert err.translation_key in EXCEPTIONS
    placeholders = err.translation_placeholders or {}
    for name, value in placeholders.items():
        if name == "config_entry_id":  # an unknown entry's id, as typed
            assert value == str(data[name]), (name, value)
        elif name != "field":
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


async def test_create_call_schema(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    hass_admin_user: MockUser,
) -> None:
    """Any data validates into a request Bandwidth accepts, or is refused by name.

    An administrator asks, who may call any country: numbers are drawn from
    them all. The calls per hour have tests of their own.
    """
    hass.config_entries.async_update_entry(
        init_integration,
        options={
            **init_integration.options,
            CONF_MAX_CALLS_PER_HOUR: MAX_CALLS_PER_HOUR,
        },
    )
    bandwidth_sandbox.max_active_calls = 10**9
    # The rate limit has tests of its own: a loaded machine can delay one
    # request enough for the next window to see six, and its retry would
    # count here as a destination sent twice.
    bandwidth_sandbox.rate_limit = None
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
                DOMAIN,
                "create_call",
                data,
                blocking=True,
                return_response=True,
                context=Context(user_id=hass_admin_user.id),
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
