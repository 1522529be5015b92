"""Bandwidth's error answers, as the client's exceptions."""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime

import aiohttp

from .exceptions import (
    BandwidthApiError,
    BandwidthAuthenticationError,
    BandwidthError,
    BandwidthOutcomeUnknownError,
    BandwidthRateLimitError,
)


def _parse_retry_after(value: str | None) -> float | None:
    """Return Retry-After (seconds or an HTTP date) as seconds from now."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_for(response: aiohttp.ClientResponse, body: bytes) -> BandwidthError:
    """Map an error response to the client's exception, keeping Bandwidth's words."""
    status = response.status
    error_type: str | None = None
    error_id: str | None = None
    description = f"HTTP {status}"
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("description"), str) and data["description"]:
            description = data["description"]
        if isinstance(data.get("type"), str):
            error_type = data["type"]
        if isinstance(data.get("id"), str):
            error_id = data["id"]
    if status in (401, 403):
        return BandwidthAuthenticationError(
            f"Bandwidth refused the credentials (HTTP {status}): {description}"
        )
    if status == 429:  # noqa: PLR2004
        return BandwidthRateLimitError(
            description,
            retry_after=_parse_retry_after(response.headers.get("Retry-After")),
            error_type=error_type,
            error_id=error_id,
        )
    if status >= 500:  # noqa: PLR2004
        return BandwidthOutcomeUnknownError(
            f"Bandwidth failed (HTTP {status}): {description}"
        )
    return BandwidthApiError(
        status, description, error_type=error_type, error_id=error_id
    )
