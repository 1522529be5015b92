"""What each callback gets in reply, and how it moves its call along.

Replies are built from what is in memory, without network I/O, while
Bandwidth waits. A call's answer documents are built once, when the call is
placed (their size is checked then), and only looked up when it is answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from homeassistant.core import callback

from . import bxml
from .calls import CallStore, LiveCall
from .const import LOGGER
from .parse import (
    CALLBACK_ANSWER,
    CALLBACK_DISCONNECT,
    CALLBACK_GATHER,
    CALLBACK_MACHINE_DETECTION_COMPLETE,
    CALLBACK_REDIRECT,
    CallbackEvent,
    is_machine,
)

# While asynchronous machine detection runs, the call waits in a silent
# Pause/Redirect loop; after this many rounds it stops waiting and plays the
# script meant for a person.
KEEP_ALIVE_PAUSE: Final = 1.0  # seconds
MAX_KEEP_ALIVES: Final = 60

# Callbacks that are the integration's own plumbing, not news about a call:
# the redirects of the hold loop. They fire no event.
INTERNAL_EVENTS: Final = frozenset({CALLBACK_REDIRECT})

type UrlResolver = Callable[[LiveCall], str]


@callback
def answer_document(call: LiveCall, callback_url: str, *, machine: bool) -> bytes:
    """Return (building it once) what an answered call plays.

    ``callback_url`` is where the call's digits are sent; it must be the
    call's own URL, which does not change while the call lives.
    """
    if (document := call.documents.get(machine)) is None:
        assert call.script is not None  # noqa: S101 - callers check
        document = call.documents[machine] = bxml.play_script(
            call.script, machine=machine, gather_url=callback_url, method=call.method
        )
    return document


@callback
def largest_document(call: LiveCall, callback_url: str) -> int:
    """Return the size of the largest document the call would be answered with."""
    if call.script is None:
        return 0
    return max(
        len(answer_document(call, callback_url, machine=machine))
        for machine in (False, True)
    )


class CallFlow:
    """Decides the reply to each callback of one entry's calls."""

    def __init__(self, calls: CallStore, callback_url: UrlResolver) -> None:
        """Answer callbacks of these calls; callback_url gives a call's URL."""
        self._calls = calls
        self._callback_url = callback_url

    @callback
    def reply(self, call: LiveCall | None, event: CallbackEvent) -> bytes | None:
        """Return the BXML answering a callback, or None for an empty 204.

        ``call`` is the live call the callback is about, None when it is not
        (or no longer) one of ours.
        """
        event_type = event.event_type
        if event_type in (CALLBACK_ANSWER, CALLBACK_REDIRECT):
            if call is None or call.script is None:
                # Nothing to play: never leave a call on the line in silence.
                return bxml.hangup()
            # Synchronous machine detection reports its result on the answer.
            self._set_machine_result(call, event.machine_detection_result)
            return self._play_or_hold(call)
        if call is None:
            return bxml.goodbye(None) if event_type == CALLBACK_GATHER else None
        if event_type == CALLBACK_MACHINE_DETECTION_COMPLETE:
            # Bandwidth ignores any reply here; the call waiting in the hold
            # loop picks the result up at its next redirect.
            self._set_machine_result(call, event.machine_detection_result)
        elif event_type == CALLBACK_GATHER:
            return bxml.goodbye(call.script.voice if call.script else None)
        elif event_type == CALLBACK_DISCONNECT:
            self._calls.remove(call)
        return None

    @callback
    def _play_or_hold(self, call: LiveCall) -> bytes:
        """Play the script, or hold the call until machine detection is done."""
        url = self._callback_url(call)
        if call.machine_detection == "async" and call.machine_result is None:
            call.keep_alives += 1
            if call.keep_alives <= MAX_KEEP_ALIVES:
                return bxml.keep_alive(url, pause=KEEP_ALIVE_PAUSE, method=call.method)
            LOGGER.debug(
                "No machine detection result for call %s in time", call.call_id
            )
        return answer_document(call, url, machine=is_machine(call.machine_result))

    @callback
    def _set_machine_result(self, call: LiveCall, result: str | None) -> None:
        if result is not None and call.machine_result != result:
            call.machine_result = result
            self._calls.changed(call)
