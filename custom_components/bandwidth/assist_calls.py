"""The conversations of an entry's calls with Assist: which pipeline, start and end.

Which pipeline a call talks to is settled before anything is sent; a call's
conversation starts when its media stream is accepted (stream.py) and is
held by conversation.py, and ends with the call, a stream Bandwidth could
not start, or the entry being unloaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.components.assist_pipeline.error import PipelineNotFound
from homeassistant.components.assist_pipeline.pipeline import async_get_pipeline
from homeassistant.core import Context, HomeAssistant, callback

from .calls import LiveCall
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_ASSIST_PIPELINE,
    DOMAIN,
    EVENT_ASSIST_ENDED,
    EVENT_TYPE_ASSIST_ENDED,
    LOGGER,
)
from .conversation import (
    ENDED_STOPPED,
    ENDED_STREAM_FAILED,
    Agent,
    Conversation,
    PipelineAgent,
    async_hang_up,
)
from .data import BandwidthConfigEntry
from .errors import validation_error
from .parse import (
    ATTR_CONTACT,
    CALLBACK_DISCONNECT,
    CALLBACK_MEDIA_STREAM_REJECTED,
    CallbackEvent,
)
from .signals import async_fire_call_event
from .stream import MediaStream, stream_base

# Pipeline ids meaning Home Assistant's preferred pipeline ("preferred" is
# what the pipeline selector offers for it).
PREFERRED: Final = ("", "preferred")


@callback
def resolve_pipeline(
    hass: HomeAssistant, options: Mapping[str, Any], *, assist: bool | str
) -> str:
    """Return the pipeline a call talks to ("" for the preferred one).

    `true` is the pipeline the entry's options name, else the preferred one.

    Raises:
        ServiceValidationError: Assist is not set up, the pipeline does not
            exist, or Bandwidth cannot reach Home Assistant with a websocket.

    """
    if "assist_pipeline" not in hass.config.components:
        raise validation_error("assist_unavailable")
    pipeline_id = (
        (options.get(CONF_ASSIST_PIPELINE) or "") if assist is True else assist
    )
    assert isinstance(pipeline_id, str)  # noqa: S101 - validated
    if pipeline_id not in PREFERRED:
        try:
            async_get_pipeline(hass, pipeline_id)
        except PipelineNotFound:
            raise validation_error("assist_pipeline_not_found") from None
    if stream_base(hass) is None:
        raise validation_error("assist_no_url")
    return "" if pipeline_id in PREFERRED else pipeline_id


async def async_converse(
    hass: HomeAssistant,
    entry: BandwidthConfigEntry,
    call: LiveCall,
    stream: MediaStream,
) -> None:
    """Hold a call's conversation over its accepted stream, until it ends.

    A contact's call talks through their Assist satellite; any other call
    runs its pipeline directly.
    """
    runtime = entry.runtime_data
    agent: Agent | None = None
    if call.contact is not None:
        agent = runtime.satellites.get(call.contact)
    if agent is None:
        agent = PipelineAgent(hass, call.assist or "", Context())
    conversation = Conversation(hass, entry, call, stream, agent)
    runtime.conversations[call.ref] = conversation
    try:
        await conversation.async_run()
    finally:
        runtime.conversations.pop(call.ref, None)


@callback
def async_follow_stream(
    hass: HomeAssistant,
    entry: BandwidthConfigEntry,
    call: LiveCall,
    event: CallbackEvent,
) -> None:
    """End a call's conversation when the call ends or its stream fails.

    Bandwidth's disconnect ends it at once, rather than when the socket
    closes; a stream Bandwidth could not start ends it (and the call) at once,
    rather than after a minute of silence.
    """
    conversation = entry.runtime_data.conversations.get(call.ref)
    if event.event_type == CALLBACK_DISCONNECT and conversation is not None:
        conversation.end(ENDED_STOPPED)
    elif event.event_type == CALLBACK_MEDIA_STREAM_REJECTED and call.assist is not None:
        LOGGER.warning(
            "Bandwidth could not stream call %s to Assist (%s): ending it",
            call.call_id,
            event.data.get("cause") or event.data.get("error_message"),
        )
        if conversation is not None:
            conversation.end(ENDED_STREAM_FAILED)
            return
        contact = entry.runtime_data.contacts.get(call.contact or "")
        async_fire_call_event(
            hass,
            entry.entry_id,
            EVENT_ASSIST_ENDED,
            EVENT_TYPE_ASSIST_ENDED,
            {
                "call_id": call.call_id,
                ATTR_CONFIG_ENTRY_ID: entry.entry_id,
                "pipeline_id": call.assist,
                ATTR_CONTACT: contact.name if contact is not None else None,
                "reason": ENDED_STREAM_FAILED,
                "turns": [],
            },
        )
        entry.async_create_background_task(
            hass, async_hang_up(entry, call), f"{DOMAIN} stream failed"
        )


@callback
def async_end_conversations(entry: BandwidthConfigEntry) -> None:
    """End the conversations of an entry being unloaded; their calls hang up."""
    for conversation in list(entry.runtime_data.conversations.values()):
        conversation.end(ENDED_STOPPED)
