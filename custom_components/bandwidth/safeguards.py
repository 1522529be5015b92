"""What keeps calls from costing more than meant: who may call where, how often.

The actions are ordinary ones any Home Assistant user may run. Where their
calls may go is the entry's allowed country codes (countries.py); only an
administrator may call elsewhere, call a SIP URI, or hand a call to another
server or Voice application. Automations and scripts Home Assistant runs by
itself carry no user. They keep within the allowed country codes, since a
number they call may come from anyone (a template, a caller's number), and
may use the rest: only administrators write them, which is why Home
Assistant's own administrator-only actions let them through too.

However many calls are asked for, an entry places at most its *Maximum calls
per hour* in any hour. Every call it places counts, as does every
destination of a transfer: each is a call of its own on the bill. A call
forwarded by the options does not: it is set up by an administrator, goes
where the allowed country codes say, and counting it would let anyone who
dials the number use up the hour and silence the alarm's calls. What goes
beyond the hour is refused, nothing is sent, and a repair issue says why.
The count is stored: a restart (an automation calling at start, in a loop of
restarts) does not start the hour over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import UnknownUser
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_MAX_CALLS_PER_HOUR,
    CONF_NOTIFY_TO,
    DEFAULT_MAX_CALLS_PER_HOUR,
    DOMAIN,
)
from .data import BandwidthConfigEntry
from .errors import validation_error
from .issues import CALLS_PER_HOUR, async_delete_issues, async_raise_calls_per_hour
from .validation import check_destinations

# create_call's fields that hand the call to a server or Voice application
# other than Home Assistant: it then decides what the call does, transfers
# included. The fallback answers when Home Assistant does not.
ADMIN_FIELDS: Final = ("application_id", "answer_url", "answer_fallback_url")

STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = f"{DOMAIN}.calls_per_hour.{{}}"
SAVE_DELAY: Final = 1  # seconds; a fan-out is one write
# Calls are counted by the minute they were placed in; a minute's calls count
# until all of that minute is an hour old: each call counts an hour or a
# little more, never less, in at most 61 numbers kept.
HOUR: Final = 60  # minutes


async def async_check_caller(
    hass: HomeAssistant,
    context: Context,
    data: Mapping[str, Any],
    options: Mapping[str, Any],
    field: str,
) -> None:
    """Refuse what the user behind an action may not ask for.

    `field` holds the destinations. An unknown user is refused as Home
    Assistant's own administrator-only actions refuse one.
    """
    admin = await _async_is_admin(hass, context)
    if admin is False:
        for key in ADMIN_FIELDS:
            if key in data:
                raise validation_error("admin_only_field", field=key)
    if field in data:
        check_destinations(
            data[field],
            options,
            field,
            anywhere=admin is True,
            sip=admin is not False,
        )


async def async_check_notified(
    hass: HomeAssistant,
    context: Context | None,
    recipients: list[str],
    options: Mapping[str, Any],
) -> None:
    """Refuse numbers to call for notifications calls may not go to.

    The options form checks them; options saved by older versions may hold
    others. An administrator chose them, SIP URIs included.
    """
    admin = await _async_is_admin(hass, context)
    check_destinations(recipients, options, CONF_NOTIFY_TO, anywhere=admin is True)


async def _async_is_admin(hass: HomeAssistant, context: Context | None) -> bool | None:
    """Return whether an action's user is an administrator; None: no user."""
    if context is None or context.user_id is None:
        return None
    user = await hass.auth.async_get_user(context.user_id)
    if user is None:
        raise UnknownUser(context=context)
    return user.is_admin


def _minute() -> int:
    return int(dt_util.utcnow().timestamp()) // 60


class CallsPerHour:
    """The calls one entry placed in the last hour, by the minute, stored."""

    def __init__(self, hass: HomeAssistant, entry: BandwidthConfigEntry) -> None:
        """Count the calls of one entry (load them before use)."""
        self._hass = hass
        self._entry = entry
        self._store = Store[dict[str, Any]](
            hass, STORAGE_VERSION, STORAGE_KEY.format(entry.entry_id)
        )
        # Calls placed, by the minute (since the epoch) they were placed in.
        self._minutes: dict[int, int] = {}
        # The most calls refused since the issue was raised (0: no issue).
        self._refused = 0
        self._unsub_timer: CALLBACK_TYPE | None = None

    async def async_load(self) -> None:
        """Restore the calls of the last hour from before a restart."""
        data = await self._store.async_load()
        try:
            self._minutes = {
                int(minute): int(calls) for minute, calls in (data or {})["minutes"]
            }
        except (KeyError, TypeError, ValueError):
            self._minutes = {}

    @property
    def limit(self) -> int:
        """Return the most calls the entry may place in an hour, as set now."""
        return int(
            self._entry.options.get(CONF_MAX_CALLS_PER_HOUR, DEFAULT_MAX_CALLS_PER_HOUR)
        )

    @callback
    def placed(self) -> int:
        """Return how many calls count in the last hour."""
        oldest = _minute() - HOUR
        for minute in [minute for minute in self._minutes if minute < oldest]:
            del self._minutes[minute]
        return sum(self._minutes.values())

    @callback
    def reserve(self, calls: int) -> int:
        """Count `calls` about to be placed; return the minute they count in.

        Raises:
            ServiceValidationError: they would take the entry past its limit;
                nothing is counted, and the repair issue is raised.

        """
        placed, limit = self.placed(), self.limit
        if placed + calls > limit:
            self._refused = max(self._refused, calls)
            self.async_check()
            raise validation_error(
                "calls_per_hour_exceeded",
                calls=str(calls),
                placed=str(placed),
                max=str(limit),
            )
        minute = _minute()
        self._minutes[minute] = self._minutes.get(minute, 0) + calls
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)
        return minute

    @callback
    def release(self, minute: int, calls: int) -> None:
        """Stop counting calls Bandwidth surely did not place."""
        if (left := self._minutes.get(minute, 0) - calls) > 0:
            self._minutes[minute] = left
        else:
            self._minutes.pop(minute, None)
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    @callback
    def async_check(self) -> None:
        """Raise the repair issue while the hour has no room for what was refused.

        Checked when calls are refused, when the oldest calls stop counting,
        and when the options change. More calls asked at once than the limit
        allows need an empty hour: with one, no issue is raised at all.
        """
        if not self._refused:
            return
        placed, limit = self.placed(), self.limit
        if placed + min(self._refused, limit) <= limit:
            self._refused = 0
            self._cancel_timer()
            async_delete_issues(self._hass, self._entry.entry_id, (CALLS_PER_HOUR.key,))
            return
        # The limit may have changed: the issue says the new one.
        async_raise_calls_per_hour(self._hass, self._entry, limit)
        self._schedule_check()

    async def async_unload(self) -> None:
        """Stop waiting for the hour to free up (the issue goes with the entry).

        The count is written now, before the entry set up again reads it.
        """
        self._refused = 0
        self._cancel_timer()
        await self._store.async_save(self._data_to_save())

    def _schedule_check(self) -> None:
        """Check again when the oldest calls stop counting (there are some)."""
        self._cancel_timer()
        seconds = (min(self._minutes) + HOUR + 1) * 60 - dt_util.utcnow().timestamp()
        self._unsub_timer = async_call_later(
            self._hass, seconds, self._async_timer_fired
        )

    @callback
    def _async_timer_fired(self, _now: Any) -> None:
        self._unsub_timer = None
        self.async_check()

    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        return {"minutes": sorted(self._minutes.items())}


async def async_remove_calls_per_hour(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored count of a removed config entry."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id)
    ).async_remove()
