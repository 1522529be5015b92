"""Device triggers for the calls of a Bandwidth Voice entry.

Each trigger is Home Assistant's event trigger on the integration's bus
events, narrowed to the device's config entry (and, for who answered, to the
machine detection result), so trigger.event.data holds the callback's fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    DOMAIN,
    EVENT_ASSIST_ENDED,
    EVENT_ASSIST_STARTED,
    EVENT_CALL_ANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_CALL_RECEIVED,
    EVENT_CALL_SCREENED,
    EVENT_GATHER_COMPLETE,
    EVENT_MACHINE_DETECTION_COMPLETE,
    EVENT_TRANSFER_ANSWERED,
    EVENT_TRANSFER_COMPLETE,
    EVENT_VOICEMAIL_RECEIVED,
)
from .parse import (
    ATTR_MACHINE_DETECTION_RESULT,
    ATTR_VALUE,
    MACHINE_RESULTS,
    RESULT_HUMAN,
)

if TYPE_CHECKING:
    # Home Assistant 2026 validates with probatio and aliases `voluptuous` to it
    # at runtime; type against what the running Home Assistant really uses.
    import probatio as vol
else:
    import voluptuous as vol

TRIGGER_ANSWERED: Final = "answered"
TRIGGER_ANSWERED_HUMAN: Final = "answered_human"
TRIGGER_ANSWERED_MACHINE: Final = "answered_machine"
TRIGGER_DIGITS_RECEIVED: Final = "digits_received"
TRIGGER_CALL_ENDED: Final = "call_ended"
TRIGGER_CALL_RECEIVED: Final = "call_received"
TRIGGER_TRANSFER_ANSWERED: Final = "transfer_answered"
TRIGGER_TRANSFER_COMPLETE: Final = "transfer_complete"
TRIGGER_ASSIST_STARTED: Final = "assist_started"
TRIGGER_ASSIST_ENDED: Final = "assist_ended"
TRIGGER_VOICEMAIL_RECEIVED: Final = "voicemail_received"
TRIGGER_CALL_SCREENED: Final = "call_screened"

# Who answered is known from the answer callback (synchronous detection) or
# from the later machineDetectionComplete callback (asynchronous detection).
_DETECTION_EVENTS: Final = (EVENT_CALL_ANSWERED, EVENT_MACHINE_DETECTION_COMPLETE)

# Trigger type -> the (bus event, extra event_data) pairs that fire it.
TRIGGERS: Final[dict[str, tuple[tuple[str, dict[str, Any]], ...]]] = {
    TRIGGER_CALL_RECEIVED: ((EVENT_CALL_RECEIVED, {}),),
    TRIGGER_ANSWERED: ((EVENT_CALL_ANSWERED, {}),),
    TRIGGER_ANSWERED_HUMAN: tuple(
        (event, {ATTR_MACHINE_DETECTION_RESULT: {ATTR_VALUE: RESULT_HUMAN}})
        for event in _DETECTION_EVENTS
    ),
    TRIGGER_ANSWERED_MACHINE: tuple(
        (event, {ATTR_MACHINE_DETECTION_RESULT: {ATTR_VALUE: result}})
        for event in _DETECTION_EVENTS
        for result in sorted(MACHINE_RESULTS)
    ),
    TRIGGER_DIGITS_RECEIVED: ((EVENT_GATHER_COMPLETE, {}),),
    TRIGGER_TRANSFER_ANSWERED: ((EVENT_TRANSFER_ANSWERED, {}),),
    TRIGGER_TRANSFER_COMPLETE: ((EVENT_TRANSFER_COMPLETE, {}),),
    TRIGGER_ASSIST_STARTED: ((EVENT_ASSIST_STARTED, {}),),
    TRIGGER_ASSIST_ENDED: ((EVENT_ASSIST_ENDED, {}),),
    TRIGGER_CALL_ENDED: ((EVENT_CALL_DISCONNECTED, {}),),
    TRIGGER_VOICEMAIL_RECEIVED: ((EVENT_VOICEMAIL_RECEIVED, {}),),
    TRIGGER_CALL_SCREENED: ((EVENT_CALL_SCREENED, {}),),
}

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): vol.In(list(TRIGGERS))}
)


@callback
def _entry_id(hass: HomeAssistant, device_id: str) -> str | None:
    """Return the config entry a device of this integration stands for."""
    if (device := dr.async_get(hass).async_get(device_id)) is None:
        return None
    return next(
        (identifier for domain, identifier in device.identifiers if domain == DOMAIN),
        None,
    )


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, str]]:
    """List the triggers of a Bandwidth Voice device."""
    if _entry_id(hass, device_id) is None:
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DEVICE_ID: device_id,
            CONF_DOMAIN: DOMAIN,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in TRIGGERS
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for the bus events behind a trigger, for the device's entry."""
    if (entry_id := _entry_id(hass, config[CONF_DEVICE_ID])) is None:
        raise InvalidDeviceAutomationConfig(
            translation_domain=DOMAIN,
            translation_key="not_a_bandwidth_device",
            translation_placeholders={"device_id": config[CONF_DEVICE_ID]},
        )
    detaches = [
        await event_trigger.async_attach_trigger(
            hass,
            event_trigger.TRIGGER_SCHEMA(
                {
                    CONF_PLATFORM: "event",
                    event_trigger.CONF_EVENT_TYPE: event_type,
                    CONF_EVENT_DATA: {
                        ATTR_CONFIG_ENTRY_ID: entry_id,
                        **event_data,
                    },
                }
            ),
            action,
            trigger_info,
            platform_type="device",
        )
        for event_type, event_data in TRIGGERS[config[CONF_TYPE]]
    ]

    @callback
    def detach() -> None:
        for detach_one in detaches:
            detach_one()

    return detach
