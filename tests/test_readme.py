"""The README is checked against the code, and its YAML examples are run.

Every action field and limit it lists is the schema's, every event key it shows is
one the webhook fires, the blueprint import links point at the blueprints, and the
example automations and actions are set up and run against the sandbox.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import fields
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from homeassistant.components import persistent_notification
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import script
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

import sandbox
from custom_components.bandwidth import const
from custom_components.bandwidth.action_fields import (
    CREATE_CALL_FIELDS,
    HANGUP_CALL_FIELDS,
    STEP_FIELDS,
    UPDATE_CALL_FIELDS,
)
from custom_components.bandwidth.api import CreateCallResponse
from custom_components.bandwidth.const import CONF_FROM, CONF_NOTIFY_TO, DOMAIN
from custom_components.bandwidth.parse import (
    ATTR_CALLER_VERIFIED,
    ATTR_CONTACT,
    ATTR_MACHINE_DETECTION_RESULT,
    ATTR_RINGING,
    ATTR_TRANSFER_CALL_ID,
    OBJECTS,
    STRING_FIELDS,
)
from custom_components.bandwidth.rules import Object
from custom_components.bandwidth.validation import (
    validate_create_call,
    validate_hangup_call,
    validate_update_call,
)
from sandbox import Sandbox, Scenario

from .helpers import FROM_NUMBER, script_of
from .metadata import MANIFEST, ROOT, STRINGS

README = (ROOT / "README.md").read_text(encoding="utf-8")
# The entry in the README's entity ids (application "Home alarm"); the tests'
# entries keep the title entries had before they were named after it.
EXAMPLE_ENTRY = "bandwidth_home_alarm_"
MY_SECTIONS = (
    "Features",
    "Prerequisites in Bandwidth",
    "Installation",
    "Setup",
    "Actions",
    "Events",
    "Event entity and device triggers",
    "Notify entity",
    "Blueprints",
    "Example automations",
    "How callbacks reach Home Assistant",
    "Known limitations",
    "Troubleshooting",
    "Removal",
)


def section(title: str) -> str:
    """Return the text of a `## ` section, subsections included."""
    match = re.search(
        rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.MULTILINE | re.DOTALL
    )
    assert match is not None, title
    return match.group(1)


def yaml_blocks(text: str) -> list[Any]:
    """Return the parsed ```yaml blocks of some README text, indented ones too."""
    blocks = re.findall(r"^( *)```yaml\n(.*?)^\1```", text, re.MULTILINE | re.DOTALL)
    return [yaml.safe_load(textwrap.dedent(body)) for _, body in blocks]


def for_sandbox(value: Any) -> Any:
    """Replace the README's example entry by the tests' entry, everywhere."""
    if isinstance(value, str):
        return value.replace(EXAMPLE_ENTRY, f"bandwidth_{sandbox.ACCOUNT_ID}_")
    if isinstance(value, list):
        return [for_sandbox(item) for item in value]
    if isinstance(value, dict):
        return {key: for_sandbox(item) for key, item in value.items()}
    return value


# --- Text against code ------------------------------------------------------


def test_every_section_is_written() -> None:
    """No section placeholder is left, and each section says something."""
    for title in MY_SECTIONS:
        text = section(title)
        assert "<!-- section:" not in text, title
        assert len(text.split()) > 30, title


def _rules(fields: dict[Any, Any], prefix: str = "") -> dict[str, Any]:
    """Each field's rule by its dotted name, nested fields included."""
    rules: dict[str, Any] = {}
    for marker, rule in fields.items():
        name = f"{prefix}{marker}"
        rules[name] = rule
        if isinstance(rule, Object):
            rules |= _rules(rule.fields, f"{name}.")
    return rules


CREATE_CALL_RULES = _rules(CREATE_CALL_FIELDS)
UPDATE_CALL_RULES = _rules(UPDATE_CALL_FIELDS)
HANGUP_CALL_RULES = _rules(HANGUP_CALL_FIELDS)
ALL_RULES = CREATE_CALL_RULES | UPDATE_CALL_RULES | HANGUP_CALL_RULES
# What a field's example needs beside it to make a call of its own.
COMPANIONS = {
    "password": {"username": "me"},
    "fallback_password": {"fallback_username": "me"},
    "machine_detection.password": {"machine_detection.username": "md"},
    "machine_detection.fallback_password": {
        "machine_detection.fallback_username": "md"
    },
    "timeout": {"wait_for": "end"},
    "hang_up_others": {"wait_for": "end"},
}


def _rows(text: str) -> dict[str, list[tuple[str, str]]]:
    """(accepts, example) of each field's table rows."""
    rows: dict[str, list[tuple[str, str]]] = {}
    for name, accepts, example in re.findall(
        r"^\| `([a-z_.]+)`[^|]*\| ([^|]+) \| `([^`]*)` \|", text, re.MULTILINE
    ):
        rows.setdefault(name, []).append((accepts, example))
    return rows


def _call_data(fields: dict[str, Any]) -> dict[str, Any]:
    """create_call data from dotted field names."""
    data: dict[str, Any] = {"to": "+15555551234"}
    for name, value in fields.items():
        head, _, tail = name.partition(".")
        if tail:
            data.setdefault(head, {})[tail] = value
        else:
            data[head] = value
    return data


def test_every_action_field_is_documented_with_its_limits() -> None:
    """Each field of both actions has a row stating its rule's limits."""
    rows = _rows(section("Actions"))
    assert set(rows) == set(ALL_RULES)
    for name, rule in ALL_RULES.items():
        for accepts, _ in rows.get(name, []):
            numbers = set(re.findall(r"[0-9]+", accepts))
            limits = {str(limit) for limit in getattr(rule, "limits", {}).values()}
            assert limits <= numbers, (name, accepts)


def test_every_example_is_accepted() -> None:
    """The example of each field passes the action's rules as shown."""
    for name, examples in _rows(section("Actions")).items():
        for _, example in examples:
            value = yaml.safe_load(example)
            if name in CREATE_CALL_RULES:
                validate_create_call(
                    _call_data({name: value, **COMPANIONS.get(name, {})})
                )
            if name in UPDATE_CALL_RULES and "." not in name:
                step = {name: value} if name in STEP_FIELDS else {"hangup": True}
                if name.startswith("transfer_") and name != "transfer_to":
                    step = {"transfer_to": "+15555550911"}
                validate_update_call({"call_id": "c-1", **step} | {name: value})
            if name in HANGUP_CALL_RULES:
                validate_hangup_call({"call_id": "c-1", name: value})


def test_every_event_is_documented() -> None:
    """Each bus event is listed, and the example data only uses keys it can carry."""
    text = section("Events")
    for name in (
        const.EVENT_CALL_RECEIVED,
        const.EVENT_CALL_ANSWERED,
        const.EVENT_MACHINE_DETECTION_COMPLETE,
        const.EVENT_GATHER_COMPLETE,
        const.EVENT_TRANSFER_ANSWERED,
        const.EVENT_TRANSFER_COMPLETE,
        const.EVENT_CALL_DISCONNECTED,
        const.EVENT_CALLBACK,
    ):
        assert f"`{name}`" in text
    keys = {
        *STRING_FIELDS.values(),
        *(key for key, _ in OBJECTS.values()),
        ATTR_MACHINE_DETECTION_RESULT,
        ATTR_CALLER_VERIFIED,
        ATTR_CONTACT,
        ATTR_RINGING,
        ATTR_TRANSFER_CALL_ID,
        "config_entry_id",
    }
    table = text[text.index("| Key | Meaning |") :].split("\n\n", 1)[0]
    documented = {
        key
        for row in re.findall(r"^\| ([^|]+) \|", table, re.MULTILINE)
        for key in re.findall(r"`([a-z_]+)`", row)
    }
    assert documented == keys
    examples = yaml_blocks(text)
    assert len(examples) == 5
    for example in examples:
        assert example["event_type"].startswith("bandwidth_")
        assert set(example["data"]) <= keys


def test_action_response_is_documented_as_returned() -> None:
    """The example responses only have keys create_call returns.

    The second waited for the outcome (wait_for): its keys are documented.
    """
    returned = {field.name for field in fields(CreateCallResponse)}
    returned -= {"from_", "answer_url", "answer_fallback_url", "disconnect_url"}
    returned |= {"from", "error"}
    outcome = {"outcome", "answered_at", "duration", "digits", "disconnect_cause"}
    text = section("Actions")
    placed, waited = [block for block in yaml_blocks(text) if "calls" in block]
    for item in placed["calls"]:
        assert set(item) <= returned
    for item in waited["calls"]:
        assert set(item) <= returned | outcome
    table = text[text.index("| Key | When | Meaning |") :].split("\n\n", 1)[0]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE)) == {
        *outcome,
        "error",
    }


def test_entity_and_trigger_names() -> None:
    """Entity, event type and device trigger names are the translated ones."""
    text = section("Event entity and device triggers")
    event = STRINGS["entity"]["event"]["call"]
    assert f"*{event['name']}*" in text
    for event_type in event["state_attributes"]["event_type"]["state"]:
        assert f"| `{event_type}` |" in text
    for name in STRINGS["device_automation"]["trigger_type"].values():
        assert f"| {name} |" in text
    notify = STRINGS["entity"]["notify"]["phone_call"]["name"]
    assert f"*{notify}*" in section("Notify entity")


def test_option_names() -> None:
    """The options are called what the form calls them."""
    text = section("Setup")
    for name in STRINGS["options"]["step"]["init"]["data"].values():
        assert f"| {name} |" in text
    assert "Numbers to call for notifications" in section("Notify entity")


def test_links() -> None:
    """One-click links point at this repository and its blueprints."""
    repository = urlparse(MANIFEST["documentation"])
    owner, name = repository.path.strip("/").split("/")
    assert (
        f"redirect/hacs_repository/?owner={owner}&repository={name}"
        "&category=integration" in section("Installation")
    )
    assert f"redirect/config_flow_start/?domain={DOMAIN}" in section("Setup")

    links = re.findall(
        r"\((https://my\.home-assistant\.io/redirect/blueprint_import/\?[^)]+)\)",
        section("Blueprints"),
    )
    urls = [parse_qs(urlparse(link).query)["blueprint_url"][0] for link in links]
    folder = ROOT / "blueprints" / "automation" / DOMAIN
    # In the README's order; every blueprint has its link.
    names = [
        "call_on_alarm.yaml",
        "call_escalation.yaml",
        "call_everyone.yaml",
        "trusted_callers.yaml",
        "phone_menu.yaml",
        "new_voicemail.yaml",
        "screen_calls.yaml",
    ]
    assert sorted(path.name for path in folder.glob("*.yaml")) == sorted(names)
    assert urls == [
        f"https://raw.githubusercontent.com/{owner}/{name}/main/"
        f"blueprints/automation/{DOMAIN}/{blueprint}"
        for blueprint in names
    ]


# --- Examples, set up and run -------------------------------------------------


def readme_automations() -> list[dict[str, Any]]:
    """The complete automations the README shows, with ids."""
    automations = [
        block
        for title in MY_SECTIONS
        for block in yaml_blocks(section(title))
        if isinstance(block, dict) and "triggers" in block
    ]
    return [
        for_sandbox({"id": f"readme_{index}", **automation})
        for index, automation in enumerate(automations)
    ]


@pytest.fixture
async def automations(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> list[str]:
    """Every README automation set up; their entity ids."""
    assert await async_setup_component(hass, "persistent_notification", {})
    configs = readme_automations()
    assert len(configs) == 6
    assert await async_setup_component(hass, "automation", {"automation": configs})
    await hass.async_block_till_done()
    entity_ids = hass.states.async_entity_ids("automation")
    assert len(entity_ids) == len(configs)
    for entity_id in entity_ids:
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == "on", (entity_id, state.attributes)
    return entity_ids


def calls_to(bandwidth_sandbox: Sandbox, number: str) -> list[sandbox.Call]:
    """The sandbox's calls to one number."""
    return [
        call
        for call in bandwidth_sandbox.calls.values()
        if call.request["to"] == number
    ]


@pytest.mark.usefixtures("automations")
async def test_alarm_call_then_escalation(
    hass: HomeAssistant, live_sandbox: Sandbox
) -> None:
    """The alarm calls both; the one that does not answer brings in the neighbour."""
    live_sandbox.scenarios = {"+15555551234": Scenario(outcome="no-answer")}
    hass.states.async_set("alarm_control_panel.home", "armed_away")
    await hass.async_block_till_done()
    hass.states.async_set("alarm_control_panel.home", "triggered")
    await live_sandbox.wait_for(lambda: bool(calls_to(live_sandbox, "+15555559876")))
    await live_sandbox.wait_idle()
    await hass.async_block_till_done()

    (unanswered,) = calls_to(live_sandbox, "+15555551234")
    assert unanswered.disconnect_cause == "timeout"
    assert unanswered.request["tag"] == "alarm"
    (answered,) = calls_to(live_sandbox, "+15555555678")
    assert answered.spoken[:2] == [
        "The alarm at home has been triggered.",
        "Press 2 to talk to the monitoring company.",
    ]
    assert answered.disconnect_cause == "hangup"
    (neighbour,) = calls_to(live_sandbox, "+15555559876")
    assert neighbour.request["tag"] == "alarm-neighbour"
    assert neighbour.spoken == [
        "The alarm at our home went off and nobody answers. Please have a look."
    ]

    # The event entity example noted how each call ended.
    messages = {
        notification["message"]
        for notification in persistent_notification._async_get_or_create_notifications(
            hass
        ).values()
    }
    assert "The call to +15555551234 ended: timeout." in messages


@pytest.mark.usefixtures("automations")
async def test_press_2_to_be_connected(
    hass: HomeAssistant, live_sandbox: Sandbox
) -> None:
    """2 on the alarm call connects to the monitoring company."""
    live_sandbox.scenarios = {
        "+15555551234": Scenario(outcome="answer", digits="2"),
        "+15555555678": Scenario(outcome="no-answer"),
        "+15555550911": Scenario(ring_seconds=1, talk_seconds=1),
    }
    hass.states.async_set("alarm_control_panel.home", "armed_away")
    await hass.async_block_till_done()
    hass.states.async_set("alarm_control_panel.home", "triggered")
    await live_sandbox.wait_for(
        lambda: len(calls_to(live_sandbox, "+15555551234")) == 1
    )
    (call,) = calls_to(live_sandbox, "+15555551234")
    await live_sandbox.wait_for_call(call.call_id, timeout=15)
    assert call.spoken[2] == "Connecting you to the monitoring company."
    [leg] = call.transfers
    assert leg.request["to"] == "+15555550911"


@pytest.mark.usefixtures("automations")
async def test_voicemail_message(hass: HomeAssistant, live_sandbox: Sandbox) -> None:
    """An answering machine gets the second text, with the time filled in."""
    live_sandbox.scenarios = {"+15555551234": Scenario(outcome="voicemail")}
    hass.states.async_set("binary_sensor.basement_leak", "off")
    await hass.async_block_till_done()
    hass.states.async_set("binary_sensor.basement_leak", "on")
    await live_sandbox.wait_for(lambda: bool(live_sandbox.calls))
    await live_sandbox.wait_idle()
    (call,) = live_sandbox.calls.values()
    assert call.request["machineDetection"]["mode"] == "async"
    (spoken,) = call.spoken
    assert re.fullmatch(
        r"This is your home\. Water has been leaking in the basement since "
        r"\d\d:\d\d\. Please check as soon as you can\.",
        spoken,
    )


@pytest.mark.usefixtures("automations")
async def test_acknowledge_by_pressing_1(
    hass: HomeAssistant, live_sandbox: Sandbox
) -> None:
    """Half an hour open, a call; pressing 1 closes the door."""
    closed = async_mock_service(hass, "cover", "close_cover")
    live_sandbox.scenarios = {"+15555551234": Scenario(outcome="answer", digits="1")}
    hass.states.async_set("cover.garage_door", "closed")
    await hass.async_block_till_done()
    hass.states.async_set("cover.garage_door", "open")
    await hass.async_block_till_done()
    assert live_sandbox.calls == {}

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=31))
    await live_sandbox.wait_for(lambda: bool(closed))
    (call,) = live_sandbox.calls.values()
    assert call.gathered == ["1"]
    assert closed[0].data == {"entity_id": ["cover.garage_door"]}


@pytest.mark.usefixtures("automations")
async def test_no_acknowledgement_leaves_the_door(
    hass: HomeAssistant, live_sandbox: Sandbox
) -> None:
    """Another key: the door stays open."""
    closed = async_mock_service(hass, "cover", "close_cover")
    live_sandbox.scenarios = {"+15555551234": Scenario(outcome="answer", digits="2")}
    hass.states.async_set("cover.garage_door", "open")
    await hass.async_block_till_done()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=31))
    await live_sandbox.wait_for(lambda: bool(live_sandbox.calls))
    await live_sandbox.wait_idle()
    (call,) = live_sandbox.calls.values()
    assert call.gathered == ["2"]
    assert closed == []


async def test_action_examples(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """The create_call and hangup_call examples run as shown, one after the other."""
    blocks = [
        block
        for block in yaml_blocks(section("Actions"))
        if isinstance(block, dict) and "action" in block
    ]
    assert [block["action"] for block in blocks] == [
        "bandwidth.create_call",
        "bandwidth.update_call",
        "bandwidth.hangup_call",
    ]
    # update_call's example answers an automation's trigger: shown, not run.
    blocks = [block for block in blocks if block["action"] != "bandwidth.update_call"]
    sequence = await script.async_validate_actions_config(
        hass, cv.SCRIPT_SCHEMA(blocks)
    )
    runner = script.Script(hass, sequence, "README", DOMAIN)
    await runner.async_run(context=Context())
    await hass.async_block_till_done()

    first, second = bandwidth_sandbox.calls.values()
    assert [first.request["to"], second.request["to"]] == [
        "+15555551234",
        "+15555555678",
    ]
    assert first.request["tag"] == "alarm"
    assert first.disconnect_cause == "cancel"  # hung up while ringing
    assert second.disconnect_cause is None


async def test_notify_example(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """The notify example calls the numbers set in the options."""
    hass.config_entries.async_update_entry(
        init_integration,
        options={CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: ["+15555551234"]},
    )
    (block,) = yaml_blocks(section("Notify entity"))
    sequence = await script.async_validate_actions_config(
        hass, cv.SCRIPT_SCHEMA([for_sandbox(block)])
    )
    await script.Script(hass, sequence, "README", DOMAIN).async_run(context=Context())
    await hass.async_block_till_done()
    (call,) = bandwidth_sandbox.calls.values()
    script_ = script_of(init_integration, call.call_id)
    assert script_ is not None
    assert script_.message == "Alarm. Motion in the garage."


async def test_logger_example(hass: HomeAssistant) -> None:
    """The debug logging snippet is valid logger configuration."""
    (block,) = yaml_blocks(section("Troubleshooting"))
    assert await async_setup_component(hass, "logger", block)


def test_recorder_example() -> None:
    """The recorder snippet is valid, and keeps out the events with what was said."""
    from homeassistant.components import recorder  # noqa: PLC0415 - only here

    (block,) = (
        block
        for block in yaml_blocks(section("Event entity and device triggers"))
        if "recorder" in block
    )
    config = recorder.CONFIG_SCHEMA(block)
    assert set(config["recorder"]["exclude"]["event_types"]) == {
        const.EVENT_GATHER_COMPLETE,
        const.EVENT_ASSIST_ENDED,
    }
