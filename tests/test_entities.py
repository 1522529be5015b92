"""The integration's entities, as registered and as their states show them."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
)
from syrupy.assertion import SnapshotAssertion


class PerReleaseSnapshots(HomeAssistantSnapshotExtension):
    """Snapshots kept per Home Assistant release, in tests/snapshots-<release>/.

    Registry entries gain fields from one release to the next, so the oldest
    and the newest supported release each keep their own (beside, not inside,
    tests/snapshots/: updating one release's must not delete the other's).
    """

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        """Return the release's own snapshot directory."""
        release = f"{MAJOR_VERSION}.{MINOR_VERSION}"
        return str(Path(test_location.filepath).parent / f"snapshots-{release}")


@pytest.mark.usefixtures("external_url")
@pytest.mark.parametrize("platform", [Platform.EVENT, Platform.NOTIFY])
async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Each platform's entities: names, ids, translation keys, states."""
    # A fixed id: the entities' unique ids are made from it.
    entry = MockConfigEntry(
        domain=mock_config_entry.domain,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=mock_config_entry.data,
        options=mock_config_entry.options,
        entry_id="01JBANDW1DTH0000000000ENTRY",
    )
    entry.add_to_hass(hass)
    with patch("custom_components.bandwidth.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(
        hass,
        entity_registry,
        snapshot.use_extension(PerReleaseSnapshots),
        entry.entry_id,
    )
