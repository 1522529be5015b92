"""Checks of the integration's metadata that hassfest and HACS's action do not make.

Both run on every push (.github/workflows/): hassfest validates manifest.json
(known keys, their order and values, the version), services.yaml's structure
and selectors, the structure of translations/en.json and icons.json, and
imports against the dependencies; HACS's action validates hacs.json and the
manifest keys it needs. What is left here is this project's own: services.yaml
against the action schemas, a translation (and icon) for everything the code
names, the manifest values the code relies on, the minimum Home Assistant,
brand images and quality_scale.yaml (neither is checked for a custom
integration).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION  # noqa: N812
from PIL import Image

from custom_components.bandwidth import action_fields, services
from custom_components.bandwidth.issues import ALL_ISSUES, DOCUMENTATION_URL
from custom_components.bandwidth.pins import ISSUE_PIN_LOCKOUT

from .metadata import (
    HACS,
    ICONS,
    INTEGRATION,
    MANIFEST,
    ROOT,
    SERVICES,
    STRINGS,
    read_yaml,
)

# Every rule of the quality scale, bronze to platinum.
QUALITY_RULES = {
    "action-setup",
    "appropriate-polling",
    "brands",
    "common-modules",
    "config-flow",
    "config-flow-test-coverage",
    "dependency-transparency",
    "docs-actions",
    "docs-conditions",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-removal-instructions",
    "docs-triggers",
    "entity-event-setup",
    "entity-unique-id",
    "has-entity-name",
    "runtime-data",
    "test-before-configure",
    "test-before-setup",
    "unique-config-entry",
    "action-exceptions",
    "config-entry-unloading",
    "docs-configuration-parameters",
    "docs-installation-parameters",
    "entity-unavailable",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "test-coverage",
    "devices",
    "diagnostics",
    "discovery",
    "discovery-update-info",
    "docs-data-update",
    "docs-examples",
    "docs-known-limitations",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-translations",
    "exception-translations",
    "icon-translations",
    "reconfiguration-flow",
    "repair-issues",
    "stale-devices",
    "async-dependency",
    "inject-websession",
    "strict-typing",
}


# --- manifest.json and hacs.json --------------------------------------------


def test_manifest_values() -> None:
    """What the code and the README rely on; hassfest checks the rest."""
    # Set up from the UI (hassfest only checks the converse).
    assert MANIFEST["config_flow"] is True
    # Released as x.y.z (CHANGELOG.md); hassfest takes any version scheme.
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])
    assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])
    # Repair issues and the README link to the repository's documentation.
    assert MANIFEST["documentation"] == DOCUMENTATION_URL
    assert DOCUMENTATION_URL.startswith("https://github.com/")
    assert MANIFEST["issue_tracker"] == f"{DOCUMENTATION_URL}/issues"
    # The webhook receives the callbacks; cloud only makes a cloudhook if set up.
    assert "webhook" in MANIFEST["dependencies"]
    assert "cloud" in MANIFEST["after_dependencies"]
    # The API client is part of the integration.
    assert MANIFEST["requirements"] == []


def test_hacs_json() -> None:
    """The minimum Home Assistant is the oldest one tested; the names agree."""
    assert HACS["name"] == MANIFEST["name"]
    minimum = AwesomeVersion(HACS["homeassistant"])
    assert minimum.valid
    assert AwesomeVersion(HA_VERSION) >= minimum
    oldest = (ROOT / "requirements_test_oldest.txt").read_text(encoding="utf-8")
    assert f"Home Assistant {HACS['homeassistant']}" in oldest


# --- services.yaml ----------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "rules"),
    [
        (services.SERVICE_CREATE_CALL, action_fields.CREATE_CALL_FIELDS),
        (services.SERVICE_UPDATE_CALL, action_fields.UPDATE_CALL_FIELDS),
        (services.SERVICE_HANGUP_CALL, action_fields.HANGUP_CALL_FIELDS),
    ],
)
def test_services_yaml_matches_the_schemas(action: str, rules: dict[Any, Any]) -> None:
    """services.yaml lists exactly the fields the action validates."""
    fields = SERVICES[action]["fields"]
    assert sorted(fields) == sorted(str(key) for key in rules)
    required = {str(key) for key in rules if type(key).__name__ == "Required"}
    assert {name for name, field in fields.items() if field.get("required")} == (
        required
    )
    for name, field in fields.items():
        assert "selector" in field, name
        assert name in action_fields.FIELD_NAMES, name


def test_services_yaml_lists_every_action() -> None:
    """The actions, and nothing else, are described."""
    assert sorted(SERVICES) == sorted(
        [
            services.SERVICE_CREATE_CALL,
            services.SERVICE_UPDATE_CALL,
            services.SERVICE_HANGUP_CALL,
            services.SERVICE_RESET_MISSED_CALLS,
            services.SERVICE_MARK_VOICEMAIL_HEARD,
            services.SERVICE_DELETE_VOICEMAIL,
        ]
    )


def test_every_action_and_field_is_translated_and_has_an_icon() -> None:
    """Each action has a name, description and icon; each field a name and description.

    hassfest requires these of core integrations only.
    """
    for action, spec in SERVICES.items():
        strings = STRINGS["services"][action]
        assert strings["name"]
        assert strings["description"]
        assert ICONS["services"][action]["service"]
        assert sorted(strings["fields"]) == sorted(spec["fields"])
        for field in strings["fields"].values():
            assert field["name"]
            assert field["description"]
    assert sorted(STRINGS["services"]) == sorted(SERVICES)


# --- Translation keys used in the code --------------------------------------


def _python_files() -> list[Path]:
    return sorted(INTEGRATION.rglob("*.py"))


def _string_arguments(function: str, keyword: str | None = None) -> set[str]:
    """Literal strings passed to calls of `function` (first argument or keyword)."""
    found: set[str] = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name != function:
                continue
            values = [kw.value for kw in node.keywords if kw.arg == keyword]
            if keyword is None and node.args:
                values = [node.args[0]]
            found.update(
                value.value
                for value in values
                if isinstance(value, ast.Constant) and isinstance(value.value, str)
            )
    return found


def _translation_keys() -> set[str]:
    """Every literal `translation_key=` passed anywhere in the integration.

    A table of keys chosen at run time is a dict named `*_TRANSLATION_KEYS`:
    its values count too.
    """
    found: set[str] = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "translation_key"
                and isinstance(node.value, ast.Constant)
            ):
                found.add(node.value.value)
            elif isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(
                node.value, ast.Dict
            ):
                targets = (
                    [node.target] if isinstance(node, ast.AnnAssign) else node.targets
                )
                if any(
                    getattr(target, "id", "").endswith("TRANSLATION_KEYS")
                    for target in targets
                ):
                    found |= {
                        value.value
                        for value in node.value.values
                        if isinstance(value, ast.Constant)
                    }
    return found


def _rule_keys() -> set[str]:
    """The translation keys of validation rules: `Refused(...)` and `rule=`."""
    found = _string_arguments("Refused")
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "rule"
                and isinstance(node.value, ast.Constant)
            ):
                found.add(node.value.value)
    return found


def _exception_keys() -> set[str]:
    """Every exception translation key the code raises: directly, or as a rule."""
    return _translation_keys() | _string_arguments("validation_error") | _rule_keys()


def test_exception_keys_exist() -> None:
    """Every translated error the code raises has its message."""
    used = _exception_keys()
    assert used
    missing = used - set(STRINGS["exceptions"])
    assert not missing


def test_no_unused_exception_messages() -> None:
    """Every exception message in en.json is raised somewhere."""
    assert set(STRINGS["exceptions"]) - _exception_keys() == set()


def test_exception_placeholders() -> None:
    """Rule messages name their field; no message keeps the old English-limit form."""
    for key in _rule_keys():
        assert "{field}" in STRINGS["exceptions"][key]["message"], key
    assert "invalid_field" not in STRINGS["exceptions"]
    assert not hasattr(services, "LIMITS")


def test_issue_keys_exist() -> None:
    """Every repair issue the code raises is translated, and only those.

    hassfest checks what each one holds (a title, a description or a fix flow).
    """
    assert sorted(STRINGS["issues"]) == sorted((*ALL_ISSUES, ISSUE_PIN_LOCKOUT))


def test_entity_keys_exist_with_icons() -> None:
    """Each entity's translation key has a name and an icon."""
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and any(
                    getattr(target, "id", None) == "_attr_translation_key"
                    for target in node.targets
                )
                and isinstance(node.value, ast.Constant)
            ):
                platform, key = path.stem, node.value.value
                assert STRINGS["entity"][platform][key]["name"], (platform, key)
                assert ICONS["entity"][platform][key]["default"], (platform, key)


def test_flow_errors_and_aborts_exist() -> None:
    """Form errors and abort reasons of the config and options flows are translated."""
    source = "".join(
        (INTEGRATION / name).read_text(encoding="utf-8")
        for name in (
            "config_flow.py",
            "flow_checks.py",
            "options_flow.py",
            "option_rules.py",
        )
    )
    errors = set(re.findall(r'errors\[[A-Z_]+\] = "([a-z_]+)"', source))
    errors |= set(re.findall(r'\{"base": "([a-z_]+)"\}', source))
    assert errors
    known = set(STRINGS["config"]["error"]) | set(STRINGS["options"]["error"])
    assert errors <= known
    aborts = _string_arguments("async_abort", "reason")
    assert aborts <= set(STRINGS["config"]["abort"])


# --- Icons, brand, quality scale ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("icon.png", (256, 256)),
        ("icon@2x.png", (512, 512)),
        ("logo.png", None),
        ("logo@2x.png", None),
        ("dark_logo.png", None),
        ("dark_logo@2x.png", None),
    ],
)
def test_brand_images(name: str, size: tuple[int, int] | None) -> None:
    """Icons are square at their size; logos are landscape, 128-256 px high (x2)."""
    with Image.open(INTEGRATION / "brand" / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        if size is not None:
            assert image.size == size
        else:
            width, height = image.size
            scale = 2 if "@2x" in name else 1
            assert 128 * scale <= height <= 256 * scale
            assert width > height


def test_quality_scale() -> None:
    """Every rule is done, exempt or to do; an exemption or a to-do says why."""
    rules = read_yaml(INTEGRATION / "quality_scale.yaml")["rules"]
    assert set(rules) == QUALITY_RULES
    for rule, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in ("done", "exempt", "todo"), rule
        if status != "done":
            assert value["comment"], rule
