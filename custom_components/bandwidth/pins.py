"""PIN checks with a lockout that outlasts calls and restarts.

A contact's PIN is what lets them through when their caller ID cannot be
verified, so guessing it must not be cheap: after `MAX_FAILURES` wrong PINs in
a row for a contact, whichever calls carried them, that contact's PIN is
refused for `LOCKOUT`, even when right, and a repair issue tells the owner.
Failures and lockouts are stored, so restarting Home Assistant (or hanging up
and calling again) resets nothing.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Final, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .identity import Contact

STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = f"{DOMAIN}.pins.{{}}"
SAVE_DELAY: Final = 1  # seconds
MAX_FAILURES: Final = 3
LOCKOUT: Final = timedelta(minutes=15)
ISSUE_PIN_LOCKOUT: Final = "pin_lockout"


class _Record(TypedDict):
    failures: int
    # The timestamp until which the PIN is refused; 0 when not locked.
    locked_until: float


class _StoredData(TypedDict):
    contacts: dict[str, _Record]


def lockout_issue_id(entry_id: str, subentry_id: str) -> str:
    """Return the repair issue id of a contact's lockout."""
    return f"{ISSUE_PIN_LOCKOUT}_{entry_id}_{subentry_id}"


class PinGuard:
    """Checks the PINs of one entry's contacts, and locks out guessing."""

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str) -> None:
        """Guard the PINs of an entry (its title names it in the repair issue)."""
        self._hass = hass
        self._entry_id = entry_id
        self._title = title
        self._store: Store[_StoredData] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id), private=True
        )
        self._records: dict[str, _Record] = {}

    async def async_load(self) -> None:
        """Read failures and lockouts kept from before."""
        stored = await self._store.async_load()
        if stored is not None:
            self._records = dict(stored.get("contacts", {}))

    @callback
    def locked(self, contact: Contact) -> bool:
        """Tell whether the contact's PIN is refused now, right or not."""
        record = self._records.get(contact.subentry_id)
        return (
            record is not None and record["locked_until"] > dt_util.utcnow().timestamp()
        )

    @callback
    def check(self, contact: Contact, digits: object) -> bool:
        """Tell whether `digits` is the contact's PIN; count a wrong one.

        Compared in constant time. While the contact is locked out, every PIN
        is refused and not counted.
        """
        if contact.pin is None or self.locked(contact):
            return False
        given = digits if isinstance(digits, str) else ""
        if hmac.compare_digest(given.encode(), contact.pin.encode()):
            if self._records.pop(contact.subentry_id, None) is not None:
                self._save()
            return True
        record = self._records.setdefault(
            contact.subentry_id, {"failures": 0, "locked_until": 0.0}
        )
        record["failures"] += 1
        if record["failures"] >= MAX_FAILURES:
            record["failures"] = 0
            record["locked_until"] = (
                dt_util.utcnow().timestamp() + LOCKOUT.total_seconds()
            )
            self._raise_issue(contact)
        self._save()
        return False

    @callback
    def forget(self, subentry_id: str) -> None:
        """Forget a contact's failures and lockout (PIN changed, contact removed)."""
        if self._records.pop(subentry_id, None) is not None:
            self._save()
        ir.async_delete_issue(
            self._hass, DOMAIN, lockout_issue_id(self._entry_id, subentry_id)
        )

    @callback
    def _raise_issue(self, contact: Contact) -> None:
        LOGGER.warning(
            "%s wrong PINs in a row for contact %s: their PIN is refused for %s",
            MAX_FAILURES,
            contact.name,
            LOCKOUT,
        )
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            lockout_issue_id(self._entry_id, contact.subentry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_PIN_LOCKOUT,
            translation_placeholders={
                "title": self._title,
                "contact": contact.name,
                "failures": str(MAX_FAILURES),
                "minutes": str(int(LOCKOUT.total_seconds() // 60)),
            },
        )

    @callback
    def _save(self) -> None:
        self._store.async_delay_save(lambda: {"contacts": self._records}, SAVE_DELAY)


async def async_remove_pin_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the PIN records of a removed config entry."""
    await Store[_StoredData](
        hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id), private=True
    ).async_remove()
