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

from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN
from .kinds import KINDS
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

# The triggers telling who answered, by the machine detection results that
# fire them. Who answered is known from the answer callback (synchronous
# detection) or from the later machineDetectionComplete callback
# (asynchronous detection): the kinds that tell who answered.
WHO_ANSWERED: Final = {
    "answered_human": (RESULT_HUMAN,),
    "answered_machine": tuple(sorted(MACHINE_RESULTS)),
}

type Trigger = tuple[tuple[str, dict[str, Any]], ...]


def _triggers() -> dict[str, Trigger]:
    """Return each trigger type's (bus event, extra event_data) pairs.

    Each kind's own trigger, in the kinds' order; those telling who answered
    follow the first kind telling it (the call answered).
    """
    detecting = [kind for kind in KINDS if kind.tells_who_answered]
    who_answered: dict[str, Trigger] = {
        trigger_type: tuple(
            (kind.event, {ATTR_MACHINE_DETECTION_RESULT: {ATTR_VALUE: result}})
            for kind in detecting
            for result in results
        )
        for trigger_type, results in WHO_ANSWERED.items()
    }
    triggers: dict[str, Trigger] = {}
    for kind in KINDS:
        if kind.trigger is not None:
            triggers[kind.trigger] = ((kind.event, {}),)
        if kind is detecting[0]:
            triggers |= who_answered
    return triggers


# Trigger type -> the (bus event, extra event_data) pairs that fire it.
TRIGGERS: Final = _triggers()

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
