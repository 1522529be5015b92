"""Turn a validated create_call request into Bandwidth calls, one per destination."""

from __future__ import annotations

import asyncio
from dataclasses import fields, replace
from typing import Any, Final, cast

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.network import NoURLAvailableError

from . import bxml
from .api import (
    BandwidthError,
    BandwidthOutcomeUnknownError,
    CreateCallRequest,
    CreateCallResponse,
    MachineDetectionConfiguration,
)
from .calls import CallScript, LiveCall, MachineDetectionMode, Speech
from .cloudhook import async_get_webhook_url
from .const import CONF_APPLICATION_ID, DOMAIN, LOGGER
from .data import BandwidthConfigEntry
from .documents import largest_document
from .errors import bandwidth_errors
from .media import async_prepare_media, speech_settings
from .scripts import build_script, script_texts

# Action fields copied unchanged into createCall / machineDetection.
CALL_FIELDS = (
    "username",
    "password",
    "answer_method",
    "answer_fallback_url",
    "answer_fallback_method",
    "disconnect_method",
    "fallback_username",
    "fallback_password",
    "call_timeout",
    "callback_timeout",
    "tag",
    "uui",
    "privacy",
    "display_name",
    "priority",
)


# The fields of a createCall response, in order: text and numbers, copied as
# they are into the action's result.
RESPONSE_FIELDS: Final = tuple(field.name for field in fields(CreateCallResponse))


async def async_place_calls(
    hass: HomeAssistant,
    entry: BandwidthConfigEntry,
    data: dict[str, Any],
    *,
    contact: str | None = None,
    machine_hangup: bool = False,
) -> list[tuple[str, CreateCallResponse | BandwidthError]]:
    """Place a call to every destination; results in input order.

    `data` is validated action data with `from` resolved; `contact` is the
    contact (subentry id) the call talks to Assist as, `machine_hangup` hangs
    up on an answering machine at once (announcements). Every call is
    registered before its createCall request leaves, so its callbacks find
    it even if Bandwidth's answer is lost. Failures come back per
    destination, logged, so one bad number does not hide the calls that rang;
    only when none could be placed is it an error.

    Raises:
        ServiceValidationError: a call would be answered with a BXML document
            larger than Bandwidth accepts, its text-to-speech or media cannot
            be used, or the calls would take the entry past its calls per
            hour (nothing is sent).
        HomeAssistantError: no call could be placed, Bandwidth cannot reach
            Home Assistant (no external URL), or rendering speech failed.

    """
    try:
        webhook_url = async_get_webhook_url(hass, entry)
    except NoURLAvailableError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="no_external_url"
        ) from err
    speech = speech_settings(data)
    script = build_script(data, machine_hangup=machine_hangup)
    prepared = await async_prepare_media(
        hass,
        texts=script_texts(script),
        audio_url=data.get("audio_url"),
        speech=speech,
    )
    # Each call gets the audio under names of its own.
    plans = [
        build_request(
            entry,
            webhook_url,
            data,
            to,
            script=(
                replace(script, media=prepared.for_call())
                if script is not None
                else None
            ),
            speech=speech,
        )
        for to in data["to"]
    ]
    contacts = entry.runtime_data.contacts
    for (_, call), to in zip(plans, data["to"], strict=True):
        if call is not None:
            known = contacts.by_number(to)
            call.contact = contact or (known.subentry_id if known else None)
    for _, call in plans:
        if call is not None:
            _check_document_size(call, webhook_url)
    # Counted the moment they leave; what surely was not placed is given back.
    calls_per_hour = entry.runtime_data.calls_per_hour
    minute = calls_per_hour.reserve(len(plans))
    client = entry.runtime_data.client
    deadline = asyncio.get_running_loop().time() + client.create_timeout
    if len(plans) == 1:
        # The usual case, awaited directly: no task to create and schedule.
        results = [await _async_place(entry, *plans[0], deadline)]
    else:
        results = await asyncio.gather(
            *(_async_place(entry, request, call, deadline) for request, call in plans)
        )
    outcome = list(zip(data["to"], results, strict=True))

    errors = [result for result in results if isinstance(result, BandwidthError)]
    if unplaced := sum(
        not isinstance(error, BandwidthOutcomeUnknownError) for error in errors
    ):
        calls_per_hour.release(minute, unplaced)
    if len(errors) == len(outcome):
        unknown = [e for e in errors if isinstance(e, BandwidthOutcomeUnknownError)]
        if unknown:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="call_outcome_unknown",
                translation_placeholders={"error": str(unknown[0])},
            ) from unknown[0]
        with bandwidth_errors(hass, entry):
            raise errors[0]
    for to, result in outcome:
        if isinstance(result, BandwidthError):
            LOGGER.warning("Could not call %s: %s", to, result)
    return outcome


def _check_document_size(call: LiveCall, webhook_url: str) -> None:
    """Refuse a call whose answer Bandwidth would refuse (and end the call)."""
    size = largest_document(call, call.callback_url(webhook_url))
    if size > bxml.MAX_SIZE:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="bxml_too_large",
            translation_placeholders={
                "size": str(size),
                "max_size": str(bxml.MAX_SIZE),
            },
        )


async def _async_place(
    entry: BandwidthConfigEntry,
    request: CreateCallRequest,
    call: LiveCall | None,
    deadline: float,
) -> CreateCallResponse | BandwidthError:
    """Place one call; keep its state for its callbacks unless surely not placed."""
    calls = entry.runtime_data.calls
    if call is not None:
        calls.add(call)
    try:
        response = await entry.runtime_data.client.create_call(
            request, deadline=deadline
        )
    except BandwidthOutcomeUnknownError as err:
        # The phone may ring: its answer callback must find what to play.
        return err
    except BandwidthError as err:
        if call is not None:
            calls.remove(call)
        return err
    if call is not None:
        calls.bind(call, response.call_id)
    return response


def build_request(  # noqa: PLR0913 - one destination of prepared action data
    entry: BandwidthConfigEntry,
    webhook_url: str,
    data: dict[str, Any],
    to: str,
    *,
    script: CallScript | None = None,
    speech: Speech | None = None,
) -> tuple[CreateCallRequest, LiveCall | None]:
    """Build the createCall body and the live call for one destination.

    Callback URLs default to this entry's webhook, with the call's reference
    and secret in their query. Home Assistant sends no credentials of its own:
    the username and password, when given, are the user's, for their URLs.
    `script` is what the call plays, with the audio prepared for it,
    `speech` the call's text-to-speech (its later steps speak with it too).
    """
    answer_url: str | None = data.get("answer_url")
    disconnect_url: str | None = data.get("disconnect_url")
    detection = _machine_detection(data)
    detection_to_webhook = (
        detection is not None
        and detection.mode == "async"
        and detection.callback_url is None
    )

    call: LiveCall | None = None
    if answer_url is None or disconnect_url is None or detection_to_webhook:
        call = LiveCall.create(
            webhook_url,
            script,
            machine_detection=cast(
                "MachineDetectionMode | None",
                detection.mode if detection is not None else None,
            ),
            # Verbs answering the call call back as its answer callback came.
            method=(
                "GET"
                if answer_url is None and data.get("answer_method") == "GET"
                else "POST"
            ),
        )
        call.speech = speech
        if script is not None:
            call.goodbye_audio = script.media.audio.get(bxml.GOODBYE)
        callback_url = call.callback_url(webhook_url)
        answer_url = answer_url or callback_url
        disconnect_url = disconnect_url or callback_url
        if detection_to_webhook:
            assert detection is not None  # noqa: S101 - checked just above
            detection.callback_url = callback_url

    request = CreateCallRequest(
        to=to,
        from_=data["from"],
        application_id=data.get("application_id", entry.data[CONF_APPLICATION_ID]),
        answer_url=answer_url,
        disconnect_url=disconnect_url,
        machine_detection=detection,
        **{key: data[key] for key in CALL_FIELDS if key in data},
    )
    return request, call


def _machine_detection(data: dict[str, Any]) -> MachineDetectionConfiguration | None:
    """Return machine detection settings, implied by a voicemail message."""
    options: dict[str, Any] | None = data.get("machine_detection")
    if options is None:
        if data.get("machine_message") is None:
            return None
        options = {}
    config = MachineDetectionConfiguration(**{"mode": "async", **options})
    if data.get("machine_message") is not None and config.delay_result is None:
        # Wait for the greeting to finish so the message lands on the recording.
        config.delay_result = True
    return config


def response_item(
    to: str, outcome: CreateCallResponse | BandwidthError
) -> dict[str, Any]:
    """Return the action's result for one destination."""
    if isinstance(outcome, BandwidthOutcomeUnknownError):
        return {"to": to, "error": str(outcome), "may_have_been_placed": True}
    if isinstance(outcome, BandwidthError):
        return {"to": to, "error": str(outcome)}
    item = {
        name: value
        for name in RESPONSE_FIELDS
        if (value := getattr(outcome, name)) is not None
    }
    item["from"] = item.pop("from_")
    # Which URLs callbacks go to is configuration (and carries the call's
    # secret), not a result worth echoing.
    for key in ("answer_url", "answer_fallback_url", "disconnect_url"):
        item.pop(key, None)
    return item
