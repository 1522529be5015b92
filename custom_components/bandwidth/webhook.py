"""The webhook receiving Bandwidth's callbacks: authenticate, parse, fire, respond.

Every call is created with callback URLs that carry, in their query string,
the call's reference and a secret of its own; a callback proves itself by
that secret, compared in constant time, so it is answered in the one HTTP
exchange Bandwidth makes. No response header is needed for that, which
matters behind Home Assistant Cloud: its relay returns only the status, the
body and the content type.

Each secret opens only what it must. A call's own secret opens that call's
callbacks. The entry's inbound secret, in the URL given to the Voice
application, opens the `initiate` of a call received and the callbacks of
calls received (the disconnect of one turned away at once included), never
those of a call Home Assistant placed.

What a callback gets in reply is decided in replies.py.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Final, Literal

from aiohttp.hdrs import CONTENT_LENGTH, METH_GET, METH_POST
from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.util.aiohttp import MockRequest

from . import bxml
from .assist_calls import async_follow_stream
from .call_store import CallStore
from .calls import QUERY_KEY, QUERY_REF, QUERY_STEP, LiveCall
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_INBOUND_SECRET,
    DOMAIN,
    LOGGER,
)
from .data import BandwidthConfigEntry
from .kinds import BY_CALLBACK, OTHER
from .parse import (
    ATTR_CONTACT,
    ATTR_RINGING,
    CALLBACK_DISCONNECT,
    CALLBACK_INITIATE,
    CallbackEvent,
    InvalidCallbackError,
    decode_json_body,
    parse_callback,
)
from .replies import INTERNAL_EVENTS, CallFlow
from .signals import async_fire_call_event
from .voicemail import RECORDING_CALLBACKS
from .voicemail_messages import Expected

# Bandwidth's callbacks are small; BXML documents are capped at 64 KB too.
MAX_BODY_SIZE: Final = 64 * 1024
# Our own query parameters, never part of a GET callback's fields.
OWN_PARAMETERS: Final = frozenset({QUERY_REF, QUERY_KEY, QUERY_STEP})

# What a call to the application's numbers does once Home Assistant answered
# it (with Assist, a PIN prompt, or an automation's step).
# A call received that reached voicemail was answered too (by the house), so
# it is not a missed call.
# So was a call screened.
ANSWERED_PHASES: Final = frozenset(
    {"playing", "holding", "conversing", "pin", "recording", "screening", "screened"}
)
# Phases of a call received whose recording callbacks come while it is live.
RECORDING_PHASES: Final = frozenset({"recording", "screening", "screened"})


@callback
def async_setup_webhook(hass: HomeAssistant, entry: BandwidthConfigEntry) -> None:
    """Start receiving the entry's callbacks; stop when the entry unloads."""
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        CallbackHandler(hass, entry).async_handle,
        local_only=False,
        allowed_methods=[METH_GET, METH_POST],
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))
    # A reload sets up a new store reading the same file: write pending changes.
    entry.async_on_unload(entry.runtime_data.calls.async_unload)


class _Unauthenticated(Exception):  # noqa: N818 - a control-flow signal
    """The request proves nothing: answer 401 and do nothing else."""


# What a request proved: the secret of this live call, or the entry's own
# secret (the URL given to the Voice application for calls received), or the
# secret of a voicemail call that ended (its recording's callbacks).
ENTRY: Final = "entry"
# Calls received and turned away at once, whose disconnect (sent to the
# Voice application's URL) is still to come: the entry's secret may tell it.
MAX_REJECTED: Final = 500
type Proof = LiveCall | Expected | Literal["entry"]


class CallbackHandler:
    """Answers the callbacks of one config entry's calls."""

    def __init__(self, hass: HomeAssistant, entry: BandwidthConfigEntry) -> None:
        """Handle callbacks for an entry whose runtime data is set."""
        self.hass = hass
        self.entry = entry
        self.runtime = entry.runtime_data
        self.calls: CallStore = entry.runtime_data.calls
        self.flow: CallFlow = entry.runtime_data.flow
        # Calls received and turned away at once, by call id (oldest first).
        self._rejected: OrderedDict[str, None] = OrderedDict()

    def _received(self, call: LiveCall | None, call_id: str) -> bool:
        """Tell whether a call is one the Voice application's URL told us of."""
        if call is None:
            return call_id in self._rejected
        return call.direction == "inbound"

    async def async_handle(
        self, _hass: HomeAssistant, webhook_id: str, request: Request | MockRequest
    ) -> Response:
        """Authenticate, check and answer one callback."""
        try:
            fields: dict[str, Any] | None = await _async_read_fields(request)
        except InvalidCallbackError as err:
            LOGGER.debug("Malformed callback to webhook %s: %s", webhook_id, err)
            fields = None
        try:
            proof = self._authenticate(request)
        except _Unauthenticated:
            LOGGER.debug("Unauthenticated request to webhook %s", webhook_id)
            return Response(status=HTTPStatus.UNAUTHORIZED)

        try:
            if fields is None:
                raise InvalidCallbackError("unreadable body")  # noqa: TRY301
            event = parse_callback(fields, from_query=request.method == METH_GET)
        except InvalidCallbackError as err:
            LOGGER.debug("Ignoring a malformed callback to %s: %s", webhook_id, err)
            return Response(status=HTTPStatus.BAD_REQUEST)
        if event.call_id is None:
            # About no call (conference events, say): nothing we asked for.
            return Response(status=HTTPStatus.NO_CONTENT)
        if isinstance(proof, Expected) or (
            isinstance(proof, LiveCall)
            and proof.phase in RECORDING_PHASES
            and event.event_type in RECORDING_CALLBACKS
        ):
            assert fields is not None  # noqa: S101 - parsed above
            return self._recording(proof, event, fields)
        return self._answer(proof, event, _step(request))

    @callback
    def _recording(
        self,
        proof: LiveCall | Expected | None,
        event: CallbackEvent,
        fields: dict[str, Any],
    ) -> Response:
        """Hand a recording callback to call screening or the voicemail box.

        A screened caller's answer goes to screening (its callbacks may come
        once the call went to voicemail). A call that ended proves only its
        recording's callbacks; they fire no event: the message's own comes
        once it is stored, the screening's once its reason is known.
        Recording callbacks of other calls are news like any other callback.
        """
        if event.event_type not in RECORDING_CALLBACKS:
            LOGGER.debug("An ended call's secret was given for a %s", event.event_type)
            return Response(status=HTTPStatus.UNAUTHORIZED)
        screener = self.runtime.screener
        phase = proof.phase if isinstance(proof, LiveCall) else None
        assert proof is not None  # noqa: S101 - the caller checks
        if screener.claims(proof.ref, phase, fields):
            screener.receive(proof.ref, event.event_type, fields)
            return Response(status=HTTPStatus.NO_CONTENT)
        box = self.runtime.voicemail
        if isinstance(proof, LiveCall):
            # The recording may be ready before the call's disconnect.
            self._expect(proof, event)
            proof = box.expected(proof.ref)
        if isinstance(proof, Expected):
            box.receive(proof, event.event_type, fields)
        return Response(status=HTTPStatus.NO_CONTENT)

    @callback
    def _expect(self, call: LiveCall, event: CallbackEvent) -> None:
        """Keep a voicemail call's secret for its recording, once it may end."""
        if call.phase != "recording" or call.call_id != event.call_id:
            return
        contact = self.runtime.contacts.get(call.contact or "")
        self.runtime.voicemail.expect(
            call, event.data, contact.name if contact is not None else None
        )

    @callback
    def _receive(self, event: CallbackEvent) -> tuple[LiveCall | None, bytes]:
        """Take a call to the application's numbers: its call, if kept, and BXML."""
        assert event.call_id is not None  # noqa: S101 - the caller checks
        contact = self.runtime.contacts.by_number(event.data.get("from"))
        event.data[ATTR_CONTACT] = contact.name if contact is not None else None
        call, document = self.flow.receive(event)
        if call is None:
            self._rejected[event.call_id] = None
            while len(self._rejected) > MAX_REJECTED:
                self._rejected.popitem(last=False)
        # Whether automations can still answer it (update_call).
        event.data[ATTR_RINGING] = call is not None and call.phase == "ringing"
        return call, document

    @callback
    def _answer(
        self, proof: LiveCall | Literal["entry"], event: CallbackEvent, step: int | None
    ) -> Response:
        """Move the call along, tell automations, and reply to Bandwidth."""
        assert event.call_id is not None  # noqa: S101 - the caller checks
        document: bytes | None
        call: LiveCall | None
        private = False
        if event.event_type == CALLBACK_INITIATE:
            if proof != ENTRY:
                LOGGER.debug("A call's own URL was given for a call received")
                return Response(status=HTTPStatus.BAD_REQUEST)
            call, document = self._receive(event)
        else:
            if proof == ENTRY:
                # The Voice application's URL speaks for the calls it
                # received, never for a call Home Assistant placed.
                call = self.calls.by_call_id(event.call_id)
                if not self._received(call, event.call_id):
                    LOGGER.debug("The entry's URL was given for another call")
                    return Response(status=HTTPStatus.UNAUTHORIZED)
            else:
                call = proof
                if call.call_id not in (None, event.call_id):
                    LOGGER.debug(
                        "Callback of call %s claims another call", call.call_id
                    )
                    return Response(status=HTTPStatus.BAD_REQUEST)
                self.calls.bind(call, event.call_id)
            private = self.flow.private(call, event)
            self.flow.check_pin(call, event)
            if call is not None and event.event_type == CALLBACK_DISCONNECT:
                self._expect(call, event)
            document = self.flow.reply(call, event, step)
            if call is not None:
                async_follow_stream(self.hass, self.entry, call, event)
        if (
            call is not None
            and call.direction == "inbound"
            and call.phase in ANSWERED_PHASES
        ):
            self.runtime.watcher.answered(event.call_id, event.data.get("event_time"))
        if event.event_type not in INTERNAL_EVENTS and not private:
            self.runtime.watcher.observe(event)
            self._fire_events(event)
        return _respond(document)

    @callback
    def _authenticate(self, request: Request | MockRequest) -> Proof:
        """Return what a request proves: its call's secret or the entry's.

        Raises:
            _Unauthenticated: it proves neither.

        """
        query = request.query
        key = query.get(QUERY_KEY)
        if key is not None:
            if (ref := query.get(QUERY_REF)) is not None:
                call = self.calls.by_ref(ref)
                # Compared even for an unknown reference: timing tells nothing.
                secret = call.secret if call is not None else "-"
                if _same(key, secret) and call is not None:
                    return call
                expected = self.runtime.voicemail.expected(ref)
                if expected is not None and _same(key, expected.secret):
                    return expected
            elif _same(key, self.entry.data.get(CONF_INBOUND_SECRET) or "-"):
                return ENTRY
        raise _Unauthenticated

    @callback
    def _fire_events(self, event: CallbackEvent) -> None:
        """Tell automations and the event entity about a callback."""
        assert event.call_id is not None  # noqa: S101 - callers check
        kind = BY_CALLBACK.get(event.event_type, OTHER)
        data = {**event.data, ATTR_CONFIG_ENTRY_ID: self.entry.entry_id}
        async_fire_call_event(
            self.hass, self.entry.entry_id, kind.event, kind.key, data
        )
        self.calls.record(event.call_id, event.event_type)


def _same(given: str, secret: str) -> bool:
    """Compare a secret in constant time."""
    return hmac.compare_digest(given.encode(), secret.encode())


def _step(request: Request | MockRequest) -> int | None:
    """Return the step a redirect's URL names, if any."""
    step = request.query.get(QUERY_STEP, "")
    return int(step) if step.isdigit() and len(step) < 10 else None  # noqa: PLR2004


def _respond(document: bytes | None) -> Response:
    """Return BXML, or an empty 204 when there is none to give."""
    if document is None:
        return Response(status=HTTPStatus.NO_CONTENT)
    return Response(body=document, content_type=bxml.CONTENT_TYPE, charset=bxml.CHARSET)


async def _async_read_fields(request: Request | MockRequest) -> dict[str, Any]:
    """Return a callback's fields: the query of a GET, the JSON of a POST.

    Raises:
        InvalidCallbackError: the body is too large or not a JSON object.

    """
    if request.method == METH_GET:
        return {
            name: value
            for name, value in request.query.items()
            if name not in OWN_PARAMETERS
        }
    declared = request.headers.get(CONTENT_LENGTH, "")
    if declared.isdigit() and int(declared) > MAX_BODY_SIZE:
        raise InvalidCallbackError(f"body larger than {MAX_BODY_SIZE} bytes")
    # One reader for the whole body: Home Assistant Cloud's MockRequest hands
    # out a new reader, from the start, on every access to .content.
    reader = request.content
    body = bytearray()
    # Read one byte past the limit at most, whatever Content-Length claims.
    # (The cloud's MockStreamReader has read() alone: no at_eof() to skip the
    # last, empty read.)
    while chunk := await reader.read(MAX_BODY_SIZE + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY_SIZE:
            raise InvalidCallbackError(f"body larger than {MAX_BODY_SIZE} bytes")
    return decode_json_body(bytes(body))
