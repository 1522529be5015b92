"""Helpers shared by the action, notify and fault tests."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from custom_components.bandwidth.const import DOMAIN
from sandbox import Sandbox, basic_auth

from .conftest import EXTERNAL_URL, WEBHOOK_ID
from .spec import check_against_spec

WEBHOOK_URL = f"{EXTERNAL_URL}/api/webhook/{WEBHOOK_ID}"

# An HTTP Basic Authorization header value.
basic = basic_auth


async def create_call(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Run bandwidth.create_call and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "create_call", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


def created_bodies(bandwidth_sandbox: Sandbox) -> list[dict[str, Any]]:
    """The createCall bodies Bandwidth received (retries included), spec-checked."""
    bodies = [
        request.json
        for request in bandwidth_sandbox.requests
        if request.method == "POST" and request.path.endswith("/calls")
    ]
    for body in bodies:
        check_against_spec(body, "createCall")
    return bodies
