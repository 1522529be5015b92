"""The sandbox's records: what it received, what it sent, the calls it plays.

`RecordedRequest` is one request the API received; `CallbackAttempt` one
callback exchange and `AudioFetch` one <PlayAudio> media request the sandbox
made. `Call` is a call with everything that happened on it, `Scenario` what
its callee does, `Hook` where one of its callbacks goes, `MediaStream` one
<StartStream> of it. Tests read these.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from multidict import CIMultiDict

from .auth import Credentials
from .bxml import Verb

type Document = tuple[list[Verb], str]  # BXML verbs and the URL they came from


def now() -> str:
    """Return the current time as Bandwidth writes it (UTC, milliseconds, Z)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_call_id() -> str:
    """Return a fresh call id, shaped like Bandwidth's."""
    return f"c-{secrets.token_hex(4)}-{uuid.uuid4()}"


@dataclass
class RecordedRequest:
    """One HTTP request the sandbox received."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: bytes
    json: Any = None
    form: dict[str, str] | None = None


@dataclass
class CallbackAttempt:
    """One callback HTTP request the sandbox made (each 401 retry is its own)."""

    event_type: str
    method: str
    url: str  # as Bandwidth addressed it, before url_rewrites
    payload: dict[str, Any]
    authenticated: bool = False
    status: int | None = None  # None: no HTTP answer (connection error, time-out)
    body: str = ""
    headers: CIMultiDict[str] = field(default_factory=CIMultiDict)

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300  # noqa: PLR2004


@dataclass
class AudioFetch:
    """One <PlayAudio> media request the sandbox made, and what came of it."""

    url: str  # as in the BXML, resolved against its document; before url_rewrites
    status: int | None = None  # None: no HTTP answer (connection error, time-out)
    content_type: str | None = None  # the response's header, None when absent
    format: str | None = None  # "mp3"/"wav" it was decoded (or tried) as; None: no body
    duration: float = 0.0  # seconds of audio, once decoded
    error: str | None = None  # why it could not play; None when playable

    @property
    def ok(self) -> bool:
        """Whether the media was fetched and decoded, so it could play."""
        return self.error is None


@dataclass(frozen=True)
class Hook:
    """Where a callback goes: URL, method, credentials and optional fallback."""

    url: str
    method: str = "POST"
    credentials: Credentials = None
    fallback_url: str | None = None
    fallback_method: str = "POST"
    fallback_credentials: Credentials = None


@dataclass
class Scenario:
    """What the callee does.

    outcome: "answer" (a human), "voicemail" (a machine), "no-answer" (rings
    until callTimeout, cause timeout), "busy", "rejected" (the callee
    declines it) or "error" (the network fails it, cause error). digits: what is pressed at
    each <Gather> (a string for every Gather, or a list consumed one per
    Gather; default "1" for a human, nothing for a machine).
    machine_detection_result overrides the detected value. hangup_after:
    the callee hangs up that many (simulated) seconds after answering.
    """

    outcome: str = "answer"
    digits: str | Sequence[str] | None = None
    machine_detection_result: str | None = None
    ring_seconds: float = 2.0
    detection_duration: str = "PT4.9891287S"
    hangup_after: float | None = None
    # A transfer's called party: how long it stays connected before hanging up.
    talk_seconds: float = 2.0
    # What the caller says once a media stream starts: a WAV file (8 kHz
    # mono, µ-law or 16-bit PCM); silence otherwise.
    speech: str | None = None
    # What the caller says once an answer starts playing back: talking over it.
    barge_in: str | None = None
    # The message the caller leaves at a <Record>: a WAV or MP3 file (its
    # length is the recording's); none: silence until silenceTimeout.
    message: str | None = None
    # What Bandwidth's transcription hears in it; None: no transcript comes.
    transcript: str | None = "This is a message left in the sandbox."


@dataclass
class Recording:
    """A <Record>ing Bandwidth keeps, served by the recordings API."""

    recording_id: str
    call_id: str
    media: bytes
    file_format: str
    duration: float
    transcript: str | None
    deleted: bool = False


@dataclass
class Call:
    """A call the sandbox created, with what happened on it."""

    call_id: str
    account_id: str
    request: dict[str, Any]
    call_url: str
    enqueued_time: str
    state: str = "initiated"
    start_time: str | None = None
    answer_time: str | None = None
    end_time: str | None = None
    disconnect_cause: str | None = None
    error_message: str | None = None
    error_id: str | None = None
    last_update: str = field(default_factory=now)
    tag: str | None = None
    spoken: list[str] = field(default_factory=list)
    played: list[str] = field(default_factory=list)
    # Each <PlayAudio> media request, played or not, in order.
    audio: list[AudioFetch] = field(default_factory=list)
    gathered: list[str] = field(default_factory=list)
    callbacks: list[tuple[str, int | None, str]] = field(default_factory=list)
    attempts: list[CallbackAttempt] = field(default_factory=list)
    machine_detection: str | None = None
    task: asyncio.Task[None] | None = None
    # Set by Update Call (hangup or redirect) to interrupt the running BXML.
    interrupt: asyncio.Event = field(default_factory=asyncio.Event)
    redirect: Hook | None = None
    replacement: Document | None = None
    md_pending: bool = False
    gathers: int = 0
    direction: str = "outbound"
    # Inbound calls: what the initiate callback carries, and where the
    # application sends its status (disconnect) callbacks.
    stir_shaken: dict[str, str] | None = None
    diversion: dict[str, str] | None = None
    status_url: str | None = None
    # (monotonic time, text) of each sentence as it starts being spoken.
    heard: list[tuple[float, str]] = field(default_factory=list)
    # (monotonic time, URL) of each audio file as it starts playing.
    heard_audio: list[tuple[float, str]] = field(default_factory=list)
    # The called parties of this call's transfers, in order.
    transfers: list[Call] = field(default_factory=list)
    parent: Call | None = None
    # What the person calling in does (inbound calls).
    scenario: Scenario | None = None
    # The media stream of each <StartStream>, in order, rejected ones too.
    streams: list[MediaStream] = field(default_factory=list)
    # Each <Record>'s recording, in order.
    recordings: list[Recording] = field(default_factory=list)
    # Recording callbacks Bandwidth sends once the call ended: (event type,
    # hook, payload).
    later: list[tuple[str, Hook, dict[str, Any]]] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        """Whether the call has ended."""
        return self.state == "disconnected"

    def state_json(self) -> dict[str, Any]:
        """Describe the call as the spec's callState."""
        request = self.request
        return {
            "applicationId": request["applicationId"],
            "accountId": self.account_id,
            "callId": self.call_id,
            "parentCallId": None,
            "to": request["to"],
            "from": request["from"],
            "direction": self.direction,
            "state": self.state,
            "stirShaken": None,
            "identity": None,
            "enqueuedTime": self.enqueued_time,
            "startTime": self.start_time,
            "answerTime": self.answer_time,
            "endTime": self.end_time,
            "disconnectCause": self.disconnect_cause,
            "errorMessage": self.error_message,
            "errorId": self.error_id,
            "lastUpdate": self.last_update,
        }

    def end(self, cause: str, error: str | None = None) -> None:
        """Mark the call disconnected (once)."""
        if self.completed:
            return
        self.state = "disconnected"
        self.end_time = self.last_update = now()
        self.disconnect_cause = cause
        if error:
            self.error_message, self.error_id = error, str(uuid.uuid4())
        self.interrupt.set()


@dataclass
class MediaStream:
    """One <StartStream> of a call, and everything that went over it."""

    name: str  # the verb's name, else the stream id (as at Bandwidth)
    destination: str  # as in the BXML, before url_rewrites
    stream_id: str = field(default_factory=lambda: f"s-{secrets.token_hex(16)}")
    tracks: tuple[str, ...] = ("inbound",)  # as asked; only inbound is streamed
    start_time: str = field(default_factory=now)  # when <StartStream> ran
    # Why it was never started: "duplicate" (its name was in use) or
    # "connection-error" (the websocket could not be opened); error says more.
    rejected: str | None = None
    status: int | None = None  # the handshake's status when it was refused
    error: str | None = None  # why it could not connect, or was rejected
    connected: bool = False
    frames_sent: int = 0
    # µ-law audio the destination sent (playAudio), all of it, and what the
    # caller heard of it before a clear or the end of the stream.
    received: bytearray = field(default_factory=bytearray)
    heard: bytearray = field(default_factory=bytearray)
    clears: int = 0
    # What came back and the caller has not heard yet.
    pending: bytearray = field(default_factory=bytearray, repr=False)
    # What the caller says over the first answer, not said yet.
    barge_in: bytes = field(default=b"", repr=False)
    messages: list[dict[str, Any]] = field(default_factory=list)
    # "stop": the sandbox stopped it; "closed": the destination closed it.
    ended: str | None = None
    close_code: int | None = None  # the websocket's, once closed
    # time.monotonic() when the websocket opened, and when the stream ended
    # (its socket closed, or it was never started).
    connected_at: float | None = None
    ended_at: float | None = None
    # Runs the stream and sends its events to streamEventUrl.
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    stopping: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    # Set once the stream has ended (or was never started): its name is free.
    finished: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def active(self) -> bool:
        """Whether the stream holds its name: starting or started, not ended."""
        return self.rejected is None and not self.finished.is_set()

    def finish(self) -> None:
        """Mark the stream ended (once)."""
        if not self.finished.is_set():
            self.ended_at = time.monotonic()
            self.finished.set()

    def describe(self) -> dict[str, Any]:
        """Describe the stream as stream events do (their mediaStream)."""
        return {
            "id": self.stream_id,
            "name": self.name,
            "destination": self.destination,
            "startTime": self.start_time,
            "tracks": list(self.tracks),
            "type": "WebSocket",
        }
