"""Turn a validated create_call request into Bandwidth calls, one per destination."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import asdict
from typing import Any, cast

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.network import NoURLAvailableError

from .api import (
    BandwidthError,
    CreateCallRequest,
    CreateCallResponse,
    MachineDetectionConfiguration,
)
from .calls import CallScript, GatherScript, MachineDetectionMode
from .const import (
    CONF_APPLICATION_ID,
    CONF_CALLBACK_PASSWORD,
    CONF_CALLBACK_USERNAME,
    DOMAIN,
    LOGGER,
)
from .data import BandwidthConfigEntry
from .errors import to_home_assistant_error
from .webhook import async_get_webhook_url

# Action fields copied unchanged into createCall / machineDetection.
CALL_FIELDS = (
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
SCRIPT_FIELDS = ("message", "audio_url", "machine_message", "gather")


def has_script(data: dict[str, Any]) -> bool:
    """Return True if the action asks Home Assistant to say or gather something."""
    return any(data.get(key) is not None for key in SCRIPT_FIELDS)


async def async_place_calls(
    hass: HomeAssistant, entry: BandwidthConfigEntry, data: dict[str, Any]
) -> list[tuple[str, CreateCallResponse | BandwidthError]]:
    """Place a call to every destination at once; results in input order.

    `data` is validated action data with `from` resolved. Failures come back
    per destination, logged, so one bad number does not hide the calls that
    rang; only when none could be placed is it an error.

    Raises:
        HomeAssistantError: no call could be placed, or Bandwidth cannot
            reach Home Assistant (no external URL).

    """
    try:
        webhook_url = async_get_webhook_url(hass, entry)
    except NoURLAvailableError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="no_external_url"
        ) from err
    outcome = await _async_place_all(entry, webhook_url, data)
    errors = [result for _, result in outcome if isinstance(result, BandwidthError)]
    if len(errors) == len(outcome):
        raise to_home_assistant_error(hass, entry, errors[0]) from errors[0]
    for to, result in outcome:
        if isinstance(result, BandwidthError):
            LOGGER.warning("Could not call %s: %s", to, result)
    return outcome


async def _async_place_all(
    entry: BandwidthConfigEntry, webhook_url: str, data: dict[str, Any]
) -> list[tuple[str, CreateCallResponse | BandwidthError]]:
    """Place a call to every destination at once, in input order."""
    destinations: list[str] = data["to"]
    if len(destinations) == 1:
        # The usual case, awaited directly: no task to create and schedule.
        [to] = destinations
        return [(to, await _async_place(entry, webhook_url, data, to))]
    results = await asyncio.gather(
        *(_async_place(entry, webhook_url, data, to) for to in destinations)
    )
    return list(zip(destinations, results, strict=True))


async def _async_place(
    entry: BandwidthConfigEntry, webhook_url: str, data: dict[str, Any], to: str
) -> CreateCallResponse | BandwidthError:
    """Place one call and remember what to say when it is answered."""
    request, script = build_request(entry, webhook_url, data, to)
    try:
        response = await entry.runtime_data.client.create_call(request)
    except BandwidthError as err:
        return err
    if script is not None:
        entry.runtime_data.calls.add(response.call_id, script)
    return response


def build_request(
    entry: BandwidthConfigEntry, webhook_url: str, data: dict[str, Any], to: str
) -> tuple[CreateCallRequest, CallScript | None]:
    """Build the createCall body and the call's script for one destination.

    Callback URLs default to this entry's webhook. Whoever receives the
    top-level username/password also gets the other URL's callbacks with them,
    so the entry's callback credentials are only sent when both answer and
    disconnect callbacks come to Home Assistant; a user URL without credentials
    gets fresh ones for this call alone.
    """
    entry_credentials = (
        entry.data[CONF_CALLBACK_USERNAME],
        entry.data[CONF_CALLBACK_PASSWORD],
    )
    extra_credentials: list[tuple[str, str]] = []

    answer_url = data.get("answer_url", webhook_url)
    disconnect_url = data.get("disconnect_url", webhook_url)
    to_webhook = webhook_url in (answer_url, disconnect_url)
    if "username" in data or "password" in data:
        username, password = data.get("username"), data.get("password")
        if to_webhook and username:
            extra_credentials.append((username, password or ""))
    elif answer_url == disconnect_url == webhook_url:
        username, password = entry_credentials
    elif to_webhook:
        username, password = "call", secrets.token_urlsafe(24)
        extra_credentials.append((username, password))
    else:
        username = password = None

    request = CreateCallRequest(
        to=to,
        from_=data["from"],
        application_id=data.get("application_id", entry.data[CONF_APPLICATION_ID]),
        answer_url=answer_url,
        disconnect_url=disconnect_url,
        username=username,
        password=password,
        machine_detection=_machine_detection(
            data, webhook_url, entry_credentials, extra_credentials
        ),
        **{key: data[key] for key in CALL_FIELDS if key in data},
    )

    script: CallScript | None = None
    if has_script(data) or extra_credentials:
        gather = data.get("gather")
        script = CallScript(
            message=data.get("message"),
            voice=data.get("voice"),
            audio_url=data.get("audio_url"),
            machine_message=data.get("machine_message"),
            gather=GatherScript(**gather) if gather is not None else None,
            machine_detection=cast(
                "MachineDetectionMode | None",
                request.machine_detection.mode if request.machine_detection else None,
            ),
            credentials=tuple(extra_credentials),
            webhook_url=webhook_url,
        )
    return request, script


def _machine_detection(
    data: dict[str, Any],
    webhook_url: str,
    entry_credentials: tuple[str, str],
    extra_credentials: list[tuple[str, str]],
) -> MachineDetectionConfiguration | None:
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
    if config.mode == "async" and config.callback_url is None:
        config.callback_url = webhook_url
        if config.username is None and config.password is None:
            config.username, config.password = entry_credentials
    if (
        config.callback_url == webhook_url
        and config.username
        and (config.username, config.password) != entry_credentials
    ):
        extra_credentials.append((config.username, config.password or ""))
    return config


def response_item(
    to: str, outcome: CreateCallResponse | BandwidthError
) -> dict[str, Any]:
    """Return the action's result for one destination."""
    if isinstance(outcome, BandwidthError):
        return {"to": to, "error": str(outcome)}
    item = {key: value for key, value in asdict(outcome).items() if value is not None}
    item["from"] = item.pop("from_")
    # Which URLs callbacks go to is configuration, not a result worth echoing.
    for key in ("answer_url", "answer_fallback_url", "disconnect_url"):
        item.pop(key, None)
    return item
