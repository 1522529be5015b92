"""Hostile input to the webhook, and BXML that says exactly the text given.

Hypothesis drives a synchronous check in a worker thread; each check sends
its coroutine to Home Assistant's loop and waits for it, so the examples run
against the real HTTP server, the real webhook and the loopback sandbox.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import pytest
from aiohttp import ClientResponseError
from aiohttp.test_utils import TestClient
from homeassistant.components.http.security_filter import FILTERS, UNSAFE_URL_BYTES
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util.json import json_loads
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

import sandbox
from custom_components.bandwidth import bxml
from custom_components.bandwidth import webhook as webhook_module
from custom_components.bandwidth.calls import LiveCall
from custom_components.bandwidth.const import (
    CONF_MAX_CALLS_PER_HOUR,
    DOMAIN,
    EVENT_CALL_ANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALL_RECEIVED,
    EVENT_CALLBACK,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
    EVENT_TRANSFER_ANSWERED,
    EVENT_TRANSFER_COMPLETE,
    SIGNAL_CALL_EVENT,
)
from custom_components.bandwidth.option_rules import MAX_CALLS_PER_HOUR
from custom_components.bandwidth.rules import is_blank
from sandbox import Sandbox
from sandbox.bxml import parse_bxml

from .fuzzing import FUZZ, JUNK, NASTY_TEXT, Bridge, run_in_worker
from .helpers import (
    CALL_ID,
    CALLBACK_PASSWORD,
    CALLBACK_USERNAME,
    INBOUND_SECRET,
    OTHER_CALL_ID,
    PATH,
    SCRIPT,
    WEBHOOK_ID,
    WEBHOOK_URL,
    ClientFactory,
    basic,
    query,
)

CALL_REF = "fuzz-ref-4Qk2"
CALL_SECRET = "per-call-Secret-9b1f-A7c3-Zq81-xY"
SECRETS = (INBOUND_SECRET, WEBHOOK_ID, sandbox.CLIENT_SECRET, CALL_SECRET)
# Where a BXML answer legitimately carries the call's own URL, its secret
# included: the verbs that call back.
CALLBACK_ATTRIBUTES = ("gatherUrl", "redirectUrl")
EVENTS = (
    EVENT_CALL_RECEIVED,
    EVENT_CALL_ANSWERED,
    EVENT_MACHINE_DETECTION_COMPLETE,
    EVENT_GATHER_COMPLETE,
    EVENT_TRANSFER_ANSWERED,
    EVENT_TRANSFER_COMPLETE,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALLBACK,
)
MAX_BODY = webhook_module.MAX_BODY_SIZE


def fuzz_call() -> LiveCall:
    """The live call the probes are about, with a known reference and secret."""
    return LiveCall(
        ref=CALL_REF,
        secret=CALL_SECRET,
        webhook_url=WEBHOOK_URL,
        script=SCRIPT,
        call_id=CALL_ID,
    )


# --- The webhook -------------------------------------------------------------------


@dataclass(frozen=True)
class Auth:
    """An Authorization header: no webhook request is proved by one.

    kind: "none" (no header) or "invalid" (any header, the callback
    credentials entries once had included).
    """

    header: str | None
    kind: str


@dataclass(frozen=True)
class Key:
    """The reference and secret in a request's query, and what they prove.

    kind: "none" (neither), "call" (the call's own), "entry" (the secret in
    the Voice application's URL) or "invalid".
    """

    params: tuple[tuple[str, str], ...]
    kind: str


NO_KEY = Key((), "none")
CALL_KEY = Key((("ref", CALL_REF), ("key", CALL_SECRET)), "call")
ENTRY_KEY = Key((("key", INBOUND_SECRET),), "entry")


@dataclass(frozen=True)
class Probe:
    """One hostile request to the webhook."""

    method: str
    auth: Auth
    key: Key = NO_KEY
    body: bytes = b""
    content_type: str | None = None
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    # The callId the request is about, when its fields can be read at all.
    call_id: str | None = None
    # Its eventType, likewise.
    event_type: str | None = None

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
        lambda scheme: Auth(f"{scheme} {_b64(VALID)}", "invalid")
    ),
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
            basic(CALLBACK_USERNAME, CALL_SECRET),
            basic(CALL_REF, CALL_SECRET),
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
KEYS = st.one_of(
    st.just(NO_KEY),
    st.just(CALL_KEY),
    st.just(ENTRY_KEY),
    st.sampled_from(
        [
            (("ref", CALL_REF),),
            (("key", CALL_SECRET),),
            (("ref", CALL_REF), ("key", CALL_SECRET[:-1])),
            (("ref", CALL_REF), ("key", CALL_SECRET + "x")),
            (("ref", CALL_REF), ("key", CALL_SECRET.upper())),
            (("ref", CALL_REF), ("key", "")),
            (("ref", ""), ("key", CALL_SECRET)),
            (("ref", "other"), ("key", CALL_SECRET)),
            (("ref", CALL_SECRET), ("key", CALL_REF)),
            (("REF", CALL_REF), ("KEY", CALL_SECRET)),
            (("ref", CALL_REF), ("key", CALL_SECRET + "\x00")),
            (("key", INBOUND_SECRET[:-1]),),
            (("key", INBOUND_SECRET.upper()),),
            (("ref", CALL_REF), ("key", INBOUND_SECRET)),
            (("ref", ""), ("key", INBOUND_SECRET)),
        ]
    ).map(lambda params: Key(params, "invalid")),
    st.tuples(
        st.just(("ref", CALL_REF)),
        st.tuples(st.just("key"), NASTY_TEXT),
    ).map(lambda params: Key(params, "invalid")),
)
EVENT_TYPES = st.sampled_from(
    [
        "answer",
        "initiate",
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
    return _text_of(fields, "callId")


def _event_type_of(fields: Any) -> str | None:
    return _text_of(fields, "eventType")


def _text_of(fields: Any, name: str) -> str | None:
    if isinstance(fields, dict) and isinstance(fields.get(name), str):
        return fields[name] or None
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
    key = draw(KEYS)
    if key.kind == "call" and auth.kind == "invalid":
        auth = Auth(None, "none")  # so what is expected stays clear-cut
    headers = tuple(draw(EXTRA_HEADERS))
    if method == "GET":
        if draw(st.booleans()):
            params = draw(QUERY_PARAMS)
            # Raw, not decoded: a "#" drawn into a value stays in the query.
            query = URL.build(query=params).raw_query_string
            return Probe(
                method,
                auth,
                key,
                query=query,
                headers=headers,
                call_id=_call_id_of(params),
                event_type=_event_type_of(params),
            )
        raw = draw(RAW_QUERIES)
        fields = dict(URL("/?" + raw).query)
        return Probe(
            method,
            auth,
            key,
            query=raw,
            headers=headers,
            call_id=_call_id_of(fields),
            event_type=_event_type_of(fields),
        )
    body, fields = draw(BODIES)
    if fields is True or fields is None:
        fields = _parsed(body)
    return Probe(
        method,
        auth,
        key,
        body=body,
        content_type=draw(CONTENT_TYPES),
        headers=headers,
        call_id=_call_id_of(fields) if _parsed(body) is not None else None,
        event_type=_event_type_of(fields) if _parsed(body) is not None else None,
    )


def _raw_query(probe: Probe) -> str:
    """The query string the probe is sent with, as on the wire."""
    return "&".join(
        part
        for part in (URL.build(query=probe.key.params).raw_query_string, probe.query)
        if part
    )


def _filtered(probe: Probe) -> bool:
    """Whether Home Assistant's HTTP security filter refuses the request line.

    It answers 400 itself, before any webhook runs, for a query with a tab or
    line break in it, or one that looks like an exploit (its own patterns).
    """
    query = URL(f"{PATH}?{_raw_query(probe)}", encoded=True).query_string
    if any(byte in query for byte in UNSAFE_URL_BYTES):
        return True
    text = f"{PATH}?{query}"
    while (unquoted := unquote(text)) != text:
        text = unquoted
    return FILTERS.search(text) is not None


def _valid(probe: Probe) -> bool:
    """Whether the request carries a secret the webhook must accept.

    The entry's secret is accepted, then holds only for calls received: a
    callback it tells of a call Home Assistant placed is refused (401).
    """
    return probe.key.kind in {"call", "entry"}


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
    def record_signal(kind: str, data: dict[str, Any], _context: Context) -> None:
        seen.signals.append((kind, dict(data)))

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
    raw = _raw_query(probe)
    url = URL(PATH + ("?" + raw if raw else ""), encoded=True)
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
    if _filtered(probe):
        assert reply.status == 400, (probe, reply)
        assert new_events == 0, (probe, reply)
        return
    if probe.method.upper() in {"GET", "POST"} and not valid:
        if probe.oversized_headers and reply.status in {400, 431}:
            return  # the HTTP server refused the request before the webhook saw it
        assert reply.status == 401, (probe, reply)
        # No challenge: no credentials a browser could offer open the webhook.
        assert "WWW-Authenticate" not in reply.headers
        assert reply.body == b""
    # The Voice application's URL never speaks for the call placed.
    if (
        probe.key.kind == "entry"
        and probe.call_id == CALL_ID
        and probe.event_type != "initiate"
    ):
        assert new_events == 0, (probe, reply)
    if (
        probe.method.upper() in {"GET", "POST"}
        and valid
        and not probe.oversized_headers
    ):
        assert reply.status in {200, 204, 400, 401}, (probe, reply)
        if reply.status == 401:
            assert probe.key.kind == "entry", (probe, reply)
            assert new_events == 0, (probe, reply)
        # At most one event, none for a refused request or the hold loop.
        assert new_events <= (0 if reply.status == 400 else 1), (probe, reply)
        if new_events:
            assert probe.call_id is not None, (probe, reply)
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
        if calls.by_ref(CALL_REF) is None:
            calls.add(fuzz_call())
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
    call = fuzz_call()
    init_integration.runtime_data.calls.add(call)
    client = await hass_client_no_auth()
    for auth, key in (
        (Auth(None, "none"), NO_KEY),
        (Auth(basic(CALLBACK_USERNAME, "wrong"), "invalid"), NO_KEY),
        (Auth(None, "none"), Key((("ref", CALL_REF), ("key", "wrong")), "invalid")),
        (Auth(None, "none"), CALL_KEY),
        (Auth(basic(CALLBACK_USERNAME, CALLBACK_PASSWORD), "invalid"), NO_KEY),
        (Auth(None, "none"), ENTRY_KEY),
    ):
        probe = Probe("POST", auth, key, body=body, content_type=content_type)
        reply = await _send(client, probe)
        await hass.async_block_till_done()
        expected = 400 if _valid(probe) else 401
        assert reply.status == expected, (auth, key)
        check_reply(probe, reply, len(observed.events))
    assert observed.events == []
    assert observed.errors == []
    assert init_integration.runtime_data.calls.by_ref(CALL_REF) is call


@pytest.mark.parametrize(
    ("authorization", "params", "expected"),
    [
        (basic(CALLBACK_USERNAME, CALLBACK_PASSWORD), {}, []),
        (None, {"key": INBOUND_SECRET}, [INBOUND_SECRET]),
        (None, {"key": "wrong"}, [INBOUND_SECRET]),
        (None, {"ref": CALL_REF, "key": CALL_SECRET}, [CALL_SECRET]),
        (None, {"ref": CALL_REF, "key": "wrong"}, [CALL_SECRET]),
        (None, {"ref": "unknown", "key": CALL_SECRET}, ["-"]),
    ],
)
async def test_credential_check_does_the_same_work_either_way(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    authorization: str | None,
    params: dict[str, str],
    expected: list[str],
) -> None:
    """Secrets are compared in full, in constant time, whatever was sent.

    How long the check takes so does not tell a right username, or a right
    password under a wrong username, from a wrong one; a call's secret is
    compared whole even when it is wrong from its first character.
    """
    init_integration.runtime_data.calls.add(fuzz_call())
    client = await hass_client_no_auth()
    compared: list[tuple[bytes, bytes]] = []
    real = webhook_module.hmac.compare_digest

    def counting(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return real(given, expected)

    body = {"eventType": "disconnect", "callId": CALL_ID}
    headers = {} if authorization is None else {"Authorization": authorization}
    with patch.object(webhook_module.hmac, "compare_digest", counting):
        await client.post(PATH, json=body, params=params, headers=headers)
    assert [secret.decode() for _, secret in compared] == expected


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
    bandwidth_sandbox.rate_limit = None
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    # The calls per hour have tests of their own. Options apply first: the
    # pace is set from them.
    hass.config_entries.async_update_entry(
        entry,
        options={**entry.options, CONF_MAX_CALLS_PER_HOUR: MAX_CALLS_PER_HOUR},
    )
    await hass.async_block_till_done()
    entry.runtime_data.client.calls_per_second = 10**6
    client = await hass_client_no_auth()
    bridge = Bridge(hass)

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
        params = query(entry.runtime_data.calls.by_call_id(call_id))
        result = "answering-machine" if machine else "human"
        callback = {
            "eventType": "answer",
            "callId": call_id,
            "tag": tag,
            "machineDetectionResult": {"value": result, "duration": "PT1S"},
        }
        before = len(observed.events)
        reply = await client.post(PATH, json=callback, params=params)
        assert reply.status == 200
        answered = await reply.read()
        reply = await client.post(
            PATH,
            json={"eventType": "gather", "callId": call_id, "digits": "1", "tag": tag},
            params=params,
        )
        goodbye = await reply.read()
        await client.post(
            PATH, json={"eventType": "disconnect", "callId": call_id}, params=params
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
