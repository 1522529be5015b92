"""The integration's entities, as registered and as their states show them."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
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

from custom_components.bandwidth.const import (
    EVENT_ASSIST_ENDED,
    EVENT_TYPE_ASSIST_ENDED,
)
from custom_components.bandwidth.signals import async_fire_call_event

from .helpers import CALL_ID, PATH, ClientFactory, callback, live_call, query

# The entry of every snapshot: the entities' unique ids are made from its id.
ENTRY_ID = "01JBANDW1DTH0000000000ENTRY"


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
@pytest.mark.parametrize("platform", [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR])
async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Each platform's entities: names, ids, translation keys, states."""
    entry = await _set_up(hass, mock_config_entry, platform)
    await snapshot_platform(
        hass,
        entity_registry,
        snapshot.use_extension(PerReleaseSnapshots),
        entry.entry_id,
    )


@pytest.mark.usefixtures("external_url")
async def test_call_events_shown(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_client_no_auth: ClientFactory,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
) -> None:
    """What the event entity shows of digits pressed and of a talk with Assist.

    Neither the digits nor what was heard and answered: those are the bus
    events' only.
    """
    snapshot = snapshot.use_extension(PerReleaseSnapshots)
    freezer.move_to("2026-03-02T17:04:31+00:00")
    entry = await _set_up(hass, mock_config_entry, Platform.EVENT)
    entity_id = "event.bandwidth_9900000_call_events"
    client = await hass_client_no_auth()
    response = await client.post(
        PATH,
        json=callback("gather", digits="1234", terminatingDigit="#"),
        params=query(live_call(entry)),
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(entity_id) == snapshot(name="gather_complete")
    freezer.tick(20)
    async_fire_call_event(
        hass,
        entry.entry_id,
        EVENT_ASSIST_ENDED,
        EVENT_TYPE_ASSIST_ENDED,
        {
            "call_id": CALL_ID,
            "config_entry_id": entry.entry_id,
            "pipeline_id": "01jbandw1dth0000000000pipe",
            "reason": "goodbye",
            "turns": [{"heard": "the alarm code is 1234", "answered": "Disarmed"}],
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get(entity_id) == snapshot(name="assist_ended")


async def _set_up(
    hass: HomeAssistant, template: MockConfigEntry, platform: Platform
) -> MockConfigEntry:
    """Set up the entry of the snapshots, with one platform."""
    entry = MockConfigEntry(
        domain=template.domain,
        title=template.title,
        unique_id=template.unique_id,
        data=template.data,
        options=template.options,
        entry_id=ENTRY_ID,
    )
    entry.add_to_hass(hass)
    with patch("custom_components.bandwidth.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    return entry
