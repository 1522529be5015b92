"""Where Bandwidth reaches Home Assistant: a Home Assistant Cloud webhook or the external URL.

Callbacks come to the entry's webhook: with an active Home Assistant Cloud
subscription through a cloudhook, whether Cloud was signed in before the
entry was set up or after (it is deleted with the entry), else at the
external URL. What a cloudhook cannot relay, the audio Bandwidth fetches and
the media streams it opens, comes to Home Assistant directly (`async_direct_url`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.network import NoURLAvailableError, get_url
from yarl import URL

from .calls import QUERY_KEY, LiveCall
from .const import CONF_CLOUDHOOK_URL, CONF_INBOUND_SECRET, LOGGER
from .data import BandwidthConfigEntry

if TYPE_CHECKING:
    from homeassistant.components.cloud import CloudConnectionState

CLOUD_DOMAIN: Final = "cloud"


@callback
def async_get_webhook_url(hass: HomeAssistant, entry: BandwidthConfigEntry) -> str:
    """Return the URL Bandwidth should send the entry's callbacks to.

    Raises:
        NoURLAvailableError: no cloudhook and no external URL is configured.

    """
    if (cloudhook_url := entry.data.get(CONF_CLOUDHOOK_URL)) and cloud_active(hass):
        return str(cloudhook_url)
    return webhook.async_generate_url(
        hass, entry.data[CONF_WEBHOOK_ID], allow_internal=False, prefer_external=True
    )


@callback
def async_direct_url(hass: HomeAssistant) -> str | None:
    """Return the root Bandwidth reaches Home Assistant itself at, if any.

    The external URL, else Home Assistant Cloud's remote UI: a cloudhook
    relays the text of requests, not audio or websockets.
    """
    try:
        return get_url(hass, allow_internal=False, prefer_external=True)
    except NoURLAvailableError:
        return None


@callback
def async_call_url(
    hass: HomeAssistant,
    entry: BandwidthConfigEntry,
    call: LiveCall,
    step: int | None = None,
) -> str:
    """Return where a call's next callbacks go: where it was placed to.

    Calls received, and calls restored from older storage, go where the
    entry's callbacks currently do.
    """
    if (webhook_url := call.webhook_url) is None:
        try:
            webhook_url = async_get_webhook_url(hass, entry)
        except NoURLAvailableError:
            # Bandwidth resolves a relative URL against the one it called.
            webhook_url = webhook.async_generate_path(entry.data[CONF_WEBHOOK_ID])
    return call.callback_url(webhook_url, step=step)


@callback
def async_inbound_url(hass: HomeAssistant, entry: BandwidthConfigEntry) -> str | None:
    """Return the URL for the Voice application's calls received, if there is one.

    Its query carries the entry's inbound secret: that URL alone is accepted
    for the `initiate` callbacks of calls to the application's numbers.
    """
    try:
        url = async_get_webhook_url(hass, entry)
    except NoURLAvailableError:
        return None
    return str(URL(url).update_query({QUERY_KEY: entry.data[CONF_INBOUND_SECRET]}))


@callback
def cloud_active(hass: HomeAssistant) -> bool:
    """Tell whether Home Assistant Cloud can relay webhooks now."""
    # Importing the cloud component without it being set up would pull in its
    # dependencies for nothing (or fail where they are missing).
    if CLOUD_DOMAIN not in hass.config.components:
        return False
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud.async_active_subscription(hass)


async def async_setup_cloudhook(
    hass: HomeAssistant,
    entry: BandwidthConfigEntry,
    on_change: Callable[[], None],
) -> None:
    """Make sure the entry has a cloudhook whenever Cloud is usable.

    ``on_change`` runs when Cloud connects or disconnects (and the URL
    Bandwidth should use may have changed).
    """
    if CLOUD_DOMAIN not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    async def _connection_changed(state: CloudConnectionState) -> None:
        if state is cloud.CloudConnectionState.CLOUD_CONNECTED:
            await _async_create_cloudhook(hass, entry)
        on_change()

    entry.async_on_unload(
        cloud.async_listen_connection_change(hass, _connection_changed)
    )
    if cloud.async_is_connected(hass):
        await _async_create_cloudhook(hass, entry)


async def _async_create_cloudhook(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> None:
    """Create the entry's cloudhook once, when the subscription allows it."""
    if CONF_CLOUDHOOK_URL in entry.data or not cloud_active(hass):
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        cloudhook_url = await cloud.async_create_cloudhook(
            hass, entry.data[CONF_WEBHOOK_ID]
        )
    except HomeAssistantError as err:
        LOGGER.warning("Could not create a Home Assistant Cloud webhook: %s", err)
        return
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_CLOUDHOOK_URL: cloudhook_url}
    )


async def async_remove_cloudhook(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> None:
    """Delete the cloudhook made for a removed entry."""
    if (
        CONF_CLOUDHOOK_URL not in entry.data
        or CLOUD_DOMAIN not in hass.config.components
    ):
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    except HomeAssistantError as err:
        LOGGER.debug("Could not delete the Home Assistant Cloud webhook: %s", err)
