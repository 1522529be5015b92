"""The repository's metadata files, read once for every test module.

manifest.json, hacs.json, the English translations, icons.json and
services.yaml, as data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from custom_components.bandwidth.const import DOMAIN

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN


def read_json(path: Path) -> Any:
    """A JSON file's content."""
    return json.loads(path.read_text(encoding="utf-8"))


def read_yaml(path: Path) -> Any:
    """A YAML file's content (plain YAML, no Home Assistant tags)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


MANIFEST: dict[str, Any] = read_json(INTEGRATION / "manifest.json")
HACS: dict[str, Any] = read_json(ROOT / "hacs.json")
STRINGS: dict[str, Any] = read_json(INTEGRATION / "translations" / "en.json")
ICONS: dict[str, Any] = read_json(INTEGRATION / "icons.json")
SERVICES: dict[str, Any] = read_yaml(INTEGRATION / "services.yaml")
