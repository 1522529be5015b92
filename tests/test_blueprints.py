"""Tests for the automation blueprints in blueprints/automation/bandwidth/."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.bandwidth.calls import CallScript, GatherScript
from custom_components.bandwidth.cloudhook import async_inbound_url
from custom_components.bandwidth.const import (
    CONF_HOLD_TIME,
    CONF_INBOUND_CALLS,
    CONF_RING_TIMEOUT,
    CONF_VOICEMAIL_TRANSCRIPTION,
    CONF_VOICEMAIL_WHEN_UNANSWERED,
    EVENT_CALL_DISCONNECTED,
    EVENT_GATHER_COMPLETE,
)
from sandbox import Call, Sandbox, Scenario
from sandbox.audio import silence_wav

from .helpers import FROM_NUMBER, Live, add_contact, script_of
from .live_calls import set_options
from .metadata import HACS, MANIFEST, ROOT
from .voices import TTS_ENTITY_ID, FakeVoice

BLUEPRINTS = ROOT / "blueprints" / "automation" / "bandwidth"
ALARM = "call_on_alarm.yaml"
ESCALATION = "call_escalation.yaml"
EVERYONE = "call_everyone.yaml"
TRUSTED = "trusted_callers.yaml"
MENU = "phone_menu.yaml"
VOICEMAIL = "new_voicemail.yaml"
SCREEN = "screen_calls.yaml"
PANEL = "alarm_control_panel.home"
FIRST, SECOND, THIRD = "+15555550001", "+15555550002", "+15555550003"
MONITORING = "+15555550911"


@pytest.fixture
def blueprints(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Install the blueprints where Home Assistant looks for them."""
    hass.config.config_dir = str(tmp_path)
    folder = Path(hass.config.path("blueprints", "automation", "bandwidth"))
    shutil.copytree(BLUEPRINTS, folder)
    return folder


def contact_device(live: Live, subentry_id: str) -> str:
    """Return the device id of a contact, as the blueprints' device picker gives it."""
    [device] = [
        device
        for device in dr.async_entries_for_config_entry(
            dr.async_get(live.hass), live.entry.entry_id
        )
        if ("bandwidth", subentry_id) in device.identifiers
    ]
    return device.id


async def set_up_automation(
    hass: HomeAssistant, blueprint: str, inputs: dict[str, Any]
) -> str:
    """Set up one automation from a blueprint; return its entity id."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "under_test",
                "alias": "Under test",
                "use_blueprint": {"path": f"bandwidth/{blueprint}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.under_test")
    assert state is not None
    assert state.state == STATE_ON, state.attributes
    return state.entity_id


@pytest.mark.usefixtures("blueprints")
@pytest.mark.parametrize(
    "path", [ALARM, ESCALATION, EVERYONE, TRUSTED, MENU, VOICEMAIL, SCREEN]
)
async def test_blueprints_load(hass: HomeAssistant, path: str) -> None:
    """Home Assistant loads each blueprint; its metadata points back here."""
    blueprint = await async_get_blueprints(hass).async_get_blueprint(
        f"bandwidth/{path}"
    )
    metadata = blueprint.metadata
    assert metadata["domain"] == "automation"
    assert metadata["name"]
    assert metadata["description"]
    assert metadata["source_url"] == (
        f"{MANIFEST['documentation']}/blob/main/blueprints/automation/bandwidth/{path}"
    )
    assert metadata["homeassistant"]["min_version"] == HACS["homeassistant"]
    # Every input is named, and described unless its name says it all.
    for name, spec in blueprint.inputs.items():
        assert spec["name"], name
        assert "selector" in spec, name


def test_every_blueprint_is_tested() -> None:
    """A new blueprint needs tests here too; each parses as Home Assistant YAML."""
    assert sorted(path.name for path in BLUEPRINTS.iterdir()) == sorted(
        [ALARM, ESCALATION, EVERYONE, TRUSTED, MENU, VOICEMAIL, SCREEN]
    )
    for path in BLUEPRINTS.iterdir():
        assert load_yaml_dict(path)["blueprint"]["domain"] == "automation"


@pytest.mark.usefixtures("blueprints")
async def test_alarm_blueprint(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Triggering the panel calls every number with the message."""
    hass.states.async_set(PANEL, "armed_away", {"friendly_name": "Home alarm"})
    await set_up_automation(
        hass,
        ALARM,
        {
            "alarm_panel": PANEL,
            "bandwidth_entry": init_integration.entry_id,
            "numbers": [FIRST, SECOND],
        },
    )

    hass.states.async_set(PANEL, "arming", {"friendly_name": "Home alarm"})
    await hass.async_block_till_done()
    assert bandwidth_sandbox.calls == {}

    hass.states.async_set(PANEL, "triggered", {"friendly_name": "Home alarm"})
    await hass.async_block_till_done()
    calls = bandwidth_sandbox.calls
    assert sorted(call.request["to"] for call in calls.values()) == [FIRST, SECOND]
    spoken = "Alarm! Home alarm has been triggered."
    for call_id, call in calls.items():
        assert call.request["from"] == FROM_NUMBER
        assert script_of(init_integration, call_id) == CallScript(
            message=spoken, machine_message=spoken, voice="susan"
        )


@pytest.mark.usefixtures("blueprints")
async def test_alarm_blueprint_own_message(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A message of one's own replaces the default."""
    hass.states.async_set(PANEL, "armed_home")
    await set_up_automation(
        hass,
        ALARM,
        {
            "alarm_panel": PANEL,
            "bandwidth_entry": init_integration.entry_id,
            "numbers": [FIRST],
            "message": "Burglar alarm at the cabin.",
        },
    )
    hass.states.async_set(PANEL, "triggered")
    await hass.async_block_till_done()
    (call_id,) = bandwidth_sandbox.calls
    script = script_of(init_integration, call_id)
    assert script is not None
    assert script.message == script.machine_message == "Burglar alarm at the cabin."


@pytest.mark.usefixtures("blueprints")
async def test_alarm_blueprint_in_a_home_assistant_voice(
    hass: HomeAssistant,
    voice: FakeVoice,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
) -> None:
    """A text-to-speech entity chosen in the blueprint speaks the message."""
    hass.states.async_set(PANEL, "armed_home", {"friendly_name": "Home alarm"})
    await set_up_automation(
        hass,
        ALARM,
        {
            "alarm_panel": PANEL,
            "bandwidth_entry": init_integration.entry_id,
            "numbers": [FIRST],
            "tts_entity": TTS_ENTITY_ID,
            "tts_language": "de-DE",
        },
    )
    hass.states.async_set(PANEL, "triggered", {"friendly_name": "Home alarm"})
    await hass.async_block_till_done()
    (call_id,) = bandwidth_sandbox.calls
    script = script_of(init_integration, call_id)
    assert script is not None
    spoken = "Alarm! Home alarm has been triggered."
    assert list(script.media.audio) == [spoken]
    assert voice.renders == [(spoken, "de-DE", {})]


def escalation_inputs(entry: MockConfigEntry, numbers: list[str]) -> dict[str, Any]:
    """Inputs starting the escalation on the event `start_escalation`."""
    return {
        "start": [{"trigger": "event", "event_type": "start_escalation"}],
        "bandwidth_entry": entry.entry_id,
        "numbers": numbers,
        "no_acknowledgement": [{"event": "nobody_acknowledged"}],
    }


@pytest.mark.usefixtures("blueprints")
async def test_escalation_end_to_end(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    live_sandbox: Sandbox,
) -> None:
    """Voicemail on the first number, 1 pressed on the second: the third rests."""
    live_sandbox.scenarios = {
        FIRST: Scenario(outcome="voicemail"),
        SECOND: Scenario(outcome="answer", digits="1"),
    }
    await set_up_automation(
        hass, ESCALATION, escalation_inputs(init_integration, [FIRST, SECOND, THIRD])
    )
    nobody = async_capture_events(hass, "nobody_acknowledged")
    gathered = async_capture_events(hass, EVENT_GATHER_COMPLETE)
    disconnected = async_capture_events(hass, EVENT_CALL_DISCONNECTED)

    hass.bus.async_fire("start_escalation")
    await hass.async_block_till_done()
    await live_sandbox.wait_idle()
    await hass.async_block_till_done()

    first, second = live_sandbox.calls.values()
    assert [first.request["to"], second.request["to"]] == [FIRST, SECOND]
    # The machine got the voicemail message and was never asked for digits.
    assert first.machine_detection == "answering-machine"
    assert first.spoken == [
        "The alarm at home has been triggered. Others are being called now."
    ]
    assert first.gathered == []
    assert first.disconnect_cause == "hangup"
    # The second number heard the message, pressed 1 and was thanked.
    assert second.spoken == [
        "The alarm at home has been triggered.",
        "Press 1 to acknowledge.",
        "Thank you. Goodbye.",
    ]
    assert second.gathered == ["1"]
    assert second.request["callTimeout"] == 30
    assert [event.data["call_id"] for event in gathered] == [second.call_id]
    assert [event.data["call_id"] for event in disconnected] == [
        first.call_id,
        second.call_id,
    ]
    assert nobody == []
    state = hass.states.get("automation.under_test")
    assert state is not None
    assert state.attributes["current"] == 0


@pytest.mark.usefixtures("blueprints")
async def test_escalation_wrong_key_moves_on(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    live_sandbox: Sandbox,
) -> None:
    """Pressing another key, or no answer at all, calls the next number."""
    live_sandbox.scenarios = {
        FIRST: Scenario(outcome="answer", digits="2"),
        SECOND: Scenario(outcome="no-answer"),
    }
    await set_up_automation(
        hass, ESCALATION, escalation_inputs(init_integration, [FIRST, SECOND])
    )
    nobody = async_capture_events(hass, "nobody_acknowledged")

    hass.bus.async_fire("start_escalation")
    await hass.async_block_till_done()
    await live_sandbox.wait_idle()
    await hass.async_block_till_done()

    first, second = live_sandbox.calls.values()
    assert first.gathered == ["2"]
    assert second.disconnect_cause == "timeout"
    assert len(nobody) == 1


async def waiting_on_call(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox, count: int
) -> list[Call]:
    """Wait until the automation waits on its `count`-th call; return the calls.

    create_call waits (its timeout already scheduled) on the entry's watcher.
    Not hass.async_block_till_done(): that would wait for the whole
    automation run, which here only ends when its time runs out.
    """
    [entry] = hass.config_entries.async_entries("bandwidth")

    def ready() -> bool:
        waiting = bool(entry.runtime_data.watcher._waiters)
        return len(bandwidth_sandbox.calls) == count and waiting

    await bandwidth_sandbox.wait_for(ready)
    return list(bandwidth_sandbox.calls.values())


@pytest.mark.usefixtures("blueprints")
async def test_escalation_time_per_number(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A refused number is skipped; a call without an answer in time is hung up."""
    inputs = escalation_inputs(init_integration, ["+1", FIRST, SECOND])
    inputs["time_per_number"] = 45
    await set_up_automation(hass, ESCALATION, inputs)
    nobody = async_capture_events(hass, "nobody_acknowledged")

    # The lifecycle is off: calls ring forever, no callback ever comes.
    hass.bus.async_fire("start_escalation")
    (first,) = await waiting_on_call(hass, bandwidth_sandbox, 1)
    assert first.request["to"] == FIRST
    first_script = script_of(init_integration, first.call_id)
    assert first_script is not None
    assert first_script.gather == GatherScript(
        prompt="Press 1 to acknowledge.", max_digits=1, repeat_count=2
    )

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=44))
    await asyncio.sleep(0.05)
    assert first.disconnect_cause is None
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=46))
    _, second = await waiting_on_call(hass, bandwidth_sandbox, 2)
    assert first.disconnect_cause == "cancel"
    assert second.request["to"] == SECOND
    assert nobody == []

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=46))
    await hass.async_block_till_done()
    assert second.disconnect_cause == "cancel"
    assert len(bandwidth_sandbox.calls) == 2
    assert len(nobody) == 1


@pytest.mark.usefixtures("blueprints")
async def test_escalation_call_already_gone(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Hanging up a call that ended unnoticed does not stop the escalation."""
    inputs = escalation_inputs(init_integration, [FIRST, SECOND])
    await set_up_automation(hass, ESCALATION, inputs)
    nobody = async_capture_events(hass, "nobody_acknowledged")

    hass.bus.async_fire("start_escalation")
    (first,) = await waiting_on_call(hass, bandwidth_sandbox, 1)
    first.end("hangup")  # Its disconnect callback never reaches Home Assistant.

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=91))
    await waiting_on_call(hass, bandwidth_sandbox, 2)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=91))
    await hass.async_block_till_done()
    assert len(nobody) == 1


@pytest.mark.usefixtures("blueprints")
async def test_escalation_press_2_to_be_connected(live: Live) -> None:
    """With a number to connect to, 2 connects the person called to it."""
    live.sandbox.scenarios = {
        FIRST: Scenario(outcome="answer", digits="2"),
        MONITORING: Scenario(ring_seconds=1, talk_seconds=1),
    }
    inputs = escalation_inputs(live.entry, [FIRST, SECOND])
    inputs["connect_to"] = MONITORING
    await set_up_automation(live.hass, ESCALATION, inputs)
    nobody = async_capture_events(live.hass, "nobody_acknowledged")

    live.hass.bus.async_fire("start_escalation")
    await live.hass.async_block_till_done()
    await live.sandbox.wait_idle()
    await live.hass.async_block_till_done()

    (first,) = live.sandbox.calls.values()
    assert first.spoken[:3] == [
        "The alarm at home has been triggered.",
        "Press 1 to acknowledge. Press 2 to be connected to the monitoring company.",
        "Connecting you.",
    ]
    [leg] = first.transfers
    assert leg.request["to"] == MONITORING
    assert nobody == []


def everyone_inputs(entry: MockConfigEntry, numbers: list[str]) -> dict[str, Any]:
    """Inputs starting the calls to everyone on the event `start_calls`."""
    return {
        "start": [{"trigger": "event", "event_type": "start_calls"}],
        "bandwidth_entry": entry.entry_id,
        "numbers": numbers,
        "ring_time": 120,
        "no_acknowledgement": [{"event": "nobody_acknowledged"}],
    }


@pytest.mark.usefixtures("blueprints")
async def test_everyone_until_acknowledged(live: Live) -> None:
    """Busy, 1 pressed, still ringing: the ringing phone stops, the presser is thanked."""
    live.sandbox.scenarios = {
        FIRST: Scenario(outcome="busy", ring_seconds=0),
        SECOND: Scenario(digits="1"),
        THIRD: Scenario(outcome="no-answer"),
    }
    await set_up_automation(
        live.hass, EVERYONE, everyone_inputs(live.entry, [FIRST, SECOND, THIRD])
    )
    nobody = async_capture_events(live.hass, "nobody_acknowledged")

    live.hass.bus.async_fire("start_calls")
    await live.hass.async_block_till_done()
    await live.sandbox.wait_idle()
    await live.hass.async_block_till_done()

    first, second, third = live.sandbox.calls.values()
    assert first.disconnect_cause == "busy"
    assert second.spoken == [
        "Something needs your attention at home.",
        "Press 1 to acknowledge.",
        "Thank you. Goodbye.",
    ]
    assert second.gathered == ["1"]
    assert third.answer_time is None
    assert third.disconnect_cause == "cancel"
    assert nobody == []


@pytest.mark.usefixtures("blueprints")
async def test_everyone_nobody_acknowledges(live: Live) -> None:
    """Another key, a machine, no answer: every round calls everyone, then gives up."""
    live.sandbox.scenarios = {
        FIRST: Scenario(digits="2"),
        SECOND: Scenario(outcome="voicemail"),
    }
    inputs = everyone_inputs(live.entry, [FIRST, SECOND])
    inputs |= {"rounds": 2, "pause": 0}
    await set_up_automation(live.hass, EVERYONE, inputs)
    nobody = async_capture_events(live.hass, "nobody_acknowledged")

    live.hass.bus.async_fire("start_calls")
    await live.hass.async_block_till_done()
    await live.sandbox.wait_idle()
    await live.hass.async_block_till_done()

    calls = list(live.sandbox.calls.values())
    assert [call.request["to"] for call in calls] == [FIRST, SECOND] * 2
    for call in calls[::2]:
        # 2 ends the other call; then this one is hung up too.
        assert call.gathered == ["2"]
        assert "Thank you. Goodbye." not in call.spoken
    assert len(nobody) == 1


async def ring_in(live: Live, caller: str, **kwargs: Any) -> Call:
    """Call the application's number and wait until the call is over."""
    url = async_inbound_url(live.hass, live.entry)
    assert url is not None
    call = live.sandbox.call_in(url, caller, FROM_NUMBER, status_url=url, **kwargs)
    await live.sandbox.wait_for_call(call.call_id, timeout=15)
    await live.hass.async_block_till_done()
    return call


@pytest.mark.usefixtures("blueprints", "voice_stack")
@pytest.mark.parametrize("mode", ["reject", "automation"])
async def test_trusted_callers(live: Live, mode: str) -> None:
    """A verified trusted caller opens the gate; the call is never answered."""
    set_options(live, **{CONF_INBOUND_CALLS: mode, CONF_RING_TIMEOUT: 300})
    assert await async_setup_component(
        live.hass, "input_boolean", {"input_boolean": {"gate": {}}}
    )
    contact = await add_contact(live.hass, live.entry, THIRD, name="Carol")
    await set_up_automation(
        live.hass,
        TRUSTED,
        {
            "bandwidth_entry": live.entry.entry_id,
            "contacts": [contact_device(live, contact)],
            "numbers": [FIRST],
            "actions": [
                {
                    "action": "input_boolean.toggle",
                    "target": {"entity_id": "input_boolean.gate"},
                }
            ],
        },
    )
    gate = "input_boolean.gate"

    call = await ring_in(live, FIRST, verstat="TN-Validation-Passed", attestation="A")
    assert call.answer_time is None
    assert call.disconnect_cause in {"hangup", "cancel"}
    assert live.hass.states.get(gate).state == "on"  # type: ignore[union-attr]

    # A trusted contact, verified: the gate toggles.
    await ring_in(live, THIRD, verstat="TN-Validation-Passed", attestation="A")
    assert live.hass.states.get(gate).state == "off"  # type: ignore[union-attr]

    # A forged caller ID, a stranger: nothing happens.
    await ring_in(live, FIRST, verstat="TN-Validation-Failed")
    await ring_in(live, THIRD, verstat="TN-Validation-Passed", attestation="C")
    await ring_in(live, SECOND, verstat="TN-Validation-Passed", attestation="A")
    assert live.hass.states.get(gate).state == "off"  # type: ignore[union-attr]
    state = live.hass.states.get("automation.under_test")
    assert state is not None
    assert state.attributes["current"] == 0


MENU_INPUTS = {
    "choice_1_name": "open the garage",
    "choice_1_actions": [
        {
            "action": "input_boolean.turn_on",
            "target": {"entity_id": "input_boolean.garage"},
        }
    ],
    "choice_1_confirmation": "The garage is opening. Goodbye.",
    "choice_3_name": "disarm the alarm",
    "choice_3_actions": [
        {
            "action": "input_boolean.turn_on",
            "target": {"entity_id": "input_boolean.disarmed"},
        }
    ],
    "choice_3_confirmation": "Disarmed. Goodbye.",
}


@pytest.mark.usefixtures("blueprints", "voice_stack")
@pytest.mark.parametrize(
    ("digits", "spoken", "garage", "disarmed"),
    [
        (
            ["2468#", "3"],
            [
                "Hello.",
                "Enter your PIN, then press the pound key.",
                "Main menu. Press 1 to open the garage. Press 3 to disarm the alarm.",
                "Disarmed. Goodbye.",
            ],
            "off",
            "on",
        ),
        (
            ["2468#", "1"],
            [
                "Hello.",
                "Enter your PIN, then press the pound key.",
                "Main menu. Press 1 to open the garage. Press 3 to disarm the alarm.",
                "The garage is opening. Goodbye.",
            ],
            "on",
            "off",
        ),
        (
            ["2468#", "2"],
            [
                "Hello.",
                "Enter your PIN, then press the pound key.",
                "Main menu. Press 1 to open the garage. Press 3 to disarm the alarm.",
                "Sorry, that is not a choice. Goodbye.",
            ],
            "off",
            "off",
        ),
        (
            ["1111#"],
            [
                "Hello.",
                "Enter your PIN, then press the pound key.",
                "Wrong PIN. Goodbye.",
            ],
            "off",
            "off",
        ),
    ],
)
async def test_phone_menu(
    live: Live, digits: list[str], spoken: list[str], garage: str, disarmed: str
) -> None:
    """The PIN, then the menu: each choice runs its actions and says so."""
    set_options(live, **{CONF_INBOUND_CALLS: "automation", CONF_HOLD_TIME: 300})
    assert await async_setup_component(
        live.hass, "input_boolean", {"input_boolean": {"garage": {}, "disarmed": {}}}
    )
    contact = await add_contact(live.hass, live.entry, FIRST, assist=False, pin="2468")
    await set_up_automation(
        live.hass,
        MENU,
        {
            "bandwidth_entry": live.entry.entry_id,
            "contacts": [contact_device(live, contact)],
            **MENU_INPUTS,
        },
    )

    call = await ring_in(
        live, FIRST, verstat="TN-Validation-Passed", attestation="A", digits=digits
    )

    assert [" ".join(text.split()) for text in call.spoken] == spoken
    assert live.hass.states.get("input_boolean.garage").state == garage  # type: ignore[union-attr]
    assert live.hass.states.get("input_boolean.disarmed").state == disarmed  # type: ignore[union-attr]


@pytest.mark.usefixtures("blueprints", "voice_stack")
async def test_phone_menu_ignores_others(live: Live) -> None:
    """An unverified or unknown caller is not answered; it rings out, rejected."""
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "automation",
            CONF_RING_TIMEOUT: 3,
            CONF_VOICEMAIL_WHEN_UNANSWERED: False,
        },
    )
    await add_contact(live.hass, live.entry, FIRST, assist=False, pin="2468")
    await add_contact(live.hass, live.entry, THIRD, name="Carol", pin="1357")
    await set_up_automation(
        live.hass, MENU, {"bandwidth_entry": live.entry.entry_id, **MENU_INPUTS}
    )
    for caller, verstat in (
        (FIRST, "TN-Validation-Failed"),
        (SECOND, "TN-Validation-Passed"),
    ):
        call = await ring_in(live, caller, verstat=verstat)
        assert call.answer_time is None
        assert call.spoken == []


@pytest.mark.usefixtures("blueprints", "voice_stack")
async def test_phone_menu_pin_cannot_be_guessed(live: Live) -> None:
    """Three wrong PINs from the menu lock the contact's PIN, right or not."""
    set_options(live, **{CONF_INBOUND_CALLS: "automation", CONF_HOLD_TIME: 300})
    assert await async_setup_component(
        live.hass, "input_boolean", {"input_boolean": {"garage": {}, "disarmed": {}}}
    )
    await add_contact(live.hass, live.entry, FIRST, assist=False, pin="2468")
    await set_up_automation(
        live.hass,
        MENU,
        {"bandwidth_entry": live.entry.entry_id, "verified_only": False, **MENU_INPUTS},
    )
    gathered: list[dict[str, Any]] = []
    live.hass.bus.async_listen(
        "bandwidth_gather_complete", lambda event: gathered.append(dict(event.data))
    )
    for guess in ("1111#", "2222#", "3333#", "2468#"):
        call = await ring_in(
            live, FIRST, verstat="TN-Validation-Failed", digits=[guess, "1"]
        )
        assert call.spoken[-1] == "Wrong PIN. Goodbye."
    assert live.hass.states.get("input_boolean.garage").state == "off"  # type: ignore[union-attr]
    # Automations hear whether the PIN was right, never the digits.
    assert [event["pin_valid"] for event in gathered] == [False] * 4
    assert all("digits" not in event for event in gathered)


@pytest.mark.usefixtures("blueprints")
@pytest.mark.parametrize(
    ("transcription", "message"),
    [
        ("bandwidth", "This is a message left in the sandbox."),
        ("none", "A message of 2 seconds, without a transcript."),
    ],
)
async def test_new_voicemail(
    live: Live, tmp_path: Path, transcription: str, message: str
) -> None:
    """A new message is told about, with its transcript, and played."""
    set_options(
        live,
        **{
            CONF_INBOUND_CALLS: "voicemail",
            CONF_VOICEMAIL_TRANSCRIPTION: transcription,
        },
    )
    notified = async_mock_service(live.hass, "notify", "send_message")
    played = async_mock_service(live.hass, "media_player", "play_media")
    await set_up_automation(
        live.hass,
        VOICEMAIL,
        {
            "bandwidth_entry": live.entry.entry_id,
            "notify_entities": ["notify.phone"],
            "speakers": ["media_player.kitchen"],
        },
    )
    recording = tmp_path / "message.wav"
    recording.write_bytes(silence_wav(2))
    call = await ring_in(live, FIRST, message=str(recording))
    await live.hass.async_block_till_done(wait_background_tasks=True)
    await live.hass.async_block_till_done()
    assert call.recordings
    [notification] = notified
    assert notification.data == {
        "entity_id": ["notify.phone"],
        "title": f"Voicemail from {FIRST}",
        "message": message,
    }
    [play] = played
    [voicemail] = live.entry.runtime_data.voicemail.messages
    assert play.data["media_content_id"].endswith(f"/{voicemail.id}")
    assert play.data["entity_id"] == ["media_player.kitchen"]


@pytest.mark.usefixtures("blueprints")
async def test_new_voicemail_told_to_no_one(live: Live, tmp_path: Path) -> None:
    """Without notify entities or speakers, the automation does nothing."""
    set_options(live, **{CONF_INBOUND_CALLS: "voicemail"})
    notified = async_mock_service(live.hass, "notify", "send_message")
    played = async_mock_service(live.hass, "media_player", "play_media")
    await set_up_automation(
        live.hass, VOICEMAIL, {"bandwidth_entry": live.entry.entry_id}
    )
    recording = tmp_path / "message.wav"
    recording.write_bytes(silence_wav(1))
    await ring_in(live, FIRST, message=str(recording))
    await live.hass.async_block_till_done(wait_background_tasks=True)
    await live.hass.async_block_till_done()
    assert notified == []
    assert played == []
    state = live.hass.states.get("automation.under_test")
    assert state is not None
    assert state.attributes["last_triggered"] is not None


def a_phone(live: Live, name: str) -> str:
    """Register a Companion app phone; return its device id."""
    app = MockConfigEntry(domain="mobile_app", title=name)
    app.add_to_hass(live.hass)
    return (
        dr.async_get(live.hass)
        .async_get_or_create(
            config_entry_id=app.entry_id,
            identifiers={("mobile_app", name)},
            name=name,
        )
        .id
    )


async def screen_with_phones(
    live: Live, tmp_path: Path, *, press: str | None, **inputs: Any
) -> tuple[Call, list[ServiceCall], list[ServiceCall]]:
    """Screen a caller with the blueprint, pressing `press` on the second phone.

    Return the call and what each phone was sent.
    """
    set_options(live, **{CONF_INBOUND_CALLS: "screen", CONF_HOLD_TIME: 30})
    live.sandbox.scenarios[MONITORING] = Scenario(ring_seconds=1, talk_seconds=1)
    pixel = async_mock_service(live.hass, "notify", "mobile_app_pixel_9")
    iphone: list[ServiceCall] = []
    asked = asyncio.Event()

    async def ask(call: ServiceCall) -> None:
        iphone.append(call)
        asked.set()

    live.hass.services.async_register("notify", "mobile_app_iphone", ask)
    await set_up_automation(
        live.hass,
        SCREEN,
        {
            "bandwidth_entry": live.entry.entry_id,
            "phones": [a_phone(live, "Pixel 9"), a_phone(live, "iPhone")],
            **inputs,
        },
    )
    answer = tmp_path / "answer.wav"
    answer.write_bytes(silence_wav(2))
    url = async_inbound_url(live.hass, live.entry)
    assert url is not None
    call = live.sandbox.call_in(
        url,
        FIRST,
        FROM_NUMBER,
        status_url=url,
        message=str(answer),
        transcript="It's Sam from the garage.",
    )
    async with asyncio.timeout(15):
        await asked.wait()
    # Another notification's button, and another call's, decide nothing:
    # else each test below would see a hang-up.
    for foreign in ("OPEN_GATE", "BANDWIDTH_HANG_UP_c-another-call"):
        live.hass.bus.async_fire("mobile_app_notification_action", {"action": foreign})
    if press is not None:
        [asked] = iphone
        [button] = [
            button
            for button in asked.data["data"]["actions"]
            if button["title"] == press
        ]
        live.hass.bus.async_fire(
            "mobile_app_notification_action", {"action": button["action"]}
        )
    await live.sandbox.wait_for_call(call.call_id, timeout=15)
    await live.hass.async_block_till_done(wait_background_tasks=True)
    return call, pixel, iphone


@pytest.mark.usefixtures("blueprints")
async def test_screen_calls_put_through(live: Live, tmp_path: Path) -> None:
    """Both phones are asked; Put through on one rings the number; both are cleared."""
    call, pixel, iphone = await screen_with_phones(
        live, tmp_path, press="Put through", put_through_to=MONITORING
    )
    [leg] = call.transfers
    assert leg.request["to"] == MONITORING
    for sent in (pixel, iphone):
        asked, cleared = sent
        assert asked.data["title"] == f"{FIRST} is calling"
        assert asked.data["message"] == "It's Sam from the garage."
        assert asked.data["data"]["tag"] == call.call_id
        assert [button["title"] for button in asked.data["data"]["actions"]] == [
            "Put through",
            "Voicemail",
            "Hang up",
        ]
        assert cleared.data == {
            "message": "clear_notification",
            "data": {"tag": call.call_id},
        }


@pytest.mark.usefixtures("blueprints")
@pytest.mark.parametrize(
    ("press", "inputs", "voicemail"),
    [
        ("Voicemail", {}, True),
        ("Hang up", {}, False),
        (None, {"decision_time": 1}, True),
    ],
)
async def test_screen_calls_decides(
    live: Live,
    tmp_path: Path,
    press: str | None,
    inputs: dict[str, Any],
    voicemail: bool,
) -> None:
    """Voicemail, Hang up, or no button in time (voicemail); no Put through offered."""
    call, _, iphone = await screen_with_phones(live, tmp_path, press=press, **inputs)
    assert call.transfers == []
    assert [button["title"] for button in iphone[0].data["data"]["actions"]] == [
        "Voicemail",
        "Hang up",
    ]
    # The answer, then (voicemail) the message.
    assert len(call.recordings) == (2 if voicemail else 1)
    assert iphone[-1].data["message"] == "clear_notification"
