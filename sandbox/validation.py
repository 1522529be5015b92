"""Request validation: the Voice API's field rules for the bodies it accepts.

Each table (CREATE_CALL, UPDATE_CALL and the nested MACHINE_DETECTION) maps a
JSON property to the `Field` that checks it: type, length, range, allowed
values, absolute URL. `validate` checks a body against a table and returns
the first problem, worded as Bandwidth's voiceApiError descriptions are;
`create_call_rules` adds the rules of createCall that a table cannot express
(E.164 numbers, displayName with privacy, UUI encodings, https with
credentials).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from yarl import URL

_METHODS = ("GET", "POST")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_UUI_PART = re.compile(r"^[^;,]+;encoding=(jwt|base64|hex)$")
_PRIVATE_NAMES = ("Restricted", "Anonymous", "Private", "Unavailable")


@dataclass(frozen=True)
class Field:
    """How one JSON property is checked: its type, limits and allowed values."""

    kind: type | tuple[type, ...]
    required: bool = False
    max_length: int | None = None
    limits: tuple[int, int] | None = None  # inclusive minimum, maximum
    enum: tuple[str, ...] | None = None
    url: bool = False
    nested: dict[str, Field] | None = None


_TEXT = Field(str)
_NUMBER = Field((int, float))
_SECRET = Field(str, max_length=1024)
_URL = Field(str, max_length=2048, url=True)
_METHOD = Field(str, enum=_METHODS)

MACHINE_DETECTION: dict[str, Field] = {
    "mode": Field(str, enum=("sync", "async")),
    "detectionTimeout": _NUMBER,
    "silenceTimeout": _NUMBER,
    "speechThreshold": _NUMBER,
    "speechEndThreshold": _NUMBER,
    "machineSpeechEndThreshold": _NUMBER,
    "delayResult": Field(bool),
    "callbackUrl": _URL,
    "callbackMethod": _METHOD,
    "username": _SECRET,
    "password": _SECRET,
    "fallbackUrl": _URL,
    "fallbackMethod": _METHOD,
    "fallbackUsername": _SECRET,
    "fallbackPassword": _SECRET,
}
CREATE_CALL: dict[str, Field] = {
    "to": Field(str, required=True),
    "from": Field(str, required=True),
    "privacy": Field(bool),
    "displayName": Field(str, max_length=256),
    "uui": Field(str, max_length=350),
    "applicationId": Field(str, required=True),
    "answerUrl": Field(str, required=True, max_length=2048, url=True),
    "answerMethod": _METHOD,
    "username": _SECRET,
    "password": _SECRET,
    "answerFallbackUrl": _URL,
    "answerFallbackMethod": _METHOD,
    "fallbackUsername": _SECRET,
    "fallbackPassword": _SECRET,
    "disconnectUrl": _URL,
    "disconnectMethod": _METHOD,
    "callTimeout": Field((int, float), limits=(1, 300)),
    "callbackTimeout": Field((int, float), limits=(1, 25)),
    "machineDetection": Field(dict, nested=MACHINE_DETECTION),
    "priority": Field(int, limits=(1, 5)),
    "tag": Field(str, max_length=4096),
}
UPDATE_CALL: dict[str, Field] = {
    "state": Field(str, enum=("active", "completed")),
    "redirectUrl": _URL,
    "redirectMethod": _METHOD,
    "username": _SECRET,
    "password": _SECRET,
    "redirectFallbackUrl": _URL,
    "redirectFallbackMethod": _METHOD,
    "fallbackUsername": _SECRET,
    "fallbackPassword": _SECRET,
    "tag": Field(str, max_length=4096),
}


def validate(data: Any, schema: dict[str, Field], prefix: str = "") -> str | None:
    """Check a JSON object against a table; return the first problem or None."""
    if not isinstance(data, dict):
        return f"{prefix or 'Request body'} must be a JSON object"
    if unknown := [name for name in data if name not in schema]:
        return f"Unknown property: {prefix}{unknown[0]}"
    for name, rule in schema.items():
        if name in data:
            problem = _problem(f"{prefix}{name}", rule, data[name])
        else:
            problem = (
                f"Missing required property: {prefix}{name}" if rule.required else None
            )
        if problem:
            return problem
    return None


def _problem(label: str, rule: Field, value: Any) -> str | None:
    """Describe what is wrong with one present value, or return None."""
    if value is None:
        return f"Invalid {label}: must not be null (omit the property instead)"
    if _wrong_type(value, rule.kind):
        return f"Invalid {label}: wrong type {type(value).__name__}"
    low, high = rule.limits or (value, value)
    checks = (
        (rule.max_length is not None and len(value) > rule.max_length,
         f"longer than {rule.max_length} characters"),
        (rule.limits is not None and not low <= value <= high,
         f"must be between {low} and {high}"),
        (rule.enum is not None and value not in rule.enum,
         f"must be one of {', '.join(rule.enum or ())}"),
        (rule.url and not _is_absolute_url(value), "must be an absolute http(s) URL"),
    )  # fmt: skip
    for failed, message in checks:
        if failed:
            return f"Invalid {label}: {message}"
    return (
        validate(value, rule.nested, f"{label}.") if rule.nested is not None else None
    )


def _wrong_type(value: Any, kind: type | tuple[type, ...]) -> bool:
    # bool is an int in Python but never a JSON number.
    return isinstance(value, bool) != (kind is bool) or not isinstance(value, kind)


def _is_absolute_url(value: str) -> bool:
    try:
        url = URL(value)
    except (ValueError, IndexError):  # older yarl raises IndexError for "http://[]"
        return False
    return url.scheme in {"http", "https"} and bool(url.host)


def create_call_rules(body: dict[str, Any], *, allow_http: bool) -> str | None:
    """Bandwidth's rules that a schema cannot express."""
    to, name, uui = body["to"], body.get("displayName") or "", body.get("uui")
    secure = [("answerUrl", "username"), ("answerFallbackUrl", "fallbackUsername")]
    checks = (
        (not _E164.match(to) and not to.startswith("sip:"),
         "Invalid to: must be an E164 telephone number or a SIP URI"),
        # 2026: a number even when privacy hides it; no more keywords.
        (not _E164.match(body["from"]),
         "Invalid from: must be an E164 telephone number"),
        (any(not char.isprintable() for char in name),
         "Invalid displayName: must not contain control characters"),
        (body.get("privacy") and name and name not in _PRIVATE_NAMES,
         f"Invalid displayName: with privacy use one of {', '.join(_PRIVATE_NAMES)}"),
        (uui is not None and not all(_UUI_PART.match(part) for part in uui.split(",")),
         "Invalid uui: each value needs an encoding of jwt, base64 or hex"),
        *(
            (not allow_http and body.get(user) and body.get(key, "").startswith("http:"),
             f"Invalid {key}: must use https when credentials are given")
            for key, user in secure
        ),
    )  # fmt: skip
    return next((message for failed, message in checks if failed), None)
