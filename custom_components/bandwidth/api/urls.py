"""Where Bandwidth's APIs are, and the URL of each resource of an account."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from yarl import URL

VOICE_URL = URL("https://voice.bandwidth.com/api/v2")
TOKEN_URL = URL("https://api.bandwidth.com/api/v1/oauth2/token")
# Bandwidth's account (Dashboard) API, where applications are described; the
# Voice API has no application endpoint.
DASHBOARD_URL = URL("https://api.bandwidth.com/api/v2")


def api_urls(root: str | URL) -> tuple[URL, URL]:
    """Return (voice_url, token_url) for a server serving Bandwidth's paths."""
    root = URL(root)
    return root / "api" / "v2", root / "api" / "v1" / "oauth2" / "token"


def dashboard_api_url(root: str | URL) -> URL:
    """Return the account API's URL on a server serving Bandwidth's paths."""
    return URL(root) / "api" / "v2"


def call_path(call_id: str) -> tuple[str, ...]:
    """Return the path of a call below the account.

    Raises:
        ValueError: the id is empty or a relative path segment.

    """
    if call_id in ("", ".", ".."):
        msg = f"Invalid call id: {call_id!r}"
        raise ValueError(msg)
    return ("calls", call_id)


def application_path(application_id: str) -> tuple[str, ...]:
    """Return the path of an application below the account.

    Raises:
        ValueError: the id is empty or a relative path segment.

    """
    if application_id in ("", ".", ".."):
        msg = f"Invalid application id: {application_id!r}"
        raise ValueError(msg)
    return ("applications", application_id)


def recording_path(call_id: str, recording_id: str) -> tuple[str, ...]:
    """Return the path of a call's recording below the account.

    Raises:
        ValueError: an id is empty or a relative path segment.

    """
    if recording_id in ("", ".", ".."):
        msg = f"Invalid recording id: {recording_id!r}"
        raise ValueError(msg)
    return (*call_path(call_id), "recordings", recording_id)


@lru_cache(maxsize=64)  # the calls path on every creation; others per call
def account_url(base: URL, account_id: str, path: tuple[str, ...]) -> URL:
    """Return the URL of a path below an account.

    Each segment is quoted whole: an id can never reach another path.
    """
    return base.joinpath(
        *(quote(segment, safe="") for segment in ("accounts", account_id, *path)),
        encoded=True,
    )
