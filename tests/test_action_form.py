"""The action form: every field of the actions has a selector the UI can render.

gather and machine_detection are objects; their selectors list each key with
its own selector, so the action form edits them in a form of their own
instead of a YAML editor. Home Assistant loads services.yaml as it is, on the
oldest supported release too (which shows those two as YAML).
"""

from __future__ import annotations

from typing import Any

import pytest
from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION  # noqa: N812
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component

from custom_components.bandwidth.action_fields import (
    GATHER_FIELDS,
    MACHINE_DETECTION_FIELDS,
)
from custom_components.bandwidth.const import DOMAIN
from custom_components.bandwidth.rules import Object

from .metadata import SERVICES, STRINGS

OBJECTS = {"gather": GATHER_FIELDS, "machine_detection": MACHINE_DETECTION_FIELDS}
# The release that added fields to the object selector.
OBJECT_FIELDS_SINCE = AwesomeVersion("2025.7.0")


def _keys(fields: dict[Any, Any]) -> list[str]:
    return [str(marker.schema) for marker in fields]


@pytest.mark.parametrize(("name", "schema"), OBJECTS.items())
def test_object_fields_are_the_schema_keys(name: str, schema: Any) -> None:
    """Each key the action accepts has a field in the form, in the same order."""
    config = SERVICES["create_call"]["fields"][name]["selector"]["object"]
    assert list(config["fields"]) == _keys(schema)
    assert config["translation_key"] == name
    names = STRINGS["selector"][name]["fields"]
    for key, field in config["fields"].items():
        assert set(field) == {"label", "selector"}
        # What frontends without these translations show: the English name.
        assert field["label"] == names[key]["name"]


@pytest.mark.parametrize(("name", "schema"), OBJECTS.items())
def test_object_fields_are_translated(name: str, schema: Any) -> None:
    """Each form field has a name and a description, and nothing else is there."""
    fields = STRINGS["selector"][name]["fields"]
    assert list(fields) == _keys(schema)
    for field in fields.values():
        assert field["name"]
        assert field["description"]
    assert sorted(STRINGS["selector"]) == sorted(
        [
            *OBJECTS,
            "machine_detection_mode",
            "inbound_calls",
            "tts_options",
            "wait_for",
            "voicemail_transcription",
        ]
    )


@pytest.mark.parametrize("action", ["create_call", "update_call"])
def test_tts_options_offer_the_voice(action: str) -> None:
    """The text-to-speech options' form has the voice most engines take.

    Engines name their options differently: any other is given in YAML mode,
    and the action takes any name.
    """
    config = SERVICES[action]["fields"]["tts_options"]["selector"]["object"]
    assert config["translation_key"] == "tts_options"
    assert list(config["fields"]) == ["voice"]
    assert STRINGS["selector"]["tts_options"]["fields"]["voice"]["description"]


def test_machine_detection_modes_are_labelled() -> None:
    """Each mode has a label, translated, and only the modes the action takes."""
    config = SERVICES["create_call"]["fields"]["machine_detection"]["selector"]
    select = config["object"]["fields"]["mode"]["selector"]["select"]
    values = [option["value"] for option in select["options"]]
    assert values == ["async", "sync"]
    assert all(option["label"] for option in select["options"])
    options = STRINGS["selector"][select["translation_key"]]["options"]
    assert sorted(options) == sorted(values)
    Object(MACHINE_DETECTION_FIELDS)({"mode": values[0]})
    Object(MACHINE_DETECTION_FIELDS)({"mode": values[1]})


def test_no_field_is_left_to_yaml() -> None:
    """No field has a selector the UI can only show as a YAML editor."""
    for action in SERVICES.values():
        for name, field in action["fields"].items():
            ((kind, config),) = field["selector"].items()
            assert kind != "template", name
            assert kind != "object" or (config or {}).get("fields"), name


@pytest.mark.skipif(
    AwesomeVersion(HA_VERSION) < OBJECT_FIELDS_SINCE,
    reason="object selectors have no fields before Home Assistant 2025.7",
)
def test_selectors_are_valid() -> None:
    """Every selector, the nested ones too, is one Home Assistant accepts."""
    for action in SERVICES.values():
        for field in action["fields"].values():
            selector.validate_selector(field["selector"])


async def test_descriptions_load(hass: HomeAssistant) -> None:
    """Home Assistant loads the descriptions whole, on every supported release."""
    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = await async_get_all_descriptions(hass)
    create_call = descriptions[DOMAIN]["create_call"]
    assert sorted(create_call["fields"]) == sorted(SERVICES["create_call"]["fields"])
    for name, schema in OBJECTS.items():
        config = create_call["fields"][name]["selector"]["object"]
        assert list(config["fields"]) == _keys(schema)
    update_call = descriptions[DOMAIN]["update_call"]["fields"]
    assert (
        update_call["gather"]["selector"] == create_call["fields"]["gather"]["selector"]
    )
    assert sorted(descriptions[DOMAIN]["hangup_call"]["fields"]) == [
        "call_id",
        "config_entry_id",
    ]
