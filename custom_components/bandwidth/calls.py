"""The entry's live calls: one object per call holding all of its state.

A call is registered before Bandwidth is asked to place it, under a random
reference carried, with a per-call secret, in the query string of every
callback URL the call is created with. Its callbacks therefore find it (and
prove they come from Bandwidth) even when the createCall answer was lost and
the call id is not known yet. Calls are persisted, so a restart in the middle
of a call loses nothing, and forgotten when their disconnect callback arrives.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Self, get_args

from homeassistant.util import dt as dt_util
from yarl import URL

from .stored import LIVE_ONLY, REQUIRED, Stored

# Query parameters of every callback URL: which call, and the proof that the
# request comes from whoever was given the call's URLs (Bandwidth).
QUERY_REF: Final = "ref"
QUERY_KEY: Final = "key"
QUERY_STEP: Final = "step"

MachineDetectionMode = Literal["sync", "async"]
Method = Literal["GET", "POST"]
Direction = Literal["outbound", "inbound"]
# Where a call stands, for what its next callback gets:
#   placed       outbound, not answered yet
#   ringing      inbound, ringing unanswered while automations decide
#   detecting    answered, held in silence until machine detection is done
#   playing      a document that plays something is running
#   holding      answered, silent, waiting for an automation's next step
#   transferring a transfer is ringing or connected
#   conversing   talking to an Assist pipeline over a media stream
#   pin          inbound, answered, asked for its contact's PIN
#   recording    inbound, answered by voicemail: greeting, then the message
#   screening    inbound, asked who is calling and why; held while the
#                answer is recorded and transcribed
#   screened     inbound, held while automations decide (put through,
#                voicemail or hang up)
Phase = Literal[
    "placed",
    "ringing",
    "detecting",
    "playing",
    "holding",
    "transferring",
    "conversing",
    "pin",
    "recording",
    "screening",
    "screened",
]
PHASES: Final = frozenset(get_args(Phase))


@dataclass(frozen=True, kw_only=True)
class GatherScript(Stored):
    """Digits to collect after the message, with their prompt."""

    prompt: str | None = None
    max_digits: int | None = None
    terminating_digits: str | None = None
    first_digit_timeout: float | None = None
    inter_digit_timeout: float | None = None
    repeat_count: int | None = None
    # The digits are the PIN of the contact on the call: checked by Home
    # Assistant, never handed to automations.
    pin: bool = False


@dataclass(frozen=True, kw_only=True)
class Speech(Stored):
    """A Home Assistant text-to-speech entity speaking a call's texts."""

    engine: str  # the tts entity's id
    language: str | None = None
    options: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class Media(Stored):
    """Audio Home Assistant prepared for a script or step before it was sent.

    `audio` maps each text a text-to-speech engine rendered, and each media
    source ID, to the URL Bandwidth fetches it from; what it does not name is
    spoken by Bandwidth or played from its own URL. `clips` maps the names
    of the audio Home Assistant serves itself, the call's own, to their media
    source IDs.
    """

    audio: dict[str, str] = field(default_factory=dict)
    clips: dict[str, str] = field(default_factory=dict)


NO_MEDIA: Final = Media()


@dataclass(frozen=True, kw_only=True)
class CallScript(Stored):
    """What a call plays once answered."""

    message: str | None = None
    voice: str | None = None
    audio_url: str | None = None
    machine_message: str | None = None
    gather: GatherScript | None = None
    media: Media = NO_MEDIA
    # The Assist pipeline a person answering talks to, after the message.
    assist: str | None = None
    # An answering machine is hung up on at once (announcements).
    machine_hangup: bool = False


@dataclass(frozen=True, kw_only=True)
class TransferStep(Stored):
    """Destinations to ring together and connect the call to."""

    to: tuple[str, ...]
    caller_id: str | None = None
    timeout: float | None = None


@dataclass(frozen=True, kw_only=True)
class CallStep(Stored):
    """What an automation tells a live call to do next (update_call)."""

    message: str | None = None
    voice: str | None = None
    audio_url: str | None = None
    gather: GatherScript | None = None
    transfer: TransferStep | None = None
    hangup: bool = False
    media: Media = NO_MEDIA
    # The Assist pipeline the call talks to after the message.
    assist: str | None = None
    # A call received goes to voicemail.
    voicemail: bool = False


@dataclass(kw_only=True, eq=False)
class LiveCall(Stored):
    """One call whose callbacks come to Home Assistant, and where it stands."""

    ref: str
    secret: str = field(repr=False)
    # Where the call's callbacks go, without the query; None for inbound calls
    # and calls restored from version 1 storage: the entry's current URL.
    webhook_url: str | None = None
    # What to play when answered; None when the user's own answer URL serves
    # the call's BXML and only other callbacks come here.
    script: CallScript | None = None
    machine_detection: MachineDetectionMode | None = None
    # How the call's answer callback comes (the user may ask for GET); the
    # callbacks of the verbs Home Assistant answers with come the same way.
    method: Method = "POST"
    direction: Direction = "outbound"
    phase: Phase = "placed"
    call_id: str | None = None
    machine_result: str | None = None
    # The next step an automation asked for, not yet delivered.
    pending: CallStep | None = None
    # Set while Bandwidth is asked to interrupt the call (Update Call): the
    # step is delivered to the redirect carrying this number, not before.
    interrupt: int | None = None
    steps: int = 0
    # Rounds of about a second a ringing or holding call still waits.
    rounds: int = 0
    # The text-to-speech the call was placed with: its steps' by default.
    speech: Speech | None = None
    # The goodbye in the call's text-to-speech voice, once one was rendered.
    goodbye_audio: str | None = None
    added: float = field(
        default_factory=lambda: dt_util.utcnow().timestamp(), metadata=REQUIRED
    )
    # The Assist pipeline of the conversation the call is having, if any.
    assist: str | None = None
    # The contact (subentry id) the call is with: the caller of a call
    # received, or who a satellite called.
    contact: str | None = None
    # The gather running asks for the contact's PIN (GatherScript.pin).
    pin_gather: bool = False
    # A call received whose caller ID STIR/SHAKEN verified (its voicemail).
    caller_verified: bool = False
    # Every name of audio Home Assistant serves for the call (its script's and
    # its steps'), to its media source ID: served while the call is live,
    # again after a restart.
    clips: dict[str, str] = field(default_factory=dict)
    # Live-only state, not stored: rounds of the silent hold loop answered,
    # answer documents built once (see documents.py), the last callback URL
    # made, with the webhook URL it was made on, and whether the call's
    # media stream is connected to Home Assistant.
    keep_alives: int = field(default=0, repr=False, metadata=LIVE_ONLY)
    documents: dict[bool, bytes] = field(
        default_factory=dict, repr=False, metadata=LIVE_ONLY
    )
    _callback_url: tuple[str, str] | None = field(default=None, init=False, repr=False)
    streaming: bool = field(default=False, repr=False, metadata=LIVE_ONLY)

    @classmethod
    def create(  # noqa: PLR0913 - keyword-only settings of a new call
        cls,
        webhook_url: str | None,
        script: CallScript | None,
        *,
        machine_detection: MachineDetectionMode | None = None,
        method: Method = "POST",
        direction: Direction = "outbound",
        phase: Phase = "placed",
    ) -> LiveCall:
        """Return a new call with a fresh reference and secret.

        An inbound call has no webhook URL of its own: its callbacks go where
        the entry's currently do.
        """
        return cls(
            ref=secrets.token_urlsafe(12),
            secret=secrets.token_urlsafe(24),
            webhook_url=webhook_url,
            script=script,
            machine_detection=machine_detection,
            method=method,
            direction=direction,
            phase=phase,
            clips=dict(script.media.clips) if script is not None else {},
        )

    def callback_url(self, webhook_url: str, *, step: int | None = None) -> str:
        """Return the URL of this call's callbacks on a webhook URL.

        `step` marks the URL of a redirect asked for to deliver that step.
        """
        if step is None and self._callback_url is not None:
            made_on, url = self._callback_url
            if made_on == webhook_url:
                return url
        query = {QUERY_REF: self.ref, QUERY_KEY: self.secret}
        if step is not None:
            query[QUERY_STEP] = str(step)
        url = str(URL(webhook_url).update_query(query))
        if step is None:
            self._callback_url = (webhook_url, url)
        return url

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a call from its stored form, older versions' too.

        Raises:
            AttributeError, KeyError, TypeError, ValueError: not a stored call.

        """
        # Version 1 calls were placed and, if answered, are playing.
        stored = {"phase": "playing" if data.get("call_id") else "placed", **data}
        if stored.get("clips") is None:
            stored.pop("clips", None)
        call = super().from_dict(stored)
        if "clips" not in stored:
            # Stored before calls kept their names: the script's and the step's.
            call.clips = {
                **(call.script.media.clips if call.script is not None else {}),
                **(call.pending.media.clips if call.pending is not None else {}),
            }
        if not call.ref or not call.secret:
            raise ValueError(call.ref)
        return call
