"""Helpers shared by the action, notify and fault tests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.translation import async_get_translations

from custom_components.bandwidth.const import DOMAIN
from sandbox import Sandbox, basic_auth

from .conftest import EXTERNAL_URL, WEBHOOK_ID
from .spec import check_against_spec

WEBHOOK_URL = f"{EXTERNAL_URL}/api/webhook/{WEBHOOK_ID}"

# An HTTP Basic Authorization header value.
basic = basic_auth

EXCEPTIONS: dict[str, Any] = json.loads(
    (
        Path(__file__).parents[1] / "custom_components/bandwidth/translations/en.json"
    ).read_text(encoding="utf-8")
)["exceptions"]
# What a refusal may carry from code: field names as users type them, numbers.
NOT_WORDS = re.compile(r"[a-z_]+(\.[a-z_]+)*|[0-9]+")


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


async def rendered(hass: HomeAssistant, err: HomeAssistantError) -> str:
    """Return the message users read for an error, as Home Assistant renders it."""
    await async_get_translations(hass, "en", "exceptions", {DOMAIN})
    return str(err)


async def assert_refused(
    hass: HomeAssistant, err: HomeAssistantError, key: str, **placeholders: str
) -> str:
    """Assert a translated refusal: its key, its placeholders, its whole message.

    Placeholders are field names and numbers only, so no English from code
    reaches the user; the message is the translation with them filled in.
    """
    assert err.translation_domain == DOMAIN
    assert err.translation_key == key
    assert (err.translation_placeholders or {}) == placeholders
    for value in placeholders.values():
        assert NOT_WORDS.fullmatch(value), value
    message = await rendered(hass, err)
    template: str = EXCEPTIONS[key]["message"]
    assert message == template.format(**placeholders).rstrip(".")
    assert "{" not in message
    return message
