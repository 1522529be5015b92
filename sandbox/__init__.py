"""A local Bandwidth Voice sandbox for tests and development.

It answers like Bandwidth's OAuth2 token endpoint, Voice API v2 and the
account API's application endpoint on loopback, records every request, can
inject faults, and plays the calls it creates (answer, BXML, machine
detection, gather, disconnect callbacks; the media of each PlayAudio is
fetched and decoded, and plays for as long as it lasts; StartStream streams
the caller to a websocket, with its stream events).

Run it with ``python -m sandbox``; in tests use the ``bandwidth_sandbox``
fixture from ``tests.sandbox_plugin``.
"""

from .applications import Application
from .auth import basic_auth, parse_basic_auth
from .bxml import BxmlError, Verb, parse_bxml
from .models import (
    AudioFetch,
    Call,
    CallbackAttempt,
    Hook,
    RecordedRequest,
    Recording,
    Scenario,
)
from .server import (
    ACCOUNT_ID,
    APPLICATION_ID,
    APPLICATION_NAME,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    Sandbox,
)

__all__ = [
    "ACCOUNT_ID",
    "APPLICATION_ID",
    "APPLICATION_NAME",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "PASSWORD",
    "USERNAME",
    "Application",
    "AudioFetch",
    "BxmlError",
    "Call",
    "CallbackAttempt",
    "Hook",
    "RecordedRequest",
    "Recording",
    "Sandbox",
    "Scenario",
    "Verb",
    "basic_auth",
    "parse_basic_auth",
    "parse_bxml",
]
