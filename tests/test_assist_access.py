"""Who reaches Assist by calling: contacts, verified or with their PIN; nobody else.

Tried as an attacker would: a forged caller ID (the contact's number, not
verified, or verified only by attestation B or C), guessing the PIN, a
stranger's number. The sandbox plays Bandwidth and the caller; Home
Assistant's real pipeline answers whoever gets through.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.bandwidth.const import (
    CONF_ASSIST_MAX_CONVERSATIONS,
    CONF_INBOUND_CALLS,
    DOMAIN,
    EVENT_ASSIST_STARTED,
    EVENT_CALL_RECEIVED,
    EVENT_GATHER_COMPLETE,
    INBOUND_ASSIST,
)
from custom_components.bandwidth.inbound import PIN_PROMPT
from custom_components.bandwidth.pins import lockout_issue_id
from custom_components.bandwidth.replies import BUSY_MESSAGE
from sandbox import Call

from .helpers import Live, add_contact
from .live_calls import (
    CALLER,
    FAILED,
    PASSED,
    events_of,
    finish,
    ring_in,
    set_options,
    stream_of,
    wait_for,
)

STRANGER = "+15555550666"


async def _contacts_talk_to_assist(live: Live, **contact: Any) -> str:
    set_options(live, **{CONF_INBOUND_CALLS: INBOUND_ASSIST})
    live.sandbox.time_scale = 1
    return await add_contact(live.hass, live.entry, CALLER, **contact)


async def _conversed(live: Live, call: Call) -> None:
    """The call reached Assist; then the caller hangs up."""
    await wait_for(lambda: events_of(live, call.call_id, EVENT_ASSIST_STARTED))
    assert stream_of(call).connected
    call.end("hangup")
    await finish(live, call)


async def _turned_away(live: Live, call: Call, *, answered: bool) -> None:
    """The call never reached Assist; unanswered ones cost the caller nothing."""
    await finish(live, call)
    assert not call.streams
    assert not events_of(live, call.call_id, EVENT_ASSIST_STARTED)
    assert (call.answer_time is not None) is answered


@pytest.mark.usefixtures("assist")
async def test_verified_contact_talks_to_assist(live: Live) -> None:
    """A contact allowed to, whose number Bandwidth verified (attestation A)."""
    await _contacts_talk_to_assist(live, pin="1234")
    call = ring_in(live)  # TN-Validation-Passed, A
    await _conversed(live, call)
    assert call.gathered == []  # no PIN asked
    [received] = events_of(live, call.call_id, EVENT_CALL_RECEIVED)
    assert received["contact"] == "Alice"
    assert received["caller_verified"] is True


@pytest.mark.usefixtures("assist")
@pytest.mark.parametrize(
    "stir_shaken",
    [
        {"verstat": FAILED, "attestation": "A"},
        {"verstat": PASSED, "attestation": "B"},
        {"verstat": PASSED, "attestation": "C"},
        {"verstat": "No-TN-Validation"},
        {"verstat": None},
    ],
    ids=["failed", "attestation-b", "attestation-c", "not-validated", "absent"],
)
async def test_unverified_contact_types_their_pin(
    live: Live, stir_shaken: dict[str, Any]
) -> None:
    """The contact's number, unverified: answered, asked the PIN; the right one passes."""
    await _contacts_talk_to_assist(live, pin="1234")
    call = ring_in(live, digits="1234#", **stir_shaken)
    await _conversed(live, call)
    assert call.spoken[0] == PIN_PROMPT
    assert call.gathered == ["1234"]
    # The PIN is the caller's secret: no automation hears it.
    assert not events_of(live, call.call_id, EVENT_GATHER_COMPLETE)
    [received] = events_of(live, call.call_id, EVENT_CALL_RECEIVED)
    assert received["caller_verified"] is False
    assert received["contact"] == "Alice"


@pytest.mark.usefixtures("assist")
@pytest.mark.parametrize("digits", ["4321#", "", "12345678#", "1234*"])
async def test_wrong_pin_says_goodbye(live: Live, digits: str) -> None:
    """A wrong PIN (or none) ends the call: goodbye, then hang-up."""
    await _contacts_talk_to_assist(live, pin="1234")
    live.sandbox.time_scale = 0.05  # no stream: the prompt's waits go fast
    call = ring_in(live, verstat=FAILED, digits=digits)
    await _turned_away(live, call, answered=True)
    assert call.spoken[-1] == "Thank you. Goodbye."
    assert not events_of(live, call.call_id, EVENT_GATHER_COMPLETE)


@pytest.mark.usefixtures("assist")
async def test_guessing_the_pin_locks_it(
    hass: HomeAssistant, live: Live, issue_registry: ir.IssueRegistry
) -> None:
    """Three wrong PINs, from any calls: the right one is refused too."""
    subentry_id = await _contacts_talk_to_assist(live, pin="1234")
    for guess in ("0000#", "1111#", "2222#"):
        await _turned_away(
            live, ring_in(live, verstat=FAILED, digits=guess), answered=True
        )
    issue_id = lockout_issue_id(live.entry.entry_id, subentry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    call = ring_in(live, verstat=FAILED, digits="1234#")
    await _turned_away(live, call, answered=True)
    # A verified call is no guess: the contact still gets through.
    await _conversed(live, ring_in(live))
    # A new PIN lifts the lockout.
    entry = live.entry
    hass.config_entries.async_update_subentry(
        entry,
        entry.subentries[subentry_id],
        data={**entry.subentries[subentry_id].data, "pin": "5678"},
    )
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await _conversed(live, ring_in(live, verstat=FAILED, digits="5678#"))


@pytest.mark.usefixtures("assist")
async def test_unverified_contact_without_a_pin_is_rejected(live: Live) -> None:
    """Without a PIN, the contact's number unverified is rejected unanswered."""
    await _contacts_talk_to_assist(live)
    await _turned_away(live, ring_in(live, verstat=FAILED), answered=False)


@pytest.mark.usefixtures("assist")
async def test_contact_not_allowed_and_strangers_are_rejected(live: Live) -> None:
    """A contact without Assist, and any other number, verified or not: rejected."""
    await _contacts_talk_to_assist(live, assist=False, pin="1234")
    await _turned_away(live, ring_in(live), answered=False)
    await _turned_away(
        live, ring_in(live, verstat=FAILED, digits="1234#"), answered=False
    )
    url = live.sandbox.url_rewrites
    assert url
    from custom_components.bandwidth.cloudhook import async_inbound_url  # noqa: PLC0415

    inbound = async_inbound_url(live.hass, live.entry)
    assert inbound is not None
    stranger = live.sandbox.call_in(
        inbound,
        STRANGER,
        "+15555550100",
        status_url=inbound,
        verstat=PASSED,
        attestation="A",
    )
    await _turned_away(live, stranger, answered=False)
    [received] = events_of(live, stranger.call_id, EVENT_CALL_RECEIVED)
    assert received["contact"] is None


@pytest.mark.usefixtures("assist")
async def test_conversations_at_once_are_limited(live: Live) -> None:
    """Beyond the entry's limit, a caller hears Assist is busy, and the call ends."""
    await _contacts_talk_to_assist(live)
    set_options(live, **{CONF_ASSIST_MAX_CONVERSATIONS: 1})
    first = ring_in(live)
    await wait_for(lambda: events_of(live, first.call_id, EVENT_ASSIST_STARTED))
    second = ring_in(live)
    await _turned_away(live, second, answered=True)
    assert second.spoken == [BUSY_MESSAGE]
    first.end("hangup")
    await finish(live, first)
