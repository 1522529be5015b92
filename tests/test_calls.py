"""Tests for the per-call scripts kept across restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.bandwidth import calls as calls_module
from custom_components.bandwidth.calls import (
    MAX_AGE,
    RECENT_CALLS,
    SAVE_DELAY,
    CallScript,
    CallStore,
    GatherScript,
    RecentCall,
    async_remove_call_store,
)

ENTRY_ID = "entry-1"
KEY = f"bandwidth.calls.{ENTRY_ID}"
SCRIPT = CallScript(
    message="Hello",
    voice="susan",
    audio_url="https://example.test/a.mp3",
    machine_message="Call back",
    gather=GatherScript(
        prompt="Press 1",
        max_digits=2,
        terminating_digits="#",
        first_digit_timeout=5.0,
        inter_digit_timeout=3.0,
        repeat_count=2,
    ),
    machine_detection="async",
    credentials=(("call", "secret"),),
)


async def load(hass: HomeAssistant) -> CallStore:
    """Return a loaded store for ENTRY_ID."""
    store = CallStore(hass, ENTRY_ID)
    await store.async_load()
    return store


async def test_add_get_remove(hass: HomeAssistant) -> None:
    """A script is there until its call ends."""
    store = await load(hass)
    assert store.get("c-1") is None
    store.add("c-1", SCRIPT)
    assert store.get("c-1") == SCRIPT
    assert store.active_calls == 1
    store.remove("c-1")
    assert store.get("c-1") is None
    assert store.active_calls == 0
    # Forgetting an unknown call is harmless.
    store.remove("c-unknown")


async def test_survives_a_restart(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """The script is written after a short delay and read back by a new store."""
    store = await load(hass)
    store.add("c-1", SCRIPT)
    assert KEY not in hass_storage
    freezer.tick(timedelta(seconds=SAVE_DELAY + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    stored = hass_storage[KEY]
    assert stored["version"] == calls_module.STORAGE_VERSION
    assert stored["data"]["calls"]["c-1"]["script"]["message"] == "Hello"

    restored = await load(hass)
    assert restored.get("c-1") == SCRIPT
    assert restored.get("c-1").credentials == (("call", "secret"),)  # type: ignore[union-attr]


async def test_unload_writes_at_once(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Unloading writes pending changes so a reloaded entry sees them."""
    store = await load(hass)
    store.add("c-1", CallScript(message="Hi"))
    await store.async_unload()
    assert hass_storage[KEY]["data"]["calls"]["c-1"]["script"]["message"] == "Hi"
    assert (await load(hass)).get("c-1") == CallScript(message="Hi")


async def test_unreadable_entries_are_dropped(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A damaged stored call is skipped, the good ones kept."""
    now = calls_module.dt_util.utcnow().timestamp()
    hass_storage[KEY] = {
        "version": 1,
        "key": KEY,
        "data": {
            "calls": {
                "good": {"added": now, "script": {"message": "Hi", "gather": None}},
                "no-script": {"added": now},
                "bad-added": {"added": "yesterday", "script": {}},
                "list-script": {"added": now, "script": ["message"]},
                "bad-gather": {"added": now, "script": {"gather": {"colour": 1}}},
                "bad-credentials": {"added": now, "script": {"credentials": [["a"]]}},
                "not-a-dict": "oops",
            }
        },
    }
    store = await load(hass)
    assert store.get("good") == CallScript(message="Hi")
    assert store.active_calls == 1


@pytest.mark.parametrize("data", [None, [], {"calls": []}, {"other": 1}])
async def test_unexpected_stored_data(
    hass: HomeAssistant, hass_storage: dict[str, Any], data: Any
) -> None:
    """Whatever is on disk, loading gives an empty store rather than an error."""
    if data is not None:
        hass_storage[KEY] = {"version": 1, "key": KEY, "data": data}
    store = await load(hass)
    assert store.active_calls == 0


async def test_old_scripts_are_pruned(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A call whose disconnect never came is forgotten after a day."""
    now = calls_module.dt_util.utcnow().timestamp()
    hass_storage[KEY] = {
        "version": 1,
        "key": KEY,
        "data": {
            "calls": {
                "stale": {"added": now - MAX_AGE - 1, "script": {"message": "old"}},
                "fresh": {"added": now - 60, "script": {"message": "new"}},
            }
        },
    }
    store = await load(hass)
    assert store.get("stale") is None
    assert store.get("fresh") == CallScript(message="new")
    # The pruning is written back.
    await store.async_unload()
    assert list(hass_storage[KEY]["data"]["calls"]) == ["fresh"]


async def test_number_of_scripts_is_bounded(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limit the oldest calls make room."""
    monkeypatch.setattr(calls_module, "MAX_CALLS", 3)
    store = await load(hass)
    for index in range(5):
        store.add(f"c-{index}", CallScript(message=str(index)))
        store.set_machine_result(f"c-{index}", "human")
    assert [store.get(f"c-{index}") is not None for index in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert store.machine_result("c-0") is None
    # Re-adding a call moves it to the newest place.
    store.add("c-2", CallScript(message="again"))
    store.add("c-5", CallScript(message="5"))
    assert store.get("c-2") == CallScript(message="again")
    assert store.get("c-3") is None


async def test_machine_results_and_keep_alives(hass: HomeAssistant) -> None:
    """Live state of a call is kept for our calls only and goes with the call."""
    store = await load(hass)
    store.add("c-1", SCRIPT)
    store.set_machine_result("c-1", None)
    assert store.machine_result("c-1") is None
    store.set_machine_result("c-1", "human")
    assert store.machine_result("c-1") == "human"
    assert [store.count_keep_alive("c-1") for _ in range(3)] == [1, 2, 3]

    # Calls without a script leave nothing behind.
    store.set_machine_result("c-other", "human")
    assert store.machine_result("c-other") is None
    assert store.count_keep_alive("c-other") == 1
    assert store.count_keep_alive("c-other") == 1

    store.remove("c-1")
    assert store.machine_result("c-1") is None
    assert store.count_keep_alive("c-1") == 1


async def test_recent_calls(hass: HomeAssistant) -> None:
    """The latest calls and their last callback, bounded, newest last."""
    store = await load(hass)
    store.record("c-1", "answer")
    store.record("c-2", "answer")
    store.record("c-1", "disconnect")
    assert store.recent == (
        RecentCall("c-2", "answer"),
        RecentCall("c-1", "disconnect"),
    )
    for index in range(RECENT_CALLS + 5):
        store.record(f"x-{index}", "redirect")
    assert len(store.recent) == RECENT_CALLS
    assert store.recent[-1] == RecentCall(f"x-{RECENT_CALLS + 4}", "redirect")


async def test_remove_call_store(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Removing the entry deletes its file."""
    store = await load(hass)
    store.add("c-1", SCRIPT)
    await store.async_unload()
    assert KEY in hass_storage
    await async_remove_call_store(hass, ENTRY_ID)
    assert KEY not in hass_storage


def test_script_round_trip() -> None:
    """The stored form gives back an equal script."""
    assert CallScript.from_dict(SCRIPT.as_dict()) == SCRIPT
    assert CallScript.from_dict({}) == CallScript()


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (CallScript(), False),
        (CallScript(credentials=(("u", "p"),), machine_detection="sync"), False),
        (CallScript(message="Hi"), True),
        (CallScript(audio_url="https://example.test/a.mp3"), True),
        (CallScript(machine_message="Bye"), True),
        (CallScript(gather=GatherScript()), True),
    ],
)
def test_has_content(script: CallScript, expected: bool) -> None:
    """Only scripts that play something answer calls."""
    assert script.has_content is expected
