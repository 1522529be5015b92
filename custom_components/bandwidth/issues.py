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

from dataclasses import dataclass
from typing import Final

from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from yarl import URL

from .cloudhook import async_direct_url, async_get_webhook_url
from .const import AUTH_BASIC, CONF_AUTH_TYPE, CONF_TTS_ENTITY_ID, DOMAIN
from .data import BandwidthConfigEntry

DOCUMENTATION_URL: Final = "https://github.com/bandwidth-voice-ha/bandwidth-voice"


@dataclass(frozen=True, kw_only=True, slots=True)
class IssueDescription:
    """One kind of repair issue an entry can have."""

    # Its translation key, and the start of each entry's issue id.
    key: str
    severity: ir.IssueSeverity
    # The README's section on fixing it.
    learn_more: str
    # Whether the entry's configuration decides it: re-checked with the others
    # so decided, when the entry or the core configuration changes.
    checked: bool = True
    # Whether it only matters while the entry is loaded: deleted on unloading.
    while_loaded: bool = True

    @property
    def learn_more_url(self) -> str:
        """Return the address of the README's section on fixing it."""
        return f"{DOCUMENTATION_URL}#{self.learn_more}"


NO_EXTERNAL_URL: Final = IssueDescription(
    key="no_external_url",
    # No call can be placed at all.
    severity=ir.IssueSeverity.ERROR,
    learn_more="how-callbacks-reach-home-assistant",
)
INSECURE_EXTERNAL_URL: Final = IssueDescription(
    key="insecure_external_url",
    # Calls work, but anyone on the path can read and forge their callbacks.
    severity=ir.IssueSeverity.WARNING,
    learn_more="how-callbacks-reach-home-assistant",
)
TTS_UNREACHABLE: Final = IssueDescription(
    key="tts_unreachable",
    # Every call the entry speaks fails before it is placed.
    severity=ir.IssueSeverity.ERROR,
    learn_more="how-audio-reaches-bandwidth",
)
LEGACY_API_USER: Final = IssueDescription(
    key="legacy_api_user",
    # Works today; Bandwidth is retiring it.
    severity=ir.IssueSeverity.WARNING,
    learn_more="which-api-credentials-to-create",
    # Not about how Bandwidth reaches Home Assistant: it stays until the
    # entry changes.
    while_loaded=False,
)
CALLS_PER_HOUR: Final = IssueDescription(
    key="calls_per_hour_reached",
    # Calls fail for a while, by design; it may be what was wanted, or not.
    severity=ir.IssueSeverity.WARNING,
    learn_more="costs-and-abuse",
    # Raised by the calls a loaded entry counts, which raises it again should
    # it refuse calls again.
    checked=False,
)
ISSUES: Final = (
    NO_EXTERNAL_URL,
    INSECURE_EXTERNAL_URL,
    TTS_UNREACHABLE,
    LEGACY_API_USER,
    CALLS_PER_HOUR,
)
ALL_ISSUES: Final = tuple(issue.key for issue in ISSUES)
CHECKED_ISSUES: Final = tuple(issue for issue in ISSUES if issue.checked)
LOADED_ISSUES: Final = tuple(issue.key for issue in ISSUES if issue.while_loaded)


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
        problems = {NO_EXTERNAL_URL}
    else:
        problems = {INSECURE_EXTERNAL_URL} if url.scheme == "http" else set()
    if entry.data.get(CONF_AUTH_TYPE) == AUTH_BASIC:
        problems.add(LEGACY_API_USER)
    engine = entry.options.get(CONF_TTS_ENTITY_ID)
    if engine and async_direct_url(hass) is None:
        problems.add(TTS_UNREACHABLE)

    placeholders = {
        "title": entry.title,
        "external_url": str(hass.config.external_url),
    }
    extra = {TTS_UNREACHABLE: {"entity_id": str(engine)}}
    for issue in CHECKED_ISSUES:
        if issue in problems:
            _async_create_issue(hass, entry, issue, placeholders | extra.get(issue, {}))
        else:
            ir.async_delete_issue(hass, DOMAIN, issue_id(issue.key, entry.entry_id))


@callback
def async_raise_calls_per_hour(
    hass: HomeAssistant, entry: BandwidthConfigEntry, limit: int
) -> None:
    """Tell that the entry refused calls: it placed `limit` in the last hour."""
    _async_create_issue(
        hass,
        entry,
        CALLS_PER_HOUR,
        {"title": entry.title, "max_calls_per_hour": str(limit)},
    )


@callback
def _async_create_issue(
    hass: HomeAssistant,
    entry: BandwidthConfigEntry,
    issue: IssueDescription,
    placeholders: dict[str, str],
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(issue.key, entry.entry_id),
        is_fixable=False,
        is_persistent=False,
        learn_more_url=issue.learn_more_url,
        severity=issue.severity,
        translation_key=issue.key,
        translation_placeholders=placeholders,
    )


@callback
def async_delete_issues(
    hass: HomeAssistant, entry_id: str, issues: tuple[str, ...] = ALL_ISSUES
) -> None:
    """Delete an entry's issues (all of them by default)."""
    for issue in issues:
        ir.async_delete_issue(hass, DOMAIN, issue_id(issue, entry_id))
