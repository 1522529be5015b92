"""Build the API client for a config entry's data, and tell what it is made of."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    BandwidthClient,
    BasicCredentials,
    OAuth2Credentials,
    api_urls,
    dashboard_api_url,
)
from .const import (
    AUTH_BASIC,
    CONF_ACCOUNT_ID,
    CONF_API_URL,
    CONF_APPLICATION_ID,
    CONF_AUTH_TYPE,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
)

# The entry data a running entry was set up from: a change to any of these
# (re-authentication, reconfiguration) needs a reload. The rest of the data
# (the cloudhook URL, the inbound secret) is read where it is used.
CONNECTION_KEYS = (
    CONF_AUTH_TYPE,
    CONF_ACCOUNT_ID,
    CONF_APPLICATION_ID,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_USERNAME,
    CONF_PASSWORD,
    CONF_API_URL,
)


def connection(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the part of entry data the entry's client is made from."""
    return {key: data[key] for key in CONNECTION_KEYS if key in data}


def async_create_client(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> BandwidthClient:
    """Return a client for entry data (or config flow input), on HA's session."""
    credentials: OAuth2Credentials | BasicCredentials
    if data.get(CONF_AUTH_TYPE) == AUTH_BASIC:
        credentials = BasicCredentials(data[CONF_USERNAME], data[CONF_PASSWORD])
    else:
        credentials = OAuth2Credentials(data[CONF_CLIENT_ID], data[CONF_CLIENT_SECRET])
    client = BandwidthClient(
        account_id=data[CONF_ACCOUNT_ID],
        credentials=credentials,
        session=async_get_clientsession(hass),
    )
    if api_url := data.get(CONF_API_URL):
        client.voice_url, client.token_url = api_urls(api_url)
        client.dashboard_url = dashboard_api_url(api_url)
    return client
