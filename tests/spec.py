"""Checks of Voice API bodies against Bandwidth's own published models.

Bandwidth's Python SDK (bandwidth-sdk) is generated from the Voice API's
OpenAPI spec: its pydantic models carry each schema's wire names (as field
aliases), types, enums, length limits, bounds, required fields and nested
objects. A body is checked the way it travels, as JSON, in pydantic's strict
mode, so "5" is no number and 1 no boolean. The SDK's own `from_dict` drops
unknown keys and accepts nulls, so names and nulls are checked here first.
Schemas are named as in the spec (`createCall`, `answerCallback`, ...).
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from bandwidth.models import (
    AnswerCallback,
    CreateCall,
    DisconnectCallback,
    GatherCallback,
    InitiateCallback,
    MachineDetectionCompleteCallback,
    MachineDetectionConfiguration,
    RedirectCallback,
    TransferAnswerCallback,
    TransferCompleteCallback,
    TransferDisconnectCallback,
    UpdateCall,
)
from pydantic import BaseModel, ValidationError

# What the application sends Bandwidth.
REQUESTS: dict[str, type[BaseModel]] = {
    "createCall": CreateCall,
    "machineDetectionConfiguration": MachineDetectionConfiguration,
    "updateCall": UpdateCall,
}

# What Bandwidth sends the application's callback URLs.
CALLBACKS: dict[str, type[BaseModel]] = {
    "answerCallback": AnswerCallback,
    "disconnectCallback": DisconnectCallback,
    "gatherCallback": GatherCallback,
    "initiateCallback": InitiateCallback,
    "machineDetectionCompleteCallback": MachineDetectionCompleteCallback,
    "redirectCallback": RedirectCallback,
    "transferAnswerCallback": TransferAnswerCallback,
    "transferCompleteCallback": TransferCompleteCallback,
    "transferDisconnectCallback": TransferDisconnectCallback,
}

# Where the generated models keep unknown keys; no property of any schema.
_SDK_EXTRAS = "additional_properties"


def property_names(schema_name: str) -> frozenset[str]:
    """Return the wire names of a schema's properties."""
    return frozenset(_wire_names(_model(schema_name)))


def check_against_spec(body: Any, schema_name: str) -> None:
    """Assert a JSON body uses only the schema's names, types and limits."""
    model = _model(schema_name)
    _check_names(body, model)
    try:
        wire = json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise AssertionError(f"{schema_name} is no JSON: {err}") from None
    try:
        model.model_validate_json(wire, strict=True)
    except ValidationError as err:
        raise AssertionError(f"{schema_name}: {err}") from None


def check_callback(body: Any, schema_name: str) -> None:
    """Assert a callback body is shaped like Bandwidth's, event type included."""
    assert schema_name in CALLBACKS, schema_name
    check_against_spec(body, schema_name)
    assert body.get("eventType") == schema_name.removesuffix("Callback"), body


def _model(schema_name: str) -> type[BaseModel]:
    return {**REQUESTS, **CALLBACKS}[schema_name]


def _wire_names(model: type[BaseModel]) -> dict[str, Any]:
    """Map each property's wire name to its annotation."""
    return {
        field.alias or name: field.annotation
        for name, field in model.model_fields.items()
        if name != _SDK_EXTRAS
    }


def _check_names(body: Any, model: type[BaseModel]) -> None:
    """Assert every key is a property of the schema and none is null."""
    assert isinstance(body, dict), f"{model.__name__} is not an object: {body!r}"
    properties = _wire_names(model)
    for name, value in body.items():
        assert name in properties, f"{model.__name__} has no property {name!r}"
        assert value is not None, f"{name} is sent as null"
        if (nested := _nested_model(properties[name])) is not None:
            _check_names(value, nested)


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """Return the object schema an (optional) property holds, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            if (nested := _nested_model(argument)) is not None:
                return nested
    return None
