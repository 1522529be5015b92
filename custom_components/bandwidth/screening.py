"""Call screening: who is calling and why, for an automation to decide.

A caller who is not a contact is asked who they are and why they call; the
answer is recorded (`<Record>`) while the caller, told to hold, waits in the
call's loop. Its callbacks (recordingAvailable, transcriptionAvailable) come
to the call's own URL with the call's own secret, the caller still on the
line. Once the reason is known (Bandwidth's transcript, or what the
speech-to-text entity heard), or SCREEN_WAIT rounds passed without it,
bandwidth_call_screened is fired, once, and the call waits for an
automation's decision (replies.py).

Recordings are fetched only from the account's Voice API, as voicemail's are,
and, as voicemail's, deleted at Bandwidth once heard (option
voicemail_delete_at_bandwidth): the answer is the caller's voice, kept
nowhere once automations were told.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback

from .api import BandwidthClient, BandwidthError
from .call_store import MAX_CALLS, CallStore
from .calls import LiveCall
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_HOLD_TIME,
    CONF_VOICEMAIL_DELETE_AT_BANDWIDTH,
    CONF_VOICEMAIL_STT_ENTITY_ID,
    CONF_VOICEMAIL_TRANSCRIPTION,
    DEFAULT_HOLD_TIME,
    DOMAIN,
    EVENT_CALL_SCREENED,
    EVENT_TYPE_CALL_SCREENED,
    LOGGER,
    TRANSCRIPTION_BANDWIDTH,
    TRANSCRIPTION_STT,
)
from .signals import async_fire_call_event
from .voicemail import CALLBACK_TRANSCRIPTION_AVAILABLE, MAX_RECORDING_BYTES
from .voicemail_stt import async_transcribe

# Screenings remembered (their recording's late callbacks are theirs): a
# live call's is never forgotten.
MAX_SCREENS: Final = MAX_CALLS

type Options = Callable[[], Mapping[str, Any]]


@dataclass(kw_only=True)
class Screen:
    """One call being screened, and what is known of its caller."""

    ref: str
    call_id: str
    caller: str | None
    caller_verified: bool
    transcribe: bool
    stt: str | None
    recording_id: str | None = None
    # Whether Bandwidth holds a recording of the answer (not an errored one).
    recorded: bool = False
    announced: bool = False


class Screener:
    """One entry's call screening: the answers on their way, and their event."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        client: BandwidthClient,
        options: Options,
        calls: CallStore,
    ) -> None:
        """Screen the calls of an entry."""
        self.hass = hass
        self.entry_id = entry_id
        self._client = client
        self._options = options
        self._calls = calls
        # By call reference, oldest first.
        self._screens: OrderedDict[str, Screen] = OrderedDict()

    @callback
    def start(self, call: LiveCall, data: Mapping[str, Any]) -> None:
        """Screen a call just received (``data``: its initiate's fields)."""
        assert call.call_id is not None  # noqa: S101 - calls received have one
        options = self._options()
        transcription = options.get(
            CONF_VOICEMAIL_TRANSCRIPTION, TRANSCRIPTION_BANDWIDTH
        )
        caller = data.get("from")
        self._screens[call.ref] = Screen(
            ref=call.ref,
            call_id=call.call_id,
            caller=caller if isinstance(caller, str) else None,
            caller_verified=call.caller_verified,
            transcribe=transcription == TRANSCRIPTION_BANDWIDTH,
            stt=(
                options.get(CONF_VOICEMAIL_STT_ENTITY_ID)
                if transcription == TRANSCRIPTION_STT
                else None
            ),
        )
        while len(self._screens) > MAX_SCREENS:
            self._screens.popitem(last=False)

    @callback
    def claims(self, ref: str, phase: str | None, fields: Mapping[str, Any]) -> bool:
        """Tell whether a recording's callback is a screening's.

        While the call is screened every recording is its answer; later (gone
        to voicemail) only the answer's own recording id is.
        """
        screen = self._screens.get(ref)
        if screen is None:
            return False
        if phase in ("screening", "screened"):
            return True
        return (
            screen.recording_id is not None
            and fields.get("recordingId") == screen.recording_id
        )

    @callback
    def receive(self, ref: str, event_type: str, fields: Mapping[str, Any]) -> None:
        """Take in the answer's recording callback; transcribe in the background."""
        screen = self._screens.get(ref)
        if (
            screen is None
            or fields.get("callId") != screen.call_id
            or not isinstance(recording_id := fields.get("recordingId"), str)
        ):
            return
        if event_type == CALLBACK_TRANSCRIPTION_AVAILABLE:
            if screen.transcribe and not screen.announced:
                self._start(self._async_take_transcript(screen, recording_id))
            return
        if screen.recording_id is not None:
            return  # a replay
        screen.recording_id = recording_id
        screen.recorded = fields.get("status") != "error"
        if screen.announced:
            # Too late to be heard: automations were told without it.
            self._forget_answer(screen)
        elif not screen.recorded:
            self.announce(ref, None)
        elif screen.stt is not None:
            self._take_recording(screen, recording_id, fields)
        elif not screen.transcribe:
            self.announce(ref, None)

    @callback
    def _take_recording(
        self, screen: Screen, recording_id: str, fields: Mapping[str, Any]
    ) -> None:
        """Fetch the answer for speech-to-text, only from the account's API."""
        media_url = self._client.recording_media_url(screen.call_id, recording_id)
        if fields.get("mediaUrl") != str(media_url):
            LOGGER.warning(
                "Not fetching a screened caller's answer from a URL that is not "
                "the account's Voice API"
            )
            self.announce(screen.ref, None)
            return
        self._start(self._async_hear(screen, recording_id))

    def _start(self, job: Coroutine[Any, Any, None]) -> None:
        self.hass.async_create_background_task(job, f"{DOMAIN} call screening")

    async def _async_hear(self, screen: Screen, recording_id: str) -> None:
        """Have the speech-to-text entity hear the answer."""
        assert screen.stt is not None  # noqa: S101 - the caller checks
        reason = None
        try:
            audio = await self._client.get_recording_media(screen.call_id, recording_id)
        except BandwidthError as err:
            LOGGER.warning("Could not fetch a screened caller's answer: %s", err)
        else:
            if audio and len(audio) <= MAX_RECORDING_BYTES:
                reason = await async_transcribe(self.hass, screen.stt, audio)
        self.announce(screen.ref, reason)

    async def _async_take_transcript(self, screen: Screen, recording_id: str) -> None:
        """Fetch Bandwidth's transcript of the answer."""
        reason = None
        try:
            reason = await self._client.get_transcription(screen.call_id, recording_id)
        except BandwidthError as err:
            LOGGER.warning("Could not fetch a screened caller's answer: %s", err)
        self.announce(screen.ref, reason)

    @callback
    def _forget_answer(self, screen: Screen) -> None:
        """Delete the answer at Bandwidth once it has served (option)."""
        if screen.recorded and self._options().get(
            CONF_VOICEMAIL_DELETE_AT_BANDWIDTH, True
        ):
            self._start(self._async_delete_answer(screen))

    async def _async_delete_answer(self, screen: Screen) -> None:
        assert screen.recording_id is not None  # noqa: S101 - recorded has one
        try:
            await self._client.delete_recording(screen.call_id, screen.recording_id)
        except BandwidthError as err:
            LOGGER.warning("Could not delete a screened caller's answer: %s", err)

    @callback
    def announce(self, ref: str, reason: str | None) -> bool:
        """Tell automations who is calling and why (once), and wait for them.

        Returns whether they were told: nothing is told of a caller who hung
        up or was put through meanwhile.
        """
        screen = self._screens.get(ref)
        call = self._calls.by_ref(ref)
        if screen is None or screen.announced:
            return False
        screen.announced = True
        self._forget_answer(screen)
        if call is None or call.phase != "screening":
            return False
        call.phase = "screened"
        call.rounds = int(self._options().get(CONF_HOLD_TIME, DEFAULT_HOLD_TIME))
        self._calls.changed(call)
        async_fire_call_event(
            self.hass,
            self.entry_id,
            EVENT_CALL_SCREENED,
            EVENT_TYPE_CALL_SCREENED,
            {
                "call_id": screen.call_id,
                "from": screen.caller,
                # Contacts ring through: a screened caller is none of them.
                "contact": None,
                "caller_verified": screen.caller_verified,
                "reason": reason,
                ATTR_CONFIG_ENTRY_ID: self.entry_id,
            },
        )
        return True
