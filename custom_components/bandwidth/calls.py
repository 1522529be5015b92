"""What to say on each call the integration placed, kept until the call ends."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal, NamedTuple, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER

STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = f"{DOMAIN}.calls.{{}}"
SAVE_DELAY: Final = 1  # seconds; coalesces bursts of calls placed together
# A script whose disconnect never reached us (Home Assistant was down, say)
# would otherwise stay forever; no call lasts this long.
MAX_AGE: Final = 24 * 60 * 60  # seconds
# Bandwidth allows 100 concurrent calls per account by default.
MAX_CALLS: Final = 500
RECENT_CALLS: Final = 20

MachineDetectionMode = Literal["sync", "async"]


@dataclass(frozen=True, kw_only=True)
class GatherScript:
    """Digits to collect after the message, with their prompt."""

    prompt: str | None = None
    max_digits: int | None = None
    terminating_digits: str | None = None
    first_digit_timeout: float | None = None
    inter_digit_timeout: float | None = None
    repeat_count: int | None = None


@dataclass(frozen=True, kw_only=True)
class CallScript:
    """What a placed call plays once answered, and how it was placed."""

    message: str | None = None
    voice: str | None = None
    audio_url: str | None = None
    machine_message: str | None = None
    gather: GatherScript | None = None
    # None, "sync" or "async": the machine detection mode the call requested.
    machine_detection: MachineDetectionMode | None = None
    # Extra (username, password) pairs given for this call's callback URLs;
    # the webhook accepts them for this call's callbacks too.
    credentials: tuple[tuple[str, str], ...] = ()
    # The webhook URL the call was placed with: its digit and keep-alive
    # callbacks go back to the same address, and answering needs no lookup.
    webhook_url: str | None = None

    @property
    def has_content(self) -> bool:
        """Tell whether the script plays anything (else it only has credentials)."""
        return bool(
            self.message or self.audio_url or self.machine_message or self.gather
        )

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form, as stored."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallScript:
        """Rebuild a script from its stored form.

        Raises:
            AttributeError, TypeError, ValueError: the stored form is not a script.

        """
        gather = data.get("gather")
        return cls(
            message=data.get("message"),
            voice=data.get("voice"),
            audio_url=data.get("audio_url"),
            machine_message=data.get("machine_message"),
            gather=GatherScript(**gather) if gather is not None else None,
            machine_detection=data.get("machine_detection"),
            credentials=tuple(
                (str(username), str(password))
                for username, password in data.get("credentials", ())
            ),
            webhook_url=data.get("webhook_url"),
        )


class RecentCall(NamedTuple):
    """A call seen lately and the last callback it sent."""

    call_id: str
    event_type: str


class _StoredCall(TypedDict):
    added: float
    script: dict[str, Any]


class _StoredData(TypedDict):
    calls: dict[str, _StoredCall]


class CallStore:
    """Scripts of one config entry's calls, persisted across restarts.

    A script is added right after Bandwidth accepted the call and forgotten
    when the call's disconnect callback arrives. Machine detection results and
    keep-alive counts only matter while a call is live, so they stay in memory.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the store of one config entry (load it before use)."""
        # private: per-call callback passwords are written to disk.
        self._store: Store[_StoredData] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id), private=True
        )
        self._calls: dict[str, _StoredCall] = {}
        self._scripts: dict[str, CallScript] = {}
        self._machine_results: dict[str, str] = {}
        self._keep_alives: dict[str, int] = {}
        self._recent: deque[RecentCall] = deque(maxlen=RECENT_CALLS)

    async def async_load(self) -> None:
        """Restore the scripts of calls placed before a restart."""
        data = await self._store.async_load()
        calls = data.get("calls") if isinstance(data, dict) else None
        if not isinstance(calls, dict):
            return
        for call_id, stored in calls.items():
            try:
                script = CallScript.from_dict(stored["script"])
                added = float(stored["added"])
            except (AttributeError, KeyError, TypeError, ValueError):
                LOGGER.debug("Dropping unreadable stored script of call %s", call_id)
                continue
            self._calls[call_id] = {"added": added, "script": script.as_dict()}
            self._scripts[call_id] = script
        if self._prune():
            self._schedule_save()

    @callback
    def add(self, call_id: str, script: CallScript) -> None:
        """Remember what to play on a call just placed."""
        self._calls.pop(call_id, None)
        self._calls[call_id] = {
            "added": dt_util.utcnow().timestamp(),
            "script": script.as_dict(),
        }
        self._scripts[call_id] = script
        self._prune()
        self._schedule_save()

    @callback
    def get(self, call_id: str) -> CallScript | None:
        """Return the script of a call, if it is one of ours and still live."""
        return self._scripts.get(call_id)

    @callback
    def remove(self, call_id: str) -> None:
        """Forget a call that ended."""
        if call_id in self._calls:
            self._forget(call_id)
            self._schedule_save()

    @callback
    def set_machine_result(self, call_id: str, value: str | None) -> None:
        """Remember who answered a call, as machine detection told."""
        if value is not None and call_id in self._scripts:
            self._machine_results[call_id] = value

    @callback
    def machine_result(self, call_id: str) -> str | None:
        """Return the machine detection result of a live call, if known yet."""
        return self._machine_results.get(call_id)

    @callback
    def count_keep_alive(self, call_id: str) -> int:
        """Count one more keep-alive answered for a call; return the total."""
        count = self._keep_alives.get(call_id, 0) + 1
        if call_id in self._scripts:
            self._keep_alives[call_id] = count
        return count

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
    def active_calls(self) -> int:
        """How many calls have a script waiting or playing."""
        return len(self._scripts)

    async def async_unload(self) -> None:
        """Write pending changes now, before another store takes over the file."""
        await self._store.async_save(self._data_to_save())

    def _prune(self) -> bool:
        """Drop scripts too old to belong to a live call, then the oldest extra.

        Calls are kept in the order they were placed, so the scan stops at
        the first one young enough to keep while no more than MAX_CALLS are.
        """
        cutoff = dt_util.utcnow().timestamp() - MAX_AGE
        stale: list[str] = []
        for call_id, stored in self._calls.items():
            if stored["added"] >= cutoff and len(self._calls) - len(stale) <= MAX_CALLS:
                break
            stale.append(call_id)
        for call_id in stale:
            self._forget(call_id)
        return bool(stale)

    def _forget(self, call_id: str) -> None:
        del self._calls[call_id]
        del self._scripts[call_id]
        self._machine_results.pop(call_id, None)
        self._keep_alives.pop(call_id, None)

    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    @callback
    def _data_to_save(self) -> _StoredData:
        return {"calls": dict(self._calls)}


async def async_remove_call_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored scripts of a removed config entry."""
    await Store[_StoredData](
        hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id), private=True
    ).async_remove()
