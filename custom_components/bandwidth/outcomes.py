"""How calls turned out, for whoever waits on them.

The webhook tells the watcher every callback; whoever placed a call can wait
for it to be answered (by a person or a machine) or to end, and learns how
it went. A wait never outlives its time limit or the entry: unloading ends
every wait with what is known so far.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final, Literal

from homeassistant.core import callback

from . import parse
from .parse import CallbackEvent, is_machine

# Calls remembered after their end, for a wait that starts late.
MAX_RECORDS: Final = 500

Until = Literal["answer", "end"]

OUTCOME_ANSWERED: Final = "answered"
OUTCOME_MACHINE: Final = "machine"
OUTCOME_NO_ANSWER: Final = "no_answer"
OUTCOME_BUSY: Final = "busy"
OUTCOME_REJECTED: Final = "rejected"
OUTCOME_FAILED: Final = "failed"
OUTCOME_IN_PROGRESS: Final = "in_progress"
OUTCOME_CANCELLED: Final = "cancelled"

# Bandwidth's disconnect causes of a call never answered, by outcome; any
# other cause (callback-error, invalid-bxml, account-limit, error, ...) is a
# failure.
UNANSWERED_CAUSES: Final = {
    "timeout": OUTCOME_NO_ANSWER,
    "hangup": OUTCOME_NO_ANSWER,
    "busy": OUTCOME_BUSY,
    "rejected": OUTCOME_REJECTED,
    "cancel": OUTCOME_CANCELLED,
}


@dataclass(kw_only=True)
class CallRecord:
    """What is known of how one call went."""

    call_id: str
    answered: bool = False
    answered_at: str | None = None
    # Whether machine detection found a machine; None until it tells.
    machine: bool | None = None
    digits: str | None = None
    cause: str | None = None
    error: str | None = None
    ended: bool = False

    @property
    def outcome(self) -> str:
        """Return the outcome so far, in the words actions report."""
        if self.answered:
            return OUTCOME_MACHINE if self.machine else OUTCOME_ANSWERED
        if not self.ended:
            return OUTCOME_IN_PROGRESS
        return UNANSWERED_CAUSES.get(self.cause or "", OUTCOME_FAILED)

    def settled(self, until: Until, *, detect: bool) -> bool:
        """Tell whether a wait `until` is over (`detect`: machine detection runs)."""
        if self.ended:
            return True
        return (
            until == "answer"
            and self.answered
            and (not detect or self.machine is not None)
        )

    def as_dict(self) -> dict[str, Any]:
        """Return what an action's response tells of the call."""
        known = {
            "answered_at": self.answered_at,
            "digits": self.digits,
            "disconnect_cause": self.cause,
            "error": self.error,
        }
        return {"outcome": self.outcome} | {
            key: value for key, value in known.items() if value is not None
        }


class CallWatcher:
    """Follows an entry's calls through their callbacks; lets callers wait."""

    def __init__(self) -> None:
        """Watch nothing yet."""
        self._records: OrderedDict[str, CallRecord] = OrderedDict()
        self._waiters: dict[str, list[tuple[Until, bool, asyncio.Future[None]]]] = {}
        self._closed = False

    @callback
    def observe(self, event: CallbackEvent) -> None:
        """Take in one callback about a call."""
        if event.call_id is None:
            return
        record = self._record(event.call_id)
        data = event.data
        match event.event_type:
            case parse.CALLBACK_ANSWER if not record.answered:
                record.answered = True
                record.answered_at = data.get("answer_time") or data.get("event_time")
                if event.machine_detection_result is not None:
                    record.machine = is_machine(event.machine_detection_result)
            case parse.CALLBACK_MACHINE_DETECTION_COMPLETE:
                record.machine = is_machine(event.machine_detection_result)
            case parse.CALLBACK_GATHER:
                record.digits = data.get("digits")
            case parse.CALLBACK_DISCONNECT:
                record.ended = True
                record.cause = data.get("cause")
                record.error = data.get("error_message")
        self._wake(record)

    def record(self, call_id: str) -> CallRecord:
        """Return what is known of a call so far."""
        return self._records.get(call_id) or CallRecord(call_id=call_id)

    async def async_wait(
        self, call_id: str, until: Until, *, detect: bool, limit: float
    ) -> CallRecord:
        """Wait until a call is answered or ended, at most `limit` seconds.

        Returns what is known then: a call still going on at the time limit
        (or when the entry unloads) is `in_progress`.
        """
        record = self._record(call_id)
        if self._closed or record.settled(until, detect=detect):
            return record
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = (until, detect, future)
        self._waiters.setdefault(call_id, []).append(waiter)
        try:
            async with asyncio.timeout(limit):
                await future
        except TimeoutError:
            pass
        finally:
            waiters = self._waiters[call_id]
            waiters.remove(waiter)
            if not waiters:
                del self._waiters[call_id]
        return record

    @callback
    def close(self) -> None:
        """End every wait now (the entry unloads)."""
        self._closed = True
        for waiters in self._waiters.values():
            for _, _, future in waiters:
                if not future.done():
                    future.set_result(None)

    def _record(self, call_id: str) -> CallRecord:
        if (record := self._records.get(call_id)) is None:
            record = self._records[call_id] = CallRecord(call_id=call_id)
            while len(self._records) > MAX_RECORDS:
                self._records.popitem(last=False)
        else:
            self._records.move_to_end(call_id)
        return record

    def _wake(self, record: CallRecord) -> None:
        for until, detect, future in self._waiters.get(record.call_id, []):
            if not future.done() and record.settled(until, detect=detect):
                future.set_result(None)
