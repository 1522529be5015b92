"""Tests for the live calls kept across restarts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.bandwidth import call_store as calls_module
from custom_components.bandwidth.call_store import (
    MAX_AGE,
    RECENT_CALLS,
    SAVE_DELAY,
    CallStore,
    RecentCall,
    async_remove_call_store,
)
from custom_components.bandwidth.calls import (
    CallScript,
    GatherScript,
    LiveCall,
    Media,
    Speech,
)

ENTRY_ID = "entry-1"
KEY = f"bandwidth.calls.{ENTRY_ID}"
WEBHOOK_URL = "https://ha.example.test/api/webhook/abc"
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
)


async def load(hass: HomeAssistant) -> CallStore:
    """Return a loaded store for ENTRY_ID."""
    store = CallStore(hass, ENTRY_ID)
    await store.async_load()
    return store


def new_call(script: CallScript | None = SCRIPT, **options: Any) -> LiveCall:
    """A call as the dialer registers it."""
    return LiveCall.create(WEBHOOK_URL, script, **options)


def test_new_calls_get_their_own_reference_and_secret() -> None:
    """References and secrets are random, URL-safe and long enough."""
    first, second = new_call(), new_call()
    assert first.ref != second.ref
    assert first.secret != second.secret
    assert len(first.secret) >= 32
    assert first.callback_url(WEBHOOK_URL) == (
        f"{WEBHOOK_URL}?ref={first.ref}&key={first.secret}"
    )
    assert first.secret not in repr(first)


def test_callback_url_follows_the_webhook_url() -> None:
    """A call's URL is made once per webhook URL, and again when that changes."""
    call = new_call()
    url = call.callback_url(WEBHOOK_URL)
    assert call.callback_url(WEBHOOK_URL) is url
    cloudhook = "https://hooks.nabu.casa/abc"
    assert call.callback_url(cloudhook) == (
        f"{cloudhook}?ref={call.ref}&key={call.secret}"
    )
    assert call.callback_url(WEBHOOK_URL, step=2).endswith("&step=2")


async def test_add_find_bind_remove(hass: HomeAssistant) -> None:
    """A call is found by reference at once, by id once known, until it ends."""
    store = await load(hass)
    call = new_call()
    store.add(call)
    assert store.by_ref(call.ref) is call
    assert store.by_call_id("c-1") is None
    store.bind(call, "c-1")
    assert store.by_call_id("c-1") is call
    # Bandwidth never renames a call, but a new id would replace the old one.
    store.bind(call, "c-2")
    assert store.by_call_id("c-1") is None
    assert store.by_call_id("c-2") is call
    assert store.active_calls == 1
    store.remove(call)
    assert store.by_ref(call.ref) is None
    assert store.by_call_id("c-2") is None
    # A call no longer live is neither bound, changed nor removed again.
    store.bind(call, "c-3")
    store.changed(call)
    store.remove(call)
    assert store.by_call_id("c-3") is None
    assert store.active_calls == 0


async def test_survives_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Calls are written shortly after a change and read back on load."""
    store = await load(hass)
    call = new_call(machine_detection="async", method="GET")
    store.add(call)
    store.bind(call, "c-1")
    call.machine_result = "human"
    store.changed(call)
    freezer.tick(timedelta(seconds=SAVE_DELAY + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass_storage[KEY]["version"] == 2

    restored = (await load(hass)).by_call_id("c-1")
    assert restored is not None
    assert restored.as_dict() == call.as_dict()
    assert restored.script == SCRIPT


async def test_unload_writes_at_once(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Unloading the entry writes pending changes without waiting."""
    store = await load(hass)
    store.add(new_call())
    await store.async_unload()
    assert len(hass_storage[KEY]["data"]["calls"]) == 1


@pytest.mark.parametrize(
    "item",
    [
        "not a dict",
        {},
        {"ref": "r", "secret": "s"},
        {"ref": "", "secret": "s", "added": 1, "webhook_url": None},
        {"ref": "r", "secret": "", "added": 1},
        {"ref": "r", "secret": "s", "added": "soon"},
        {"ref": "r", "secret": "s", "added": 1, "script": {"gather": {"x": 1}}},
        {"ref": "r", "secret": "s", "added": 1, "machine_detection": "maybe"},
        {"ref": "r", "secret": "s", "added": 1, "method": "PUT"},
    ],
)
async def test_unreadable_calls_are_dropped(
    hass: HomeAssistant, hass_storage: dict[str, Any], item: Any
) -> None:
    """A damaged stored call is skipped; the others load."""
    good = new_call().as_dict()
    hass_storage[KEY] = {"version": 2, "key": KEY, "data": {"calls": [item, good]}}
    store = await load(hass)
    assert store.active_calls == 1
    assert store.by_ref(good["ref"]) is not None


@pytest.mark.parametrize("data", [None, [], {"calls": {}}, {"other": 1}])
async def test_unexpected_stored_data(
    hass: HomeAssistant, hass_storage: dict[str, Any], data: Any
) -> None:
    """Whatever is on disk, loading gives an empty store rather than an error."""
    if data is not None:
        hass_storage[KEY] = {"version": 2, "key": KEY, "data": data}
    store = await load(hass)
    assert store.active_calls == 0


async def test_version_1_scripts_are_migrated(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Scripts stored by call id become calls with a reference and secret."""
    now = calls_module.dt_util.utcnow().timestamp()
    hass_storage[KEY] = {
        "version": 1,
        "key": KEY,
        "data": {
            "calls": {
                "c-1": {
                    "added": now,
                    "script": {
                        "message": "Hello",
                        "voice": "kate",
                        "gather": {"prompt": "Press 1", "max_digits": 1},
                        "machine_detection": "async",
                        "credentials": [["call", "secret"]],
                        "webhook_url": WEBHOOK_URL,
                    },
                },
                "c-2": {"added": now, "script": {}},
                "c-broken": {"script": {"message": "no time"}},
                "c-worse": "nonsense",
            }
        },
    }
    store = await load(hass)
    call = store.by_call_id("c-1")
    assert call is not None
    assert call.script == CallScript(
        message="Hello",
        voice="kate",
        gather=GatherScript(prompt="Press 1", max_digits=1),
    )
    assert call.machine_detection == "async"
    assert call.webhook_url == WEBHOOK_URL
    assert call.ref
    assert len(call.secret) >= 32
    assert store.by_call_id("c-2") is not None
    assert store.active_calls == 2


@pytest.mark.parametrize("data", [None, [], {"calls": []}])
async def test_version_1_without_calls(
    hass: HomeAssistant, hass_storage: dict[str, Any], data: Any
) -> None:
    """An empty or odd version 1 file migrates to no calls."""
    hass_storage[KEY] = {"version": 1, "key": KEY, "data": data}
    store = await load(hass)
    assert store.active_calls == 0


async def test_old_calls_are_pruned(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A call whose disconnect never came is forgotten after a day."""
    now = calls_module.dt_util.utcnow().timestamp()
    stale = new_call().as_dict() | {"added": now - MAX_AGE - 1, "call_id": "stale"}
    fresh = new_call().as_dict() | {"added": now - 60, "call_id": "fresh"}
    hass_storage[KEY] = {"version": 2, "key": KEY, "data": {"calls": [stale, fresh]}}
    store = await load(hass)
    assert store.by_call_id("stale") is None
    assert store.by_call_id("fresh") is not None
    # The pruning is written back.
    await store.async_unload()
    assert [item["call_id"] for item in hass_storage[KEY]["data"]["calls"]] == ["fresh"]


async def test_number_of_calls_is_bounded(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limit the oldest calls make room."""
    monkeypatch.setattr(calls_module, "MAX_CALLS", 3)
    store = await load(hass)
    calls = [new_call(CallScript(message=str(index))) for index in range(5)]
    for index, call in enumerate(calls):
        call.call_id = f"c-{index}"
        store.add(call)
    assert [store.by_ref(call.ref) is not None for call in calls] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert store.by_call_id("c-0") is None
    assert store.by_call_id("c-4") is calls[4]


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
        store.record(f"x-{index}", "gather")
    assert len(store.recent) == RECENT_CALLS
    assert store.recent[-1] == RecentCall(f"x-{RECENT_CALLS + 4}", "gather")


async def test_remove_call_store(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Removing the entry deletes its file."""
    store = await load(hass)
    store.add(new_call())
    await store.async_unload()
    assert KEY in hass_storage
    await async_remove_call_store(hass, ENTRY_ID)
    assert KEY not in hass_storage


def test_script_round_trip() -> None:
    """The stored form gives back an equal script."""
    call = new_call()
    assert LiveCall.from_dict(call.as_dict()).script == SCRIPT
    assert CallScript.from_dict({}) == CallScript()
    assert LiveCall.from_dict(new_call(None).as_dict()).script is None


def test_speech_round_trip() -> None:
    """The stored form gives back the call's text-to-speech, options and all."""
    call = new_call()
    call.speech = Speech(engine="tts.voice", language="en", options={"pitch": 2})
    assert LiveCall.from_dict(call.as_dict()).speech == call.speech


class Lent:
    """Records what a store gives the audio library and takes back."""

    def __init__(self) -> None:
        """Nothing lent yet."""
        self.names: dict[str, set[str]] = {}  # owner -> names

    def lend(self, owner: str, clips: Mapping[str, str]) -> None:
        """Note the names lent to a call."""
        self.names.setdefault(owner, set()).update(clips)

    def release(self, owner: str, names: Iterable[str]) -> None:
        """Note the names given back."""
        assert set(names) <= self.names[owner]
        del self.names[owner]


def spoken_call(*names: str) -> LiveCall:
    """A call whose message Home Assistant's audio speaks, under these names."""
    clips = {name: f"media-source://tts/tts.voice?message={name}" for name in names}
    return new_call(CallScript(message="Hello", media=Media(clips=clips)))


async def test_audio_served_while_calls_live(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """The store lends a call's names while it lives, a step's too, and takes them back."""
    lent = Lent()
    store = CallStore(hass, ENTRY_ID, lent)
    await store.async_load()
    call, other, silent = spoken_call("a.mp3"), spoken_call("b.mp3"), new_call()
    for each in (call, other, silent):
        store.add(each)
    assert lent.names == {call.ref: {"a.mp3"}, other.ref: {"b.mp3"}}

    store.add_clips(call, {"step.mp3": "media-source://tts/tts.voice?message=Step"})
    store.add_clips(call, {})
    assert lent.names[call.ref] == {"a.mp3", "step.mp3"}
    store.remove(call)
    assert call.ref not in lent.names
    # A call that ended gets no more names.
    store.add_clips(call, {"late.mp3": "media-source://tts/tts.voice?message=Late"})
    assert call.ref not in lent.names
    assert "late.mp3" not in call.clips

    # Unloading gives the rest back; loading again lends them anew, the
    # names of steps included.
    store.add_clips(other, {"goodbye.mp3": "media-source://tts/tts.voice?message=Bye"})
    await store.async_unload()
    assert lent.names == {}
    store = CallStore(hass, ENTRY_ID, lent)
    await store.async_load()
    assert lent.names == {other.ref: {"b.mp3", "goodbye.mp3"}}


async def test_calls_stored_before_names_were_kept(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A call stored without its names gets its script's and its step's."""
    stored = spoken_call("a.mp3").as_dict()
    del stored["clips"]
    stored["pending"] = {
        "message": "Later.",
        "media": {"audio": {}, "clips": {"later.mp3": "media-source://tts/x"}},
    }
    hass_storage[KEY] = {"version": 2, "key": KEY, "data": {"calls": [stored]}}
    lent = Lent()
    await CallStore(hass, ENTRY_ID, lent).async_load()
    assert lent.names == {stored["ref"]: {"a.mp3", "later.mp3"}}
