"""Asynchronous client for Bandwidth's Voice API v2 (no Home Assistant imports)."""

from .auth import BasicCredentials, OAuth2Credentials
from .client import TOKEN_URL, VOICE_URL, BandwidthClient, api_urls
from .exceptions import (
    BandwidthApiError,
    BandwidthAuthenticationError,
    BandwidthConnectionError,
    BandwidthError,
    BandwidthOutcomeUnknownError,
    BandwidthRateLimitError,
)
from .models import (
    CallState,
    CreateCallRequest,
    CreateCallResponse,
    MachineDetectionConfiguration,
    UpdateCallRequest,
)

__all__ = [
    "TOKEN_URL",
    "VOICE_URL",
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
]
