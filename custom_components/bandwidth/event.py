"""An event entity reporting the callbacks of the entry's calls."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SIGNAL_CALL_EVENT
from .data import BandwidthConfigEntry
from .entity import BandwidthEntity
from .kinds import BY_KEY, KINDS
from .parse import ATTR_EVENT_TYPE

PARALLEL_UPDATES = 0

# The entity's own event_type attribute names the kind of event; Bandwidth's
# eventType, verbatim, goes under this name instead.
ATTR_BANDWIDTH_EVENT_TYPE = "bandwidth_event_type"


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: BandwidthConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's call event entity."""
    async_add_entities([BandwidthCallEvent(entry)])


class BandwidthCallEvent(BandwidthEntity, EventEntity):
    """Fires for every callback about the entry's calls.

    Its attributes are the bus event's data without what its kind keeps
    private (the digits pressed, Assist's transcripts...), and with Bandwidth's own eventType named
    bandwidth_event_type: event_type is the entity's.
    """

    def __init__(self, entry: BandwidthConfigEntry) -> None:
        """Describe the entity of a config entry."""
        super().__init__(entry, "call")
        self._entry_id = entry.entry_id
        self._attr_event_types = [kind.key for kind in KINDS]

    async def async_added_to_hass(self) -> None:
        """Listen for the entry's callbacks."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, SIGNAL_CALL_EVENT.format(self._entry_id), self._handle_event
            )
        )

    @callback
    def _handle_event(
        self, event_type: str, data: dict[str, Any], context: Context
    ) -> None:
        # A copy: the bus event's data is the listeners'.
        private = BY_KEY[event_type].private
        attributes = {key: value for key, value in data.items() if key not in private}
        # Assist's events are Home Assistant's own: no Bandwidth eventType.
        if (bandwidth_event_type := attributes.pop(ATTR_EVENT_TYPE, None)) is not None:
            attributes[ATTR_BANDWIDTH_EVENT_TYPE] = bandwidth_event_type
        self._trigger_event(event_type, attributes)
        self.async_set_context(context)
        self.async_write_ha_state()
