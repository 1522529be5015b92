"""Asynchronous client for Bandwidth's Voice API v2 (no Home Assistant imports).

The integration imports this folder as its `api` package. Built on its own
(pyproject.toml) it is the `bandwidth-voice` distribution, imported as
`bandwidth_voice`: its modules import one another relatively and otherwise
only the standard library, aiohttp and yarl, so they work under either name.
"""

from .auth import BasicCredentials, OAuth2Credentials
from .client import BandwidthClient
from .exceptions import (
    BandwidthApiError,
    BandwidthAuthenticationError,
    BandwidthConnectionError,
    BandwidthError,
    BandwidthOutcomeUnknownError,
    BandwidthRateLimitError,
)
from .models import (
    Application,
    CallState,
    CreateCallRequest,
    CreateCallResponse,
    MachineDetectionConfiguration,
    UpdateCallRequest,
)
from .urls import (
    DASHBOARD_URL,
    TOKEN_URL,
    VOICE_URL,
    api_urls,
    dashboard_api_url,
)

__all__ = [
    "DASHBOARD_URL",
    "TOKEN_URL",
    "VOICE_URL",
    "Application",
    "BandwidthApiError",
    "BandwidthAuthenticationError",
    "BandwidthClient",
    "BandwidthConnectionError",
    "BandwidthError",
    "BandwidthOutcomeUnknownError",
    "BandwidthRateLimitError",
    "BasicCredentials",
    "CallState",
    "CreateCallRequest",
    "CreateCallResponse",
    "MachineDetectionConfiguration",
    "OAuth2Credentials",
    "UpdateCallRequest",
    "api_urls",
    "dashboard_api_url",
]
