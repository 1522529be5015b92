"""The entry's call history and voicemail: the last call, the calls missed, new messages.

The call history follows the entry's call events (signals.py); the Voicemail
sensor follows the voicemail box. None shows the digits pressed, what was
said or a transcript: a sensor's state and attributes are kept in the
recorder's database and shown to every user, and a message may be private.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .const import (
    EVENT_TYPE_ANSWERED,
    EVENT_TYPE_DISCONNECTED,
    EVENT_TYPE_RECEIVED,
    SIGNAL_CALL_EVENT,
)
from .data import BandwidthConfigEntry
from .entity import BandwidthEntity

PARALLEL_UPDATES = 0

ATTR_DIRECTION: Final = "direction"
ATTR_NUMBER: Final = "number"
ATTR_CONTACT: Final = "contact"
ATTR_OUTCOME: Final = "outcome"
ATTR_NEWEST_CALLER: Final = "newest_caller"
ATTR_NEWEST_RECEIVED: Final = "newest_received"
ATTRIBUTES: Final = (ATTR_DIRECTION, ATTR_NUMBER, ATTR_CONTACT, ATTR_OUTCOME)
# The events that start a call's story, or end it.
CALL_EVENTS: Final = frozenset(
    {EVENT_TYPE_RECEIVED, EVENT_TYPE_ANSWERED, EVENT_TYPE_DISCONNECTED}
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: BandwidthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's Last call, Missed calls and Voicemail sensors."""
    async_add_entities(
        [LastCallSensor(entry), MissedCallsSensor(entry), VoicemailSensor(entry)]
    )


class _CallHistorySensor(BandwidthEntity, RestoreSensor):
    """A sensor of the entry that follows its calls' events."""

    def __init__(self, entry: BandwidthConfigEntry, key: str) -> None:
        """Describe the sensor `key` of an entry."""
        super().__init__(entry, key)
        self.entry = entry

    async def async_added_to_hass(self) -> None:
        """Take back the state before the restart; follow the calls."""
        await super().async_added_to_hass()
        await self._async_restore()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                SIGNAL_CALL_EVENT.format(self.entry.entry_id),
                self._handle_event,
            )
        )

    async def _async_restore(self) -> None:
        """Take back what the sensor said before Home Assistant restarted."""

    @callback
    def _handle_event(
        self, event_type: str, data: dict[str, Any], context: Context
    ) -> None:
        """Take in one event of a call: each sensor its own."""


class LastCallSensor(_CallHistorySensor):
    """When the latest call started: which way, with whom, how it went."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP

    def __init__(self, entry: BandwidthConfigEntry) -> None:
        """Describe the last call sensor of an entry."""
        super().__init__(entry, "last_call")
        self._attr_extra_state_attributes = dict.fromkeys(ATTRIBUTES)

    async def _async_restore(self) -> None:
        """Take back the last call, and what is known of it."""
        if (state := await self.async_get_last_state()) is not None:
            self._attr_native_value = dt_util.parse_datetime(state.state)
            self._attr_extra_state_attributes = {
                key: state.attributes.get(key) for key in ATTRIBUTES
            }

    @callback
    def _handle_event(
        self, event_type: str, data: dict[str, Any], context: Context
    ) -> None:
        """Tell about a call that came in, was answered or ended."""
        if event_type not in CALL_EVENTS:
            return
        started = _started(data)
        latest = self._attr_native_value
        if isinstance(latest, datetime) and started < latest:
            return  # An older call, ending after a newer one started.
        direction = data.get("direction")
        number = data.get("from") if direction == "inbound" else data.get("to")
        contact = self.entry.runtime_data.contacts.by_number(number)
        record = self.entry.runtime_data.watcher.record(data.get("call_id") or "")
        attributes = {
            ATTR_DIRECTION: direction,
            ATTR_NUMBER: number,
            ATTR_CONTACT: contact.name if contact is not None else None,
            ATTR_OUTCOME: record.outcome,
        }
        if started == latest and attributes == self._attr_extra_state_attributes:
            # Nothing new (another callback of the same call): no state to
            # write, which the busiest callbacks would otherwise pay for.
            return
        self._attr_native_value = started
        self._attr_extra_state_attributes = attributes
        self.async_set_context(context)
        self.async_write_ha_state()


class MissedCallsSensor(_CallHistorySensor):
    """How many calls to the application's numbers nobody answered since the reset."""

    _attr_state_class = SensorStateClass.TOTAL
    _attr_native_value: int

    def __init__(self, entry: BandwidthConfigEntry) -> None:
        """Describe the missed calls sensor of an entry."""
        super().__init__(entry, "missed_calls")
        self._attr_native_value = 0
        self._attr_last_reset = None

    async def async_added_to_hass(self) -> None:
        """Restore the count; let bandwidth.reset_missed_calls reset it."""
        await super().async_added_to_hass()
        self.entry.runtime_data.reset_missed_calls = self.reset
        self.async_on_remove(self._forget_reset)

    async def _async_restore(self) -> None:
        """Take back the count and when it was last reset."""
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float):
            self._attr_native_value = int(last.native_value)
        if (state := await self.async_get_last_state()) is not None:
            self._attr_last_reset = dt_util.parse_datetime(
                str(state.attributes.get("last_reset"))
            )

    @callback
    def _forget_reset(self) -> None:
        if self.entry.runtime_data.reset_missed_calls == self.reset:
            self.entry.runtime_data.reset_missed_calls = None

    @callback
    def reset(self) -> None:
        """Start counting again from zero."""
        self._attr_native_value = 0
        self._attr_last_reset = dt_util.utcnow()
        self.async_write_ha_state()

    @callback
    def _handle_event(
        self, event_type: str, data: dict[str, Any], context: Context
    ) -> None:
        """Count a call to the application's numbers that ended unanswered."""
        if event_type != EVENT_TYPE_DISCONNECTED or data.get("direction") != "inbound":
            return
        if self.entry.runtime_data.watcher.record(data.get("call_id") or "").answered:
            return
        self._attr_native_value += 1
        self.async_set_context(context)
        self.async_write_ha_state()


def _started(data: dict[str, Any]) -> datetime:
    """Return when a call started, as its events tell (else now)."""
    for key in ("start_time", "event_time"):
        value = data.get(key)
        if isinstance(value, str) and (when := dt_util.parse_datetime(value)):
            return when
    return dt_util.utcnow()


class VoicemailSensor(BandwidthEntity, SensorEntity):
    """The number of messages not marked heard."""

    def __init__(self, entry: BandwidthConfigEntry) -> None:
        """Describe the sensor of a config entry."""
        super().__init__(entry, "voicemail")
        self._box = entry.runtime_data.voicemail

    async def async_added_to_hass(self) -> None:
        """Follow the messages as they come, are heard and go."""
        await super().async_added_to_hass()
        self.async_on_remove(self._box.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> int:
        """How many messages are new."""
        return sum(not message.heard for message in self._box.messages)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Who left the newest message (the contact's name when known), and when."""
        messages = self._box.messages
        if not messages:
            return {ATTR_NEWEST_CALLER: None, ATTR_NEWEST_RECEIVED: None}
        newest = messages[0]
        return {
            ATTR_NEWEST_CALLER: newest.contact or newest.caller,
            ATTR_NEWEST_RECEIVED: newest.received,
        }
