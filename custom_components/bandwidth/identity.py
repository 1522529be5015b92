"""Who is calling: whether the caller ID is verified, and whose contact it is.

A caller ID proves nothing by itself: forged ones are a cheap service. What
Bandwidth reports of STIR/SHAKEN is the only evidence, and it counts only
when the validation passed *and* the originating carrier attested the caller
may use the number (attestation A). Attestation B or C only says a carrier
signed the call. `caller_verified` is the one place this is decided; the
event, Assist and the PIN check all use its answer.

The entry's contacts are its config subentries of type `contact`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, callback

# What passed validations are called: the standard SIP verstat value (which
# Bandwidth's 2026 spec, its SDKs and its support article use, and which the
# spec's example spells Tn-Validation-Passed), and the 2023 docs' spelling.
PASSED: Final = frozenset({"tn-validation-passed", "tn-verification-passed"})
ATTESTATION_FULL: Final = "a"
ATTESTATIONS: Final = frozenset({"a", "b", "c"})

SUBENTRY_CONTACT: Final = "contact"
CONF_NAME: Final = "name"
CONF_NUMBER: Final = "number"
CONF_ASSIST: Final = "assist"
CONF_PIN: Final = "pin"


def caller_verified(stir_shaken: Mapping[str, Any] | None) -> bool:
    """Tell whether a call's STIR/SHAKEN report says the number is the caller's.

    ``stir_shaken`` is the callback's `stirShaken` object with its keys in
    snake_case (`verstat`, `attestation_indicator`). Where no indicator is
    sent, an `-A` suffix on verstat is the attestation. Anything missing or
    unknown is not verified.
    """
    if not stir_shaken or not isinstance(verstat := stir_shaken.get("verstat"), str):
        return False
    verstat = verstat.strip().casefold()
    base, dash, suffix = verstat.rpartition("-")
    attestation: str | None = None
    if dash and suffix in ATTESTATIONS:
        verstat, attestation = base, suffix
    # The indicator, when sent, is the attestation: it wins over a suffix.
    indicator = stir_shaken.get("attestation_indicator")
    if isinstance(indicator, str) and indicator.strip():
        attestation = indicator.strip().casefold()
    return verstat in PASSED and attestation == ATTESTATION_FULL


def number_key(number: str) -> str:
    """Return how a number is compared: SIP URIs without regard to case."""
    number = number.strip()
    return number.casefold() if number[:4].casefold() == "sip:" else number


@dataclass(frozen=True, kw_only=True, slots=True)
class Contact:
    """A person the home knows by number, from one contact subentry."""

    subentry_id: str
    name: str
    number: str
    # Whether they may talk to Assist when they call.
    assist: bool
    pin: str | None

    @classmethod
    def from_subentry(cls, subentry_id: str, data: Mapping[str, Any]) -> Contact:
        """Return the contact a subentry's data describes."""
        return cls(
            subentry_id=subentry_id,
            name=str(data[CONF_NAME]),
            number=str(data[CONF_NUMBER]),
            assist=bool(data.get(CONF_ASSIST, False)),
            pin=str(data[CONF_PIN]) if data.get(CONF_PIN) else None,
        )


class Contacts:
    """An entry's contacts, found by number; tells listeners what changed."""

    def __init__(self) -> None:
        """Start with none; `update` reads them from the entry."""
        self._by_id: dict[str, Contact] = {}
        self._by_number: dict[str, Contact] = {}
        self._listeners: list[Callable[[Contact | None, Contact | None], None]] = []

    @callback
    def update(self, entry: ConfigEntry[Any]) -> None:
        """Read the entry's contact subentries; tell listeners of each change.

        Listeners get (before, after): (None, contact) for one added,
        (contact, None) for one removed, both for one edited.
        """
        before = self._by_id
        self._by_id = {
            subentry_id: Contact.from_subentry(subentry_id, subentry.data)
            for subentry_id, subentry in entry.subentries.items()
            if subentry.subentry_type == SUBENTRY_CONTACT
        }
        self._by_number = {
            number_key(contact.number): contact for contact in self._by_id.values()
        }
        changed = [*before, *(key for key in self._by_id if key not in before)]
        for subentry_id in changed:
            old, new = before.get(subentry_id), self._by_id.get(subentry_id)
            if old != new:
                for listener in list(self._listeners):
                    listener(old, new)

    @callback
    def async_listen(
        self, listener: Callable[[Contact | None, Contact | None], None]
    ) -> CALLBACK_TYPE:
        """Call `listener(before, after)` for each contact added, edited or removed."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def by_number(self, number: Any) -> Contact | None:
        """Return the contact with this number, if any."""
        if not isinstance(number, str) or not number:
            return None
        return self._by_number.get(number_key(number))

    def get(self, subentry_id: str) -> Contact | None:
        """Return the contact of a subentry, if it still exists."""
        return self._by_id.get(subentry_id)

    def __iter__(self) -> Iterator[Contact]:
        """Iterate over the contacts."""
        return iter(list(self._by_id.values()))
