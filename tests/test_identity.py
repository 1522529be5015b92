"""Who is calling: the one verdict on a caller ID, and contacts found by number."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest
from homeassistant.config_entries import ConfigSubentry
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bandwidth.const import DOMAIN
from custom_components.bandwidth.identity import (
    Contact,
    Contacts,
    caller_verified,
    number_key,
)
from custom_components.bandwidth.parse import parse_callback


@pytest.mark.parametrize(
    ("stir_shaken", "verified"),
    [
        # Bandwidth's 2026 spelling, its SDKs' and the SIP standard's.
        ({"verstat": "TN-Validation-Passed", "attestation_indicator": "A"}, True),
        # The 2026 spec's own example, in another case.
        ({"verstat": "Tn-Validation-Passed", "attestation_indicator": "A"}, True),
        ({"verstat": "tn-validation-passed", "attestation_indicator": "a"}, True),
        # The 2023 docs' spelling.
        ({"verstat": "TN-Verification-Passed", "attestation_indicator": "A"}, True),
        # Attestation B or C: a carrier signed the call, not that it is the caller's.
        ({"verstat": "TN-Validation-Passed", "attestation_indicator": "B"}, False),
        ({"verstat": "TN-Validation-Passed", "attestation_indicator": "C"}, False),
        # The attestation as a suffix of verstat, when no indicator is sent.
        ({"verstat": "TN-Validation-Passed-A"}, True),
        ({"verstat": "TN-Validation-Passed-A", "attestation_indicator": None}, True),
        ({"verstat": "TN-Validation-Passed-B"}, False),
        ({"verstat": "TN-Validation-Passed-C", "attestation_indicator": " "}, False),
        # The indicator wins over a suffix.
        ({"verstat": "TN-Validation-Passed-A", "attestation_indicator": "C"}, False),
        ({"verstat": "TN-Validation-Passed-C", "attestation_indicator": "A"}, True),
        # Failed, or not checked.
        ({"verstat": "TN-Validation-Failed", "attestation_indicator": "A"}, False),
        ({"verstat": "TN-Validation-Failed-A"}, False),
        ({"verstat": "No-TN-Validation", "attestation_indicator": "A"}, False),
        ({"verstat": "TN-Verification-Failed", "attestation_indicator": "A"}, False),
        # Missing or unreadable parts.
        ({"verstat": "TN-Validation-Passed"}, False),
        ({"verstat": "TN-Validation-Passed", "attestation_indicator": None}, False),
        ({"attestation_indicator": "A"}, False),
        ({"verstat": None, "attestation_indicator": "A"}, False),
        ({"verstat": 5, "attestation_indicator": "A"}, False),
        ({"verstat": "TN-Validation-Passed", "attestation_indicator": 1}, False),
        ({"verstat": "", "attestation_indicator": "A"}, False),
        ({"verstat": "A", "attestation_indicator": "A"}, False),
        ({}, False),
        (None, False),
    ],
)
def test_caller_verified(stir_shaken: dict[str, Any] | None, verified: bool) -> None:
    """Only a passed validation with attestation A verifies a caller ID."""
    assert caller_verified(stir_shaken) is verified


@pytest.mark.parametrize(
    ("stir_shaken", "verified"),
    [
        ({"verstat": "TN-Validation-Passed", "attestationIndicator": "A"}, True),
        ({"verstat": "TN-Validation-Passed", "attestationIndicator": "C"}, False),
        ({"verstat": "TN-Validation-Passed-A"}, True),
        ({"verstat": "TN-Validation-Failed", "attestationIndicator": "A"}, False),
        (None, False),
    ],
)
def test_initiate_callback_says_who_is_verified(
    stir_shaken: dict[str, Any] | None, verified: bool
) -> None:
    """An initiate callback's caller_verified is that one verdict."""
    fields: dict[str, Any] = {"eventType": "initiate", "callId": "c-1"}
    if stir_shaken is not None:
        fields["stirShaken"] = stir_shaken
    event = parse_callback(fields, from_query=False)
    assert event.data["caller_verified"] is verified
    # Other callbacks say nothing about it.
    fields["eventType"] = "answer"
    assert "caller_verified" not in parse_callback(fields, from_query=False).data


def test_number_key() -> None:
    """SIP URIs compare without regard to case; numbers as they are."""
    assert number_key(" +15555550100 ") == "+15555550100"
    assert number_key("SIP:Alice@PBX.example.com") == "sip:alice@pbx.example.com"
    assert number_key("sip:alice@pbx.example.com") == "sip:alice@pbx.example.com"


def _entry(*contacts: tuple[str, dict[str, Any]]) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN)
    for subentry_id, data in contacts:
        entry.subentries = MappingProxyType(
            {
                **entry.subentries,
                subentry_id: ConfigSubentry(
                    data=MappingProxyType(data),
                    subentry_id=subentry_id,
                    subentry_type="contact",
                    title=data["name"],
                    unique_id=number_key(data["number"]),
                ),
            }
        )
    return entry


ALICE = {"name": "Alice", "number": "+15555550177", "assist": True, "pin": "1234"}
BOB = {"name": "Bob", "number": "sip:Bob@pbx.example.com"}


def test_contacts_found_by_number() -> None:
    """Contacts are read from the entry's contact subentries, found by number."""
    contacts = Contacts()
    other = ConfigSubentry(
        data=MappingProxyType({"x": 1}),
        subentry_type="other",
        title="x",
        unique_id=None,
    )
    entry = _entry(("alice", ALICE), ("bob", BOB))
    entry.subentries = MappingProxyType({**entry.subentries, "other": other})
    contacts.update(entry)
    assert contacts.by_number("+15555550177") == Contact(
        subentry_id="alice",
        name="Alice",
        number="+15555550177",
        assist=True,
        pin="1234",
    )
    bob = contacts.by_number("sip:bob@PBX.example.com")
    assert bob is not None
    assert (bob.name, bob.assist, bob.pin) == ("Bob", False, None)
    assert contacts.get("bob") == bob
    assert contacts.get("other") is None
    for number in ("+15555550199", "", None, 5, ["+15555550177"]):
        assert contacts.by_number(number) is None
    assert [contact.name for contact in contacts] == ["Alice", "Bob"]


def test_contacts_tell_what_changed() -> None:
    """Listeners hear of each contact added, edited and removed, until they stop."""
    contacts = Contacts()
    heard: list[tuple[str | None, str | None]] = []
    stop = contacts.async_listen(
        lambda before, after: heard.append(
            (before.name if before else None, after.name if after else None)
        )
    )
    contacts.update(_entry(("alice", ALICE)))
    contacts.update(_entry(("alice", ALICE)))  # nothing changed
    contacts.update(_entry(("alice", {**ALICE, "name": "Alice B."}), ("bob", BOB)))
    contacts.update(_entry(("bob", BOB)))
    assert heard == [
        (None, "Alice"),
        ("Alice", "Alice B."),
        (None, "Bob"),
        ("Alice B.", None),
    ]
    stop()
    contacts.update(_entry())
    assert len(heard) == 4
