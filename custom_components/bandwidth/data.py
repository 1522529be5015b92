"""Runtime data kept on a Bandwidth Voice config entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry

from .api import BandwidthClient
from .call_store import CallStore
from .identity import Contacts
from .outcomes import CallWatcher
from .pins import PinGuard
from .replies import CallFlow
from .voicemail import VoicemailBox

if TYPE_CHECKING:
    from .conversation import Agent, Conversation
    from .greeting import Greeting

    # It raises errors and repair issues about this entry: they import this.
    from .safeguards import CallsPerHour
    from .screening import Screener


@dataclass(kw_only=True)
class BandwidthData:
    """What a loaded entry needs: its client, its calls, who it knows."""

    client: BandwidthClient
    calls: CallStore
    flow: CallFlow
    # How many calls it placed in the last hour.
    calls_per_hour: CallsPerHour
    # helpers.connection() of the data the entry was set up with.
    connection: Mapping[str, Any]
    contacts: Contacts = field(default_factory=Contacts)
    pins: PinGuard
    # The messages callers left, and those on their way.
    voicemail: VoicemailBox
    # The voicemail greeting's audio, kept ready.
    greeting: Greeting
    # Callers who are not contacts, asked who they are (screen mode).
    screener: Screener
    watcher: CallWatcher = field(default_factory=CallWatcher)
    # The conversations with Assist going on, by call reference.
    conversations: dict[str, Conversation] = field(default_factory=dict)
    # Each contact's Assist satellite, by subentry id, once added.
    satellites: dict[str, Agent] = field(default_factory=dict)
    # Whether the platforms of contacts' entities are set up (contacts.py).
    contact_platforms: bool = False
    # Resets the Missed calls sensor, while it is added (sensor.py).
    reset_missed_calls: Callable[[], None] | None = None


type BandwidthConfigEntry = ConfigEntry[BandwidthData]
