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
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal, NamedTuple, Protocol, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from yarl import URL

from .const import DOMAIN, LOGGER

STORAGE_VERSION: Final = 2
STORAGE_KEY: Final = f"{DOMAIN}.calls.{{}}"
SAVE_DELAY: Final = 1  # seconds; coalesces bursts of calls placed together
# A call whose disconnect never reached us (Home Assistant was down, say)
# would otherwise stay forever; no call lasts this long.
MAX_AGE: Final = 24 * 60 * 60  # seconds
# Bandwidth allows 100 concurrent calls per account by default.
MAX_CALLS: Final = 500
RECENT_CALLS: Final = 20

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
PHASES: Final = frozenset(
    (
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
    )
)


@dataclass(frozen=True, kw_only=True)
class GatherScript:
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
class Speech:
    """A Home Assistant text-to-speech entity speaking a call's texts."""

    engine: str  # the tts entity's id
    language: str | None = None
    options: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Speech | None:
        """Rebuild speech settings from their stored form."""
        if data is None:
            return None
        options = data.get("options")
        return cls(
            engine=str(data["engine"]),
            language=_optional_str(data.get("language")),
            options=dict(options) if options is not None else None,
        )


@dataclass(frozen=True, kw_only=True)
class Media:
    """Audio Home Assistant prepared for a script or step before it was sent.

    `audio` maps each text a text-to-speech engine rendered, and each media
    source ID, to the URL Bandwidth fetches it from; what it does not name is
    spoken by Bandwidth or played from its own URL. `clips` maps the names
    of the audio Home Assistant serves itself, the call's own, to their media
    source IDs.
    """

    audio: dict[str, str] = field(default_factory=dict)
    clips: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Media:
        """Rebuild prepared media from its stored form (absent before 0.2)."""
        if data is None:
            return cls()
        return cls(
            audio={str(key): str(value) for key, value in data["audio"].items()},
            clips={str(key): str(value) for key, value in data["clips"].items()},
        )


NO_MEDIA: Final = Media()


@dataclass(frozen=True, kw_only=True)
class CallScript:
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallScript:
        """Rebuild a script from its stored form.

        Raises:
            AttributeError, KeyError, TypeError, ValueError: not a stored script.

        """
        gather = data.get("gather")
        return cls(
            message=data.get("message"),
            voice=data.get("voice"),
            audio_url=data.get("audio_url"),
            machine_message=data.get("machine_message"),
            gather=GatherScript(**gather) if gather is not None else None,
            media=Media.from_dict(data.get("media")),
            assist=_optional_str(data.get("assist")),
            machine_hangup=bool(data.get("machine_hangup", False)),
        )


@dataclass(frozen=True, kw_only=True)
class TransferStep:
    """Destinations to ring together and connect the call to."""

    to: tuple[str, ...]
    caller_id: str | None = None
    timeout: float | None = None


@dataclass(frozen=True, kw_only=True)
class CallStep:
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallStep:
        """Rebuild a step from its stored form.

        Raises:
            AttributeError, KeyError, TypeError, ValueError: not a stored step.

        """
        gather, transfer = data.get("gather"), data.get("transfer")
        if transfer is not None:
            transfer = TransferStep(
                to=tuple(str(to) for to in transfer["to"]),
                caller_id=transfer.get("caller_id"),
                timeout=transfer.get("timeout"),
            )
        return cls(
            message=data.get("message"),
            voice=data.get("voice"),
            audio_url=data.get("audio_url"),
            gather=GatherScript(**gather) if gather is not None else None,
            transfer=transfer,
            hangup=bool(data.get("hangup", False)),
            media=Media.from_dict(data.get("media")),
            assist=_optional_str(data.get("assist")),
            voicemail=bool(data.get("voicemail", False)),
        )


@dataclass(kw_only=True, eq=False)
class LiveCall:
    """One call whose callbacks come to Home Assistant, and where it stands."""

    ref: str
    secret: str = field(repr=False)
    # Where the call's callbacks go, without the query; None for inbound calls
    # and calls restored from version 1 storage: the entry's current URL.
    webhook_url: str | None
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
    added: float = field(default_factory=lambda: dt_util.utcnow().timestamp())
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
    # answer documents built once (see replies.py), the last callback URL
    # made, with the webhook URL it was made on, and whether the call's
    # media stream is connected to Home Assistant.
    keep_alives: int = field(default=0, repr=False)
    documents: dict[bool, bytes] = field(default_factory=dict, repr=False)
    _callback_url: tuple[str, str] | None = field(default=None, init=False, repr=False)
    streaming: bool = field(default=False, repr=False)

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

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        return {
            "ref": self.ref,
            "secret": self.secret,
            "webhook_url": self.webhook_url,
            "script": asdict(self.script) if self.script is not None else None,
            "machine_detection": self.machine_detection,
            "method": self.method,
            "direction": self.direction,
            "phase": self.phase,
            "call_id": self.call_id,
            "machine_result": self.machine_result,
            "pending": asdict(self.pending) if self.pending is not None else None,
            "interrupt": self.interrupt,
            "steps": self.steps,
            "rounds": self.rounds,
            "speech": asdict(self.speech) if self.speech is not None else None,
            "goodbye_audio": self.goodbye_audio,
            "added": self.added,
            "assist": self.assist,
            "contact": self.contact,
            "pin_gather": self.pin_gather,
            "caller_verified": self.caller_verified,
            "clips": self.clips,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LiveCall:
        """Rebuild a call from its stored form.

        Raises:
            AttributeError, KeyError, TypeError, ValueError: not a stored call.

        """
        stored_script, stored_pending = data.get("script"), data.get("pending")
        mode = data.get("machine_detection")
        method = data.get("method", "POST")
        direction = data.get("direction", "outbound")
        # Version 1 calls were placed and, if answered, are playing.
        phase = data.get("phase", "playing" if data.get("call_id") else "placed")
        if (
            mode not in (None, "sync", "async")
            or method not in ("GET", "POST")
            or direction not in ("outbound", "inbound")
            or phase not in PHASES
        ):
            raise ValueError(mode)
        interrupt = data.get("interrupt")
        script = (
            CallScript.from_dict(stored_script) if stored_script is not None else None
        )
        pending = (
            CallStep.from_dict(stored_pending) if stored_pending is not None else None
        )
        clips = data.get("clips")
        if clips is None:
            # Stored before calls kept their names: the script's and the step's.
            clips = {
                **(script.media.clips if script is not None else {}),
                **(pending.media.clips if pending is not None else {}),
            }
        call = cls(
            ref=str(data["ref"]),
            secret=str(data["secret"]),
            webhook_url=_optional_str(data.get("webhook_url")),
            script=script,
            machine_detection=mode,
            method=method,
            direction=direction,
            phase=phase,
            call_id=_optional_str(data.get("call_id")),
            machine_result=_optional_str(data.get("machine_result")),
            pending=pending,
            interrupt=int(interrupt) if interrupt is not None else None,
            steps=int(data.get("steps", 0)),
            rounds=int(data.get("rounds", 0)),
            speech=Speech.from_dict(data.get("speech")),
            goodbye_audio=_optional_str(data.get("goodbye_audio")),
            added=float(data["added"]),
            assist=_optional_str(data.get("assist")),
            contact=_optional_str(data.get("contact")),
            pin_gather=bool(data.get("pin_gather", False)),
            caller_verified=bool(data.get("caller_verified", False)),
            clips={str(name): str(source) for name, source in clips.items()},
        )
        if not call.ref or not call.secret:
            raise ValueError(call.ref)
        return call


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


class RecentCall(NamedTuple):
    """A call seen lately and the last callback it sent."""

    call_id: str
    event_type: str


class _StoredData(TypedDict):
    calls: list[dict[str, Any]]


class _CallsStore(Store[_StoredData]):
    """The entry's stored calls; version 1 kept scripts by call id."""

    async def _async_migrate_func(
        self,
        old_major_version: int,  # noqa: ARG002 - only version 1 ever existed
        old_minor_version: int,  # noqa: ARG002
        old_data: Any,
    ) -> _StoredData:
        """Turn version 1's {call_id: {added, script}} into calls.

        Those calls were placed with callback credentials instead of per-call
        URLs: they get a reference and secret of their own, which their
        remaining callbacks learn from the BXML answering them.
        """
        calls: list[dict[str, Any]] = []
        old_calls = old_data.get("calls") if isinstance(old_data, dict) else None
        for call_id, stored in (old_calls or {}).items():
            try:
                script = stored["script"]
                calls.append(
                    {
                        "ref": secrets.token_urlsafe(12),
                        "secret": secrets.token_urlsafe(24),
                        "webhook_url": script.get("webhook_url"),
                        "script": {
                            key: script.get(key)
                            for key in (
                                "message",
                                "voice",
                                "audio_url",
                                "machine_message",
                                "gather",
                            )
                        },
                        "machine_detection": script.get("machine_detection"),
                        "call_id": call_id,
                        "added": stored["added"],
                    }
                )
            except (AttributeError, KeyError, TypeError):
                LOGGER.debug("Dropping unreadable stored script of call %s", call_id)
        return {"calls": calls}


class CallAudio(Protocol):
    """Serves the audio of live calls by name (media.AudioLibrary)."""

    def lend(self, owner: str, clips: Mapping[str, str]) -> None:
        """Serve names (to their media source IDs) while the call `owner` lives."""

    def release(self, owner: str, names: Iterable[str]) -> None:
        """Let the names of a call that ended expire."""


class _NoAudio:
    """Serves nothing: for stores of no Home Assistant audio."""

    def lend(self, owner: str, clips: Mapping[str, str]) -> None:
        """Serve nothing."""

    def release(self, owner: str, names: Iterable[str]) -> None:
        """Serve nothing."""


class CallStore:
    """The live calls of one config entry, persisted across restarts.

    The audio Home Assistant serves for a call is served while the call is
    here: `audio` is given its names when the call is added (or restored) and
    gets a step, and is told when the call is forgotten.
    """

    def __init__(
        self, hass: HomeAssistant, entry_id: str, audio: CallAudio | None = None
    ) -> None:
        """Prepare the calls of one config entry (load them before use)."""
        self._audio: CallAudio = audio or _NoAudio()
        # private: per-call callback secrets are written to disk.
        self._store = _CallsStore(
            hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id), private=True
        )
        # By reference, in the order they were placed (pruning relies on it).
        self._calls: dict[str, LiveCall] = {}
        self._by_call_id: dict[str, LiveCall] = {}
        self._recent: deque[RecentCall] = deque(maxlen=RECENT_CALLS)

    async def async_load(self) -> None:
        """Restore the calls that were live before a restart."""
        data = await self._store.async_load()
        stored = data.get("calls") if isinstance(data, dict) else None
        for item in stored if isinstance(stored, list) else ():
            try:
                call = LiveCall.from_dict(item)
            except (AttributeError, KeyError, TypeError, ValueError):
                LOGGER.debug("Dropping an unreadable stored call")
                continue
            self._calls[call.ref] = call
            if call.call_id is not None:
                self._by_call_id[call.call_id] = call
        if self._prune():
            self._schedule_save()
        for call in self._calls.values():
            if call.clips:
                self._audio.lend(call.ref, call.clips)

    @callback
    def add(self, call: LiveCall) -> None:
        """Remember a call about to be placed."""
        self._calls[call.ref] = call
        if call.call_id is not None:
            self._by_call_id[call.call_id] = call
        if call.clips:
            self._audio.lend(call.ref, call.clips)
        self._prune()
        self._schedule_save()

    @callback
    def by_ref(self, ref: str) -> LiveCall | None:
        """Return the call a callback URL names, if it is still live."""
        return self._calls.get(ref)

    @callback
    def by_call_id(self, call_id: str) -> LiveCall | None:
        """Return a live call by Bandwidth's id."""
        return self._by_call_id.get(call_id)

    @callback
    def bind(self, call: LiveCall, call_id: str) -> None:
        """Record the id Bandwidth gave a call (from its answer or a callback)."""
        if call.call_id == call_id or self._calls.get(call.ref) is not call:
            return
        if call.call_id is not None:
            self._by_call_id.pop(call.call_id, None)
        call.call_id = call_id
        self._by_call_id[call_id] = call
        self._schedule_save()

    @callback
    def changed(self, call: LiveCall) -> None:
        """Persist a change to a live call's stored state."""
        if self._calls.get(call.ref) is call:
            self._schedule_save()

    @callback
    def add_clips(self, call: LiveCall, clips: Mapping[str, str]) -> None:
        """Serve more audio for a live call (a step's); none for a call that ended."""
        if clips and self._calls.get(call.ref) is call:
            call.clips.update(clips)
            self._audio.lend(call.ref, clips)
            self._schedule_save()

    @callback
    def remove(self, call: LiveCall) -> None:
        """Forget a call that ended or was never placed."""
        if self._calls.get(call.ref) is call:
            self._forget(call)
            self._schedule_save()

    @callback
    def record(self, call_id: str, event_type: str) -> None:
        """Note the latest callback of a call, for diagnostics."""
        for index, recent in enumerate(self._recent):
            if recent.call_id == call_id:
                del self._recent[index]
                break
        self._recent.append(RecentCall(call_id, event_type))

    @property
    def recent(self) -> tuple[RecentCall, ...]:
        """The latest calls seen (oldest first) with their last callback."""
        return tuple(self._recent)

    @property
    def live(self) -> tuple[LiveCall, ...]:
        """The calls waiting, ringing or in progress, oldest first."""
        return tuple(self._calls.values())

    @property
    def active_calls(self) -> int:
        """How many calls are waiting, ringing or in progress."""
        return len(self._calls)

    async def async_unload(self) -> None:
        """Write pending changes now, before another store takes over the file.

        The calls' audio is released: an entry loaded again serves it again,
        and one removed no longer does.
        """
        for call in self._calls.values():
            if call.clips:
                self._audio.release(call.ref, call.clips)
        await self._store.async_save(self._data_to_save())

    def _prune(self) -> bool:
        """Drop calls too old to be live, then the oldest beyond MAX_CALLS.

        Calls are kept in the order they were placed, so the scan stops at
        the first one young enough to keep while no more than MAX_CALLS are.
        """
        cutoff = dt_util.utcnow().timestamp() - MAX_AGE
        stale: list[LiveCall] = []
        for call in self._calls.values():
            if call.added >= cutoff and len(self._calls) - len(stale) <= MAX_CALLS:
                break
            stale.append(call)
        for call in stale:
            self._forget(call)
        return bool(stale)

    def _forget(self, call: LiveCall) -> None:
        del self._calls[call.ref]
        if call.call_id is not None and self._by_call_id.get(call.call_id) is call:
            del self._by_call_id[call.call_id]
        if call.clips:
            self._audio.release(call.ref, call.clips)

    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    @callback
    def _data_to_save(self) -> _StoredData:
        return {"calls": [call.as_dict() for call in self._calls.values()]}


async def async_remove_call_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored calls of a removed config entry."""
    await Store[_StoredData](
        hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id), private=True
    ).async_remove()
