"""Checks of request bodies against Bandwidth's published OpenAPI spec."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPEC = Path(__file__).parents[2] / "shared" / "bandwidth" / "bandwidth-openapi.yml"


@cache
def schemas() -> dict[str, Any]:
    """Return the component schemas of the spec (parsed once per run)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open(encoding="utf-8") as file:
        spec = yaml.load(file, Loader=loader)  # noqa: S506 - a safe loader
    return spec["components"]["schemas"]


def check_against_spec(body: Any, schema_name: str) -> None:
    """Assert a JSON body uses only the schema's names, types and limits."""
    _check(body, {"$ref": f"#/components/schemas/{schema_name}"})


def _check(body: Any, schema: dict[str, Any]) -> None:
    if "$ref" in schema:
        schema = schemas()[schema["$ref"].rsplit("/", 1)[1]]
    kind = schema.get("type")
    if kind == "object":
        assert isinstance(body, dict)
        for name in schema.get("required", []):
            assert name in body, name
        for name, value in body.items():
            assert name in schema["properties"], name
            assert value is not None, f"{name} is sent as null"
            _check(value, schema["properties"][name])
    elif kind == "string":
        assert isinstance(body, str)
        assert len(body) <= schema.get("maxLength", len(body))
        assert body in schema.get("enum", [body])
    elif kind in ("number", "integer"):
        assert isinstance(body, int if kind == "integer" else int | float)
        assert not isinstance(body, bool)
        assert schema.get("minimum", body) <= body <= schema.get("maximum", body)
    elif kind == "boolean":
        assert isinstance(body, bool)
