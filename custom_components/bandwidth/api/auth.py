"""Credentials for Bandwidth's two API authentication schemes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OAuth2Credentials:
    """OAuth 2.0 client credentials, exchanged for short-lived Bearer tokens."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class BasicCredentials:
    """A legacy API user, sent as HTTP Basic on every request."""

    username: str
    password: str = field(repr=False)
