"""PINs: checked in constant time, and guessing them locked out across calls and restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.bandwidth.const import DOMAIN
from custom_components.bandwidth.identity import Contact
from custom_components.bandwidth.pins import (
    LOCKOUT,
    MAX_FAILURES,
    STORAGE_KEY,
    PinGuard,
    async_remove_pin_store,
    lockout_issue_id,
)

from .metadata import STRINGS

ALICE = Contact(subentry_id="alice", name="Alice", number="+1", assist=True, pin="1234")
BOB = Contact(subentry_id="bob", name="Bob", number="+2", assist=True, pin=None)


async def _guard(hass: HomeAssistant) -> PinGuard:
    guard = PinGuard(hass, "entry", "Home")
    await guard.async_load()
    return guard


async def test_right_and_wrong_pins(hass: HomeAssistant) -> None:
    """The right PIN passes and forgets earlier failures; anything else fails."""
    guard = await _guard(hass)
    for wrong in ("1235", "", None, 1234, "12345", "1234#"):
        assert not guard.check(ALICE, wrong)
        assert guard.check(ALICE, "1234")  # resets the count: never locked
    assert not guard.locked(ALICE)
    # A contact without a PIN has none to get right.
    assert not guard.check(BOB, "")
    assert not guard.check(BOB, "1234")


async def test_lockout(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    hass_storage: dict[str, Any],
) -> None:
    """Three wrong PINs in a row refuse even the right one for 15 minutes."""
    guard = await _guard(hass)
    for _ in range(MAX_FAILURES - 1):
        assert not guard.check(ALICE, "0000")
    assert not guard.locked(ALICE)
    assert (
        issue_registry.async_get_issue(DOMAIN, lockout_issue_id("entry", "alice"))
        is None
    )
    assert not guard.check(ALICE, "0000")
    assert guard.locked(ALICE)
    assert not guard.check(ALICE, "1234")  # right, yet refused
    issue = issue_registry.async_get_issue(DOMAIN, lockout_issue_id("entry", "alice"))
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "pin_lockout"
    assert issue.translation_placeholders == {
        "title": "Home",
        "contact": "Alice",
        "failures": "3",
        "minutes": "15",
    }
    template = STRINGS["issues"]["pin_lockout"]
    template["description"].format(**issue.translation_placeholders)

    # It outlasts Home Assistant: a new guard reads it back.
    async_fire_time_changed(hass, fire_all=True)
    await hass.async_block_till_done()
    assert hass_storage[STORAGE_KEY.format("entry")]["data"]["contacts"]["alice"]
    again = await _guard(hass)
    assert again.locked(ALICE)

    freezer.tick(LOCKOUT - timedelta(seconds=1))
    assert again.locked(ALICE)
    freezer.tick(timedelta(seconds=2))
    assert not again.locked(ALICE)
    assert again.check(ALICE, "1234")
    # The owner still sees what happened until they dismiss it.
    assert issue_registry.async_get_issue(DOMAIN, lockout_issue_id("entry", "alice"))


async def test_forget(hass: HomeAssistant, issue_registry: ir.IssueRegistry) -> None:
    """A new PIN (or the contact gone) lifts the lockout and its issue."""
    guard = await _guard(hass)
    for _ in range(MAX_FAILURES):
        guard.check(ALICE, "0000")
    assert guard.locked(ALICE)
    guard.forget("alice")
    assert not guard.locked(ALICE)
    assert (
        issue_registry.async_get_issue(DOMAIN, lockout_issue_id("entry", "alice"))
        is None
    )
    guard.forget("nobody")  # nothing to forget: nothing happens


async def test_store_removed_with_the_entry(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """An entry removed takes its PIN records along."""
    guard = await _guard(hass)
    guard.check(ALICE, "0000")
    async_fire_time_changed(hass, fire_all=True)
    await hass.async_block_till_done()
    assert STORAGE_KEY.format("entry") in hass_storage
    await async_remove_pin_store(hass, "entry")
    assert STORAGE_KEY.format("entry") not in hass_storage


@pytest.mark.usefixtures("init_integration")
async def test_removing_an_entry_removes_its_pins(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Removing the integration's entry removes its PIN store."""
    init_integration.runtime_data.pins.check(ALICE, "0000")
    async_fire_time_changed(hass, fire_all=True)
    await hass.async_block_till_done()
    key = STORAGE_KEY.format(init_integration.entry_id)
    assert key in hass_storage
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
