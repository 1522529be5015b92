"""Voicemail: the messages callers leave, kept on the Home Assistant machine.

A call answered by voicemail records with `<Record>`; Bandwidth tells its
call's own URL when the recording (recordingAvailable) and its transcript
(transcriptionAvailable) are ready, mostly after the caller hung up. The
call's secret therefore outlives the call, for those two callbacks only,
until its message is stored and announced or EXPECT_FOR has passed.

The audio is fetched with the entry's credentials from this account's Voice
API, never from wherever a callback's mediaUrl points, and stored as
Bandwidth made it, under the config directory; the messages' metadata is in
a Store. A replayed callback finds its recording already taken and does
nothing. A message is announced (bandwidth_voicemail_received) once its
transcript came, or TRANSCRIPT_WAIT after it was stored without one.

The module runs a little past 450 lines: the messages kept and the
recordings on their way are one box, sharing one Store and its saves.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import BandwidthClient, BandwidthError
from .calls import LiveCall
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_VOICEMAIL_DELETE_AT_BANDWIDTH,
    CONF_VOICEMAIL_RETENTION_DAYS,
    CONF_VOICEMAIL_STT_ENTITY_ID,
    CONF_VOICEMAIL_TRANSCRIPTION,
    DEFAULT_VOICEMAIL_RETENTION_DAYS,
    DOMAIN,
    EVENT_TYPE_VOICEMAIL_RECEIVED,
    EVENT_VOICEMAIL_RECEIVED,
    LOGGER,
    TRANSCRIPTION_BANDWIDTH,
    TRANSCRIPTION_STT,
)
from .signals import async_fire_call_event
from .voicemail_messages import (
    STORAGE_KEY,
    STORAGE_VERSION,
    Expected,
    Message,
    StoredData,
    media_content_id,
    parse_duration,
    unlink_files,
    write_file,
)
from .voicemail_stt import async_transcribe

SAVE_DELAY: Final = 1  # seconds
CALLBACK_RECORDING_AVAILABLE: Final = "recordingAvailable"
CALLBACK_TRANSCRIPTION_AVAILABLE: Final = "transcriptionAvailable"
RECORDING_CALLBACKS: Final = frozenset(
    {CALLBACK_RECORDING_AVAILABLE, CALLBACK_TRANSCRIPTION_AVAILABLE}
)
# How long after a voicemail call ended its secret still opens its
# recording's callbacks: Bandwidth processes a recording within minutes.
EXPECT_FOR: Final = timedelta(minutes=15)
# A transcript that does not come holds its message back no longer.
TRANSCRIPT_WAIT: Final = timedelta(minutes=3)
MAX_MESSAGES: Final = 200
# A message of the longest allowed duration, in WAV, is far smaller.
MAX_RECORDING_BYTES: Final = 64 * 1024 * 1024
PRUNE_INTERVAL: Final = timedelta(hours=1)
FORMATS: Final = frozenset({"mp3", "wav"})
# What an id may be to name a file: Bandwidth's ids are like r-fc2b5a9c-...
_SAFE_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


type Options = Callable[[], Mapping[str, Any]]


class VoicemailBox:
    """One entry's voicemail: the messages kept, and those on their way."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        client: BandwidthClient,
        options: Options,
    ) -> None:
        """Prepare the entry's voicemail (load it before use)."""
        self.hass = hass
        self.entry_id = entry_id
        self._client = client
        self._options = options
        # private: the calls' secrets are kept until their messages are in.
        self._store: Store[StoredData] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id), private=True
        )
        self.directory = Path(hass.config.path(DOMAIN, "voicemail", entry_id))
        # Newest last.
        self._messages: dict[str, Message] = {}
        self._expected: dict[str, Expected] = {}
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._listeners: list[Callable[[], None]] = []
        self._unsubscribe: list[CALLBACK_TYPE] = []

    async def async_load(self) -> None:
        """Restore messages and expected recordings; drop what is too old."""
        data: Mapping[str, Any] = await self._store.async_load() or {}
        for item in data.get("messages", []):
            try:
                message = Message(**item)
            except TypeError:
                LOGGER.debug("Dropping an unreadable stored voicemail message")
                continue
            self._messages[message.id] = message
        for item in data.get("expected", []):
            try:
                expected = Expected(**item)
            except TypeError:
                LOGGER.debug("Dropping an unreadable expected voicemail")
                continue
            self._expected[expected.ref] = expected
        await self.async_prune()
        for expected in self._expected.values():
            stored = self._messages.get(expected.message_id or "")
            if stored is not None and not stored.announced:
                # The transcript it waited for may still come, or not.
                self._wait_for_transcript(expected, stored)
        self._unsubscribe.append(
            async_track_time_interval(self.hass, self._async_prune_now, PRUNE_INTERVAL)
        )

    async def async_unload(self) -> None:
        """Stop timers and write pending changes before another box takes over."""
        for unsubscribe in (*self._unsubscribe, *self._timers.values()):
            unsubscribe()
        self._timers.clear()
        await self._store.async_save(self._data_to_save())

    # -- Messages ---------------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        """The messages announced, newest first."""
        return [
            message
            for message in reversed(self._messages.values())
            if message.announced
        ]

    @property
    def awaited(self) -> int:
        """How many calls' recording callbacks are still awaited."""
        return sum(not expected.done for expected in self._expected.values())

    @callback
    def message(self, message_id: str) -> Message | None:
        """Return an announced message by id."""
        message = self._messages.get(message_id)
        return message if message is not None and message.announced else None

    def path(self, message: Message) -> Path:
        """Return where a message's audio is."""
        return self.directory / message.file_name

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener` whenever the messages change."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def mark_heard(self, message_ids: list[str] | None) -> None:
        """Mark messages heard (all of them for None)."""
        for message in self.messages:
            if message_ids is None or message.id in message_ids:
                message.heard = True
        self._changed()

    async def async_delete(self, message_ids: list[str] | None) -> None:
        """Delete messages, their audio too (all of them for None)."""
        doomed = [
            message
            for message in self.messages
            if message_ids is None or message.id in message_ids
        ]
        await self._async_forget(doomed)

    async def async_prune(self) -> None:
        """Delete messages past the retention, then the oldest beyond MAX_MESSAGES.

        Expected recordings whose time is up are forgotten too.
        """
        now = dt_util.utcnow()
        days = self._options().get(
            CONF_VOICEMAIL_RETENTION_DAYS, DEFAULT_VOICEMAIL_RETENTION_DAYS
        )
        cutoff = (now - timedelta(days=days)).isoformat()
        doomed = [
            message
            for message in self._messages.values()
            if message.announced and message.received < cutoff
        ]
        kept = [message for message in self.messages if message not in doomed]
        doomed.extend(kept[MAX_MESSAGES:])
        for ref in [
            ref
            for ref, expected in self._expected.items()
            if expected.expires < now.timestamp()
        ]:
            self._forget_expected(ref)
        await self._async_forget(doomed)

    async def _async_prune_now(self, _now: datetime) -> None:
        await self.async_prune()

    async def _async_forget(self, doomed: list[Message]) -> None:
        """Forget messages and delete their audio."""
        if not doomed:
            return
        for message in doomed:
            self._messages.pop(message.id, None)
        paths = [self.path(message) for message in doomed]
        await self.hass.async_add_executor_job(unlink_files, paths)
        self._changed()

    # -- Recordings on their way ---------------------------------------------------

    @callback
    def expect(
        self, call: LiveCall, data: Mapping[str, Any], contact: str | None
    ) -> None:
        """Keep a voicemail call's secret for its recording's callbacks.

        ``data`` is a callback's fields about the call (its numbers);
        ``contact`` the caller's name when a contact.
        """
        if call.call_id is None or call.ref in self._expected:
            return
        options = self._options()
        transcription = options.get(
            CONF_VOICEMAIL_TRANSCRIPTION, TRANSCRIPTION_BANDWIDTH
        )
        self._expected[call.ref] = Expected(
            ref=call.ref,
            secret=call.secret,
            call_id=call.call_id,
            caller=_text(data.get("from")),
            called=_text(data.get("to")),
            contact=contact,
            caller_verified=call.caller_verified,
            transcribe=transcription == TRANSCRIPTION_BANDWIDTH,
            stt=(
                options.get(CONF_VOICEMAIL_STT_ENTITY_ID)
                if transcription == TRANSCRIPTION_STT
                else None
            ),
            expires=(dt_util.utcnow() + EXPECT_FOR).timestamp(),
        )
        self._schedule_save()

    @callback
    def expected(self, ref: str) -> Expected | None:
        """Return the call whose recording is expected, by its reference."""
        expected = self._expected.get(ref)
        if expected is None or expected.expires < dt_util.utcnow().timestamp():
            return None
        return expected

    @callback
    def receive(
        self, expected: Expected, event_type: str, fields: Mapping[str, Any]
    ) -> None:
        """Take in a recording's callback; fetch what it announces in the background."""
        if expected.done or fields.get("callId") != expected.call_id:
            return
        recording_id = fields.get("recordingId")
        if not isinstance(recording_id, str) or not _SAFE_ID.match(recording_id):
            LOGGER.debug("A recording callback without a usable recordingId")
            return
        if event_type == CALLBACK_TRANSCRIPTION_AVAILABLE:
            self._receive_transcript(expected)
        elif expected.recording_id is None:  # otherwise a replay
            self._receive_recording(expected, recording_id, fields)

    @callback
    def _receive_transcript(self, expected: Expected) -> None:
        """Fetch the transcript of a message stored; or once it is."""
        if expected.transcript_ready:
            return  # a replay
        expected.transcript_ready = True
        self._schedule_save()
        # Not stored yet: the transcript is fetched once the recording is.
        if (message := self._messages.get(expected.message_id or "")) is not None:
            self._start(self._async_take_transcript(expected, message))

    @callback
    def _receive_recording(
        self, expected: Expected, recording_id: str, fields: Mapping[str, Any]
    ) -> None:
        """Fetch a recording Bandwidth has ready, only from the account's API."""
        expected.recording_id = recording_id
        self._schedule_save()
        if fields.get("status") == "error":
            LOGGER.warning("Bandwidth could not record the message of a call")
            self._finish(expected)
            return
        media_url = self._client.recording_media_url(expected.call_id, recording_id)
        if fields.get("mediaUrl") != str(media_url):
            LOGGER.warning(
                "Not fetching a voicemail message from a URL that is not the "
                "account's Voice API"
            )
            self._finish(expected)
            return
        file_format = fields.get("fileFormat")
        self._start(
            self._async_take_recording(
                expected,
                recording_id,
                parse_duration(fields.get("duration")),
                file_format if file_format in FORMATS else "mp3",
            )
        )

    def _start(self, job: Any) -> None:
        self.hass.async_create_background_task(job, f"{DOMAIN} voicemail")

    async def _async_take_recording(
        self, expected: Expected, recording_id: str, duration: float, file_format: str
    ) -> None:
        """Fetch the recording, store it, and announce it when its time comes."""
        try:
            audio = await self._client.get_recording_media(
                expected.call_id, recording_id
            )
        except BandwidthError as err:
            LOGGER.warning("Could not fetch a voicemail message: %s", err)
            self._finish(expected)
            return
        if not audio or len(audio) > MAX_RECORDING_BYTES:
            LOGGER.warning("Bandwidth returned an empty or oversized voicemail message")
            self._finish(expected)
            return
        message = Message(
            id=secrets.token_hex(8),
            call_id=expected.call_id,
            recording_id=recording_id,
            caller=expected.caller,
            called=expected.called,
            contact=expected.contact,
            caller_verified=expected.caller_verified,
            duration=duration,
            received=dt_util.utcnow().isoformat(),
            format=file_format,
        )
        await self.hass.async_add_executor_job(
            write_file, self.directory, message.file_name, audio
        )
        self._messages[message.id] = message
        expected.message_id = message.id
        self._schedule_save()
        if expected.stt is not None:
            message.transcript = await async_transcribe(self.hass, expected.stt, audio)
            self._announce(expected, message)
        elif not expected.transcribe:
            self._announce(expected, message)
        elif expected.transcript_ready:
            await self._async_take_transcript(expected, message)
        else:
            self._wait_for_transcript(expected, message)

    @callback
    def _wait_for_transcript(self, expected: Expected, message: Message) -> None:
        """Announce the message without its transcript if it does not come in time."""

        @callback
        def _give_up(_now: datetime) -> None:
            self._timers.pop(expected.ref, None)
            self._announce(expected, message)

        self._timers[expected.ref] = async_call_later(
            self.hass, TRANSCRIPT_WAIT, _give_up
        )

    async def _async_take_transcript(
        self, expected: Expected, message: Message
    ) -> None:
        """Fetch the transcript, then announce the message with it."""
        if (timer := self._timers.pop(expected.ref, None)) is not None:
            timer()
        try:
            message.transcript = await self._client.get_transcription(
                expected.call_id, message.recording_id
            )
        except BandwidthError as err:
            LOGGER.warning("Could not fetch a voicemail transcript: %s", err)
        self._announce(expected, message)

    @callback
    def _announce(self, expected: Expected, message: Message) -> None:
        """Tell automations about a new message (once); delete it at Bandwidth."""
        if message.announced:
            return  # its time ran out while its transcript was fetched
        message.announced = True
        self._finish(expected)
        self._changed()
        async_fire_call_event(
            self.hass,
            self.entry_id,
            EVENT_VOICEMAIL_RECEIVED,
            EVENT_TYPE_VOICEMAIL_RECEIVED,
            {
                "call_id": message.call_id,
                "from": message.caller,
                "to": message.called,
                "contact": message.contact,
                "caller_verified": message.caller_verified,
                "duration": message.duration,
                "transcript": message.transcript,
                "media_content_id": media_content_id(self.entry_id, message.id),
                "received": message.received,
                ATTR_CONFIG_ENTRY_ID: self.entry_id,
            },
        )
        if self._options().get(CONF_VOICEMAIL_DELETE_AT_BANDWIDTH, True):
            self._start(self._async_delete_at_bandwidth(message))

    async def _async_delete_at_bandwidth(self, message: Message) -> None:
        try:
            await self._client.delete_recording(message.call_id, message.recording_id)
        except BandwidthError as err:
            LOGGER.warning("Could not delete a voicemail message at Bandwidth: %s", err)

    @callback
    def _finish(self, expected: Expected) -> None:
        """Take no more callbacks of a call whose message is done with.

        It stays known, done, until its time is up: replays find it.
        """
        expected.done = True
        self._schedule_save()

    @callback
    def _forget_expected(self, ref: str) -> None:
        """Forget a call whose time is up; its message, if stored, is announced."""
        expected = self._expected.pop(ref)
        if (timer := self._timers.pop(ref, None)) is not None:
            timer()
        message = self._messages.get(expected.message_id or "")
        if message is not None and not message.announced:
            # Home Assistant was down while it waited for its transcript.
            self._announce(expected, message)
        self._schedule_save()

    # -- Storage --------------------------------------------------------------------

    @callback
    def _changed(self) -> None:
        self._schedule_save()
        for listener in list(self._listeners):
            listener()

    @callback
    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    @callback
    def _data_to_save(self) -> StoredData:
        return {
            "messages": [asdict(message) for message in self._messages.values()],
            "expected": [asdict(expected) for expected in self._expected.values()],
        }


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
