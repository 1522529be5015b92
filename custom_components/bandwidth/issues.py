"""Repair issues for setups that keep calls from working, or soon will.

Raised for an entry when Bandwidth cannot reach Home Assistant (no external
URL and no Home Assistant Cloud), when the external URL is plain http (each
call's callback secret, and what the callee typed, would cross the internet
unencrypted), when the entry speaks with a text-to-speech entity whose audio
Bandwidth cannot fetch (a cloudhook relays text only), and while the entry
still signs in with a legacy API user. Each is re-checked when the entry is
set up, when its options change and when the core configuration (the
external URL) changes, and deleted once fixed. One more is raised by the
calls themselves: calls refused because the entry placed its maximum in the
last hour (safeguards.py); it goes when the hour has room again.
None has a fix flow: the fix is made elsewhere in the UI, as each one says.
"""

from __future__ import annotations

from typing import Final

from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from yarl import URL

from .cloudhook import async_direct_url, async_get_webhook_url
from .const import AUTH_BASIC, CONF_AUTH_TYPE, CONF_TTS_ENTITY_ID, DOMAIN
from .data import BandwidthConfigEntry

ISSUE_NO_EXTERNAL_URL: Final = "no_external_url"
ISSUE_INSECURE_EXTERNAL_URL: Final = "insecure_external_url"
ISSUE_LEGACY_API_USER: Final = "legacy_api_user"
ISSUE_TTS_UNREACHABLE: Final = "tts_unreachable"
ISSUE_CALLS_PER_HOUR: Final = "calls_per_hour_reached"

# Issues about how Bandwidth reaches Home Assistant only matter while the
# entry is loaded; the legacy API user one stays until the entry changes.
URL_ISSUES: Final = (
    ISSUE_NO_EXTERNAL_URL,
    ISSUE_INSECURE_EXTERNAL_URL,
    ISSUE_TTS_UNREACHABLE,
)
# The issues the entry's configuration decides, re-checked together.
CHECKED_ISSUES: Final = (*URL_ISSUES, ISSUE_LEGACY_API_USER)
# Deleted when the entry unloads: the calls per hour are counted by a loaded
# entry, which raises the issue again should it refuse calls again.
LOADED_ISSUES: Final = (*URL_ISSUES, ISSUE_CALLS_PER_HOUR)
ALL_ISSUES: Final = (*CHECKED_ISSUES, ISSUE_CALLS_PER_HOUR)

DOCUMENTATION_URL: Final = "https://github.com/bandwidth-voice-ha/bandwidth-voice"
LEARN_MORE: Final[dict[str, str]] = {
    ISSUE_NO_EXTERNAL_URL: f"{DOCUMENTATION_URL}#how-callbacks-reach-home-assistant",
    ISSUE_INSECURE_EXTERNAL_URL: f"{DOCUMENTATION_URL}#how-callbacks-reach-home-assistant",
    ISSUE_LEGACY_API_USER: f"{DOCUMENTATION_URL}#which-api-credentials-to-create",
    ISSUE_TTS_UNREACHABLE: f"{DOCUMENTATION_URL}#how-audio-reaches-bandwidth",
    ISSUE_CALLS_PER_HOUR: f"{DOCUMENTATION_URL}#costs-and-abuse",
}
SEVERITY: Final[dict[str, ir.IssueSeverity]] = {
    # No call can be placed at all.
    ISSUE_NO_EXTERNAL_URL: ir.IssueSeverity.ERROR,
    # Calls work, but anyone on the path can read and forge their callbacks.
    ISSUE_INSECURE_EXTERNAL_URL: ir.IssueSeverity.WARNING,
    # Works today; Bandwidth is retiring it.
    ISSUE_LEGACY_API_USER: ir.IssueSeverity.WARNING,
    # Every call the entry speaks fails before it is placed.
    ISSUE_TTS_UNREACHABLE: ir.IssueSeverity.ERROR,
    # Calls fail for a while, by design; it may be what was wanted, or not.
    ISSUE_CALLS_PER_HOUR: ir.IssueSeverity.WARNING,
}


def issue_id(issue: str, entry_id: str) -> str:
    """Return the id of one kind of issue for one entry."""
    return f"{issue}_{entry_id}"


@callback
def async_setup_issues(hass: HomeAssistant, entry: BandwidthConfigEntry) -> None:
    """Check the entry now and whenever the core configuration changes."""
    async_check_issues(hass, entry)

    @callback
    def _core_config_updated(_event: Event) -> None:
        async_check_issues(hass, entry)

    entry.async_on_unload(
        hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, _core_config_updated)
    )
    entry.async_on_unload(
        lambda: async_delete_issues(hass, entry.entry_id, LOADED_ISSUES)
    )


@callback
def async_check_issues(hass: HomeAssistant, entry: BandwidthConfigEntry) -> None:
    """Raise the entry's issues that apply, delete those that no longer do."""
    try:
        url = URL(async_get_webhook_url(hass, entry))
    except NoURLAvailableError:
        problems = {ISSUE_NO_EXTERNAL_URL}
    else:
        problems = {ISSUE_INSECURE_EXTERNAL_URL} if url.scheme == "http" else set()
    if entry.data.get(CONF_AUTH_TYPE) == AUTH_BASIC:
        problems.add(ISSUE_LEGACY_API_USER)
    engine = entry.options.get(CONF_TTS_ENTITY_ID)
    if engine and async_direct_url(hass) is None:
        problems.add(ISSUE_TTS_UNREACHABLE)

    placeholders = {
        "title": entry.title,
        "external_url": str(hass.config.external_url),
    }
    extra = {ISSUE_TTS_UNREACHABLE: {"entity_id": str(engine)}}
    for issue in CHECKED_ISSUES:
        if issue in problems:
            _async_create_issue(hass, entry, issue, placeholders | extra.get(issue, {}))
        else:
            ir.async_delete_issue(hass, DOMAIN, issue_id(issue, entry.entry_id))


@callback
def async_raise_calls_per_hour(
    hass: HomeAssistant, entry: BandwidthConfigEntry, limit: int
) -> None:
    """Tell that the entry refused calls: it placed `limit` in the last hour."""
    _async_create_issue(
        hass,
        entry,
        ISSUE_CALLS_PER_HOUR,
        {"title": entry.title, "max_calls_per_hour": str(limit)},
    )


@callback
def _async_create_issue(
    hass: HomeAssistant,
    entry: BandwidthConfigEntry,
    issue: str,
    placeholders: dict[str, str],
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(issue, entry.entry_id),
        is_fixable=False,
        is_persistent=False,
        learn_more_url=LEARN_MORE[issue],
        severity=SEVERITY[issue],
        translation_key=issue,
        translation_placeholders=placeholders,
    )


@callback
def async_delete_issues(
    hass: HomeAssistant, entry_id: str, issues: tuple[str, ...] = ALL_ISSUES
) -> None:
    """Delete an entry's issues (all of them by default)."""
    for issue in issues:
        ir.async_delete_issue(hass, DOMAIN, issue_id(issue, entry_id))
