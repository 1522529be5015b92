"""The call flow: what each callback gets in reply, and how it moves its call along.

Replies are built from what is in memory, without network I/O, while
Bandwidth waits. A call's answer documents are built once, when the call is
placed (documents.py), and calls coming in are received by inbound.py.

A call that waits on Home Assistant (an inbound call ringing while
automations decide, a call that just gave its digits, a call held while
machine detection runs) does so in a loop of about a second (`<Ring>` or
`<Pause>`, then `<Redirect>` back here), so the next step an automation asks
for is delivered by the next round. A call busy playing something is
interrupted instead: Bandwidth is asked (Update Call) to fetch its next
document from a URL naming the step, and the step is given to that request
alone, whatever other callback comes first.

The module runs a little past 450 lines: it is one state machine (a call's
phase, read and moved by every reply and every step), kept whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol

from homeassistant.core import callback

from . import bxml
from .call_store import CallStore
from .calls import (
    CallScript,
    CallStep,
    LiveCall,
    Phase,
)
from .const import (
    CONF_ASSIST_MAX_CONVERSATIONS,
    CONF_HOLD_TIME,
    CONF_VOICEMAIL_WHEN_UNANSWERED,
    DEFAULT_ASSIST_MAX_CONVERSATIONS,
    DEFAULT_HOLD_TIME,
    LOGGER,
)
from .documents import answer_document, step_document
from .identity import Contact, Contacts
from .inbound import (
    ROUND,
    GreetingAudio,
    Language,
    Options,
    Reception,
    Screening,
    ToneUrl,
    UrlResolver,
)
from .parse import (
    ATTR_PIN_VALID,
    CALLBACK_ANSWER,
    CALLBACK_DISCONNECT,
    CALLBACK_GATHER,
    CALLBACK_MACHINE_DETECTION_COMPLETE,
    CALLBACK_MEDIA_STREAM_REJECTED,
    CALLBACK_MEDIA_STREAM_STARTED,
    CALLBACK_MEDIA_STREAM_STOPPED,
    CALLBACK_REDIRECT,
    CALLBACK_TRANSFER_ANSWER,
    CALLBACK_TRANSFER_COMPLETE,
    CallbackEvent,
    is_machine,
)

# While asynchronous machine detection runs, the call waits in a silent
# Pause/Redirect loop; after this many rounds it stops waiting and plays the
# script meant for a person.
KEEP_ALIVE_PAUSE: Final = 1.0  # seconds
MAX_KEEP_ALIVES: Final = 60
# One round of a call talking to Assist, in seconds: the conversation runs
# over its media stream meanwhile; each round checks the stream is still up.
CONVERSATION_ROUND: Final = 60.0

# Callbacks that are the integration's own plumbing, not news about a call:
# the redirects of the waiting loops and of interruptions, and how the media
# stream of a conversation with Assist fares. They fire no event.
INTERNAL_EVENTS: Final = frozenset(
    {
        CALLBACK_REDIRECT,
        CALLBACK_MEDIA_STREAM_STARTED,
        CALLBACK_MEDIA_STREAM_STOPPED,
        CALLBACK_MEDIA_STREAM_REJECTED,
    }
)
BUSY_MESSAGE: Final = "Sorry, Assist is busy. Please call again later."
# Callbacks whose reply is what the call does next.
DOCUMENT_CALLBACKS: Final = frozenset(
    {CALLBACK_ANSWER, CALLBACK_REDIRECT, CALLBACK_GATHER, CALLBACK_TRANSFER_COMPLETE}
)


class PinCheck(Protocol):
    """Checks a contact's PIN (pins.PinGuard)."""

    def check(self, contact: Contact, digits: object) -> bool:
        """Tell whether `digits` is the contact's PIN, counting a wrong one."""


# The wss:// URL a call's media stream goes to; None when there is none.
type StreamResolver = Callable[[LiveCall], str | None]


class CallFlow:
    """Decides the reply to each callback of one entry's calls, and steers them."""

    def __init__(  # noqa: PLR0913 - what the flow reads, each kept by its owner
        self,
        calls: CallStore,
        callback_url: UrlResolver,
        options: Options,
        stream_url: StreamResolver,
        *,
        contacts: Contacts | None = None,
        pins: PinCheck | None = None,
        language: Language = lambda: "en",
        greeting: GreetingAudio = lambda: None,
        tone: ToneUrl = lambda: None,
        screener: Screening | None = None,
    ) -> None:
        """Answer callbacks of these calls.

        ``callback_url`` gives a call's URL (for a step, marked with it);
        ``options`` the entry's current options; ``stream_url`` where a
        call's media stream goes when it talks to Assist; ``contacts`` who
        the entry knows, ``pins`` checks their PINs; ``language`` Home
        Assistant's, which voicemail transcripts are in; ``greeting`` the
        voicemail greeting's audio, ``tone`` its beep's URL; ``screener``
        screens callers who are not contacts.
        """
        self._calls = calls
        self._callback_url = callback_url
        self._options = options
        self._stream_url = stream_url
        self._contacts = contacts if contacts is not None else Contacts()
        self._pins = pins
        self._screener = screener
        self._reception = Reception(
            calls,
            callback_url,
            options,
            self._converse,
            contacts=self._contacts,
            language=language,
            greeting=greeting,
            tone=tone,
            screener=screener,
        )

    # -- Inbound calls -----------------------------------------------------------

    @callback
    def receive(self, event: CallbackEvent) -> tuple[LiveCall | None, bytes]:
        """Decide what becomes of a call to the application's numbers.

        Returns the live call kept for it (None when it is rejected at once)
        and the document answering its initiate callback (inbound.Reception).
        """
        return self._reception.receive(event)

    # -- PINs ---------------------------------------------------------------------------

    @callback
    def check_pin(self, call: LiveCall | None, event: CallbackEvent) -> None:
        """Check the digits of a gather asking for the contact's PIN.

        Automations hear whether the PIN was right (`pin_valid`), never the
        digits; a wrong PIN counts towards the contact's lockout, whatever
        asked for it (Assist, or an automation's phone menu).
        """
        if call is None or event.event_type != CALLBACK_GATHER or not call.pin_gather:
            return
        call.pin_gather = False
        self._calls.changed(call)
        contact = self._contacts.get(call.contact or "")
        digits = event.data.pop("digits", None)
        event.data.pop("terminating_digit", None)
        event.data[ATTR_PIN_VALID] = (
            contact is not None
            and self._pins is not None
            and self._pins.check(contact, digits)
        )

    @callback
    def private(self, call: LiveCall | None, event: CallbackEvent) -> bool:
        """Tell whether a callback must not reach automations.

        The digits of a PIN typed to reach Assist are the caller's secret.
        """
        return (
            call is not None
            and call.phase == "pin"
            and event.event_type == CALLBACK_GATHER
        )

    # -- Steering --------------------------------------------------------------------

    @callback
    def steer(self, call: LiveCall, step: CallStep) -> str | None:
        """Queue an automation's next step for a live call.

        Returns the URL Bandwidth must be told to redirect the call to (Update
        Call) when the call is busy playing something; None when it waits on
        Home Assistant and its next round takes the step.
        """
        call.steps += 1
        call.pending = step
        self._calls.add_clips(call, step.media.clips)
        if (goodbye := step.media.audio.get(bxml.GOODBYE)) is not None:
            call.goodbye_audio = goodbye
        if call.phase in ("playing", "transferring", "conversing", "recording"):
            call.interrupt = call.steps
            self._calls.changed(call)
            return self._callback_url(call, call.steps)
        self._calls.changed(call)
        return None

    @callback
    def steer_failed(self, call: LiveCall) -> None:
        """Forget a step Bandwidth would not interrupt the call for."""
        call.pending = None
        call.interrupt = None
        self._calls.changed(call)

    # -- Replies ----------------------------------------------------------------------

    @callback
    def reply(
        self, call: LiveCall | None, event: CallbackEvent, step: int | None = None
    ) -> bytes | None:
        """Return the BXML answering a callback, or None for an empty 204.

        ``call`` is the live call the callback is about, None when it is not
        (or no longer) one of ours; ``step`` the step number its URL carries.
        """
        event_type = event.event_type
        if event_type == CALLBACK_TRANSFER_ANSWER:
            # The called party of a transfer: connect it at once.
            return bxml.empty()
        if call is None:
            return _reply_without_call(event_type)
        if event_type in DOCUMENT_CALLBACKS:
            return self._next_document(call, event, step)
        if event_type == CALLBACK_MACHINE_DETECTION_COMPLETE:
            # Bandwidth ignores any reply here; the call waiting in the hold
            # loop picks the result up at its next redirect.
            self._set_machine_result(call, event.machine_detection_result)
        elif event_type == CALLBACK_DISCONNECT:
            self._calls.remove(call)
        return None

    @callback
    def _next_document(
        self, call: LiveCall, event: CallbackEvent, step: int | None
    ) -> bytes:
        """Return what the call does next, when Bandwidth asks for it."""
        event_type = event.event_type
        if event_type == CALLBACK_ANSWER:
            # Synchronous machine detection reports its result on the answer.
            self._set_machine_result(call, event.machine_detection_result)
        if call.interrupt is not None:
            if event_type != CALLBACK_REDIRECT or step != call.interrupt:
                # Bandwidth is about to interrupt whatever this returns.
                return self._wait(call, counted=False)
            call.interrupt = None
        if call.pending is not None:
            return self._play_pending(call)
        if event_type == CALLBACK_REDIRECT and call.phase == "conversing":
            return self._converse_round(call)
        if event_type == CALLBACK_GATHER and call.phase == "pin":
            return self._check_pin(call, event.data.get("digits"))
        return self._continue(call, event_type)

    @callback
    def _check_pin(self, call: LiveCall, digits: object) -> bytes:
        """Let the caller talk to Assist with the right PIN; else say goodbye."""
        contact = self._contacts.get(call.contact or "")
        if (
            contact is not None
            and self._pins is not None
            and self._pins.check(contact, digits)
            and (document := self._converse(call, None)) is not None
        ):
            return document
        self._set_phase(call, "playing")
        return bxml.goodbye(None)

    @callback
    def _continue(self, call: LiveCall, event_type: str) -> bytes:
        """Go on with a call no automation gave a step for."""
        if event_type == CALLBACK_ANSWER or call.phase == "detecting":
            if call.script is None:
                # Nothing to play: never leave a call on the line in silence.
                return bxml.hangup()
            return self._play_or_detect(call)
        if event_type == CALLBACK_TRANSFER_COMPLETE and call.steps == 0:
            # A forwarded call ends with its transfer.
            return bxml.hangup()
        if event_type != CALLBACK_REDIRECT or call.phase == "playing":
            # Digits given, a transfer over, or a step played to its end.
            return self._start_holding(call)
        if call.phase in ("ringing", "holding", "screening", "screened"):
            return self._wait(call, counted=True)
        # Sent here by BXML that is not Home Assistant's: nothing to play.
        return bxml.hangup()

    @callback
    def _play_or_detect(self, call: LiveCall) -> bytes:
        """Play the script, or hold the call until machine detection is done."""
        url = self._callback_url(call, None)
        if call.machine_detection == "async" and call.machine_result is None:
            call.keep_alives += 1
            if call.keep_alives <= MAX_KEEP_ALIVES:
                self._set_phase(call, "detecting")
                return bxml.keep_alive(url, pause=KEEP_ALIVE_PAUSE, method=call.method)
            LOGGER.debug(
                "No machine detection result for call %s in time", call.call_id
            )
        machine = is_machine(call.machine_result)
        assert call.script is not None  # noqa: S101 - callers check
        if call.script.assist is not None and not machine:
            call.assist = call.script.assist
            conversation = self._converse(call, call.script)
            if conversation is not None:
                return conversation
        self._set_phase(call, "playing")
        call.pin_gather = (
            not machine and call.script.gather is not None and call.script.gather.pin
        )
        return answer_document(call, url, machine=machine)

    @callback
    def _play_pending(self, call: LiveCall) -> bytes:
        """Deliver the step an automation asked for."""
        step, call.pending = call.pending, None
        assert step is not None  # noqa: S101 - callers check
        streaming = call.phase == "conversing"
        if step.voicemail:
            return self._reception.voicemail(call)
        if step.assist is not None:
            call.assist = step.assist
            if (conversation := self._converse(call, step)) is not None:
                return conversation
        if step.transfer is not None:
            self._set_phase(call, "transferring")
        else:
            self._set_phase(call, "playing")
        call.pin_gather = step.gather is not None and step.gather.pin
        return step_document(
            call, step, self._callback_url(call, None), streaming=streaming
        )

    @callback
    def _converse(
        self, call: LiveCall, said: CallScript | CallStep | None
    ) -> bytes | None:
        """Say the script's or step's message, then talk to Assist.

        None when Home Assistant has no URL for the media stream any more:
        the caller hears the rest of the script instead.
        """
        if (destination := self._stream_url(call)) is None:
            LOGGER.warning(
                "Call %s cannot talk to Assist: Home Assistant has no external URL",
                call.call_id,
            )
            return None
        restart = call.phase == "conversing"
        limit = self._options().get(
            CONF_ASSIST_MAX_CONVERSATIONS, DEFAULT_ASSIST_MAX_CONVERSATIONS
        )
        if not restart and self._conversing() >= limit:
            LOGGER.info(
                "Call %s cannot talk to Assist: %s conversations already",
                call.call_id,
                limit,
            )
            self._set_phase(call, "playing")
            return bxml.refuse(BUSY_MESSAGE)
        self._set_phase(call, "conversing")
        return bxml.converse(
            message=said.message if said is not None else None,
            audio_url=said.audio_url if said is not None else None,
            voice=said.voice if said is not None else None,
            audio=said.media.audio if said is not None else {},
            destination=destination,
            redirect_url=self._callback_url(call, None),
            pause=CONVERSATION_ROUND,
            method=call.method,
            restart=restart,
        )

    def _conversing(self) -> int:
        """Return how many calls talk to Assist now."""
        return sum(call.phase == "conversing" for call in self._calls.live)

    @callback
    def _converse_round(self, call: LiveCall) -> bytes:
        """Wait on while the call's stream is up; without one, end the call."""
        if not call.streaming:
            # It never connected, or ended (Home Assistant restarted, say).
            return bxml.hangup()
        return bxml.keep_alive(
            self._callback_url(call, None), pause=CONVERSATION_ROUND, method=call.method
        )

    @callback
    def _start_holding(self, call: LiveCall) -> bytes:
        """Wait, silent, for the next step an automation may give."""
        call.rounds = int(self._options().get(CONF_HOLD_TIME, DEFAULT_HOLD_TIME))
        self._set_phase(call, "holding")
        return self._wait(call, counted=False)

    @callback
    def _wait(self, call: LiveCall, *, counted: bool) -> bytes:
        """One round of waiting; once the rounds run out, end the call."""
        if counted:
            call.rounds -= 1
            self._calls.changed(call)
        url = self._callback_url(call, None)
        if call.phase == "ringing":
            if call.rounds <= 0:
                if self._options().get(CONF_VOICEMAIL_WHEN_UNANSWERED, True):
                    return self._reception.voicemail(call)
                # Nobody took the call: rejected, still unanswered.
                return bxml.hangup()
            return bxml.ring(url, duration=ROUND, method=call.method)
        if call.phase == "holding" and call.rounds <= 0:
            return bxml.goodbye(_voice(call.script), call.goodbye_audio)
        if call.phase in ("screening", "screened") and call.rounds <= 0:
            return self._screening_over(call) or self._wait(call, counted=False)
        return bxml.keep_alive(url, pause=ROUND, method=call.method)

    @callback
    def _screening_over(self, call: LiveCall) -> bytes | None:
        """End a screened call's wait: tell automations, or go to voicemail.

        None when the call now waits for automations to decide.
        """
        if call.phase == "screening":
            assert self._screener is not None  # noqa: S101 - it screens the call
            # No transcript in time: automations hear what is known.
            if self._screener.announce(call.ref, None):
                return None
            # Its screening was lost (Home Assistant restarted).
        # No automation decided: the caller may leave a message.
        return self._reception.voicemail(call)

    @callback
    def _set_phase(self, call: LiveCall, phase: Phase) -> None:
        if call.phase != phase:
            call.phase = phase
            self._calls.changed(call)

    @callback
    def _set_machine_result(self, call: LiveCall, result: str | None) -> None:
        if result is not None and call.machine_result != result:
            call.machine_result = result
            self._calls.changed(call)


def _reply_without_call(event_type: str) -> bytes | None:
    """Answer a callback about a call that is not (or no longer) ours."""
    if event_type in (CALLBACK_ANSWER, CALLBACK_REDIRECT, CALLBACK_TRANSFER_COMPLETE):
        # Nothing to play: never leave a call on the line in silence.
        return bxml.hangup()
    if event_type == CALLBACK_GATHER:
        return bxml.goodbye(None)
    return None


def _voice(script: CallScript | None) -> str | None:
    return script.voice if script is not None else None
