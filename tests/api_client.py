"""The Bandwidth client, pointed at the sandbox, for the API's own tests.

Imports nothing of the integration but its `api` package.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from custom_components.bandwidth.api import (
    BandwidthClient,
    BasicCredentials,
    OAuth2Credentials,
    api_urls,
    dashboard_api_url,
)
from sandbox import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, Sandbox


def make_client(
    sandbox: Sandbox,
    session: aiohttp.ClientSession | None,
    credentials: OAuth2Credentials | BasicCredentials | None = None,
    **kwargs: Any,
) -> BandwidthClient:
    """A client for the sandbox's demo account, every API on the sandbox."""
    voice_url, token_url = api_urls(sandbox.url)
    return BandwidthClient(
        account_id=kwargs.pop("account_id", ACCOUNT_ID),
        credentials=credentials or OAuth2Credentials(CLIENT_ID, CLIENT_SECRET),
        session=session,
        voice_url=voice_url,
        token_url=token_url,
        dashboard_url=kwargs.pop("dashboard_url", dashboard_api_url(sandbox.url)),
        **kwargs,
    )
