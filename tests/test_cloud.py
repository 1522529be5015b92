"""Calls whose callbacks come through Home Assistant Cloud's webhook relay.

The relay hands each request to Home Assistant as a MockRequest (built by the
real cloud client) and returns only the status, the body and the
Content-Type: no WWW-Authenticate challenge can reach Bandwidth that way.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from homeassistant.components import webhook
from homeassistant.components.cloud import (
    SIGNAL_CLOUD_CONNECTION_STATE,
    CloudConnectionState,
    CloudNotAvailable,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util.aiohttp import MockRequest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bandwidth.bxml import GOODBYE
from custom_components.bandwidth.cloudhook import async_get_webhook_url
from custom_components.bandwidth.const import (
    CONF_CLOUDHOOK_URL,
    DOMAIN,
    EVENT_CALL_ANSWERED,
    EVENT_MACHINE_DETECTION_COMPLETE,
)
from sandbox import Sandbox, Scenario

from .helpers import (
    CLOUDHOOK_URL,
    WEBHOOK_ID,
    WEBHOOK_URL,
    CloudRelay,
    Live,
    callback,
    live_call,
)
from .live_calls import (
    ANSWERED,
    DETECTED,
    DISCONNECTED,
    GATHER,
    GATHERED,
    MACHINE_MESSAGE,
    MESSAGE,
    PROMPT,
    TO,
)

# (method of every callback, how a GET carries machineDetectionResult)
METHODS = [("POST", "json"), ("GET", "json"), ("GET", "dotted")]


def methods(method: str) -> dict[str, Any]:
    """Action fields sending every callback with one HTTP method."""
    return {"answer_method": method, "disconnect_method": method}


def assert_one_exchange_each(live: Live) -> None:
    """Every callback was answered in one relayed exchange, never challenged."""
    relay = live.sandbox.callback_transport
    assert isinstance(relay, CloudRelay)
    assert relay.exchanges == live.sandbox.callback_deliveries > 0
    assert all(attempt.ok for attempt in live.sandbox.callback_attempts)
    assert all(
        attempt.url.startswith(f"{CLOUDHOOK_URL}?")
        for attempt in live.sandbox.callback_attempts
    )


async def test_callback_urls_are_the_cloudhook(
    hass: HomeAssistant, cloud_live: Live
) -> None:
    """Calls are placed with the cloudhook URL, the call's secret in its query."""
    [call_id] = await cloud_live.create_call(TO, message=MESSAGE)
    request = cloud_live.sandbox.calls[call_id].request
    assert request["answerUrl"] == request["disconnectUrl"]
    assert request["answerUrl"].startswith(f"{CLOUDHOOK_URL}?ref=")
    assert "&key=" in request["answerUrl"]
    assert "username" not in request
    assert "password" not in request
    await cloud_live.finish(call_id)


@pytest.mark.parametrize(("method", "objects"), METHODS)
async def test_person_presses_a_digit(
    cloud_live: Live, method: str, objects: str
) -> None:
    """Answer and gather callbacks through the relay play the whole script."""
    cloud_live.sandbox.query_objects = objects
    [call_id] = await cloud_live.create_call(
        TO, message=MESSAGE, gather=GATHER, **methods(method)
    )
    call = await cloud_live.finish(call_id)

    assert call.spoken == [MESSAGE, PROMPT, GOODBYE]
    assert call.gathered == ["1"]
    assert cloud_live.sequence(call_id) == [ANSWERED, GATHERED, DISCONNECTED]
    assert {attempt.method for attempt in call.attempts} == {method}
    assert_one_exchange_each(cloud_live)


@pytest.mark.parametrize(("method", "objects"), METHODS)
async def test_voicemail_with_async_detection(
    cloud_live: Live, method: str, objects: str
) -> None:
    """Machine detection and the hold loop's redirects work through the relay."""
    cloud_live.sandbox.query_objects = objects
    cloud_live.sandbox.scenarios[TO] = Scenario(outcome="voicemail")
    [call_id] = await cloud_live.create_call(
        TO,
        message=MESSAGE,
        machine_message=MACHINE_MESSAGE,
        machine_detection={"callback_method": method},
        **methods(method),
    )
    call = await cloud_live.finish(call_id)

    assert call.spoken == [MACHINE_MESSAGE]
    assert [event for event, _, _ in call.callbacks] == [
        "answer",
        "machineDetectionComplete",
        "redirect",
        "disconnect",
    ]
    assert cloud_live.sequence(call_id) == [ANSWERED, DETECTED, DISCONNECTED]
    detected = cloud_live.last(call_id, EVENT_MACHINE_DETECTION_COMPLETE)
    assert detected["machine_detection_result"]["value"] == "answering-machine"
    assert {attempt.method for attempt in call.attempts} == {method}
    assert_one_exchange_each(cloud_live)


@pytest.mark.parametrize(("method", "objects"), METHODS)
async def test_sync_detection(cloud_live: Live, method: str, objects: str) -> None:
    """A result carried by the answer callback is read in every form."""
    cloud_live.sandbox.query_objects = objects
    cloud_live.sandbox.scenarios[TO] = Scenario(outcome="voicemail")
    [call_id] = await cloud_live.create_call(
        TO,
        message=MESSAGE,
        machine_message=MACHINE_MESSAGE,
        machine_detection={"mode": "sync"},
        **methods(method),
    )
    call = await cloud_live.finish(call_id)

    assert call.spoken == [MACHINE_MESSAGE]
    answered = cloud_live.last(call_id, EVENT_CALL_ANSWERED)
    assert answered["machine_detection_result"]["value"] == "answering-machine"
    assert_one_exchange_each(cloud_live)


async def test_unauthenticated_request_through_the_relay(
    hass: HomeAssistant, cloud_live: Live
) -> None:
    """Without the call's secret: 401, no event; the relay drops any challenge."""
    relay = CloudRelay(hass, WEBHOOK_ID)
    body = b'{"eventType": "answer", "callId": "c-1"}'
    for url in (CLOUDHOOK_URL, f"{CLOUDHOOK_URL}?ref=x&key=y"):
        status, headers, text = await relay("POST", url, {}, body)
        assert (status, text) == (401, "")
        assert "WWW-Authenticate" not in headers
    await hass.async_block_till_done()
    assert cloud_live.captured == []


async def test_mock_request_body_is_read_whole(
    hass: HomeAssistant, cloud_live: Live
) -> None:
    """A MockRequest gives a new reader on every access: the body is read once."""
    [call_id] = await cloud_live.create_call(TO, message=MESSAGE)
    call = cloud_live.entry.runtime_data.calls.by_call_id(call_id)
    assert call is not None
    body = json.dumps(
        {"eventType": "answer", "callId": call_id, "padding": "x" * 60000}
    ).encode()
    request = MockRequest(
        content=body,
        mock_source="cloud",
        method="POST",
        headers={"Content-Type": "application/json"},
        query_string=f"ref={call.ref}&key={call.secret}",
    )
    response = await webhook.async_handle_webhook(hass, WEBHOOK_ID, request)
    assert response.status == 200
    assert response.body is not None
    assert MESSAGE.encode() in bytes(response.body)  # type: ignore[arg-type]


async def test_cloudhook_made_when_cloud_connects_later(
    hass: HomeAssistant,
    cloud: ModuleType,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Signing in to Cloud after setup gives the entry a cloudhook, no reload."""
    cloud.async_active_subscription.return_value = False  # type: ignore[attr-defined]
    cloud.async_is_connected.return_value = False  # type: ignore[attr-defined]
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert CONF_CLOUDHOOK_URL not in mock_config_entry.data
    issue_id = f"no_external_url_{mock_config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    running = mock_config_entry.runtime_data

    cloud.async_active_subscription.return_value = True  # type: ignore[attr-defined]
    cloud.async_is_connected.return_value = True  # type: ignore[attr-defined]
    async_dispatcher_send(
        hass, SIGNAL_CLOUD_CONNECTION_STATE, CloudConnectionState.CLOUD_CONNECTED
    )
    await hass.async_block_till_done()

    cloud.async_create_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)  # type: ignore[attr-defined]
    assert mock_config_entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert async_get_webhook_url(hass, mock_config_entry) == CLOUDHOOK_URL
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert mock_config_entry.runtime_data is running  # not reloaded

    # Signing out: the issue is back (no external URL here either).
    cloud.async_active_subscription.return_value = False  # type: ignore[attr-defined]
    async_dispatcher_send(
        hass, SIGNAL_CLOUD_CONNECTION_STATE, CloudConnectionState.CLOUD_DISCONNECTED
    )
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    cloud.async_create_cloudhook.assert_awaited_once()  # type: ignore[attr-defined]


async def test_cloudhook_is_made_once_and_removed_with_the_entry(
    hass: HomeAssistant, cloud: ModuleType, cloud_live: Live, bandwidth_sandbox: Sandbox
) -> None:
    """Reloads reuse the cloudhook; removing the entry deletes it."""
    entry = cloud_live.entry
    cloud.async_create_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)  # type: ignore[attr-defined]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    cloud.async_create_cloudhook.assert_awaited_once()  # type: ignore[attr-defined]

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    cloud.async_delete_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)  # type: ignore[attr-defined]


async def test_oversized_body_through_the_relay(
    hass: HomeAssistant, cloud_live: Live
) -> None:
    """A relayed body carries no Content-Length: the size is checked as read."""
    relay = CloudRelay(hass, WEBHOOK_ID)
    call = live_call(cloud_live.entry)
    body = json.dumps(callback("answer", tag="x" * (64 * 1024))).encode()
    url = f"{CLOUDHOOK_URL}?ref={call.ref}&key={call.secret}"
    status, _, _ = await relay("POST", url, {}, body)
    assert status == 400
    await hass.async_block_till_done()
    assert cloud_live.captured == []


async def test_cloudhook_creation_fails(
    hass: HomeAssistant,
    cloud: ModuleType,
    mock_config_entry: MockConfigEntry,
    external_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cloud that cannot make the cloudhook leaves the external URL in use."""
    cloud.async_create_cloudhook.side_effect = CloudNotAvailable  # type: ignore[attr-defined]
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert CONF_CLOUDHOOK_URL not in mock_config_entry.data
    assert "Could not create a Home Assistant Cloud webhook" in caplog.text
    assert async_get_webhook_url(hass, mock_config_entry) == WEBHOOK_URL


async def test_cloudhook_deletion_fails(
    hass: HomeAssistant, cloud: ModuleType, cloud_live: Live
) -> None:
    """Removing the entry goes on when the cloud cannot delete the cloudhook."""
    cloud.async_delete_cloudhook.side_effect = CloudNotAvailable  # type: ignore[attr-defined]
    entry_id = cloud_live.entry.entry_id
    await hass.config_entries.async_remove(entry_id)
    await hass.async_block_till_done()
    cloud.async_delete_cloudhook.assert_awaited_once()  # type: ignore[attr-defined]
    assert hass.config_entries.async_get_entry(entry_id) is None


async def test_cloudhook_left_from_a_cloud_no_longer_set_up(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    external_url: str,
    hass_storage: dict[str, Any],
) -> None:
    """Without the cloud component the external URL is used; removal just drops it."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_CLOUDHOOK_URL: CLOUDHOOK_URL},
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert async_get_webhook_url(hass, mock_config_entry) == WEBHOOK_URL
    live_call(mock_config_entry)
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert f"bandwidth.calls.{mock_config_entry.entry_id}" not in hass_storage
