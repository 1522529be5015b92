"""The actions: create_call, update_call, hangup_call, and the voicemail's."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.util.json import JsonValueType

from .api import BandwidthApiError, BandwidthError, UpdateCallRequest
from .assist_calls import resolve_pipeline
from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN
from .data import BandwidthConfigEntry
from .dialer import async_place_calls, response_item
from .errors import bandwidth_errors, validation_error
from .media import async_prepare_media, speech_settings
from .results import async_add_results
from .safeguards import async_check_caller
from .scripts import build_step, step_texts
from .validation import (
    validate_create_call,
    validate_hangup_call,
    validate_reset_missed_calls,
    validate_update_call,
    validate_voicemail,
    with_default_voice,
    with_defaults,
)
from .voicemail import VoicemailBox
from .voicemail_messages import media_content_id

SERVICE_CREATE_CALL = "create_call"
SERVICE_UPDATE_CALL = "update_call"
SERVICE_HANGUP_CALL = "hangup_call"
SERVICE_RESET_MISSED_CALLS = "reset_missed_calls"
SERVICE_MARK_VOICEMAIL_HEARD = "mark_voicemail_heard"
SERVICE_DELETE_VOICEMAIL = "delete_voicemail"
# Where a call received may be sent to voicemail: ringing for automations,
# or screened.
VOICEMAIL_PHASES = frozenset({"ringing", "screening", "screened"})


def _entry(hass: HomeAssistant, data: dict[str, Any]) -> BandwidthConfigEntry:
    """Return the loaded entry the action is for; implicit when there is one."""
    if (entry_id := data.get(ATTR_CONFIG_ENTRY_ID)) is None:
        loaded = [
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.state is ConfigEntryState.LOADED
        ]
        if not loaded:
            raise validation_error("not_loaded")
        if len(loaded) > 1:
            raise validation_error("config_entry_required")
        return loaded[0]
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise validation_error("config_entry_not_found", config_entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise validation_error("config_entry_not_loaded", title=entry.title)
    return entry


async def _async_create_call(call: ServiceCall) -> ServiceResponse:
    """Place calls and return one result per destination.

    With wait_for, the result tells how each call turned out.
    """
    hass = call.hass
    data = validate_create_call(call.data)
    entry = _entry(hass, data)
    data = with_defaults(data, entry.options)
    await async_check_caller(hass, call.context, data, entry.options, "to")
    if (assist := data.get("assist")) is not None:
        data["assist"] = resolve_pipeline(hass, entry.options, assist=assist)

    outcome = await async_place_calls(hass, entry, data)
    items = [response_item(to, result) for to, result in outcome]
    if "wait_for" in data:
        await async_add_results(hass, entry, data, outcome, items)
    return {"calls": cast("list[JsonValueType]", items)}


async def _async_update_call(call: ServiceCall) -> None:
    """Tell a live call what to do next.

    Whether the call is live is known here, without asking Bandwidth. A call
    waiting on Home Assistant takes the step at its next round; one busy
    playing something is interrupted through Bandwidth's Update Call.
    """
    hass = call.hass
    data = validate_update_call(call.data)
    entry = _entry(hass, data)
    await async_check_caller(hass, call.context, data, entry.options, "transfer_to")
    live = entry.runtime_data.calls.by_call_id(data["call_id"])
    if live is None:
        raise validation_error("call_not_live", call_id=data["call_id"])
    if data.get("voicemail") and not (
        live.direction == "inbound" and live.phase in VOICEMAIL_PHASES
    ):
        raise validation_error("voicemail_not_waiting", call_id=data["call_id"])
    data = with_default_voice(data, entry.options, live.speech)
    if (assist := data.get("assist")) is not None:
        data["assist"] = resolve_pipeline(hass, entry.options, assist=assist)
    step = build_step(data)
    prepared = await async_prepare_media(
        hass,
        texts=step_texts(step),
        audio_url=step.audio_url,
        speech=speech_settings(data),
    )
    # Each destination of a transfer is a call of its own, on the bill too.
    calls_per_hour = entry.runtime_data.calls_per_hour
    transfers = len(step.transfer.to) if step.transfer is not None else 0
    minute = calls_per_hour.reserve(transfers) if transfers else None
    flow = entry.runtime_data.flow
    redirect_url = flow.steer(live, replace(step, media=prepared.for_call()))
    if redirect_url is None:
        return
    with bandwidth_errors(hass, entry):
        try:
            await entry.runtime_data.client.update_call(
                data["call_id"],
                UpdateCallRequest(
                    redirect_url=redirect_url, redirect_method=live.method
                ),
            )
        except BandwidthError:
            flow.steer_failed(live)
            if minute is not None:
                calls_per_hour.release(minute, transfers)
            raise


async def _async_hangup_call(call: ServiceCall) -> None:
    """End a call or remove it from Bandwidth's queue."""
    hass = call.hass
    data = validate_hangup_call(call.data)
    entry = _entry(hass, data)
    with bandwidth_errors(hass, entry):
        try:
            await entry.runtime_data.client.hangup(data["call_id"])
        except BandwidthApiError as err:
            if err.status == 404:  # noqa: PLR2004
                raise validation_error(
                    "call_not_found", call_id=data["call_id"]
                ) from err
            raise


async def _async_reset_missed_calls(call: ServiceCall) -> None:
    """Start the entry's Missed calls sensor from zero again."""
    data = validate_reset_missed_calls(call.data)
    entry = _entry(call.hass, data)
    if (reset := entry.runtime_data.reset_missed_calls) is not None:
        reset()


def _voicemail(call: ServiceCall) -> tuple[VoicemailBox, list[str] | None]:
    """Return the entry's voicemail and the messages an action names (None: all).

    Every message named must be one of the entry's: otherwise nothing is done.
    """
    data = validate_voicemail(call.data)
    entry = _entry(call.hass, data)
    box = entry.runtime_data.voicemail
    if (content_ids := data.get("media_content_id")) is None:
        return box, None
    prefix = media_content_id(entry.entry_id, "")
    message_ids: list[str] = []
    for content_id in content_ids:
        message_id = content_id.removeprefix(prefix)
        if message_id == content_id or box.message(message_id) is None:
            raise validation_error("voicemail_not_found", media_content_id=content_id)
        message_ids.append(message_id)
    return box, message_ids


async def _async_mark_voicemail_heard(call: ServiceCall) -> None:
    """Mark voicemail messages heard: the Voicemail sensor counts new ones."""
    box, message_ids = _voicemail(call)
    box.mark_heard(message_ids)


async def _async_delete_voicemail(call: ServiceCall) -> None:
    """Delete voicemail messages from Home Assistant, their audio too."""
    box, message_ids = _voicemail(call)
    await box.async_delete(message_ids)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions.

    Data is validated in the handlers (validation.py) so that every refusal is
    a translated ServiceValidationError naming the field, rather than the
    voluptuous error Home Assistant would raise for a registered schema.
    """
    hass.services.async_register(
        DOMAIN,
        SERVICE_CREATE_CALL,
        _async_create_call,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(DOMAIN, SERVICE_UPDATE_CALL, _async_update_call)
    hass.services.async_register(DOMAIN, SERVICE_HANGUP_CALL, _async_hangup_call)
    hass.services.async_register(
        DOMAIN, SERVICE_RESET_MISSED_CALLS, _async_reset_missed_calls
    )
    hass.services.async_register(
        DOMAIN, SERVICE_MARK_VOICEMAIL_HEARD, _async_mark_voicemail_heard
    )
    hass.services.async_register(
        DOMAIN, SERVICE_DELETE_VOICEMAIL, _async_delete_voicemail
    )
