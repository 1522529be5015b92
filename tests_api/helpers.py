"""What the API client's test modules share: a client for the sandbox, a request."""

from __future__ import annotations

from typing import Any

import aiohttp
from bandwidth_voice import (
    BandwidthClient,
    BasicCredentials,
    CreateCallRequest,
    OAuth2Credentials,
    api_urls,
    dashboard_api_url,
)

from sandbox import APPLICATION_ID, CLIENT_ID, CLIENT_SECRET, RecordedRequest, Sandbox

ANSWER_URL = "https://ha.example.test/api/webhook/abc"


def make_client(
    sandbox: Sandbox,
    session: aiohttp.ClientSession | None,
    credentials: OAuth2Credentials | BasicCredentials | None = None,
    **kwargs: Any,
) -> BandwidthClient:
    """A client for the sandbox's demo account, every API on the sandbox."""
    voice_url, token_url = api_urls(sandbox.url)
    return BandwidthClient(
        account_id=kwargs.pop("account_id", sandbox.account_id),
        credentials=credentials or OAuth2Credentials(CLIENT_ID, CLIENT_SECRET),
        session=session,
        voice_url=voice_url,
        token_url=token_url,
        dashboard_url=dashboard_api_url(sandbox.url),
        **kwargs,
    )


def minimal_request(**overrides: Any) -> CreateCallRequest:
    """The smallest valid Create Call request."""
    fields: dict[str, Any] = {
        "to": "+15555551234",
        "from_": "+15555550100",
        "application_id": APPLICATION_ID,
        "answer_url": ANSWER_URL,
    }
    return CreateCallRequest(**(fields | overrides))


def voice_requests(sandbox: Sandbox) -> list[RecordedRequest]:
    """The requests the sandbox got on the Voice API."""
    return [r for r in sandbox.requests if r.path.startswith("/api/v2/")]
