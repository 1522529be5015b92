"""Runtime data kept on a Bandwidth Voice config entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry

from .api import BandwidthClient
from .calls import CallStore
from .replies import CallFlow


@dataclass(kw_only=True)
class BandwidthData:
    """What a loaded entry needs: its API client, its live calls and their flow."""

    client: BandwidthClient
    calls: CallStore
    flow: CallFlow
    # helpers.connection() of the data the entry was set up with.
    connection: Mapping[str, Any]


type BandwidthConfigEntry = ConfigEntry[BandwidthData]
