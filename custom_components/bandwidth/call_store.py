"""The entry's live calls, persisted across restarts.

Calls are kept by the random reference their callback URLs carry and by
Bandwidth's id once known, written to storage shortly after each change, and
forgotten when their disconnect callback arrives (or, never heard of again,
after a day).
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple, Protocol, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .calls import LiveCall
from .const import DOMAIN, LOGGER

STORAGE_VERSION: Final = 2
STORAGE_KEY: Final = f"{DOMAIN}.calls.{{}}"
SAVE_DELAY: Final = 1  # seconds; coalesces bursts of calls placed together
# A call whose disconnect never reached us (Home Assistant was down, say)
# would otherwise stay forever; no call lasts this long.
MAX_AGE: Final = 24 * 60 * 60  # seconds
# Bandwidth allows 100 concurrent calls per account by default.
MAX_CALLS: Final = 500
RECENT_CALLS: Final = 20


class RecentCall(NamedTuple):
    """A call seen lately and the last callback it sent."""

    call_id: str
    event_type: str


class _StoredData(TypedDict):
    calls: list[dict[str, Any]]


class _CallsStore(Store[_StoredData]):
    """The entry's stored calls; version 1 kept scripts by call id."""

    async def _async_migrate_func(
        self,
        old_major_version: int,  # noqa: ARG002 - only version 1 ever existed
        old_minor_version: int,  # noqa: ARG002
        old_data: Any,
    ) -> _StoredData:
        """Turn version 1's {call_id: {added, script}} into calls.

        Those calls were placed with callback credentials instead of per-call
        URLs: they get a reference and secret of their own, which their
        remaining callbacks learn from the BXML answering them.
        """
        calls: list[dict[str, Any]] = []
        old_calls = old_data.get("calls") if isinstance(old_data, dict) else None
        for call_id, stored in (old_calls or {}).items():
            try:
                script = stored["script"]
                calls.append(
                    {
                        "ref": secrets.token_urlsafe(12),
                        "secret": secrets.token_urlsafe(24),
                        "webhook_url": script.get("webhook_url"),
                        "script": {
                            key: script.get(key)
                            for key in (
                                "message",
                                "voice",
                                "audio_url",
                                "machine_message",
                                "gather",
                            )
                        },
                        "machine_detection": script.get("machine_detection"),
                        "call_id": call_id,
                        "added": stored["added"],
                    }
                )
            except (AttributeError, KeyError, TypeError):
                LOGGER.debug("Dropping unreadable stored script of call %s", call_id)
        return {"calls": calls}


class CallAudio(Protocol):
    """Serves the audio of live calls by name (audio_library.AudioLibrary)."""

    def lend(self, owner: str, clips: Mapping[str, str]) -> None:
        """Serve names (to their media source IDs) while the call `owner` lives."""

    def release(self, owner: str, names: Iterable[str]) -> None:
        """Let the names of a call that ended expire."""


class _NoAudio:
    """Serves nothing: for stores of no Home Assistant audio."""

    def lend(self, owner: str, clips: Mapping[str, str]) -> None:
        """Serve nothing."""

    def release(self, owner: str, names: Iterable[str]) -> None:
        """Serve nothing."""


class CallStore:
    """The live calls of one config entry, persisted across restarts.

    The audio Home Assistant serves for a call is served while the call is
    here: `audio` is given its names when the call is added (or restored) and
    gets a step, and is told when the call is forgotten.
    """

    def __init__(
        self, hass: HomeAssistant, entry_id: str, audio: CallAudio | None = None
    ) -> None:
        """Prepare the calls of one config entry (load them before use)."""
        self._audio: CallAudio = audio or _NoAudio()
        # private: per-call callback secrets are written to disk.
        self._store = _CallsStore(
            hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id), private=True
        )
        # By reference, in the order they were placed (pruning relies on it).
        self._calls: dict[str, LiveCall] = {}
        self._by_call_id: dict[str, LiveCall] = {}
        self._recent: deque[RecentCall] = deque(maxlen=RECENT_CALLS)

    async def async_load(self) -> None:
        """Restore the calls that were live before a restart."""
        data = await self._store.async_load()
        stored = data.get("calls") if isinstance(data, dict) else None
        for item in stored if isinstance(stored, list) else ():
            try:
                call = LiveCall.from_dict(item)
            except (AttributeError, KeyError, TypeError, ValueError):
                LOGGER.debug("Dropping an unreadable stored call")
                continue
            self._calls[call.ref] = call
            if call.call_id is not None:
                self._by_call_id[call.call_id] = call
        if self._prune():
            self._schedule_save()
        for call in self._calls.values():
            if call.clips:
                self._audio.lend(call.ref, call.clips)

    @callback
    def add(self, call: LiveCall) -> None:
        """Remember a call about to be placed."""
        self._calls[call.ref] = call
        if call.call_id is not None:
            self._by_call_id[call.call_id] = call
        if call.clips:
            self._audio.lend(call.ref, call.clips)
        self._prune()
        self._schedule_save()

    @callback
    def by_ref(self, ref: str) -> LiveCall | None:
        """Return the call a callback URL names, if it is still live."""
        return self._calls.get(ref)

    @callback
    def by_call_id(self, call_id: str) -> LiveCall | None:
        """Return a live call by Bandwidth's id."""
        return self._by_call_id.get(call_id)

    @callback
    def bind(self, call: LiveCall, call_id: str) -> None:
        """Record the id Bandwidth gave a call (from its answer or a callback)."""
        if call.call_id == call_id or self._calls.get(call.ref) is not call:
            return
        if call.call_id is not None:
            self._by_call_id.pop(call.call_id, None)
        call.call_id = call_id
        self._by_call_id[call_id] = call
        self._schedule_save()

    @callback
    def changed(self, call: LiveCall) -> None:
        """Persist a change to a live call's stored state."""
        if self._calls.get(call.ref) is call:
            self._schedule_save()

    @callback
    def add_clips(self, call: LiveCall, clips: Mapping[str, str]) -> None:
        """Serve more audio for a live call (a step's); none for a call that ended."""
        if clips and self._calls.get(call.ref) is call:
            call.clips.update(clips)
            self._audio.lend(call.ref, clips)
            self._schedule_save()

    @callback
    def remove(self, call: LiveCall) -> None:
        """Forget a call that ended or was never placed."""
        if self._calls.get(call.ref) is call:
            self._forget(call)
            self._schedule_save()

    @callback
    def record(self, call_id: str, event_type: str) -> None:
        """Note the latest callback of a call, for diagnostics."""
        for index, recent in enumerate(self._recent):
            if recent.call_id == call_id:
                del self._recent[index]
                break
        self._recent.append(RecentCall(call_id, event_type))

    @property
    def recent(self) -> tuple[RecentCall, ...]:
        """The latest calls seen (oldest first) with their last callback."""
        return tuple(self._recent)

    @property
    def live(self) -> tuple[LiveCall, ...]:
        """The calls waiting, ringing or in progress, oldest first."""
        return tuple(self._calls.values())

    @property
    def active_calls(self) -> int:
        """How many calls are waiting, ringing or in progress."""
        return len(self._calls)

    async def async_unload(self) -> None:
        """Write pending changes now, before another store takes over the file.

        The calls' audio is released: an entry loaded again serves it again,
        and one removed no longer does.
        """
        for call in self._calls.values():
            if call.clips:
                self._audio.release(call.ref, call.clips)
        await self._store.async_save(self._data_to_save())

    def _prune(self) -> bool:
        """Drop calls too old to be live, then the oldest beyond MAX_CALLS.

        Calls are kept in the order they were placed, so the scan stops at
        the first one young enough to keep while no more than MAX_CALLS are.
        """
        cutoff = dt_util.utcnow().timestamp() - MAX_AGE
        stale: list[LiveCall] = []
        for call in self._calls.values():
            if call.added >= cutoff and len(self._calls) - len(stale) <= MAX_CALLS:
                break
            stale.append(call)
        for call in stale:
            self._forget(call)
        return bool(stale)

    def _forget(self, call: LiveCall) -> None:
        del self._calls[call.ref]
        if call.call_id is not None and self._by_call_id.get(call.call_id) is call:
            del self._by_call_id[call.call_id]
        if call.clips:
            self._audio.release(call.ref, call.clips)

    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    @callback
    def _data_to_save(self) -> _StoredData:
        return {"calls": [call.as_dict() for call in self._calls.values()]}


async def async_remove_call_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored calls of a removed config entry."""
    await Store[_StoredData](
        hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id), private=True
    ).async_remove()
