"""What the setup forms check before an entry is stored.

The form of what was typed first (account ids are digits, the API root a
URL), offline; then the credentials and the Voice application, against
Bandwidth. Each failure is a form error, on the field it is about when the
form shows that field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from yarl import URL

from .api import (
    Application,
    BandwidthApiError,
    BandwidthAuthenticationError,
    BandwidthClient,
    BandwidthConnectionError,
    BandwidthError,
)
from .const import (
    AUTH_BASIC,
    AUTH_OAUTH,
    CONF_ACCOUNT_ID,
    CONF_API_URL,
    CONF_APPLICATION_ID,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    LOGGER,
)
from .helpers import async_create_client

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

# (identifier, secret) entry data keys of each authentication scheme.
CREDENTIAL_KEYS: dict[str, tuple[str, str]] = {
    AUTH_OAUTH: (CONF_CLIENT_ID, CONF_CLIENT_SECRET),
    AUTH_BASIC: (CONF_USERNAME, CONF_PASSWORD),
}
# Never shown again once typed.
SECRET_KEYS = frozenset(secret for _, secret in CREDENTIAL_KEYS.values())

ACCOUNT_ID_RE = re.compile(r"[0-9]+")


def trimmed(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Strip surrounding whitespace from every text value of a submitted form."""
    return {
        key: value.strip() if isinstance(value, str) else value
        for key, value in user_input.items()
    }


def without_secrets(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return form values safe to show again as suggestions."""
    return {key: value for key, value in values.items() if key not in SECRET_KEYS}


def _is_http_url(value: str) -> bool:
    """Return whether value is an absolute http(s) URL."""
    try:
        url = URL(value)
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def format_errors(user_input: dict[str, Any]) -> dict[str, str]:
    """Check what can be checked without asking Bandwidth; drop an empty api_url.

    Bandwidth account ids are all digits; anything else would only earn a 403
    (or a malformed URL) from Bandwidth, so it is refused here.
    """
    errors: dict[str, str] = {}
    account_id = user_input.get(CONF_ACCOUNT_ID)
    if account_id is not None and not ACCOUNT_ID_RE.fullmatch(account_id):
        errors[CONF_ACCOUNT_ID] = "invalid_account_id"
    if user_input[CONF_APPLICATION_ID] in ("", ".", ".."):
        errors[CONF_APPLICATION_ID] = "invalid_application_id"
    if CONF_API_URL in user_input:
        if not user_input[CONF_API_URL]:
            del user_input[CONF_API_URL]
        elif not _is_http_url(user_input[CONF_API_URL]):
            errors[CONF_API_URL] = "invalid_api_url"
    return errors


# Errors about the application itself, shown on its field.
APPLICATION_ERRORS = frozenset({"application_not_found", "not_voice_application"})


async def async_verify(
    hass: HomeAssistant, data: Mapping[str, Any], *, application_field: bool
) -> tuple[dict[str, str], Application | None]:
    """Check credentials and the Voice application against Bandwidth.

    Returns the form errors (none if valid) and the application as Bandwidth
    describes it (None when it could not be read). An application error goes
    on its field when the form shows one (`application_field`), on the form
    otherwise.
    """
    client = async_create_client(hass, data)
    try:
        await client.verify()
    except BandwidthAuthenticationError:
        return {"base": "invalid_auth"}, None
    except BandwidthConnectionError:
        return {"base": "cannot_connect"}, None
    except Exception:  # noqa: BLE001
        LOGGER.exception("Unexpected error checking the Bandwidth credentials")
        return {"base": "unknown"}, None
    error, application = await _async_read_application(
        client, data[CONF_APPLICATION_ID]
    )
    if error is None:
        return {}, application
    if error in APPLICATION_ERRORS and application_field:
        return {CONF_APPLICATION_ID: error}, None
    return {"base": error}, None


async def _async_read_application(
    client: BandwidthClient, application_id: str
) -> tuple[str | None, Application | None]:
    """Read the application from Bandwidth; return an error key or it.

    Only a clear answer stops the flow: Bandwidth's 404 (the account has no
    such application), or a service type that is not Voice's. Any other
    answer leaves the application unchecked (no error; the application when
    it was read, for its name): the credentials were just proven on the Voice
    API, and an answer that cannot be read, a failure on Bandwidth's side or
    credentials that may place calls but not read applications say nothing
    about the application.
    """
    try:
        application = await client.get_application(application_id)
    except BandwidthAuthenticationError:
        LOGGER.info(
            "These credentials may not read Bandwidth application %s; "
            "it was not checked",
            application_id,
        )
        return None, None
    except BandwidthError as err:
        if isinstance(err, BandwidthApiError) and err.status == HTTPStatus.NOT_FOUND:
            return "application_not_found", None
        _log_unchecked(application_id, err)
        return None, None
    except Exception:  # noqa: BLE001
        LOGGER.exception("Unexpected error reading the Bandwidth application")
        return "unknown", None
    if application.service_type is None:
        _log_unchecked(application_id, "Bandwidth gave no service type")
    elif not application.is_voice:
        return "not_voice_application", None
    return None, application


def _log_unchecked(application_id: str, reason: str | BandwidthError) -> None:
    """Say that an application was accepted without being checked, and why.

    The client's errors name what happened, never the credentials; Bandwidth's
    own refusals are its description, or only the status.
    """
    if isinstance(reason, BandwidthApiError) and str(reason) != f"HTTP {reason.status}":
        reason = f"HTTP {reason.status}: {reason}"
    LOGGER.warning(
        "Could not check Bandwidth application %s (%s); it was accepted unchecked",
        application_id,
        reason,
    )
