"""Each contact an Assist satellite: announcements and conversations by phone.

Like core's VoIP phones, a contact's satellite runs the pipeline its select
names, with its device and satellite ids, so intents that need a device
(area context, timers) work; Home Assistant's base class keeps the
conversation id and the start message. Where a VoIP phone rings on the LAN,
this one places a call to the contact's number, from the entry's *Default
caller ID*, and every action returns when that call has ended: unanswered,
busy or reaching a machine, it fails with a translated error, and it never
waits longer than its time limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, Final

from homeassistant.components import intent
from homeassistant.components.assist_pipeline import PipelineEvent
from homeassistant.components.assist_pipeline.pipeline import async_get_pipeline
from homeassistant.components.assist_satellite import (
    AssistSatelliteAnnouncement,
    AssistSatelliteConfiguration,
    AssistSatelliteEntity,
    AssistSatelliteEntityDescription,
    AssistSatelliteEntityFeature,
)
from homeassistant.components.intent import TimerEventType, TimerInfo
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import BandwidthError, CreateCallResponse
from .const import (
    CONF_ASSIST_MAX_MINUTES,
    CONF_FROM,
    DEFAULT_ASSIST_MAX_MINUTES,
    DOMAIN,
    LOGGER,
)
from .conversation import TTS_OUTPUT, EventHandler
from .data import BandwidthConfigEntry
from .dialer import async_place_calls
from .entity import BandwidthContactEntity
from .identity import Contact
from .outcomes import (
    OUTCOME_ANSWERED,
    OUTCOME_BUSY,
    OUTCOME_CANCELLED,
    OUTCOME_FAILED,
    OUTCOME_IN_PROGRESS,
    OUTCOME_MACHINE,
    OUTCOME_NO_ANSWER,
    OUTCOME_REJECTED,
)
from .stream import stream_base
from .validation import validate_create_call, with_defaults

PARALLEL_UPDATES = 0
# How long an announcement call may ring and play, at most.
ANNOUNCE_TIMEOUT: Final = timedelta(minutes=5)
# A conversation's call also rings before it starts.
RING_ALLOWANCE: Final = timedelta(minutes=2)
# Why a call to a contact did not reach them, by its outcome.
FAILURE_TRANSLATION_KEYS: Final = {
    OUTCOME_NO_ANSWER: "contact_call_no_answer",
    OUTCOME_BUSY: "contact_call_busy",
    OUTCOME_REJECTED: "contact_call_rejected",
    OUTCOME_CANCELLED: "contact_call_cancelled",
    OUTCOME_MACHINE: "contact_call_machine",
    OUTCOME_IN_PROGRESS: "contact_call_in_progress",
    OUTCOME_FAILED: "contact_call_failed",
}


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: BandwidthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each contact's satellite, as contacts come."""

    @callback
    def add(contact: Contact) -> None:
        async_add_entities(
            [ContactSatellite(entry, contact)], config_subentry_id=contact.subentry_id
        )

    for contact in entry.runtime_data.contacts:
        add(contact)

    @callback
    def changed(before: Contact | None, after: Contact | None) -> None:
        if before is None and after is not None:
            add(after)

    entry.async_on_unload(entry.runtime_data.contacts.async_listen(changed))


class ContactSatellite(BandwidthContactEntity, AssistSatelliteEntity):
    """A contact's phone as an Assist satellite."""

    entity_description = AssistSatelliteEntityDescription(key="assist_satellite")
    _attr_translation_key = "assist_satellite"
    _attr_name = None
    _attr_supported_features = (
        AssistSatelliteEntityFeature.ANNOUNCE
        | AssistSatelliteEntityFeature.START_CONVERSATION
    )

    def __init__(self, entry: BandwidthConfigEntry, contact: Contact) -> None:
        """Describe the satellite of a contact."""
        BandwidthContactEntity.__init__(self, entry, contact)
        AssistSatelliteEntity.__init__(self)
        self._attr_unique_id = f"{contact.subentry_id}-assist_satellite"
        self._on_event: EventHandler | None = None

    # -- Home Assistant's side ---------------------------------------------------

    @property
    def pipeline_entity_id(self) -> str | None:
        """Return the contact's pipeline select."""
        return self._select(f"{self.subentry_id}-pipeline")

    @property
    def vad_sensitivity_entity_id(self) -> str | None:
        """Return the contact's voice detection select."""
        return self._select(f"{self.subentry_id}-vad_sensitivity")

    @property
    def tts_options(self) -> dict[str, Any] | None:
        """Answers as 8 kHz WAV: the phone network's rate."""
        return dict(TTS_OUTPUT)

    def _select(self, unique_id: str) -> str | None:
        return er.async_get(self.hass).async_get_entity_id(
            Platform.SELECT, DOMAIN, unique_id
        )

    async def async_added_to_hass(self) -> None:
        """Be the contact's satellite; call them back when their timers finish."""
        await super().async_added_to_hass()
        satellites = self.entry.runtime_data.satellites
        satellites[self.subentry_id] = self

        @callback
        def forget() -> None:
            satellites.pop(self.subentry_id, None)

        self.async_on_remove(forget)
        assert self.device_entry is not None  # noqa: S101 - it has a device
        self.async_on_remove(
            intent.async_register_timer_handler(
                self.hass, self.device_entry.id, self._async_handle_timer_event
            )
        )

    @callback
    def async_get_configuration(self) -> AssistSatelliteConfiguration:
        """Return no wake words: a phone has none."""
        return AssistSatelliteConfiguration(
            available_wake_words=[], active_wake_words=[], max_active_wake_words=0
        )

    async def async_set_configuration(
        self,
        config: AssistSatelliteConfiguration,
    ) -> None:
        """Refuse: a phone has no wake words to set."""
        raise NotImplementedError

    @callback
    def _async_handle_timer_event(
        self, event_type: TimerEventType, timer_info: TimerInfo
    ) -> None:
        """Call the contact when a timer they set by phone finishes."""
        if event_type != TimerEventType.FINISHED:
            return
        if timer_info.name:
            message = f"{timer_info.name} finished"
        else:
            message = f"{timedelta(seconds=timer_info.created_seconds)} timer finished"

        async def announce() -> None:
            try:
                await self.async_internal_announce(message, preannounce=False)
            except HomeAssistantError as err:
                LOGGER.warning(
                    "Could not tell %s their timer finished: %s", self.name, err
                )

        self.entry.async_create_background_task(
            self.hass, announce(), f"{DOMAIN} timer {self.subentry_id}"
        )

    # -- Announcements and conversations -------------------------------------------

    async def async_announce(self, announcement: AssistSatelliteAnnouncement) -> None:
        """Call the contact, play the announcement to a person, and hang up."""
        await self._async_call(_said(announcement), limit=ANNOUNCE_TIMEOUT)

    async def async_start_conversation(
        self, start_announcement: AssistSatelliteAnnouncement
    ) -> None:
        """Call the contact, say the start message, then talk over the stream."""
        if stream_base(self.hass) is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="assist_no_url"
            )
        minutes = self.entry.options.get(
            CONF_ASSIST_MAX_MINUTES, DEFAULT_ASSIST_MAX_MINUTES
        )
        try:
            await self._async_call(
                _said(start_announcement),
                limit=timedelta(minutes=minutes) + RING_ALLOWANCE,
                converse=True,
            )
        finally:
            # A question (ask_question) still waiting when the call is over
            # gets no answer: Home Assistant's base class waits for one.
            self.conversation_ended()

    async def _async_call(
        self, said: dict[str, Any], *, limit: timedelta, converse: bool = False
    ) -> None:
        """Place a call to the contact and wait for its end.

        `converse`: once the message is said, the call talks to Assist through
        this satellite.

        Raises:
            HomeAssistantError: the contact or the entry's caller ID is
                missing, the call could not be placed, or it was not answered
                by a person.

        """
        options = self.entry.options
        if (contact := self.contact) is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="contact_removed"
            )
        if not options.get(CONF_FROM):
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="contact_call_no_caller_id",
                translation_placeholders={"contact": contact.name},
            )
        data = with_defaults(
            validate_create_call(
                {"to": contact.number, "machine_detection": {"mode": "async"}, **said}
            ),
            options,
        )
        if converse:
            # "": the satellite's pipeline, resolved when the stream starts.
            data["assist"] = ""
        [(_, result)] = await async_place_calls(
            self.hass,
            self.entry,
            data,
            contact=self.subentry_id,
            machine_hangup=True,
        )
        # One number: had it not been placed, async_place_calls would have raised.
        assert isinstance(result, CreateCallResponse)  # noqa: S101
        record = await self.entry.runtime_data.watcher.async_wait(
            result.call_id, "end", detect=True, limit=limit.total_seconds()
        )
        if (outcome := record.outcome) == OUTCOME_ANSWERED:
            return
        if outcome in (OUTCOME_IN_PROGRESS, OUTCOME_MACHINE):
            # A machine was hung up on already; a call over time is now.
            self.entry.async_create_background_task(
                self.hass, self._async_hang_up(result.call_id), f"{DOMAIN} hangup"
            )
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=FAILURE_TRANSLATION_KEYS[outcome],
            translation_placeholders={"contact": contact.name},
        )

    async def _async_hang_up(self, call_id: str) -> None:
        try:
            await self.entry.runtime_data.client.hangup(call_id)
        except BandwidthError as err:
            LOGGER.debug("Could not hang up call %s: %s", call_id, err)

    # -- The conversation's agent (conversation.Agent) ---------------------------------

    def pipeline_id(self) -> str:
        """Return the pipeline the contact's select names."""
        return async_get_pipeline(self.hass, self._resolve_pipeline()).id

    async def async_run(
        self, audio: AsyncIterator[bytes], on_event: EventHandler
    ) -> None:
        """Run the pipeline once, as the satellite: its device, its conversation."""
        self._on_event = on_event
        try:
            await self.async_accept_pipeline_from_satellite(audio)
        finally:
            self._on_event = None

    def on_pipeline_event(self, event: PipelineEvent) -> None:
        """Hand the run's events to the conversation."""
        if self._on_event is not None:
            self._on_event(event)

    def answer_finished(self) -> None:
        """Go idle again: the answer has been heard."""
        self.tts_response_finished()

    def conversation_ended(self) -> None:
        """Go idle: the call is over, and a question still waiting got no answer."""
        question: asyncio.Future[str | None] | None = getattr(
            self, "_ask_question_future", None
        )
        if question is not None and not question.done():
            question.set_result(None)
        self.tts_response_finished()

    def question_answered(self) -> bool:
        """Tell whether the call was for a question that now has its answer."""
        question: asyncio.Future[str | None] | None = getattr(
            self, "_ask_question_future", None
        )
        return question is not None and question.done()


def _said(announcement: AssistSatelliteAnnouncement) -> dict[str, Any]:
    """Return what a call plays for an announcement.

    Home Assistant resolves an announcement to its *internal* URL, which
    Bandwidth cannot fetch: the original media ID (text-to-speech or a media
    source) is rendered and served on the external URL, as any call's audio.
    The chime before announcements is left out: the ring is the call's.
    """
    return {"audio_url": announcement.original_media_id or announcement.media_id}
