"""create_call waiting for its calls to turn out (wait_for), and telling how.

The calls are followed through the entry's CallWatcher (outcomes.py): the
action returns once each number is answered or each call has ended, at its
timeout, or when the entry unloads or Home Assistant stops, whichever comes
first. Calls still going on then keep going and are told as in_progress.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.core import HomeAssistant, callback

from .api import BandwidthError, CreateCallResponse
from .const import DOMAIN, LOGGER
from .data import BandwidthConfigEntry
from .outcomes import OUTCOME_FAILED

# Seconds create_call waits at most unless its timeout says otherwise.
DEFAULT_TIMEOUT: Final = 120


async def async_add_results(
    hass: HomeAssistant,
    entry: BandwidthConfigEntry,
    data: dict[str, Any],
    placed: list[tuple[str, CreateCallResponse | BandwidthError]],
    items: list[dict[str, Any]],
) -> None:
    """Wait as validated create_call `data` asks; add each call's outcome to its item.

    `placed` is what async_place_calls returned, `items` the action's
    response for each destination, in the same order. A number that could not
    be called has failed.
    """
    detection: dict[str, Any] = data.get("machine_detection") or {}
    # Machine detection runs (implied by a voicemail message) and reports here.
    detect = (
        "machine_detection" in data or "machine_message" in data
    ) and "callback_url" not in detection
    calls = {
        index: result.call_id
        for index, (_, result) in enumerate(placed)
        if isinstance(result, CreateCallResponse)
    }
    for index, item in enumerate(items):
        if index not in calls:
            item["outcome"] = OUTCOME_FAILED

    @callback
    def hang_up(call_ids: list[str]) -> None:
        """End the calls nobody needs any more: someone else answered."""
        for call_id in call_ids:
            entry.async_create_background_task(
                hass, _async_hang_up(entry, call_id), f"{DOMAIN} hang up others"
            )

    records = await entry.runtime_data.watcher.async_wait_calls(
        list(calls.values()),
        data["wait_for"],
        detect=detect,
        limit=data.get("timeout", DEFAULT_TIMEOUT),
        gather="gather" in data,
        on_reached=hang_up if data.get("hang_up_others") else None,
    )
    for index, record in zip(calls, records, strict=True):
        items[index].update(record.as_dict())


async def _async_hang_up(entry: BandwidthConfigEntry, call_id: str) -> None:
    """Hang up a call (or stop it ringing); it may have ended already."""
    try:
        await entry.runtime_data.client.hangup(call_id)
    except BandwidthError as err:
        LOGGER.debug("Could not hang up call %s: %s", call_id, err)
