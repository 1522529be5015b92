"""Tests for the repair issues: unreachable or insecure URL, legacy API user."""

from __future__ import annotations

import re
from types import ModuleType

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

import sandbox
from custom_components.bandwidth.const import (
    AUTH_OAUTH,
    CONF_AUTH_TYPE,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_CLOUDHOOK_URL,
    DOMAIN,
)
from custom_components.bandwidth.issues import DOCUMENTATION_URL, ISSUES
from sandbox import Sandbox

from .helpers import CLOUDHOOK_URL, EXTERNAL_URL, basic_entry, set_up
from .metadata import MANIFEST, ROOT, STRINGS

HTTP_URL = "http://ha.example.test:8123"


def issues(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, ir.IssueEntry]:
    """Return the integration's issues about an entry, by kind."""
    suffix = f"_{entry.entry_id}"
    return {
        issue_id.removesuffix(suffix): issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue_id.endswith(suffix) and issue.active
    }


async def test_no_issues(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An https external URL and API credentials raise nothing."""
    assert issues(hass, init_integration) == {}


async def test_no_external_url(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Without an external URL an error says what to set; it clears when set."""
    await async_process_ha_core_config(
        hass, {"internal_url": "http://192.168.1.2:8123"}
    )
    await set_up(hass, mock_config_entry)

    issue = issues(hass, mock_config_entry)["no_external_url"]
    assert issue.severity is ir.IssueSeverity.ERROR
    assert not issue.is_fixable
    assert not issue.is_persistent
    assert issue.translation_key == "no_external_url"
    assert issue.translation_placeholders == {
        "title": mock_config_entry.title,
        "external_url": "None",
    }
    assert issue.learn_more_url == (
        f"{MANIFEST['documentation']}#how-callbacks-reach-home-assistant"
    )

    await hass.config.async_update(external_url=EXTERNAL_URL)
    await hass.async_block_till_done()
    assert issues(hass, mock_config_entry) == {}


async def test_insecure_external_url(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A plain http external URL is a warning until it is https."""
    await async_process_ha_core_config(hass, {"external_url": HTTP_URL})
    await set_up(hass, mock_config_entry)

    issue = issues(hass, mock_config_entry)["insecure_external_url"]
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "title": mock_config_entry.title,
        "external_url": HTTP_URL,
    }

    await hass.config.async_update(external_url=EXTERNAL_URL)
    await hass.async_block_till_done()
    assert issues(hass, mock_config_entry) == {}

    # Raised again when the URL goes back, replaced when it goes away.
    await hass.config.async_update(external_url=HTTP_URL)
    await hass.async_block_till_done()
    assert list(issues(hass, mock_config_entry)) == ["insecure_external_url"]
    await hass.config.async_update(external_url=None)
    await hass.async_block_till_done()
    assert list(issues(hass, mock_config_entry)) == ["no_external_url"]


async def test_cloudhook_is_reachable(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, cloud: ModuleType
) -> None:
    """With Home Assistant Cloud no external URL is needed."""
    await set_up(hass, mock_config_entry)
    assert mock_config_entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert issues(hass, mock_config_entry) == {}


async def test_legacy_api_user(
    hass: HomeAssistant, external_url: str, bandwidth_sandbox: Sandbox
) -> None:
    """A legacy API user is a warning until the entry moves to API credentials."""
    entry = basic_entry(bandwidth_sandbox)
    await set_up(hass, entry)

    issue = issues(hass, entry)["legacy_api_user"]
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_key == "legacy_api_user"
    assert issue.translation_placeholders == {
        "title": entry.title,
        "external_url": EXTERNAL_URL,
    }
    assert (
        issue.learn_more_url == f"{DOCUMENTATION_URL}#which-api-credentials-to-create"
    )

    # Unloading keeps it: the stored credentials have not changed.
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert list(issues(hass, entry)) == ["legacy_api_user"]
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    # Reconfiguring reloads the entry; the issue goes with the old scheme.
    data = {
        key: value
        for key, value in entry.data.items()
        if key not in (CONF_USERNAME, CONF_PASSWORD)
    }
    hass.config_entries.async_update_entry(
        entry,
        data={
            **data,
            CONF_AUTH_TYPE: AUTH_OAUTH,
            CONF_CLIENT_ID: sandbox.CLIENT_ID,
            CONF_CLIENT_SECRET: sandbox.CLIENT_SECRET,
        },
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert issues(hass, entry) == {}


async def test_reconfigure_flow_clears_legacy_api_user(
    hass: HomeAssistant, external_url: str, bandwidth_sandbox: Sandbox
) -> None:
    """Moving to API credentials with the reconfigure flow clears the warning."""
    entry = basic_entry(bandwidth_sandbox)
    await set_up(hass, entry)
    assert list(issues(hass, entry)) == ["legacy_api_user"]

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "reconfigure_oauth"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "application_id": sandbox.APPLICATION_ID,
            CONF_CLIENT_ID: sandbox.CLIENT_ID,
            CONF_CLIENT_SECRET: sandbox.CLIENT_SECRET,
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert issues(hass, entry) == {}


async def test_unload_and_remove(
    hass: HomeAssistant, bandwidth_sandbox: Sandbox
) -> None:
    """Unloading drops the URL issues and stops watching; removing drops all."""
    await async_process_ha_core_config(hass, {"external_url": HTTP_URL})
    entry = basic_entry(bandwidth_sandbox)
    await set_up(hass, entry)
    assert sorted(issues(hass, entry)) == ["insecure_external_url", "legacy_api_user"]

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert list(issues(hass, entry)) == ["legacy_api_user"]
    await hass.config.async_update(external_url=None)
    await hass.async_block_till_done()
    assert list(issues(hass, entry)) == ["legacy_api_user"]

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issues(hass, entry) == {}


async def test_each_entry_has_its_own_issues(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Issues name the entry they are about; fixing one entry leaves the other."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    legacy = basic_entry(bandwidth_sandbox)
    legacy.add_to_hass(hass)
    mock_config_entry.add_to_hass(hass)
    # Both entries use the same sandbox account: give the second its own ids.
    hass.config_entries.async_update_entry(
        legacy,
        unique_id="legacy",
        data={**legacy.data, CONF_WEBHOOK_ID: "legacy-webhook"},
    )
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert legacy.state is ConfigEntryState.LOADED
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert list(issues(hass, legacy)) == ["legacy_api_user"]
    assert issues(hass, mock_config_entry) == {}


def test_every_issue_is_translated() -> None:
    """Every issue has a title and a description naming the entry."""
    strings = dict(STRINGS["issues"])
    # Wrong PINs are not a setup to fix: they are checked, then ignored.
    lockout = strings.pop("pin_lockout")
    assert "{contact}" in lockout["title"]
    assert "{title}" in lockout["description"]
    assert sorted(strings) == [
        "calls_per_hour_reached",
        "insecure_external_url",
        "legacy_api_user",
        "no_external_url",
        "tts_unreachable",
    ]
    for issue in strings.values():
        assert issue["title"]
        assert "{title}" in issue["description"]
        assert "goes away by itself" in issue["description"]
    assert "{external_url}" in strings["insecure_external_url"]["description"]


def test_every_issue_links_to_its_section() -> None:
    """Each issue's Learn more opens a section of the README, as GitHub names it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", readme, re.MULTILINE)
    }
    for issue in ISSUES:
        assert issue.learn_more in anchors, issue.key
        assert issue.learn_more_url == f"{DOCUMENTATION_URL}#{issue.learn_more}"
