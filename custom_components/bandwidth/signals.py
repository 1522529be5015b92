"""How a call's events reach automations: the bus, and the event entity."""

from __future__ import annotations

from typing import Any

from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .const import SIGNAL_CALL_EVENT


@callback
def async_fire_call_event(
    hass: HomeAssistant,
    entry_id: str,
    bus_event: str,
    entity_event: str,
    data: dict[str, Any],
) -> None:
    """Fire a bus event and the entry's event entity with the same data.

    One context for both: what an automation triggered by either does traces
    back to the same moment of the call. The entity copies the data it keeps.

    The entity's state is written on the loop's next turn: a callback's reply
    goes out first (writing a state costs about a quarter of a whole webhook
    request, and Bandwidth waits for the reply, not for the entity).
    """
    context = Context()
    hass.bus.async_fire(bus_event, data, context=context)
    hass.loop.call_soon(
        async_dispatcher_send,
        hass,
        SIGNAL_CALL_EVENT.format(entry_id),
        entity_event,
        data,
        context,
    )
