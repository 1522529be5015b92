"""Reading Bandwidth's callbacks, whether sent as JSON bodies or query strings.

Parsing is lenient wherever it can be: Bandwidth adds fields over time and a
field of the wrong type that the integration can live without is dropped,
never a reason to refuse a callback (a refused answer callback would end the
call). Only a request that cannot be a callback at all is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.util.json import json_loads

from . import kinds
from .identity import caller_verified

# Bandwidth eventType values the integration acts on. Those that are kinds
# of call event are described in kinds.py.
CALLBACK_ANSWER: Final = kinds.ANSWERED.callback
CALLBACK_MACHINE_DETECTION_COMPLETE: Final = kinds.MACHINE_DETECTION_COMPLETE.callback
CALLBACK_GATHER: Final = kinds.GATHER_COMPLETE.callback
CALLBACK_DISCONNECT: Final = kinds.DISCONNECTED.callback
CALLBACK_REDIRECT: Final = "redirect"
CALLBACK_INITIATE: Final = kinds.RECEIVED.callback
CALLBACK_TRANSFER_ANSWER: Final = kinds.TRANSFER_ANSWERED.callback
CALLBACK_TRANSFER_COMPLETE: Final = kinds.TRANSFER_COMPLETE.callback
CALLBACK_TRANSFER_DISCONNECT: Final = "transferDisconnect"
# How a conversation's media stream fares (StartStream's streamEventUrl).
CALLBACK_MEDIA_STREAM_STARTED: Final = "mediaStreamStarted"
CALLBACK_MEDIA_STREAM_STOPPED: Final = "mediaStreamStopped"
CALLBACK_MEDIA_STREAM_REJECTED: Final = "mediaStreamRejected"
# Callbacks about the called party of a transfer: callId is that leg's,
# parentCallId the call's that transferred.
TRANSFER_LEG_CALLBACKS: Final = frozenset(
    {CALLBACK_TRANSFER_ANSWER, CALLBACK_TRANSFER_DISCONNECT}
)

# machineDetectionResult values. The list is open-ended: anything else
# (silence, timeout, error, values yet to come) is not known to be a machine,
# so the person's script plays.
RESULT_HUMAN: Final = "human"
RESULT_ANSWERING_MACHINE: Final = "answering-machine"
# Sent instead of answering-machine when an end-of-greeting beep was heard.
RESULT_TONE_DETECTED: Final = "tone-detected"
MACHINE_RESULTS: Final = frozenset({RESULT_ANSWERING_MACHINE, RESULT_TONE_DETECTED})

ATTR_EVENT_TYPE: Final = "event_type"
ATTR_CALL_ID: Final = "call_id"
ATTR_MACHINE_DETECTION_RESULT: Final = "machine_detection_result"
ATTR_VALUE: Final = "value"
ATTR_DURATION: Final = "duration"
ATTR_PARENT_CALL_ID: Final = "parent_call_id"
ATTR_TRANSFER_CALL_ID: Final = "transfer_call_id"
ATTR_STIR_SHAKEN: Final = "stir_shaken"
ATTR_DIVERSION: Final = "diversion"
ATTR_CALLER_VERIFIED: Final = "caller_verified"
ATTR_RINGING: Final = "ringing"
ATTR_CONTACT: Final = "contact"
# Instead of the digits of a gather asking for the contact's PIN.
ATTR_PIN_VALID: Final = "pin_valid"

# The callback fields passed on, by Bandwidth's name. Only these: other
# fields are neither checked nor copied.
STRING_FIELDS: Final[Mapping[str, str]] = {
    "eventType": ATTR_EVENT_TYPE,
    "callId": ATTR_CALL_ID,
    "accountId": "account_id",
    "applicationId": "application_id",
    "from": "from",
    "to": "to",
    "direction": "direction",
    "tag": "tag",
    "eventTime": "event_time",
    "startTime": "start_time",
    "answerTime": "answer_time",
    "endTime": "end_time",
    "cause": "cause",
    "errorMessage": "error_message",
    "errorId": "error_id",
    "digits": "digits",
    "terminatingDigit": "terminating_digit",
    "parentCallId": ATTR_PARENT_CALL_ID,
    "transferCallerId": "transfer_caller_id",
    "transferTo": "transfer_to",
}
MACHINE_DETECTION_RESULT: Final = "machineDetectionResult"
# Objects passed on with their keys in snake_case: which keys, for each.
# diversion's keys vary with the SIP header: all of them are kept.
OBJECTS: Final[Mapping[str, tuple[str, tuple[str, ...] | None]]] = {
    "stirShaken": (
        ATTR_STIR_SHAKEN,
        ("verstat", "attestationIndicator", "originatingId"),
    ),
    "diversion": (ATTR_DIVERSION, None),
}


class InvalidCallbackError(ValueError):
    """A request that is not a Bandwidth callback."""


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    """One callback, checked, with its fields renamed for the event bus.

    ``data`` holds the fields Bandwidth sent among those listed above, in
    snake_case: a field absent from the callback (or sent with a type
    Bandwidth never uses) is absent from ``data``, one sent as null is None.
    ``machine_detection_result``, when sent, always has both ``value`` and
    ``duration`` keys (None when missing). ``call_id`` is None for callbacks
    about no call (conferences, say), which the integration never asks for.
    """

    event_type: str
    call_id: str | None
    machine_detection_result: str | None
    data: dict[str, Any]


def is_machine(result: str | None) -> bool:
    """Tell whether a machine detection result means a machine answered."""
    return result in MACHINE_RESULTS


def decode_json_body(body: bytes) -> dict[str, Any]:
    """Return the JSON object a POST callback carries.

    Raises:
        InvalidCallbackError: the body is not a JSON object.

    """
    try:
        fields = json_loads(body)
    except ValueError as err:
        raise InvalidCallbackError(f"body is not JSON: {err}") from err
    if not isinstance(fields, dict):
        raise InvalidCallbackError("body is not a JSON object")
    return fields


def peek_call_id(fields: Mapping[str, Any]) -> str | None:
    """Return the call a request claims to be about, before checking it."""
    call_id = fields.get("callId")
    return call_id if isinstance(call_id, str) and call_id else None


def parse_callback(fields: Mapping[str, Any], *, from_query: bool) -> CallbackEvent:
    """Check a callback's fields and rename them for the event bus.

    ``from_query`` says the fields came from a GET query string, where every
    value is text and machineDetectionResult is either JSON text or spread
    over dotted names (machineDetectionResult.value=...).

    Raises:
        InvalidCallbackError: there is no eventType.

    """
    event_type = fields.get("eventType")
    if not isinstance(event_type, str) or not event_type:
        raise InvalidCallbackError("eventType is missing")

    # In the callback's order: it has fewer fields than STRING_FIELDS knows.
    data: dict[str, Any] = {
        key: value
        for name, value in fields.items()
        if (key := STRING_FIELDS.get(name)) is not None
        and (value is None or isinstance(value, str))
    }
    call_id = peek_call_id(fields)
    if call_id is None:
        data.pop(ATTR_CALL_ID, None)
    elif event_type in TRANSFER_LEG_CALLBACKS:
        # Told about as the call that transferred, the one automations know;
        # the called party's own call is transfer_call_id.
        parent = data.pop(ATTR_PARENT_CALL_ID, None)
        data[ATTR_TRANSFER_CALL_ID] = call_id
        call_id = parent or None
        if call_id is None:
            data.pop(ATTR_CALL_ID)
        else:
            data[ATTR_CALL_ID] = call_id

    result: str | None = None
    detection = _object(
        fields, MACHINE_DETECTION_RESULT, (ATTR_VALUE, ATTR_DURATION), from_query
    )
    if detection is not None:
        data[ATTR_MACHINE_DETECTION_RESULT] = detection
        result = detection[ATTR_VALUE]
    for name, (key, keys) in OBJECTS.items():
        if (value := _object(fields, name, keys, from_query)) is not None:
            data[key] = {_snake(item): text for item, text in value.items()}
    if event_type == CALLBACK_INITIATE:
        # Only a caller ID STIR/SHAKEN verified counts: any other can be forged.
        data[ATTR_CALLER_VERIFIED] = caller_verified(data.get(ATTR_STIR_SHAKEN))

    return CallbackEvent(
        event_type=event_type,
        call_id=call_id,
        machine_detection_result=result,
        data=data,
    )


def _object(
    fields: Mapping[str, Any],
    name: str,
    keys: tuple[str, ...] | None,
    from_query: bool,  # noqa: FBT001
) -> dict[str, str | None] | None:
    """Return an object field in any form Bandwidth sends it.

    ``keys`` are the keys kept, each present (None when missing or not text);
    None keeps every key whose value is text.
    """
    value = fields.get(name)
    if from_query:
        prefix = f"{name}."
        dotted = {
            key.removeprefix(prefix): item
            for key, item in fields.items()
            if key.startswith(prefix)
        }
        if dotted:
            value = dotted
        elif isinstance(value, str):
            try:
                value = json_loads(value)
            except ValueError:
                return None
    if not isinstance(value, dict):
        return None
    if keys is None:
        return {str(key): item for key, item in value.items() if isinstance(item, str)}
    return {
        key: item if isinstance(item := value.get(key), str) else None for key in keys
    }


def _snake(name: str) -> str:
    """Return a camelCase name in snake_case: attestationIndicator -> attestation_indicator."""
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)
