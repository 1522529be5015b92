"""How calls turned out, for whoever waits on them.

The webhook tells the watcher every callback; whoever placed a call can wait
for it to be answered (by a person or a machine) or to end, and learns how
it went. A wait never outlives its time limit or the entry: unloading ends
every wait with what is known so far, and so does Home Assistant stopping.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

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
OUTCOME_HUNG_UP: Final = "hung_up"
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
    ended_at: str | None = None
    # Whether whoever waits asked the callee for digits: a person who hangs
    # up before pressing any has hung up on the call.
    gather: bool = False
    # Ended by Home Assistant because another call was answered first.
    cancelled: bool = False

    @property
    def outcome(self) -> str:
        """Return the outcome so far, in the words actions report."""
        if self.cancelled:
            return OUTCOME_CANCELLED
        if self.answered:
            if self.machine:
                return OUTCOME_MACHINE
            if self.gather and self.ended and self.digits is None:
                return OUTCOME_HUNG_UP
            return OUTCOME_ANSWERED
        if not self.ended:
            return OUTCOME_IN_PROGRESS
        return UNANSWERED_CAUSES.get(self.cause or "", OUTCOME_FAILED)

    @property
    def duration(self) -> int | None:
        """Return how many seconds the call lasted once answered, when known."""
        if not self.answered or self.answered_at is None or self.ended_at is None:
            return None
        answered = dt_util.parse_datetime(self.answered_at)
        ended = dt_util.parse_datetime(self.ended_at)
        if answered is None or ended is None:
            return None
        return max(0, round((ended - answered).total_seconds()))

    def reached(self, *, detect: bool) -> bool:
        """Tell whether a person answered (and pressed digits, when asked for).

        With machine detection running (`detect`) a person is known only once
        it has told; without it, whoever answers counts as one.
        """
        person = self.machine is False if detect else not self.machine
        return (
            self.answered
            and not self.cancelled
            and person
            and (not self.gather or bool(self.digits))
        )

    def settled(self, until: Until, *, detect: bool) -> bool:
        """Tell whether a wait `until` is over (`detect`: machine detection runs).

        A person asked for digits has answered once the digits came (or none
        did in time).
        """
        if self.ended or self.cancelled:
            return True
        return (
            until == "answer"
            and self.answered
            and (not detect or self.machine is not None)
            and (bool(self.machine) or not self.gather or self.digits is not None)
        )

    def as_dict(self) -> dict[str, Any]:
        """Return what an action's response tells of the call."""
        known = {
            "answered_at": self.answered_at,
            "duration": self.duration,
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
        # Each wait going on: what it waits for, told of every change.
        self._waiters: dict[asyncio.Future[None], Callable[[], bool]] = {}
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
            case parse.CALLBACK_TRANSFER_ANSWER if not record.answered:
                # A call to the application's numbers, forwarded: answered by
                # whoever it was forwarded to.
                record.answered = True
                record.answered_at = data.get("event_time")
            case parse.CALLBACK_GATHER:
                record.digits = data.get("digits")
            case parse.CALLBACK_DISCONNECT:
                record.ended = True
                record.ended_at = data.get("end_time") or data.get("event_time")
                record.cause = data.get("cause")
                record.error = data.get("error_message")
        self._wake()

    @callback
    def answered(self, call_id: str, at: str | None) -> None:
        """Note that Home Assistant answered a call to the application's numbers.

        Bandwidth sends no answer callback for those: the call is answered
        by the first verb that needs it answered.
        """
        record = self._record(call_id)
        if not record.answered:
            record.answered = True
            record.answered_at = at
            self._wake()

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
        [record] = await self.async_wait_calls(
            [call_id], until, detect=detect, limit=limit
        )
        return record

    async def async_wait_calls(  # noqa: PLR0913 - what a wait is for
        self,
        call_ids: Sequence[str],
        until: Until,
        *,
        detect: bool,
        limit: float,
        gather: bool = False,
        on_reached: Callable[[list[str]], None] | None = None,
    ) -> list[CallRecord]:
        """Wait until every call is answered or ended, at most `limit` seconds.

        `gather`: the calls ask for digits; a person has answered once they
        came. `on_reached`: the first call a person answers (and presses
        digits on) ends the wait for the others, which are cancelled; it is
        given their ids, to hang them up. Returns the records in order.
        """
        records = [self._record(call_id) for call_id in call_ids]
        if gather:
            for record in records:
                record.gather = True
        reached = False

        @callback
        def over() -> bool:
            nonlocal reached
            if on_reached is not None and not reached:
                first = next((r for r in records if r.reached(detect=detect)), None)
                if first is not None:
                    reached = True
                    others = [r for r in records if r is not first and not r.ended]
                    for record in others:
                        record.cancelled = True
                    if others:
                        on_reached([record.call_id for record in others])
            return all(record.settled(until, detect=detect) for record in records)

        if self._closed or over():
            return records
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[future] = over
        try:
            async with asyncio.timeout(limit):
                await future
        except TimeoutError:
            pass
        finally:
            del self._waiters[future]
        return records

    @callback
    def close(self) -> None:
        """End every wait now (the entry unloads, Home Assistant stops)."""
        self._closed = True
        for future in self._waiters:
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

    def _wake(self) -> None:
        for future, over in list(self._waiters.items()):
            if not future.done() and over():
                future.set_result(None)
