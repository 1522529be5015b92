"""Request and response models of Bandwidth's Voice API v2.

Python names are snake_case; on the wire they are the spec's camelCase. Fields
left as None are omitted from request bodies, never sent as null. The one
model of Bandwidth's account API, `Application`, is read from XML.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Self
from xml.etree.ElementTree import Element

# An application's ServiceType when it handles calls (the other is Messaging-V2).
VOICE_SERVICE_TYPE = "Voice-V2"


def _wire_name(name: str) -> str:
    """Return the spec's camelCase name for a Python field name."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part.capitalize() for part in rest)


# One table per model, used on every request and response.
_WIRE_FIELDS: dict[type[Any], tuple[tuple[str, str], ...]] = {}


def _wire_fields(cls: type[Any]) -> tuple[tuple[str, str], ...]:
    """Return a dataclass's (field name, wire name) pairs, in field order."""
    if (pairs := _WIRE_FIELDS.get(cls)) is None:
        pairs = _WIRE_FIELDS[cls] = tuple(
            (item.name, _wire_name(item.name)) for item in fields(cls)
        )
    return pairs


def _to_wire(obj: Any) -> dict[str, Any]:
    """Serialize a request dataclass, dropping unset fields."""
    body: dict[str, Any] = {}
    for name, wire_name in _wire_fields(type(obj)):
        value = getattr(obj, name)
        if value is None:
            continue
        if hasattr(value, "to_dict"):
            value = value.to_dict()
        body[wire_name] = value
    return body


def _from_wire(cls: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """Pick a response dataclass's fields out of a wire body."""
    return {
        name: data[wire_name]
        for name, wire_name in _wire_fields(cls)
        if wire_name in data
    }


@dataclass(kw_only=True)
class MachineDetectionConfiguration:
    """The spec's machineDetectionConfiguration."""

    mode: str | None = None
    detection_timeout: float | None = None
    silence_timeout: float | None = None
    speech_threshold: float | None = None
    speech_end_threshold: float | None = None
    machine_speech_end_threshold: float | None = None
    delay_result: bool | None = None
    callback_url: str | None = None
    callback_method: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    fallback_url: str | None = None
    fallback_method: str | None = None
    fallback_username: str | None = None
    fallback_password: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON body of this configuration."""
        return _to_wire(self)


@dataclass(kw_only=True)
class CreateCallRequest:
    """The spec's createCall body."""

    to: str
    from_: str
    application_id: str
    answer_url: str
    answer_method: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    answer_fallback_url: str | None = None
    answer_fallback_method: str | None = None
    fallback_username: str | None = None
    fallback_password: str | None = field(default=None, repr=False)
    disconnect_url: str | None = None
    disconnect_method: str | None = None
    call_timeout: float | None = None
    callback_timeout: float | None = None
    machine_detection: MachineDetectionConfiguration | None = None
    priority: int | None = None
    tag: str | None = None
    uui: str | None = None
    privacy: bool | None = None
    display_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON body of this request."""
        return _to_wire(self)


@dataclass(kw_only=True)
class UpdateCallRequest:
    """The spec's updateCall body."""

    state: str | None = None
    redirect_url: str | None = None
    redirect_method: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    redirect_fallback_url: str | None = None
    redirect_fallback_method: str | None = None
    fallback_username: str | None = None
    fallback_password: str | None = field(default=None, repr=False)
    tag: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON body of this request."""
        return _to_wire(self)


@dataclass(frozen=True, kw_only=True)
class CreateCallResponse:
    """The spec's createCallResponse, without the echoed callback passwords."""

    call_id: str
    call_url: str
    account_id: str
    application_id: str
    to: str
    from_: str
    answer_url: str
    answer_method: str | None = None
    answer_fallback_url: str | None = None
    answer_fallback_method: str | None = None
    disconnect_url: str | None = None
    disconnect_method: str | None = None
    enqueued_time: str | None = None
    start_time: str | None = None
    call_timeout: float | None = None
    callback_timeout: float | None = None
    tag: str | None = None
    priority: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from a 201 body; KeyError/TypeError when it is not one."""
        return cls(**_from_wire(cls, data))


@dataclass(frozen=True, kw_only=True)
class CallState:
    """The spec's callState; state and cause stay open-ended strings."""

    call_id: str
    account_id: str | None = None
    application_id: str | None = None
    parent_call_id: str | None = None
    to: str | None = None
    from_: str | None = None
    direction: str | None = None
    state: str | None = None
    disconnect_cause: str | None = None
    error_message: str | None = None
    error_id: str | None = None
    enqueued_time: str | None = None
    start_time: str | None = None
    answer_time: str | None = None
    end_time: str | None = None
    last_update: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from a callState body; KeyError/TypeError when it is not one."""
        return cls(**_from_wire(cls, data))


@dataclass(frozen=True, kw_only=True)
class Application:
    """An application of the account: its id, name and kind of traffic.

    Read from the account API's ApplicationProvisioningResponse, the answer
    Bandwidth's own CLI (`band app get`) reads; its other settings (callback
    URLs and credentials) are left out.
    """

    application_id: str
    name: str | None = None
    service_type: str | None = None

    @property
    def is_voice(self) -> bool:
        """Return whether the application can place and receive calls."""
        return self.service_type == VOICE_SERVICE_TYPE

    @classmethod
    def from_xml(cls, root: Element) -> Self:
        """Build from the response document; KeyError when it is not one."""
        application = (
            root.find("Application")
            if root.tag == "ApplicationProvisioningResponse"
            else None
        )
        if application is None:
            raise KeyError("Application")
        application_id = (application.findtext("ApplicationId") or "").strip()
        if not application_id:
            raise KeyError("ApplicationId")
        return cls(
            application_id=application_id,
            name=(application.findtext("AppName") or "").strip() or None,
            service_type=(application.findtext("ServiceType") or "").strip() or None,
        )
