"""The kinds of call event are described once: everything that lists them agrees.

Home Assistant reads the names and icons of event types and device triggers
from translations/en.json and icons.json; the logbook's words are there too.
Each must list exactly the kinds of kinds.py, no more, no less.
"""

from __future__ import annotations

import re
from typing import Final

from homeassistant.core import HomeAssistant

from custom_components.bandwidth import device_trigger, logbook
from custom_components.bandwidth.kinds import BY_CALLBACK, KINDS, OTHER, CallEventKind

from .metadata import ICONS, ROOT, STRINGS

EVENT_TYPE_STATES = STRINGS["entity"]["event"]["call"]["state_attributes"][
    "event_type"
]["state"]
EVENT_TYPE_ICONS = ICONS["entity"]["event"]["call"]["state_attributes"]["event_type"][
    "state"
]
TRIGGER_TYPES = STRINGS["device_automation"]["trigger_type"]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_names_are_unique() -> None:
    """No two kinds share a name of any sort."""
    for names in (
        [kind.key for kind in KINDS],
        [kind.event for kind in KINDS],
        [kind.callback for kind in KINDS if kind.callback],
        [kind.trigger for kind in KINDS if kind.trigger],
    ):
        assert len(set(names)) == len(names)
    assert all(kind.event.startswith("bandwidth_") for kind in KINDS)
    assert OTHER in KINDS
    assert OTHER not in BY_CALLBACK.values()


def test_event_types_are_named_with_icons() -> None:
    """Every kind is an event type with a name and an icon; nothing else is."""
    keys = [kind.key for kind in KINDS]
    assert sorted(EVENT_TYPE_STATES) == sorted(keys)
    assert sorted(EVENT_TYPE_ICONS) == sorted(keys)
    assert all(EVENT_TYPE_STATES.values())
    assert all(icon.startswith("mdi:") for icon in EVENT_TYPE_ICONS.values())


def test_device_triggers_are_named() -> None:
    """Every kind's trigger, and those telling who answered, have a name."""
    triggers = {kind.trigger for kind in KINDS if kind.trigger}
    assert sorted(TRIGGER_TYPES) == sorted(triggers | set(device_trigger.WHO_ANSWERED))
    assert sorted(device_trigger.TRIGGERS) == sorted(TRIGGER_TYPES)
    assert all(TRIGGER_TYPES.values())


def test_logbook_words() -> None:
    """The logbook has a describer of its own, or words, for each kind it tells."""
    told = {kind.key for kind in KINDS}
    assert set(logbook.DESCRIBERS) <= told
    for key in told - set(logbook.DESCRIBERS):
        assert STRINGS["common"][f"logbook_{key}"], key


async def test_logbook_tells_the_kinds(hass: HomeAssistant) -> None:
    """The logbook is told of each kind's bus event."""
    described: list[str] = []
    logbook.async_describe_events(
        hass, lambda _domain, event, _describer: described.append(event)
    )
    assert described == [kind.event for kind in KINDS]


def test_readme_lists_the_kinds() -> None:
    """The README's tables of events and event types list every kind."""
    events = {
        match[0]: match[1]
        for match in re.findall(
            r"^\| `(bandwidth_[a-z_]+)` \| .* \| (.+) \|$", README, re.MULTILINE
        )
    }
    assert sorted(events) == sorted(kind.event for kind in KINDS)
    for kind in KINDS:
        if kind.callback:
            assert events[kind.event] == f"`{kind.callback}`"
    types = dict(
        re.findall(r"^\| `([a-z_]+)` \| `(bandwidth_[a-z_]+)`", README, re.MULTILINE)
    )
    assert types == {kind.key: kind.event for kind in KINDS}


def test_readme_example_is_a_kind() -> None:
    """The development section's example row is a kind as kinds.py writes one."""
    section = README[README.index("### Adding a callback kind") :]
    [row] = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    namespace: dict[str, object] = {"CallEventKind": CallEventKind, "Final": Final}
    exec(row, namespace)  # noqa: S102 - the README's own example
    kind = namespace["TRANSFER_DISCONNECTED"]
    assert isinstance(kind, CallEventKind)
    assert kind.callback not in BY_CALLBACK
    assert kind.key not in EVENT_TYPE_STATES
