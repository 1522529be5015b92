"""The webhook receiving Bandwidth's callbacks and answering them with BXML.

Bandwidth first sends each callback without credentials and retries with
HTTP Basic only after a 401 naming the Basic scheme, so every request without
valid credentials gets that challenge and nothing else. Answers are built from
what is in memory: no network I/O while Bandwidth waits.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, Final

from aiohttp.hdrs import AUTHORIZATION, METH_GET, METH_POST, WWW_AUTHENTICATE
from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.network import NoURLAvailableError

from . import bxml
from .callback import (
    CALLBACK_ANSWER,
    CALLBACK_DISCONNECT,
    CALLBACK_GATHER,
    CALLBACK_MACHINE_DETECTION_COMPLETE,
    CALLBACK_REDIRECT,
    CallbackEvent,
    InvalidCallbackError,
    decode_json_body,
    is_machine,
    parse_callback,
    peek_call_id,
)
from .calls import CallScript, CallStore
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_CALLBACK_PASSWORD,
    CONF_CALLBACK_USERNAME,
    CONF_CLOUDHOOK_URL,
    DOMAIN,
    EVENT_CALL_ANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALLBACK,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
    EVENT_TYPE_ANSWERED,
    EVENT_TYPE_CALLBACK,
    EVENT_TYPE_DISCONNECTED,
    EVENT_TYPE_GATHER_COMPLETE,
    EVENT_TYPE_MACHINE_DETECTION_COMPLETE,
    LOGGER,
    SIGNAL_CALL_EVENT,
)
from .data import BandwidthConfigEntry

CLOUD_DOMAIN: Final = "cloud"
REALM: Final = "bandwidth"
CHALLENGE: Final = f'Basic realm="{REALM}"'
# Bandwidth's callbacks are small; BXML documents are capped at 64 KB too.
MAX_BODY_SIZE: Final = 64 * 1024
# While asynchronous machine detection runs, the call waits in a silent
# Pause/Redirect loop; after this many rounds it stops waiting and plays the
# script meant for a person.
KEEP_ALIVE_PAUSE: Final = 1.0  # seconds
MAX_KEEP_ALIVES: Final = 60

# Bandwidth eventType -> (event fired on the bus, event entity event type).
EVENTS: Final[dict[str, tuple[str, str]]] = {
    CALLBACK_ANSWER: (EVENT_CALL_ANSWERED, EVENT_TYPE_ANSWERED),
    CALLBACK_MACHINE_DETECTION_COMPLETE: (
        EVENT_MACHINE_DETECTION_COMPLETE,
        EVENT_TYPE_MACHINE_DETECTION_COMPLETE,
    ),
    CALLBACK_GATHER: (EVENT_GATHER_COMPLETE, EVENT_TYPE_GATHER_COMPLETE),
    CALLBACK_DISCONNECT: (EVENT_CALL_DISCONNECTED, EVENT_TYPE_DISCONNECTED),
}

type Credentials = tuple[str, str]


async def async_setup_webhook(hass: HomeAssistant, entry: BandwidthConfigEntry) -> None:
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

    if CONF_CLOUDHOOK_URL not in entry.data and _cloud_active(hass):
        from homeassistant.components import cloud  # noqa: PLC0415

        try:
            cloudhook_url = await cloud.async_create_cloudhook(hass, webhook_id)
        except HomeAssistantError as err:
            LOGGER.warning("Could not create a Home Assistant Cloud webhook: %s", err)
        else:
            hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_CLOUDHOOK_URL: cloudhook_url}
            )


async def async_remove_webhook(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> None:
    """Delete the cloudhook made for a removed entry."""
    if (
        CONF_CLOUDHOOK_URL not in entry.data
        or CLOUD_DOMAIN not in hass.config.components
    ):
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    except HomeAssistantError as err:
        LOGGER.debug("Could not delete the Home Assistant Cloud webhook: %s", err)


@callback
def async_get_webhook_url(hass: HomeAssistant, entry: BandwidthConfigEntry) -> str:
    """Return the URL Bandwidth should send the entry's callbacks to.

    Raises:
        NoURLAvailableError: no cloudhook and no external URL is configured.

    """
    if (cloudhook_url := entry.data.get(CONF_CLOUDHOOK_URL)) and _cloud_active(hass):
        return str(cloudhook_url)
    return webhook.async_generate_url(
        hass, entry.data[CONF_WEBHOOK_ID], allow_internal=False, prefer_external=True
    )


def _cloud_active(hass: HomeAssistant) -> bool:
    # Importing the cloud component without it being set up would pull in its
    # dependencies for nothing (or fail where they are missing).
    if CLOUD_DOMAIN not in hass.config.components:
        return False
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud.async_active_subscription(hass)


class CallbackHandler:
    """Answers the callbacks of one config entry's calls."""

    def __init__(self, hass: HomeAssistant, entry: BandwidthConfigEntry) -> None:
        """Handle callbacks for an entry whose runtime data is set."""
        self.hass = hass
        self.entry = entry
        self.calls: CallStore = entry.runtime_data.calls

    async def async_handle(
        self, _hass: HomeAssistant, webhook_id: str, request: Request
    ) -> Response:
        """Authenticate, check and answer one callback."""
        if (given := _basic_credentials(request)) is None:
            return _challenge()

        fields: dict[str, Any] = {}
        error: InvalidCallbackError | None = None
        try:
            fields = await _async_read_fields(request)
        except InvalidCallbackError as err:
            error = err
        # Per-call credentials only count for callbacks about that call.
        call_id = peek_call_id(fields)
        script = self.calls.get(call_id) if call_id is not None else None
        accepted = _accepted(self.entry, script)
        if (credentials := _authenticate(given, accepted)) is None:
            LOGGER.debug("Wrong credentials on a callback to webhook %s", webhook_id)
            return _challenge()

        try:
            if error is not None:
                raise error
            event = parse_callback(fields, from_query=request.method == METH_GET)
        except InvalidCallbackError as err:
            LOGGER.debug(
                "Ignoring a malformed callback to webhook %s: %s", webhook_id, err
            )
            return Response(status=HTTPStatus.BAD_REQUEST)

        self._fire_events(event)
        self.calls.record(event.call_id, event.event_type)
        return self._answer(event, script, credentials)

    @callback
    def _fire_events(self, event: CallbackEvent) -> None:
        """Tell automations and the event entity about a callback."""
        bus_event, entity_event = EVENTS.get(
            event.event_type, (EVENT_CALLBACK, EVENT_TYPE_CALLBACK)
        )
        data = {**event.data, ATTR_CONFIG_ENTRY_ID: self.entry.entry_id}
        self.hass.bus.async_fire(bus_event, data)
        async_dispatcher_send(
            self.hass,
            SIGNAL_CALL_EVENT.format(self.entry.entry_id),
            entity_event,
            dict(data),
        )

    @callback
    def _answer(
        self, event: CallbackEvent, script: CallScript | None, credentials: Credentials
    ) -> Response:
        """Return what Bandwidth expects in reply to a callback."""
        call_id = event.call_id
        if event.event_type in (CALLBACK_ANSWER, CALLBACK_REDIRECT):
            if script is None:
                return _bxml(bxml.hangup())
            # Synchronous machine detection reports its result on the answer.
            self.calls.set_machine_result(call_id, event.machine_detection_result)
            return _bxml(self._play_or_wait(call_id, script, credentials))
        if event.event_type == CALLBACK_MACHINE_DETECTION_COMPLETE:
            self.calls.set_machine_result(call_id, event.machine_detection_result)
            # A script without content only carries credentials: the call's
            # BXML comes from elsewhere.
            if script is not None and script.has_content:
                # Bandwidth itself ignores this reply; the call waiting in the
                # keep-alive loop picks the result up at its next redirect.
                return _bxml(
                    bxml.play_script(
                        script,
                        machine=is_machine(event.machine_detection_result),
                        gather_url=self._callback_url(script),
                        credentials=credentials,
                    )
                )
        elif event.event_type == CALLBACK_GATHER:
            return _bxml(bxml.goodbye(script.voice if script is not None else None))
        elif event.event_type == CALLBACK_DISCONNECT:
            self.calls.remove(call_id)
        return Response(status=HTTPStatus.NO_CONTENT)

    @callback
    def _play_or_wait(
        self, call_id: str, script: CallScript, credentials: Credentials
    ) -> bytes:
        """Play the script, or hold the call until machine detection is done."""
        url = self._callback_url(script)
        result = self.calls.machine_result(call_id)
        if script.machine_detection == "async" and result is None:
            if self.calls.count_keep_alive(call_id) <= MAX_KEEP_ALIVES:
                return bxml.keep_alive(
                    url, pause=KEEP_ALIVE_PAUSE, credentials=credentials
                )
            LOGGER.debug("No machine detection result for call %s in time", call_id)
        return bxml.play_script(
            script, machine=is_machine(result), gather_url=url, credentials=credentials
        )

    @callback
    def _callback_url(self, script: CallScript) -> str:
        """Return where the call's next callbacks go: where it was placed to."""
        if script.webhook_url is not None:
            return script.webhook_url
        try:
            return async_get_webhook_url(self.hass, self.entry)
        except NoURLAvailableError:
            # Bandwidth resolves a relative URL against the one it just called.
            return webhook.async_generate_path(self.entry.data[CONF_WEBHOOK_ID])


def _basic_credentials(request: Request) -> tuple[bytes, bytes] | None:
    """Return the (username, password) of a Basic Authorization header."""
    scheme, _, token = request.headers.get(AUTHORIZATION, "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except ValueError:  # binascii.Error, or text that is not even ASCII
        return None
    username, colon, password = decoded.partition(b":")
    if not colon:
        return None
    return username, password


def _accepted(
    entry: BandwidthConfigEntry, script: CallScript | None
) -> list[Credentials]:
    """Return the credential pairs accepted for a callback about a call."""
    accepted = [
        (entry.data.get(CONF_CALLBACK_USERNAME), entry.data.get(CONF_CALLBACK_PASSWORD))
    ]
    if script is not None:
        accepted.extend(script.credentials)
    # An unset username must never match an Authorization header of ":";
    # an empty password is what Bandwidth sends for a username given alone.
    return [
        (username, password)
        for username, password in accepted
        if isinstance(username, str) and username and isinstance(password, str)
    ]


def _authenticate(
    given: tuple[bytes, bytes], accepted: Iterable[Credentials]
) -> Credentials | None:
    """Return the accepted pair matching the given one, comparing them all."""
    username, password = given
    matched: Credentials | None = None
    for candidate in accepted:
        # "&", not "and": the password is compared even after a wrong
        # username, so timing does not tell valid usernames apart.
        if hmac.compare_digest(username, candidate[0].encode()) & hmac.compare_digest(
            password, candidate[1].encode()
        ):
            matched = matched or candidate
    return matched


async def _async_read_fields(request: Request) -> dict[str, Any]:
    """Return a callback's fields: the query of a GET, the JSON of a POST.

    Raises:
        InvalidCallbackError: the body is too large or not a JSON object.

    """
    if request.method == METH_GET:
        return dict(request.query)
    body = bytearray()
    # Read one byte past the limit at most, whatever Content-Length claims.
    while chunk := await request.content.read(MAX_BODY_SIZE + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY_SIZE:
            raise InvalidCallbackError(f"body larger than {MAX_BODY_SIZE} bytes")
    return decode_json_body(bytes(body))


def _challenge() -> Response:
    return Response(
        status=HTTPStatus.UNAUTHORIZED, headers={WWW_AUTHENTICATE: CHALLENGE}
    )


def _bxml(document: bytes) -> Response:
    return Response(body=document, content_type=bxml.CONTENT_TYPE, charset=bxml.CHARSET)
