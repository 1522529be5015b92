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

# Bandwidth eventType values the integration acts on.
CALLBACK_ANSWER: Final = "answer"
CALLBACK_MACHINE_DETECTION_COMPLETE: Final = "machineDetectionComplete"
CALLBACK_GATHER: Final = "gather"
CALLBACK_DISCONNECT: Final = "disconnect"
CALLBACK_REDIRECT: Final = "redirect"

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
}
MACHINE_DETECTION_RESULT: Final = "machineDetectionResult"


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

    data: dict[str, Any] = {}
    for name, key in STRING_FIELDS.items():
        if name in fields and (
            (value := fields[name]) is None or isinstance(value, str)
        ):
            data[key] = value
    call_id = peek_call_id(fields)
    if call_id is None:
        data.pop(ATTR_CALL_ID, None)

    result: str | None = None
    detection = _machine_detection_result(fields, from_query=from_query)
    if detection is not None:
        data[ATTR_MACHINE_DETECTION_RESULT] = detection
        result = detection[ATTR_VALUE]

    return CallbackEvent(
        event_type=event_type,
        call_id=call_id,
        machine_detection_result=result,
        data=data,
    )


def _machine_detection_result(
    fields: Mapping[str, Any], *, from_query: bool
) -> dict[str, str | None] | None:
    """Return the machine detection result in any form Bandwidth sends it."""
    value = fields.get(MACHINE_DETECTION_RESULT)
    if from_query:
        dotted = {
            key: fields[f"{MACHINE_DETECTION_RESULT}.{key}"]
            for key in (ATTR_VALUE, ATTR_DURATION)
            if f"{MACHINE_DETECTION_RESULT}.{key}" in fields
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
    return {
        key: item if isinstance(item := value.get(key), str) else None
        for key in (ATTR_VALUE, ATTR_DURATION)
    }
