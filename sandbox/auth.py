"""HTTP Basic credentials, both ways.

The sandbox checks them on API requests (`parse_basic_auth`) and sends them
with callbacks and media requests (`basic_auth`); `credentials_from` picks
a username/password pair out of a request body or a BXML verb's attributes.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

type Credentials = tuple[str, str] | None


def basic_auth(login: str, password: str) -> str:
    """Build an HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def parse_basic_auth(header: str) -> tuple[str, str] | None:
    """(login, password) from an HTTP Basic Authorization header, else None."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        login, sep, password = (
            base64.b64decode(encoded, validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (login, password) if sep else None


def credentials_from(
    source: dict[str, Any], user_key: str, password_key: str
) -> Credentials:
    """Return the username and password under these keys, when both are given."""
    if source.get(user_key) and source.get(password_key) is not None:
        return (source[user_key], source[password_key])
    return None
