"""Runtime data kept on a Bandwidth Voice config entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry

from .api import BandwidthClient
from .calls import CallStore
from .replies import CallFlow

if TYPE_CHECKING:
    # It raises errors and repair issues about this entry: they import this.
    from .safeguards import CallsPerHour


@dataclass(kw_only=True)
class BandwidthData:
    """What a loaded entry needs: its API client, its live calls and their flow."""

    client: BandwidthClient
    calls: CallStore
    flow: CallFlow
    # How many calls it placed in the last hour.
    calls_per_hour: CallsPerHour
    # helpers.connection() of the data the entry was set up with.
    connection: Mapping[str, Any]


type BandwidthConfigEntry = ConfigEntry[BandwidthData]
