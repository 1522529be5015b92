"""The kinds of call event automations are told about, each described once.

A kind is one thing that happens to a call: most are a Bandwidth callback (the
call was answered, digits were gathered), a few are Home Assistant's own (a
conversation with Assist ended, a message was stored in the voicemail box).
Each fires one bus event and one event type of the entry's event entity, and
most are a device trigger. The webhook's callback map, the event entity's
event types and the attributes it leaves out, the device triggers and the
logbook's describers are all derived from KINDS.

Home Assistant reads names and icons from translations/en.json and icons.json,
not from code, so those list the kinds again; tests/test_kinds.py checks they
list exactly these. Adding a kind is one row in KINDS, plus its names there
(an event type, a device trigger, the logbook's words) and its icon.

This module imports nothing of the integration: every layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# What a caller typed (a PIN, an alarm code) and what Assist heard and
# answered stay on the bus events, for automations. A state's attributes are
# written to the recorder's database and shown to every user in history and
# the logbook, and they outlive the call.
PRIVATE_FIELDS: Final = frozenset({"digits", "turns", "transcript"})


@dataclass(frozen=True, kw_only=True, slots=True)
class CallEventKind:
    """One kind of call event, and every name it goes by."""

    # The event entity's event type; also its translation and icon key.
    key: str
    # The event fired on Home Assistant's bus.
    event: str
    # Bandwidth's eventType firing it; empty for events Home Assistant fires
    # itself (and for OTHER, which any other callback fires).
    callback: str = ""
    # The device trigger firing on the bus event; None: none of its own.
    trigger: str | None = None
    # Its data may hold machine_detection_result: the device triggers telling
    # who answered (a person, a machine) fire on it too.
    tells_who_answered: bool = False
    # Keys of the bus event's data the event entity leaves out.
    private: frozenset[str] = PRIVATE_FIELDS


RECEIVED: Final = CallEventKind(
    key="received",
    event="bandwidth_call_received",
    callback="initiate",
    trigger="call_received",
)
ANSWERED: Final = CallEventKind(
    key="answered",
    event="bandwidth_call_answered",
    callback="answer",
    trigger="answered",
    # Synchronous machine detection tells who answered with the answer.
    tells_who_answered=True,
)
MACHINE_DETECTION_COMPLETE: Final = CallEventKind(
    key="machine_detection_complete",
    event="bandwidth_machine_detection_complete",
    callback="machineDetectionComplete",
    # Asynchronous machine detection tells who answered later.
    tells_who_answered=True,
)
GATHER_COMPLETE: Final = CallEventKind(
    key="gather_complete",
    event="bandwidth_gather_complete",
    callback="gather",
    trigger="digits_received",
)
TRANSFER_ANSWERED: Final = CallEventKind(
    key="transfer_answered",
    event="bandwidth_transfer_answered",
    callback="transferAnswer",
    trigger="transfer_answered",
)
TRANSFER_COMPLETE: Final = CallEventKind(
    key="transfer_complete",
    event="bandwidth_transfer_complete",
    callback="transferComplete",
    trigger="transfer_complete",
)
ASSIST_STARTED: Final = CallEventKind(
    key="assist_started",
    event="bandwidth_assist_started",
    trigger="assist_started",
)
ASSIST_ENDED: Final = CallEventKind(
    key="assist_ended",
    event="bandwidth_assist_ended",
    trigger="assist_ended",
)
DISCONNECTED: Final = CallEventKind(
    key="disconnected",
    event="bandwidth_call_disconnected",
    callback="disconnect",
    trigger="call_ended",
)
VOICEMAIL_RECEIVED: Final = CallEventKind(
    key="voicemail_received",
    event="bandwidth_voicemail_received",
    trigger="voicemail_received",
)
CALL_SCREENED: Final = CallEventKind(
    key="call_screened",
    event="bandwidth_call_screened",
    trigger="call_screened",
    # A screened caller's reason is as private as a voicemail transcript (an
    # Assist conversation's ending reason is not).
    private=PRIVATE_FIELDS | {"reason"},
)
# Any other callback about a call, such as transferDisconnect.
OTHER: Final = CallEventKind(key="callback", event="bandwidth_callback")

# In the order the event entity lists its event types.
KINDS: Final = (
    RECEIVED,
    ANSWERED,
    MACHINE_DETECTION_COMPLETE,
    GATHER_COMPLETE,
    TRANSFER_ANSWERED,
    TRANSFER_COMPLETE,
    ASSIST_STARTED,
    ASSIST_ENDED,
    DISCONNECTED,
    VOICEMAIL_RECEIVED,
    CALL_SCREENED,
    OTHER,
)
BY_KEY: Final = {kind.key: kind for kind in KINDS}
# The kind each Bandwidth eventType fires; OTHER for any other.
BY_CALLBACK: Final = {kind.callback: kind for kind in KINDS if kind.callback}
