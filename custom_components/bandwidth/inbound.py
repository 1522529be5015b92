"""Calls to the application's numbers: what becomes of each as it comes in.

As the options say, a call rings while automations decide, is forwarded,
talks to Assist (a contact, verified or by PIN), is screened, goes to
voicemail, or is rejected before anything answers it (the caller pays
nothing). The voicemail document is made here, for every call that ends up
there: one that rang out, was screened, or was sent by an automation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from homeassistant.core import callback

from . import bxml
from .call_store import CallStore
from .calls import CallScript, CallStep, LiveCall, Media, Phase, TransferStep
from .const import (
    CONF_FORWARD_TO,
    CONF_INBOUND_CALLS,
    CONF_RING_TIMEOUT,
    CONF_VOICE,
    CONF_VOICEMAIL_FOR_OTHER_CALLERS,
    CONF_VOICEMAIL_GREETING,
    CONF_VOICEMAIL_MAX_DURATION,
    CONF_VOICEMAIL_TRANSCRIPTION,
    DEFAULT_RING_TIMEOUT,
    DEFAULT_VOICEMAIL_GREETING,
    DEFAULT_VOICEMAIL_MAX_DURATION,
    INBOUND_ASSIST,
    INBOUND_AUTOMATION,
    INBOUND_FORWARD,
    INBOUND_SCREEN,
    INBOUND_VOICEMAIL,
    LOGGER,
    TRANSCRIPTION_BANDWIDTH,
    TRANSCRIPTION_STT,
)
from .countries import allowed_country_codes, destination_refusal
from .identity import Contacts
from .parse import ATTR_CALLER_VERIFIED, CallbackEvent

# One round of a ringing or holding call, in seconds: how long at most the
# next step waits to be delivered.
ROUND: Final = 1.0
PIN_PROMPT: Final = "Please enter your PIN, then press the pound key."
SCREEN_QUESTION: Final = "Who is calling and why?"
SCREEN_HOLD: Final = "Thank you. Please hold."
# How long a screened caller's answer may be, in seconds; and how many rounds
# after it the call waits for its transcript before automations are told
# without one.
SCREEN_MAX_DURATION: Final = 10
SCREEN_WAIT: Final = 15

type UrlResolver = Callable[[LiveCall, int | None], str]
type Options = Callable[[], Mapping[str, Any]]
# Home Assistant's language ("en", "fr-CA"...).
type Language = Callable[[], str]
# The voicemail greeting's audio under a new call's names, when it is ready.
type GreetingAudio = Callable[[], Media | None]
# Where Bandwidth fetches the voicemail tone, if it can.
type ToneUrl = Callable[[], str | None]
# Says a script's or step's message, then talks to Assist (replies.CallFlow);
# None when the call cannot.
type Converse = Callable[[LiveCall, CallScript | CallStep | None], bytes | None]


class Screening(Protocol):
    """Screens calls (screening.Screener)."""

    def start(self, call: LiveCall, data: Mapping[str, Any]) -> None:
        """Screen a call just received."""

    def announce(self, ref: str, reason: str | None) -> bool:
        """Tell automations who is calling and why; whether they were told."""


class Reception:
    """Decides what becomes of the calls to one entry's numbers."""

    def __init__(  # noqa: PLR0913 - what reception reads, each kept by its owner
        self,
        calls: CallStore,
        callback_url: UrlResolver,
        options: Options,
        converse: Converse,
        *,
        contacts: Contacts,
        language: Language,
        greeting: GreetingAudio,
        tone: ToneUrl,
        screener: Screening | None,
    ) -> None:
        """Receive calls into `calls` (see replies.CallFlow for the others)."""
        self._calls = calls
        self._callback_url = callback_url
        self._options = options
        self._converse = converse
        self._contacts = contacts
        self._language = language
        self._greeting = greeting
        self._tone = tone
        self._screener = screener

    @callback
    def receive(self, event: CallbackEvent) -> tuple[LiveCall | None, bytes]:
        """Decide what becomes of a call to the application's numbers.

        Returns the live call kept for it (None when it is rejected at once)
        and the document answering its initiate callback.
        """
        options = self._options()
        mode = options.get(CONF_INBOUND_CALLS)
        if mode == INBOUND_SCREEN and self._screener is not None:
            if self._contacts.by_number(event.data.get("from")) is None:
                return self._screen(event, self._screener)
            mode = INBOUND_AUTOMATION
        if mode == INBOUND_AUTOMATION:
            call = self._inbound(event, "ringing")
            call.rounds = int(options.get(CONF_RING_TIMEOUT, DEFAULT_RING_TIMEOUT))
            return call, bxml.ring(
                self._callback_url(call, None), duration=ROUND, method=call.method
            )
        if mode == INBOUND_FORWARD and (forward_to := _forwardable(options)):
            call = self._inbound(event, "transferring")
            return call, bxml.transfer(
                TransferStep(to=tuple(forward_to)),
                callback_url=self._callback_url(call, None),
                method=call.method,
            )
        if mode == INBOUND_ASSIST:
            return self._receive_for_assist(event)
        if mode == INBOUND_VOICEMAIL:
            call = self._inbound(event, "recording")
            return call, self.voicemail(call)
        # Rejected before anything answers it: the caller pays nothing.
        return None, bxml.hangup()

    @callback
    def _screen(
        self, event: CallbackEvent, screener: Screening
    ) -> tuple[LiveCall, bytes]:
        """Ask a caller who is not a contact who they are and why they call."""
        options = self._options()
        call = self._inbound(event, "screening")
        # Rounds after the answer, while its transcript is awaited.
        call.rounds = SCREEN_WAIT
        screener.start(call, event.data)
        return call, bxml.screen(
            question=SCREEN_QUESTION,
            hold_message=SCREEN_HOLD,
            voice=options.get(CONF_VOICE),
            callback_url=self._callback_url(call, None),
            recording=self._recording(options, SCREEN_MAX_DURATION),
            method=call.method,
        )

    @callback
    def _receive_for_assist(
        self, event: CallbackEvent
    ) -> tuple[LiveCall | None, bytes]:
        """Let a contact allowed to talk to Assist through, verified or by PIN.

        Everyone else is rejected before anything answers: the caller pays
        nothing and learns nothing; or goes to voicemail, when the options say.
        """
        contact = self._contacts.by_number(event.data.get("from"))
        if contact is None or not contact.assist:
            return self._not_for_assist(event)
        verified = event.data.get(ATTR_CALLER_VERIFIED) is True
        if not verified and contact.pin is None:
            LOGGER.info(
                "Did not let a call from %s's number talk to Assist: its caller "
                "ID is not verified and they have no PIN",
                contact.name,
            )
            return self._not_for_assist(event)
        call = self._inbound(event, "playing")
        # "": the contact's satellite decides the pipeline, when it starts.
        call.assist = ""
        if not verified:
            self._set_phase(call, "pin")
            return call, bxml.ask_pin(
                self._callback_url(call, None), prompt=PIN_PROMPT, method=call.method
            )
        if (document := self._converse(call, None)) is not None:
            return call, document
        self._calls.remove(call)
        return None, bxml.hangup()

    @callback
    def _not_for_assist(self, event: CallbackEvent) -> tuple[LiveCall | None, bytes]:
        """Reject a caller who may not talk to Assist, or send them to voicemail."""
        if not self._options().get(CONF_VOICEMAIL_FOR_OTHER_CALLERS, False):
            return None, bxml.hangup()
        call = self._inbound(event, "recording")
        return call, self.voicemail(call)

    @callback
    def _inbound(self, event: CallbackEvent, phase: Phase) -> LiveCall:
        call = LiveCall.create(None, None, direction="inbound", phase=phase)
        call.call_id = event.call_id
        call.caller_verified = event.data.get(ATTR_CALLER_VERIFIED) is True
        if (contact := self._contacts.by_number(event.data.get("from"))) is not None:
            call.contact = contact.subentry_id
        self._calls.add(call)
        return call

    @callback
    def voicemail(self, call: LiveCall) -> bytes:
        """Answer with the greeting and record the caller's message."""
        options = self._options()
        self._set_phase(call, "recording")
        greeting = greeting_text(options)
        audio: dict[str, str] = {}
        if (media := self._greeting()) is not None:
            # The call serves the greeting's audio under names of its own.
            self._calls.add_clips(call, media.clips)
            greeting = options.get(CONF_VOICEMAIL_GREETING, DEFAULT_VOICEMAIL_GREETING)
            audio = media.audio
        return bxml.voicemail(
            greeting=greeting,
            audio=audio,
            tone_url=self._tone(),
            voice=options.get(CONF_VOICE),
            callback_url=self._callback_url(call, None),
            recording=self._recording(
                options,
                options.get(
                    CONF_VOICEMAIL_MAX_DURATION, DEFAULT_VOICEMAIL_MAX_DURATION
                ),
            ),
            method=call.method,
        )

    def _recording(
        self, options: Mapping[str, Any], max_duration: float
    ) -> bxml.Recording:
        """Return how a caller is recorded, as the options say.

        Bandwidth transcribes in English unless told to detect the language
        (English, French or Spanish), from Home Assistant's.
        """
        transcription = options.get(
            CONF_VOICEMAIL_TRANSCRIPTION, TRANSCRIPTION_BANDWIDTH
        )
        return bxml.Recording(
            max_duration=max_duration,
            transcribe=transcription == TRANSCRIPTION_BANDWIDTH,
            detect_language=not self._language().lower().startswith("en"),
            # Home Assistant's speech-to-text hears WAV, not MP3.
            file_format="wav" if transcription == TRANSCRIPTION_STT else "mp3",
        )

    @callback
    def _set_phase(self, call: LiveCall, phase: Phase) -> None:
        if call.phase != phase:
            call.phase = phase
            self._calls.changed(call)


def greeting_text(options: Mapping[str, Any]) -> str:
    """Return the greeting Bandwidth speaks when no audio is ready for it.

    A media source ID is no greeting to speak: the default one is.
    """
    greeting: str = options.get(CONF_VOICEMAIL_GREETING, DEFAULT_VOICEMAIL_GREETING)
    if greeting.startswith("media-source://"):
        return DEFAULT_VOICEMAIL_GREETING
    return greeting


def _forwardable(options: Mapping[str, Any]) -> list[str]:
    """Return where calls to the numbers are forwarded: where calls may go.

    The options form checks it; options saved by older versions may name a
    number the allowed country codes leave out, or a premium-rate one.
    """
    allowed = allowed_country_codes(options)
    forward_to: list[str] = []
    for destination in options.get(CONF_FORWARD_TO) or []:
        if destination_refusal(destination, allowed) is None:
            forward_to.append(destination)
        else:
            LOGGER.warning(
                "Not forwarding calls to %s: outside the allowed country codes, "
                "or premium-rate",
                destination,
            )
    return forward_to
